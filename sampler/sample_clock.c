/* Absolute-deadline sampling clock. */
#include "sampler/sample_clock.h"

#include <errno.h>
#include <math.h>
#include <sys/prctl.h>
#include <time.h>

/* Below this, sleeping costs more precision than it saves CPU: wait by spinning. */
#define SPIN_BELOW 50e-6

/* A sample late by up to this much is caught up: the deadlines it overran are kept
 * and the next samples are taken back to back until the schedule is met again. At
 * high rates a timer interrupt or a page fault delays a tick by more than a whole
 * interval (10 us at 100 kHz) many times a second, and on a VM the host now and then
 * takes the CPU away for a few milliseconds; dropping the deadlines each time lost
 * 1-6 % of the samples at 100 kHz for nothing (a tick costs ~5 us, so 10 ms of lag is
 * made up within ~12 ms). A longer stall (the machine is overloaded, we were stopped)
 * drops the deadlines it covers instead of bunching a burst of samples after it: the
 * weights still cover the whole gap. (py-spy catches up without limit and warns past
 * 1 s behind.) */
#define CATCH_UP_LIMIT 10e-3

void pa_sample_clock_start(struct pa_sample_clock *c, double rate)
{
    /* The default 50 us timer slack would make every short sleep late at high rates. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    c->interval = 1.0 / rate;
    c->start = pa_monotonic_seconds();
    c->last = c->start;
    c->index = 1;
    c->next = c->start + c->interval;
    c->ticks = 0;
    c->missed = 0;
    c->stalls = 0;
    c->worst_lag = 0;
}

double pa_sample_clock_advance(struct pa_sample_clock *c, double now)
{
    double lag = now - c->next;
    if (lag > c->worst_lag)
        c->worst_lag = lag;
    if (lag > c->interval && lag > CATCH_UP_LIMIT) {
        /* Drop the deadlines that passed during the stall; keep the phase, so the
         * schedule stays on start + k * interval. */
        uint64_t dropped = (uint64_t)(lag / c->interval);
        c->missed += dropped;
        c->stalls++;
        c->index += dropped + 1;
    } else {
        c->index++;
    }
    c->next = c->start + (double)c->index * c->interval;
    double weight = now - c->last;
    c->last = now;
    c->ticks++;
    return weight;
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
    return pa_sample_clock_advance(c, now);
}

int pa_sample_clock_behind(const struct pa_sample_clock *c)
{
    return c->missed * 100 > c->ticks + c->missed;
}
