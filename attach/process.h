/* A target process as /proc shows it: existence, identity (start time, so a reused
 * PID is noticed), command line, threads and their run states. */
#ifndef PYATTACH_PROCESS_H
#define PYATTACH_PROCESS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "attach/error.h"

struct pa_process {
    pid_t pid;
    unsigned long long start_time; /* /proc/PID/stat field 22, clock ticks after boot */
    int pidfd;                     /* pidfd_open's handle on this very process; -1 if unavailable */
    int dir_fd;                    /* /proc/PID, whose files' owner attach/access_check.c watches */
    char command[512];             /* the command line, arguments joined by spaces */
    char exe[PATH_MAX];            /* readlink of /proc/PID/exe, as the target sees it */
};

/* Validates the PID and fills *proc. PA_E_NO_PROCESS if it does not exist;
 * PA_E_PERMISSION, before anything of it is read, if pyattach runs with privileges
 * its user does not have and the process is not that user's (attach/access_check.h). */
enum pa_status pa_process_open(pid_t pid, struct pa_process *proc, struct pa_error *err);

void pa_process_close(struct pa_process *proc);

/* Whether the process is still running (not exited, not a zombie). With a pidfd this
 * is one poll and immune to PID reuse; without, the start time is compared. Under
 * attach/access_check.h's rule, a process that stopped being the user's own (it ran
 * a set-uid program) counts as gone too. */
bool pa_process_alive(const struct pa_process *proc);

/* Whether the process is running but no longer to be profiled under that rule; err
 * says why. */
bool pa_process_lost_access(const struct pa_process *proc, struct pa_error *err);

/* The process's start time (/proc/PID/stat field 22); false if there is none. */
bool pa_process_start_time(pid_t pid, unsigned long long *start_time);

/* The host path of a file the target sees as `path`: through /proc/PID/root, so a
 * target in another mount namespace (a container) is read from the host. Under
 * attach/access_check.h's rule a target that fails it gets "" (no file opens). */
void pa_process_host_path(pid_t pid, const char *path, char *out, size_t out_size);

/* The TIDs of the target's threads (from /proc/PID/task). *tids is malloc'd. */
enum pa_status pa_process_threads(pid_t pid, pid_t **tids, size_t *count, struct pa_error *err);

/* A thread's scheduler state letter from /proc/PID/task/TID/stat ('R' running, 'S'
 * sleeping, 'D' disk, 't' traced, ...), or 0 if it is gone. */
char pa_thread_state(pid_t pid, pid_t tid);

/* The thread's time on a CPU so far in nanoseconds (/proc/PID/task/TID/schedstat,
 * first field); false if gone or the kernel lacks schedstats. */
bool pa_thread_cpu_ns(pid_t pid, pid_t tid, unsigned long long *ns);

/* Whether TID is a thread of PID now. */
bool pa_thread_exists(pid_t pid, pid_t tid);

/* The TID, as pyattach's /proc numbers it, of the thread of PID that calls itself
 * `own_tid` (what gettid() returned inside the target, the TID its interpreter keeps):
 * the same number unless the target runs in a PID namespace of its own (a container),
 * where the last field of the thread's "NSpid:" line is it. 0 if no thread is. */
pid_t pa_thread_host_tid(pid_t pid, pid_t own_tid);

/* The thread's kernel name (/proc/PID/task/TID/comm) into out; false if gone. */
bool pa_thread_comm(pid_t pid, pid_t tid, char *out, size_t out_size);

/* Every descendant of the given roots (children, grandchildren, ...), from one scan
 * of /proc. *descendants is malloc'd. */
enum pa_status pa_process_descendants(const pid_t *roots, size_t root_count, pid_t **descendants, size_t *count,
                                      struct pa_error *err);

#endif
