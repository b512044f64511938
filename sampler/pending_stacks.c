/* Stacks waiting for the check that proves their target was still alive. */
#include "sampler/pending_stacks.h"

#include <stdlib.h>
#include <string.h>

#include "attach/array.h"

bool pa_pending_stacks_add(struct pa_pending_stacks *p, const struct pa_stack *stack, const char *thread_label)
{
    if (!pa_array_reserve((void **)&p->stacks, &p->capacity, p->count + 1, sizeof *p->stacks) ||
        !pa_array_reserve((void **)&p->frames, &p->frame_capacity, p->frame_count + stack->depth, sizeof *p->frames))
        return false;
    struct pa_pending_stack *entry = &p->stacks[p->count++];
    entry->stack = *stack;
    entry->stack.frames = NULL;
    entry->first_frame = p->frame_count;
    entry->request_root = NULL;
    /* Not snprintf: this runs for every stack, up to a million times a second. */
    size_t len = thread_label ? strnlen(thread_label, sizeof entry->thread_label - 1) : 0;
    memcpy(entry->thread_label, thread_label ? thread_label : "", len);
    entry->thread_label[len] = '\0';
    if (stack->depth > 0)
        memcpy(p->frames + p->frame_count, stack->frames, stack->depth * sizeof *p->frames);
    p->frame_count += stack->depth;
    return true;
}

struct pa_stack pa_pending_stacks_get(const struct pa_pending_stacks *p, size_t i)
{
    struct pa_stack stack = p->stacks[i].stack;
    stack.frames = p->frames + p->stacks[i].first_frame;
    return stack;
}

const char *pa_pending_stacks_label(const struct pa_pending_stacks *p, size_t i)
{
    return p->stacks[i].thread_label;
}

void pa_pending_stacks_set_request(struct pa_pending_stacks *p, const char *root, uint64_t call_id)
{
    if (p->count > 0) {
        p->stacks[p->count - 1].request_root = root;
        p->stacks[p->count - 1].request_call = call_id;
    }
}

const char *pa_pending_stacks_request(const struct pa_pending_stacks *p, size_t i, uint64_t *call_id)
{
    *call_id = p->stacks[i].request_call;
    return p->stacks[i].request_root;
}

bool pa_pending_stacks_any(const struct pa_pending_stacks *p)
{
    return p->count > 0 || p->samples > 0 || p->idle > 0 || p->errors > 0 || p->truncated > 0;
}

void pa_pending_stacks_clear(struct pa_pending_stacks *p)
{
    p->count = 0;
    p->frame_count = 0;
    p->samples = p->idle = p->errors = p->truncated = 0;
}

void pa_pending_stacks_free(struct pa_pending_stacks *p)
{
    free(p->stacks);
    free(p->frames);
    memset(p, 0, sizeof *p);
}
