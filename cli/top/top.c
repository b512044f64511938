/* `pyattach top -p PID`: a live table of where the targets spend their time, redrawn
 * every --delay seconds; one plain snapshot per interval when stdout is no terminal
 * (or with --once, one and done). Sampling, keys and drawing meet only here. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/stop_signals.h"
#include "cli/options.h"
#include "sampler/sample_clock.h"
#include "sampler/sampler.h"
#include "cli/top/top_keys.h"
#include "cli/top/top_model.h"
#include "cli/top/top_render.h"
#include "cli/top/top_save.h"
#include "cli/top/top_snapshot.h"
#include "cli/top/top_term.h"

#define PLAIN_ROWS 40 /* rows of a plain snapshot */

/* Signal state: the one thing a handler may touch. */
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int signo)
{
    (void)signo;
    stop_requested = 1;
}

struct top {
    struct pa_options options; /* top's own copy: `m` changes its mode */
    struct pa_sampler_settings settings; /* the sampler's, which it reads every tick: `m` changes it too */
    bool user_threads;         /* --threads given: keep the <thread> roots in the profile */
    struct pa_sampler sampler;
    struct top_model model;
    struct top_snapshot snap;
    struct top_view view;
    struct pa_sample_clock clock;
    double reset_at;           /* clock seconds of the start or the last reset */
    double interval_start;
    uint64_t interval_ticks, interval_listings, interval_gil;
    unsigned active, idle;     /* at the latest tick */
    bool exited;
    char cwd[512];             /* the first target's, read at attach */
};

static void sink(void *user, struct pa_sampled_process *process, const struct pa_stack *stack)
{
    (void)process;
    top_model_add(user, stack);
}

static double clock_now(const struct top *t)
{
    return pa_monotonic_seconds() - t->clock.start;
}

static void totals(const struct pa_sampler *s, uint64_t *idle, uint64_t *errors, uint64_t *listings, uint64_t *gil)
{
    *idle = *errors = *listings = *gil = 0;
    for (size_t i = 0; i < s->count; i++) {
        *idle += s->processes[i]->idle;
        *errors += s->processes[i]->errors;
        *listings += s->processes[i]->tick;
        *gil += s->processes[i]->gil_ticks;
    }
}

static void tick(struct top *t, double weight)
{
    uint64_t idle0, idle1, errors, listings, gil;
    totals(&t->sampler, &idle0, &errors, &listings, &gil);
    double now = t->clock.last - t->clock.start;
    t->model.tick_stacks = 0;
    pa_sampler_discover(&t->sampler, now);
    pa_sampler_tick(&t->sampler, weight, now);
    pa_sampler_flush(&t->sampler); /* this tick's stacks in this tick's figures */
    totals(&t->sampler, &idle1, &errors, &listings, &gil);
    t->active = t->model.tick_stacks;
    t->idle = (unsigned)(idle1 - idle0);
    if (pa_sampler_alive(&t->sampler) == 0 && pa_sampler_waiting(&t->sampler) == 0)
        t->exited = true;
}

static void describe_targets(const struct pa_sampler *s, struct top_header *h)
{
    const struct pa_sampled_process *first = s->processes[0];
    if (s->count == 1) {
        /* "/root/.pyenv/versions/3.12.1/bin/python3.12 app.py" -> "python3.12 app.py" */
        const char *command = first->python.target.process.command, *space = strchr(command, ' ');
        const char *slash = command;
        for (const char *c = command; *c && (space == NULL || c < space); c++)
            if (*c == '/')
                slash = c + 1;
        snprintf(h->targets, sizeof h->targets, "PID %d %.140s", (int)first->pid, slash);
    } else {
        size_t used = (size_t)snprintf(h->targets, sizeof h->targets, "%zu of %zu alive, PIDs", pa_sampler_alive(s),
                                       s->count);
        for (size_t i = 0; i < s->count && used < sizeof h->targets; i++)
            used += (size_t)snprintf(h->targets + used, sizeof h->targets - used, "%s %d", i ? "," : "",
                                     (int)s->processes[i]->pid);
    }
    size_t used = (size_t)snprintf(h->versions, sizeof h->versions, "CPython %s", first->version);
    for (size_t i = 1; i < s->count && used < sizeof h->versions; i++) {
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen = seen || strcmp(s->processes[j]->version, s->processes[i]->version) == 0;
        if (!seen)
            used += (size_t)snprintf(h->versions + used, sizeof h->versions - used, ", %s", s->processes[i]->version);
    }
}

/* The figures of the interval that ends now; the rows too unless paused. */
static void refresh(struct top *t, bool end_interval)
{
    double now = clock_now(t);
    uint64_t idle, errors, listings, gil;
    totals(&t->sampler, &idle, &errors, &listings, &gil);
    struct top_header h = {.mode = t->options.mode, .active = t->active, .idle = t->idle, .errors = errors,
                           .elapsed = now - t->reset_at, .interval = now - t->interval_start, .exited = t->exited};
    describe_targets(&t->sampler, &h);
    h.by_request = t->settings.by_request;
    /* The sampler's labels outlive `r` (stacks point at them), so the count is since the start. */
    h.requests_folded = t->sampler.requests.folded_count;
    snprintf(h.cwd, sizeof h.cwd, "%s", t->cwd);
    if (h.interval > 0)
        h.rate = (double)(t->clock.ticks - t->interval_ticks) / h.interval;
    h.gil_known = listings > t->interval_listings;
    if (h.gil_known)
        h.gil = (double)(gil - t->interval_gil) / (double)(listings - t->interval_listings);
    if (end_interval) {
        top_model_end_interval(&t->model);
        t->interval_start = now;
        t->interval_ticks = t->clock.ticks;
        t->interval_listings = listings;
        t->interval_gil = gil;
    }
    if (t->view.paused && !t->exited)
        return;
    struct pa_error err = {0};
    if (top_snapshot_take(&t->snap, &t->model, &err) != PA_OK)
        snprintf(t->view.message, sizeof t->view.message, "%.190s", err.message);
    t->snap.header = h;
}

static void reset(struct top *t, const char *why)
{
    top_model_reset(&t->model);
    t->reset_at = clock_now(t);
    snprintf(t->view.message, sizeof t->view.message, "%s", why);
    refresh(t, false);
}

static void save(struct top *t)
{
    char path[4096];
    struct pa_error err = {0};
    if (top_save(&t->model.total.profile, t->sampler.processes[0]->pid, path, sizeof path, &err) == PA_OK)
        snprintf(t->view.message, sizeof t->view.message, "Saved %.150s (%.1f s of samples)", path,
                 t->model.total_weight);
    else
        snprintf(t->view.message, sizeof t->view.message, "Not saved: %.180s", err.message);
}

/* `S`: the .prof as `s` writes it, and the viewer page of the same samples. */
static void save_html(struct top *t)
{
    char path[4096], html[4096];
    struct pa_error err = {0};
    pid_t pid = t->sampler.processes[0]->pid;
    double now = clock_now(t);
    struct pa_recording_info info = {.mode = pa_mode_name(t->options.mode),
                                     .interval = 1.0 / t->options.rate,
                                     .start = (double)time(NULL) - (now - t->reset_at),
                                     .duration = now - t->reset_at,
                                     .program = t->sampler.processes[0]->python.target.process.command};
    if (top_save(&t->model.total.profile, pid, path, sizeof path, &err) == PA_OK &&
        top_save_html(t->model.tree, &info, path, html, sizeof html, &err) == PA_OK)
        snprintf(t->view.message, sizeof t->view.message, "Saved %.70s and .html (%.1f s of samples)", path,
                 t->model.total_weight);
    else
        snprintf(t->view.message, sizeof t->view.message, "Not saved: %.180s", err.message);
}

static void next_mode(struct top *t)
{
    t->options.mode = t->options.mode == PA_MODE_WALL ? PA_MODE_CPU
                      : t->options.mode == PA_MODE_CPU ? PA_MODE_GIL
                                                       : PA_MODE_WALL;
    t->settings.mode = t->options.mode;
    char why[64];
    snprintf(why, sizeof why, "Mode %s: totals reset", pa_mode_name(t->options.mode));
    reset(t, why);
}

/* Does what a key asked; false to quit. */
static bool act(struct top *t, enum top_action action)
{
    switch (action) {
    case TOP_QUIT:
        return false;
    case TOP_RESET:
        reset(t, "Totals reset");
        break;
    case TOP_SAVE:
        save(t);
        break;
    case TOP_SAVE_HTML:
        save_html(t);
        break;
    case TOP_NEXT_MODE:
        next_mode(t);
        break;
    case TOP_NOTHING:
        return true;
    case TOP_REDRAW:
    case TOP_RESIZE:
        break;
    }
    top_term_draw(&t->snap, &t->view);
    return true;
}

/* Waits up to `seconds` (forever when negative) for a key; false when a signal came. */
static bool wait_for_key(double seconds)
{
    struct pollfd fd = {.fd = STDIN_FILENO, .events = POLLIN};
    int ms = seconds < 0 ? -1 : (int)(seconds * 1000) + 1;
    return poll(&fd, 1, ms) >= 0 || errno != EINTR;
}

static void on_exit_of_targets(struct top *t)
{
    refresh(t, true);
    t->view.exited = true;
    snprintf(t->view.message, sizeof t->view.message, "The target%s exited; press any key to quit",
             t->sampler.count > 1 ? "s" : "");
    top_term_draw(&t->snap, &t->view);
}

static void run_screen(struct top *t)
{
    double next_refresh = t->options.delay;
    refresh(t, false);
    top_term_draw(&t->snap, &t->view);
    bool running = true;
    while (running && !stop_requested) {
        double now = clock_now(t), due = t->clock.next - t->clock.start;
        if (!t->exited && next_refresh < due)
            due = next_refresh;
        if (t->exited || due > now)
            wait_for_key(t->exited ? -1 : due - now); /* a signal (SIGWINCH too) cuts it short */
        for (int key; running && (key = top_term_key()) >= 0;)
            running = act(t, top_view_key(&t->view, key));
        if (!running || t->exited)
            continue;
        now = clock_now(t);
        if (now >= t->clock.next - t->clock.start) {
            double weight = pa_sample_clock_wait(&t->clock); /* due already: returns at once */
            if (weight >= 0)
                tick(t, weight);
            if (t->exited) {
                on_exit_of_targets(t);
                continue;
            }
        }
        if (t->options.duration > 0 && now >= t->options.duration)
            break;
        if (now >= next_refresh) {
            refresh(t, true);
            top_term_draw(&t->snap, &t->view);
            next_refresh += t->options.delay;
            if (next_refresh <= now)
                next_refresh = now + t->options.delay;
        }
    }
}

static void put_plain(void *user, int y, const char *text, enum top_style style)
{
    (void)y;
    (void)style;
    fprintf(user, "%s\n", text);
}

static bool print_plain(struct top *t)
{
    top_render(&t->snap, &t->view, 0, 0, PLAIN_ROWS, put_plain, stdout);
    if (t->exited)
        printf("The target%s exited.\n", t->sampler.count > 1 ? "s" : "");
    putchar('\n');
    return fflush(stdout) == 0 && !ferror(stdout);
}

static enum pa_status run_plain(struct top *t, struct pa_error *err)
{
    double next_refresh = t->options.delay;
    while (!stop_requested) {
        double weight = pa_sample_clock_wait(&t->clock);
        if (weight < 0)
            continue;
        tick(t, weight);
        double now = t->clock.last - t->clock.start;
        bool done = t->exited || (t->options.duration > 0 && now >= t->options.duration);
        if (now < next_refresh && !done)
            continue;
        refresh(t, true);
        if (!print_plain(t))
            return pa_fail(err, PA_E_OUTPUT, "cannot write to standard output: %s", strerror(errno));
        if (done || t->options.once)
            break;
        next_refresh += t->options.delay;
        if (next_refresh <= now)
            next_refresh = now + t->options.delay;
    }
    return PA_OK;
}

/* -s with only wrappers among the targets (not CPython, see sampler/sampler.h): the view
 * starts once a Python descendant is found, or the run ends when none can be. */
static enum pa_status wait_for_python(struct top *t, struct pa_error *err)
{
    double start = pa_monotonic_seconds();
    while (t->sampler.count == 0) {
        if (stop_requested || pa_sampler_waiting(&t->sampler) == 0 ||
            (t->options.duration > 0 && pa_monotonic_seconds() - start >= t->options.duration)) {
            pa_sampler_found_none(&t->sampler, err);
            return err->status;
        }
        pa_sampler_discover(&t->sampler, pa_monotonic_seconds() - start);
        struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    return PA_OK;
}

static int finish(struct top *t, enum pa_status status, const struct pa_error *err)
{
    top_snapshot_free(&t->snap);
    top_model_free(&t->model);
    pa_sampler_free(&t->sampler);
    if (status != PA_OK)
        pa_print_error(err->message);
    return pa_status_exit_code(status);
}

static int run_top(struct top *t, int argc, char **argv)
{
    int exit_code = pa_options_parse_or_report("top", argc, argv, &t->options);
    if (exit_code >= 0)
        return exit_code;
    /* The sampler labels each thread's stack with a <thread> root; top takes the
     * names from there for its thread view and drops the root unless asked for. */
    t->user_threads = t->options.threads;
    t->options.threads = true;
    struct pa_error err = {0};
    pa_options_sampler_settings(&t->options, &t->settings);
    enum pa_status status = pa_sampler_init(&t->sampler, &t->settings, sink, &t->model, &err);
    top_model_init(&t->model, !t->user_threads, t->settings.process_roots, t->settings.by_request);
    if (status != PA_OK)
        return finish(t, status, &err);
    pa_install_stop_handlers(on_stop_signal);
    for (size_t i = 0; status == PA_OK && i < t->options.pid_count; i++)
        status = pa_sampler_add_target(&t->sampler, t->options.pids[i], &err);
    if (status == PA_OK)
        status = wait_for_python(t, &err);
    if (status != PA_OK)
        return finish(t, status, &err);

    char link[64];
    snprintf(link, sizeof link, "/proc/%d/cwd", (int)t->options.pids[0]);
    ssize_t n = readlink(link, t->cwd, sizeof t->cwd - 1);
    t->cwd[n > 0 ? n : 0] = '\0';

    bool screen = !t->options.once && isatty(STDOUT_FILENO) && isatty(STDIN_FILENO);
    if (screen && !top_term_open()) { /* no usable terminal description: plain snapshots */
        const char *term = getenv("TERM");
        if (term != NULL && term[0] != '\0')
            fprintf(stderr, "pyattach: no terminfo entry for TERM=%s (TERMINFO_DIRS may name where they are): "
                            "printing plain snapshots instead\n", term);
        else
            fprintf(stderr, "pyattach: TERM is not set: printing plain snapshots instead\n");
        screen = false;
    }
    pa_sample_clock_start(&t->clock, t->options.rate);
    if (screen) {
        run_screen(t);
        top_term_close();
    } else {
        status = run_plain(t, &err);
    }
    if (status == PA_OK && t->model.status != PA_OK)
        return finish(t, t->model.status, &t->model.err);
    return finish(t, status, &err);
}

int pa_cmd_top(int argc, char **argv)
{
    struct top *t = calloc(1, sizeof *t); /* large: kept off the stack */
    if (t == NULL) {
        pa_print_error("out of memory");
        return 2;
    }
    int exit_code = run_top(t, argc, argv);
    free(t);
    return exit_code;
}
