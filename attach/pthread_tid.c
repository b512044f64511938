/* Where glibc keeps the TID in struct pthread, learnt from a thread of our own. */
#include "attach/pthread_tid.h"

#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SEARCH_BYTES 2048

struct probe {
    int32_t offset;
};

static void *find_own_tid(void *arg)
{
    struct probe *probe = arg;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    const unsigned char *self = (const unsigned char *)pthread_self();
    for (int32_t at = 0; at + (int32_t)sizeof(pid_t) <= SEARCH_BYTES; at += (int32_t)sizeof(pid_t)) {
        pid_t value;
        memcpy(&value, self + at, sizeof value);
        if (value == tid) {
            probe->offset = at;
            break;
        }
    }
    return NULL;
}

int32_t pa_pthread_tid_offset(void)
{
    /* A fresh thread, so its TID differs from the PID and cannot be confused with it. */
    struct probe probe = {.offset = -1};
    pthread_t thread;
    if (pthread_create(&thread, NULL, find_own_tid, &probe) != 0)
        return -1;
    pthread_join(thread, NULL);
    return probe.offset;
}
