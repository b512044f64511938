/* Every output format behind one interface: add a sample, write at the end. */
#ifndef PYATTACH_WRITER_H
#define PYATTACH_WRITER_H

#include <stdio.h>

#include "attach/error.h"
#include "output/stack.h"

enum pa_format {
    PA_FORMAT_PSTATS,
    PA_FORMAT_TEXT,
    PA_FORMAT_COLLAPSED,
    PA_FORMAT_SPEEDSCOPE,
    PA_FORMAT_PPROF,
    PA_FORMAT_HTML,
};

/* What a recording knows beyond its samples, for the formats that carry it (pprof, html). */
struct pa_recording_info {
    const char *mode;    /* "wall" | "cpu" | "gil" */
    double interval;     /* seconds between samples (1 / rate) */
    double start;        /* wall clock when sampling began, seconds since the epoch */
    double duration;     /* seconds sampled */
    const char *program; /* the command line of the target sampled (the first one), or NULL */
    const struct pa_native_lines *native_lines; /* --native: native frames' lines; else NULL */
};

struct pa_writer;

struct pa_writer_ops {
    const char *name; /* as given to -f: "pstats", "text", "collapsed", "speedscope", "pprof", "html" */
    struct pa_writer *(*create)(void);
    enum pa_status (*add)(struct pa_writer *writer, const struct pa_stack *stack, struct pa_error *err);
    /* Writes everything added so far; may be called more than once (live view saves). */
    enum pa_status (*write)(struct pa_writer *writer, FILE *out, struct pa_error *err);
    void (*destroy)(struct pa_writer *writer);
    /* Optional (NULL: the format has no use for it): the recording's info, given
     * before write; the writer copies what it keeps. */
    void (*describe)(struct pa_writer *writer, const struct pa_recording_info *info);
};

/* The ops for a format, and the format named by -f or by a file name's extension. */
const struct pa_writer_ops *pa_writer_ops_for(enum pa_format format);
int pa_format_from_name(const char *name, enum pa_format *out);      /* 0 on success */
int pa_format_from_filename(const char *path, enum pa_format *out);  /* 0 on success; .prof is the default */

#endif
