/* One --native sample of one thread: stop it, read its registers' stack of PCs and its
 * Python frames, resume it, then symbolise and merge (merge.h). One session per target. */
#ifndef PYATTACH_NATIVE_SAMPLE_H
#define PYATTACH_NATIVE_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attach/thread_stop.h"
#include "output/stack.h"
#include "python_frames/python_process.h"
#include "unwind/merge.h"

/* Room for a merged stack whose Python side holds at most py_max_depth frames. */
#define PA_NATIVE_MERGED_MAX(py_max_depth) (PA_NATIVE_MAX_DEPTH + (size_t)(py_max_depth))

struct pa_native_session {
    struct py_process *python;
    bool native_all;
    struct pa_thread_stopper stopper;
    struct pa_native_unwinder *unwinder;
    struct pa_symbolizer *symbols;
    unsigned modules_generation;   /* of the unwinder's modules when symbols were last valid */
    struct pa_native_pc pcs[PA_NATIVE_MAX_DEPTH];
    const struct pa_native_symbol *names[PA_NATIVE_MAX_DEPTH];
    struct pa_merge_ident *idents; /* the merge's scratch: max_frames of them */
    size_t max_frames;
    /* measured, for the summary and bench/: */
    uint64_t samples;
    double stopped_total, stopped_max; /* seconds a thread was stopped, per sample */
};

/* Merged stacks hold at most PA_NATIVE_MERGED_MAX(py_max_depth) frames. */
enum pa_status pa_native_session_open(struct py_process *python, bool native_all, size_t py_max_depth,
                                      struct pa_native_session **out, struct pa_error *err);
/* Resumes anything still stopped, and frees the session. */
void pa_native_session_close(struct pa_native_session *session);

/* Samples `thread`: stopped only while its PCs and Python frames are read (stop false:
 * the caller has stopped it already, as --blocking does). out gets the
 * merged stack (at most max frames, capped at the session's max_frames), innermost first; *result says how it went.
 * python is scratch for the Python stack (it keeps the frames, which out points into).
 * PA_E_NO_PROCESS: the thread is gone; PA_E_PERMISSION: ptrace refused. */
enum pa_status pa_native_sample(struct pa_native_session *session, struct py_thread *thread, bool stop,
                                struct py_stack *python, struct pa_frame *out, size_t max,
                                struct pa_merge_result *result, struct pa_error *err);

/* The source file:line of a native frame of a merged stack (its pa_frame.native_id),
 * where the module has debug info; looked up on the first call for that PC, the module's
 * line tables loaded on the first call for that module (see symbols.h). */
bool pa_native_session_line(struct pa_native_session *session, uint32_t native_id, const char **file, int *line);

#endif
