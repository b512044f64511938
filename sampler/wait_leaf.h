/* Wall mode: what a thread that is off a CPU at the sample waits in, as the innermost
 * frame of its stack (`<wait poll>`, `<wait GIL>`), keyed as cProfile keys built-ins. */
#ifndef PYATTACH_WAIT_LEAF_H
#define PYATTACH_WAIT_LEAF_H

#include <stdbool.h>
#include <sys/types.h>

#include "python_frames/stack_walk.h"

/* The label of the thread's wait, or NULL while it runs (or is runnable). stopped_by_us:
 * --blocking has the thread in a ptrace stop, which is not a wait of its own. The
 * string lives as long as the program. kept_fd: the thread's file kept open between
 * samples (see pa_thread_wait_read_kept), or NULL to open and close it here. */
const char *pa_wait_leaf(const struct py_walker *walker, pid_t pid, const struct py_thread *thread,
                         bool stopped_by_us, int *kept_fd);

#endif
