/* The wait leaf: one read of /proc/PID/task/TID/syscall per thread and sample.
 *
 * That one file tells both things needed. The kernel answers "running" for a thread
 * that is on a CPU or runnable (TASK_RUNNING), so no separate read of its run state
 * is needed; for any other thread it waits until the thread is off the CPU and gives
 * the system call it sleeps in with its arguments, the first of which is the futex a
 * lock or condition waits on. A futex inside the interpreter's GIL state is the GIL.
 * The sampler keeps the file open per thread (kept_fd) and reads it again each tick.
 * The cost per sample is in bench/README.md. */
#include "sampler/wait_leaf.h"

#include "attach/thread_wait.h"

const char *pa_wait_leaf(const struct py_walker *walker, pid_t pid, const struct py_thread *thread,
                         bool stopped_by_us, int *kept_fd)
{
    struct pa_thread_wait wait;
    bool read = kept_fd != NULL ? pa_thread_wait_read_kept(pid, thread->tid, kept_fd, &wait)
                                : pa_thread_wait_read(pid, thread->tid, &wait);
    if (!read)
        /* Gone, or not allowed: nothing is known of its wait. */
        return NULL;
    switch (wait.kind) {
    case PA_WAIT_UNKNOWN:
    case PA_WAIT_RUNNING:
        return NULL;
    case PA_WAIT_NO_SYSCALL:
        /* In a ptrace stop of ours outside a system call: it was running Python. */
        return stopped_by_us ? NULL : "<wait kernel>";
    case PA_WAIT_SYSCALL:
        break;
    }
    if (pa_syscall_is_futex(wait.nr) && py_thread_futex_is_gil(walker, thread, wait.arg0))
        return "<wait GIL>";
    return pa_syscall_wait_label(wait.nr);
}
