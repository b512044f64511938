/* A thread's name as a user knows it. */
#ifndef PYATTACH_THREAD_NAMES_H
#define PYATTACH_THREAD_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "python_frames/python_process.h"

/* Writes the thread's name into out: "MainThread" for the main thread, else the
 * kernel's name for the thread when it differs from the process's (threads named
 * with prctl / pthread_setname_np). False when no name is known. */
bool py_thread_name(const struct py_process *process, const struct py_thread *thread, char *out, size_t size);

#endif
