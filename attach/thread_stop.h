/* Stopping target threads briefly with ptrace, for exact stacks (--blocking) and
 * native unwinding (--native). PTRACE_SEIZE, never PTRACE_ATTACH: a seized thread is
 * not sent SIGSTOP, and if pyattach dies the kernel detaches it and it runs on.
 * A thread is traced only between stop and resume (see thread_stop.c for why). */
#ifndef PYATTACH_THREAD_STOP_H
#define PYATTACH_THREAD_STOP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "attach/error.h"

struct pa_thread_stopper {
    pid_t pid;
    pid_t *seized;   /* threads stopped now: seized by pa_stopper_stop, detached by resume */
    int *signals;    /* per seized thread: a signal caught at the stop, re-sent on resume */
    size_t count, capacity;
};

void pa_stopper_init(struct pa_thread_stopper *stopper, pid_t pid);

/* Seizes tid if not yet seized, interrupts it and waits until it is stopped.
 * PA_E_PERMISSION explains ptrace_scope / CAP_SYS_PTRACE; PA_E_NO_PROCESS if gone. */
enum pa_status pa_stopper_stop(struct pa_thread_stopper *stopper, pid_t tid, struct pa_error *err);

/* Lets a thread stopped by pa_stopper_stop run again. */
enum pa_status pa_stopper_resume(struct pa_thread_stopper *stopper, pid_t tid, struct pa_error *err);

/* Detaches every seized thread; always called at the end (and from signal paths). */
void pa_stopper_release(struct pa_thread_stopper *stopper);

#endif
