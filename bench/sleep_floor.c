/* The floor of a sampler's CPU per tick: a process that does nothing but wait for
 * each tick, as pyattach waits (sampler/sample_clock.c: clock_nanosleep to each
 * absolute deadline, timer slack 1 ns), RATE times a second for SECONDS, and prints
 * the CPU it used per tick in µs (user + system, getrusage).
 *
 * WAY (optional) waits another way, to see whether any is cheaper (bench/README.md,
 * "Where a wake-up's 15-27 µs go"):
 *   sleep     the default, as above
 *   slack50   clock_nanosleep with the default 50 µs timer slack
 *   slack20   clock_nanosleep with 20 µs of timer slack
 *   fifo      clock_nanosleep under SCHED_FIFO (priority 1; needs root)
 *   timerfd   read() of a periodic timerfd
 *   sigwait   sigwaitinfo() on a periodic POSIX timer's signal
 *   ppoll     ppoll() with no fds until the deadline
 * Pinning is left to taskset.
 * Built by bench_tachyon.py with cc; usage: sleep_floor RATE SECONDS [WAY] */
#define _GNU_SOURCE
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static void advance(struct timespec *t, long step)
{
    t->tv_nsec += step;
    while (t->tv_nsec >= 1000000000L) {
        t->tv_nsec -= 1000000000L;
        t->tv_sec++;
    }
}

static void wait_sleeping(long ticks, long step)
{
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (long i = 0; i < ticks; i++) {
        advance(&next, step);
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
}

static void wait_ppoll(long ticks, long step)
{
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (long i = 0; i < ticks; i++) {
        advance(&next, step);
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left = (next.tv_sec - now.tv_sec) * 1000000000L + (next.tv_nsec - now.tv_nsec);
        if (left > 0) {
            struct timespec timeout = {left / 1000000000L, left % 1000000000L};
            ppoll(NULL, 0, &timeout, NULL);
        }
    }
}

static int wait_timerfd(long ticks, long step)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    struct itimerspec period = {{step / 1000000000L, step % 1000000000L}, {step / 1000000000L, step % 1000000000L}};
    if (fd < 0 || timerfd_settime(fd, 0, &period, NULL) != 0)
        return -1;
    for (long i = 0; i < ticks;) {
        uint64_t expired = 0;
        if (read(fd, &expired, sizeof expired) != (ssize_t)sizeof expired)
            return -1;
        i += (long)expired;
    }
    return close(fd);
}

static int wait_sigwait(long ticks, long step)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct sigevent event = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN};
    struct itimerspec period = {{step / 1000000000L, step % 1000000000L}, {step / 1000000000L, step % 1000000000L}};
    timer_t timer;
    if (timer_create(CLOCK_MONOTONIC, &event, &timer) != 0 || timer_settime(timer, 0, &period, NULL) != 0)
        return -1;
    for (long i = 0; i < ticks; i++) {
        siginfo_t info;
        if (sigwaitinfo(&set, &info) < 0)
            return -1;
        i += info.si_overrun;
    }
    return timer_delete(timer);
}

int main(int argc, char **argv)
{
    if ((argc != 3 && argc != 4) || atol(argv[1]) <= 0 || atol(argv[2]) <= 0) {
        fprintf(stderr, "usage: sleep_floor RATE SECONDS [sleep|slack50|slack20|fifo|timerfd|sigwait|ppoll]\n");
        return 2;
    }
    long rate = atol(argv[1]), ticks = rate * atol(argv[2]), step = 1000000000L / rate;
    const char *way = argc == 4 ? argv[3] : "sleep";
    unsigned long slack = strcmp(way, "slack50") == 0 ? 50000UL : strcmp(way, "slack20") == 0 ? 20000UL : 1UL;
    prctl(PR_SET_TIMERSLACK, slack, 0, 0, 0);
    struct sched_param priority = {.sched_priority = 1};
    if (strcmp(way, "fifo") == 0 && sched_setscheduler(0, SCHED_FIFO, &priority) != 0) {
        perror("sleep_floor: SCHED_FIFO");
        return 1;
    }
    int rc = 0;
    if (strcmp(way, "timerfd") == 0)
        rc = wait_timerfd(ticks, step);
    else if (strcmp(way, "sigwait") == 0)
        rc = wait_sigwait(ticks, step);
    else if (strcmp(way, "ppoll") == 0)
        wait_ppoll(ticks, step);
    else if (strcmp(way, "sleep") == 0 || slack != 1UL || strcmp(way, "fifo") == 0)
        wait_sleeping(ticks, step);
    else {
        fprintf(stderr, "sleep_floor: unknown way %s\n", way);
        return 2;
    }
    if (rc != 0) {
        perror("sleep_floor");
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                 ru.ru_stime.tv_usec / 1e6;
    printf("%.2f\n", cpu / (double)ticks * 1e6);
    return 0;
}
