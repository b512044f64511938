/* The floor of a sampler's CPU per tick: a process that does nothing but wait for
 * each tick, as pyattach waits (sampler/sample_clock.c: clock_nanosleep to each
 * absolute deadline, timer slack 1 ns), RATE times a second for SECONDS, and prints
 * the CPU it used per tick in µs (user + system, getrusage).
 * Built by bench_tachyon.py with cc; usage: sleep_floor RATE SECONDS */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>

int main(int argc, char **argv)
{
    if (argc != 3 || atol(argv[1]) <= 0 || atol(argv[2]) <= 0) {
        fprintf(stderr, "usage: sleep_floor RATE SECONDS\n");
        return 2;
    }
    long rate = atol(argv[1]), ticks = rate * atol(argv[2]), step = 1000000000L / rate;
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (long i = 0; i < ticks; i++) {
        next.tv_nsec += step;
        while (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            next.tv_sec++;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                 ru.ru_stime.tv_usec / 1e6;
    printf("%.2f\n", cpu / (double)ticks * 1e6);
    return 0;
}
