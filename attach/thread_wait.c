/* /proc/PID/task/TID/syscall, and the names of the system calls a thread waits in. */
#include "attach/thread_wait.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The file's text: "running", "NR ARG0 ... ARG5 SP PC", or "-1 SP PC" outside a
 * system call. */
static bool parse_wait(const char *buf, struct pa_thread_wait *out)
{
    if (strncmp(buf, "running", 7) == 0) {
        out->kind = PA_WAIT_RUNNING;
        return true;
    }
    long nr;
    uint64_t arg0 = 0;
    int fields = sscanf(buf, "%ld %" SCNx64, &nr, &arg0);
    if (fields < 1)
        return false;
    out->kind = nr < 0 ? PA_WAIT_NO_SYSCALL : PA_WAIT_SYSCALL;
    out->nr = nr;
    out->arg0 = fields == 2 ? arg0 : 0;
    return true;
}

static int open_wait_file(pid_t pid, pid_t tid)
{
    char path[80];
    snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
    return open(path, O_RDONLY | O_CLOEXEC);
}

bool pa_thread_wait_read(pid_t pid, pid_t tid, struct pa_thread_wait *out)
{
    int fd = -1;
    bool read = pa_thread_wait_read_kept(pid, tid, &fd, out);
    pa_thread_wait_close(&fd);
    return read;
}

bool pa_thread_wait_read_kept(pid_t pid, pid_t tid, int *fd, struct pa_thread_wait *out)
{
    char buf[256];
    memset(out, 0, sizeof *out);
    bool kept = *fd >= 0;
    if (!kept && (*fd = open_wait_file(pid, tid)) < 0)
        return false;
    /* A read at offset 0 makes the text anew (seq_file), and checks the access again. */
    ssize_t n = pread(*fd, buf, sizeof buf - 1, 0);
    if (n <= 0 && kept) {
        /* The thread it was opened for is gone: the TID may be another thread's now. */
        pa_thread_wait_close(fd);
        if ((*fd = open_wait_file(pid, tid)) < 0)
            return false;
        n = pread(*fd, buf, sizeof buf - 1, 0);
    }
    if (n <= 0)
        return false;
    buf[n] = '\0';
    return parse_wait(buf, out);
}

void pa_thread_wait_close(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

bool pa_syscall_is_futex(long nr)
{
    return nr == SYS_futex
#ifdef SYS_futex_waitv
           || nr == SYS_futex_waitv
#endif
        ;
}

struct syscall_name {
    long nr;
    const char *name;
    const char *wait_label;
};

/* The system calls a thread of a Python program is seen blocked in: sleeping, polling,
 * sockets, pipes and files, locks, child processes, signals. Numbers from this
 * build's <sys/syscall.h>, so the table follows the architecture. */
#define SC(name) {SYS_##name, #name, "<wait " #name ">"}
static const struct syscall_name names[] = {
    SC(read), SC(write), SC(readv), SC(writev), SC(pread64), SC(pwrite64), SC(preadv), SC(pwritev),
    SC(recvfrom), SC(recvmsg), SC(recvmmsg), SC(sendto), SC(sendmsg), SC(sendmmsg), SC(accept), SC(accept4),
    SC(connect), SC(shutdown), SC(ppoll), SC(pselect6), SC(epoll_pwait), SC(nanosleep), SC(clock_nanosleep),
    SC(futex), SC(wait4), SC(waitid), SC(rt_sigsuspend), SC(rt_sigtimedwait), SC(openat), SC(close),
    SC(fsync), SC(fdatasync), SC(flock), SC(fcntl), SC(ioctl), SC(io_getevents), SC(msgrcv), SC(msgsnd),
    SC(semtimedop), SC(splice), SC(sendfile), SC(getrandom), SC(mmap), SC(munmap), SC(mprotect),
    SC(madvise), SC(execve), SC(clone), SC(exit_group), SC(sched_yield), SC(sync), SC(syncfs),
    SC(statx), SC(newfstatat), SC(unlinkat), SC(renameat), SC(mkdirat), SC(getdents64),
#ifdef SYS_poll /* x86-64 has these older calls; arm64 only their successors */
    SC(poll), SC(select), SC(epoll_wait), SC(pause), SC(open), SC(stat), SC(lstat), SC(unlink), SC(rename),
    SC(semop),
#endif
#ifdef SYS_epoll_pwait2
    SC(epoll_pwait2),
#endif
#ifdef SYS_futex_waitv
    SC(futex_waitv),
#endif
#ifdef SYS_io_uring_enter
    SC(io_uring_enter),
#endif
#ifdef SYS_clock_nanosleep_time64
    SC(clock_nanosleep_time64),
#endif
};
#undef SC

static const struct syscall_name *find(long nr)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].nr == nr)
            return &names[i];
    return NULL;
}

const char *pa_syscall_name(long nr)
{
    const struct syscall_name *found = find(nr);
    return found ? found->name : NULL;
}

const char *pa_syscall_wait_label(long nr)
{
    const struct syscall_name *found = find(nr);
    return found ? found->wait_label : "<wait syscall>";
}
