/* What one refresh shows, copied out of the model so the display can stay frozen
 * (the `p` key) while sampling goes on: function rows, thread rows, header figures.
 * Sorting and filtering pick rows from it at drawing time. */
#ifndef PYATTACH_TOP_SNAPSHOT_H
#define PYATTACH_TOP_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/options.h"
#include "cli/top/top_model.h"

struct top_row {
    char *function, *file;  /* owned copies */
    int64_t line;           /* co_firstlineno, as pstats keys functions */
    double own, total;      /* tottime, cumtime: seconds */
    int64_t calls;          /* nc: calls observed */
    bool endpoint;          /* --by-request: a request root (no caller), for the endpoints view */
};

struct top_table {
    struct top_row *rows;
    size_t count;
    double weight;          /* seconds of all stacks: the 100% of the % columns */
};

struct top_thread_row {
    int pid, tid;
    char label[96];
    double time, interval;  /* accumulated, last interval */
    char leaf[256], leaf_file[512];
    int leaf_line;
};

struct top_header {
    char targets[160];      /* "PID 4242 python3 app.py" or "PIDs 4242, 4250 (2 of 3 alive)" */
    char versions[64];      /* "CPython 3.12.1" */
    enum pa_mode mode;
    double rate;            /* samples/s achieved over the last interval */
    unsigned active, idle;  /* threads at the latest sample */
    double gil;             /* share of thread listings where some thread held the GIL, last interval */
    bool gil_known;
    uint64_t errors;        /* failed or torn samples since the start */
    double elapsed;         /* seconds since the start or the last reset */
    double interval;        /* seconds of the last refresh interval */
    bool exited;            /* every target is gone */
    char cwd[512];          /* the first target's working directory: names under it are shown relative */
    bool by_request;        /* --by-request: the endpoints view (R) has rows */
    size_t requests_folded; /* distinct request labels past the cap, under <other requests>, since top started */
};

enum top_sort { TOP_SORT_OWN, TOP_SORT_TOTAL, TOP_SORT_CALLS, TOP_SORT_NAME };

struct top_snapshot {
    struct top_header header;
    struct top_table accumulated, interval;
    struct top_thread_row *threads;
    size_t nthreads;
};

/* Replaces snap's tables and threads with the model's; PA_E_NOMEM on failure. */
enum pa_status top_snapshot_take(struct top_snapshot *snap, const struct top_model *model, struct pa_error *err);
void top_snapshot_free(struct top_snapshot *snap);

/* Row numbers of table that pass filter (a substring of function or file; NULL or
 * "" passes all), best first by sort. Writes at most max; returns how many pass.
 * endpoints: only the request roots, sorted as the endpoints view says (1: time per
 * request, 2: time, 3: requests, 4: name). */
size_t top_table_select(const struct top_table *table, enum top_sort sort, bool endpoints, const char *filter,
                        size_t *out, size_t max);

const char *top_sort_name(enum top_sort sort, bool endpoints);

/* A row's cumulative time per call: an endpoint's time per request. */
double top_row_per_call(const struct top_row *row);

#endif
