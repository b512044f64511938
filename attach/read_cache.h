/* A line cache in front of a reader, valid for one sample. Most reads of a sample
 * land near each other (a 3.11+ thread's frames sit side by side in its data stack,
 * code objects of a module together), and a sample mostly reads what the previous
 * one read: the lines it touched are fetched again at the start of the next sample
 * in one vectored read, where the reader has one. Lines are 1 KiB and aligned, so a
 * line read succeeds exactly when the small read inside it would (pages are whole). */
#ifndef PYATTACH_READ_CACHE_H
#define PYATTACH_READ_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "attach/memory.h"

#define PA_CACHE_LINE 1024
#define PA_CACHE_SLOTS 256 /* direct-mapped: 256 KiB */

struct pa_read_cache {
    struct pa_reader reader; /* what callers read through */
    struct pa_reader *inner; /* the target's own reader */
    uint64_t generation;     /* a slot is valid when its generation matches */
    uint64_t slot_line[PA_CACHE_SLOTS];
    uint64_t slot_generation[PA_CACHE_SLOTS];
    uint64_t slot_touched[PA_CACHE_SLOTS];  /* the generation that last used it */
    uint64_t working[PA_CACHE_SLOTS];       /* lines this sample used, first touch order */
    size_t working_count;
    uint8_t *lines;          /* PA_CACHE_SLOTS * PA_CACHE_LINE bytes */
    uint64_t hits, misses, prefetched;
};

/* False when out of memory. */
bool pa_read_cache_init(struct pa_read_cache *cache, struct pa_reader *inner);
void pa_read_cache_free(struct pa_read_cache *cache);

/* Starts a new sample: forgets every line (a sample never mixes old data in), then
 * fetches the lines the previous sample used, in one go. */
void pa_read_cache_clear(struct pa_read_cache *cache);

#endif
