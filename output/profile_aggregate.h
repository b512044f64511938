/* Turns samples into cProfile numbers: tottime from the leaf, cumtime once per sample,
 * caller edges, and call counts from call ids that change between a thread's samples. */
#ifndef PYATTACH_PROFILE_AGGREGATE_H
#define PYATTACH_PROFILE_AGGREGATE_H

#include <stdint.h>

#include "attach/error.h"
#include "output/profile.h"
#include "output/stack.h"

struct pa_thread_calls;

struct pa_aggregate {
    struct pa_profile profile;
    uint64_t samples;                /* samples added */
    uint32_t stamp;                  /* the current sample's mark on functions and edges */
    struct pa_thread_calls *threads; /* the last complete sample's call ids, per (pid, tid) */
    uint32_t nthreads, threads_capacity;
    struct pa_index thread_index;
    uint32_t *stack_funcs;           /* scratch, per depth from the root: the function */
    uint32_t *stack_edges;           /* and the edge from the frame further out */
    size_t stack_capacity;
};

void pa_aggregate_init(struct pa_aggregate *agg);
void pa_aggregate_free(struct pa_aggregate *agg);

/* Adds one sample in O(depth). Fails only when out of memory (PA_E_NOMEM). */
enum pa_status pa_aggregate_add(struct pa_aggregate *agg, const struct pa_stack *stack,
                                struct pa_error *err);

/* Bytes held, for the memory budget. */
size_t pa_aggregate_bytes(const struct pa_aggregate *agg);

#endif
