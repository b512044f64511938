/* Function and caller-edge tables of a profile, each with its hash index. */
#include "output/profile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct func_key {
    const struct pa_profile *profile;
    uint32_t file, name;
    int64_t line;
};

struct edge_key {
    const struct pa_profile *profile;
    uint32_t caller, callee;
};

static bool func_equal(const void *key, uint32_t entry)
{
    const struct func_key *k = key;
    const struct pa_pfunc *f = &k->profile->funcs[entry];
    return f->file == k->file && f->name == k->name && f->line == k->line;
}

static bool edge_equal(const void *key, uint32_t entry)
{
    const struct edge_key *k = key;
    const struct pa_pedge *e = &k->profile->edges[entry];
    return e->caller == k->caller && e->callee == k->callee;
}

void pa_profile_init(struct pa_profile *profile)
{
    memset(profile, 0, sizeof *profile);
    pa_strtab_init(&profile->strings);
    pa_index_init(&profile->func_index);
    pa_index_init(&profile->edge_index);
}

void pa_profile_free(struct pa_profile *profile)
{
    pa_strtab_free(&profile->strings);
    free(profile->funcs);
    free(profile->edges);
    pa_index_free(&profile->func_index);
    pa_index_free(&profile->edge_index);
    pa_profile_init(profile);
}

uint32_t pa_profile_func(struct pa_profile *profile, uint32_t file, int64_t line, uint32_t name)
{
    uint32_t hash = pa_hash_mix(pa_hash_mix(pa_hash_mix(0, file), name), (uint64_t)line);
    struct func_key key = {profile, file, name, line};
    uint32_t n = pa_index_find(&profile->func_index, hash, func_equal, &key);
    if (n != PA_INDEX_NONE)
        return n;
    if (!pa_index_reserve((void **)&profile->funcs, profile->nfuncs, &profile->funcs_capacity,
                 sizeof *profile->funcs))
        return PA_INDEX_NONE;
    n = profile->nfuncs;
    if (!pa_index_insert(&profile->func_index, hash, n))
        return PA_INDEX_NONE;
    profile->funcs[n] = (struct pa_pfunc){
        .file = file, .name = name, .line = line,
        .callers_head = PA_INDEX_NONE, .callers_tail = PA_INDEX_NONE,
    };
    profile->nfuncs++;
    return n;
}

uint32_t pa_profile_edge(struct pa_profile *profile, uint32_t caller, uint32_t callee)
{
    uint32_t hash = pa_hash_mix(pa_hash_mix(1, caller), callee);
    struct edge_key key = {profile, caller, callee};
    uint32_t n = pa_index_find(&profile->edge_index, hash, edge_equal, &key);
    if (n != PA_INDEX_NONE)
        return n;
    if (!pa_index_reserve((void **)&profile->edges, profile->nedges, &profile->edges_capacity,
                 sizeof *profile->edges))
        return PA_INDEX_NONE;
    n = profile->nedges;
    if (!pa_index_insert(&profile->edge_index, hash, n))
        return PA_INDEX_NONE;
    profile->edges[n] = (struct pa_pedge){.caller = caller, .callee = callee, .next = PA_INDEX_NONE};
    profile->nedges++;
    struct pa_pfunc *f = &profile->funcs[callee];
    if (f->callers_tail == PA_INDEX_NONE)
        f->callers_head = n;
    else
        profile->edges[f->callers_tail].next = n;
    f->callers_tail = n;
    return n;
}

size_t pa_profile_std_string(const struct pa_profile *profile, uint32_t func, char *buf, size_t size)
{
    const struct pa_pfunc *f = &profile->funcs[func];
    const char *file = pa_strtab_text(&profile->strings, f->file);
    const char *name = pa_strtab_text(&profile->strings, f->name);
    size_t name_len = pa_strtab_len(&profile->strings, f->name);
    int n;
    if (f->line == 0 && strcmp(file, "~") == 0) {
        /* pstats: built-ins are keyed ("~", 0, name) and shown by name, "<x>" as "{x}" */
        if (name_len >= 1 && name[0] == '<' && name[name_len - 1] == '>') {
            int inner = name_len >= 2 ? (int)(name_len - 2) : 0;
            n = snprintf(buf, size, "{%.*s}", inner, name + 1);
        } else {
            n = snprintf(buf, size, "%s", name);
        }
    } else {
        n = snprintf(buf, size, "%s:%" PRId64 "(%s)", file, f->line, name);
    }
    return n < 0 ? 0 : (size_t)n;
}

size_t pa_profile_bytes(const struct pa_profile *profile)
{
    return sizeof *profile + pa_strtab_bytes(&profile->strings) +
           (size_t)profile->funcs_capacity * sizeof *profile->funcs +
           (size_t)profile->edges_capacity * sizeof *profile->edges +
           (profile->func_index.capacity + profile->edge_index.capacity) *
               sizeof(struct pa_index_slot);
}

enum pa_status pa_profile_load_file(const char *path, pa_profile_loader load, struct pa_profile *p,
                                    struct pa_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return pa_fail(err, PA_E_USAGE, "cannot open %s: %s", path, strerror(errno));
    unsigned char *data = NULL;
    size_t len = 0, capacity = 0;
    enum pa_status st = PA_OK;
    for (;;) {
        if (len == capacity) {
            capacity = capacity ? capacity * 2 : 65536;
            unsigned char *grown = realloc(data, capacity);
            if (grown == NULL) {
                st = pa_fail(err, PA_E_NOMEM, "out of memory reading %s", path);
                break;
            }
            data = grown;
        }
        size_t n = fread(data + len, 1, capacity - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f))
                st = pa_fail(err, PA_E_USAGE, "cannot read %s: %s", path, strerror(errno));
            break;
        }
    }
    fclose(f);
    if (st == PA_OK) {
        st = load(data, len, p, err);
        if (st == PA_E_CORRUPT && err != NULL) {
            char why[sizeof err->message];
            snprintf(why, sizeof why, "%s", err->message);
            pa_fail(err, PA_E_CORRUPT, "%s: %s", path, why);
        }
    }
    free(data);
    return st;
}
