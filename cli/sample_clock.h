/* The sampling clock: absolute deadlines (no drift), and each sample weighted by the
 * real time since the previous one, so totals stay true when sampling lags. */
#ifndef PYATTACH_SAMPLE_CLOCK_H
#define PYATTACH_SAMPLE_CLOCK_H

#include <stdint.h>

struct pa_sample_clock {
    double interval;  /* seconds */
    double start;     /* monotonic seconds */
    double next;      /* the next deadline */
    double last;      /* when the previous sample was taken */
    uint64_t ticks;
    uint64_t late;    /* deadlines missed by more than one interval */
    double worst_lag; /* seconds */
};

double pa_monotonic_seconds(void);

void pa_sample_clock_start(struct pa_sample_clock *clock, double rate);

/* Sleeps until the next deadline (a signal may cut the sleep short: then it returns
 * -1 and the caller checks its flags). Otherwise returns the weight of the sample to
 * take now: the seconds since the previous one. */
double pa_sample_clock_wait(struct pa_sample_clock *clock);

#endif
