/* The synthetic address space: a read succeeds only inside one region. */
#include "tests/support/fake_memory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct fake_region *region_of(struct fake_memory *m, uint64_t addr, size_t len)
{
    for (size_t i = 0; i < m->count; i++) {
        struct fake_region *r = &m->regions[i];
        if (addr >= r->addr && len <= r->size && addr - r->addr <= r->size - len)
            return r;
    }
    return NULL;
}

static enum pa_status fake_read(struct pa_reader *reader, uint64_t addr, void *buf, size_t len,
                                struct pa_error *err)
{
    struct fake_memory *m = reader->context;
    if (m->reads_left != 0 && --m->reads_left == 0)
        return pa_fail(err, PA_E_READ, "fake torn read at 0x%llx", (unsigned long long)addr);
    struct fake_region *r = region_of(m, addr, len);
    if (r == NULL)
        return pa_fail(err, PA_E_READ, "fake unmapped read at 0x%llx (size %zu)", (unsigned long long)addr, len);
    memcpy(buf, r->bytes + (addr - r->addr), len);
    return PA_OK;
}

/* The vectored form, as process_vm_readv behaves: block by block, stopping at the
 * first block that cannot be read (torn reads count per block). */
static enum pa_status fake_read_blocks(struct pa_reader *reader, const uint64_t *addrs, uint8_t *const *bufs,
                                       size_t size, size_t count, size_t *done)
{
    for (*done = 0; *done < count; (*done)++) {
        enum pa_status status = fake_read(reader, addrs[*done], bufs[*done], size, NULL);
        if (status != PA_OK)
            return status;
    }
    return PA_OK;
}

void fake_memory_init(struct fake_memory *m, struct pa_reader *reader)
{
    memset(m, 0, sizeof *m);
    reader->read = fake_read;
    reader->read_blocks = fake_read_blocks;
    reader->context = m;
    reader->reads = 0;
    reader->bytes = 0;
}

void fake_memory_free(struct fake_memory *m)
{
    for (size_t i = 0; i < m->count; i++)
        free(m->regions[i].bytes);
    free(m->regions);
    memset(m, 0, sizeof *m);
}

uint8_t *fake_memory_add(struct fake_memory *m, uint64_t addr, size_t size)
{
    if (m->count == m->capacity) {
        m->capacity = m->capacity ? m->capacity * 2 : 16;
        m->regions = realloc(m->regions, m->capacity * sizeof *m->regions);
        if (m->regions == NULL)
            abort();
    }
    uint8_t *bytes = calloc(1, size ? size : 1);
    if (bytes == NULL)
        abort();
    m->regions[m->count++] = (struct fake_region){.addr = addr, .size = size, .bytes = bytes};
    return bytes;
}

void fake_memory_put(struct fake_memory *m, uint64_t addr, const void *value, size_t size)
{
    struct fake_region *r = region_of(m, addr, size);
    if (r == NULL) {
        fprintf(stderr, "fake_memory_put: 0x%llx (size %zu) is not in any region\n", (unsigned long long)addr, size);
        abort();
    }
    memcpy(r->bytes + (addr - r->addr), value, size);
}

void fake_memory_put_u64(struct fake_memory *m, uint64_t addr, uint64_t value)
{
    fake_memory_put(m, addr, &value, sizeof value);
}

void fake_memory_put_i32(struct fake_memory *m, uint64_t addr, int32_t value)
{
    fake_memory_put(m, addr, &value, sizeof value);
}
