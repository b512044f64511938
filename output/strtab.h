/* Interned strings: each distinct byte string is stored once and named by a
 * small id, so profiles compare and hash names as integers. */
#ifndef PYATTACH_STRTAB_H
#define PYATTACH_STRTAB_H

#include <stddef.h>
#include <stdint.h>

#include "output/index_table.h"

struct pa_strtab_block;

struct pa_strtab_entry {
    const char *text; /* NUL-terminated copy (the bytes may also hold NULs) */
    uint32_t len;
    uint32_t hash;
};

struct pa_strtab {
    struct pa_index index;
    struct pa_strtab_entry *entries;
    uint32_t count, capacity;
    struct pa_strtab_block *blocks; /* storage, newest first */
    size_t block_used;
};

void pa_strtab_init(struct pa_strtab *tab);
void pa_strtab_free(struct pa_strtab *tab);

/* The id of the string, adding it if new; PA_INDEX_NONE when out of memory. */
uint32_t pa_strtab_intern(struct pa_strtab *tab, const char *text, size_t len);

static inline const char *pa_strtab_text(const struct pa_strtab *tab, uint32_t id)
{
    return tab->entries[id].text;
}

static inline size_t pa_strtab_len(const struct pa_strtab *tab, uint32_t id)
{
    return tab->entries[id].len;
}

/* Bytes used by the table, for the memory budget tests. */
size_t pa_strtab_bytes(const struct pa_strtab *tab);

#endif
