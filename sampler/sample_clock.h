/* The sampling clock: absolute deadlines (no drift), and each sample weighted by the
 * real time since the previous one, so totals stay true when sampling lags. */
#ifndef PYATTACH_SAMPLE_CLOCK_H
#define PYATTACH_SAMPLE_CLOCK_H

#include "attach/clock.h"

#include <stdint.h>

struct pa_sample_clock {
    double interval;  /* seconds */
    double start;     /* monotonic seconds */
    double next;      /* the next deadline: start + index * interval */
    uint64_t index;   /* computed from the index, not summed, so no rounding piles up */
    double last;      /* when the previous sample was taken */
    uint64_t ticks;   /* samples taken */
    uint64_t missed;  /* deadlines dropped after a stall (no sample was taken for them) */
    uint64_t stalls;  /* times deadlines were dropped */
    double worst_lag; /* seconds */
};

void pa_sample_clock_start(struct pa_sample_clock *clock, double rate);

/* Sleeps until the next deadline (a signal may cut the sleep short: then it returns
 * -1 and the caller checks its flags). Otherwise returns the weight of the sample to
 * take now: the seconds since the previous one. */
double pa_sample_clock_wait(struct pa_sample_clock *clock);

/* The bookkeeping of a sample taken at `now` (at or after the deadline): moves the
 * deadline on and returns the sample's weight. Separate from the waiting so that the
 * policy can be tested with made-up times. */
double pa_sample_clock_advance(struct pa_sample_clock *clock, double now);

/* True when so many deadlines were dropped that the sample count is visibly short of
 * rate x duration (more than 1 %): worth a warning. */
int pa_sample_clock_behind(const struct pa_sample_clock *clock);

#endif
