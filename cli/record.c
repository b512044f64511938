/* `pyattach record` (and `pyattach -p PID ...`): sample until the duration ends, a
 * signal arrives or the targets exit, then write the profile atomically. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach/array.h"
#include "cli/commands.h"
#include "cli/stop_signals.h"
#include "cli/options.h"
#include "cli/output_file.h"
#include "sampler/sample_clock.h"
#include "sampler/sampler.h"

#define STATUS_INTERVAL 0.25
#define SPAWN_ATTACH_TIMEOUT 10.0

/* Signal state: the one thing a handler may touch. The first SIGINT/SIGTERM/SIGHUP
 * asks to stop and write; a second SIGINT leaves at once, removing the temporary
 * files of the outputs (created before sampling, see open_outputs). */
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int signo)
{
    if (signo == SIGINT && stop_requested) {
        pa_output_unlink_all();
        _exit(130);
    }
    stop_requested = 1;
}

struct process_output {
    pid_t pid;
    struct pa_writer *writer;
    struct pa_output_file *file;     /* with -o: its temporary file, open */
};

struct recording {
    const struct pa_options *options;
    const struct pa_writer_ops *ops;
    bool per_process;                /* -o holds %p: one file per process */
    struct process_output *outputs;  /* one entry, or one per process */
    size_t output_count, output_capacity;
    enum pa_status sink_status;
    struct pa_error sink_err;
    /* --every: the current interval began interval_start seconds after sampling did, at
     * wall clock wall_start (the epoch's seconds) + interval_start */
    double wall_start, interval_start;
    struct pa_recording_info info;   /* given to the writers before they write */
    struct pa_native_lines native_lines; /* --native: info.native_lines */
    const struct pa_sampler *sampler;
    enum pa_status rotate_status;
    struct pa_error rotate_err;
    pid_t name_pid;                  /* for %p when not per process: the first target */
    time_t name_start;               /* %t: the recording's start; an interval's is this + its offset */
};

/* The writer of pid's output; with -o its file is created when the process is first
 * seen (a file that cannot be created ends the run: err says why). */
static struct pa_writer *writer_for(struct recording *r, pid_t pid, struct pa_error *err)
{
    pid_t key = r->per_process ? pid : 0;
    for (size_t i = 0; i < r->output_count; i++)
        if (r->outputs[i].pid == key)
            return r->outputs[i].writer;
    if (!pa_array_reserve((void **)&r->outputs, &r->output_capacity, r->output_count + 1, sizeof *r->outputs)) {
        pa_fail(err, PA_E_NOMEM, "out of memory");
        return NULL;
    }
    struct pa_output_file *file = NULL;
    const char *template_path = r->options->output;
    char path[4096];
    if (template_path &&
        !pa_output_expand(template_path, r->per_process ? pid : r->name_pid,
                           r->name_start + (time_t)r->interval_start, path, sizeof path)) {
        pa_fail(err, PA_E_USAGE, "bad output name '%s' (known: %%p %%t %%h %%%%)", template_path);
        return NULL;
    }
    if (template_path && pa_output_open(path, &file, err) != PA_OK)
        return NULL;
    struct pa_writer *writer = r->ops->create();
    if (writer == NULL) {
        pa_output_discard(file);
        pa_fail(err, PA_E_NOMEM, "out of memory");
        return NULL;
    }
    r->outputs[r->output_count++] = (struct process_output){key, writer, file};
    return writer;
}

static void sink(void *user, struct pa_sampled_process *process, const struct pa_stack *stack)
{
    struct recording *r = user;
    if (r->sink_status != PA_OK)
        return;
    struct pa_writer *writer = writer_for(r, process->pid, &r->sink_err);
    if (writer == NULL) {
        r->sink_status = r->sink_err.status;
        return;
    }
    if (r->ops->add(writer, stack, &r->sink_err) != PA_OK)
        r->sink_status = r->sink_err.status;
}

static bool stderr_is_terminal(const struct pa_options *o)
{
    return !o->quiet && isatty(STDERR_FILENO);
}

/* Returns once the child has exec'd (or failed to): until then it is a copy of
 * pyattach, which holding a capability is not dumpable and holds it, and which
 * attach/access_check.c would refuse. A close-on-exec pipe reads end-of-file then. */
static pid_t spawn(char **command, struct pa_error *err)
{
    int exec_done[2];
    pid_t child = pipe2(exec_done, O_CLOEXEC) == 0 ? fork() : -1;
    if (child < 0) {
        pa_fail(err, PA_E_USAGE, "cannot start %s: %s", command[0], strerror(errno));
        return -1;
    }
    if (child == 0) {
        close(exec_done[0]);
        execvp(command[0], command);
        fprintf(stderr, "pyattach: cannot run %s: %s\n", command[0], strerror(errno));
        _exit(127);
    }
    close(exec_done[1]);
    char byte;
    while (read(exec_done[0], &byte, 1) < 0 && errno == EINTR)
        continue;
    close(exec_done[0]);
    return child;
}

/* A spawned command becomes Python only after exec and the runtime's start: retry. */
static enum pa_status attach_spawned(struct pa_sampler *sampler, pid_t child, int *child_status,
                                     bool *child_exited, struct pa_error *err)
{
    double start = pa_monotonic_seconds();
    for (;;) {
        if (waitpid(child, child_status, WNOHANG) == child) {
            *child_exited = true;
            return pa_fail(err, PA_E_NOT_PYTHON, "the command exited before Python could be found in it");
        }
        enum pa_status status = pa_sampler_add(sampler, child, err);
        if (status == PA_OK || (status != PA_E_NOT_PYTHON && status != PA_E_NO_PROCESS) || stop_requested ||
            pa_monotonic_seconds() - start > SPAWN_ATTACH_TIMEOUT)
            return status;
        struct timespec pause = {0, 5 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

/* The reloader of Django's runserver and a gunicorn master do no Python work of
 * their own: say so when their children are Python and -s was not given. */
static void hint_about_children(const struct pa_sampler *sampler, const struct pa_options *o)
{
    if (o->subprocesses || o->quiet)
        return;
    for (size_t i = 0; i < sampler->count; i++) {
        pid_t root = sampler->processes[i]->pid, *found = NULL;
        size_t count = 0;
        if (pa_process_descendants(&root, 1, &found, &count, NULL) != PA_OK)
            continue;
        for (size_t c = 0; c < count; c++) {
            struct py_process child;
            if (py_process_attach(found[c], &child, NULL) == PA_OK) {
                py_process_detach(&child);
                fprintf(stderr,
                        "pyattach: note: PID %d has Python child processes (e.g. %d); use --subprocesses "
                        "(-s) to profile them too, or -p %d\n",
                        (int)root, (int)found[c], (int)found[c]);
                break;
            }
        }
        free(found);
    }
}

static void print_status(const struct pa_sampler *sampler, const struct pa_sample_clock *clock, double now)
{
    uint64_t samples = 0, errors = 0;
    for (size_t i = 0; i < sampler->count; i++) {
        samples += sampler->processes[i]->samples;
        errors += sampler->processes[i]->errors;
    }
    double elapsed = now - clock->start;
    fprintf(stderr, "\r\033[Kpyattach: %.1f s, %llu samples, %.1f/s, %llu errors, %zu process%s", elapsed,
            (unsigned long long)samples, elapsed > 0 ? (double)clock->ticks / elapsed : 0.0,
            (unsigned long long)errors, pa_sampler_alive(sampler), pa_sampler_alive(sampler) == 1 ? "" : "es");
}

static enum pa_status write_outputs(struct recording *r, pid_t first_pid, struct pa_error *err);

static void set_info(struct recording *r, struct pa_sampler *sampler, double duration)
{
    const struct pa_options *o = r->options;
    r->sampler = sampler;
    r->native_lines = (struct pa_native_lines){.lookup = pa_sampler_native_line, .user = sampler};
    r->info = (struct pa_recording_info){
        .mode = pa_mode_name(o->mode),
        .interval = 1.0 / o->rate,
        .start = r->wall_start + r->interval_start,
        .duration = duration,
        .program = sampler->count ? sampler->processes[0]->python.target.process.command : NULL,
        .native_lines = o->native ? &r->native_lines : NULL,
    };
}

/* --every: what was sampled up to the interval's end goes to its own files, named by
 * the interval's start; the next interval starts with empty writers. */
static bool rotate(struct recording *r, struct pa_sampler *sampler, double now)
{
    const struct pa_options *o = r->options;
    double end = floor(now / o->every) * o->every;
    pa_sampler_flush(sampler);
    set_info(r, sampler, end - r->interval_start);
    if (stderr_is_terminal(o))
        fputs("\r\033[K", stderr);
    r->rotate_status = write_outputs(r, sampler->count ? sampler->processes[0]->pid : r->name_pid, &r->rotate_err);
    for (size_t i = 0; i < r->output_count; i++) {
        r->ops->destroy(r->outputs[i].writer);
        pa_output_discard(r->outputs[i].file); /* those not written when a write failed */
    }
    r->output_count = 0;
    /* The next interval's files are named name_start + end (writer_for): from the first
     * file's time, not from the clock now. That file was named when the outputs were
     * opened, before attaching (which can take a second), so names from the sampling
     * clock could be 2 s apart after the first with --every 1 (seen in CI). */
    r->interval_start = end;
    return r->rotate_status == PA_OK;
}

static void sample_until_done(struct recording *r, struct pa_sampler *sampler, const struct pa_options *o,
                              pid_t child, int *child_status, bool *child_exited)
{
    struct pa_sample_clock clock;
    pa_sample_clock_start(&clock, o->rate);
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    r->wall_start = (double)wall.tv_sec + wall.tv_nsec / 1e9;
    double last_status = 0;
    bool status_line = stderr_is_terminal(o);
    while (!stop_requested && r->sink_status == PA_OK) {
        double weight = pa_sample_clock_wait(&clock);
        if (weight < 0)
            continue; /* woken by a signal */
        double now = clock.last - clock.start;
        if (o->duration > 0 && now >= o->duration + clock.interval / 2)
            break;
        /* an interval ends before the tick at its end: the tick starts the next one */
        if (o->every > 0 && now - r->interval_start >= o->every && !(o->duration > 0 && now >= o->duration) &&
            !rotate(r, sampler, now))
            break;
        pa_sampler_discover(sampler, now);
        pa_sampler_tick(sampler, weight, now);
        if (child > 0 && !*child_exited && waitpid(child, child_status, WNOHANG) == child)
            *child_exited = true;
        if ((pa_sampler_alive(sampler) == 0 && pa_sampler_waiting(sampler) == 0) || (child > 0 && *child_exited))
            break;
        if (o->duration > 0 && now >= o->duration)
            break;
        if (status_line && now - last_status >= STATUS_INTERVAL) {
            print_status(sampler, &clock, clock.last);
            last_status = now;
        }
    }
    pa_sampler_flush(sampler);
    if (status_line)
        fputs("\r\033[K", stderr);
    /* A late tick that is caught up costs nothing; deadlines dropped after stalls
     * cost samples. Worth a line once they are a visible share (the weights keep
     * the totals right either way). */
    if (pa_sample_clock_behind(&clock) && !o->quiet)
        fprintf(stderr,
                "pyattach: warning: behind in sampling: %llu of %llu samples missed in %llu stalls (longest "
                "%.1f ms); samples are weighted by the real time they stand for\n",
                (unsigned long long)clock.missed, (unsigned long long)(clock.ticks + clock.missed),
                (unsigned long long)clock.stalls, clock.worst_lag * 1e3);
}

static void print_summary(const struct pa_sampler *sampler, double elapsed)
{
    for (size_t i = 0; i < sampler->count; i++) {
        const struct pa_sampled_process *p = sampler->processes[i];
        /* Truncated samples are among those with Python frames (under <truncated>);
         * said only when there are some, so the usual line keeps its shape. */
        char truncated[96] = "";
        if (p->truncated > 0)
            snprintf(truncated, sizeof truncated, ", %llu truncated at --max-depth %zu",
                     (unsigned long long)p->truncated, sampler->settings->max_depth);
        fprintf(stderr,
                "pyattach: PID %d (CPython %s): %llu samples, %llu with Python frames, %llu idle, %llu failed%s, "
                "in %.2f s%s\n",
                (int)p->pid, p->version, (unsigned long long)p->samples,
                (unsigned long long)(p->samples - p->idle - p->errors), (unsigned long long)p->idle,
                (unsigned long long)p->errors, truncated, elapsed, p->alive ? "" : " (exited)");
    }
    const struct pa_request_roots *requests = &sampler->requests;
    if (!sampler->settings->by_request)
        return;
    uint64_t served = 0, read = 0;
    for (size_t i = 0; i < sampler->count; i++)
        if (sampler->processes[i]->requests)
            py_request_reader_counts(sampler->processes[i]->requests, &served, &read);
    fprintf(stderr,
            "pyattach: --by-request: %zu request labels, %zu more folded into " PA_OTHER_REQUESTS
            " (at most %d per recording); %llu samples in requests, labels read from the target %llu times\n",
            requests->count, requests->folded_count, PA_REQUEST_LABELS_MAX, (unsigned long long)served,
            (unsigned long long)read);
}

static enum pa_status write_outputs(struct recording *r, pid_t first_pid, struct pa_error *err)
{
    const struct pa_options *o = r->options;
    if (r->output_count == 0 && writer_for(r, first_pid, err) == NULL)
        return err->status;
    for (size_t i = 0; i < r->output_count; i++) {
        if (r->ops->describe) {
            struct pa_recording_info info = r->info;
            for (size_t k = 0; r->per_process && r->sampler && k < r->sampler->count; k++)
                if (r->sampler->processes[k]->pid == r->outputs[i].pid)
                    info.program = r->sampler->processes[k]->python.target.process.command;
            r->ops->describe(r->outputs[i].writer, &info);
        }
        if (o->output == NULL) {
            enum pa_status status = r->ops->write(r->outputs[i].writer, stdout, err);
            if (status == PA_OK && (fflush(stdout) != 0 || ferror(stdout)))
                status = pa_fail(err, PA_E_OUTPUT, "cannot write to standard output: %s", strerror(errno));
            if (status != PA_OK)
                return status;
            continue;
        }
        char path[sizeof r->outputs[i].file->path];
        memcpy(path, r->outputs[i].file->path, sizeof path);
        struct pa_output_file *file = r->outputs[i].file;
        r->outputs[i].file = NULL; /* committed or discarded: freed either way */
        enum pa_status status = pa_output_commit(file, r->ops, r->outputs[i].writer, err);
        if (status != PA_OK)
            return status;
        if (!o->quiet)
            fprintf(stderr, "pyattach: wrote %s\n", path);
    }
    return PA_OK;
}

/* -o with %p: a wrapper that is not CPython (-s) gets no file of its own. */
static void drop_output(struct recording *r, pid_t pid)
{
    for (size_t i = 0; i < r->output_count; i++) {
        if (r->outputs[i].pid != pid)
            continue;
        r->ops->destroy(r->outputs[i].writer);
        pa_output_discard(r->outputs[i].file);
        r->outputs[i] = r->outputs[--r->output_count];
        return;
    }
}

/* Before sampling, the output files of the processes known are created (their
 * temporary files, kept open for the end): an output that cannot be written ends the
 * run before the first sample. A spawned command's PID for %p is known only once it
 * is attached; files of processes found later (-s) are created when first seen. */
static enum pa_status open_outputs(struct recording *r, const pid_t *pids, size_t count, struct pa_error *err)
{
    for (size_t i = 0; r->options->output && i < count; i++)
        if (writer_for(r, pids[i], err) == NULL)
            return err->status;
    return PA_OK;
}

static int finish(struct recording *r, struct pa_sampler *sampler, enum pa_status status, struct pa_error *err)
{
    for (size_t i = 0; i < r->output_count; i++) {
        r->ops->destroy(r->outputs[i].writer);
        pa_output_discard(r->outputs[i].file);
    }
    free(r->outputs);
    pa_sampler_free(sampler);
    if (status != PA_OK)
        pa_print_error(err->message);
    return pa_status_exit_code(status);
}

int pa_cmd_record(int argc, char **argv)
{
    struct pa_options o;
    int exit_code = pa_options_parse_or_report("record", argc, argv, &o);
    if (exit_code >= 0)
        return exit_code;
    if (o.output == NULL && !o.format_given)
        o.format = PA_FORMAT_TEXT; /* no -o: the cProfile table on stdout */

    struct recording r = {.options = &o, .ops = pa_writer_ops_for(o.format)};
    r.per_process = o.output && pa_output_per_process(o.output) && (o.subprocesses || o.pid_count > 1);
    struct pa_sampler_settings settings;
    pa_options_sampler_settings(&o, &settings);
    struct pa_sampler sampler;
    struct pa_error err = {0};
    enum pa_status status = pa_sampler_init(&sampler, &settings, sink, &r, &err);
    if (status != PA_OK)
        return finish(&r, &sampler, status, &err);
    pa_install_stop_handlers(on_stop_signal);

    r.name_start = time(NULL);
    r.name_pid = o.pid_count ? o.pids[0] : 0;
    bool known = !(o.command && pa_output_per_process(o.output ? o.output : ""));
    status = known ? open_outputs(&r, o.pid_count ? o.pids : &r.name_pid, o.pid_count ? o.pid_count : 1, &err)
                   : PA_OK;
    if (status != PA_OK)
        return finish(&r, &sampler, status, &err);
    pid_t child = -1;
    int child_status = 0;
    bool child_exited = false;
    if (o.command) {
        child = spawn(o.command, &err);
        status = child < 0 ? err.status : attach_spawned(&sampler, child, &child_status, &child_exited, &err);
    }
    for (size_t i = 0; status == PA_OK && i < o.pid_count; i++)
        status = pa_sampler_add_target(&sampler, o.pids[i], &err);
    for (size_t i = 0; status == PA_OK && r.per_process && i < sampler.wrapper_count; i++)
        drop_output(&r, sampler.wrappers[i].pid);
    if (status != PA_OK) {
        if (child > 0 && !child_exited)
            waitpid(child, &child_status, 0);
        return finish(&r, &sampler, status, &err);
    }
    if (!known) {
        r.name_pid = child;
        status = open_outputs(&r, &child, 1, &err);
        if (status != PA_OK) {
            kill(child, SIGTERM); /* we started it for this run */
            waitpid(child, &child_status, 0);
            return finish(&r, &sampler, status, &err);
        }
    }
    hint_about_children(&sampler, &o);

    double start = pa_monotonic_seconds();
    sample_until_done(&r, &sampler, &o, child, &child_status, &child_exited);
    double elapsed = pa_monotonic_seconds() - start;
    if (r.sink_status != PA_OK)
        return finish(&r, &sampler, r.sink_status, &r.sink_err);
    if (r.rotate_status != PA_OK)
        return finish(&r, &sampler, r.rotate_status, &r.rotate_err);
    if (pa_sampler_found_none(&sampler, &err))
        return finish(&r, &sampler, err.status, &err);
    if (!o.quiet)
        print_summary(&sampler, elapsed);
    set_info(&r, &sampler, elapsed - r.interval_start);
    status = write_outputs(&r, sampler.processes[0]->pid, &err);
    if (child > 0 && !child_exited && stop_requested)
        kill(child, SIGTERM); /* we started it; a signal to us ends it too */
    if (child > 0 && !child_exited)
        waitpid(child, &child_status, 0);
    return finish(&r, &sampler, status, &err);
}
