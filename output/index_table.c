/* Open-addressing hash index (linear probing, grows at 3/4 load); stores each
 * entry's hash so growing never has to look at the entries. */
#include "output/index_table.h"

#include <stdlib.h>

void pa_index_init(struct pa_index *index)
{
    index->slots = NULL;
    index->capacity = 0;
    index->count = 0;
}

void pa_index_free(struct pa_index *index)
{
    free(index->slots);
    pa_index_init(index);
}

uint32_t pa_index_find(const struct pa_index *index, uint32_t hash, pa_index_equal_fn equal,
                       const void *key)
{
    if (index->capacity == 0)
        return PA_INDEX_NONE;
    size_t mask = index->capacity - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        const struct pa_index_slot *slot = &index->slots[i];
        if (slot->entry == 0)
            return PA_INDEX_NONE;
        if (slot->hash == hash && equal(key, slot->entry - 1))
            return slot->entry - 1;
    }
}

static void place(struct pa_index_slot *slots, size_t capacity, uint32_t hash, uint32_t entry_plus1)
{
    size_t mask = capacity - 1;
    size_t i = hash & mask;
    while (slots[i].entry != 0)
        i = (i + 1) & mask;
    slots[i].hash = hash;
    slots[i].entry = entry_plus1;
}

static bool grow(struct pa_index *index)
{
    size_t capacity = index->capacity ? index->capacity * 2 : 64;
    struct pa_index_slot *slots = calloc(capacity, sizeof *slots);
    if (slots == NULL)
        return false;
    for (size_t i = 0; i < index->capacity; i++) {
        if (index->slots[i].entry != 0)
            place(slots, capacity, index->slots[i].hash, index->slots[i].entry);
    }
    free(index->slots);
    index->slots = slots;
    index->capacity = capacity;
    return true;
}

bool pa_index_insert(struct pa_index *index, uint32_t hash, uint32_t entry)
{
    if ((index->count + 1) * 4 > index->capacity * 3 && !grow(index))
        return false;
    place(index->slots, index->capacity, hash, entry + 1);
    index->count++;
    return true;
}

uint32_t pa_hash_bytes(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        hash ^= p[i];
        hash *= 16777619u;
    }
    return hash;
}

uint32_t pa_hash_mix(uint32_t hash, uint64_t value)
{
    /* splitmix64 finaliser over the value, folded into the running hash */
    uint64_t x = value + 0x9e3779b97f4a7c15ull + ((uint64_t)hash << 6) + (hash >> 2);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    x ^= x >> 31;
    return (uint32_t)(x ^ (x >> 32)) ^ hash;
}

bool pa_index_reserve(void **items, uint32_t count, uint32_t *capacity, size_t size)
{
    if (count < *capacity)
        return true;
    uint32_t cap = *capacity ? *capacity * 2 : 64;
    if (cap >= PA_INDEX_NONE)
        return false;
    void *grown = realloc(*items, (size_t)cap * size);
    if (grown == NULL)
        return false;
    *items = grown;
    *capacity = cap;
    return true;
}
