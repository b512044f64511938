/* Absolute-deadline sampling clock. */
#include "cli/sample_clock.h"

#include <errno.h>
#include <math.h>
#include <sys/prctl.h>
#include <time.h>

double pa_monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Below this, sleeping costs more precision than it saves CPU: wait by spinning. */
#define SPIN_BELOW 50e-6

void pa_sample_clock_start(struct pa_sample_clock *c, double rate)
{
    /* The default 50 us timer slack would make every short sleep late at high rates. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    c->interval = 1.0 / rate;
    c->start = pa_monotonic_seconds();
    c->last = c->start;
    c->next = c->start + c->interval;
    c->ticks = 0;
    c->late = 0;
    c->worst_lag = 0;
}

double pa_sample_clock_wait(struct pa_sample_clock *c)
{
    double now = pa_monotonic_seconds();
    while (now < c->next && c->next - now < SPIN_BELOW)
        now = pa_monotonic_seconds();
    if (now < c->next) {
        struct timespec deadline;
        double whole = floor(c->next);
        deadline.tv_sec = (time_t)whole;
        deadline.tv_nsec = (long)((c->next - whole) * 1e9);
        if (deadline.tv_nsec >= 1000000000L)
            deadline.tv_nsec = 999999999L;
        if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == EINTR)
            return -1;
        now = pa_monotonic_seconds();
    }
    double lag = now - c->next;
    if (lag > c->worst_lag)
        c->worst_lag = lag;
    if (lag > c->interval) {
        /* Behind by more than a sample: skip the missed deadlines rather than
         * bunching samples; the weight below still covers the whole gap. */
        c->late++;
        c->next = now + c->interval;
    } else {
        c->next += c->interval;
    }
    double weight = now - c->last;
    c->last = now;
    c->ticks++;
    return weight;
}
