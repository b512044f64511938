/* Sampling every thread of every target once per tick, and following descendants. */
#include "sampler/sampler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach/array.h"
#include "attach/process.h"
#include "attach/thread_stop.h"
#include "attach/thread_wait.h"
#include "output/index_table.h"
#include "python_frames/thread_names.h"
#include "sampler/request_roots.h"
#include "sampler/wait_leaf.h"
#include "unwind/native_sample.h"

/* Seconds of stacks held until the target is seen alive: every tick is checked at
 * rates up to 2 kHz, every 0.5 ms above (the benchmark's 1 kHz keeps a check per
 * tick even when a tick comes a hair early). */
#define CONFIRM_INTERVAL 0.5e-3
#define DISCOVERY_INTERVAL 0.5
#define SYNTHETIC_FRAMES 5       /* a <wait ...> leaf; <truncated>, <thread ...>, <process ...> and request roots */
#define TRUNCATED_ROOT "<truncated>" /* outermost real frame of a stack cut at --max-depth */
#define ATTACH_ATTEMPTS 4        /* a descendant may not have exec'd Python yet */
#define STOP_ROUNDS 3            /* --blocking: re-list threads until no new one appeared */
#define KEPT_WAIT_FILES 256      /* wall mode: threads per process whose wait file stays open */

struct pa_rejected {
    pid_t pid;
    unsigned long long start_time;
    char exe[64];  /* the tail of its executable's path when first seen */
    int attempts;  /* 0: seen once, not tried yet */
    bool refused;  /* permission denied (said once), e.g. a set-uid child under a capability */
};

/* What the sampler keeps per thread of a process, while the thread is listed. */
struct pa_thread_name {
    pid_t tid;                 /* as the thread state says */
    pid_t kernel_tid;          /* the task it really is (see thread_entry) */
    uint64_t seen;             /* the process's tick that last listed it */
    bool cpu_known;
    unsigned long long cpu_ns; /* its time on a CPU at that tick (schedstat), for -m cpu */
    double cpu_unspent;        /* -m cpu: seconds it ran, not yet credited to a sample (on_cpu) */
    const char *wait;          /* wall mode: the wait leaf of its last sample, NULL if it ran */
    uint64_t wait_episode;     /* counts its waits: a new one begins after it ran or waited in another call */
    int wait_fd;               /* its .../syscall file, kept open for the wait leaf; -1 if not */
    char label[96];            /* "<thread 4250 \"ThreadPoolExecutor-0_1\">", made on first use */
};

enum pa_status pa_sampler_init(struct pa_sampler *s, const struct pa_sampler_settings *settings, pa_stack_sink sink,
                               void *user, struct pa_error *err)
{
    memset(s, 0, sizeof *s);
    s->settings = settings;
    s->sink = sink;
    s->user = user;
    s->last_discovery = -DISCOVERY_INTERVAL;
    s->threads = calloc(PY_MAX_THREADS, sizeof *s->threads);
    s->stack = py_stack_new(settings->max_depth);
    s->frames = calloc(PA_NATIVE_MERGED_MAX(settings->max_depth) + SYNTHETIC_FRAMES, sizeof *s->frames);
    if (s->threads == NULL || s->stack == NULL || s->frames == NULL) {
        pa_sampler_free(s);
        return pa_fail(err, PA_E_NOMEM, "out of memory");
    }
    if (settings->native && !settings->blocking && !settings->quiet)
        fprintf(stderr, "pyattach: --native stops each sampled thread briefly (ptrace) while its C stack and "
                        "Python frames are read; without --native nothing is ever stopped\n");
    return PA_OK;
}

static void free_process(struct pa_sampled_process *p)
{
    for (size_t i = 0; i < p->name_count; i++)
        pa_thread_wait_close(&p->names[i].wait_fd);
    pa_pending_stacks_free(&p->pending);
    pa_native_session_close(p->native);
    py_process_detach(&p->python);
    py_request_reader_free(p->requests);
    free(p->names);
    free(p);
}

/* --native: how long the target's threads were stopped, so the cost is never hidden. */
static void print_stop_summary(const struct pa_sampled_process *p)
{
    const struct pa_native_session *n = p->native;
    if (n == NULL || n->samples == 0)
        return;
    fprintf(stderr, "pyattach: PID %d: threads stopped %llu times for --native, %.1f us on average, %.1f us at most\n",
            (int)p->pid, (unsigned long long)n->samples, n->stopped_total / (double)n->samples * 1e6,
            n->stopped_max * 1e6);
}

void pa_sampler_free(struct pa_sampler *s)
{
    for (size_t i = 0; i < s->count; i++) {
        if (s->settings != NULL && !s->settings->quiet)
            print_stop_summary(s->processes[i]);
        free_process(s->processes[i]);
    }
    free(s->processes);
    pa_request_roots_free(&s->requests);
    free(s->rejected);
    free(s->threads);
    free(s->stack);
    free(s->frames);
    memset(s, 0, sizeof *s);
}

static bool is_followed(const struct pa_sampler *s, pid_t pid)
{
    for (size_t i = 0; i < s->count; i++)
        if (s->processes[i]->pid == pid && s->processes[i]->alive)
            return true;
    return false;
}

static enum pa_status add_process(struct pa_sampler *s, pid_t pid, bool named_by_user, struct pa_error *err)
{
    if (!pa_array_reserve((void **)&s->processes, &s->capacity, s->count + 1, sizeof *s->processes))
        return pa_fail(err, PA_E_NOMEM, "out of memory");
    struct pa_sampled_process *p = calloc(1, sizeof *p);
    if (p == NULL)
        return pa_fail(err, PA_E_NOMEM, "out of memory");
    enum pa_status status = py_process_attach(pid, &p->python, err);
    if (status == PA_OK && (s->settings->blocking || s->settings->native)) {
        /* Prove now, not at the first sample, that ptrace is allowed. */
        struct pa_thread_stopper stopper;
        pa_stopper_init(&stopper, pid);
        status = pa_stopper_stop(&stopper, pid, err);
        pa_stopper_release(&stopper);
        if (status == PA_OK && s->settings->native)
            status = pa_native_session_open(&p->python, s->settings->native_all, s->settings->max_depth,
                                            &p->native, err);
        if (status != PA_OK)
            py_process_detach(&p->python);
    }
    if (status != PA_OK) {
        free(p);
        return status;
    }
    if (s->settings->by_request && (p->requests = py_request_reader_new()) == NULL) {
        py_process_detach(&p->python);
        free(p);
        return pa_fail(err, PA_E_NOMEM, "out of memory");
    }
    p->pid = pid;
    p->alive = true;
    p->named_by_user = named_by_user;
    py_runtime_version_string(&p->python.runtime, p->version, sizeof p->version);
    snprintf(p->root_label, sizeof p->root_label, "<process %d: %.120s>", (int)pid,
             p->python.target.process.command);
    s->processes[s->count++] = p;
    return PA_OK;
}

/* A Python process among pid's descendants, or 0. */
static pid_t python_descendant(pid_t pid)
{
    pid_t *found = NULL, python = 0;
    size_t count = 0;
    if (pa_process_descendants(&pid, 1, &found, &count, NULL) != PA_OK)
        return 0;
    for (size_t i = 0; i < count && python == 0; i++) {
        struct py_process child;
        if (py_process_attach(found[i], &child, NULL) == PA_OK) {
            py_process_detach(&child);
            python = found[i];
        }
    }
    free(found);
    return python;
}

static struct pa_rejected *new_rejected(struct pa_sampler *s);

/* The tail of exe that fits a rejected entry: enough to tell an exec from no exec. */
static void remember_exe(struct pa_rejected *r, const char *exe)
{
    size_t len = strlen(exe), room = sizeof r->exe - 1;
    snprintf(r->exe, sizeof r->exe, "%s", exe + (len > room ? len - room : 0));
}

/* -s on a target that is not CPython (`sh -c "python manage.py runserver"`, an
 * entrypoint script): its descendants are searched as a followed parent's are, and
 * it is put among the rejected with its executable, so that discovery tries it again
 * once it has exec'd (worth_trying). */
static enum pa_status follow_wrapper(struct pa_sampler *s, pid_t pid, struct pa_error *err)
{
    struct pa_process proc;
    if (s->wrapper_count == PA_MAX_PIDS || pa_process_open(pid, &proc, NULL) != PA_OK)
        return err->status;
    pa_process_close(&proc);
    struct pa_rejected *r = new_rejected(s);
    if (r == NULL)
        return pa_fail(err, PA_E_NOMEM, "out of memory");
    *r = (struct pa_rejected){.pid = pid, .start_time = proc.start_time, .attempts = ATTACH_ATTEMPTS};
    remember_exe(r, proc.exe);
    s->wrappers[s->wrapper_count++] = (struct pa_wrapper){pid, proc.start_time, true};
    if (!s->settings->quiet)
        fprintf(stderr, "pyattach: PID %d (%s) is not CPython; following its Python descendants (-s)\n", (int)pid,
                proc.exe);
    return PA_OK;
}

enum pa_status pa_sampler_add(struct pa_sampler *s, pid_t pid, struct pa_error *err)
{
    return add_process(s, pid, true, err);
}

enum pa_status pa_sampler_add_target(struct pa_sampler *s, pid_t pid, struct pa_error *err)
{
    enum pa_status status = add_process(s, pid, true, err);
    if (status != PA_E_NOT_PYTHON)
        return status;
    if (s->settings->subprocesses)
        return follow_wrapper(s, pid, err);
    pid_t child = python_descendant(pid);
    if (child > 0) {
        size_t len = strlen(err->message);
        snprintf(err->message + len, sizeof err->message - len,
                 "; its descendant %d is Python: -s (--subprocesses) follows its Python descendants", (int)child);
    }
    return status;
}

size_t pa_sampler_waiting(const struct pa_sampler *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->wrapper_count; i++)
        n += s->wrappers[i].alive;
    return n;
}

bool pa_sampler_found_none(const struct pa_sampler *s, struct pa_error *err)
{
    if (s->count > 0 || s->wrapper_count == 0)
        return false;
    pa_fail(err, PA_E_NOT_PYTHON,
            "no CPython process found under PID %d%s: neither it nor any descendant was CPython while recording",
            (int)s->wrappers[0].pid, s->wrapper_count > 1 ? " (nor the other -p targets)" : "");
    return true;
}

/* The entry of a thread state's TID, made when it is first listed. A process forked
 * by C code keeps the thread state of the thread that forked, with that thread's TID
 * in the parent (seen with uwsgi's workers on CPython 3.11: every worker reports the
 * master's PID). A TID that is no task of this process is therefore the forking
 * thread, which is this process's main thread now. A target in a PID namespace of its
 * own (a container) keeps the TIDs of that namespace: each is translated to ours, else
 * every thread would be read (native stack, wait, CPU time) as the main thread. */
static struct pa_thread_name *thread_entry(struct pa_sampled_process *p, pid_t tid)
{
    for (size_t i = 0; i < p->name_count; i++)
        if (p->names[i].tid == tid)
            return &p->names[i];
    if (!pa_array_reserve((void **)&p->names, &p->name_capacity, p->name_count + 1, sizeof *p->names))
        return NULL;
    struct pa_thread_name *entry = &p->names[p->name_count++];
    memset(entry, 0, sizeof *entry);
    entry->tid = tid;
    entry->wait_fd = -1;
    pid_t host_tid = tid > 0 ? pa_thread_host_tid(p->pid, tid) : 0;
    entry->kernel_tid = tid <= 0 ? tid : host_tid != 0 ? host_tid : p->pid;
    return entry;
}

/* Drops the entries of threads the last listing did not show (runserver starts a
 * thread per request: the table must not grow with them). */
static void forget_gone_threads(struct pa_sampled_process *p)
{
    size_t kept = 0;
    for (size_t i = 0; i < p->name_count; i++) {
        if (p->names[i].seen == p->tick) {
            p->names[kept++] = p->names[i];
        } else if (p->names[i].wait_fd >= 0) {
            pa_thread_wait_close(&p->names[i].wait_fd);
            p->wait_files--;
        }
    }
    p->name_count = kept;
}

static const char *thread_label(struct pa_sampled_process *p, const struct py_thread *t)
{
    struct pa_thread_name *entry = NULL;
    for (size_t i = 0; i < p->name_count && entry == NULL; i++)
        if (p->names[i].kernel_tid == t->tid)
            entry = &p->names[i];
    if (entry == NULL)
        return "<thread>";
    if (entry->label[0])
        return entry->label;
    char name[64];
    if (py_thread_name(&p->python, t, name, sizeof name))
        snprintf(entry->label, sizeof entry->label, "<thread %d \"%s\">", (int)t->tid, name);
    else
        snprintf(entry->label, sizeof entry->label, "<thread %d>", (int)t->tid);
    return entry->label;
}

/* -m cpu: the stack credited is the one that was on a CPU at the sample.
 *  - The run state decides whether the stack seen now is running: a thread asleep
 *    or blocked in a system call ('S', 'D', ...) is never credited, and what it ran
 *    since the previous sample is dropped: that time belonged to the stack it left.
 *  - 'R' also means runnable, waiting for a CPU. The kernel's count of its time on a
 *    CPU (schedstat) says whether it really ran: the time it ran and that no sample
 *    was credited with yet is its unspent time; an 'R' sample is credited with the
 *    interval, at most the unspent time, and spends it. A thread that did not run
 *    (nothing unspent) is not credited. The count moves only when the thread is
 *    switched or at a scheduler tick (every 1-4 ms), so a thread running throughout
 *    gets its time in lumps; carrying the unspent part keeps it credited at every
 *    sample at 1 kHz, and never beyond what it ran.
 * A thread's first sample, and kernels without schedstats, have the state alone.
 * The state is one read of .../task/TID/stat per thread and sample. The system call
 * a blocked thread is in (.../syscall, .../wchan) would decide nothing more here:
 * blocked is 'S' or 'D' already, and a thread in a system call that computes
 * (a copy, a checksum) is 'R' and on the CPU. The costs are in bench/README.md. */
static bool on_cpu(const struct pa_sampler *s, const struct pa_sampled_process *p, const struct py_thread *t,
                   struct pa_thread_name *entry, double *weight)
{
    /* --blocking -m cpu stops only running threads; stopped by us they show 't'. */
    char state = pa_thread_state(p->pid, t->tid);
    bool running = state == 'R' || (s->settings->blocking && state == 't');
    unsigned long long ns;
    if (entry == NULL || !pa_thread_cpu_ns(p->pid, t->tid, &ns))
        return running;
    bool known = entry->cpu_known;
    if (known && ns > entry->cpu_ns)
        entry->cpu_unspent += (double)(ns - entry->cpu_ns) / 1e9;
    entry->cpu_known = true;
    entry->cpu_ns = ns;
    if (!running) {
        entry->cpu_unspent = 0.0;
        return false;
    }
    if (!known || *weight <= 0)
        return true;
    if (entry->cpu_unspent <= 0.0)
        return false;
    if (entry->cpu_unspent < *weight)
        *weight = entry->cpu_unspent;
    entry->cpu_unspent -= *weight;
    return true;
}

static bool wanted(const struct pa_sampler *s, const struct pa_sampled_process *p, const struct py_thread *t,
                   struct pa_thread_name *entry, double *weight)
{
    switch (s->settings->mode) {
    case PA_MODE_GIL:
        return t->holds_gil;
    case PA_MODE_CPU:
        return on_cpu(s, p, t, entry, weight);
    case PA_MODE_WALL:
        break;
    }
    return true;
}

static void append_synthetic(struct pa_frame *frame, const char *label)
{
    /* The whole frame anew: the wait leaf is made over a copy of the innermost frame,
     * whose native PC would otherwise give <wait ...> a C function's source lines. */
    *frame = (struct pa_frame){.filename = "~", .function = label};
    /* One everlasting call per root: its id from the text, as the same label sits
     * at different addresses from sample to sample (held stacks carry copies). */
    frame->call_id = pa_hash_bytes(label, strlen(label));
}

/* Wall mode: the thread's wait leaf goes innermost, below its Python (or C) leaf. One
 * wait is one call for ncalls: the same id while the thread stays in the same system
 * call under the same caller, a new one once it ran in between. */
static size_t add_wait_leaf(struct pa_frame *frames, size_t depth, const char *wait,
                            const struct pa_thread_name *entry)
{
    memmove(frames + 1, frames, depth * sizeof *frames);
    append_synthetic(&frames[0], wait);
    uint64_t key[2] = {depth > 0 ? frames[1].call_id : 0, entry ? entry->wait_episode : 0};
    frames[0].call_id ^= pa_hash_bytes(key, sizeof key);
    return depth + 1;
}

/* Keeps s->frames[0, depth) until the target is known to have been alive after the read.
 * A stack cut at --max-depth gets its <truncated> root here (outermost of its own
 * frames; the <thread>/<process> roots go further out when delivered). It stays
 * incomplete for the aggregation: its depths from the real root are unknown. */
static void emit_frames(struct pa_sampler *s, struct pa_sampled_process *p, const struct py_thread *t,
                        const struct pa_thread_name *entry, size_t depth, bool incomplete, bool truncated,
                        double weight, double now)
{
    if (entry != NULL && entry->wait != NULL)
        depth = add_wait_leaf(s->frames, depth, entry->wait, entry);
    if (truncated) {
        append_synthetic(&s->frames[depth++], TRUNCATED_ROOT);
        p->pending.truncated++;
    }
    struct pa_stack stack = {.pid = p->pid,
                             .tid = t->tid,
                             .weight = weight,
                             .timestamp = now,
                             .incomplete = incomplete,
                             .cpython_minor = p->python.runtime.major == 3 ? p->python.runtime.minor : 0,
                             .depth = depth,
                             .frames = s->frames};
    if (!pa_pending_stacks_add(&p->pending, &stack, s->settings->threads ? thread_label(p, t) : NULL)) {
        p->pending.errors++;
        p->pending.truncated -= truncated;
    } else if (s->settings->by_request) {
        uint64_t call_id;
        const char *root = pa_request_root(&s->requests, p->requests, &p->python.walker, s->stack, t->tid, &call_id);
        pa_pending_stacks_set_request(&p->pending, root, call_id);
    }
}

/* Hands every pending stack, plus the synthetic roots, to the sink. */
static void deliver(struct pa_sampler *s, struct pa_sampled_process *p)
{
    struct pa_pending_stacks *pending = &p->pending;
    for (size_t i = 0; i < pending->count; i++) {
        struct pa_stack stack = pa_pending_stacks_get(pending, i);
        size_t depth = stack.depth;
        memcpy(s->frames, stack.frames, depth * sizeof *s->frames);
        if (s->settings->threads)
            append_synthetic(&s->frames[depth++], pa_pending_stacks_label(pending, i));
        if (s->settings->process_roots)
            append_synthetic(&s->frames[depth++], p->root_label);
        uint64_t request_call;
        const char *request = pa_pending_stacks_request(pending, i, &request_call);
        if (request != NULL) {
            append_synthetic(&s->frames[depth], request);
            if (request_call != 0) /* one call per request: ncalls counts requests */
                s->frames[depth].call_id = request_call;
            depth++;
        }
        stack.depth = depth;
        stack.frames = s->frames;
        s->sink(s->user, p, &stack);
    }
    p->samples += pending->samples;
    p->idle += pending->idle;
    p->errors += pending->errors;
    p->truncated += pending->truncated;
    pa_pending_stacks_clear(pending);
}

/* Its pending stacks go too: read before a check that did not find the target as it
 * was. Under attach/access_check.h's rule a target that ran a set-uid program is lost
 * so, with one line. */
static void lose_target(struct pa_sampled_process *p)
{
    struct pa_error why = {0};
    if (pa_process_lost_access(&p->python.target.process, &why))
        fprintf(stderr, "pyattach: %s\n", why.message);
    p->alive = false;
    pa_pending_stacks_clear(&p->pending);
}

/* The check the pending stacks wait for: made after their reads, so a target alive
 * now was the process those reads saw. */
static void confirm(struct pa_sampler *s, struct pa_sampled_process *p, double now)
{
    p->confirmed_at = now;
    if (pa_process_alive(&p->python.target.process))
        deliver(s, p);
    else
        lose_target(p);
}

static void emit(struct pa_sampler *s, struct pa_sampled_process *p, const struct py_thread *t,
                 const struct pa_thread_name *entry, double weight, double now)
{
    const struct py_stack *stack = s->stack;
    size_t depth = 0;
    for (size_t i = 0; i < stack->depth; i++) {
        const struct py_frame *f = &stack->frames[i];
        s->frames[depth++] = (struct pa_frame){.filename = f->code->filename,
                                               .function = f->code->qualname,
                                               .first_line = f->code->first_line,
                                               .line = f->line,
                                               .call_id = f->call_id};
    }
    emit_frames(s, p, t, entry, depth, stack->incomplete, stack->truncated, weight, now);
}

/* --native: the thread's Python and C frames merged (unwind/merge.c). */
static void sample_native(struct pa_sampler *s, struct pa_sampled_process *p, struct py_thread *t,
                          const struct pa_thread_name *entry, double weight, double now)
{
    struct pa_merge_result merged;
    struct pa_error err = {0};
    enum pa_status status = pa_native_sample(p->native, t, !s->settings->blocking, s->stack, s->frames,
                                             PA_NATIVE_MERGED_MAX(s->settings->max_depth), &merged, &err);
    if (status != PA_OK || merged.depth == 0) {
        if (status == PA_OK || status == PA_E_NO_PROCESS)
            p->pending.idle++; /* ended between the listing and the stop */
        else
            p->pending.errors++;
        return;
    }
    /* A Python walk that broke off (torn read, or no Python frames read at all) is
     * failed, as without --native; C frames that could not all be placed are kept,
     * marked incomplete. */
    if (py_stack_broke_off(s->stack)) {
        p->pending.errors++;
        return;
    }
    emit_frames(s, p, t, entry, merged.depth, merged.incomplete, s->stack->truncated, weight, now);
}

/* Wall mode: the thread's wait leaf, from its file kept open while there are few
 * enough threads (each costs an fd; a process with thousands reads them one-shot). */
static void note_wait(struct pa_sampler *s, struct pa_sampled_process *p, const struct py_thread *t,
                      struct pa_thread_name *entry)
{
    bool had_file = entry->wait_fd >= 0;
    int *kept_fd = had_file || p->wait_files < KEPT_WAIT_FILES ? &entry->wait_fd : NULL;
    const char *wait = pa_wait_leaf(&p->python.walker, p->pid, t, s->settings->blocking, kept_fd);
    p->wait_files += (entry->wait_fd >= 0) - had_file;
    if (wait == NULL || wait != entry->wait)
        entry->wait_episode++;
    entry->wait = wait;
}

static void read_process(struct pa_sampler *s, struct pa_sampled_process *p, double weight, double now)
{
    size_t count = 0;
    struct pa_error err = {0};
    py_process_begin_sample(&p->python);
    enum pa_status status = py_list_threads(&p->python.walker, s->threads, PY_MAX_THREADS, &count, &err);
    if (status != PA_OK) {
        /* A process that exec'd keeps its PID but not our addresses (a fork that
         * became another program): it is a new target, for discovery to find. */
        if (status == PA_E_NO_PROCESS || !pa_process_alive(&p->python.target.process) ||
            pa_target_exec_happened(&p->python.target))
            lose_target(p);
        else { /* one failed sample for the process */
            p->pending.samples++;
            p->pending.errors++;
        }
        return;
    }
    p->tick++;
    for (size_t i = 0; i < count; i++) {
        if (s->threads[i].holds_gil) {
            p->gil_ticks++;
            break;
        }
    }
    for (size_t i = 0; i < count; i++) {
        struct py_thread *t = &s->threads[i];
        struct pa_thread_name *entry = thread_entry(p, t->tid);
        if (entry) {
            entry->seen = p->tick;
            t->tid = entry->kernel_tid;
        }
        double thread_weight = weight;
        if (!wanted(s, p, t, entry, &thread_weight))
            continue;
        p->pending.samples++;
        if (t->frame_addr == 0) {
            p->pending.idle++;
            continue;
        }
        if (entry != NULL && s->settings->mode == PA_MODE_WALL)
            note_wait(s, p, t, entry);
        if (p->native != NULL) {
            sample_native(s, p, t, entry, thread_weight, now);
            continue;
        }
        status = py_process_walk_thread(&p->python, t, s->stack, &err);
        if (status != PA_OK) {
            p->pending.errors++;
            continue;
        }
        if (s->stack->depth == 0) {
            p->pending.idle++;
            continue;
        }
        /* A walk that broke off before the outermost frame for any reason but
         * --max-depth read a stack that changed under it: its outer end would be a
         * wrong root. Failed, and not in the profile (3.15's base-frame check refuses
         * the same stacks in the walk itself). */
        if (py_stack_broke_off(s->stack)) {
            p->pending.errors++;
            continue;
        }
        emit(s, p, t, entry, thread_weight, now);
    }
    forget_gone_threads(p);
}

static bool stopped_already(const struct pa_thread_stopper *stopper, pid_t tid)
{
    for (size_t i = 0; i < stopper->count; i++)
        if (stopper->seized[i] == tid)
            return true;
    return false;
}

/* --blocking: stops every thread of pid (with -m cpu only the running ones), then
 * lists the threads again and stops any that appeared meanwhile. A thread that exits
 * while we stop it is skipped; the main thread gone means the process is. The
 * caller releases the stopper on every path. */
static enum pa_status stop_threads(struct pa_thread_stopper *stopper, pid_t pid, bool only_running,
                                   struct pa_error *err)
{
    for (int round = 0; round < STOP_ROUNDS; round++) {
        pid_t *tids = NULL;
        size_t count = 0, stopped = 0;
        enum pa_status status = pa_process_threads(pid, &tids, &count, err);
        for (size_t i = 0; status == PA_OK && i < count; i++) {
            if (stopped_already(stopper, tids[i]) || (only_running && pa_thread_state(pid, tids[i]) != 'R'))
                continue;
            status = pa_stopper_stop(stopper, tids[i], err);
            if (status == PA_OK)
                stopped++;
            else if (status == PA_E_NO_PROCESS && tids[i] != pid)
                status = PA_OK;
        }
        free(tids);
        if (status != PA_OK || stopped == 0)
            return status;
    }
    return PA_OK;
}

/* One sample of one target; with --blocking its threads are stopped only for the
 * reads and resumed before returning, whatever happened. */
static void sample_process(struct pa_sampler *s, struct pa_sampled_process *p, double weight, double now)
{
    if (!s->settings->blocking) {
        read_process(s, p, weight, now);
        return;
    }
    struct pa_thread_stopper stopper;
    struct pa_error err = {0};
    pa_stopper_init(&stopper, p->pid);
    enum pa_status status = stop_threads(&stopper, p->pid, s->settings->mode == PA_MODE_CPU, &err);
    if (status == PA_OK)
        read_process(s, p, weight, now);
    pa_stopper_release(&stopper);
    if (status == PA_E_NO_PROCESS || (status != PA_OK && !pa_process_alive(&p->python.target.process)))
        lose_target(p);
    else if (status != PA_OK) { /* one failed sample for the process */
        p->samples++;
        p->errors++;
    }
}

void pa_sampler_tick(struct pa_sampler *s, double weight, double now)
{
    for (size_t i = 0; i < s->count; i++)
        if (s->processes[i]->alive)
            sample_process(s, s->processes[i], weight, now);
    for (size_t i = 0; i < s->count; i++)
        if (s->processes[i]->alive && now - s->processes[i]->confirmed_at >= CONFIRM_INTERVAL)
            confirm(s, s->processes[i], now);
}

void pa_sampler_flush(struct pa_sampler *s)
{
    for (size_t i = 0; i < s->count; i++) {
        struct pa_sampled_process *p = s->processes[i];
        if (p->alive && pa_pending_stacks_any(&p->pending))
            confirm(s, p, p->confirmed_at);
    }
}

size_t pa_sampler_alive(const struct pa_sampler *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->count; i++)
        n += s->processes[i]->alive;
    return n;
}

static struct pa_rejected *new_rejected(struct pa_sampler *s)
{
    if (!pa_array_reserve((void **)&s->rejected, &s->rejected_capacity, s->rejected_count + 1, sizeof *s->rejected))
        return NULL;
    return &s->rejected[s->rejected_count++];
}

/* A descendant we may not read (a set-uid child of a target, with pyattach under
 * attach/access_check.h's rule): one line the first time, and the others go on. */
static void report_refused(struct pa_sampler *s, pid_t pid, const struct pa_error *err)
{
    unsigned long long start_time;
    if (!pa_process_start_time(pid, &start_time))
        return;
    for (size_t i = 0; i < s->rejected_count; i++)
        if (s->rejected[i].pid == pid && s->rejected[i].start_time == start_time && s->rejected[i].refused)
            return;
    struct pa_rejected *r = new_rejected(s);
    if (r == NULL)
        return;
    *r = (struct pa_rejected){.pid = pid, .start_time = start_time, .attempts = ATTACH_ATTEMPTS, .refused = true};
    if (!s->settings->quiet)
        fprintf(stderr, "pyattach: skipped a descendant: %s\n", err->message);
}

/* Whether to try attaching to a descendant now. A child is tried only once it has
 * been the same program for a whole discovery round: between fork and exec (or a
 * vfork) a child's memory is a copy of its Python parent's, and sampling it then
 * would show the parent's stacks under the child's name. After that, a child that is
 * not (yet) CPython is tried again a few times. */
static bool worth_trying(struct pa_sampler *s, pid_t pid)
{
    struct pa_process proc;
    struct pa_error err = {0};
    enum pa_status status = pa_process_open(pid, &proc, &err);
    if (status == PA_E_PERMISSION)
        report_refused(s, pid, &err);
    if (status != PA_OK)
        return false;
    pa_process_close(&proc); /* only its start time and executable are needed */
    struct pa_rejected seen;
    remember_exe(&seen, proc.exe);
    for (size_t i = 0; i < s->rejected_count; i++) {
        struct pa_rejected *r = &s->rejected[i];
        if (r->pid != pid || r->start_time != proc.start_time)
            continue;
        if (strcmp(r->exe, seen.exe) != 0) { /* exec'd since: a new program, seen once */
            remember_exe(r, proc.exe);
            r->attempts = 0;
            return false;
        }
        return ++r->attempts <= ATTACH_ATTEMPTS;
    }
    /* Descendants already there when recording starts are taken at once: they are
     * settled workers far more often than a fork on its way to exec. */
    bool at_start = s->discovery_rounds == 0;
    struct pa_rejected *r = new_rejected(s);
    if (r == NULL)
        return false;
    *r = (struct pa_rejected){.pid = pid, .start_time = proc.start_time, .attempts = at_start ? 1 : 0};
    remember_exe(r, proc.exe);
    return at_start;
}

void pa_sampler_discover(struct pa_sampler *s, double now)
{
    if (!s->settings->subprocesses || now - s->last_discovery < DISCOVERY_INTERVAL)
        return;
    s->last_discovery = now;
    pid_t roots[2 * PA_MAX_PIDS];
    size_t root_count = 0;
    for (size_t i = 0; i < s->count && root_count < PA_MAX_PIDS; i++)
        if (s->processes[i]->named_by_user)
            roots[root_count++] = s->processes[i]->pid;
    for (size_t i = 0; i < s->wrapper_count; i++) {
        struct pa_wrapper *w = &s->wrappers[i];
        unsigned long long start_time;
        if (!w->alive)
            continue;
        w->alive = pa_process_start_time(w->pid, &start_time) && start_time == w->start_time;
        if (w->alive && worth_trying(s, w->pid) && add_process(s, w->pid, true, NULL) == PA_OK)
            w->alive = false; /* exec'd CPython: a target of its own now, a root above */
        if (w->alive)
            roots[root_count++] = w->pid;
    }
    pid_t *found = NULL;
    size_t count = 0;
    if (pa_process_descendants(roots, root_count, &found, &count, NULL) != PA_OK)
        return;
    for (size_t i = 0; i < count; i++)
        if (!is_followed(s, found[i]) && worth_trying(s, found[i]))
            add_process(s, found[i], false, NULL);
    free(found);
    s->discovery_rounds++;
}

bool pa_sampler_native_line(void *sampler, int pid, uint32_t native_id, const char **file, int *line)
{
    struct pa_sampler *s = sampler;
    for (size_t i = s->count; i-- > 0;) /* the latest first: a PID reused by a later target */
        if (s->processes[i]->pid == pid)
            return s->processes[i]->native != NULL && pa_native_session_line(s->processes[i]->native, native_id, file, line);
    return false;
}
