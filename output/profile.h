/* The cProfile data model shared by recording, pstats files and the table printer:
 * functions keyed by (filename, first line, name), each with (cc, nc, tt, ct) and its callers. */
#ifndef PYATTACH_PROFILE_H
#define PYATTACH_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attach/error.h"
#include "output/index_table.h"
#include "output/strtab.h"

struct pa_pfunc {
    uint32_t file, name;        /* ids in profile.strings */
    int64_t line;               /* co_firstlineno; 0 for "~" (built-in / synthetic) */
    int64_t nc, cc;             /* calls, primitive (non-recursive) calls */
    double tt, ct;              /* tottime, cumtime, seconds */
    uint32_t callers_head;      /* edges into this function, oldest first (PA_INDEX_NONE: none) */
    uint32_t callers_tail;
    uint32_t stamp;             /* aggregation: the last sample that had it on the stack */
    bool has_stats;             /* a key of the stats dict, not only named as somebody's caller */
};

/* caller -> callee, stored as the callee's callers[caller] = (nc, cc, tt, ct). */
struct pa_pedge {
    uint32_t caller, callee;    /* function numbers */
    uint32_t next;              /* the callee's next caller edge */
    uint32_t stamp;
    int64_t nc, cc;
    double tt, ct;
};

struct pa_profile {
    struct pa_strtab strings;
    struct pa_pfunc *funcs;
    uint32_t nfuncs, funcs_capacity;
    struct pa_pedge *edges;
    uint32_t nedges, edges_capacity;
    struct pa_index func_index, edge_index;
    bool callers_are_counts;    /* a `profile` (not cProfile) dump: callers values are bare
                                   call counts (kept in nc), not (nc, cc, tt, ct) */
    int cpython_minor;          /* the newest CPython 3.x sampled, 0 if unknown: a pstats dump
                                   is marshalled as that version's cProfile would write it */
};

void pa_profile_init(struct pa_profile *profile);
void pa_profile_free(struct pa_profile *profile);

/* The function number for the key, adding a zeroed function if new
 * (has_stats false); PA_INDEX_NONE when out of memory. */
uint32_t pa_profile_func(struct pa_profile *profile, uint32_t file, int64_t line, uint32_t name);

/* The edge number for caller -> callee, adding a zeroed edge if new. */
uint32_t pa_profile_edge(struct pa_profile *profile, uint32_t caller, uint32_t callee);

/* What pstats' func_std_string() prints for a function: "file:line(name)", or
 * for ("~", 0, name) the bare name, "<x>" shown as "{x}". Writes at most size
 * bytes (NUL-terminated) and returns the full length. */
size_t pa_profile_std_string(const struct pa_profile *profile, uint32_t func, char *buf, size_t size);

/* Bytes the profile holds, for the memory budget. */
size_t pa_profile_bytes(const struct pa_profile *profile);

/* Reads the whole file at path and hands its bytes to load (pa_pstats_load, pa_pprof_load);
 * a PA_E_CORRUPT message gets the path in front. */
typedef enum pa_status (*pa_profile_loader)(const unsigned char *data, size_t len, struct pa_profile *profile,
                                            struct pa_error *err);
enum pa_status pa_profile_load_file(const char *path, pa_profile_loader load, struct pa_profile *profile,
                                    struct pa_error *err);

#endif
