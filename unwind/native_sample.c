/* A --native sample: the stop window holds only what must agree (the PCs and the
 * Python frames); symbols are looked up after the thread runs again. */
#include "unwind/native_sample.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attach/clock.h"

/* The interpreter's own files: the one holding the runtime, and the python executable
 * when it only carries main() (pyenv's shared builds). An embedding program (uwsgi)
 * is not the interpreter: its frames stay. */
static size_t interpreter_paths(const struct py_process *p, const char *paths[2])
{
    size_t n = 0;
    paths[n++] = p->runtime.binary;
    const char *exe = p->target.process.exe, *slash = strrchr(exe, '/');
    const char *base = slash ? slash + 1 : exe;
    if (strcmp(exe, p->runtime.binary) != 0 && strncmp(base, "python", 6) == 0)
        paths[n++] = exe;
    return n;
}

enum pa_status pa_native_session_open(struct py_process *python, bool native_all, size_t py_max_depth,
                                      struct pa_native_session **out, struct pa_error *err)
{
    struct pa_native_session *s = calloc(1, sizeof *s);
    if (s != NULL) {
        s->max_frames = PA_NATIVE_MERGED_MAX(py_max_depth);
        s->idents = calloc(s->max_frames, sizeof *s->idents);
    }
    if (s == NULL || s->idents == NULL) {
        free(s);
        return pa_fail(err, PA_E_NOMEM, "out of memory");
    }
    s->python = python;
    s->native_all = native_all;
    pid_t pid = python->target.process.pid;
    pa_stopper_init(&s->stopper, pid);
    const char *paths[2];
    size_t path_count = interpreter_paths(python, paths);
    enum pa_status status = pa_native_unwinder_new(pid, &python->target.reader, &s->unwinder, err);
    if (status == PA_OK)
        status = pa_symbolizer_new(pid, paths, path_count, &s->symbols, err);
    if (status != PA_OK) {
        pa_native_session_close(s);
        return status;
    }
    *out = s;
    return PA_OK;
}

void pa_native_session_close(struct pa_native_session *s)
{
    if (s == NULL)
        return;
    pa_stopper_release(&s->stopper);
    pa_native_unwinder_free(s->unwinder);
    pa_symbolizer_free(s->symbols);
    free(s->idents);
    free(s);
}

enum pa_status pa_native_sample(struct pa_native_session *s, struct py_thread *t, bool stop, struct py_stack *python,
                                struct pa_frame *out, size_t max, struct pa_merge_result *result,
                                struct pa_error *err)
{
    memset(result, 0, sizeof *result);
    /* Before the stop: a library unloaded and another loaded at its place (dlclose,
     * dlopen) leaves the names and rules cached for its addresses wrong. */
    unsigned generation = pa_native_unwinder_check_modules(s->unwinder);
    if (generation != s->modules_generation) {
        pa_symbolizer_invalidate(s->symbols);
        s->modules_generation = generation;
    }
    double start = pa_monotonic_seconds();
    enum pa_status status = stop ? pa_stopper_stop(&s->stopper, t->tid, err) : PA_OK;
    if (status != PA_OK)
        return status;

    /* --- the thread is stopped: read exactly what must agree, nothing else --- */
    size_t count = 0;
    bool truncated = false;
    status = pa_native_unwind(s->unwinder, t->tid, s->pcs, PA_NATIVE_MAX_DEPTH, &count, &truncated, err);
    py_process_begin_sample(s->python); /* nothing read before the stop may be reused */
    struct pa_error py_err = {0};
    enum pa_status py_status = py_thread_reread_frame(&s->python->walker, t, &py_err);
    python->depth = 0;
    python->incomplete = python->truncated = false;
    if (py_status == PA_OK && t->frame_addr != 0)
        py_status = py_walk_thread(&s->python->walker, t, python, &py_err);
    struct pa_error resume_err = {0};
    enum pa_status resumed = stop ? pa_stopper_resume(&s->stopper, t->tid, &resume_err) : PA_OK;
    /* --- running again --- */

    double stopped = pa_monotonic_seconds() - start;
    s->samples++;
    s->stopped_total += stopped;
    if (stopped > s->stopped_max)
        s->stopped_max = stopped;
    if (status != PA_OK)
        return status;
    if (py_status != PA_OK) {
        python->depth = 0;
        python->incomplete = true; /* the native frames alone, marked incomplete */
    }
    (void)resumed; /* a thread that died while stopped still gave a full sample */

    for (size_t i = 0; i < count; i++)
        s->names[i] = pa_symbolize(s->symbols, s->pcs[i].pc, s->pcs[i].activation);
    struct pa_merge_input in = {.pcs = s->pcs,
                                .symbols = s->names,
                                .native_count = count,
                                .native_truncated = truncated,
                                .python = python,
                                .native_all = s->native_all,
                                .idents = s->idents};
    pa_merge_stacks(&in, out, max < s->max_frames ? max : s->max_frames, result);
    return PA_OK;
}

bool pa_native_session_line(struct pa_native_session *s, uint32_t native_id, const char **file, int *line)
{
    return pa_symbolizer_line(s->symbols, native_id, file, line);
}
