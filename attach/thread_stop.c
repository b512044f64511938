/* Stopping one target thread at a time with PTRACE_SEIZE + PTRACE_INTERRUPT, and letting
 * it go with PTRACE_DETACH. Used by --native (and --blocking) around each read.
 *
 * A thread is traced only while it is stopped: seized in pa_stopper_stop, detached in
 * pa_stopper_resume. Keeping threads seized between samples would make every signal the
 * target receives a signal-delivery-stop that waits for our next sample (a 10 ms delay
 * at 100 Hz, longer for threads -m cpu/gil skip), and for `record -- COMMAND` the child's
 * ptrace stops would be reported to record's waitpid(child) as if it had exited. The
 * price is one PTRACE_SEIZE per sample; PTRACE_DETACH both resumes and detaches.
 *
 * After PTRACE_INTERRUPT, waitpid reports whichever stop comes first:
 *   - the interrupt itself (PTRACE_EVENT_STOP with SIGTRAP);
 *   - a group-stop (PTRACE_EVENT_STOP with SIGSTOP/SIGTSTP/SIGTTIN/SIGTTOU): the thread
 *     is stopped anyway; PTRACE_DETACH puts it back into the group-stop;
 *   - a signal-delivery-stop: a signal arrived first. The thread is stopped just the
 *     same; we keep the signal and hand it back with PTRACE_DETACH, so none is lost
 *     (detaching also drops the still-pending interrupt);
 *   - the thread's exit: it is gone, PA_E_NO_PROCESS.
 * If pyattach dies while a thread is stopped, the kernel detaches and resumes it. */
#include "attach/thread_stop.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

void pa_stopper_init(struct pa_thread_stopper *s, pid_t pid)
{
    memset(s, 0, sizeof *s);
    s->pid = pid;
}

static ptrdiff_t find(const struct pa_thread_stopper *s, pid_t tid)
{
    for (size_t i = 0; i < s->count; i++)
        if (s->seized[i] == tid)
            return (ptrdiff_t)i;
    return -1;
}

static void forget(struct pa_thread_stopper *s, size_t i)
{
    s->seized[i] = s->seized[s->count - 1];
    s->signals[i] = s->signals[s->count - 1];
    s->count--;
}

static enum pa_status remember(struct pa_thread_stopper *s, pid_t tid, struct pa_error *err)
{
    if (s->count == s->capacity) {
        size_t n = s->capacity ? s->capacity * 2 : 16;
        pid_t *tids = realloc(s->seized, n * sizeof *tids);
        if (tids != NULL)
            s->seized = tids;
        int *signals = realloc(s->signals, n * sizeof *signals);
        if (signals != NULL)
            s->signals = signals;
        if (tids == NULL || signals == NULL)
            return pa_fail(err, PA_E_NOMEM, "out of memory");
        s->capacity = n;
    }
    s->seized[s->count] = tid;
    s->signals[s->count] = 0;
    s->count++;
    return PA_OK;
}

/* The tracer of pid from /proc/PID/status (0: none), to tell "someone else traces it" apart. */
static long tracer_of(pid_t pid, pid_t tid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)pid, (int)tid);
    FILE *f = fopen(path, "r");
    long tracer = 0;
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "TracerPid: %ld", &tracer) == 1)
            break;
    if (f != NULL)
        fclose(f);
    return tracer;
}

static int ptrace_scope(void)
{
    FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "r");
    int scope = -1;
    if (f != NULL) {
        if (fscanf(f, "%d", &scope) != 1)
            scope = -1;
        fclose(f);
    }
    return scope;
}

static enum pa_status seize_failed(const struct pa_thread_stopper *s, pid_t tid, int error, struct pa_error *err)
{
    if (error == ESRCH)
        return pa_fail(err, PA_E_NO_PROCESS, "thread %d of process %d is gone", (int)tid, (int)s->pid);
    if (error != EPERM)
        return pa_fail(err, PA_E_INTERNAL, "PTRACE_SEIZE of thread %d of process %d failed: %s", (int)tid,
                       (int)s->pid, strerror(error));
    long tracer = tracer_of(s->pid, tid);
    if (tracer > 0)
        return pa_fail(err, PA_E_PERMISSION,
                       "cannot ptrace thread %d of process %d: process %ld (a debugger?) already traces it; "
                       "--native and --blocking stop threads briefly with ptrace",
                       (int)tid, (int)s->pid, tracer);
    int scope = ptrace_scope();
    return pa_fail(err, PA_E_PERMISSION,
                   "cannot ptrace thread %d of process %d: Operation not permitted. --native and --blocking "
                   "stop threads briefly with ptrace, which needs CAP_SYS_PTRACE (run as root, or docker --cap-add "
                   "SYS_PTRACE) or the target's user with kernel.yama.ptrace_scope <= 1 (it is %d%s; "
                   "1 also requires pyattach to be the target's ancestor, e.g. `pyattach record -- CMD`)",
                   (int)tid, (int)s->pid, scope, scope < 0 ? ", unknown: no Yama" : "");
}

/* Waits for the stop PTRACE_INTERRUPT asked for; *signal: a signal to re-send at resume. */
static enum pa_status wait_stopped(const struct pa_thread_stopper *s, pid_t tid, int *signal, struct pa_error *err)
{
    for (;;) {
        int status = 0;
        pid_t got = waitpid(tid, &status, __WALL);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return pa_fail(err, PA_E_NO_PROCESS, "thread %d of process %d is gone (waitpid: %s)", (int)tid,
                           (int)s->pid, strerror(errno));
        if (WIFEXITED(status) || WIFSIGNALED(status))
            return pa_fail(err, PA_E_NO_PROCESS, "thread %d of process %d exited", (int)tid, (int)s->pid);
        if (!WIFSTOPPED(status))
            continue;
        int event = status >> 16;
        *signal = event == 0 ? WSTOPSIG(status) : 0; /* 0: interrupt- or group-stop */
        return PA_OK;
    }
}

enum pa_status pa_stopper_stop(struct pa_thread_stopper *s, pid_t tid, struct pa_error *err)
{
    if (find(s, tid) >= 0)
        return pa_fail(err, PA_E_INTERNAL, "thread %d is already stopped", (int)tid);
    enum pa_status status = remember(s, tid, err);
    if (status != PA_OK)
        return status;
    if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) != 0) {
        int error = errno;
        forget(s, s->count - 1);
        return seize_failed(s, tid, error, err);
    }
    if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) != 0) {
        int error = errno;
        ptrace(PTRACE_DETACH, tid, NULL, NULL); /* fails (ESRCH) unless stopped: harmless */
        forget(s, s->count - 1);
        return error == ESRCH ? pa_fail(err, PA_E_NO_PROCESS, "thread %d of process %d is gone", (int)tid,
                                        (int)s->pid)
                              : pa_fail(err, PA_E_INTERNAL, "PTRACE_INTERRUPT of thread %d failed: %s",
                                        (int)tid, strerror(error));
    }
    status = wait_stopped(s, tid, &s->signals[s->count - 1], err);
    if (status != PA_OK)
        forget(s, s->count - 1); /* exited: the kernel already untraced it */
    return status;
}

enum pa_status pa_stopper_resume(struct pa_thread_stopper *s, pid_t tid, struct pa_error *err)
{
    ptrdiff_t i = find(s, tid);
    if (i < 0)
        return pa_fail(err, PA_E_INTERNAL, "thread %d is not stopped", (int)tid);
    int signal = s->signals[i];
    forget(s, (size_t)i);
    if (ptrace(PTRACE_DETACH, tid, NULL, (void *)(long)signal) != 0) {
        if (errno == ESRCH) {
            int status;
            waitpid(tid, &status, WNOHANG | __WALL); /* killed while stopped: reap our tracee */
            return pa_fail(err, PA_E_NO_PROCESS, "thread %d of process %d is gone", (int)tid, (int)s->pid);
        }
        return pa_fail(err, PA_E_INTERNAL, "PTRACE_DETACH of thread %d failed: %s", (int)tid, strerror(errno));
    }
    return PA_OK;
}

void pa_stopper_release(struct pa_thread_stopper *s)
{
    while (s->count > 0)
        pa_stopper_resume(s, s->seized[s->count - 1], NULL);
    free(s->seized);
    free(s->signals);
    s->seized = NULL;
    s->signals = NULL;
    s->capacity = 0;
}
