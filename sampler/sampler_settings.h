/* What the sampler is asked to do. The CLI fills it from its options
 * (pa_options_sampler_settings), so that nothing below the CLI includes the CLI. */
#ifndef PYATTACH_SAMPLER_SETTINGS_H
#define PYATTACH_SAMPLER_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#define PA_MAX_PIDS 64 /* targets given with -p */

enum pa_mode {
    PA_MODE_WALL, /* every thread at every sample, as cProfile measures */
    PA_MODE_CPU,  /* threads the kernel has on a CPU at the sample */
    PA_MODE_GIL,  /* the thread holding the GIL */
};

struct pa_sampler_settings {
    enum pa_mode mode;
    bool subprocesses;  /* -s: follow descendants */
    bool process_roots; /* a <process ...> root per process (-s, or several -p) */
    bool threads;       /* a <thread ...> root per thread */
    bool by_request;    /* an outermost root naming the request a thread serves */
    bool native;        /* C frames too */
    bool native_all;    /* ... and the interpreter's own */
    bool blocking;      /* stop threads while they are read */
    bool quiet;         /* print nothing on success */
    size_t max_depth;   /* Python frames kept per stack */
};

#endif
