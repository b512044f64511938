/* The speedscope writer (-f speedscope, .json): shared frames and one "sampled"
 * profile per (pid, tid); consecutive samples of the same stack are merged into one
 * with the summed weight, which speedscope displays identically. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output/json.h"
#include "output/stack_trie.h"
#include "output/writer_impl.h"

struct thread_samples {
    int pid, tid;
    double start;        /* timestamp of the first sample */
    double total;        /* sum of weights */
    uint32_t *nodes;     /* leaf node of each (merged) sample */
    double *weights;
    uint32_t n, capacity;
};

struct speedscope_writer {
    struct pa_writer base;
    struct pa_stack_trie trie;
    struct thread_samples *threads;
    uint32_t nthreads, threads_capacity;
    struct pa_index thread_index;
    struct pa_native_lines lines; /* lookup NULL: none given */
};

struct thread_key {
    const struct speedscope_writer *w;
    int pid, tid;
};

static bool thread_equal(const void *key, uint32_t entry)
{
    const struct thread_key *k = key;
    return k->w->threads[entry].pid == k->pid && k->w->threads[entry].tid == k->tid;
}

static struct pa_writer *create(void)
{
    struct speedscope_writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->base.ops = &pa_speedscope_writer_ops;
    pa_stack_trie_init(&w->trie);
    pa_index_init(&w->thread_index);
    return &w->base;
}

static struct thread_samples *thread_for(struct speedscope_writer *w, const struct pa_stack *stack)
{
    uint32_t hash = pa_hash_mix(pa_hash_mix(11, (uint32_t)stack->pid), (uint32_t)stack->tid);
    struct thread_key key = {w, stack->pid, stack->tid};
    uint32_t i = pa_index_find(&w->thread_index, hash, thread_equal, &key);
    if (i != PA_INDEX_NONE)
        return &w->threads[i];
    if (w->nthreads == w->threads_capacity) {
        uint32_t cap = w->threads_capacity ? w->threads_capacity * 2 : 8;
        struct thread_samples *grown = realloc(w->threads, cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        w->threads = grown;
        w->threads_capacity = cap;
    }
    i = w->nthreads;
    if (!pa_index_insert(&w->thread_index, hash, i))
        return NULL;
    w->threads[i] = (struct thread_samples){.pid = stack->pid, .tid = stack->tid,
                                            .start = stack->timestamp};
    w->nthreads++;
    return &w->threads[i];
}

static enum pa_status add(struct pa_writer *writer, const struct pa_stack *stack,
                          struct pa_error *err)
{
    struct speedscope_writer *w = (struct speedscope_writer *)writer;
    uint32_t leaf;
    if (!pa_stack_trie_add(&w->trie, stack, &leaf))
        return pa_fail(err, PA_E_NOMEM, "out of memory collecting stacks");
    if (leaf == PA_INDEX_NONE)
        return PA_OK; /* an empty stack: nothing to show */
    struct thread_samples *t = thread_for(w, stack);
    if (t == NULL)
        return pa_fail(err, PA_E_NOMEM, "out of memory collecting stacks");
    t->total += stack->weight;
    if (t->n > 0 && t->nodes[t->n - 1] == leaf) {
        t->weights[t->n - 1] += stack->weight;
        return PA_OK;
    }
    if (t->n == t->capacity) {
        uint32_t cap = t->capacity ? t->capacity * 2 : 64;
        uint32_t *nodes = realloc(t->nodes, cap * sizeof *nodes);
        if (nodes == NULL)
            return pa_fail(err, PA_E_NOMEM, "out of memory collecting stacks");
        t->nodes = nodes;
        double *weights = realloc(t->weights, cap * sizeof *weights);
        if (weights == NULL)
            return pa_fail(err, PA_E_NOMEM, "out of memory collecting stacks");
        t->weights = weights;
        t->capacity = cap;
    }
    t->nodes[t->n] = leaf;
    t->weights[t->n] = stack->weight;
    t->n++;
    return PA_OK;
}

static void write_frames(FILE *out, const struct pa_stack_trie *trie)
{
    fputs("\"shared\":{\"frames\":[", out);
    for (uint32_t i = 0; i < trie->nframes; i++) {
        const struct pa_tframe *f = &trie->frames[i];
        const char *file = pa_strtab_text(&trie->strings, f->file);
        fputs(i ? ",{\"name\":" : "{\"name\":", out);
        pa_json_string(out, pa_strtab_text(&trie->strings, f->function),
                       pa_strtab_len(&trie->strings, f->function));
        if (strcmp(file, "~") != 0) {
            fputs(",\"file\":", out);
            pa_json_string(out, file, pa_strtab_len(&trie->strings, f->file));
            if (f->line > 0)
                fprintf(out, ",\"line\":%d", f->line);
        }
        fputc('}', out);
    }
    fputs("]}", out);
}

static void write_profile(FILE *out, const struct pa_stack_trie *trie,
                          const struct thread_samples *t, uint32_t *path)
{
    char name[64];
    snprintf(name, sizeof name, "pid %d, thread %d", t->pid, t->tid);
    fputs("{\"type\":\"sampled\",\"name\":", out);
    pa_json_string(out, name, strlen(name));
    fputs(",\"unit\":\"seconds\",\"startValue\":", out);
    pa_json_number(out, t->start);
    fputs(",\"endValue\":", out);
    pa_json_number(out, t->start + t->total);
    fputs(",\"samples\":[", out);
    for (uint32_t s = 0; s < t->n; s++) {
        size_t depth = pa_stack_trie_path(trie, t->nodes[s], path, trie->max_depth);
        fputs(s ? ",[" : "[", out);
        for (size_t i = 0; i < depth; i++)
            fprintf(out, i ? ",%u" : "%u", path[i]);
        fputc(']', out);
    }
    fputs("],\"weights\":[", out);
    for (uint32_t s = 0; s < t->n; s++) {
        if (s)
            fputc(',', out);
        pa_json_number(out, t->weights[s]);
    }
    fputs("]}", out);
}

static void describe(struct pa_writer *writer, const struct pa_recording_info *info)
{
    struct speedscope_writer *w = (struct speedscope_writer *)writer;
    w->lines = info->native_lines ? *info->native_lines : (struct pa_native_lines){0};
}

/* Native frames get their source lines (stack_trie.h); the samples' leaves follow. */
static bool resolve(struct speedscope_writer *w)
{
    uint32_t *node_map = malloc((w->trie.nnodes ? w->trie.nnodes : 1) * sizeof *node_map);
    if (node_map == NULL || !pa_stack_trie_resolve(&w->trie, w->lines.lookup ? &w->lines : NULL, node_map)) {
        free(node_map);
        return false;
    }
    for (uint32_t i = 0; i < w->nthreads; i++)
        for (uint32_t s = 0; s < w->threads[i].n; s++)
            w->threads[i].nodes[s] = node_map[w->threads[i].nodes[s]];
    free(node_map);
    return true;
}

static enum pa_status write_out(struct pa_writer *writer, FILE *out, struct pa_error *err)
{
    struct speedscope_writer *w = (struct speedscope_writer *)writer;
    if (!resolve(w))
        return pa_fail(err, PA_E_NOMEM, "out of memory writing the speedscope profile");
    uint32_t *path = malloc((w->trie.max_depth ? w->trie.max_depth : 1) * sizeof *path);
    if (path == NULL)
        return pa_fail(err, PA_E_NOMEM, "out of memory writing the speedscope profile");
    fputs("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",", out);
    write_frames(out, &w->trie);
    fputs(",\"profiles\":[", out);
    for (uint32_t i = 0; i < w->nthreads; i++) {
        if (i)
            fputc(',', out);
        write_profile(out, &w->trie, &w->threads[i], path);
    }
    fputs("],\"name\":\"pyattach\",\"activeProfileIndex\":0,\"exporter\":\"pyattach\"}\n", out);
    free(path);
    if (fflush(out) != 0 || ferror(out))
        return pa_fail(err, PA_E_OUTPUT, "cannot write the speedscope profile: %s", strerror(errno));
    return PA_OK;
}

static void destroy(struct pa_writer *writer)
{
    struct speedscope_writer *w = (struct speedscope_writer *)writer;
    if (w == NULL)
        return;
    for (uint32_t i = 0; i < w->nthreads; i++) {
        free(w->threads[i].nodes);
        free(w->threads[i].weights);
    }
    free(w->threads);
    pa_index_free(&w->thread_index);
    pa_stack_trie_free(&w->trie);
    free(w);
}

const struct pa_writer_ops pa_speedscope_writer_ops = {
    .name = "speedscope",
    .create = create,
    .add = add,
    .write = write_out,
    .destroy = destroy,
    .describe = describe,
};
