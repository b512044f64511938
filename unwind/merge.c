/* THE MERGE RULE (--native), in one place.
 *
 * Walk the native stack from the innermost frame outwards:
 *   - the native frames of one C call of the eval loop (an "eval call") are replaced by the
 *     Python frames it was running: the next Python frames, innermost first, up to and
 *     including the next entry frame. Which frames are entry frames is the walker's business
 *     (stack_walk.c): <= 3.10 every frame (each _PyEval_EvalFrameDefault call runs exactly
 *     one PyFrameObject), 3.11 the frames marked is_entry, 3.12+ the frame just inside the
 *     shim frame each C call pushes. 3.11+ runs Python-to-Python calls inside one C call, so
 *     one eval call may stand for several Python frames;
 *   - an eval call is one _PyEval_EvalFrameDefault frame (GCC's split-off ".cold" part is
 *     jumped to, never called: still one frame) and the opcode-handler frames right inside
 *     it. The frame is known by its name or, from 3.12, by the entry frame it keeps on its
 *     part of the C stack (holds_entry_frame): stripped builds have lost the name of the
 *     ".cold" part. CPython 3.14+ built with clang and --with-tail-call-interp (python-build-standalone,
 *     what uv installs) runs each opcode as a function of its own that tail-calls the next:
 *     _TAIL_CALL_BINARY_OP.llvm.1234 in 3.14 (a suffix LTO gives the static function),
 *     _TAIL_CALL_BINARY_OP in 3.15. _PyEval_EvalFrameDefault calls the first one, so one
 *     (rarely several) sits right inside it. Only adjacent frames join: anything between
 *     two eval-loop frames, even interpreter plumbing (sorted() calling its key function,
 *     a slot wrapper calling __eq__, PyEval_EvalFrameEx <= 3.10), is C calling the eval loop
 *     again, with an entry frame of its own. Nor does one eval call hold two
 *     _PyEval_EvalFrameDefault frames: adjacent ones are two calls, the inner one reached
 *     through calls compiled to jumps (3.12+'s _PyEval_Vector ends in a call in tail
 *     position). The handler frames are the eval loop: never output, except that
 *     --native-all keeps them like plumbing, just inside their eval call's Python frames;
 *   - any other frame inside the interpreter's own ELF (libpython, or the python binary
 *     that has libpython linked in) is plumbing — call dispatch, vectorcall, main — and is
 *     dropped, unless --native-all;
 *   - every other native frame (C extensions, libc, libsqlite3, libcrypto, ...) stays,
 *     except that process and thread start frames (_start, __libc_start_main,
 *     __libc_start_call_main, start_thread, clone, clone3) are plumbing too at the outer
 *     end of the native stack (nothing but plumbing further out), unless --native-all. So
 *     the outermost frame of the main thread is <module> whether the native unwind
 *     reached __libc_start_main or the sample was incomplete: a profile keeps one root
 *     per process (snakeviz and gprof2dot need a single root). A clone() further in
 *     (a thread creating a process) stays.
 *
 * Nothing is invented, nothing placed by guess. First the eval calls are counted against
 * the entry frames (as pystack does). A walk that stopped early leaves a difference at its
 * outer end, and only there: Python frames left over when the native unwind was truncated
 * are appended outermost; eval calls left without Python frames when the Python walk was
 * incomplete are dropped (kept as native frames with --native-all). Both mark the sample
 * incomplete. Any other difference — more eval calls than entry frames from a complete
 * Python walk (the thread caught while an eval call starts or ends), Python frames left
 * over after a complete unwind (an eval-loop frame not recognised) — means some native
 * frames cannot be placed for sure: the sample is then the Python frames alone, the same
 * stack as without --native, incomplete, with result->mismatch set.
 *
 * A native frame's key, as cProfile keys built-ins by ('~', 0, name): file = the base
 * name of its shared object ("libc.so.6", "_sqlite3.cpython-311-x86_64-linux-gnu.so"),
 * line 0, function = the bare symbol name ("sqlite3_step"; "0x1a2b", the offset in
 * the object of the function's start from its FDE, or of the PC without one, where no
 * symbol covers the PC; file "~" where no object does). The vDSO is file "[vdso]"
 * ("__vdso_clock_gettime"), its unwind info read from the target's memory.
 *
 * A native frame's call id (ncalls, see the README): like a Python frame's, a call is
 * "the same" in consecutive samples while everything further out is; a native frame
 * adds its function's start address and its CFA, which is fixed for one activation
 * (its SP is not: the innermost frame pushes and pops). Under a Python frame the chain
 * continues from what a Python callee inherits: that frame's id, instruction offset and
 * fast locals. Python frames keep the walker's ids. */
#include "unwind/merge.h"

#include <string.h>

/* _PyEval_EvalFrameDefault is the eval loop in every version 3.6 - 3.15 (GCC may split off
 * "_PyEval_EvalFrameDefault.cold"). PyEval_EvalFrameEx (<= 3.10) is only a wrapper that
 * calls it for the same frame: it counts as plumbing. */
static bool is_eval_function(const char *f)
{
    static const char eval[] = "_PyEval_EvalFrameDefault";
    return strncmp(f, eval, sizeof eval - 1) == 0 && (f[sizeof eval - 1] == '\0' || f[sizeof eval - 1] == '.');
}

/* The tail-calling interpreter's opcode handlers (3.14+): "_TAIL_CALL_<OPNAME>", with
 * ".llvm.<digits>" in 3.14. Labels are handlers too ("_TAIL_CALL_error"). */
static bool is_opcode_handler(const char *f)
{
    static const char prefix[] = "_TAIL_CALL_";
    return strncmp(f, prefix, sizeof prefix - 1) == 0 && f[sizeof prefix - 1] != '\0' &&
           f[sizeof prefix - 1] != '.';
}

bool pa_merge_is_eval_frame(const struct pa_native_symbol *symbol)
{
    return symbol->interpreter && (is_eval_function(symbol->function) || is_opcode_handler(symbol->function));
}

/* Whether native frame n holds, in its own part of the C stack [SP, CFA), the entry
 * frame of an eval call. From 3.12 _PyEval_EvalFrameDefault keeps that frame as a local
 * variable (3.12, 3.13: entry_frame; 3.14+: _PyEntryFrame entry), so the frame holding
 * it runs the eval loop whatever its name: in stripped distribution builds (Debian's
 * 3.14 and 3.15) the loop's split-off part "_PyEval_EvalFrameDefault.cold", where the
 * eval loop spends its time, is a local symbol that stripping removed. */
static bool holds_entry_frame(const struct pa_merge_input *in, size_t n)
{
    const struct pa_native_pc *pc = &in->pcs[n];
    if (!in->symbols[n]->interpreter || pc->cfa <= pc->sp)
        return false;
    const struct py_stack *py = in->python;
    for (size_t i = 0; i < py->depth; i++) {
        uint64_t at = py->frames[i].entry_frame_addr;
        if (py->frames[i].is_entry && at >= pc->sp && at < pc->cfa)
            return true;
    }
    return false;
}

/* Native frame n is _PyEval_EvalFrameDefault (by name or by the entry frame it holds). */
static bool is_eval_loop(const struct pa_merge_input *in, size_t n)
{
    const struct pa_native_symbol *sym = in->symbols[n];
    return (sym->interpreter && is_eval_function(sym->function)) || holds_entry_frame(in, n);
}

static bool is_handler(const struct pa_merge_input *in, size_t n)
{
    return in->symbols[n]->interpreter && is_opcode_handler(in->symbols[n]->function);
}

/* Whether native frame n is the outermost frame of an eval call: its
 * _PyEval_EvalFrameDefault, or the last of its handler frames where none follows (the
 * unwind stopped, or something else lies between). */
static bool ends_eval_call(const struct pa_merge_input *in, size_t n)
{
    if (is_eval_loop(in, n))
        return true;
    return is_handler(in, n) &&
           (n + 1 == in->native_count || !(is_eval_loop(in, n + 1) || is_handler(in, n + 1)));
}

/* Whether every eval call has an entry frame of its own and every Python frame an eval
 * call, but for a difference at the outer end of a walk that stopped early. */
static bool counts_agree(const struct pa_merge_input *in, size_t calls)
{
    const struct py_stack *py = in->python;
    size_t entries = 0, claimed = 0; /* Python frames up to the calls-th entry frame */
    for (size_t i = 0; i < py->depth && entries < calls; i++) {
        if (py->frames[i].is_entry) {
            entries++;
            claimed = i + 1;
        }
    }
    if (entries < calls)
        return py->incomplete; /* the outer eval calls' Python frames were not read */
    return claimed == py->depth || in->native_truncated; /* the outer eval calls were not unwound */
}

static uint64_t mix(uint64_t h, uint64_t value)
{
    h ^= value + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

static uint64_t hash_text(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static struct pa_frame python_frame(const struct py_frame *f)
{
    return (struct pa_frame){.filename = f->code->filename,
                             .function = f->code->qualname,
                             .first_line = f->code->first_line,
                             .line = f->line,
                             .call_id = f->call_id};
}

/* Process and thread start frames. glibc's __libc_start_call_main, start_thread and
 * __clone3 are local symbols: in a stripped libc (a container's or a distribution root's,
 * without libc6-dbg) they have no name, so an unnamed frame of libc counts too (only at
 * the outer end, beyond every Python frame, where nothing else of libc's runs). */
static bool is_start_frame(const struct pa_frame *f)
{
    static const char *const names[] = {"_start", "__libc_start_main", "__libc_start_main_impl",
                                        "__libc_start_call_main", "start_thread", "clone", "__clone",
                                        "clone3", "__clone3"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(f->function, names[i]) == 0)
            return true;
    return strncmp(f->function, "0x", 2) == 0 && strncmp(f->filename, "libc.so", 7) == 0;
}

/* Outermost first, once the whole stack is known. */
static void name_native_calls(struct pa_frame *out, size_t depth, const struct pa_merge_ident *id)
{
    uint64_t outer = 0;
    for (size_t i = depth; i-- > 0;) {
        if (id[i].native) {
            out[i].call_id = mix(outer, id[i].key);
            outer = out[i].call_id;
        } else {
            outer = id[i].key;
        }
    }
}

static uint64_t native_key(const struct pa_native_pc *pc, const struct pa_native_symbol *sym)
{
    return mix(sym->start ? sym->start : hash_text(sym->function), pc->cfa ? pc->cfa : pc->sp);
}

static uint64_t python_key(const struct py_frame *f)
{
    return mix(mix(f->call_id, (uint64_t)(uint32_t)f->instr_offset), f->locals_hash);
}

void pa_merge_stacks(const struct pa_merge_input *in, struct pa_frame *out, size_t max,
                     struct pa_merge_result *r)
{
    memset(r, 0, sizeof *r);
    const struct py_stack *py = in->python;
    for (size_t n = 0; n < in->native_count; n++) {
        r->eval_frames += is_eval_loop(in, n) || is_handler(in, n);
        r->eval_calls += ends_eval_call(in, n);
    }
    for (size_t i = 0; i < py->depth; i++)
        r->entry_frames += py->frames[i].is_entry;
    if (!counts_agree(in, r->eval_calls)) {
        r->mismatch = r->incomplete = true; /* the Python frames alone, as without --native */
        r->unplaced = py->depth;
        while (r->depth < py->depth && r->depth < max) {
            out[r->depth] = python_frame(&py->frames[r->depth]);
            r->depth++;
        }
        return;
    }

    size_t next_py = 0, depth = 0;
    struct pa_merge_ident *id = in->idents; /* per output frame */
    bool full = false;

    for (size_t n = 0; n < in->native_count && !full; n++) {
        const struct pa_native_symbol *sym = in->symbols[n];
        if (ends_eval_call(in, n)) {
            if (next_py < py->depth) {
                bool entry = false;
                while (next_py < py->depth && !entry && !(full = depth == max)) {
                    const struct py_frame *f = &py->frames[next_py++];
                    entry = f->is_entry;
                    id[depth] = (struct pa_merge_ident){.native = false, .key = python_key(f)};
                    out[depth++] = python_frame(f);
                }
                continue;
            }
            r->incomplete = true; /* an eval call whose Python frames we did not see */
        }
        if (sym->interpreter && !in->native_all)
            continue; /* interpreter plumbing, the eval loop's handler frames among it */
        if ((full = depth == max))
            break;
        id[depth] = (struct pa_merge_ident){.native = true, .key = native_key(&in->pcs[n], sym)};
        out[depth++] = (struct pa_frame){.filename = sym->module, .function = sym->function, .native_id = sym->id};
    }
    r->unplaced = py->depth - next_py;
    if (r->unplaced > 0)
        r->incomplete = true;
    if (!in->native_all)
        while (depth > 0 && id[depth - 1].native && is_start_frame(&out[depth - 1]))
            depth--; /* process/thread start: plumbing at the outer end */
    while (next_py < py->depth && depth < max) {
        const struct py_frame *f = &py->frames[next_py++];
        id[depth] = (struct pa_merge_ident){.native = false, .key = python_key(f)};
        out[depth++] = python_frame(f);
    }
    if (full || next_py < py->depth || in->native_truncated || py->incomplete)
        r->incomplete = true;
    name_native_calls(out, depth, id);
    r->depth = depth;
}
