/* Taking samples: one tick reads every thread of every target once and hands each
 * stack, as the output layer's pa_stack, to a sink. Targets that exit drop out;
 * with --subprocesses new descendants are picked up. Shared by record and top. */
#ifndef PYATTACH_SAMPLER_H
#define PYATTACH_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sampler/pending_stacks.h"
#include "sampler/request_roots.h"
#include "sampler/sampler_settings.h"
#include "output/stack.h"
#include "python_frames/python_process.h"

struct pa_native_session; /* unwind/native_sample.h */

struct pa_sampled_process {
    struct py_process python;
    pid_t pid;
    bool alive;
    bool named_by_user;     /* given with -p or spawned, not discovered */
    char root_label[160];   /* "<process 4242: gunicorn: worker [shop.wsgi]>" */
    char version[32];
    /* counters for the summary: thread samples taken, without Python frames, failed (none
     * of their frames in the profile), truncated (in the profile under <truncated>).
     * samples - idle - errors is exactly the number of stacks handed to the sink. */
    uint64_t samples, idle, errors, truncated;
    struct pa_pending_stacks pending; /* read since the last check that the target lives */
    double confirmed_at;              /* when that check was made */
    uint64_t tick;                /* thread listings so far, to forget threads that are gone */
    uint64_t gil_ticks;           /* listings where some thread held the GIL (top's GIL share) */
    struct pa_native_session *native; /* --native: stopper, unwinder, symbols */
    struct pa_thread_name *names; /* tid -> name, for --threads */
    struct py_request_reader *requests; /* --by-request: its handler frames and labels */
    size_t name_count, name_capacity;
    int wait_files;               /* of the names' wait files, those kept open */
};

typedef void (*pa_stack_sink)(void *user, struct pa_sampled_process *process, const struct pa_stack *stack);

struct pa_sampler {
    const struct pa_sampler_settings *settings;
    struct pa_sampled_process **processes;
    size_t count, capacity;
    pa_stack_sink sink;
    void *user;
    double last_discovery;
    unsigned discovery_rounds;
    struct pa_rejected *rejected; /* descendants that were not CPython when looked at */
    size_t rejected_count, rejected_capacity;
    /* -s: targets named by the user that are not CPython (a shell, an entrypoint
     * script): not sampled, but their descendants are searched, and they are tried
     * again when they exec */
    struct pa_wrapper {
        pid_t pid;
        unsigned long long start_time;
        bool alive;          /* as of the last discovery round */
    } wrappers[PA_MAX_PIDS];
    size_t wrapper_count;
    struct pa_request_roots requests; /* --by-request: the recording's request labels */
    /* scratch, reused by every tick */
    struct py_thread *threads;
    struct py_stack *stack;
    struct pa_frame *frames;
};

enum pa_status pa_sampler_init(struct pa_sampler *sampler, const struct pa_sampler_settings *settings,
                               pa_stack_sink sink, void *user, struct pa_error *err);
void pa_sampler_free(struct pa_sampler *sampler);

/* Attaches to pid (a spawned command, retried by the caller until it is CPython). */
enum pa_status pa_sampler_add(struct pa_sampler *sampler, pid_t pid, struct pa_error *err);

/* Attaches to a target named with -p. With --subprocesses a pid that is not CPython
 * is followed as a wrapper (one line says so); without, the error says when -s would
 * find Python descendants. */
enum pa_status pa_sampler_add_target(struct pa_sampler *sampler, pid_t pid, struct pa_error *err);

/* Wrappers (see above) still alive and not CPython themselves: the run goes on for them. */
size_t pa_sampler_waiting(const struct pa_sampler *sampler);

/* Whether a recording found no CPython process at all: err then says so, once. */
bool pa_sampler_found_none(const struct pa_sampler *sampler, struct pa_error *err);

/* One sample of every thread, each standing for `weight` seconds at time `now`
 * (seconds since the start). Stacks reach the sink once a later check has found
 * their target alive: within the same tick at rates up to 2 kHz, after up to
 * 0.5 ms above (see pending_stacks.h). */
void pa_sampler_tick(struct pa_sampler *sampler, double weight, double now);

/* Hands on every stack still waiting for that check (after the last tick). */
void pa_sampler_flush(struct pa_sampler *sampler);

/* With --subprocesses, attaches to descendants not yet followed (at most every 0.5 s). */
void pa_sampler_discover(struct pa_sampler *sampler, double now);

/* Number of targets still alive. */
size_t pa_sampler_alive(const struct pa_sampler *sampler);

/* --native: the source file and line of a native frame (pa_frame.native_id) of pid's
 * stacks; a pa_native_lines lookup (output/stack.h) with the sampler as user. Looked up
 * on the first call, after sampling: see unwind/symbols.h. */
bool pa_sampler_native_line(void *sampler, int pid, uint32_t native_id, const char **file, int *line);

#endif
