/* What an off-CPU thread waits in, as the kernel tells it: the system call it is
 * blocked in (/proc/PID/task/TID/syscall) and that call's name. */
#ifndef PYATTACH_THREAD_WAIT_H
#define PYATTACH_THREAD_WAIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum pa_wait_kind {
    PA_WAIT_UNKNOWN,   /* the file could not be read (gone, or not allowed) */
    PA_WAIT_RUNNING,   /* "running": it was on a CPU when the kernel looked */
    PA_WAIT_SYSCALL,   /* blocked in system call nr */
    PA_WAIT_NO_SYSCALL,/* off-CPU outside a system call ("-1 ..."): a page fault, a stop */
};

struct pa_thread_wait {
    enum pa_wait_kind kind;
    long nr;       /* the system call, for PA_WAIT_SYSCALL */
    uint64_t arg0; /* its first argument: the futex's address for futex() */
};

/* Reads /proc/PID/task/TID/syscall. The kernel answers only once the thread is off a
 * CPU (or says "running"); it needs the same ptrace access as reading its memory. */
bool pa_thread_wait_read(pid_t pid, pid_t tid, struct pa_thread_wait *out);

/* The same, from the file kept open in *fd between calls (-1: not open yet; opened
 * here): a sampler reading it every tick saves an open and a close each time. The fd
 * stays tied to the thread it was opened for: once that thread is gone its reads
 * fail, even if a new thread takes the TID, so the caller closes it then. */
bool pa_thread_wait_read_kept(pid_t pid, pid_t tid, int *fd, struct pa_thread_wait *out);
void pa_thread_wait_close(int *fd);

/* Whether nr is futex() (a lock, a condition variable, a join). */
bool pa_syscall_is_futex(long nr);

/* The system call's name ("clock_nanosleep", "poll", "recvfrom"), or NULL if this
 * build does not know nr. */
const char *pa_syscall_name(long nr);

/* "<wait NAME>" for a known system call, "<wait syscall>" for another: a string that
 * lives as long as the program. */
const char *pa_syscall_wait_label(long nr);

#endif
