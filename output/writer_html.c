/* The HTML viewer writer (-f html, .html): the true call tree of the samples (one node
 * per path of functions from the root, with its own and total time and its calls), the
 * cProfile figures of the same samples for the stats table, per-line own and total time
 * of each function, and the source text of the files, read from the target when first
 * seen (through /proc/PID/root). Native frames (--native) count per PC while sampling;
 * when the page is written each PC gets its source file:line (pa_native_lines), and the
 * function's lines are those, with their file ("native_lines": a C function's lines may
 * lie in headers inlined into it). The page is output/html_page.c's. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attach/access_check.h"
#include "attach/array.h"
#include "attach/process.h"
#include "output/html_page.h"
#include "output/json.h"
#include "output/profile_aggregate.h"
#include "output/writer_impl.h"

#define SOURCE_FILE_MAX (512u * 1024)     /* bytes kept of one source file */
#define SOURCE_TOTAL_MAX (8u * 1024 * 1024) /* and of all of them: the page stays small */

struct tree_node {
    uint32_t func, parent; /* func: a function of agg.profile; node 0 is the whole profile */
    double self, total;    /* seconds */
    uint64_t calls;
};

struct line_entry {
    uint32_t func;
    int line;
    uint32_t stamp;        /* the last sample that counted its total */
    double self, total;
};

/* A native frame's time per PC (pid, native_id), its line found when written. */
struct native_pc {
    uint32_t func;
    int pid;
    uint32_t native_id;
    uint32_t stamp;
    double self, total;
};

/* A thread's last complete sample, per depth from the root: node and call id. */
struct thread_path {
    int pid, tid;
    uint64_t *ids;
    size_t n, capacity;
};

struct source_file {
    uint32_t file;         /* string id */
    char *text;            /* NULL: not readable */
    size_t len;
};

struct html_writer {
    struct pa_writer base;
    struct pa_aggregate agg;
    struct tree_node *nodes;
    uint32_t nnodes, nodes_capacity;
    struct pa_index node_index;
    struct line_entry *lines;
    uint32_t nlines, lines_capacity;
    struct pa_index line_index;
    uint32_t stamp;
    struct thread_path *threads;
    size_t nthreads, threads_capacity;
    struct source_file *sources;
    size_t nsources, sources_capacity;
    size_t source_bytes;
    struct pa_index source_index;
    struct native_pc *pcs;
    uint32_t npcs, pcs_capacity;
    struct pa_index pc_index;
    struct pa_native_lines native_lines; /* lookup NULL: none given */
    struct native_line *resolved;         /* made by write_out from pcs */
    uint32_t nresolved;
    struct pa_recording_info info;
    char *program;
};

/* A native function's time on one line of one source file. */
struct native_line {
    uint32_t func, file; /* file: a string id */
    int line;
    double self, total;
};

struct node_key {
    const struct html_writer *w;
    uint32_t parent, func;
};

static bool node_equal(const void *key, uint32_t entry)
{
    const struct node_key *k = key;
    return k->w->nodes[entry].parent == k->parent && k->w->nodes[entry].func == k->func;
}

struct line_key {
    const struct html_writer *w;
    uint32_t func;
    int line;
};

static bool line_equal(const void *key, uint32_t entry)
{
    const struct line_key *k = key;
    return k->w->lines[entry].func == k->func && k->w->lines[entry].line == k->line;
}

struct pc_key {
    const struct html_writer *w;
    uint32_t func, native_id;
    int pid;
};

static bool pc_equal(const void *key, uint32_t entry)
{
    const struct pc_key *k = key;
    const struct native_pc *e = &k->w->pcs[entry];
    return e->func == k->func && e->native_id == k->native_id && e->pid == k->pid;
}

struct source_key {
    const struct html_writer *w;
    uint32_t file;
};

static bool source_equal(const void *key, uint32_t entry)
{
    const struct source_key *k = key;
    return k->w->sources[entry].file == k->file;
}

static struct pa_writer *create(void)
{
    struct html_writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->base.ops = &pa_html_writer_ops;
    pa_aggregate_init(&w->agg);
    pa_index_init(&w->node_index);
    pa_index_init(&w->line_index);
    pa_index_init(&w->source_index);
    pa_index_init(&w->pc_index);
    if (!pa_index_reserve((void **)&w->nodes, 0, &w->nodes_capacity, sizeof *w->nodes)) {
        free(w);
        return NULL;
    }
    w->nodes[0] = (struct tree_node){.func = PA_INDEX_NONE, .parent = PA_INDEX_NONE};
    w->nnodes = 1;
    return &w->base;
}

static uint32_t child_node(struct html_writer *w, uint32_t parent, uint32_t func)
{
    uint32_t hash = pa_hash_mix(pa_hash_mix(5, parent), func);
    struct node_key key = {w, parent, func};
    uint32_t n = pa_index_find(&w->node_index, hash, node_equal, &key);
    if (n != PA_INDEX_NONE)
        return n;
    if (!pa_index_reserve((void **)&w->nodes, w->nnodes, &w->nodes_capacity, sizeof *w->nodes))
        return PA_INDEX_NONE;
    n = w->nnodes;
    if (!pa_index_insert(&w->node_index, hash, n))
        return PA_INDEX_NONE;
    w->nodes[n] = (struct tree_node){.func = func, .parent = parent};
    w->nnodes++;
    return n;
}

static struct line_entry *line_entry(struct html_writer *w, uint32_t func, int line)
{
    uint32_t hash = pa_hash_mix(pa_hash_mix(9, func), (uint64_t)(uint32_t)line);
    struct line_key key = {w, func, line};
    uint32_t n = pa_index_find(&w->line_index, hash, line_equal, &key);
    if (n != PA_INDEX_NONE)
        return &w->lines[n];
    if (!pa_index_reserve((void **)&w->lines, w->nlines, &w->lines_capacity, sizeof *w->lines))
        return NULL;
    n = w->nlines;
    if (!pa_index_insert(&w->line_index, hash, n))
        return NULL;
    w->lines[n] = (struct line_entry){.func = func, .line = line, .stamp = UINT32_MAX};
    w->nlines++;
    return &w->lines[n];
}

static struct native_pc *native_pc(struct html_writer *w, uint32_t func, int pid, uint32_t native_id)
{
    uint32_t hash = pa_hash_mix(pa_hash_mix(pa_hash_mix(17, func), (uint32_t)pid), native_id);
    struct pc_key key = {w, func, native_id, pid};
    uint32_t n = pa_index_find(&w->pc_index, hash, pc_equal, &key);
    if (n != PA_INDEX_NONE)
        return &w->pcs[n];
    if (!pa_index_reserve((void **)&w->pcs, w->npcs, &w->pcs_capacity, sizeof *w->pcs))
        return NULL;
    n = w->npcs;
    if (!pa_index_insert(&w->pc_index, hash, n))
        return NULL;
    w->pcs[n] = (struct native_pc){.func = func, .pid = pid, .native_id = native_id, .stamp = UINT32_MAX};
    w->npcs++;
    return &w->pcs[n];
}

static struct thread_path *thread_path(struct html_writer *w, int pid, int tid)
{
    for (size_t i = 0; i < w->nthreads; i++) /* few threads: a scan is enough */
        if (w->threads[i].pid == pid && w->threads[i].tid == tid)
            return &w->threads[i];
    if (!pa_array_reserve((void **)&w->threads, &w->threads_capacity, w->nthreads + 1, sizeof *w->threads))
        return NULL;
    w->threads[w->nthreads] = (struct thread_path){.pid = pid, .tid = tid};
    return &w->threads[w->nthreads++];
}

/* The file's text, read from the target's view of the file system (its mount namespace
 * through /proc/PID/root, its working directory for a relative name), once per file and
 * only under attach/access_check.h's rule; a file that cannot be read is remembered as
 * such and the page shows line numbers only. */
static bool read_source(struct html_writer *w, int pid, uint32_t file)
{
    const char *name = pa_strtab_text(&w->agg.profile.strings, file);
    uint32_t hash = pa_hash_mix(13, file);
    struct source_key key = {w, file};
    if (pa_index_find(&w->source_index, hash, source_equal, &key) != PA_INDEX_NONE)
        return true;
    if (!pa_array_reserve((void **)&w->sources, &w->sources_capacity, w->nsources + 1, sizeof *w->sources) ||
        !pa_index_insert(&w->source_index, hash, (uint32_t)w->nsources))
        return false;
    struct source_file *s = &w->sources[w->nsources++];
    *s = (struct source_file){.file = file};
    if (strcmp(name, "~") == 0 || name[0] == '<' || w->source_bytes >= SOURCE_TOTAL_MAX)
        return true;
    char path[4200];
    if (name[0] == '/') {
        pa_process_host_path(pid, name, path, sizeof path);
    } else {
        if (pa_access_check(pid, NULL) != PA_OK)
            return true;
        snprintf(path, sizeof path, "/proc/%d/cwd/%s", pid, name);
    }
    if (path[0] == '\0')
        return true;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (fd < 0)
        return true;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return true;
    }
    size_t want = (size_t)st.st_size < SOURCE_FILE_MAX ? (size_t)st.st_size : SOURCE_FILE_MAX;
    char *text = malloc(want + 1);
    size_t got = 0;
    while (text != NULL && got < want) {
        ssize_t n = read(fd, text + got, want - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (text == NULL)
        return false;
    text[got] = '\0';
    s->text = text;
    s->len = got;
    w->source_bytes += got;
    return true;
}

static uint32_t frame_func(struct html_writer *w, const struct pa_frame *frame)
{
    struct pa_profile *p = &w->agg.profile;
    const char *file = frame->filename ? frame->filename : "~";
    const char *name = frame->function ? frame->function : "";
    uint32_t file_id = pa_strtab_intern(&p->strings, file, strlen(file));
    uint32_t name_id = pa_strtab_intern(&p->strings, name, strlen(name));
    if (file_id == PA_INDEX_NONE || name_id == PA_INDEX_NONE)
        return PA_INDEX_NONE;
    return pa_profile_func(p, file_id, frame->first_line, name_id);
}

/* The tree: each frame from the root is the child of the one further out; a frame is a
 * new call unless the thread's previous complete sample had the same call id at the
 * same depth and every frame further out was the same call too (the rule of
 * output/profile_aggregate.c, per node instead of per function). */
static enum pa_status add(struct pa_writer *writer, const struct pa_stack *stack, struct pa_error *err)
{
    struct html_writer *w = (struct html_writer *)writer;
    if (pa_aggregate_add(&w->agg, stack, err) != PA_OK)
        return PA_E_NOMEM;
    if (stack->depth == 0)
        return PA_OK;
    struct thread_path *t = thread_path(w, stack->pid, stack->tid);
    if (t == NULL || !pa_array_reserve((void **)&t->ids, &t->capacity, stack->depth, sizeof *t->ids))
        return pa_fail(err, PA_E_NOMEM, "out of memory collecting the call tree");
    bool counting = !stack->incomplete, continuing = true;
    uint32_t node = 0;
    w->stamp++;
    w->nodes[0].total += stack->weight;
    for (size_t d = 0; d < stack->depth; d++) {
        const struct pa_frame *frame = &stack->frames[stack->depth - 1 - d];
        uint32_t func = frame_func(w, frame);
        if (func == PA_INDEX_NONE || (node = child_node(w, node, func)) == PA_INDEX_NONE)
            return pa_fail(err, PA_E_NOMEM, "out of memory collecting the call tree");
        struct tree_node *n = &w->nodes[node];
        n->total += stack->weight;
        if (d + 1 == stack->depth)
            n->self += stack->weight;
        if (counting) {
            continuing = continuing && d < t->n && t->ids[d] == frame->call_id;
            if (!continuing)
                n->calls++;
            t->ids[d] = frame->call_id;
        }
        if (frame->native_id != 0) {
            struct native_pc *pc = native_pc(w, func, stack->pid, frame->native_id);
            if (pc == NULL)
                return pa_fail(err, PA_E_NOMEM, "out of memory collecting line times");
            if (pc->stamp != w->stamp) {
                pc->stamp = w->stamp;
                pc->total += stack->weight;
            }
            if (d + 1 == stack->depth)
                pc->self += stack->weight;
        } else if (frame->line > 0) {
            struct line_entry *l = line_entry(w, func, frame->line);
            if (l == NULL)
                return pa_fail(err, PA_E_NOMEM, "out of memory collecting line times");
            if (l->stamp != w->stamp) { /* once per sample, under recursion too */
                l->stamp = w->stamp;
                l->total += stack->weight;
            }
            if (d + 1 == stack->depth)
                l->self += stack->weight;
            if (!read_source(w, stack->pid, w->agg.profile.funcs[func].file))
                return pa_fail(err, PA_E_NOMEM, "out of memory reading source files");
        }
    }
    if (counting)
        t->n = stack->depth;
    return PA_OK;
}

static long long ticks(double seconds)
{
    return llround(seconds / PA_HTML_TICK);
}

/* The page's order of the tree and of the line table, made when it is written. */
struct page_order {
    const struct html_writer *w;
    uint32_t *nodes; /* node indices in pre-order: each node right before its subtree */
    uint32_t *at;    /* a node's position in that order */
    uint32_t *lines; /* line entries sorted by function, then line */
};

static int by_func_line(const void *a, const void *b, void *ctx)
{
    const struct line_entry *lines = ctx, *x = &lines[*(const uint32_t *)a], *y = &lines[*(const uint32_t *)b];
    if (x->func != y->func)
        return x->func < y->func ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

static void page_order_free(struct page_order *o)
{
    free(o->nodes);
    free(o->at);
    free(o->lines);
}

/* Pre-order puts a node's parent a short way back (the first child right after it), and
 * sorting puts a function's lines together: written as columns of small differences,
 * a 10-minute recording of 20 000 functions deflates to 3.2 MB instead of 3.8 MB as rows
 * in the order of first sight, and its page fits under 5 MB (bench/README.md). */
static bool page_order_make(struct page_order *o, const struct html_writer *w)
{
    uint32_t n = w->nnodes;
    *o = (struct page_order){.w = w};
    uint32_t *start = calloc((size_t)n + 1, sizeof *start), *kids = malloc(n * sizeof *kids);
    uint32_t *todo = malloc(n * sizeof *todo);
    o->nodes = malloc(n * sizeof *o->nodes);
    o->at = malloc(n * sizeof *o->at);
    o->lines = malloc((w->nlines ? w->nlines : 1) * sizeof *o->lines);
    bool ok = start && kids && todo && o->nodes && o->at && o->lines;
    if (ok) {
        /* each node's children, in creation order (node 0, the root, has no parent);
         * o->at serves as the fill cursor until the walk sets positions */
        for (uint32_t i = 1; i < n; i++)
            start[w->nodes[i].parent + 1]++;
        for (uint32_t i = 0; i < n; i++)
            start[i + 1] += start[i];
        memcpy(o->at, start, n * sizeof *o->at);
        for (uint32_t i = 1; i < n; i++)
            kids[o->at[w->nodes[i].parent]++] = i;
        /* depth first, children pushed last-first so that the first comes out first */
        uint32_t depth = 0, k = 0;
        todo[depth++] = 0;
        while (depth > 0) {
            uint32_t v = todo[--depth];
            o->nodes[k++] = v;
            for (uint32_t c = start[v + 1]; c-- > start[v];)
                todo[depth++] = kids[c];
        }
        for (uint32_t i = 0; i < n; i++)
            o->at[o->nodes[i]] = i;
        for (uint32_t i = 0; i < w->nlines; i++)
            o->lines[i] = i;
        qsort_r(o->lines, w->nlines, sizeof *o->lines, by_func_line, w->lines);
    }
    free(start);
    free(kids);
    free(todo);
    if (!ok)
        page_order_free(o);
    return ok;
}

static void column_start(FILE *out, const char *name, bool first)
{
    fprintf(out, "%s\"%s\":[", first ? "" : "],\n", name);
}

static void column_value(FILE *out, uint32_t i, long long value)
{
    fprintf(out, "%s%lld", i == 0 ? "" : i % 32 ? "," : ",\n", value);
}

/* The tree and the line table as columns (viewer/model.js load() reads them): nodes in
 * pre-order with "up", the distance back to the parent (0 for the root); lines sorted,
 * "func" the difference from the previous entry's function and "line" from the previous
 * entry's line within one function (the line itself where the function changes). */
static void write_columns(FILE *out, const struct page_order *o)
{
    const struct html_writer *w = o->w;
    fputs(",\n\"nodes\":{", out);
    column_start(out, "func", true);
    for (uint32_t i = 0; i < w->nnodes; i++) {
        uint32_t func = w->nodes[o->nodes[i]].func;
        column_value(out, i, func == PA_INDEX_NONE ? -1 : (long long)func);
    }
    column_start(out, "up", false);
    for (uint32_t i = 0; i < w->nnodes; i++) {
        uint32_t parent = w->nodes[o->nodes[i]].parent;
        column_value(out, i, parent == PA_INDEX_NONE ? 0 : (long long)i - o->at[parent]);
    }
    column_start(out, "self", false);
    for (uint32_t i = 0; i < w->nnodes; i++)
        column_value(out, i, ticks(w->nodes[o->nodes[i]].self));
    column_start(out, "total", false);
    for (uint32_t i = 0; i < w->nnodes; i++)
        column_value(out, i, ticks(w->nodes[o->nodes[i]].total));
    column_start(out, "calls", false);
    for (uint32_t i = 0; i < w->nnodes; i++)
        column_value(out, i, (long long)w->nodes[o->nodes[i]].calls);
    fputs("]},\n\"lines\":{", out);
    column_start(out, "func", true);
    for (uint32_t i = 0; i < w->nlines; i++) {
        const struct line_entry *l = &w->lines[o->lines[i]];
        column_value(out, i, i == 0 ? (long long)l->func : (long long)l->func - w->lines[o->lines[i - 1]].func);
    }
    column_start(out, "line", false);
    for (uint32_t i = 0; i < w->nlines; i++) {
        const struct line_entry *l = &w->lines[o->lines[i]], *prev = i ? &w->lines[o->lines[i - 1]] : NULL;
        column_value(out, i, prev && prev->func == l->func ? (long long)l->line - prev->line : l->line);
    }
    column_start(out, "self", false);
    for (uint32_t i = 0; i < w->nlines; i++)
        column_value(out, i, ticks(w->lines[o->lines[i]].self));
    column_start(out, "total", false);
    for (uint32_t i = 0; i < w->nlines; i++)
        column_value(out, i, ticks(w->lines[o->lines[i]].total));
    fputs("]}", out);
}

static void write_data(FILE *out, const void *ctx)
{
    const struct page_order *o = ctx;
    const struct html_writer *w = o->w;
    fprintf(out, "{\"format\":\"pyattach-viewer\",\"version\":2,\"source\":\"recording\",\"tick\":%g,\n", PA_HTML_TICK);
    pa_html_json_info(out, w->info.mode ? &w->info : NULL, w->agg.samples, NULL);
    fputs(",\n", out);
    pa_html_json_profile(out, &w->agg.profile);
    write_columns(out, o);
    fputs(",\n\"native_lines\":[", out);
    for (uint32_t i = 0; i < w->nresolved; i++) {
        const struct native_line *l = &w->resolved[i];
        fprintf(out, "%s%u,%u,%d,%lld,%lld", i ? (i % 16 ? "," : ",\n") : "", l->func, l->file, l->line,
                ticks(l->self), ticks(l->total));
    }
    fputs("],\n\"sources\":{", out);
    bool first = true;
    for (size_t i = 0; i < w->nsources; i++) {
        const struct source_file *s = &w->sources[i];
        if (s->text == NULL)
            continue;
        fprintf(out, "%s\"%u\":", first ? "" : ",\n", s->file);
        pa_json_string_in_html(out, s->text, s->len);
        first = false;
    }
    fputs("}}\n", out);
}

struct resolved_key {
    const struct html_writer *w;
    const struct native_line *line;
};

static bool resolved_equal(const void *key, uint32_t entry)
{
    const struct resolved_key *k = key;
    const struct native_line *e = &k->w->resolved[entry];
    return e->func == k->line->func && e->file == k->line->file && e->line == k->line->line;
}

/* The native PCs' lines, merged per (function, file, line); sources read for files
 * named by an absolute path (a relative DWARF name is relative to a build directory,
 * not to the target's working directory). */
static bool resolve_native_lines(struct html_writer *w)
{
    free(w->resolved);
    w->resolved = NULL;
    w->nresolved = 0;
    if (w->npcs == 0 || w->native_lines.lookup == NULL)
        return true;
    w->resolved = malloc(w->npcs * sizeof *w->resolved);
    if (w->resolved == NULL)
        return false;
    struct pa_strtab *strings = &w->agg.profile.strings;
    struct pa_index index;
    pa_index_init(&index);
    for (uint32_t i = 0; i < w->npcs; i++) {
        const struct native_pc *pc = &w->pcs[i];
        const char *file;
        int line;
        if (!w->native_lines.lookup(w->native_lines.user, pc->pid, pc->native_id, &file, &line))
            continue;
        uint32_t file_id = pa_strtab_intern(strings, file, strlen(file));
        if (file_id == PA_INDEX_NONE)
            return false;
        struct native_line key = {.func = pc->func, .file = file_id, .line = line};
        struct resolved_key k = {w, &key};
        uint32_t hash = pa_hash_mix(pa_hash_mix(pa_hash_mix(19, key.func), key.file), (uint32_t)line);
        uint32_t n = pa_index_find(&index, hash, resolved_equal, &k);
        if (n == PA_INDEX_NONE) {
            n = w->nresolved;
            if (!pa_index_insert(&index, hash, n)) {
                pa_index_free(&index);
                return false;
            }
            w->resolved[w->nresolved++] = key;
        }
        /* PCs of one line are distinct frames of one sample only under recursion: the
         * total may then count a sample twice, as it cannot be told apart any more. */
        w->resolved[n].self += pc->self;
        w->resolved[n].total += pc->total;
        if (file[0] == '/' && !read_source(w, pc->pid, file_id)) {
            pa_index_free(&index);
            return false;
        }
    }
    pa_index_free(&index);
    return true;
}

static enum pa_status write_out(struct pa_writer *writer, FILE *out, struct pa_error *err)
{
    struct html_writer *w = (struct html_writer *)writer;
    if (!resolve_native_lines(w))
        return pa_fail(err, PA_E_NOMEM, "out of memory writing native lines");
    struct page_order order;
    if (!page_order_make(&order, w))
        return pa_fail(err, PA_E_NOMEM, "out of memory ordering the call tree");
    enum pa_status status = pa_html_write_page(out, w->program ? w->program : "recording", write_data, &order, err);
    page_order_free(&order);
    return status;
}

static void describe(struct pa_writer *writer, const struct pa_recording_info *info)
{
    struct html_writer *w = (struct html_writer *)writer;
    static const char *const modes[] = {"wall", "cpu", "gil"};
    free(w->program);
    w->program = info->program ? strdup(info->program) : NULL;
    w->info = *info;
    w->info.program = w->program;
    w->native_lines = info->native_lines ? *info->native_lines : (struct pa_native_lines){0};
    w->info.native_lines = NULL; /* the caller's, kept above */
    w->info.mode = "wall"; /* a static string, not the caller's */
    for (size_t i = 0; info->mode && i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(info->mode, modes[i]) == 0)
            w->info.mode = modes[i];
}

static void destroy(struct pa_writer *writer)
{
    struct html_writer *w = (struct html_writer *)writer;
    if (w == NULL)
        return;
    pa_aggregate_free(&w->agg);
    free(w->nodes);
    pa_index_free(&w->node_index);
    free(w->lines);
    pa_index_free(&w->line_index);
    for (size_t i = 0; i < w->nthreads; i++)
        free(w->threads[i].ids);
    free(w->threads);
    for (size_t i = 0; i < w->nsources; i++)
        free(w->sources[i].text);
    free(w->sources);
    pa_index_free(&w->source_index);
    free(w->pcs);
    pa_index_free(&w->pc_index);
    free(w->resolved);
    free(w->program);
    free(w);
}

const struct pa_writer_ops pa_html_writer_ops = {
    .name = "html",
    .create = create,
    .add = add,
    .write = write_out,
    .destroy = destroy,
    .describe = describe,
};
