/* Copying the model into rows, and choosing which rows to show in which order. */
#include "cli/top/top_snapshot.h"

#include <stdlib.h>
#include <string.h>

static void free_table(struct top_table *t)
{
    for (size_t i = 0; i < t->count; i++) {
        free(t->rows[i].function);
        free(t->rows[i].file);
    }
    free(t->rows);
    memset(t, 0, sizeof *t);
}

void top_snapshot_free(struct top_snapshot *snap)
{
    free_table(&snap->accumulated);
    free_table(&snap->interval);
    free(snap->threads);
    snap->threads = NULL;
    snap->nthreads = 0;
}

static enum pa_status copy_table(struct top_table *t, const struct pa_aggregate *agg, double weight,
                                 struct pa_error *err)
{
    const struct pa_profile *p = &agg->profile;
    t->weight = weight;
    t->rows = calloc(p->nfuncs ? p->nfuncs : 1, sizeof *t->rows);
    if (t->rows == NULL)
        return pa_fail(err, PA_E_NOMEM, "out of memory");
    for (uint32_t i = 0; i < p->nfuncs; i++) {
        const struct pa_pfunc *f = &p->funcs[i];
        if (!f->has_stats)
            continue;
        struct top_row *row = &t->rows[t->count];
        row->function = strdup(pa_strtab_text(&p->strings, f->name));
        row->file = strdup(pa_strtab_text(&p->strings, f->file));
        t->count++;
        if (row->function == NULL || row->file == NULL)
            return pa_fail(err, PA_E_NOMEM, "out of memory");
        row->line = f->line;
        row->own = f->tt;
        row->total = f->ct;
        row->calls = f->nc;
        row->endpoint = f->callers_head == PA_INDEX_NONE && strcmp(row->file, "~") == 0;
    }
    return PA_OK;
}

enum pa_status top_snapshot_take(struct top_snapshot *snap, const struct top_model *m, struct pa_error *err)
{
    top_snapshot_free(snap);
    enum pa_status status = copy_table(&snap->accumulated, &m->total, m->total_weight, err);
    if (status == PA_OK)
        status = copy_table(&snap->interval, top_model_last_interval(m), top_model_last_interval_weight(m), err);
    if (status != PA_OK)
        return status;
    snap->threads = calloc(m->nthreads ? m->nthreads : 1, sizeof *snap->threads);
    if (snap->threads == NULL)
        return pa_fail(err, PA_E_NOMEM, "out of memory");
    for (size_t i = 0; i < m->nthreads; i++) {
        const struct top_thread *t = &m->threads[i];
        struct top_thread_row *row = &snap->threads[i];
        row->pid = t->pid;
        row->tid = t->tid;
        memcpy(row->label, t->label, sizeof row->label);
        row->time = t->time[0];
        row->interval = t->last_interval;
        memcpy(row->leaf, t->leaf, sizeof row->leaf);
        memcpy(row->leaf_file, t->leaf_file, sizeof row->leaf_file);
        row->leaf_line = t->leaf_line;
    }
    snap->nthreads = m->nthreads;
    return PA_OK;
}

const char *top_sort_name(enum top_sort sort, bool endpoints)
{
    if (endpoints)
        return sort == TOP_SORT_OWN ? "Time/Req" : sort == TOP_SORT_TOTAL ? "Time" : sort == TOP_SORT_CALLS ? "Requests"
                                                                                                          : "Endpoint";
    switch (sort) {
    case TOP_SORT_TOTAL:
        return "%Total";
    case TOP_SORT_CALLS:
        return "Calls";
    case TOP_SORT_NAME:
        return "Function";
    case TOP_SORT_OWN:
        break;
    }
    return "%Own";
}

struct order {
    const struct top_table *table;
    enum top_sort sort;
    bool endpoints;
};

/* qsort has no context argument: the order travels in front of each index. */
struct keyed {
    const struct order *order;
    size_t row;
};

static int by_name(const struct top_row *a, const struct top_row *b)
{
    int c = strcmp(a->function, b->function);
    if (c == 0)
        c = strcmp(a->file, b->file);
    return c ? c : (a->line > b->line) - (a->line < b->line);
}

static int compare(const void *pa, const void *pb)
{
    const struct keyed *ka = pa, *kb = pb;
    const struct top_row *a = &ka->order->table->rows[ka->row], *b = &kb->order->table->rows[kb->row];
    double x = 0, y = 0;
    switch (ka->order->sort) {
    case TOP_SORT_OWN:
        x = a->own, y = b->own;
        if (ka->order->endpoints) /* time per request */
            x = top_row_per_call(a), y = top_row_per_call(b);
        break;
    case TOP_SORT_TOTAL:
        x = a->total, y = b->total;
        break;
    case TOP_SORT_CALLS:
        x = (double)a->calls, y = (double)b->calls;
        break;
    case TOP_SORT_NAME:
        return by_name(a, b);
    }
    if (x != y)
        return x < y ? 1 : -1;
    return by_name(a, b);
}

static bool passes(const struct top_row *row, const char *filter)
{
    return filter == NULL || filter[0] == '\0' || strstr(row->function, filter) || strstr(row->file, filter);
}

double top_row_per_call(const struct top_row *row)
{
    return row->calls > 0 ? row->total / (double)row->calls : 0.0;
}

size_t top_table_select(const struct top_table *table, enum top_sort sort, bool endpoints, const char *filter,
                        size_t *out, size_t max)
{
    struct order order = {table, sort, endpoints};
    struct keyed *keys = malloc((table->count ? table->count : 1) * sizeof *keys);
    if (keys == NULL)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < table->count; i++)
        if ((!endpoints || table->rows[i].endpoint) && passes(&table->rows[i], filter))
            keys[n++] = (struct keyed){&order, i};
    qsort(keys, n, sizeof *keys, compare);
    for (size_t i = 0; i < n && i < max; i++)
        out[i] = keys[i].row;
    free(keys);
    return n;
}
