/* A CPython process we are attached to: the target, its runtime, the code cache and
 * a walker over them. The one entry point the commands use to read stacks. */
#ifndef PYATTACH_PYTHON_PROCESS_H
#define PYATTACH_PYTHON_PROCESS_H

#include "attach/read_cache.h"
#include "attach/target.h"
#include "python_frames/code_cache.h"
#include "python_frames/runtime.h"
#include "python_frames/stack_walk.h"

struct py_process {
    struct pa_target target;
    struct pa_read_cache cache; /* the walker reads through it; cleared per sample */
    struct py_runtime runtime;
    struct py_code_cache *codes;
    long long codes_checked_ns; /* when the code cache's epoch last moved (see code_cache.h) */
    struct py_walker walker;
};

enum pa_status py_process_attach(pid_t pid, struct py_process *process, struct pa_error *err);
void py_process_detach(struct py_process *process);

/* Starts a new sample: forget memory read for the previous one; every 100 ms, have
 * cached code objects compared with memory again. */
void py_process_begin_sample(struct py_process *process);

/* The thread's stack, as py_walk_thread; one that failed to read or broke off is read
 * once more at once, from fresh memory. */
enum pa_status py_process_walk_thread(struct py_process *process, struct py_thread *thread, struct py_stack *stack,
                                      struct pa_error *err);

#endif
