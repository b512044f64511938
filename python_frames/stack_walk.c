/* Walking one thread's frames, innermost first, and naming each call.
 *
 * Telling calls apart (cProfile's ncalls, from samples): frames carry no call
 * counter, and a new call of the same function often reuses the same frame memory
 * (3.11+ data-stack slots; <= 3.10 "zombie" frames cached on the code object). But
 * while a frame waits on a callee, its instruction and its fast locals cannot
 * change. So a call is identified by its own frame and code plus, for every frame
 * further out, (frame, code, instruction, locals). A new call of f is seen whenever
 * its caller advanced or rebound a local in between; a caller that calls f again
 * from the same instruction with identical locals (`while True: f()`) is seen as
 * one long call. The README states this limit. */
#include "python_frames/stack_walk.h"

#include <stdlib.h>
#include <string.h>

#define LOCALS_HASHED 8 /* fast locals looked at per frame */

static uint64_t field_u64(const uint8_t *buf, int32_t offset)
{
    uint64_t value = 0;
    if (offset >= 0)
        memcpy(&value, buf + offset, sizeof value);
    return value;
}

static uint64_t mix(uint64_t h, uint64_t value)
{
    h ^= value + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

/* Byte offset of the frame's current instruction into its bytecode. */
static int32_t instruction_offset(const struct py_layout *l, const uint8_t *frame, uint64_t code)
{
    switch (l->instr_model) {
    case PY_INSTR_LASTI_BYTES: {
        int32_t lasti;
        memcpy(&lasti, frame + l->interpreter_frame.instr, sizeof lasti);
        return lasti;
    }
    case PY_INSTR_LASTI_UNITS: {
        int32_t lasti;
        memcpy(&lasti, frame + l->interpreter_frame.instr, sizeof lasti);
        return lasti < 0 ? lasti : lasti > (1 << 28) ? -1 : lasti * 2; /* a wild f_lasti must not overflow */
    }
    case PY_INSTR_PREV_INSTR_PTR:
    case PY_INSTR_INSTR_PTR: {
        uint64_t instr = field_u64(frame, l->interpreter_frame.instr);
        uint64_t start = code + (uint64_t)l->code_object.code_adaptive;
        int64_t delta = (int64_t)(instr - start);
        return delta < -2 || delta > (1 << 28) ? -1 : (int32_t)delta;
    }
    }
    return -1;
}

static uint64_t hash_locals(const uint8_t *frame, size_t have, const struct py_layout *l, int nlocals)
{
    uint64_t h = 0;
    size_t n = nlocals < LOCALS_HASHED ? (size_t)(nlocals > 0 ? nlocals : 0) : LOCALS_HASHED;
    for (size_t i = 0; i < n; i++) {
        size_t at = (size_t)l->interpreter_frame.localsplus + 8 * i;
        if (at + 8 > have)
            break;
        h = mix(h, field_u64(frame, (int32_t)at));
    }
    return h;
}

/* Reads the frame with a window of its fast locals; without them if that fails
 * (the frame may sit at the very end of a data-stack chunk). */
static enum pa_status read_frame(const struct py_walker *w, uint64_t addr, uint8_t *buf, size_t *have,
                                 struct pa_error *err)
{
    const struct py_layout *l = &w->runtime->layout;
    size_t base = (size_t)l->interpreter_frame.size;
    size_t with_locals = (size_t)l->interpreter_frame.localsplus + 8 * LOCALS_HASHED;
    if (with_locals < base)
        with_locals = base;
    if (with_locals <= PY_FRAME_READ_MAX && pa_read(w->reader, addr, buf, with_locals, NULL) == PA_OK) {
        *have = with_locals;
        return PA_OK;
    }
    *have = base;
    return pa_read(w->reader, addr, buf, base, err);
}

static void name_calls(struct py_stack *stack)
{
    uint64_t outer = 0;
    for (size_t i = stack->depth; i-- > 0;) {
        struct py_frame *f = &stack->frames[i];
        uint64_t id = mix(mix(outer, f->frame_addr), f->code ? f->code->addr : 0);
        f->call_id = id;
        /* What a callee of this frame inherits: this frame cannot move while it waits. */
        outer = mix(mix(id, (uint64_t)(uint32_t)f->instr_offset), f->locals_hash);
    }
}

/* The code object a frame runs: 3.14+ keeps f_executable as a _PyStackRef whose low
 * bits are tags (Py_TAG_BITS), not part of the address. */
static uint64_t frame_code(const struct py_layout *l, const uint8_t *frame)
{
    uint64_t bits = field_u64(frame, l->interpreter_frame.executable);
    return l->ref_model == PY_REFS_TAGGED ? bits & ~PY_STACKREF_TAG_BITS : bits;
}

struct py_stack *py_stack_new(size_t max_depth)
{
    if (max_depth == 0 || max_depth > PY_MAX_DEPTH_LIMIT)
        return NULL;
    struct py_stack *stack = calloc(1, sizeof *stack + max_depth * sizeof stack->frames[0]);
    if (stack != NULL)
        stack->max_depth = max_depth;
    return stack;
}

/* Frames visited per walk, Python or not: entry frames (one per C call of the eval
 * loop) and frames without code do not count towards max_depth, but must not make
 * a hostile chain of them endless either. */
#define VISITS_PER_FRAME 4

/* The stack from frame_addr outwards; base, if not 0, is where a complete walk ends. */

static enum pa_status walk(const struct py_walker *w, uint64_t frame_addr, uint64_t base, struct py_stack *stack,
                           struct pa_error *err)
{
    const struct py_layout *l = &w->runtime->layout;
    stack->depth = 0;
    stack->incomplete = false;
    stack->truncated = false;
    if (l->interpreter_frame.size <= 0 || l->interpreter_frame.size > PY_FRAME_READ_MAX)
        return pa_fail(err, PA_E_CORRUPT, "frame size %d out of range", (int)l->interpreter_frame.size);

    /* Brent's cycle check: remember one address, move it every power of two steps. */
    uint64_t saved = 0, last = 0;
    size_t steps = 0, power = 1, visited = 0;
    bool torn = false, capped = false, truncated = false;
    enum pa_status failed = PA_OK; /* a read or code lookup that failed mid-walk */
    uint8_t buf[PY_FRAME_READ_MAX];
    while (frame_addr != 0) {
        if (frame_addr == saved) {
            torn = true;
            break;
        }
        if (++steps == power) {
            saved = frame_addr;
            power *= 2;
            steps = 0;
        }
        if (++visited > VISITS_PER_FRAME * stack->max_depth) {
            capped = true;
            break;
        }
        size_t have;
        enum pa_status status = read_frame(w, frame_addr, buf, &have, err);
        if (status != PA_OK) {
            if (stack->depth == 0)
                return status;
            failed = status;
            break;
        }
        last = frame_addr;
        uint64_t previous = field_u64(buf, l->interpreter_frame.previous);
        if (l->interpreter_frame.owner >= 0 && buf[l->interpreter_frame.owner] >= PY_FRAME_OWNED_BY_INTERPRETER) {
            /* 3.12+ entry frame: no Python code of its own. Each C call of the eval loop
             * pushes one below its first frame, which is thus the entry frame. (3.15's
             * base frame has this owner too; it is never below a frame not yet marked.) */
            if (stack->depth > 0 && !stack->frames[stack->depth - 1].is_entry) {
                stack->frames[stack->depth - 1].is_entry = true;
                stack->frames[stack->depth - 1].entry_frame_addr = frame_addr;
            }
            frame_addr = previous;
            continue;
        }
        uint64_t code_addr = frame_code(l, buf);
        if (code_addr == 0 || code_addr == w->runtime->none_addr) {
            /* 3.14+: a frame being pushed or cleared holds no code yet (NULL), and entry
             * frames hold None; neither is a Python call. */
            frame_addr = previous;
            continue;
        }
        if (stack->depth == stack->max_depth) { /* checked here: exactly max_depth frames are whole */
            capped = truncated = true;
            break;
        }
        const struct py_code_info *code;
        status = py_code_lookup(w->codes, w->runtime, w->reader, code_addr, &code, err);
        if (status != PA_OK) {
            if (stack->depth == 0)
                return status;
            failed = status;
            break;
        }
        struct py_frame *f = &stack->frames[stack->depth++];
        f->code = code;
        f->frame_addr = frame_addr;
        f->instr_offset = instruction_offset(l, buf, code_addr);
        f->line = py_code_line(code, w->runtime, f->instr_offset);
        f->locals_hash = hash_locals(buf, have, l, code->nlocals);
        /* <= 3.10: every frame runs in its own C call of the eval loop. 3.11: the
         * eval loop marks the frame it was called for with is_entry. */
        f->is_entry = l->frame_model == PY_FRAMES_OBJECTS ||
                      (l->interpreter_frame.is_entry >= 0 && buf[l->interpreter_frame.is_entry] != 0);
        f->entry_frame_addr = 0;
        frame_addr = previous;
    }
    /* 3.15: a walk that did not end at the thread's base frame read a stack that changed
     * under it; its frames are refused rather than shown as a partial stack. A read or
     * lookup that failed keeps its own status and message. */
    if (base != 0 && !capped) {
        if (failed != PA_OK) {
            stack->depth = 0;
            return failed;
        }
        if (torn || (last != 0 && last != base)) {
            stack->depth = 0;
            return pa_fail(err, PA_E_CORRUPT, "torn stack: the walk ended at 0x%llx, not at the base frame 0x%llx",
                           (unsigned long long)last, (unsigned long long)base);
        }
    }
    stack->incomplete = torn || capped || failed != PA_OK;
    stack->truncated = truncated && !torn && failed == PA_OK;
    name_calls(stack);
    return PA_OK;
}

enum pa_status py_walk_stack(const struct py_walker *w, uint64_t frame_addr, struct py_stack *stack,
                             struct pa_error *err)
{
    return walk(w, frame_addr, 0, stack, err);
}

enum pa_status py_walk_thread(const struct py_walker *w, const struct py_thread *thread, struct py_stack *stack,
                              struct pa_error *err)
{
    return walk(w, thread->frame_addr, thread->base_frame_addr, stack, err);
}
