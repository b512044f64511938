/* Feeding top's aggregates and per-thread figures from the sampler's stacks. */
#include "cli/top/top_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach/array.h"
#include "output/writer_impl.h"

void top_model_init(struct top_model *m, bool strip_thread_root, bool process_roots, bool by_request)
{
    memset(m, 0, sizeof *m);
    m->strip_thread_root = strip_thread_root;
    m->process_roots = process_roots;
    m->by_request = by_request;
    pa_aggregate_init(&m->total);
    pa_aggregate_init(&m->interval[0]);
    pa_aggregate_init(&m->interval[1]);
    m->tree = pa_html_writer_ops.create();
    if (m->tree == NULL)
        m->status = pa_fail(&m->err, PA_E_NOMEM, "out of memory");
}

void top_model_free(struct top_model *m)
{
    pa_aggregate_free(&m->total);
    pa_aggregate_free(&m->interval[0]);
    pa_aggregate_free(&m->interval[1]);
    pa_html_writer_ops.destroy(m->tree);
    free(m->threads);
    free(m->scratch);
    memset(m, 0, sizeof *m);
}

void top_model_reset(struct top_model *m)
{
    bool strip = m->strip_thread_root, roots = m->process_roots, requests = m->by_request;
    top_model_free(m);
    top_model_init(m, strip, roots, requests);
}

void top_model_end_interval(struct top_model *m)
{
    m->building = 1 - m->building;
    pa_aggregate_free(&m->interval[m->building]); /* leaves it empty and ready */
    m->interval_weight[m->building] = 0;
    for (size_t i = 0; i < m->nthreads; i++) {
        m->threads[i].last_interval = m->threads[i].time[1];
        m->threads[i].time[1] = 0;
    }
}

static struct top_thread *thread_of(struct top_model *m, int pid, int tid)
{
    for (size_t i = 0; i < m->nthreads; i++)
        if (m->threads[i].pid == pid && m->threads[i].tid == tid)
            return &m->threads[i];
    if (!pa_array_reserve((void **)&m->threads, &m->threads_capacity, m->nthreads + 1, sizeof *m->threads))
        return NULL;
    struct top_thread *t = &m->threads[m->nthreads++];
    memset(t, 0, sizeof *t);
    t->pid = pid;
    t->tid = tid;
    snprintf(t->label, sizeof t->label, "?");
    return t;
}

/* The sampler puts the <thread> root outermost, or just inside the <process> root,
 * itself inside the request root with --by-request. */
static size_t thread_root_index(const struct top_model *m, const struct pa_stack *stack)
{
    size_t outer = 1 + (m->process_roots ? 1 : 0) + (m->by_request ? 1 : 0);
    return stack->depth >= outer + 1 ? stack->depth - outer : SIZE_MAX;
}

static void note_thread(struct top_model *m, const struct pa_stack *stack, size_t root)
{
    struct top_thread *t = thread_of(m, stack->pid, stack->tid);
    if (t == NULL)
        return;
    /* "<thread 4250 \"worker\">" -> "worker" */
    const char *label = root != SIZE_MAX ? stack->frames[root].function : NULL;
    const char *quote = label && strncmp(label, "<thread ", 8) == 0 ? strchr(label, '"') : NULL;
    const char *end = quote ? strrchr(label, '"') : NULL;
    if (quote && end > quote + 1)
        snprintf(t->label, sizeof t->label, "%.*s", (int)(end - quote - 1), quote + 1);
    t->time[0] += stack->weight;
    t->time[1] += stack->weight;
    const struct pa_frame *leaf = &stack->frames[0];
    snprintf(t->leaf, sizeof t->leaf, "%s", leaf->function ? leaf->function : "?");
    snprintf(t->leaf_file, sizeof t->leaf_file, "%s", leaf->filename ? leaf->filename : "?");
    t->leaf_line = leaf->line;
}

/* The stack as `record` would see it: without the <thread> root we asked for. */
static const struct pa_stack *without_thread_root(struct top_model *m, const struct pa_stack *stack, size_t root,
                                                  struct pa_stack *out)
{
    if (!m->strip_thread_root || root == SIZE_MAX)
        return stack;
    if (!pa_array_reserve((void **)&m->scratch, &m->scratch_capacity, stack->depth, sizeof *m->scratch))
        return NULL;
    memcpy(m->scratch, stack->frames, root * sizeof *m->scratch);
    memcpy(m->scratch + root, stack->frames + root + 1, (stack->depth - root - 1) * sizeof *m->scratch);
    *out = *stack;
    out->depth = stack->depth - 1;
    out->frames = m->scratch;
    return out;
}

void top_model_add(struct top_model *m, const struct pa_stack *stack)
{
    if (m->status != PA_OK || stack->depth == 0)
        return;
    size_t root = thread_root_index(m, stack);
    m->tick_stacks++;
    note_thread(m, stack, root);
    /* The viewer keeps the <thread> roots: they are its thread selector. */
    if (pa_html_writer_ops.add(m->tree, stack, &m->err) != PA_OK) {
        m->status = m->err.status;
        return;
    }
    struct pa_stack trimmed;
    const struct pa_stack *s = without_thread_root(m, stack, root, &trimmed);
    if (s == NULL) {
        m->status = pa_fail(&m->err, PA_E_NOMEM, "out of memory");
        return;
    }
    if (s->depth == 0)
        return;
    if (pa_aggregate_add(&m->total, s, &m->err) != PA_OK ||
        pa_aggregate_add(&m->interval[m->building], s, &m->err) != PA_OK) {
        m->status = m->err.status;
        return;
    }
    m->total_weight += s->weight;
    m->interval_weight[m->building] += s->weight;
}
