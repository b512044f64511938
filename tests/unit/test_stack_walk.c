/* The frame walker (py_list_threads, py_walk_stack, py_walk_thread) against synthetic
 * processes of every layout 3.6 - 3.15: real chains, threads and the GIL, C-stack
 * frames, cycles, the depth cap, torn reads, corrupted objects, call ids, and what 3.14
 * and 3.15 added (tagged f_executable, NULL and None executables, 3.15's base frame,
 * the code object generation). Each test runs its scenario once per version and names
 * every version that failed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "python_frames/debug_offsets.h"
#include "python_frames/pystring.h"
#include "python_frames/stack_walk.h"
#include "tests/support/synthetic_python.h"

#define MAX_LISTED 64

/* One version's run of a scenario: the process, a walker, and the first failure. */
struct run {
    struct synth_process p;
    struct py_code_cache *codes;
    struct py_walker w;
    struct pa_error err;
    struct py_stack *stack;
    struct py_thread threads[MAX_LISTED];
    size_t nthreads;
    int skipped;
    int failed;
    char failure[1024];
};

static void note_failure(struct run *r, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void note_failure(struct run *r, int line, const char *fmt, ...)
{
    if (r->failed)
        return;
    r->failed = 1;
    int n = snprintf(r->failure, sizeof r->failure, "line %d: ", line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->failure + n, sizeof r->failure - (size_t)n, fmt, ap);
    va_end(ap);
}

/* In a scenario: record the failure for this version and stop the scenario. */
#define CHECK(r, cond, ...)                                  \
    do {                                                     \
        if (!(cond)) {                                       \
            note_failure((r), __LINE__, __VA_ARGS__);        \
            return;                                          \
        }                                                    \
    } while (0)

#define CHECK_STATUS(r, got, want, what)                                                              \
    CHECK((r), (got) == (want), "%s: status %d, expected %d (%s)", (what), (int)(got), (int)(want), \
          (r)->err.message)

typedef void scenario_fn(struct run *r);

/* Runs the scenario on every version; fails naming each version that failed. */
static void for_each_version(scenario_fn *scenario, const char *what)
{
    char report[8192] = "";
    size_t used = 0;
    int failures = 0, ran = 0;
    for (int i = 0; i < SYNTH_VERSION_COUNT; i++) {
        struct run *r = calloc(1, sizeof *r);
        assert_non_null(r);
        r->stack = py_stack_new(PY_DEFAULT_MAX_DEPTH);
        assert_non_null(r->stack);
        enum pa_status st = synth_init(&r->p, synth_minor_versions[i], &r->err);
        if (st != PA_OK) {
            note_failure(r, __LINE__, "synth_init failed: %s", r->err.message);
        } else {
            r->codes = py_code_cache_new();
            assert_non_null(r->codes);
            r->w = synth_walker(&r->p, r->codes);
            scenario(r);
            py_code_cache_free(r->codes);
        }
        if (r->failed) {
            failures++;
            used += (size_t)snprintf(report + used, used < sizeof report ? sizeof report - used : 0,
                                     "\n  [%s] %s", r->p.name, r->failure);
            if (used >= sizeof report)
                used = sizeof report - 1;
        } else if (!r->skipped) {
            ran++;
        }
        synth_free(&r->p);
        free(r->stack);
        free(r);
    }
    if (failures)
        fail_msg("%s: failed for %d of %d versions:%s", what, failures, SYNTH_VERSION_COUNT, report);
    if (ran == 0)
        fail_msg("%s: no version ran the scenario", what);
}

/* ---- building blocks ---- */

struct frame_spec {
    const char *file, *name, *qualname;
    int first_line, line_offset, line;
    int instr;   /* byte offset of the current instruction; -1: not started */
    int nlocals;
};

/* Innermost first. Names and files cover str kinds 1 (ASCII and Latin-1), 2 and 4;
 * lines cover big deltas (several lnotab / 3.10 entries, multi-byte varints) and
 * offsets past 255 bytes. */
static const struct frame_spec chain5[5] = {
    {"/srv/app/handlers.py", "handle", "Handler.handle", 120, 10, 125, 14, 3},
    {"/srv/app/modülé.py", "café", "Café.café", 7, 40, 9, 38, 2}, /* before its line starts */
    {"/srv/приложение.py", "обработать", "Класс.обработать", 3000, 300, 3400, 310, 4},
    {"/srv/😀/emoji.py", "𝔣𝔲𝔫𝔠", "𝔒𝔲𝔱𝔢𝔯.<locals>.𝔣𝔲𝔫𝔠", 50, 2, 51, -1, 0}, /* not started */
    {"<string>", "<module>", "<module>", 1, 2, 2, 200, 6},
};

static int expected_line(const struct frame_spec *s)
{
    return s->instr >= s->line_offset ? s->line : s->first_line;
}

static uint64_t make_code(struct run *r, const struct frame_spec *s)
{
    struct synth_code_spec spec = {.filename = s->file, .name = s->name, .qualname = s->qualname,
                                   .first_line = s->first_line, .line_offset = s->line_offset,
                                   .line = s->line, .nlocals = s->nlocals};
    return synth_code(&r->p, &spec);
}

/* Builds the chain outermost first; frames[i] / codes[i] are innermost first. */
static uint64_t make_chain(struct run *r, const struct frame_spec *specs, size_t n, uint64_t *frames,
                           uint64_t *codes)
{
    uint64_t previous = 0;
    for (size_t i = n; i-- > 0;) {
        uint64_t code = make_code(r, &specs[i]);
        previous = synth_frame(&r->p, code, specs[i].instr, previous);
        if (frames)
            frames[i] = previous;
        if (codes)
            codes[i] = code;
    }
    return previous;
}

static enum pa_status list(struct run *r)
{
    pa_error_clear(&r->err);
    return py_list_threads(&r->w, r->threads, MAX_LISTED, &r->nthreads, &r->err);
}

static enum pa_status walk(struct run *r, uint64_t frame)
{
    pa_error_clear(&r->err);
    return py_walk_stack(&r->w, frame, r->stack, &r->err);
}

static enum pa_status walk_thread(struct run *r, const struct py_thread *thread)
{
    pa_error_clear(&r->err);
    return py_walk_thread(&r->w, thread, r->stack, &r->err);
}

static uint64_t previous_of(struct run *r, uint64_t frame)
{
    uint64_t previous = 0;
    pa_read_u64(&r->p.reader, frame + (uint64_t)r->p.runtime.layout.interpreter_frame.previous, &previous, NULL);
    return previous;
}

static int is_3_12_plus(const struct run *r)
{
    return r->p.runtime.layout.version_hex >= 0x030c0000;
}

static int is_tagged(const struct run *r)
{
    return r->p.runtime.layout.ref_model == PY_REFS_TAGGED;
}

static int has_base_frame(const struct run *r)
{
    return r->p.runtime.layout.thread_state.base_frame >= 0;
}

/* The frames of stack from `from` on are the spec's, in order (names, files, lines). */
static void check_frames(struct run *r, const struct frame_spec *specs, size_t n, const uint64_t *addrs,
                         size_t from)
{
    const struct py_layout *l = &r->p.runtime.layout;
    for (size_t i = 0; i < n; i++) {
        const struct py_frame *f = &r->stack->frames[from + i];
        const struct frame_spec *s = &specs[i];
        const char *qual = l->code_object.qualname >= 0 ? s->qualname : s->name;
        CHECK(r, f->code != NULL, "frame %zu has no code", i);
        CHECK(r, strcmp(f->code->name, s->name) == 0, "frame %zu name \"%s\", expected \"%s\"", i, f->code->name,
              s->name);
        CHECK(r, strcmp(f->code->qualname, qual) == 0, "frame %zu qualname \"%s\", expected \"%s\"", i,
              f->code->qualname, qual);
        CHECK(r, strcmp(f->code->filename, s->file) == 0, "frame %zu file \"%s\", expected \"%s\"", i,
              f->code->filename, s->file);
        CHECK(r, f->code->first_line == s->first_line, "frame %zu (%s) first line %d, expected %d", i, s->name,
              f->code->first_line, s->first_line);
        CHECK(r, f->line == expected_line(s), "frame %zu (%s) line %d, expected %d (instr offset %d)", i, s->name,
              f->line, expected_line(s), f->instr_offset);
        if (s->instr >= 0)
            CHECK(r, f->instr_offset == s->instr, "frame %zu instr offset %d, expected %d", i, f->instr_offset,
                  s->instr);
        else /* not started: f_lasti -1 / prev_instr before the code; 3.13's instr_ptr is at 0 */
            CHECK(r, f->instr_offset < 0 || (l->instr_model == PY_INSTR_INSTR_PTR && f->instr_offset == 0),
                  "frame %zu not started, but instr offset %d", i, f->instr_offset);
        if (addrs)
            CHECK(r, f->frame_addr == addrs[i], "frame %zu at 0x%llx, expected 0x%llx", i,
                  (unsigned long long)f->frame_addr, (unsigned long long)addrs[i]);
    }
}

/* ---- a 5-deep chain ---- */

static void scenario_chain(struct run *r)
{
    uint64_t frames[5];
    uint64_t leaf = make_chain(r, chain5, 5, frames, NULL);
    uint64_t t = synth_thread(&r->p, r->p.interps[0], 4242, leaf);

    CHECK_STATUS(r, list(r), PA_OK, "py_list_threads");
    CHECK(r, r->nthreads == 1, "%zu threads, expected 1", r->nthreads);
    CHECK(r, r->threads[0].tstate_addr == t, "wrong tstate address");
    CHECK(r, r->threads[0].frame_addr == leaf, "thread frame 0x%llx, expected 0x%llx",
          (unsigned long long)r->threads[0].frame_addr, (unsigned long long)leaf);

    CHECK_STATUS(r, walk(r, r->threads[0].frame_addr), PA_OK, "py_walk_stack");
    CHECK(r, r->stack->depth == 5, "depth %zu, expected 5", r->stack->depth);
    CHECK(r, !r->stack->incomplete, "a whole chain is marked incomplete");
    check_frames(r, chain5, 5, frames, 0);
    if (r->failed)
        return;

    /* A second walk hits the code cache and must give the same result. */
    CHECK_STATUS(r, walk(r, leaf), PA_OK, "second py_walk_stack");
    CHECK(r, py_code_cache_size(r->codes) == 5, "code cache holds %zu codes, expected 5",
          py_code_cache_size(r->codes));
    check_frames(r, chain5, 5, frames, 0);
    if (r->failed)
        return;

    /* The locals count drives call ids (stack_walk.c), so it must be the code's own. */
    for (size_t i = 0; i < 5; i++)
        CHECK(r, r->stack->frames[i].code->nlocals == chain5[i].nlocals,
              "frame %zu (%s): nlocals %d, expected %d (layout code_object.nlocals = %d, localsplusnames = %d)", i,
              chain5[i].name, r->stack->frames[i].code->nlocals, chain5[i].nlocals,
              (int)r->p.runtime.layout.code_object.nlocals, (int)r->p.runtime.layout.code_object.localsplusnames);
}

static void test_five_deep_chain(void **state)
{
    (void)state;
    for_each_version(scenario_chain, "5-deep chain");
}

/* ---- threads, TIDs and the GIL ---- */

static const struct frame_spec main_specs[2] = {
    {"main.py", "wait", "Pool.wait", 30, 2, 31, 4, 1},
    {"main.py", "<module>", "<module>", 1, 0, 40, 6, 0},
};
static const struct frame_spec worker_specs[2] = {
    {"worker.py", "compute", "compute", 5, 2, 6, 2, 2},
    {"/usr/lib/python3/threading.py", "run", "Thread.run", 900, 4, 910, 8, 1},
};

static const struct py_thread *find_thread(const struct run *r, uint64_t tstate)
{
    for (size_t i = 0; i < r->nthreads; i++)
        if (r->threads[i].tstate_addr == tstate)
            return &r->threads[i];
    return NULL;
}

static void scenario_threads(struct run *r)
{
    uint64_t interp = r->p.interps[0];
    uint64_t main_leaf = make_chain(r, main_specs, 2, NULL, NULL);
    uint64_t worker_leaf = make_chain(r, worker_specs, 2, NULL, NULL);
    uint64_t main_t = synth_thread(&r->p, interp, 31000, main_leaf);
    uint64_t worker_t = synth_thread(&r->p, interp, 31007, worker_leaf);
    synth_set_gil_holder(&r->p, interp, worker_t);

    CHECK_STATUS(r, list(r), PA_OK, "py_list_threads");
    CHECK(r, r->nthreads == 2, "%zu threads, expected 2", r->nthreads);
    /* New thread states are pushed at the head of the list. */
    CHECK(r, r->threads[0].tstate_addr == worker_t && r->threads[1].tstate_addr == main_t,
          "threads not listed in list order");
    const struct py_thread *m = &r->threads[1], *w = &r->threads[0];
    CHECK(r, m->tid == 31000 && w->tid == 31007, "TIDs %d and %d, expected 31000 and 31007 (%s)", (int)m->tid,
          (int)w->tid, r->p.runtime.layout.thread_state.native_thread_id >= 0 ? "native_thread_id" : "via pthread");
    CHECK(r, m->interp_addr == interp && w->interp_addr == interp, "wrong interpreter address");
    CHECK(r, w->holds_gil && !m->holds_gil, "GIL: worker %d main %d, expected the worker only", w->holds_gil,
          m->holds_gil);
    CHECK(r, m->frame_addr == main_leaf && w->frame_addr == worker_leaf, "wrong frame addresses");
    if (r->p.runtime.layout.thread_state.native_thread_id < 0)
        CHECK(r, m->pthread_id != 0 && w->pthread_id != 0, "no pthread_t read");

    CHECK_STATUS(r, walk(r, w->frame_addr), PA_OK, "walking the worker");
    CHECK(r, r->stack->depth == 2, "worker depth %zu", r->stack->depth);
    check_frames(r, worker_specs, 2, NULL, 0);
    if (r->failed)
        return;
    CHECK_STATUS(r, walk(r, m->frame_addr), PA_OK, "walking main");
    CHECK(r, r->stack->depth == 2, "main depth %zu", r->stack->depth);
    check_frames(r, main_specs, 2, NULL, 0);
    if (r->failed)
        return;

    /* The GIL released: nobody holds it (3.12+: last_holder still names the worker). */
    synth_set_gil_holder(&r->p, interp, 0);
    CHECK_STATUS(r, list(r), PA_OK, "py_list_threads, GIL released");
    CHECK(r, !r->threads[0].holds_gil && !r->threads[1].holds_gil, "a thread holds a released GIL");

    /* The main thread takes it. */
    synth_set_gil_holder(&r->p, interp, main_t);
    CHECK_STATUS(r, list(r), PA_OK, "py_list_threads, main holds the GIL");
    CHECK(r, find_thread(r, main_t)->holds_gil && !find_thread(r, worker_t)->holds_gil,
          "the GIL moved to main but is not seen there");

    /* A thread running no Python code, in a second interpreter. */
    uint64_t sub = synth_interpreter(&r->p);
    uint64_t idle_t = synth_thread(&r->p, sub, 31011, 0);
    CHECK_STATUS(r, list(r), PA_OK, "py_list_threads, two interpreters");
    CHECK(r, r->nthreads == 3, "%zu threads over two interpreters, expected 3", r->nthreads);
    const struct py_thread *idle = find_thread(r, idle_t);
    CHECK(r, idle != NULL && idle->interp_addr == sub && idle->tid == 31011 && idle->frame_addr == 0,
          "the second interpreter's idle thread is wrong");
    CHECK_STATUS(r, walk(r, 0), PA_OK, "walking no frame");
    CHECK(r, r->stack->depth == 0 && !r->stack->incomplete, "an empty stack is not empty");
}

static void test_threads_and_gil(void **state)
{
    (void)state;
    for_each_version(scenario_threads, "two threads and the GIL");
}

/* ---- 3.12+: frames owned by the C stack ---- */

static void scenario_cstack(struct run *r)
{
    if (!is_3_12_plus(r)) {
        r->skipped = 1;
        return;
    }
    CHECK(r, r->p.runtime.layout.interpreter_frame.owner >= 0, "3.12+ layout without interpreter_frame.owner");
    /* A named shim code: if a shim is not skipped, it shows up by name. */
    struct frame_spec shim_spec = {"<shim>", "<shim>", "<shim>", 1, 0, 1, 0, 0};
    uint64_t shim_code = make_code(r, &shim_spec);
    uint64_t codes[2], frames[2];
    /* outermost: entry shim -> main -> shim -> leaf -> (innermost) */
    uint64_t entry = synth_cstack_frame(&r->p, shim_code, 0);
    codes[1] = make_code(r, &main_specs[1]);
    frames[1] = synth_frame(&r->p, codes[1], main_specs[1].instr, entry);
    uint64_t middle = synth_cstack_frame(&r->p, shim_code, frames[1]);
    codes[0] = make_code(r, &main_specs[0]);
    frames[0] = synth_frame(&r->p, codes[0], main_specs[0].instr, middle);
    uint64_t top = synth_cstack_frame(&r->p, shim_code, frames[0]);

    CHECK_STATUS(r, walk(r, top), PA_OK, "walking through C-stack frames");
    CHECK(r, r->stack->depth == 2, "depth %zu, expected 2 (C-stack frames skipped)", r->stack->depth);
    CHECK(r, !r->stack->incomplete, "marked incomplete");
    check_frames(r, main_specs, 2, frames, 0);
    if (r->failed)
        return;

    /* Only C-stack frames: an empty, complete stack. */
    CHECK_STATUS(r, walk(r, entry), PA_OK, "walking a lone entry frame");
    CHECK(r, r->stack->depth == 0 && !r->stack->incomplete, "a lone entry frame gave depth %zu",
          r->stack->depth);

    /* A C-stack frame looping on itself must not hang the walk. */
    synth_frame_set_previous(&r->p, entry, entry);
    CHECK_STATUS(r, walk(r, top), PA_OK, "walking into a looping entry frame");
    CHECK(r, r->stack->depth == 2 && r->stack->incomplete, "looping entry frame: depth %zu incomplete %d",
          r->stack->depth, r->stack->incomplete);
}

static void test_cstack_frames_skipped(void **state)
{
    (void)state;
    for_each_version(scenario_cstack, "C-stack frames (3.12+)");
}

/* ---- 3.11/3.12: frames through tstate->cframe ---- */

static void scenario_cframe(struct run *r)
{
    const struct py_layout *l = &r->p.runtime.layout;
    if (l->thread_state.cframe < 0) {
        r->skipped = 1;
        return;
    }
    CHECK(r, l->thread_state.current_frame < 0, "a cframe layout also has thread_state.current_frame");
    uint64_t a = make_chain(r, main_specs, 2, NULL, NULL);
    uint64_t b = make_chain(r, worker_specs, 2, NULL, NULL);
    uint64_t t = synth_thread(&r->p, r->p.interps[0], 77, a);
    uint64_t cframe = synth_thread_cframe(&r->p, t);
    CHECK(r, cframe != 0, "no cframe built");

    CHECK_STATUS(r, list(r), PA_OK, "py_list_threads");
    CHECK(r, r->threads[0].frame_addr == a, "frame not read through the cframe");

    synth_thread_set_frame(&r->p, t, b); /* a new call moved cframe->current_frame */
    CHECK_STATUS(r, list(r), PA_OK, "py_list_threads after the cframe moved");
    CHECK(r, r->threads[0].frame_addr == b, "the thread's frame did not follow cframe->current_frame");

    fake_memory_put_u64(&r->p.memory, t + (uint64_t)l->thread_state.cframe, 0);
    CHECK_STATUS(r, list(r), PA_OK, "py_list_threads with a NULL cframe");
    CHECK(r, r->threads[0].frame_addr == 0, "a NULL cframe gave frame 0x%llx",
          (unsigned long long)r->threads[0].frame_addr);

    fake_memory_put_u64(&r->p.memory, t + (uint64_t)l->thread_state.cframe, 0xdead0000beefull);
    CHECK_STATUS(r, list(r), PA_OK, "py_list_threads with an unmapped cframe");
    CHECK(r, r->threads[0].frame_addr == 0, "an unmapped cframe gave a frame");
}

static void test_cframe_indirection(void **state)
{
    (void)state;
    for_each_version(scenario_cframe, "cframe indirection (3.11, 3.12)");
}

/* ---- entry frames: where each C call of the eval loop began ---- */

/* Frames 2 and 4 of chain5 begin a C call of the eval loop: <= 3.10 every frame
 * does; 3.11 marks them with is_entry; 3.12+ has a C-stack shim frame below each. */
static void scenario_entry_frames(struct run *r)
{
    const struct py_layout *l = &r->p.runtime.layout;
    int shims = is_3_12_plus(r);
    struct frame_spec shim_spec = {"<shim>", "<shim>", "<shim>", 1, 0, 1, 0, 0};
    uint64_t shim_code = make_code(r, &shim_spec);
    uint64_t frames[5];
    uint64_t previous = shims ? synth_cstack_frame(&r->p, shim_code, 0) : 0;
    for (size_t i = 5; i-- > 0;) {
        previous = frames[i] = synth_frame(&r->p, make_code(r, &chain5[i]), chain5[i].instr, previous);
        if (i == 2 || i == 4)
            synth_frame_set_is_entry(&r->p, frames[i], 1);
        if (i == 3 && shims)
            previous = synth_cstack_frame(&r->p, shim_code, previous);
    }
    CHECK_STATUS(r, walk(r, frames[0]), PA_OK, "walk");
    CHECK(r, r->stack->depth == 5 && !r->stack->incomplete, "depth %zu incomplete %d", r->stack->depth,
          r->stack->incomplete);
    check_frames(r, chain5, 5, frames, 0);
    if (r->failed)
        return;
    for (size_t i = 0; i < 5; i++) {
        int want = l->frame_model == PY_FRAMES_OBJECTS || i == 2 || i == 4;
        CHECK(r, r->stack->frames[i].is_entry == want, "frame %zu (%s): is_entry %d, expected %d", i,
              chain5[i].name, r->stack->frames[i].is_entry, want);
    }
}

static void test_entry_frames(void **state)
{
    (void)state;
    for_each_version(scenario_entry_frames, "entry frames");
}

/* ---- cycles and the depth cap ---- */

static const struct frame_spec loop_spec = {"loop.py", "spin", "spin", 10, 0, 11, 4, 1};

/* `distinct` frames in a row, then the last one's previous points back at frame
 * `back_to` (0-based, innermost first). */
static void check_cycle(struct run *r, size_t distinct, size_t back_to)
{
    uint64_t code = make_code(r, &loop_spec);
    uint64_t *frames = calloc(distinct, sizeof *frames);
    CHECK(r, frames != NULL, "out of memory");
    uint64_t previous = 0;
    for (size_t i = distinct; i-- > 0;)
        previous = frames[i] = synth_frame(&r->p, code, loop_spec.instr, previous);
    synth_frame_set_previous(&r->p, frames[distinct - 1], frames[back_to]);
    enum pa_status st = walk(r, frames[0]);
    size_t depth = r->stack->depth;
    int ordered = 1;
    for (size_t i = 0; i < distinct && i < depth; i++)
        ordered &= r->stack->frames[i].frame_addr == frames[i];
    free(frames);
    CHECK_STATUS(r, st, PA_OK, "walking a cycle");
    CHECK(r, r->stack->incomplete, "cycle of %zu frames (back to %zu) not marked incomplete", distinct, back_to);
    /* Every frame once, and the loop seen by the cycle check, not cut at the depth cap. */
    CHECK(r, depth >= distinct && depth <= 4 * distinct + 4, "cycle of %zu frames (back to %zu) gave depth %zu",
          distinct, back_to, depth);
    CHECK(r, ordered, "cycle of %zu frames: frames out of order", distinct);
}

static void scenario_cycles(struct run *r)
{
    check_cycle(r, 1, 0);   /* a frame that is its own caller */
    if (!r->failed)
        check_cycle(r, 2, 0); /* A -> B -> A */
    if (!r->failed)
        check_cycle(r, 11, 4); /* a tail of 4, then a loop of 7 */
    if (!r->failed)
        check_cycle(r, 300, 0);
}

static void test_cycles_terminate(void **state)
{
    (void)state;
    for_each_version(scenario_cycles, "cyclic chains");
}

static void scenario_depth_cap(struct run *r)
{
    uint64_t code = make_code(r, &loop_spec);
    size_t n = PY_DEFAULT_MAX_DEPTH + 10;
    uint64_t previous = 0, exact_leaf = 0;
    for (size_t i = 0; i < n; i++) {
        previous = synth_frame(&r->p, code, loop_spec.instr, previous);
        if (i == PY_DEFAULT_MAX_DEPTH - 1)
            exact_leaf = previous;
    }
    CHECK_STATUS(r, walk(r, previous), PA_OK, "walking a deep chain");
    CHECK(r, r->stack->incomplete && r->stack->truncated, "a chain of %zu frames: incomplete %d truncated %d", n,
          r->stack->incomplete, r->stack->truncated);
    CHECK(r, r->stack->depth == PY_DEFAULT_MAX_DEPTH, "depth %zu, expected %d", r->stack->depth, PY_DEFAULT_MAX_DEPTH);
    CHECK(r, r->stack->frames[0].frame_addr == previous, "the innermost frame is not first");

    CHECK_STATUS(r, walk(r, exact_leaf), PA_OK, "walking exactly PY_DEFAULT_MAX_DEPTH frames");
    CHECK(r, !r->stack->incomplete && !r->stack->truncated && r->stack->depth == PY_DEFAULT_MAX_DEPTH,
          "exactly %d frames: depth %zu incomplete %d", PY_DEFAULT_MAX_DEPTH, r->stack->depth, r->stack->incomplete);

    /* --max-depth: a stack sized at run time keeps that many frames, in either direction. */
    struct py_stack *saved = r->stack, *small = py_stack_new(7), *large = py_stack_new(n + 1);
    CHECK(r, small != NULL && large != NULL, "py_stack_new failed");
    if (small != NULL && large != NULL) {
        r->stack = small;
        CHECK_STATUS(r, walk(r, previous), PA_OK, "walking with room for 7 frames");
        CHECK(r, small->depth == 7 && small->truncated && small->frames[0].frame_addr == previous,
              "room for 7: depth %zu truncated %d", small->depth, small->truncated);
        r->stack = large;
        CHECK_STATUS(r, walk(r, previous), PA_OK, "walking with room for the whole chain");
        CHECK(r, large->depth == n && !large->incomplete && !large->truncated,
              "room for %zu: depth %zu incomplete %d truncated %d", n + 1, large->depth, large->incomplete,
              large->truncated);
    }
    r->stack = saved;
    free(small);
    free(large);
    CHECK(r, py_stack_new(0) == NULL && py_stack_new(PY_MAX_DEPTH_LIMIT + 1) == NULL,
          "py_stack_new accepted a size outside 1..PY_MAX_DEPTH_LIMIT");
    if (r->p.runtime.layout.version_hex < 0x030c0000)
        return;

    /* 3.12+: exactly PY_DEFAULT_MAX_DEPTH Python frames with an entry frame outside them are whole. */
    uint64_t entry = synth_cstack_frame(&r->p, code, 0);
    previous = entry;
    for (size_t i = 0; i < PY_DEFAULT_MAX_DEPTH; i++)
        previous = synth_frame(&r->p, code, loop_spec.instr, previous);
    CHECK_STATUS(r, walk(r, previous), PA_OK, "walking PY_DEFAULT_MAX_DEPTH frames and an entry frame");
    CHECK(r, !r->stack->incomplete && r->stack->depth == PY_DEFAULT_MAX_DEPTH,
          "PY_DEFAULT_MAX_DEPTH frames + entry frame: depth %zu incomplete %d", r->stack->depth, r->stack->incomplete);

    /* Frames that are no Python calls do not count towards the depth, but a chain of
     * them is still bounded: 20000 entry frames above one Python frame. */
    previous = synth_frame(&r->p, code, loop_spec.instr, 0);
    for (size_t i = 0; i < 20000; i++)
        previous = synth_cstack_frame(&r->p, code, previous);
    uint64_t reads = r->p.reader.reads;
    CHECK_STATUS(r, walk(r, previous), PA_OK, "walking 20000 entry frames");
    CHECK(r, r->stack->incomplete && !r->stack->truncated && r->stack->depth == 0,
          "20000 entry frames: depth %zu incomplete %d truncated %d", r->stack->depth, r->stack->incomplete,
          r->stack->truncated);
    CHECK(r, r->p.reader.reads - reads <= 4 * PY_DEFAULT_MAX_DEPTH + 1, "20000 entry frames took %llu reads",
          (unsigned long long)(r->p.reader.reads - reads));
}

static void test_depth_cap(void **state)
{
    (void)state;
    for_each_version(scenario_depth_cap, "chain longer than PY_DEFAULT_MAX_DEPTH");
}

/* ---- torn reads ---- */

static void scenario_torn(struct run *r)
{
    uint64_t frames[5];
    uint64_t leaf = make_chain(r, chain5, 5, frames, NULL);
    synth_thread(&r->p, r->p.interps[0], 99, leaf);

    /* How many reads a clean walk with a cold cache takes. */
    struct py_code_cache *cold = py_code_cache_new();
    CHECK(r, cold != NULL, "out of memory");
    r->w.codes = cold;
    uint64_t before = r->p.reader.reads;
    enum pa_status st = walk(r, leaf);
    uint64_t total = r->p.reader.reads - before;
    py_code_cache_free(cold);
    CHECK_STATUS(r, st, PA_OK, "clean walk");

    int saw_error = 0, saw_middle = 0;
    for (uint64_t n = 1; n <= total + 1; n++) {
        cold = py_code_cache_new();
        CHECK(r, cold != NULL, "out of memory");
        r->w.codes = cold;
        r->p.memory.reads_left = n;
        st = walk(r, leaf);
        r->p.memory.reads_left = 0;
        size_t depth = r->stack->depth;
        int incomplete = r->stack->incomplete;
        if (st == PA_OK && depth > 0)
            check_frames(r, chain5, depth < 5 ? depth : 5, frames, 0);
        py_code_cache_free(cold);
        if (r->failed)
            return;
        if (st != PA_OK) {
            CHECK(r, st == PA_E_READ, "torn read %llu: status %d (%s)", (unsigned long long)n, (int)st,
                  r->err.message);
            CHECK(r, depth == 0, "torn read %llu: failed after %zu frames instead of returning them",
                  (unsigned long long)n, depth);
            saw_error = 1;
        } else if (depth < 5) {
            CHECK(r, incomplete, "torn read %llu cut the stack to %zu frames without marking it incomplete",
                  (unsigned long long)n, depth);
            CHECK(r, depth > 0, "torn read %llu: PA_OK with an empty stack", (unsigned long long)n);
            saw_middle = 1;
        } else {
            CHECK(r, depth == 5, "torn read %llu: depth %zu", (unsigned long long)n, depth);
        }
    }
    r->w.codes = r->codes;
    CHECK(r, saw_error, "no torn read made the walk fail (reads per walk: %llu)", (unsigned long long)total);
    CHECK(r, saw_middle, "no torn read gave a partial stack (reads per walk: %llu)", (unsigned long long)total);

    /* The innermost frame itself unreadable: an error, not a stack. */
    CHECK(r, walk(r, 0x10) == PA_E_READ && r->stack->depth == 0, "an unreadable first frame did not fail");
    /* A caller gone (unmapped, beyond what one torn read does): the frames before it. */
    synth_frame_set_previous(&r->p, frames[2], 0xdead00000000ull);
    CHECK_STATUS(r, walk(r, leaf), PA_OK, "walk with an unmapped caller");
    CHECK(r, r->stack->depth == 3 && r->stack->incomplete && !r->stack->truncated,
          "an unmapped 4th frame: depth %zu incomplete %d",
          r->stack->depth, r->stack->incomplete);
    synth_frame_set_previous(&r->p, frames[2], frames[3]);

    /* Listing threads with every one of its reads torn in turn. */
    before = r->p.reader.reads;
    CHECK_STATUS(r, list(r), PA_OK, "clean listing");
    total = r->p.reader.reads - before;
    for (uint64_t n = 1; n <= total + 1; n++) {
        r->p.memory.reads_left = n;
        st = list(r);
        r->p.memory.reads_left = 0;
        CHECK(r, st == PA_OK || st == PA_E_READ, "torn listing read %llu: status %d", (unsigned long long)n,
              (int)st);
        CHECK(r, r->nthreads <= 1, "torn listing read %llu: %zu threads", (unsigned long long)n, r->nthreads);
    }
}

static void test_torn_reads(void **state)
{
    (void)state;
    for_each_version(scenario_torn, "torn reads");
}

/* ---- code objects checked again each epoch ---- */

static uint64_t reads_of_walk(struct run *r, uint64_t leaf)
{
    uint64_t before = r->p.reader.reads;
    walk(r, leaf);
    return r->p.reader.reads - before;
}

static void scenario_code_epochs(struct run *r)
{
    const struct py_layout *l = &r->p.runtime.layout;
    uint64_t frames[5], codes[5];
    uint64_t leaf = make_chain(r, chain5, 5, frames, codes);
    CHECK_STATUS(r, walk(r, leaf), PA_OK, "first walk");
    uint64_t warm = reads_of_walk(r, leaf);

    /* A new epoch without a batch: each code object is read again at its lookup. */
    py_code_cache_new_epoch(r->codes, &r->p.runtime, NULL);
    uint64_t lazy = reads_of_walk(r, leaf);
    CHECK(r, lazy >= warm + 5, "an epoch without a batch: %llu reads, %llu warm", (unsigned long long)lazy,
          (unsigned long long)warm);
    /* With one: all five in one vectored read, none at the lookups. */
    uint64_t before = r->p.reader.reads;
    py_code_cache_new_epoch(r->codes, &r->p.runtime, &r->p.reader);
    CHECK(r, r->p.reader.reads - before == 1, "the batch took %llu reads",
          (unsigned long long)(r->p.reader.reads - before));
    uint64_t batched = reads_of_walk(r, leaf);
    CHECK(r, batched == warm, "after the batch a walk took %llu reads, %llu warm", (unsigned long long)batched,
          (unsigned long long)warm);
    check_frames(r, chain5, 5, frames, 0);
    if (r->failed)
        return;

    /* Frame 2's code object freed and another one built at its address. */
    static const struct frame_spec other = {"/srv/other.py", "other", "Other.other", 77, 0, 77, 0, 1};
    uint64_t replacement = make_code(r, &other);
    uint8_t bytes[PY_CODE_READ_MAX];
    size_t size = py_layout_code_read_size(l);
    CHECK(r, pa_read(&r->p.reader, replacement, bytes, size, NULL) == PA_OK, "reading the replacement");
    fake_memory_put(&r->p.memory, codes[2], bytes, size);
    /* Within the epoch the old names stand (the documented window)... */
    CHECK_STATUS(r, walk(r, leaf), PA_OK, "walk in the same epoch");
    CHECK(r, strcmp(r->stack->frames[2].code->name, chain5[2].name) == 0, "replaced within the epoch: %s",
          r->stack->frames[2].code->name);
    /* ...and the batch of the next epoch finds the change: the lookup reads it anew. */
    py_code_cache_new_epoch(r->codes, &r->p.runtime, &r->p.reader);
    CHECK_STATUS(r, walk(r, leaf), PA_OK, "walk after the code changed");
    CHECK(r, strcmp(r->stack->frames[2].code->name, "other") == 0, "frame 2 still named %s",
          r->stack->frames[2].code->name);
    check_frames(r, chain5, 2, frames, 0);

    /* A code object the batch cannot read (unmapped now): the others are still
     * checked in the batch, and the walk stops at the unreadable one as before. */
    synth_frame_set_code(&r->p, frames[3], 0xdead00000000ull);
    CHECK_STATUS(r, walk(r, leaf), PA_OK, "walk with frame 3's code unmapped");
    py_code_cache_new_epoch(r->codes, &r->p.runtime, &r->p.reader);
    CHECK_STATUS(r, walk(r, leaf), PA_OK, "walk after a batch with an unreadable code");
    CHECK(r, r->stack->depth == 3 && r->stack->incomplete, "unmapped code: depth %zu incomplete %d",
          r->stack->depth, r->stack->incomplete);
    synth_frame_set_code(&r->p, frames[3], codes[3]);
}

static void test_code_epochs(void **state)
{
    (void)state;
    for_each_version(scenario_code_epochs, "code objects checked again each epoch");
}

/* ---- corrupted data ---- */

/* A region of deterministic noise, for garbage pointers to land in. */
static uint64_t noise_region(struct run *r, size_t size, uint32_t seed)
{
    uint64_t addr = synth_alloc(&r->p, size);
    uint32_t x = seed;
    for (size_t i = 0; i < size; i++) {
        x = x * 1664525u + 1013904223u;
        uint8_t b = (uint8_t)(x >> 24);
        fake_memory_put(&r->p.memory, addr + i, &b, 1);
    }
    return addr;
}

static uint64_t code_field_addr(struct run *r, uint64_t code, int32_t offset)
{
    uint64_t value = 0;
    pa_read_u64(&r->p.reader, code + (uint64_t)offset, &value, NULL);
    return value;
}

/* Walks the chain after one corruption: with a fresh cache, so stale entries do not
 * hide it; expects `want_depth` frames and, if 0, status `want` instead of PA_OK. */
static void expect_walk(struct run *r, uint64_t leaf, size_t want_depth, enum pa_status want, const char *what)
{
    py_code_cache_free(r->codes);
    r->codes = py_code_cache_new();
    r->w.codes = r->codes;
    enum pa_status st = walk(r, leaf);
    if (want_depth == 0) {
        CHECK(r, st == want, "%s: status %d (%s), expected %d", what, (int)st, r->err.message, (int)want);
        CHECK(r, r->stack->depth == 0, "%s: failed walk left depth %zu", what, r->stack->depth);
    } else {
        CHECK(r, st == PA_OK, "%s: status %d (%s), expected a partial stack", what, (int)st, r->err.message);
        CHECK(r, r->stack->depth == want_depth && r->stack->incomplete, "%s: depth %zu incomplete %d, expected %zu",
              what, r->stack->depth, r->stack->incomplete, want_depth);
    }
}

static void scenario_bad_code(struct run *r)
{
    uint64_t frames[5], codes[5];
    uint64_t leaf = make_chain(r, chain5, 5, frames, codes);

    synth_frame_set_code(&r->p, frames[2], 0xdead00000000ull);
    expect_walk(r, leaf, 2, PA_OK, "unmapped code in frame 2");
    synth_frame_set_code(&r->p, frames[0], 0xdead00000000ull);
    expect_walk(r, leaf, 0, PA_E_READ, "unmapped code in the leaf");
    if (r->failed)
        return;

    /* Mapped, but not a code object (a str as long as a code object): PyCode_Type
     * does not match. */
    char text[600];
    memset(text, 'x', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    uint64_t str = synth_str(&r->p, text);
    synth_frame_set_code(&r->p, frames[0], str);
    expect_walk(r, leaf, 0, PA_E_CORRUPT, "a str as the leaf's code");
    if (r->failed)
        return;

    /* Noise, with PyCode_Type unknown: whatever comes out, no crash and no overrun. */
    r->p.runtime.code_type_addr = 0;
    for (uint32_t seed = 1; seed <= 64; seed++) {
        synth_frame_set_code(&r->p, frames[seed % 5], noise_region(r, 512, seed));
        py_code_cache_free(r->codes);
        r->codes = py_code_cache_new();
        r->w.codes = r->codes;
        enum pa_status st = walk(r, leaf);
        CHECK(r, st != PA_OK || r->stack->depth <= 5, "noise code %u: depth %zu", seed, r->stack->depth);
        synth_frame_set_code(&r->p, frames[seed % 5], codes[seed % 5]);
    }
    /* Codes restored: the walk is whole again. */
    synth_frame_set_code(&r->p, frames[0], codes[0]);
    synth_frame_set_code(&r->p, frames[2], codes[2]);
    CHECK_STATUS(r, walk(r, leaf), PA_OK, "restored chain");
    CHECK(r, r->stack->depth == 5 && !r->stack->incomplete, "restored chain depth %zu", r->stack->depth);
}

static void test_corrupt_code_pointer(void **state)
{
    (void)state;
    for_each_version(scenario_bad_code, "code pointer to garbage");
}

static void scenario_bad_strings(struct run *r)
{
    const struct py_layout *l = &r->p.runtime.layout;
    uint64_t frames[5], codes[5];
    uint64_t leaf = make_chain(r, chain5, 5, frames, codes);
    uint64_t name1 = code_field_addr(r, codes[1], l->code_object.name);
    uint64_t file0 = code_field_addr(r, codes[0], l->code_object.filename);
    uint64_t length_at = name1 + (uint64_t)l->unicode_object.length;
    uint64_t state_at = file0 + (uint64_t)l->unicode_object.state;
    int32_t state;
    int64_t length;
    CHECK(r, pa_read(&r->p.reader, state_at, &state, sizeof state, NULL) == PA_OK &&
                 pa_read(&r->p.reader, length_at, &length, sizeof length, NULL) == PA_OK,
          "cannot read a str head");

    static const int64_t bad_lengths[] = {(int64_t)1 << 40, -1, INT64_MIN, PY_STRING_MAX_CHARS + 1};
    for (size_t i = 0; i < sizeof bad_lengths / sizeof bad_lengths[0]; i++) {
        fake_memory_put(&r->p.memory, length_at, &bad_lengths[i], 8);
        expect_walk(r, leaf, 1, PA_OK, "a str length out of range in frame 1");
        if (r->failed)
            return;
    }
    /* Long enough to pass the cap but running past the object: a read error. */
    int64_t past = 4000;
    fake_memory_put(&r->p.memory, length_at, &past, 8);
    expect_walk(r, leaf, 1, PA_OK, "a str longer than its object in frame 1");
    if (r->failed)
        return;
    fake_memory_put(&r->p.memory, length_at, &length, 8);

    /* kind 3, kind 0, kind 2 with the ASCII flag, and a non-compact str. */
    static const uint32_t bad_states[] = {3u << 2 | 1u << 5, 0u << 2 | 1u << 5, 2u << 2 | 1u << 5 | 1u << 6,
                                          1u << 2, 7u << 2 | 1u << 5};
    for (size_t i = 0; i < sizeof bad_states / sizeof bad_states[0]; i++) {
        fake_memory_put(&r->p.memory, state_at, &bad_states[i], 4);
        expect_walk(r, leaf, 0, PA_E_CORRUPT, "a bad str kind in the leaf's filename");
        if (r->failed)
            return;
    }
    fake_memory_put(&r->p.memory, state_at, &state, 4);

    /* The line table: a size of 2^40 and a negative size. */
    uint64_t table2 = code_field_addr(r, codes[2], l->code_object.linetable);
    static const int64_t bad_sizes[] = {(int64_t)1 << 40, -5};
    for (size_t i = 0; i < 2; i++) {
        fake_memory_put(&r->p.memory, table2 + (uint64_t)l->object.ob_size, &bad_sizes[i], 8);
        expect_walk(r, leaf, 2, PA_OK, "a line table size out of range in frame 2");
        if (r->failed)
            return;
    }
}

static void test_corrupt_strings(void **state)
{
    (void)state;
    for_each_version(scenario_bad_strings, "corrupted str and bytes objects");
}

static void scenario_bad_instr(struct run *r)
{
    const struct py_layout *l = &r->p.runtime.layout;
    uint64_t frames[5], codes[5];
    uint64_t leaf = make_chain(r, chain5, 5, frames, codes);
    uint64_t at = frames[0] + (uint64_t)l->interpreter_frame.instr;
    if (l->instr_model == PY_INSTR_LASTI_BYTES || l->instr_model == PY_INSTR_LASTI_UNITS) {
        static const int32_t bad[] = {-2, -12345, INT32_MIN, INT32_MAX, INT32_MAX / 2 + 1};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            fake_memory_put_i32(&r->p.memory, at, bad[i]);
            CHECK_STATUS(r, walk(r, leaf), PA_OK, "walk with a bad f_lasti");
            CHECK(r, r->stack->depth == 5, "f_lasti %d: depth %zu", bad[i], r->stack->depth);
            if (bad[i] < 0)
                CHECK(r, r->stack->frames[0].line == chain5[0].first_line, "f_lasti %d: line %d, expected %d",
                      bad[i], r->stack->frames[0].line, chain5[0].first_line);
            CHECK(r, r->stack->frames[0].line > 0, "f_lasti %d: line %d", bad[i], r->stack->frames[0].line);
        }
    } else {
        /* The last one is 4 GiB past a real instruction: cut to 32 bits it would look fine. */
        uint64_t start = codes[0] + (uint64_t)l->code_object.code_adaptive;
        const uint64_t bad[] = {0, 1, codes[0] - 100000, UINT64_MAX, codes[0] + (1ull << 40), 0x8000000000000000ull,
                                start + (1ull << 32) + (uint64_t)chain5[0].instr};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            fake_memory_put_u64(&r->p.memory, at, bad[i]);
            CHECK_STATUS(r, walk(r, leaf), PA_OK, "walk with a bad instruction pointer");
            CHECK(r, r->stack->depth == 5, "instr 0x%llx: depth %zu", (unsigned long long)bad[i], r->stack->depth);
            CHECK(r, r->stack->frames[0].line == chain5[0].first_line, "instr 0x%llx: line %d, expected %d",
                  (unsigned long long)bad[i], r->stack->frames[0].line, chain5[0].first_line);
        }
    }
}

static void test_corrupt_instruction(void **state)
{
    (void)state;
    for_each_version(scenario_bad_instr, "negative / wild instruction offsets");
}

static void scenario_list_cycles(struct run *r)
{
    const struct py_layout *l = &r->p.runtime.layout;
    uint64_t interp = r->p.interps[0];
    uint64_t t1 = synth_thread(&r->p, interp, 1, 0);
    fake_memory_put_u64(&r->p.memory, t1 + (uint64_t)l->thread_state.next, t1);
    CHECK_STATUS(r, list(r), PA_E_CORRUPT, "a thread state that is its own next");

    uint64_t t2 = synth_thread(&r->p, interp, 2, 0); /* t2 -> t1 -> t1 */
    fake_memory_put_u64(&r->p.memory, t1 + (uint64_t)l->thread_state.next, t2);
    CHECK_STATUS(r, list(r), PA_E_CORRUPT, "t2 -> t1 -> t2");
    fake_memory_put_u64(&r->p.memory, t1 + (uint64_t)l->thread_state.next, 0);
    CHECK_STATUS(r, list(r), PA_OK, "the thread list repaired");
    CHECK(r, r->nthreads == 2, "%zu threads after the repair", r->nthreads);

    /* More thread states than the caller has room for. */
    pa_error_clear(&r->err);
    enum pa_status st = py_list_threads(&r->w, r->threads, 1, &r->nthreads, &r->err);
    CHECK(r, st == PA_E_CORRUPT && r->nthreads <= 1, "2 threads into 1 slot: status %d, count %zu", (int)st,
          r->nthreads);

    /* Interpreter lists: one that is its own next, and A -> B -> A. */
    fake_memory_put_u64(&r->p.memory, interp + (uint64_t)l->interpreter_state.next, interp);
    CHECK_STATUS(r, list(r), PA_E_CORRUPT, "an interpreter that is its own next");
    uint64_t sub = synth_interpreter(&r->p); /* sets interp.next = sub */
    fake_memory_put_u64(&r->p.memory, sub + (uint64_t)l->interpreter_state.next, interp);
    CHECK_STATUS(r, list(r), PA_E_CORRUPT, "interpreters A -> B -> A");
    /* Without threads a looping interpreter list is still caught. */
    fake_memory_put_u64(&r->p.memory, interp + (uint64_t)l->interpreter_state.threads_head, 0);
    CHECK_STATUS(r, list(r), PA_E_CORRUPT, "thread-less interpreters A -> B -> A");
    fake_memory_put_u64(&r->p.memory, sub + (uint64_t)l->interpreter_state.next, 0);
    CHECK_STATUS(r, list(r), PA_OK, "the interpreter list repaired");
}

static void test_list_cycles(void **state)
{
    (void)state;
    for_each_version(scenario_list_cycles, "thread and interpreter list cycles");
}

/* ---- call ids ---- */

static const struct frame_spec call_specs[3] = {
    {"calls.py", "leaf", "leaf", 40, 2, 41, 6, 2},
    {"calls.py", "caller", "caller", 20, 2, 22, 10, 6},
    {"calls.py", "<module>", "<module>", 1, 0, 30, 12, 2},
};

static void sample_ids(struct run *r, uint64_t leaf, uint64_t ids[3])
{
    memset(ids, 0, 3 * sizeof ids[0]);
    CHECK_STATUS(r, walk(r, leaf), PA_OK, "walk");
    CHECK(r, r->stack->depth == 3, "depth %zu", r->stack->depth);
    for (int i = 0; i < 3; i++)
        ids[i] = r->stack->frames[i].call_id;
}

static void scenario_call_ids(struct run *r)
{
    uint64_t frames[3], codes[3], a[3], b[3];
    uint64_t leaf = make_chain(r, call_specs, 3, frames, codes);
    for (int i = 0; i < 3; i++)
        synth_frame_set_local(&r->p, frames[i], 0, 0x7f0000100000ull + (uint64_t)i * 0x40);

    sample_ids(r, leaf, a);
    sample_ids(r, leaf, b);
    if (r->failed)
        return;
    CHECK(r, memcmp(a, b, sizeof a) == 0, "the same frames sampled twice gave different call ids");
    CHECK(r, a[0] != a[1] && a[1] != a[2], "frames of one stack share a call id");

    /* The caller moved on to another instruction: a new call of the leaf. */
    synth_frame_set_instr(&r->p, frames[1], codes[1], call_specs[1].instr + 8);
    sample_ids(r, leaf, b);
    if (r->failed)
        return;
    CHECK(r, b[0] != a[0], "the caller's instruction changed, but the leaf kept its call id");
    CHECK(r, b[1] == a[1] && b[2] == a[2], "the caller's own instruction changed its (or its caller's) call id");
    synth_frame_set_instr(&r->p, frames[1], codes[1], call_specs[1].instr);

    /* The caller rebound a local: a new call of the leaf. First and last fast local. */
    for (int local = 0; local < call_specs[1].nlocals; local += call_specs[1].nlocals - 1) {
        synth_frame_set_local(&r->p, frames[1], local, 0x7f0000200000ull);
        sample_ids(r, leaf, b);
        if (r->failed)
            return;
        CHECK(r, b[0] != a[0], "the caller's local %d (of %d) changed, but the leaf kept its call id", local,
              call_specs[1].nlocals);
        CHECK(r, b[1] == a[1], "the caller's own local changed its call id");
        synth_frame_set_local(&r->p, frames[1], local, local == 0 ? 0x7f0000100040ull : 0);
    }
    sample_ids(r, leaf, b);
    if (r->failed)
        return;
    CHECK(r, memcmp(a, b, sizeof a) == 0, "restoring the caller did not restore the call ids");

    /* The leaf itself running on (another instruction, another local): the same call. */
    synth_frame_set_instr(&r->p, frames[0], codes[0], call_specs[0].instr + 20);
    synth_frame_set_local(&r->p, frames[0], 1, 12345);
    sample_ids(r, leaf, b);
    if (r->failed)
        return;
    CHECK(r, memcmp(a, b, sizeof a) == 0, "the leaf's own instruction or locals changed a call id");

    /* A fresh cache (the code read again) does not change ids either. */
    py_code_cache_free(r->codes);
    r->codes = py_code_cache_new();
    r->w.codes = r->codes;
    sample_ids(r, leaf, b);
    if (r->failed)
        return;
    CHECK(r, memcmp(a, b, sizeof a) == 0, "call ids depend on the code cache");
}

static void test_call_ids(void **state)
{
    (void)state;
    for_each_version(scenario_call_ids, "call ids");
}

/* ---- 3.14+: f_executable is a tagged _PyStackRef ---- */

static void scenario_tagged_executables(struct run *r)
{
    if (!is_tagged(r)) {
        r->skipped = 1;
        return;
    }
    uint64_t frames[5], codes[5];
    uint64_t leaf = make_chain(r, chain5, 5, frames, codes);
    /* The builder tags some frames' code and leaves the rest bare, as CPython does. */
    int tagged = 0, bare = 0;
    for (size_t i = 0; i < 5; i++) {
        uint64_t raw = synth_frame_executable(&r->p, frames[i]);
        CHECK(r, (raw & ~PY_STACKREF_TAG_BITS) == codes[i], "frame %zu holds 0x%llx for code 0x%llx", i,
              (unsigned long long)raw, (unsigned long long)codes[i]);
        tagged += (raw & PY_STACKREF_TAG_BITS) == 1;
        bare += (raw & PY_STACKREF_TAG_BITS) == 0;
    }
    CHECK(r, tagged > 0 && bare > 0, "%d tagged and %d bare executables: no mix", tagged, bare);
    uint64_t t = synth_thread(&r->p, r->p.interps[0], 1414, leaf);

    /* As built, then every frame tagged, then none. */
    for (int variant = 0; variant < 3; variant++) {
        if (variant > 0)
            for (size_t i = 0; i < 5; i++)
                synth_frame_set_executable(&r->p, frames[i], codes[i] | (variant == 1 ? 1 : 0));
        CHECK_STATUS(r, walk(r, leaf), PA_OK, "py_walk_stack");
        CHECK(r, r->stack->depth == 5 && !r->stack->incomplete, "variant %d: depth %zu incomplete %d", variant,
              r->stack->depth, r->stack->incomplete);
        check_frames(r, chain5, 5, frames, 0);
        if (r->failed)
            return;
        for (size_t i = 0; i < 5; i++)
            CHECK(r, r->stack->frames[i].code->addr == codes[i], "variant %d: frame %zu cached at 0x%llx", variant,
                  i, (unsigned long long)r->stack->frames[i].code->addr);
        /* A tagged and a bare reference to one code object are one cache entry. */
        CHECK(r, py_code_cache_size(r->codes) == 5, "variant %d: %zu cached codes, expected 5", variant,
              py_code_cache_size(r->codes));
        CHECK_STATUS(r, list(r), PA_OK, "py_list_threads");
        CHECK(r, r->nthreads == 1 && r->threads[0].tstate_addr == t, "the thread is not listed");
        CHECK_STATUS(r, walk_thread(r, &r->threads[0]), PA_OK, "py_walk_thread");
        CHECK(r, r->stack->depth == 5 && !r->stack->incomplete, "variant %d: thread depth %zu incomplete %d",
              variant, r->stack->depth, r->stack->incomplete);
        check_frames(r, chain5, 5, frames, 0);
        if (r->failed)
            return;
    }
}

static void test_tagged_executables(void **state)
{
    (void)state;
    for_each_version(scenario_tagged_executables, "tagged f_executable (3.14+)");
}

/* ---- frames holding no code: NULL while pushed or cleared, None in entry frames ---- */

/* A frame owned by the thread (not an entry frame) whose executable is `bits`,
 * between frame `inner` and its caller. */
static uint64_t insert_frame(struct run *r, uint64_t inner, uint64_t bits)
{
    uint64_t frame = synth_frame(&r->p, 0, 0, previous_of(r, inner));
    synth_frame_set_executable(&r->p, frame, bits);
    synth_frame_set_previous(&r->p, inner, frame);
    return frame;
}

static void scenario_no_code(struct run *r)
{
    if (!is_tagged(r)) {
        r->skipped = 1;
        return;
    }
    uint64_t none = r->p.runtime.none_addr;
    CHECK(r, none != 0, "the builder set no _Py_NoneStruct");
    uint64_t frames[5];
    make_chain(r, chain5, 5, frames, NULL);
    /* PyStackRef_NULL (the tag alone), None tagged as CPython keeps it, a bare None, a
     * bare NULL and all tag bits without a pointer: none of them is a call. */
    insert_frame(r, frames[0], 1);
    insert_frame(r, frames[1], none | 1);
    insert_frame(r, frames[2], none);
    insert_frame(r, frames[3], 0);
    insert_frame(r, frames[3], PY_STACKREF_TAG_BITS);
    /* A frame being pushed on top of the leaf holds NULL too. */
    uint64_t top = synth_frame(&r->p, 0, 0, frames[0]);
    synth_frame_set_executable(&r->p, top, 1);

    CHECK_STATUS(r, walk(r, top), PA_OK, "walking frames without code");
    CHECK(r, r->stack->depth == 5 && !r->stack->incomplete, "depth %zu incomplete %d, expected 5 complete",
          r->stack->depth, r->stack->incomplete);
    check_frames(r, chain5, 5, frames, 0);
    if (r->failed)
        return;
    CHECK(r, py_code_cache_size(r->codes) == 5, "%zu codes cached: None or NULL was looked up",
          py_code_cache_size(r->codes));

    synth_thread(&r->p, r->p.interps[0], 1515, top);
    CHECK_STATUS(r, list(r), PA_OK, "py_list_threads");
    CHECK_STATUS(r, walk_thread(r, &r->threads[0]), PA_OK, "py_walk_thread");
    CHECK(r, r->stack->depth == 5 && !r->stack->incomplete, "thread: depth %zu incomplete %d", r->stack->depth,
          r->stack->incomplete);
    check_frames(r, chain5, 5, frames, 0);
}

static void test_frames_without_code(void **state)
{
    (void)state;
    for_each_version(scenario_no_code, "NULL and None executables (3.14+)");
}

/* ---- 3.12+: every owner from FRAME_OWNED_BY_INTERPRETER up is no Python frame ---- */

static void scenario_owners(struct run *r)
{
    if (!is_3_12_plus(r)) {
        r->skipped = 1;
        return;
    }
    /* Non-Python frames with a real, named code: only their owner tells them apart. */
    struct frame_spec shim_spec = {"<shim>", "<shim>", "<shim>", 1, 0, 1, 0, 0};
    uint64_t shim_code = make_code(r, &shim_spec);
    uint64_t frames[2];
    make_chain(r, main_specs, 2, frames, NULL);
    /* 3.14's FRAME_OWNED_BY_CSTACK (4) below the leaf, FRAME_OWNED_BY_INTERPRETER (3;
     * CSTACK in 3.12, 3.13) and a wild owner below <module>. */
    uint64_t cstack = insert_frame(r, frames[0], 0);
    synth_frame_set_code(&r->p, cstack, shim_code);
    synth_frame_set_owner(&r->p, cstack, 4);
    uint64_t interp = insert_frame(r, frames[1], 0);
    synth_frame_set_code(&r->p, interp, shim_code);
    synth_frame_set_owner(&r->p, interp, PY_FRAME_OWNED_BY_INTERPRETER);
    uint64_t wild = insert_frame(r, interp, 0);
    synth_frame_set_code(&r->p, wild, shim_code);
    synth_frame_set_owner(&r->p, wild, 0xff);
    /* Generators' (1) and frame objects' (2) frames are Python frames. */
    synth_frame_set_owner(&r->p, frames[0], 1);
    synth_frame_set_owner(&r->p, frames[1], 2);

    CHECK_STATUS(r, walk(r, frames[0]), PA_OK, "walk");
    CHECK(r, r->stack->depth == 2 && !r->stack->incomplete, "depth %zu incomplete %d, expected 2 complete",
          r->stack->depth, r->stack->incomplete);
    check_frames(r, main_specs, 2, frames, 0);
    if (r->failed)
        return;
    CHECK(r, r->stack->frames[0].is_entry && r->stack->frames[1].is_entry,
          "frames on an owner-4 / owner-3 frame not marked as entries (%d, %d)", r->stack->frames[0].is_entry,
          r->stack->frames[1].is_entry);

    /* Owner 4 alone: a lone non-Python frame is an empty stack. */
    synth_frame_set_previous(&r->p, cstack, 0);
    CHECK_STATUS(r, walk(r, cstack), PA_OK, "walking a lone owner-4 frame");
    CHECK(r, r->stack->depth == 0 && !r->stack->incomplete, "a lone owner-4 frame gave depth %zu",
          r->stack->depth);
}

static void test_frame_owners(void **state)
{
    (void)state;
    for_each_version(scenario_owners, "frame owners 3 and 4 (3.12+)");
}

/* ---- 3.15: a thread's walk ends at its base frame ---- */

/* The walk of the listed thread `tstate` fails, no frames: PA_E_CORRUPT when the chain
 * ends elsewhere than at the base frame, the failed read's own status when a read fails. */
static void expect_torn(struct run *r, uint64_t tstate, const char *what)
{
    CHECK_STATUS(r, list(r), PA_OK, what);
    const struct py_thread *t = find_thread(r, tstate);
    CHECK(r, t != NULL, "%s: thread not listed", what);
    enum pa_status st = walk_thread(r, t);
    CHECK(r, (st == PA_E_CORRUPT || st == PA_E_READ) && r->stack->depth == 0,
          "%s: py_walk_thread gave status %d, depth %zu, expected PA_E_CORRUPT or PA_E_READ and no frames (%s)",
          what, (int)st, r->stack->depth, r->err.message);
}

static void expect_whole(struct run *r, uint64_t tstate, const uint64_t *frames, const char *what)
{
    CHECK_STATUS(r, list(r), PA_OK, what);
    const struct py_thread *t = find_thread(r, tstate);
    CHECK(r, t != NULL, "%s: thread not listed", what);
    CHECK_STATUS(r, walk_thread(r, t), PA_OK, what);
    CHECK(r, r->stack->depth == 5 && !r->stack->incomplete, "%s: depth %zu incomplete %d", what, r->stack->depth,
          r->stack->incomplete);
    check_frames(r, chain5, 5, frames, 0);
}

static void scenario_base_frame(struct run *r)
{
    if (!has_base_frame(r)) {
        r->skipped = 1;
        return;
    }
    uint64_t frames[5];
    uint64_t leaf = make_chain(r, chain5, 5, frames, NULL);
    uint64_t t = synth_thread(&r->p, r->p.interps[0], 1616, leaf);
    uint64_t base = synth_thread_base_frame(&r->p, t);
    /* The chain as CPython 3.15 has it: leaf ... <module> -> entry frame -> base frame. */
    uint64_t entry = previous_of(r, frames[4]);
    CHECK(r, base != 0 && entry != 0 && entry != base && previous_of(r, entry) == base && previous_of(r, base) == 0,
          "the builder did not end the chain at the base frame");
    CHECK_STATUS(r, list(r), PA_OK, "py_list_threads");
    CHECK(r, r->threads[0].base_frame_addr == base, "base frame 0x%llx listed, expected 0x%llx",
          (unsigned long long)r->threads[0].base_frame_addr, (unsigned long long)base);
    expect_whole(r, t, frames, "the whole chain");
    if (r->failed)
        return;
    CHECK(r, r->stack->frames[4].is_entry, "<module> above the entry frame is not an entry");

    /* Torn: the chain ends early (previous NULL mid-stack). A walk without the base
     * cannot tell, a thread walk can. */
    synth_frame_set_previous(&r->p, frames[2], 0);
    expect_torn(r, t, "previous NULL mid-stack");
    CHECK_STATUS(r, walk(r, leaf), PA_OK, "py_walk_stack, previous NULL mid-stack");
    CHECK(r, r->stack->depth == 3, "py_walk_stack, previous NULL mid-stack: depth %zu", r->stack->depth);
    /* ...into unmapped memory: py_walk_stack gives the frames before, incomplete. */
    synth_frame_set_previous(&r->p, frames[2], 0xdead00000000ull);
    expect_torn(r, t, "previous unmapped mid-stack");
    CHECK_STATUS(r, walk(r, leaf), PA_OK, "py_walk_stack, previous unmapped");
    CHECK(r, r->stack->depth == 3 && r->stack->incomplete, "py_walk_stack, previous unmapped: depth %zu incomplete %d",
          r->stack->depth, r->stack->incomplete);
    /* ...into a chain of no thread, and into another thread's chain (its own base). */
    uint64_t stray = make_chain(r, main_specs, 2, NULL, NULL);
    synth_frame_set_previous(&r->p, frames[2], stray);
    expect_torn(r, t, "previous into a chain ending at NULL");
    uint64_t other_leaf = make_chain(r, worker_specs, 2, NULL, NULL);
    uint64_t other = synth_thread(&r->p, r->p.interps[0], 1617, other_leaf);
    synth_frame_set_previous(&r->p, frames[2], other_leaf);
    expect_torn(r, t, "previous into another thread's chain");
    /* ...and back into itself. */
    synth_frame_set_previous(&r->p, frames[2], frames[0]);
    expect_torn(r, t, "previous loops back to the leaf");
    synth_frame_set_previous(&r->p, frames[2], frames[3]);
    expect_whole(r, t, frames, "the chain repaired");
    if (r->failed)
        return;
    /* The other thread's own walk ends at its own base. */
    CHECK_STATUS(r, list(r), PA_OK, "py_list_threads");
    CHECK_STATUS(r, walk_thread(r, find_thread(r, other)), PA_OK, "the other thread");
    CHECK(r, r->stack->depth == 2 && !r->stack->incomplete, "the other thread: depth %zu", r->stack->depth);
    check_frames(r, worker_specs, 2, NULL, 0);
    if (r->failed)
        return;

    /* The innermost frame unmapped: no stack. */
    synth_thread_set_frame(&r->p, t, 0xdead00000000ull);
    CHECK_STATUS(r, list(r), PA_OK, "py_list_threads");
    CHECK(r, walk_thread(r, find_thread(r, t)) != PA_OK && r->stack->depth == 0,
          "an unmapped innermost frame gave depth %zu", r->stack->depth);

    /* current_frame is the base frame itself (no Python code running): an empty stack. */
    synth_thread_set_frame(&r->p, t, base);
    CHECK_STATUS(r, list(r), PA_OK, "py_list_threads");
    CHECK(r, find_thread(r, t)->frame_addr == base, "current_frame is not the base frame");
    CHECK_STATUS(r, walk_thread(r, find_thread(r, t)), PA_OK, "walking the base frame alone");
    CHECK(r, r->stack->depth == 0 && !r->stack->incomplete, "the base frame alone: depth %zu incomplete %d",
          r->stack->depth, r->stack->incomplete);
    synth_thread_set_frame(&r->p, t, 0);
    CHECK_STATUS(r, list(r), PA_OK, "py_list_threads");
    CHECK_STATUS(r, walk_thread(r, find_thread(r, t)), PA_OK, "walking no frame");
    CHECK(r, r->stack->depth == 0 && !r->stack->incomplete, "no frame: depth %zu", r->stack->depth);

    /* The thread re-read after it was stopped keeps its base frame. */
    synth_thread_set_frame(&r->p, t, leaf);
    CHECK_STATUS(r, list(r), PA_OK, "py_list_threads");
    struct py_thread reread = *find_thread(r, t);
    reread.base_frame_addr = 0;
    CHECK_STATUS(r, py_thread_reread_frame(&r->w, &reread, &r->err), PA_OK, "py_thread_reread_frame");
    CHECK(r, reread.frame_addr == leaf && reread.base_frame_addr == base, "re-read: frame 0x%llx base 0x%llx",
          (unsigned long long)reread.frame_addr, (unsigned long long)reread.base_frame_addr);
}

static void test_base_frame(void **state)
{
    (void)state;
    for_each_version(scenario_base_frame, "base frame (3.15)");
}

/* Deeper than the cap: cut and incomplete, not refused for missing the base frame. */
static void scenario_base_frame_depth_cap(struct run *r)
{
    if (!has_base_frame(r)) {
        r->skipped = 1;
        return;
    }
    uint64_t code = make_code(r, &loop_spec);
    uint64_t previous = 0;
    for (size_t i = 0; i < PY_DEFAULT_MAX_DEPTH + 10; i++)
        previous = synth_frame(&r->p, code, loop_spec.instr, previous);
    synth_thread(&r->p, r->p.interps[0], 1818, previous);
    CHECK_STATUS(r, list(r), PA_OK, "py_list_threads");
    CHECK_STATUS(r, walk_thread(r, &r->threads[0]), PA_OK, "walking a chain deeper than the cap");
    CHECK(r, r->stack->depth == PY_DEFAULT_MAX_DEPTH && r->stack->incomplete && r->stack->truncated,
          "depth %zu incomplete %d truncated %d, expected %d, 1, 1", r->stack->depth, r->stack->incomplete,
          r->stack->truncated, PY_DEFAULT_MAX_DEPTH);
    CHECK(r, r->stack->frames[0].frame_addr == previous, "the innermost frame is not first");
}

static void test_base_frame_depth_cap(void **state)
{
    (void)state;
    for_each_version(scenario_base_frame_depth_cap, "base frame and the depth cap (3.15)");
}

/* Torn reads: a thread walk gives the whole stack or none of it. */
static void scenario_base_frame_torn_reads(struct run *r)
{
    if (!has_base_frame(r)) {
        r->skipped = 1;
        return;
    }
    uint64_t frames[5];
    uint64_t leaf = make_chain(r, chain5, 5, frames, NULL);
    synth_thread(&r->p, r->p.interps[0], 1919, leaf);
    CHECK_STATUS(r, list(r), PA_OK, "py_list_threads");
    struct py_thread thread = r->threads[0];

    uint64_t total = 0;
    int saw_error = 0;
    for (uint64_t n = 0; n <= total + 1; n++) {
        struct py_code_cache *cold = py_code_cache_new();
        CHECK(r, cold != NULL, "out of memory");
        r->w.codes = cold;
        uint64_t before = r->p.reader.reads;
        r->p.memory.reads_left = n; /* 0: a clean walk, which counts the reads */
        enum pa_status st = walk_thread(r, &thread);
        r->p.memory.reads_left = 0;
        if (n == 0)
            total = r->p.reader.reads - before;
        if (st == PA_OK && r->stack->depth == 5 && !r->stack->incomplete)
            check_frames(r, chain5, 5, frames, 0);
        py_code_cache_free(cold);
        r->w.codes = r->codes;
        if (r->failed)
            return;
        if (st == PA_OK) {
            CHECK(r, r->stack->depth == 5 && !r->stack->incomplete,
                  "torn read %llu: depth %zu incomplete %d, expected all or nothing", (unsigned long long)n,
                  r->stack->depth, r->stack->incomplete);
        } else {
            CHECK(r, (st == PA_E_CORRUPT || st == PA_E_READ) && r->stack->depth == 0,
                  "torn read %llu: status %d depth %zu (%s)",
                  (unsigned long long)n, (int)st, r->stack->depth, r->err.message);
            saw_error = 1;
        }
    }
    CHECK(r, saw_error, "no torn read failed the walk (reads per walk: %llu)", (unsigned long long)total);
}

static void test_base_frame_torn_reads(void **state)
{
    (void)state;
    for_each_version(scenario_base_frame_torn_reads, "base frame and torn reads (3.15)");
}

/* ---- 3.14+: a freed code object shows up in the interpreters' generation ---- */

/* The bytes of a new code object `spec` copied over the code object at addr, as if
 * it was freed and another one built in its place. */
static void replace_code(struct run *r, uint64_t addr, const struct frame_spec *spec)
{
    uint64_t replacement = make_code(r, spec);
    uint8_t bytes[PY_CODE_READ_MAX];
    size_t size = py_layout_code_read_size(&r->p.runtime.layout);
    CHECK(r, pa_read(&r->p.reader, replacement, bytes, size, NULL) == PA_OK, "reading the replacement");
    fake_memory_put(&r->p.memory, addr, bytes, size);
}

/* Lists the threads, walks the first and checks frame `index`'s name. */
static void expect_name(struct run *r, size_t index, const char *name, const char *what)
{
    CHECK_STATUS(r, list(r), PA_OK, what);
    CHECK_STATUS(r, walk_thread(r, &r->threads[r->nthreads - 1]), PA_OK, what);
    CHECK(r, r->stack->depth == 5, "%s: depth %zu", what, r->stack->depth);
    CHECK(r, strcmp(r->stack->frames[index].code->name, name) == 0, "%s: frame %zu named %s, expected %s", what,
          index, r->stack->frames[index].code->name, name);
}

static void scenario_code_generation(struct run *r)
{
    int has_generation = r->p.runtime.layout.interpreter_state.code_object_generation >= 0;
    CHECK(r, has_generation == (r->p.runtime.layout.version_hex >= 0x030e0000),
          "interpreter_state.code_object_generation is %d", r->p.runtime.layout.interpreter_state.code_object_generation);
    uint64_t frames[5], codes[5];
    uint64_t leaf = make_chain(r, chain5, 5, frames, codes);
    synth_thread(&r->p, r->p.interps[0], 2020, leaf);
    expect_name(r, 2, chain5[2].name, "first walk");
    if (r->failed)
        return;

    static const struct frame_spec other = {"/srv/other.py", "other", "Other.other", 77, 0, 77, 0, 1};
    replace_code(r, codes[2], &other);
    if (r->failed)
        return;
    /* Within the epoch, with the generation unchanged, the old names stand. */
    expect_name(r, 2, chain5[2].name, "replaced, generation unchanged");
    if (r->failed)
        return;
    /* The generation moves: 3.14+ starts a new epoch at the next listing. Before,
     * only the epoch (100 ms) does. */
    synth_set_code_generation(&r->p, r->p.interps[0], 1);
    expect_name(r, 2, has_generation ? "other" : chain5[2].name, "generation advanced");
    if (r->failed)
        return;
    if (!has_generation) {
        py_code_cache_new_epoch(r->codes, &r->p.runtime, &r->p.reader);
        expect_name(r, 2, "other", "a new epoch");
        if (r->failed)
            return;
    }

    /* A second interpreter's generation counts as much: the listing sums them. */
    uint64_t sub = synth_interpreter(&r->p);
    static const struct frame_spec third = {"/srv/third.py", "third", "Third.third", 5, 0, 5, 0, 2};
    replace_code(r, codes[1], &third);
    if (r->failed)
        return;
    expect_name(r, 1, chain5[1].name, "replaced again, generations unchanged");
    if (r->failed)
        return;
    synth_set_code_generation(&r->p, sub, 1);
    expect_name(r, 1, has_generation ? "third" : chain5[1].name, "the second interpreter's generation advanced");
    if (r->failed)
        return;
    /* Listing again with the same generations starts no epoch: frame 3 replaced now
     * keeps its name. */
    static const struct frame_spec fourth = {"/srv/fourth.py", "fourth", "Fourth.fourth", 9, 0, 9, 0, 0};
    replace_code(r, codes[3], &fourth);
    if (r->failed)
        return;
    expect_name(r, 3, chain5[3].name, "generations as before");
}

static void test_code_generation(void **state)
{
    (void)state;
    for_each_version(scenario_code_generation, "code object generation (3.14+)");
}

/* ---- the builder itself: what it lays out is what the layouts say ---- */

static void scenario_debug_offsets_in_runtime(struct run *r)
{
    const struct py_layout *l = &r->p.runtime.layout;
    CHECK(r, r->p.runtime.none_addr != 0, "no _Py_NoneStruct");
    uint8_t image[SYNTH_DEBUG_OFFSETS_MAX_SIZE], expected[SYNTH_DEBUG_OFFSETS_MAX_SIZE];
    size_t size = synth_debug_offsets(r->p.runtime.minor, expected, sizeof expected);
    if (size == 0) {
        CHECK(r, l->version_hex < 0x030d0000, "3.13+ without a _Py_DebugOffsets image");
        r->skipped = 1;
        return;
    }
    CHECK(r, pa_read(&r->p.reader, r->p.runtime.runtime_addr, image, size, NULL) == PA_OK, "_PyRuntime unreadable");
    CHECK(r, memcmp(image, expected, size) == 0, "_PyRuntime does not start with _Py_DebugOffsets");
    /* A few values each image gives: 3.13.0's (pyenv), 3.14.8's and 3.15.0's (Debian). */
    static const struct {
        uint32_t version_hex;
        int32_t owner, executable, previous, current_frame, generation, base_frame;
        enum py_ref_model refs;
    } want[] = {
        {0x030d00f0, 70, 0, 8, 72, PY_NO_FIELD, PY_NO_FIELD, PY_REFS_POINTERS},
        {0x030e08f0, 74, 0, 8, 72, 7992, PY_NO_FIELD, PY_REFS_TAGGED},
        {0x030f00f0, 74, 0, 8, 72, 7944, 80, PY_REFS_TAGGED},
    };
    size_t i = (size_t)r->p.runtime.minor - 13;
    CHECK(r, i < sizeof want / sizeof want[0] && l->version_hex == want[i].version_hex, "version 0x%08x",
          (unsigned)l->version_hex);
    CHECK(r, l->interpreter_frame.owner == want[i].owner && l->interpreter_frame.executable == want[i].executable &&
                 l->interpreter_frame.previous == want[i].previous &&
                 l->thread_state.current_frame == want[i].current_frame &&
                 l->interpreter_state.code_object_generation == want[i].generation &&
                 l->thread_state.base_frame == want[i].base_frame && l->ref_model == want[i].refs,
          "3.%d's debug offsets parsed wrong", r->p.runtime.minor);
}

static void test_debug_offsets_in_runtime(void **state)
{
    (void)state;
    for_each_version(scenario_debug_offsets_in_runtime, "_Py_DebugOffsets in _PyRuntime (3.13+)");
}

/* ---- 3.13+: layouts read from a hostile _Py_DebugOffsets ---- */

/* Up to two fields of the version's image set to hostile values (ITS_SIZE: the size the
 * image gives the field's struct); a case applies to the versions whose image has its
 * fields. `refused`: the reader must say PA_E_CORRUPT (an offset beyond the struct size
 * the image itself states); otherwise it may refuse the layout or accept it, and then
 * the walker must get the process it describes right. */
#define ITS_SIZE UINT64_MAX

struct hostile_case {
    const char *what;
    const char *field[2];
    uint64_t value[2];
    int refused;
};

static const struct hostile_case hostile_cases[] = {
    {"the real offsets (control)", {NULL, NULL}, {0, 0}, 0},
    {"interpreter_frame.previous past the frame head", {"interpreter_frame.size", "interpreter_frame.previous"},
     {5000, 4000}, 0},
    {"interpreter_frame.executable past the frame head", {"interpreter_frame.size", "interpreter_frame.executable"},
     {5000, 2048}, 0},
    {"interpreter_frame.owner past the frame head", {"interpreter_frame.size", "interpreter_frame.owner"},
     {5000, 3000}, 0},
    {"interpreter_frame.owner past interpreter_frame.size", {"interpreter_frame.owner", NULL}, {4096, 0}, 1},
    {"code_object.filename far into a big code object", {"code_object.size", "code_object.filename"},
     {60000, 50000}, 0},
    {"code_object.firstlineno far into a big code object", {"code_object.size", "code_object.firstlineno"},
     {60000, 40000}, 0},
    {"thread_state.native_thread_id far into a big thread state",
     {"thread_state.size", "thread_state.native_thread_id"}, {30000, 20000}, 0},
    {"thread_state.current_frame far into a big thread state", {"thread_state.size", "thread_state.current_frame"},
     {30000, 20000}, 0},
    /* 3.14+ */
    {"interpreter_state.code_object_generation far into the interpreter",
     {"interpreter_state.code_object_generation", NULL}, {60000, 0}, 0},
    {"interpreter_state.code_object_generation beyond the first 64 KiB",
     {"interpreter_state.code_object_generation", NULL}, {200000, 0}, 0},
    {"interpreter_state.code_object_generation past interpreter_state.size",
     {"interpreter_state.size", "interpreter_state.code_object_generation"}, {8000, 8000}, 1},
    /* 3.15 */
    {"thread_state.base_frame at the end of a 1 KiB thread state", {"thread_state.size", "thread_state.base_frame"},
     {1024, 1016}, 0},
    {"thread_state.base_frame far into a big thread state", {"thread_state.size", "thread_state.base_frame"},
     {30000, 20000}, 0},
    {"thread_state.base_frame at thread_state.size", {"thread_state.base_frame", NULL}, {ITS_SIZE, 0}, 1},
    {"thread_state.base_frame past thread_state.size", {"thread_state.size", "thread_state.base_frame"},
     {888, 4096}, 1},
    {"thread_state.base_frame at 2^40", {"thread_state.base_frame", NULL}, {UINT64_C(1) << 40, 0}, 1},
};

/* Where the image of 3.minor keeps `field`, or 0 if it has no such field. */
static size_t image_position(int minor, const char *field)
{
    size_t count;
    const struct py_debug_offsets_layout *layouts = py_debug_offsets_layouts(&count);
    for (size_t i = 0; i < count; i++)
        if (layouts[i].minor == minor)
            for (size_t j = 0; j < layouts[i].count; j++)
                if (strcmp(layouts[i].fields[j].name, field) == 0)
                    return layouts[i].fields[j].position;
    return 0;
}

/* In a child, so that an out-of-bounds read (a crash or sanitizer report) fails this
 * case only: a process laid out by the accepted layout, listed and walked. Exit 0:
 * right or refused; 3-7: wrong thread / stack / frames / read / thread walk; else the
 * crash status. */
static int walk_in_child(struct run *r, const struct py_layout *hostile)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* cmocka's handlers would resume the test runner in the child: die instead. */
        const int fatal[] = {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE};
        for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
            signal(fatal[i], SIG_DFL);
        struct synth_process *p = &r->p;
        p->runtime.layout = *hostile;
        uint64_t frames[5];
        uint64_t leaf = make_chain(r, chain5, 5, frames, NULL);
        synth_thread(p, p->interps[0], 4242, leaf);
        /* The layout is self-consistent, so the walker must get it right or refuse it;
         * a wrong answer means it read bytes it never fetched. */
        enum pa_status listed = list(r);
        if (listed == PA_OK && (r->nthreads != 1 || r->threads[0].frame_addr != leaf || r->threads[0].tid != 4242))
            _exit(3);
        enum pa_status st = walk(r, leaf);
        if (st == PA_OK) {
            if (r->stack->depth != 5 || r->stack->incomplete)
                _exit(4);
            check_frames(r, chain5, 5, frames, 0);
            if (r->failed)
                _exit(5);
        }
        /* 3.15: the thread's walk ends at its base frame. */
        if (listed == PA_OK && st == PA_OK &&
            (walk_thread(r, &r->threads[0]) != PA_OK || r->stack->depth != 5 || r->stack->incomplete))
            _exit(7);
        /* Everything is mapped: a read error means an address came from garbage. */
        _exit(st == PA_E_READ ? 6 : 0);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return status;
}

static void scenario_hostile_debug_offsets(struct run *r)
{
    int minor = r->p.runtime.minor;
    uint8_t real[PY_DEBUG_OFFSETS_READ_SIZE] = {0};
    size_t size = synth_debug_offsets(minor, real, sizeof real);
    if (size == 0) {
        r->skipped = 1;
        return;
    }
    char bad[2048] = "";
    size_t used = 0, applied = 0;
    for (size_t c = 0; c < sizeof hostile_cases / sizeof hostile_cases[0]; c++) {
        const struct hostile_case *h = &hostile_cases[c];
        uint8_t image[PY_DEBUG_OFFSETS_READ_SIZE];
        memcpy(image, real, sizeof image);
        int applies = 1;
        for (int k = 0; k < 2 && h->field[k] != NULL; k++) {
            size_t at = image_position(minor, h->field[k]);
            applies &= at != 0;
            if (at == 0)
                break;
            if (h->value[k] == ITS_SIZE) {
                char size_field[64];
                snprintf(size_field, sizeof size_field, "%.*s.size", (int)strcspn(h->field[k], "."), h->field[k]);
                memcpy(image + at, image + image_position(minor, size_field), 8);
            } else {
                memcpy(image + at, &h->value[k], 8);
            }
        }
        if (!applies)
            continue;
        applied++;
        struct py_layout hostile;
        pa_error_clear(&r->err);
        enum pa_status st = py_layout_from_debug_offsets(image, sizeof image, &hostile, &r->err);
        if (h->refused) {
            if (st != PA_E_CORRUPT && used < sizeof bad)
                used += (size_t)snprintf(bad + used, sizeof bad - used, "\n      %s: not refused (status %d)",
                                         h->what, (int)st);
            continue;
        }
        if (h->field[0] == NULL && st != PA_OK && used < sizeof bad)
            used += (size_t)snprintf(bad + used, sizeof bad - used, "\n      %s: refused (%s)", h->what,
                                     r->err.message);
        if (st != PA_OK)
            continue; /* refused: the walker never sees it */
        int status = walk_in_child(r, &hostile);
        if (status != 0 && used < sizeof bad)
            used += (size_t)snprintf(bad + used, sizeof bad - used, "\n      %s (child status 0x%x)", h->what,
                                     (unsigned)status);
    }
    CHECK(r, applied >= 9, "only %zu hostile cases apply to 3.%d", applied, minor);
    CHECK(r, used == 0,
          "py_layout_from_debug_offsets refused a real image, accepted one beyond its own sizes, or accepted "
          "layouts that make the walker read outside what it fetched (child status 0x100: sanitizer report "
          "above, 0x300-0x700: wrong thread / depth / frames / a read of a garbage address / thread walk, "
          "0xb: SIGSEGV):%s", bad);
}

static void test_hostile_debug_offsets(void **state)
{
    (void)state;
    for_each_version(scenario_hostile_debug_offsets, "hostile _Py_DebugOffsets");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_debug_offsets_in_runtime),
        cmocka_unit_test(test_five_deep_chain),
        cmocka_unit_test(test_threads_and_gil),
        cmocka_unit_test(test_cstack_frames_skipped),
        cmocka_unit_test(test_cframe_indirection),
        cmocka_unit_test(test_cycles_terminate),
        cmocka_unit_test(test_depth_cap),
        cmocka_unit_test(test_torn_reads),
        cmocka_unit_test(test_code_epochs),
        cmocka_unit_test(test_corrupt_code_pointer),
        cmocka_unit_test(test_corrupt_strings),
        cmocka_unit_test(test_corrupt_instruction),
        cmocka_unit_test(test_list_cycles),
        cmocka_unit_test(test_call_ids),
        cmocka_unit_test(test_entry_frames),
        cmocka_unit_test(test_tagged_executables),
        cmocka_unit_test(test_frames_without_code),
        cmocka_unit_test(test_frame_owners),
        cmocka_unit_test(test_base_frame),
        cmocka_unit_test(test_base_frame_depth_cap),
        cmocka_unit_test(test_base_frame_torn_reads),
        cmocka_unit_test(test_code_generation),
        cmocka_unit_test(test_hostile_debug_offsets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
