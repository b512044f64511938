/* What top accumulates from the sampler: the cProfile aggregate since the start or the
 * last reset, one per refresh interval, and each thread's activity. */
#ifndef PYATTACH_TOP_MODEL_H
#define PYATTACH_TOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "attach/error.h"
#include "output/profile_aggregate.h"
#include "output/stack.h"
#include "output/writer.h"

struct top_thread {
    int pid, tid;
    char label[96];          /* its name, from the sampler's <thread TID "NAME"> root */
    double time[2];          /* seconds with Python frames: accumulated, this interval */
    double last_interval;    /* the previous interval's time[1] */
    char leaf[256];          /* what it ran at its latest sample: "function file:line" */
    char leaf_file[512];
    int leaf_line;
};

struct top_model {
    bool strip_thread_root;      /* the sampler adds <thread> roots for us only */
    bool process_roots;          /* ... below a <process> root */
    bool by_request;             /* ... below a --by-request root, outermost */
    struct pa_aggregate total;   /* since the start or the last reset */
    struct pa_writer *tree;      /* the same samples as the HTML viewer's call tree (the S key) */
    struct pa_aggregate interval[2]; /* [building]: this interval; the other: the last one */
    int building;
    double total_weight, interval_weight[2];
    struct top_thread *threads;
    size_t nthreads, threads_capacity;
    struct pa_frame *scratch;    /* a stack without its <thread> root */
    size_t scratch_capacity;
    unsigned tick_stacks;        /* stacks of the current tick (active threads) */
    enum pa_status status;       /* the first failure (out of memory), kept */
    struct pa_error err;
};

void top_model_init(struct top_model *m, bool strip_thread_root, bool process_roots, bool by_request);
void top_model_free(struct top_model *m);

/* One sampled stack (the sampler's sink calls this). */
void top_model_add(struct top_model *m, const struct pa_stack *stack);

/* Ends the refresh interval: the one being built becomes the last one. */
void top_model_end_interval(struct top_model *m);

/* Forgets everything (the `r` key, and a mode change). */
void top_model_reset(struct top_model *m);

static inline const struct pa_aggregate *top_model_last_interval(const struct top_model *m)
{
    return &m->interval[1 - m->building];
}

static inline double top_model_last_interval_weight(const struct top_model *m)
{
    return m->interval_weight[1 - m->building];
}

#endif
