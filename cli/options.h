/* The recording options of the CLI contract (shared/CLI.md), parsed once; the only
 * mutable state of the program outside its stages. Used by record and top. */
#ifndef PYATTACH_OPTIONS_H
#define PYATTACH_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "output/writer.h"
#include "sampler/sampler_settings.h"

/* Hz: one sample per microsecond. A tick costs a few microseconds, so the highest
 * rate held depends on the machine and the target (bench/README.md); a rate above it
 * is sampled back to back and the summary says how many deadlines were missed. */
#define PA_MAX_RATE 1000000.0

struct pa_options {
    pid_t pids[PA_MAX_PIDS];
    size_t pid_count;
    double duration;      /* seconds; 0 = until a signal or the target exits */
    const char *output;   /* a template: %p %t %h %% */
    bool format_given;
    enum pa_format format;
    double rate;          /* Hz */
    enum pa_mode mode;
    bool subprocesses;
    bool threads;
    bool by_request;      /* --by-request: a root per HTTP request route */
    bool native;
    bool native_all;      /* --native-all: keep the interpreter's own C frames too */
    bool blocking;
    bool quiet;
    size_t max_depth;     /* --max-depth: Python frames kept per stack (PY_DEFAULT_MAX_DEPTH) */
    double every;         /* --every: seconds per output file; 0 = one file for the whole run */
    char **command;       /* record -- COMMAND ARGS...; NULL-terminated */
    double delay;         /* top: seconds between refreshes */
    bool once;            /* top: one plain snapshot per interval */
};

enum pa_parse_result { PA_PARSE_OK, PA_PARSE_USAGE, PA_PARSE_HELP };

/* --max-depth's value: 1..PY_MAX_DEPTH_LIMIT; false (and *message set) otherwise.
 * Shared with dump. */
bool pa_options_parse_max_depth(const char *command, const char *text, size_t *max_depth, char *message,
                                size_t message_size);

/* Parses argv (argv[0] is the subcommand) for "record" or "top". On a usage error
 * message holds one line to print. */
enum pa_parse_result pa_options_parse(const char *command, int argc, char **argv, struct pa_options *options,
                                      char *message, size_t message_size);

/* pa_options_parse for a command's entry point: prints the help or the one-line
 * usage error itself. Returns -1 when the command should go on, else its exit status. */
int pa_options_parse_or_report(const char *command, int argc, char **argv, struct pa_options *options);

const char *pa_mode_name(enum pa_mode mode);

/* The sampler's part of the options. */
void pa_options_sampler_settings(const struct pa_options *options, struct pa_sampler_settings *settings);

#endif
