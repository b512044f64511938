/* Stacks read from a target but not yet known to come from it.
 *
 * Memory is read by PID, and a PID names whichever process holds it now: a target
 * that exits and is reaped can have its PID handed to another process at once (a
 * forked sibling, with the interpreter at the same addresses, reads as valid
 * stacks). Only the pidfd can tell, and asking it is a system call - about 1.4 us
 * on a VM, a fifth of a tick at 100 kHz. So the stacks of a few ticks wait here
 * and are handed on together once a check made after their reads finds the target
 * still alive; if it has gone they are dropped, as nothing proves where they came
 * from. Frames keep their string pointers (the code and symbol caches keep every
 * string until the target is detached); the thread label is copied, as the
 * sampler's per-thread table moves. */
#ifndef PYATTACH_PENDING_STACKS_H
#define PYATTACH_PENDING_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/stack.h"

struct pa_pending_stack {
    struct pa_stack stack;  /* .frames is NULL here: the frames sit in the shared array */
    size_t first_frame;
    char thread_label[96];  /* "" without --threads */
};

struct pa_pending_stacks {
    struct pa_pending_stack *stacks;
    size_t count, capacity;
    struct pa_frame *frames;
    size_t frame_count, frame_capacity;
    /* the summary's counters for the same reads, added when they are confirmed */
    uint64_t samples, idle, errors, truncated;
};

/* Copies stack (its frames included) and the label; false when out of memory. */
bool pa_pending_stacks_add(struct pa_pending_stacks *pending, const struct pa_stack *stack,
                           const char *thread_label);

/* The i-th stack, its .frames pointing into the pending array (valid until the next add or clear). */
struct pa_stack pa_pending_stacks_get(const struct pa_pending_stacks *pending, size_t i);
const char *pa_pending_stacks_label(const struct pa_pending_stacks *pending, size_t i);

/* Whether any stack or counter waits. */
bool pa_pending_stacks_any(const struct pa_pending_stacks *pending);

/* Forgets every stack and counter, keeping the memory for the next ones. */
void pa_pending_stacks_clear(struct pa_pending_stacks *pending);
void pa_pending_stacks_free(struct pa_pending_stacks *pending);

#endif
