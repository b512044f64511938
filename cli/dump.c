/* `pyattach dump -p PID [--json] [--native] [--locals] [--max-depth N]`: every thread's Python
 * stack, once; with --native its C frames merged in (unwind/merge.c), as "symbol (shared
 * object:0)"; with --locals each Python frame's bound local variables (frame_locals.c),
 * their values as object_repr.c shows them. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach/process.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "output/json.h"
#include "python_frames/frame_locals.h"
#include "python_frames/object_repr.h"
#include "python_frames/python_process.h"
#include "python_frames/thread_names.h"
#include "unwind/native_sample.h"

/* One bound local of a frame, as shown. */
struct shown_local {
    char name[PY_LOCAL_NAME_MAX];
    enum py_local_kind kind;
    char value[PY_REPR_MAX];
};

/* A frame's locals, read right after its thread's walk. */
struct shown_locals {
    bool failed;  /* the names or slots could not be read */
    bool cut;     /* more than PY_LOCALS_MAX fast locals */
    size_t count;
    struct shown_local *items;
};

struct dumped_thread {
    struct py_thread thread;
    char name[256];
    bool has_name;
    bool running;
    enum pa_status status; /* of its walk */
    struct py_stack *stack;
    struct pa_frame *merged; /* --native: Python and C frames, innermost first */
    struct pa_native_session *native; /* ... from this session (native frames' lines) */
    size_t merged_depth;
    bool merged_incomplete;
    size_t more_frames;   /* truncated: Python frames beyond --max-depth (at least; see count_beyond) */
    bool more_at_least;   /* ... and there were more than that even at PY_MAX_DEPTH_LIMIT */
    size_t max_depth;     /* --max-depth */
    struct shown_locals *locals; /* --locals: one per frame of stack */
};

static const char *const kind_names[] = {[PY_LOCAL_PLAIN] = "local", [PY_LOCAL_CELL] = "cell",
                                         [PY_LOCAL_FREE] = "free"};

/* Reads and renders the locals of every frame of t's stack. Unbound locals are left
 * out, as locals() leaves them out. */
static enum pa_status read_locals(const struct py_process *p, struct dumped_thread *t, struct py_locals *scratch)
{
    t->locals = calloc(t->stack->depth ? t->stack->depth : 1, sizeof *t->locals);
    if (t->locals == NULL)
        return PA_E_NOMEM;
    for (size_t d = 0; d < t->stack->depth; d++) {
        const struct py_frame *f = &t->stack->frames[d];
        struct shown_locals *shown = &t->locals[d];
        if (py_frame_locals(&p->walker, f->frame_addr, f->code->addr, scratch, NULL) != PA_OK) {
            shown->failed = true;
            continue;
        }
        shown->cut = scratch->cut;
        shown->items = calloc(scratch->count ? scratch->count : 1, sizeof *shown->items);
        if (shown->items == NULL)
            return PA_E_NOMEM;
        for (size_t i = 0; i < scratch->count; i++) {
            const struct py_local *local = &scratch->items[i];
            if (local->readable && local->value == 0)
                continue;
            struct shown_local *out = &shown->items[shown->count++];
            snprintf(out->name, sizeof out->name, "%s", local->name);
            out->kind = local->kind;
            if (!local->readable)
                snprintf(out->value, sizeof out->value, "<unreadable cell at 0x%llx>",
                         (unsigned long long)local->slot);
            else
                py_object_repr(p->walker.reader, &p->runtime.layout, local->value, out->value);
        }
    }
    return PA_OK;
}

static void print_locals_text(const struct shown_locals *shown)
{
    if (shown->failed) {
        printf("        (locals unreadable)\n");
        return;
    }
    for (size_t i = 0; i < shown->count; i++)
        printf("        %s%s = %s\n", shown->items[i].name,
               shown->items[i].kind == PY_LOCAL_FREE ? " (free)" : "", shown->items[i].value);
    if (shown->cut)
        printf("        ... (more than %d locals)\n", PY_LOCALS_MAX);
}

/* Merged frames: a native frame is keyed (shared object, line 0, symbol) with
 * first_line 0; a Python frame's first_line is its code's co_firstlineno >= 1. */
static bool is_native(const struct pa_frame *f)
{
    return f->first_line == 0;
}

static void print_json_string(const char *s);

/* The line that ends a stack cut at --max-depth, or one that broke off. */
static void print_cut_text(const struct dumped_thread *t, bool incomplete)
{
    if (t->stack->truncated)
        printf("    ... (%s%zu more frames: truncated at --max-depth %zu)\n", t->more_at_least ? "over " : "",
               t->more_frames, t->max_depth);
    else if (incomplete)
        printf("    ... (stack incomplete)\n");
}

/* A native frame's source file:line, where its module has debug info: looked up now,
 * after every thread was sampled (see unwind/symbols.h). */
static bool native_line(const struct dumped_thread *t, const struct pa_frame *f, const char **file, int *line)
{
    return f->native_id != 0 && pa_native_session_line(t->native, f->native_id, file, line);
}

/* A native frame shows its source file:line where known, else its module and 0. */
static void print_merged_text(const struct dumped_thread *t)
{
    for (size_t d = 0; d < t->merged_depth; d++) {
        const struct pa_frame *f = &t->merged[d];
        const char *file = f->filename;
        int line = f->line;
        native_line(t, f, &file, &line);
        printf("    %s (%s:%d)\n", f->function, file, line);
    }
    print_cut_text(t, t->merged_incomplete);
}

static void print_merged_json(const struct dumped_thread *t)
{
    for (size_t d = 0; d < t->merged_depth; d++) {
        const struct pa_frame *f = &t->merged[d];
        printf("%s\n    {\"function\": ", d ? "," : "");
        print_json_string(f->function);
        printf(", \"qualname\": ");
        print_json_string(f->function);
        printf(", \"file\": ");
        print_json_string(f->filename);
        printf(", \"line\": %d, \"first_line\": %d, \"native\": %s", f->line, f->first_line,
               is_native(f) ? "true" : "false");
        const char *source = NULL;
        int line = 0;
        if (is_native(f)) { /* file is its module (its key); its source where debug info has it */
            printf(", \"source_file\": ");
            if (native_line(t, f, &source, &line))
                print_json_string(source);
            else
                printf("null");
            printf(", \"source_line\": %d", line);
        }
        putchar('}');
    }
}

static int compare_tid(const void *a, const void *b)
{
    const struct dumped_thread *x = a, *y = b;
    return (x->thread.tid > y->thread.tid) - (x->thread.tid < y->thread.tid);
}

static void print_json_string(const char *s)
{
    pa_json_string(stdout, s, strlen(s));
}

/* "locals": [{"name": ..., "kind": "local" | "cell" | "free", "value": ...}], or null
 * when they could not be read; "locals_cut" when there were more than PY_LOCALS_MAX. */
static void print_locals_json(const struct shown_locals *shown)
{
    printf(", \"locals\": ");
    if (shown->failed) {
        printf("null");
        return;
    }
    printf("[");
    for (size_t i = 0; i < shown->count; i++) {
        printf("%s{\"name\": ", i ? ", " : "");
        print_json_string(shown->items[i].name);
        printf(", \"kind\": \"%s\", \"value\": ", kind_names[shown->items[i].kind]);
        print_json_string(shown->items[i].value);
        printf("}");
    }
    printf("]");
    if (shown->cut)
        printf(", \"locals_cut\": true");
}

static void print_text(const struct py_process *p, const struct dumped_thread *threads, size_t count)
{
    char version[32];
    py_runtime_version_string(&p->runtime, version, sizeof version);
    printf("Process %d: %s   (CPython %s)\n", (int)p->target.process.pid, p->target.process.command, version);
    for (size_t i = 0; i < count; i++) {
        const struct dumped_thread *t = &threads[i];
        printf("Thread %d", (int)t->thread.tid);
        if (t->has_name)
            printf(" \"%s\"", t->name);
        printf(" (%s%s)\n", t->running ? "running" : "idle", t->thread.holds_gil ? ", holds GIL" : "");
        if (t->status != PA_OK) {
            printf("    (stack unreadable: the thread changed while being read)\n");
            continue;
        }
        if (t->merged != NULL) {
            print_merged_text(t);
            continue;
        }
        if (t->stack->depth == 0)
            printf("    (no Python frames)\n");
        for (size_t d = 0; d < t->stack->depth; d++) {
            const struct py_frame *f = &t->stack->frames[d];
            printf("    %s (%s:%d)\n", f->code->qualname, f->code->filename, f->line);
            if (t->locals != NULL)
                print_locals_text(&t->locals[d]);
        }
        print_cut_text(t, t->stack->incomplete);
    }
}

static void print_json(const struct py_process *p, const struct dumped_thread *threads, size_t count)
{
    char version[32];
    py_runtime_version_string(&p->runtime, version, sizeof version);
    printf("{\"pid\": %d, \"command\": ", (int)p->target.process.pid);
    print_json_string(p->target.process.command);
    printf(", \"version\": ");
    print_json_string(version);
    printf(", \"version_source\": ");
    print_json_string(p->runtime.version_source);
    printf(", \"threads\": [");
    for (size_t i = 0; i < count; i++) {
        const struct dumped_thread *t = &threads[i];
        printf("%s\n  {\"tid\": %d, \"name\": ", i ? "," : "", (int)t->thread.tid);
        if (t->has_name)
            print_json_string(t->name);
        else
            printf("null");
        bool complete = t->status == PA_OK && !(t->merged ? t->merged_incomplete : t->stack->incomplete);
        bool truncated = t->status == PA_OK && t->stack->truncated;
        printf(", \"state\": \"%s\", \"gil\": %s, \"incomplete\": %s, \"truncated\": %s",
               t->running ? "running" : "idle", t->thread.holds_gil ? "true" : "false",
               complete ? "false" : "true", truncated ? "true" : "false");
        if (truncated)
            printf(", \"max_depth\": %zu, \"more_frames\": %zu, \"more_frames_at_least\": %s", t->max_depth,
                   t->more_frames, t->more_at_least ? "true" : "false");
        printf(", \"frames\": [");
        size_t depth = t->status == PA_OK && t->merged == NULL ? t->stack->depth : 0;
        if (t->status == PA_OK && t->merged != NULL)
            print_merged_json(t);
        for (size_t d = 0; d < depth; d++) {
            const struct py_frame *f = &t->stack->frames[d];
            printf("%s\n    {\"function\": ", d ? "," : "");
            print_json_string(f->code->name);
            printf(", \"qualname\": ");
            print_json_string(f->code->qualname);
            printf(", \"file\": ");
            print_json_string(f->code->filename);
            printf(", \"line\": %d, \"first_line\": %d", f->line, f->code->first_line);
            if (t->locals != NULL)
                print_locals_json(&t->locals[d]);
            printf("}");
        }
        printf("]}");
    }
    printf("\n]}\n");
}

/* A stack cut at --max-depth: how many frames lay beyond, from a second walk with room
 * for PY_MAX_DEPTH_LIMIT (dump only; the stack may have moved in between). */
static void count_beyond(const struct py_walker *walker, struct dumped_thread *t)
{
    struct py_stack *whole = py_stack_new(PY_MAX_DEPTH_LIMIT);
    struct pa_error err = {0};
    if (whole != NULL && py_walk_thread(walker, &t->thread, whole, &err) == PA_OK && whole->depth > t->max_depth) {
        t->more_frames = whole->depth - t->max_depth;
        t->more_at_least = whole->truncated;
    }
    free(whole);
}

static int usage_error(const char *message)
{
    pa_print_error(message);
    return 1;
}

int pa_cmd_dump(int argc, char **argv)
{
    static const struct option options[] = {
        {"pid", required_argument, NULL, 'p'},
        {"json", no_argument, NULL, 'j'},
        {"native", no_argument, NULL, 'n'},
        {"native-all", no_argument, NULL, 'a'},
        {"max-depth", required_argument, NULL, 'm'},
        {"locals", no_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long pid = 0;
    bool json = false, native = false, native_all = false, locals = false;
    size_t max_depth = PY_DEFAULT_MAX_DEPTH;
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":p:h", options, NULL)) != -1) {
        char *end;
        switch (opt) {
        case 'p':
            pid = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || pid <= 0 || pid > 0x7fffffff)
                return usage_error("dump: -p needs a process ID (a positive number)");
            break;
        case 'j':
            json = true;
            break;
        case 'n':
            native = true;
            break;
        case 'a':
            native = native_all = true;
            break;
        case 'l':
            locals = true;
            break;
        case 'm': {
            char message[256];
            if (!pa_options_parse_max_depth("dump", optarg, &max_depth, message, sizeof message))
                return usage_error(message);
            break;
        }
        case 'h':
            printf("usage: pyattach dump -p PID [--json] [--native | --native-all] [--locals] [--max-depth N]\n"
                   "      --locals       each Python frame's local variables (values cut at %d characters)\n"
                   "      --max-depth N  Python frames shown per stack (default %d)\n",
                   PY_REPR_CHARS,
                   PY_DEFAULT_MAX_DEPTH);
            return 0;
        case ':':
            return usage_error("dump: an option is missing its value");
        default:
            return usage_error("dump: unknown option (usage: pyattach dump -p PID [--json])");
        }
    }
    if (pid == 0 || optind != argc)
        return usage_error("dump: usage: pyattach dump -p PID [--json]");
    if (locals && native)
        return usage_error("dump: --locals shows Python frames only: use it without --native");

    struct pa_error err = {0};
    struct py_process p;
    enum pa_status status = py_process_attach((pid_t)pid, &p, &err);
    if (status != PA_OK) {
        pa_print_error(err.message);
        return pa_status_exit_code(status);
    }
    struct pa_native_session *session = NULL;
    if (native && (status = pa_native_session_open(&p, native_all, max_depth, &session, &err)) != PA_OK) {
        pa_print_error(err.message);
        py_process_detach(&p);
        return pa_status_exit_code(status);
    }
    struct py_thread *list = calloc(PY_MAX_THREADS, sizeof *list);
    struct py_locals *locals_scratch = locals ? malloc(sizeof *locals_scratch) : NULL;
    if (locals && locals_scratch == NULL)
        status = pa_fail(&err, PA_E_NOMEM, "out of memory");
    size_t count = 0;
    if (status == PA_OK)
        status = list ? py_list_threads(&p.walker, list, PY_MAX_THREADS, &count, &err)
                  : pa_fail(&err, PA_E_NOMEM, "out of memory");
    struct dumped_thread *threads = calloc(count ? count : 1, sizeof *threads);
    for (size_t i = 0; status == PA_OK && threads && i < count; i++) {
        struct dumped_thread *t = &threads[i];
        t->thread = list[i];
        /* The interpreter keeps the TID of its own PID namespace (a container's): the
         * thread is stopped, read and shown by ours. */
        pid_t host_tid = pa_thread_host_tid((pid_t)pid, t->thread.tid);
        if (host_tid != 0)
            t->thread.tid = host_tid;
        t->has_name = py_thread_name(&p, &t->thread, t->name, sizeof t->name);
        t->running = pa_thread_state((pid_t)pid, t->thread.tid) == 'R';
        t->max_depth = max_depth;
        t->stack = py_stack_new(max_depth);
        if (t->stack == NULL) {
            status = pa_fail(&err, PA_E_NOMEM, "out of memory");
            break;
        }
        struct pa_error walk_err = {0};
        /* As the sampler: a stack that changed under the walk is read once more. */
        t->status = py_process_walk_thread(&p, &t->thread, t->stack, &walk_err);
        if (session != NULL && t->status == PA_OK) {
            /* Again, with the thread stopped, so its C and Python frames agree. */
            struct pa_merge_result merged;
            t->merged = malloc(PA_NATIVE_MERGED_MAX(max_depth) * sizeof *t->merged);
            t->status = t->merged ? pa_native_sample(session, &t->thread, true, t->stack, t->merged,
                                                     PA_NATIVE_MERGED_MAX(max_depth), &merged, &walk_err)
                                  : PA_E_NOMEM;
            if (t->status == PA_E_PERMISSION) {
                status = pa_fail(&err, t->status, "%s", walk_err.message);
                break;
            }
            t->merged_depth = merged.depth;
            t->native = session;
            t->merged_incomplete = merged.incomplete;
        }
        if (t->status == PA_OK && locals_scratch != NULL && read_locals(&p, t, locals_scratch) != PA_OK) {
            status = pa_fail(&err, PA_E_NOMEM, "out of memory");
            break;
        }
        if (t->status == PA_OK && t->stack->truncated)
            count_beyond(&p.walker, t);
    }
    /* Under attach/access_check.h's rule, what was read while the target ran a
     * set-uid program (the same PID, another user's memory) is never shown. */
    if (status == PA_OK && pa_process_lost_access(&p.target.process, &err))
        status = PA_E_PERMISSION;
    if (status == PA_OK && threads) {
        qsort(threads, count, sizeof *threads, compare_tid);
        if (json)
            print_json(&p, threads, count);
        else
            print_text(&p, threads, count);
        if (fflush(stdout) != 0 || ferror(stdout))
            status = pa_fail(&err, PA_E_OUTPUT, "cannot write to standard output: %s", strerror(errno));
    } else if (status == PA_OK) {
        status = pa_fail(&err, PA_E_NOMEM, "out of memory");
    }
    if (status != PA_OK)
        pa_print_error(err.message);
    for (size_t i = 0; threads && i < count; i++) {
        for (size_t d = 0; threads[i].locals && d < threads[i].stack->depth; d++)
            free(threads[i].locals[d].items);
        free(threads[i].locals);
        free(threads[i].stack);
        free(threads[i].merged);
    }
    pa_native_session_close(session);
    free(locals_scratch);
    free(threads);
    free(list);
    py_process_detach(&p);
    return pa_status_exit_code(status);
}
