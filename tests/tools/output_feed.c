/* Test helper: feeds synthetic stacks through an output writer.
 *
 *   output_feed [-f FORMAT] [-o OUT] INPUT      stacks from a text file (see below)
 *   output_feed [-f FORMAT] [-o OUT] --generate SAMPLES,STACKS,DEPTH
 *                                               a deterministic synthetic load through the
 *                                               writer, then through a bare aggregation;
 *                                               prints "maxrss_kb=N aggregate_bytes=N
 *                                               seconds=S" on stderr (seconds: the writer's CPU time)
 *
 * FORMAT is pstats | text | collapsed | speedscope, default from OUT's extension.
 * Input: one sample per "S" line, its frames on the "F" lines after it, ROOT FIRST:
 *   S <pid> <tid> <weight seconds> [<timestamp>] [incomplete]
 *   F<TAB><call id><TAB><first line><TAB><line><TAB><filename><TAB><function>
 * and optionally "P <minor>": the samples after it are from CPython 3.<minor>.
 * Blank lines and lines starting with '#' are ignored. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output/profile_aggregate.h"
#include "output/writer.h"

struct sample {
    struct pa_stack stack;
    struct pa_frame *frames; /* root first while reading; reversed before adding */
    size_t n, capacity;
};

static void die(const char *msg, const char *arg)
{
    fprintf(stderr, "output_feed: %s%s\n", msg, arg ? arg : "");
    exit(1);
}

static void add_sample(const struct pa_writer_ops *ops, struct pa_writer *w, struct sample *s)
{
    for (size_t i = 0; i < s->n / 2; i++) {
        struct pa_frame t = s->frames[i];
        s->frames[i] = s->frames[s->n - 1 - i];
        s->frames[s->n - 1 - i] = t;
    }
    s->stack.frames = s->frames;
    s->stack.depth = s->n;
    struct pa_error err;
    pa_error_clear(&err);
    if (ops->add(w, &s->stack, &err) != PA_OK)
        die("add failed: ", err.message);
    for (size_t i = 0; i < s->n; i++) {
        free((char *)s->frames[i].filename);
        free((char *)s->frames[i].function);
    }
    s->n = 0;
}

static void feed_file(const struct pa_writer_ops *ops, struct pa_writer *w, const char *path)
{
    FILE *in = fopen(path, "r");
    if (in == NULL)
        die("cannot open ", path);
    struct sample s = {0};
    bool open_sample = false;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, in)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        if (line[0] == 'P') { /* "P MINOR": the samples that follow are from CPython 3.MINOR */
            if (sscanf(line, "P %d", &s.stack.cpython_minor) != 1)
                die("bad P line: ", line);
        } else if (line[0] == 'S') {
            if (open_sample)
                add_sample(ops, w, &s);
            char flag[32] = "";
            s.stack.timestamp = 0;
            int got = sscanf(line, "S %d %d %lf %lf %31s", &s.stack.pid, &s.stack.tid,
                             &s.stack.weight, &s.stack.timestamp, flag);
            if (got < 3)
                die("bad S line: ", line);
            s.stack.incomplete = strcmp(flag, "incomplete") == 0;
            open_sample = true;
        } else if (line[0] == 'F' && line[1] == '\t' && open_sample) {
            char *fields[5];
            char *p = line + 2;
            for (int i = 0; i < 5; i++) {
                fields[i] = p;
                char *tab = i < 4 ? strchr(p, '\t') : NULL;
                if (i < 4 && tab == NULL)
                    die("bad F line: ", line);
                if (tab) {
                    *tab = '\0';
                    p = tab + 1;
                }
            }
            if (s.n == s.capacity) {
                s.capacity = s.capacity ? s.capacity * 2 : 16;
                s.frames = realloc(s.frames, s.capacity * sizeof *s.frames);
                if (s.frames == NULL)
                    die("out of memory", NULL);
            }
            s.frames[s.n++] = (struct pa_frame){
                .call_id = strtoull(fields[0], NULL, 0),
                .first_line = atoi(fields[1]),
                .line = atoi(fields[2]),
                .filename = strdup(fields[3]),
                .function = strdup(fields[4]),
            };
        } else {
            die("bad line: ", line);
        }
    }
    if (open_sample)
        add_sample(ops, w, &s);
    free(line);
    free(s.frames);
    fclose(in);
}

static uint64_t next_random(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

typedef enum pa_status (*add_fn)(void *ctx, const struct pa_stack *stack, struct pa_error *err);

struct writer_ctx {
    const struct pa_writer_ops *ops;
    struct pa_writer *writer;
};

static enum pa_status add_to_writer(void *ctx, const struct pa_stack *stack, struct pa_error *err)
{
    struct writer_ctx *w = ctx;
    return w->ops->add(w->writer, stack, err);
}

/* SAMPLES samples drawn from STACKS distinct stacks of up to DEPTH frames over 2000
 * functions in 200 files, two threads; a call lasts a few samples (call ids change).
 * Returns the seconds it took. */
static double generate(const char *spec, add_fn add, void *ctx)
{
    unsigned long samples, stacks, depth;
    if (sscanf(spec, "%lu,%lu,%lu", &samples, &stacks, &depth) != 3 || depth == 0 || stacks == 0)
        die("--generate wants SAMPLES,STACKS,DEPTH, not ", spec);
    static char names[2000][32], files[200][48];
    for (int i = 0; i < 2000; i++)
        snprintf(names[i], sizeof names[i], "module_function_%d", i);
    for (int i = 0; i < 200; i++)
        snprintf(files[i], sizeof files[i], "/srv/app/package/module_%d.py", i);
    struct pa_frame *frames = calloc(depth, sizeof *frames);
    struct pa_error err;
    pa_error_clear(&err);
    struct timespec t0, t1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    uint64_t rnd = 88172645463325252ull;
    for (unsigned long i = 0; i < samples; i++) {
        uint64_t stack_id = next_random(&rnd) % stacks;
        uint64_t shape = stack_id * 0x9e3779b97f4a7c15ull;
        size_t d = 1 + (size_t)(shape % depth);
        uint64_t epoch = i / 5; /* calls end every few samples */
        for (size_t k = 0; k < d; k++) {
            uint64_t f = ((shape >> (k % 32)) * 31 + k * 7) % 2000;
            frames[d - 1 - k] = (struct pa_frame){
                .filename = files[f % 200],
                .function = names[f],
                .first_line = (int)f * 10 + 1,
                .line = (int)f * 10 + 3,
                .call_id = (k < 3 ? 1000 + k : epoch * 1000 + k),
            };
        }
        struct pa_stack stack = {
            .pid = 100, .tid = 100 + (int)(i % 2), .weight = 0.001,
            .timestamp = (double)i * 0.001, .depth = d, .frames = frames,
        };
        if (add(ctx, &stack, &err) != PA_OK)
            die("add failed: ", err.message);
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    free(frames);
    return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

/* VmHWM, the peak RSS of this program: getrusage's ru_maxrss would include the
 * parent's peak, which Linux carries across execve. */
static long peak_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
            break;
    }
    if (f != NULL)
        fclose(f);
    return kb;
}

static enum pa_status add_to_aggregate(void *ctx, const struct pa_stack *stack, struct pa_error *err)
{
    return pa_aggregate_add(ctx, stack, err);
}

int main(int argc, char **argv)
{
    const char *format_name = NULL, *out_path = NULL, *input = NULL, *spec = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-f") == 0 && i + 1 < argc)
            format_name = argv[++i];
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out_path = argv[++i];
        else if (strcmp(argv[i], "--generate") == 0 && i + 1 < argc)
            spec = argv[++i];
        else if (input == NULL && argv[i][0] != '-')
            input = argv[i];
        else
            die("usage: output_feed [-f FORMAT] [-o OUT] (INPUT | --generate S,N,D)", NULL);
    }
    if (input == NULL && spec == NULL)
        die("usage: output_feed [-f FORMAT] [-o OUT] (INPUT | --generate S,N,D)", NULL);
    enum pa_format format = PA_FORMAT_PSTATS;
    if (format_name != NULL ? pa_format_from_name(format_name, &format) != 0
                            : out_path != NULL && pa_format_from_filename(out_path, &format) != 0)
        die("unknown format for ", format_name ? format_name : out_path);
    const struct pa_writer_ops *ops = pa_writer_ops_for(format);
    struct pa_writer *w = ops->create();
    if (w == NULL)
        die("out of memory", NULL);
    double seconds = 0;
    if (spec != NULL) {
        struct writer_ctx ctx = {ops, w};
        seconds = generate(spec, add_to_writer, &ctx);
    } else {
        feed_file(ops, w, input);
    }
    FILE *out = out_path && strcmp(out_path, "-") != 0 ? fopen(out_path, "wb") : stdout;
    if (out == NULL)
        die("cannot create ", out_path);
    struct pa_error err;
    pa_error_clear(&err);
    enum pa_status st = ops->write(w, out, &err);
    if (out != stdout && fclose(out) != 0 && st == PA_OK)
        die("cannot write ", out_path);
    ops->destroy(w);
    if (st != PA_OK)
        die("write failed: ", err.message);
    if (spec != NULL) {
        /* the same load through a bare aggregation, for its byte count */
        struct pa_aggregate agg;
        pa_aggregate_init(&agg);
        generate(spec, add_to_aggregate, &agg);
        size_t bytes = pa_aggregate_bytes(&agg);
        pa_aggregate_free(&agg);
        fprintf(stderr, "maxrss_kb=%ld aggregate_bytes=%zu seconds=%.3f\n", peak_rss_kb(), bytes,
                seconds);
    }
    return 0;
}
