/* An open-addressing hash index from a 32-bit hash to entry numbers: the entries
 * themselves live in the caller's arrays, which keeps every table compact. */
#ifndef PYATTACH_INDEX_TABLE_H
#define PYATTACH_INDEX_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PA_INDEX_NONE UINT32_MAX

struct pa_index_slot {
    uint32_t hash;
    uint32_t entry; /* entry number + 1; 0 = empty */
};

struct pa_index {
    struct pa_index_slot *slots;
    size_t capacity; /* a power of two, or 0 before the first insert */
    size_t count;
};

/* Tells whether entry `entry` equals the key the caller is looking for. */
typedef bool (*pa_index_equal_fn)(const void *key, uint32_t entry);

void pa_index_init(struct pa_index *index);
void pa_index_free(struct pa_index *index);

/* The entry whose hash is `hash` and that `equal` accepts, or PA_INDEX_NONE. */
uint32_t pa_index_find(const struct pa_index *index, uint32_t hash, pa_index_equal_fn equal,
                       const void *key);

/* Adds an entry known to be absent. Returns false when out of memory. */
bool pa_index_insert(struct pa_index *index, uint32_t hash, uint32_t entry);

/* Grows an array of `size`-byte items indexed by uint32_t ids to hold one more (the
 * companion of an index: ids stay below PA_INDEX_NONE); false when out of memory. */
bool pa_index_reserve(void **items, uint32_t count, uint32_t *capacity, size_t size);

/* Hash helpers: bytes (FNV-1a) and mixing integers into a running hash. */
uint32_t pa_hash_bytes(const void *data, size_t len);
uint32_t pa_hash_mix(uint32_t hash, uint64_t value);

#endif
