/* Per-sample line cache of remote memory, with the previous sample's lines prefetched. */
#include "attach/read_cache.h"

#include <stdlib.h>
#include <string.h>

static size_t slot_for(uint64_t line)
{
    return (size_t)((line / PA_CACHE_LINE) * 0x9E3779B97F4A7C15ull >> 56) & (PA_CACHE_SLOTS - 1);
}

static void touch(struct pa_read_cache *c, size_t slot, uint64_t line)
{
    if (c->slot_touched[slot] == c->generation)
        return;
    c->slot_touched[slot] = c->generation;
    if (c->working_count < PA_CACHE_SLOTS)
        c->working[c->working_count++] = line;
}

static enum pa_status line_of(struct pa_read_cache *c, uint64_t line, const uint8_t **out, struct pa_error *err)
{
    size_t slot = slot_for(line);
    uint8_t *bytes = c->lines + slot * PA_CACHE_LINE;
    if (c->slot_generation[slot] == c->generation && c->slot_line[slot] == line) {
        c->hits++;
        touch(c, slot, line);
        *out = bytes;
        return PA_OK;
    }
    c->misses++;
    enum pa_status status = pa_read(c->inner, line, bytes, PA_CACHE_LINE, err);
    if (status != PA_OK) {
        c->slot_generation[slot] = 0;
        return status;
    }
    c->slot_line[slot] = line;
    c->slot_generation[slot] = c->generation;
    touch(c, slot, line);
    *out = bytes;
    return PA_OK;
}

static enum pa_status cached_read(struct pa_reader *reader, uint64_t addr, void *buf, size_t len,
                                  struct pa_error *err)
{
    struct pa_read_cache *c = reader->context;
    if (len > 4 * PA_CACHE_LINE) /* big reads (line tables) go straight through */
        return pa_read(c->inner, addr, buf, len, err);
    uint8_t *out = buf;
    while (len > 0) {
        uint64_t line = addr & ~(uint64_t)(PA_CACHE_LINE - 1);
        size_t at = (size_t)(addr - line);
        size_t n = PA_CACHE_LINE - at < len ? PA_CACHE_LINE - at : len;
        const uint8_t *bytes;
        enum pa_status status = line_of(c, line, &bytes, err);
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
    c->lines = malloc((size_t)PA_CACHE_SLOTS * PA_CACHE_LINE);
    if (c->lines == NULL)
        return false;
    c->inner = inner;
    c->generation = 1;
    c->reader.read = cached_read;
    c->reader.context = c;
    return true;
}

void pa_read_cache_free(struct pa_read_cache *c)
{
    free(c->lines);
    c->lines = NULL;
}

/* In address order, so that neighbouring lines go to the reader as one range (the
 * working set is a dozen lines: insertion sort). */
static void sort_lines(uint64_t *lines, size_t count)
{
    for (size_t i = 1; i < count; i++) {
        uint64_t line = lines[i];
        size_t j = i;
        for (; j > 0 && lines[j - 1] > line; j--)
            lines[j] = lines[j - 1];
        lines[j] = line;
    }
}

/* Fetches the previous sample's lines into their slots with one vectored read. Two
 * lines that share a slot: the later one wins, the other is read on demand. */
static void prefetch(struct pa_read_cache *c, uint64_t *lines, size_t count)
{
    sort_lines(lines, count);
    uint8_t *bufs[PA_CACHE_SLOTS];
    for (size_t i = 0; i < count; i++)
        bufs[i] = c->lines + slot_for(lines[i]) * PA_CACHE_LINE;
    size_t done = 0;
    c->inner->read_blocks(c->inner, lines, bufs, PA_CACHE_LINE, count, &done);
    c->inner->reads++;
    for (size_t i = 0; i < done; i++) {
        size_t slot = slot_for(lines[i]);
        c->slot_line[slot] = lines[i];
        c->slot_generation[slot] = c->generation;
    }
    c->prefetched += done;
}

void pa_read_cache_clear(struct pa_read_cache *c)
{
    c->generation++;
    uint64_t previous[PA_CACHE_SLOTS];
    size_t count = c->working_count;
    memcpy(previous, c->working, count * sizeof previous[0]);
    c->working_count = 0;
    if (count > 0 && c->inner->read_blocks != NULL)
        prefetch(c, previous, count);
}
