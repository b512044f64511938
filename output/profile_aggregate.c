/* Sample -> cProfile aggregation. The rules (see also tests/unit/test_aggregate.c):
 *  - tottime: the sample's weight goes to the innermost frame's function (and to the
 *    edge from its caller);
 *  - cumtime: to every function on the stack, once per sample even under recursion
 *    (a per-function stamp is the seen-set); edges likewise, once per sample;
 *  - ncalls: a frame is a new call unless the thread's previous (complete) sample had the same
 *    call id at the same depth from the root and every frame further out was the same
 *    call too (a new call's callees are new calls). A new call adds 1 to the function's
 *    nc, and to cc when the function is not already further out on this stack (that is
 *    how cProfile tells primitive calls from recursive ones); edges the same way.
 *  - an incomplete sample (the walk stopped before the root: torn read, depth cap) adds
 *    its times but counts no calls and leaves the thread's call state alone: its depths
 *    from the root are unknown and the sampler's call ids chain from the root, so
 *    comparing would count every frame again at each torn read. A call that begins and
 *    ends within incomplete samples is therefore not counted.
 *  Samples are never counted as calls; an empty stack ends all of the thread's calls. */
#include "output/profile_aggregate.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct pa_thread_calls {
    int pid, tid;
    uint64_t *ids;     /* call ids of the last complete sample, root first */
    uint32_t n, capacity;
};

struct thread_key {
    const struct pa_aggregate *agg;
    int pid, tid;
};

static bool thread_equal(const void *key, uint32_t entry)
{
    const struct thread_key *k = key;
    const struct pa_thread_calls *t = &k->agg->threads[entry];
    return t->pid == k->pid && t->tid == k->tid;
}

void pa_aggregate_init(struct pa_aggregate *agg)
{
    memset(agg, 0, sizeof *agg);
    pa_profile_init(&agg->profile);
    pa_index_init(&agg->thread_index);
}

void pa_aggregate_free(struct pa_aggregate *agg)
{
    for (uint32_t i = 0; i < agg->nthreads; i++)
        free(agg->threads[i].ids);
    free(agg->threads);
    free(agg->stack_funcs);
    pa_index_free(&agg->thread_index);
    pa_profile_free(&agg->profile);
    pa_aggregate_init(agg);
}

static struct pa_thread_calls *thread_calls(struct pa_aggregate *agg, int pid, int tid)
{
    uint32_t hash = pa_hash_mix(pa_hash_mix(7, (uint32_t)pid), (uint32_t)tid);
    struct thread_key key = {agg, pid, tid};
    uint32_t n = pa_index_find(&agg->thread_index, hash, thread_equal, &key);
    if (n != PA_INDEX_NONE)
        return &agg->threads[n];
    if (agg->nthreads == agg->threads_capacity) {
        uint32_t cap = agg->threads_capacity ? agg->threads_capacity * 2 : 8;
        struct pa_thread_calls *grown = realloc(agg->threads, cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        agg->threads = grown;
        agg->threads_capacity = cap;
    }
    n = agg->nthreads;
    if (!pa_index_insert(&agg->thread_index, hash, n))
        return NULL;
    agg->threads[n] = (struct pa_thread_calls){.pid = pid, .tid = tid};
    agg->nthreads++;
    return &agg->threads[n];
}

static bool remember_calls(struct pa_thread_calls *t, const struct pa_stack *stack)
{
    if (stack->depth > t->capacity) {
        if (stack->depth > UINT32_MAX)
            return false;
        uint64_t *ids = realloc(t->ids, stack->depth * sizeof *ids);
        if (ids == NULL)
            return false;
        t->ids = ids;
        t->capacity = (uint32_t)stack->depth;
    }
    for (size_t d = 0; d < stack->depth; d++)
        t->ids[d] = stack->frames[stack->depth - 1 - d].call_id;
    t->n = (uint32_t)stack->depth;
    return true;
}

static uint32_t frame_func(struct pa_profile *p, const struct pa_frame *frame)
{
    const char *file = frame->filename ? frame->filename : "~";
    const char *name = frame->function ? frame->function : "";
    uint32_t file_id = pa_strtab_intern(&p->strings, file, strlen(file));
    uint32_t name_id = pa_strtab_intern(&p->strings, name, strlen(name));
    if (file_id == PA_INDEX_NONE || name_id == PA_INDEX_NONE)
        return PA_INDEX_NONE;
    uint32_t f = pa_profile_func(p, file_id, frame->first_line, name_id);
    if (f != PA_INDEX_NONE)
        p->funcs[f].has_stats = true;
    return f;
}

enum pa_status pa_aggregate_add(struct pa_aggregate *agg, const struct pa_stack *stack,
                                struct pa_error *err)
{
    struct pa_profile *p = &agg->profile;
    struct pa_thread_calls *thread = thread_calls(agg, stack->pid, stack->tid);
    if (thread == NULL)
        return pa_fail(err, PA_E_NOMEM, "out of memory aggregating samples");
    if (stack->depth > agg->stack_capacity) {
        uint32_t *grown = realloc(agg->stack_funcs, stack->depth * sizeof *grown);
        if (grown == NULL)
            return pa_fail(err, PA_E_NOMEM, "out of memory aggregating samples");
        agg->stack_funcs = grown;
        agg->stack_capacity = stack->depth;
    }
    uint64_t stamp = ++agg->samples;
    bool counting = !stack->incomplete;
    bool continuing = true; /* every frame further out was the same call as before */
    double w = stack->weight;

    for (size_t d = 0; d < stack->depth; d++) {
        const struct pa_frame *frame = &stack->frames[stack->depth - 1 - d];
        uint32_t f = frame_func(p, frame);
        if (f == PA_INDEX_NONE)
            return pa_fail(err, PA_E_NOMEM, "out of memory aggregating samples");
        agg->stack_funcs[d] = f;
        continuing = continuing && d < thread->n && thread->ids[d] == frame->call_id;
        bool new_call = counting && !continuing;
        bool leaf = d + 1 == stack->depth;

        struct pa_pfunc *fn = &p->funcs[f];
        bool recursive = fn->stamp == stamp;
        if (!recursive) {
            fn->stamp = stamp;
            fn->ct += w;
        }
        if (new_call) {
            fn->nc++;
            if (!recursive)
                fn->cc++;
        }
        if (leaf)
            fn->tt += w;

        if (d == 0)
            continue;
        uint32_t e = pa_profile_edge(p, agg->stack_funcs[d - 1], f);
        if (e == PA_INDEX_NONE)
            return pa_fail(err, PA_E_NOMEM, "out of memory aggregating samples");
        struct pa_pedge *edge = &p->edges[e];
        bool edge_recursive = edge->stamp == stamp;
        if (!edge_recursive) {
            edge->stamp = stamp;
            edge->ct += w;
        }
        if (new_call) {
            edge->nc++;
            if (!edge_recursive)
                edge->cc++;
        }
        if (leaf)
            edge->tt += w;
    }
    if (counting && !remember_calls(thread, stack))
        return pa_fail(err, PA_E_NOMEM, "out of memory aggregating samples");
    return PA_OK;
}

size_t pa_aggregate_bytes(const struct pa_aggregate *agg)
{
    size_t bytes = pa_profile_bytes(&agg->profile) +
                   agg->threads_capacity * sizeof *agg->threads +
                   agg->thread_index.capacity * sizeof(struct pa_index_slot) +
                   agg->stack_capacity * sizeof *agg->stack_funcs;
    for (uint32_t i = 0; i < agg->nthreads; i++)
        bytes += agg->threads[i].capacity * sizeof(uint64_t);
    return bytes;
}
