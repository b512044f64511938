/* Parsing the recording options. */
#include "cli/options.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "python_frames/stack_walk.h"

enum long_only {
    OPT_THREADS = 1000, OPT_NATIVE, OPT_NATIVE_ALL, OPT_BLOCKING, OPT_NONBLOCKING, OPT_DELAY, OPT_ONCE, OPT_EVERY,
    OPT_MAX_DEPTH, OPT_BY_REQUEST
};

static const struct option long_options[] = {
    {"pid", required_argument, NULL, 'p'},
    {"duration", required_argument, NULL, 'd'},
    {"output", required_argument, NULL, 'o'},
    {"format", required_argument, NULL, 'f'},
    {"rate", required_argument, NULL, 'r'},
    {"mode", required_argument, NULL, 'm'},
    {"subprocesses", no_argument, NULL, 's'},
    {"quiet", no_argument, NULL, 'q'},
    {"threads", no_argument, NULL, OPT_THREADS},
    {"by-request", no_argument, NULL, OPT_BY_REQUEST},
    {"native", no_argument, NULL, OPT_NATIVE},
    {"native-all", no_argument, NULL, OPT_NATIVE_ALL},
    {"blocking", no_argument, NULL, OPT_BLOCKING},
    {"nonblocking", no_argument, NULL, OPT_NONBLOCKING},
    {"delay", required_argument, NULL, OPT_DELAY},
    {"once", no_argument, NULL, OPT_ONCE},
    {"every", required_argument, NULL, OPT_EVERY},
    {"max-depth", required_argument, NULL, OPT_MAX_DEPTH},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

void pa_options_sampler_settings(const struct pa_options *o, struct pa_sampler_settings *settings)
{
    *settings = (struct pa_sampler_settings){.mode = o->mode,
                                             .subprocesses = o->subprocesses,
                                             .process_roots = o->subprocesses || o->pid_count > 1,
                                             .threads = o->threads,
                                             .by_request = o->by_request,
                                             .native = o->native,
                                             .native_all = o->native_all,
                                             .blocking = o->blocking,
                                             .quiet = o->quiet,
                                             .max_depth = o->max_depth};
}

const char *pa_mode_name(enum pa_mode mode)
{
    switch (mode) {
    case PA_MODE_CPU:
        return "cpu";
    case PA_MODE_GIL:
        return "gil";
    case PA_MODE_WALL:
        break;
    }
    return "wall";
}

static bool parse_number(const char *text, double *out)
{
    char *end;
    errno = 0;
    double value = strtod(text, &end);
    if (*text == '\0' || *end != '\0' || errno != 0 || !isfinite(value))
        return false;
    *out = value;
    return true;
}

static bool parse_pids(const char *text, struct pa_options *o)
{
    char *copy = strdup(text), *save = NULL;
    bool ok = copy != NULL;
    for (char *item = copy ? strtok_r(copy, ",", &save) : NULL; ok && item; item = strtok_r(NULL, ",", &save)) {
        char *end;
        long pid = strtol(item, &end, 10);
        ok = *end == '\0' && pid > 0 && pid <= 0x7fffffff && o->pid_count < PA_MAX_PIDS;
        if (ok)
            o->pids[o->pid_count++] = (pid_t)pid;
    }
    free(copy);
    return ok;
}

/* Whether an output template holds %t (not %%t). */
static bool names_time(const char *template_path)
{
    for (const char *p = template_path; *p; p++) {
        if (*p != '%')
            continue;
        if (p[1] == 't')
            return true;
        if (p[1] != '\0')
            p++;
    }
    return false;
}

static enum pa_parse_result fail(char *message, size_t size, const char *command, const char *what)
{
    snprintf(message, size, "%s: %s (see 'pyattach %s --help')", command, what, command);
    return PA_PARSE_USAGE;
}

bool pa_options_parse_max_depth(const char *command, const char *text, size_t *max_depth, char *message,
                                size_t size)
{
    char *end;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (*text == '\0' || *end != '\0' || errno != 0 || value < 1 || value > PY_MAX_DEPTH_LIMIT) {
        snprintf(message, size,
                 "%s: --max-depth needs a whole number of frames from 1 to %d (see 'pyattach %s --help')", command,
                 PY_MAX_DEPTH_LIMIT, command);
        return false;
    }
    *max_depth = (size_t)value;
    return true;
}

static void print_help(const char *command)
{
    if (strcmp(command, "top") == 0) {
        printf("usage: pyattach top -p PID [-s] [-m wall|cpu|gil] [-r HZ] [--delay SEC] [--once] [--max-depth N]\n");
        return;
    }
    printf("usage: pyattach -p PID [-d SECONDS] [-o FILE] [options]\n"
           "       pyattach record [options] -o FILE -- COMMAND [ARGS...]\n"
           "  -p, --pid PID          target process; several: -p 1,2 or -p 1 -p 2\n"
           "  -d, --duration SEC     stop after SEC seconds (default: Ctrl-C, SIGTERM or target exit)\n"
           "  -o, --output FILE      .prof/.pstats, .txt, .folded/.collapsed, .json (speedscope),\n"
           "                         .pb.gz/.pprof (pprof), .html (the viewer: icicle, sunburst, table);\n"
           "                         %%p pid, %%t UTC timestamp, %%h host, %%%% a percent sign\n"
           "  -f, --format NAME      pstats | text | collapsed | speedscope | pprof | html (overrides the extension)\n"
           "  -r, --rate HZ          samples per second (default 100)\n"
           "  -m, --mode MODE        wall (default) | cpu | gil\n"
           "  -s, --subprocesses     follow descendants\n"
           "      --threads          a root frame per thread\n"
           "      --by-request       an outermost root frame per HTTP request route (Django, WSGI)\n"
           "      --every SEC        keep recording; write each SEC-long interval to its own file\n"
           "                         (the name's %%t is the interval's start)\n"
           "      --max-depth N      Python frames kept per stack (default %d); deeper stacks keep their\n"
           "                         innermost N frames under a <truncated> root\n"
           "      --native           C frames interleaved with Python frames (stops each thread briefly)\n"
           "      --native-all       --native, keeping the interpreter's own C frames too\n"
           "      --blocking         stop threads with ptrace while reading, for exact stacks\n"
           "      --nonblocking      never stop the target (the default)\n"
           "  -q, --quiet            no status line, no summary\n",
           PY_DEFAULT_MAX_DEPTH);
}

enum pa_parse_result pa_options_parse(const char *command, int argc, char **argv, struct pa_options *o,
                                      char *message, size_t size)
{
    memset(o, 0, sizeof *o);
    o->rate = 100.0;
    o->delay = 1.0;
    o->format = PA_FORMAT_PSTATS;
    o->max_depth = PY_DEFAULT_MAX_DEPTH;
    bool top = strcmp(command, "top") == 0;
    int opt;
    optind = 1;
    opterr = 0;
    /* "+": stop at the first non-option, so `record -o x -- python3 -m foo` works. */
    while ((opt = getopt_long(argc, argv, "+:p:d:o:f:r:m:sqh", long_options, NULL)) != -1) {
        switch (opt) {
        case 'p':
            if (!parse_pids(optarg, o))
                return fail(message, size, command, "-p needs process IDs (positive numbers, comma-separated)");
            break;
        case 'd':
            if (!parse_number(optarg, &o->duration) || o->duration <= 0)
                return fail(message, size, command, "-d needs a positive number of seconds");
            break;
        case 'o':
            o->output = optarg;
            break;
        case 'f':
            if (pa_format_from_name(optarg, &o->format) != 0)
                return fail(message, size, command, "-f must be pstats, text, collapsed, speedscope or pprof");
            o->format_given = true;
            break;
        case 'r':
            if (!parse_number(optarg, &o->rate) || o->rate <= 0)
                return fail(message, size, command, "-r needs a positive rate in Hz");
            if (o->rate > PA_MAX_RATE)
                return fail(message, size, command, "-r is above the highest supported rate, 1000000 Hz");
            break;
        case 'm':
            if (strcmp(optarg, "wall") == 0)
                o->mode = PA_MODE_WALL;
            else if (strcmp(optarg, "cpu") == 0)
                o->mode = PA_MODE_CPU;
            else if (strcmp(optarg, "gil") == 0)
                o->mode = PA_MODE_GIL;
            else
                return fail(message, size, command, "-m must be wall, cpu or gil");
            break;
        case 's':
            o->subprocesses = true;
            break;
        case 'q':
            o->quiet = true;
            break;
        case OPT_THREADS:
            o->threads = true;
            break;
        case OPT_BY_REQUEST:
            o->by_request = true;
            break;
        case OPT_NATIVE:
            o->native = true;
            break;
        case OPT_NATIVE_ALL: /* implies --native */
            o->native = o->native_all = true;
            break;
        case OPT_BLOCKING:
            o->blocking = true;
            break;
        case OPT_NONBLOCKING:
            o->blocking = false;
            break;
        case OPT_DELAY:
            if (!parse_number(optarg, &o->delay) || o->delay < 0.05)
                return fail(message, size, command, "--delay needs at least 0.05 seconds");
            break;
        case OPT_ONCE:
            o->once = true;
            break;
        case OPT_EVERY: /* %t has whole seconds: shorter intervals would share a name */
            if (!parse_number(optarg, &o->every) || o->every < 1)
                return fail(message, size, command, "--every needs at least 1 second");
            break;
        case OPT_MAX_DEPTH:
            if (!pa_options_parse_max_depth(command, optarg, &o->max_depth, message, size))
                return PA_PARSE_USAGE;
            break;
        case 'h':
            print_help(command);
            return PA_PARSE_HELP;
        case ':':
            return fail(message, size, command, "an option is missing its value");
        default:
            if (optopt)
                snprintf(message, size, "%s: unknown option '-%c' (see 'pyattach %s --help')", command, optopt, command);
            else
                snprintf(message, size, "%s: unknown option '%s' (see 'pyattach %s --help')", command,
                         argv[optind - 1], command);
            return PA_PARSE_USAGE;
        }
    }
    if (optind < argc)
        o->command = &argv[optind];
    if (top && (o->command || o->output))
        return fail(message, size, command, "top takes -p PID, not a command or -o");
    if (top && o->every > 0)
        return fail(message, size, command, "--every is for recordings, not top");
    if (o->every > 0 && (o->output == NULL || !names_time(o->output)))
        return fail(message, size, command, "--every needs -o FILE with %t in the name (one file per interval)");
    if (o->command && o->pid_count)
        return fail(message, size, command, "give either -p PID or a command after --, not both");
    if (!o->command && o->pid_count == 0)
        return fail(message, size, command, "-p PID is required (or a command after --)");
    if (!top && o->output && !o->format_given && pa_format_from_filename(o->output, &o->format) != 0)
        return fail(message, size, command, "cannot tell the format from the file name: use -f");
    return PA_PARSE_OK;
}

int pa_options_parse_or_report(const char *command, int argc, char **argv, struct pa_options *options)
{
    char message[256];
    switch (pa_options_parse(command, argc, argv, options, message, sizeof message)) {
    case PA_PARSE_HELP:
        return 0;
    case PA_PARSE_USAGE:
        fprintf(stderr, "pyattach: %s\n", message);
        return 1;
    case PA_PARSE_OK:
        break;
    }
    return -1;
}
