/* Thread names from what the kernel knows. */
#include "python_frames/thread_names.h"

#include <stdio.h>
#include <string.h>

bool py_thread_name(const struct py_process *p, const struct py_thread *t, char *out, size_t size)
{
    pid_t pid = p->target.process.pid;
    if (t->tid == pid) {
        snprintf(out, size, "MainThread");
        return true;
    }
    char process_comm[32], thread_comm[32];
    if (t->tid <= 0 || !pa_thread_comm(pid, pid, process_comm, sizeof process_comm) ||
        !pa_thread_comm(pid, t->tid, thread_comm, sizeof thread_comm) || strcmp(process_comm, thread_comm) == 0)
        return false;
    snprintf(out, size, "%s", thread_comm);
    return true;
}
