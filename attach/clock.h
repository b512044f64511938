/* The one clock every part measures intervals with. */
#ifndef PYATTACH_CLOCK_H
#define PYATTACH_CLOCK_H

/* Seconds on CLOCK_MONOTONIC. */
double pa_monotonic_seconds(void);

#endif
