/* Per-sample page cache of remote memory. */
#include "attach/read_cache.h"

#include <stdlib.h>
#include <string.h>

static size_t slot_for(uint64_t page)
{
    return (size_t)((page / PA_CACHE_PAGE) * 0x9E3779B97F4A7C15ull >> 58) & (PA_CACHE_SLOTS - 1);
}

static enum pa_status page_of(struct pa_read_cache *c, uint64_t page, const uint8_t **out, struct pa_error *err)
{
    size_t slot = slot_for(page);
    uint8_t *bytes = c->pages + slot * PA_CACHE_PAGE;
    if (c->slot_generation[slot] == c->generation && c->slot_page[slot] == page) {
        c->hits++;
        *out = bytes;
        return PA_OK;
    }
    c->misses++;
    enum pa_status status = pa_read(c->inner, page, bytes, PA_CACHE_PAGE, err);
    if (status != PA_OK) {
        c->slot_generation[slot] = 0;
        return status;
    }
    c->slot_page[slot] = page;
    c->slot_generation[slot] = c->generation;
    *out = bytes;
    return PA_OK;
}

static enum pa_status cached_read(struct pa_reader *reader, uint64_t addr, void *buf, size_t len,
                                  struct pa_error *err)
{
    struct pa_read_cache *c = reader->context;
    if (len > 2 * PA_CACHE_PAGE) /* big reads (line tables) go straight through */
        return pa_read(c->inner, addr, buf, len, err);
    uint8_t *out = buf;
    while (len > 0) {
        uint64_t page = addr & ~(uint64_t)(PA_CACHE_PAGE - 1);
        size_t at = (size_t)(addr - page);
        size_t n = PA_CACHE_PAGE - at < len ? PA_CACHE_PAGE - at : len;
        const uint8_t *bytes;
        enum pa_status status = page_of(c, page, &bytes, err);
        if (status != PA_OK)
            return status;
        memcpy(out, bytes + at, n);
        out += n;
        addr += n;
        len -= n;
    }
    return PA_OK;
}

bool pa_read_cache_init(struct pa_read_cache *c, struct pa_reader *inner)
{
    memset(c, 0, sizeof *c);
    c->pages = malloc((size_t)PA_CACHE_SLOTS * PA_CACHE_PAGE);
    if (c->pages == NULL)
        return false;
    c->inner = inner;
    c->generation = 1;
    c->reader.read = cached_read;
    c->reader.context = c;
    return true;
}

void pa_read_cache_free(struct pa_read_cache *c)
{
    free(c->pages);
    c->pages = NULL;
}

void pa_read_cache_clear(struct pa_read_cache *c)
{
    c->generation++;
}
