/* One sampled stack as the output layer sees it: plain strings and numbers, no
 * knowledge of CPython. Every writer and the aggregation consume this. */
#ifndef PYATTACH_STACK_H
#define PYATTACH_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pa_frame {
    const char *filename;  /* "~" for synthetic and native frames, as cProfile keys built-ins */
    const char *function;  /* qualname where the version has one, else co_name */
    int first_line;        /* co_firstlineno; 0 for synthetic frames */
    int line;              /* the line executing in this frame now; 0 if unknown */
    uint32_t native_id;    /* a native frame's PC, as the recording's pa_native_lines
                              (writer.h) knows it, for its source line looked up when the
                              profile is written; 0 for Python and synthetic frames */
    uint64_t call_id;      /* identifies one call: equal in two consecutive samples of the
                              same thread at the same depth = the same call (see README) */
};

struct pa_stack {
    int pid;
    int tid;
    double weight;         /* seconds of wall time this sample stands for */
    double timestamp;      /* seconds since the recording started */
    bool incomplete;       /* the walk stopped early (torn read, depth cap) */
    int cpython_minor;     /* the 3.x of the process sampled, 0 if unknown (pstats imitates its marshal) */
    size_t depth;
    const struct pa_frame *frames; /* frames[0] is the innermost (leaf), frames[depth-1] the root */
};

/* Source lines of native frames (pa_frame.native_id), looked up when a profile is
 * written: only for the PCs sampled, after sampling, since a module's debug info is
 * costly to load. lookup gives the file and line of pid's native_id, or false. */
struct pa_native_lines {
    bool (*lookup)(void *user, int pid, uint32_t native_id, const char **file, int *line);
    void *user;
};

#endif
