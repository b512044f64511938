/* A page cache in front of a reader, valid for one sample: the frames of a 3.11+
 * thread sit side by side in its data stack and code objects of one module sit
 * together, so most reads of a sample hit a page already copied. Pages are 4 KiB
 * and aligned, so a page read succeeds exactly when the small read would. */
#ifndef PYATTACH_READ_CACHE_H
#define PYATTACH_READ_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "attach/memory.h"

#define PA_CACHE_PAGE 4096
#define PA_CACHE_SLOTS 64 /* direct-mapped: 256 KiB */

struct pa_read_cache {
    struct pa_reader reader; /* what callers read through */
    struct pa_reader *inner; /* the target's own reader */
    uint64_t generation;     /* a slot is valid when its generation matches */
    uint64_t slot_page[PA_CACHE_SLOTS];
    uint64_t slot_generation[PA_CACHE_SLOTS];
    uint8_t *pages;          /* PA_CACHE_SLOTS * PA_CACHE_PAGE bytes */
    uint64_t hits, misses;
};

/* False when out of memory. */
bool pa_read_cache_init(struct pa_read_cache *cache, struct pa_reader *inner);
void pa_read_cache_free(struct pa_read_cache *cache);

/* Forgets every page: call before each sample, so a sample never mixes old data in. */
void pa_read_cache_clear(struct pa_read_cache *cache);

#endif
