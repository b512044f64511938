/* String interning: a hash index over entries whose bytes live in 64 KiB blocks
 * (a longer string gets a block of its own), so text pointers never move. */
#include "output/strtab.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE 65536

struct pa_strtab_block {
    struct pa_strtab_block *next;
    size_t size;
    char data[];
};

struct probe {
    const struct pa_strtab *tab;
    const char *text;
    size_t len;
};

static bool equal(const void *key, uint32_t entry)
{
    const struct probe *p = key;
    const struct pa_strtab_entry *e = &p->tab->entries[entry];
    return e->len == p->len && memcmp(e->text, p->text, p->len) == 0;
}

void pa_strtab_init(struct pa_strtab *tab)
{
    memset(tab, 0, sizeof *tab);
    pa_index_init(&tab->index);
}

void pa_strtab_free(struct pa_strtab *tab)
{
    struct pa_strtab_block *b = tab->blocks;
    while (b != NULL) {
        struct pa_strtab_block *next = b->next;
        free(b);
        b = next;
    }
    free(tab->entries);
    pa_index_free(&tab->index);
    pa_strtab_init(tab);
}

static char *store(struct pa_strtab *tab, const char *text, size_t len)
{
    size_t need = len + 1;
    struct pa_strtab_block *b = tab->blocks;
    if (b == NULL || b->size - tab->block_used < need) {
        size_t size = need > BLOCK_SIZE / 4 ? need : BLOCK_SIZE;
        struct pa_strtab_block *nb = malloc(sizeof *nb + size);
        if (nb == NULL)
            return NULL;
        nb->size = size;
        if (size == need && b != NULL) {
            /* a big string: keep filling the current block afterwards */
            nb->next = b->next;
            b->next = nb;
            memcpy(nb->data, text, len);
            nb->data[len] = '\0';
            return nb->data;
        }
        nb->next = b;
        tab->blocks = nb;
        tab->block_used = 0;
        b = nb;
    }
    char *dst = b->data + tab->block_used;
    memcpy(dst, text, len);
    dst[len] = '\0';
    tab->block_used += need;
    return dst;
}

uint32_t pa_strtab_intern(struct pa_strtab *tab, const char *text, size_t len)
{
    if (len > UINT32_MAX - 1)
        return PA_INDEX_NONE;
    uint32_t hash = pa_hash_bytes(text, len);
    struct probe key = {tab, text, len};
    uint32_t id = pa_index_find(&tab->index, hash, equal, &key);
    if (id != PA_INDEX_NONE)
        return id;
    if (tab->count == tab->capacity) {
        uint32_t capacity = tab->capacity ? tab->capacity * 2 : 256;
        if (capacity >= PA_INDEX_NONE)
            return PA_INDEX_NONE;
        struct pa_strtab_entry *entries = realloc(tab->entries, capacity * sizeof *entries);
        if (entries == NULL)
            return PA_INDEX_NONE;
        tab->entries = entries;
        tab->capacity = capacity;
    }
    char *copy = store(tab, text, len);
    if (copy == NULL)
        return PA_INDEX_NONE;
    id = tab->count;
    if (!pa_index_insert(&tab->index, hash, id))
        return PA_INDEX_NONE;
    tab->entries[id] = (struct pa_strtab_entry){copy, (uint32_t)len, hash};
    tab->count++;
    return id;
}

size_t pa_strtab_bytes(const struct pa_strtab *tab)
{
    size_t bytes = tab->capacity * sizeof *tab->entries +
                   tab->index.capacity * sizeof *tab->index.slots;
    for (const struct pa_strtab_block *b = tab->blocks; b != NULL; b = b->next)
        bytes += sizeof *b + b->size;
    return bytes;
}
