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

/* What a thread's last complete sample held at one depth from the root: its call id
 * and, so that frames continuing a call need no lookups, its function and the edge from
 * the frame further out. */
struct call_slot {
    uint64_t id;
    uint32_t func, edge;
};

struct pa_thread_calls {
    int pid, tid;
    struct call_slot *slots;
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
        free(agg->threads[i].slots);
    free(agg->threads);
    free(agg->stack_funcs);
    free(agg->stack_edges);
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

static bool remember_calls(struct pa_aggregate *agg, struct pa_thread_calls *t,
                           const struct pa_stack *stack)
{
    if (stack->depth > t->capacity) {
        struct call_slot *slots = realloc(t->slots, stack->depth * sizeof *slots);
        if (slots == NULL)
            return false;
        t->slots = slots;
        t->capacity = (uint32_t)stack->depth;
    }
    for (size_t d = 0; d < stack->depth; d++) {
        t->slots[d] = (struct call_slot){.id = stack->frames[stack->depth - 1 - d].call_id,
                                         .func = agg->stack_funcs[d],
                                         .edge = agg->stack_edges[d]};
    }
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

/* Whether the frame is the function in the slot: a continuing call id says so for the
 * sampler's ids, which hash the code object; the text check keeps a reused id honest. */
static bool same_function(const struct pa_profile *p, uint32_t f, const struct pa_frame *frame)
{
    const struct pa_pfunc *fn = &p->funcs[f];
    return fn->line == frame->first_line &&
           strcmp(pa_strtab_text(&p->strings, fn->name), frame->function ? frame->function : "") == 0 &&
           strcmp(pa_strtab_text(&p->strings, fn->file), frame->filename ? frame->filename : "~") == 0;
}

static bool reserve_stack(struct pa_aggregate *agg, size_t depth)
{
    if (depth <= agg->stack_capacity)
        return true;
    uint32_t *funcs = realloc(agg->stack_funcs, depth * sizeof *funcs);
    if (funcs == NULL)
        return false;
    agg->stack_funcs = funcs;
    uint32_t *edges = realloc(agg->stack_edges, depth * sizeof *edges);
    if (edges == NULL)
        return false;
    agg->stack_edges = edges;
    agg->stack_capacity = depth;
    return true;
}

/* Stamps are 32 bits: before they wrap, forget them all (every sample starts afresh). */
static uint32_t next_stamp(struct pa_aggregate *agg)
{
    if (agg->stamp == UINT32_MAX) {
        for (uint32_t i = 0; i < agg->profile.nfuncs; i++)
            agg->profile.funcs[i].stamp = 0;
        for (uint32_t i = 0; i < agg->profile.nedges; i++)
            agg->profile.edges[i].stamp = 0;
        agg->stamp = 0;
    }
    agg->samples++;
    return ++agg->stamp;
}

enum pa_status pa_aggregate_add(struct pa_aggregate *agg, const struct pa_stack *stack,
                                struct pa_error *err)
{
    struct pa_profile *p = &agg->profile;
    if (stack->cpython_minor > p->cpython_minor)
        p->cpython_minor = stack->cpython_minor;
    struct pa_thread_calls *thread = thread_calls(agg, stack->pid, stack->tid);
    if (thread == NULL || !reserve_stack(agg, stack->depth))
        return pa_fail(err, PA_E_NOMEM, "out of memory aggregating samples");
    uint32_t stamp = next_stamp(agg);
    bool counting = !stack->incomplete;
    bool continuing = counting; /* every frame further out was the same call as before */
    double w = stack->weight;

    for (size_t d = 0; d < stack->depth; d++) {
        const struct pa_frame *frame = &stack->frames[stack->depth - 1 - d];
        uint32_t f, e = PA_INDEX_NONE;
        continuing = continuing && d < thread->n && thread->slots[d].id == frame->call_id &&
                     same_function(p, thread->slots[d].func, frame);
        if (continuing) {
            f = thread->slots[d].func;
            e = thread->slots[d].edge;
        } else {
            f = frame_func(p, frame);
            if (f != PA_INDEX_NONE && d > 0)
                e = pa_profile_edge(p, agg->stack_funcs[d - 1], f);
            if (f == PA_INDEX_NONE || (d > 0 && e == PA_INDEX_NONE))
                return pa_fail(err, PA_E_NOMEM, "out of memory aggregating samples");
        }
        agg->stack_funcs[d] = f;
        agg->stack_edges[d] = e;
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
    if (counting && !remember_calls(agg, thread, stack))
        return pa_fail(err, PA_E_NOMEM, "out of memory aggregating samples");
    return PA_OK;
}

size_t pa_aggregate_bytes(const struct pa_aggregate *agg)
{
    size_t bytes = pa_profile_bytes(&agg->profile) +
                   agg->threads_capacity * sizeof *agg->threads +
                   agg->thread_index.capacity * sizeof(struct pa_index_slot) +
                   agg->stack_capacity * (sizeof *agg->stack_funcs + sizeof *agg->stack_edges);
    for (uint32_t i = 0; i < agg->nthreads; i++)
        bytes += agg->threads[i].capacity * sizeof(struct call_slot);
    return bytes;
}
