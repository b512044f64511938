/* A thread's name as a user knows it: threading.Thread.name read from the target,
 * else "MainThread" / the kernel's name for the thread. */
#ifndef PYATTACH_THREAD_NAMES_H
#define PYATTACH_THREAD_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attach/error.h"
#include "attach/memory.h"
#include "python_frames/layout.h"
#include "python_frames/python_process.h"

/* Writes the thread's name into out (UTF-8, cut at a character boundary to fit):
 * the threading.Thread's name when the thread is one (threading._active), else
 * "MainThread" for the main thread, else the kernel's name for the thread when it
 * differs from the process's (threads named with prctl / pthread_setname_np).
 * False when no name is known. Costs a few hundred small reads: callers that ask
 * repeatedly should keep the answer. */
bool py_thread_name(const struct py_process *process, const struct py_thread *thread, char *out, size_t size);

/* The threading.Thread name alone: interp->modules["threading"]._active[pthread_id]._name.
 * *found is false (with PA_OK) when threading is not imported or the thread is not in
 * _active (not started by threading, or not yet / no longer running). */
enum pa_status py_threading_name(struct pa_reader *reader, const struct py_layout *layout, uint64_t interp_addr,
                                 uint64_t pthread_id, char *out, size_t size, bool *found, struct pa_error *err);

#endif
