/* THE MERGE RULE (--native), in one place.
 *
 * Walk the native stack from the innermost frame outwards:
 *   - a native frame of the eval loop (pa_merge_is_eval_frame) is replaced by the Python
 *     frames it was running: the next Python frames, innermost first, up to and including
 *     the next entry frame. Which frames are entry frames is the walker's business
 *     (stack_walk.c): <= 3.10 every frame (each _PyEval_EvalFrameDefault call runs exactly
 *     one PyFrameObject), 3.11 the frames marked is_entry, 3.12+ the frame just inside a
 *     FRAME_OWNED_BY_CSTACK shim. 3.11+ runs Python-to-Python calls inside one C call, so
 *     one eval frame may stand for several Python frames;
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
 * Nothing is invented: Python frames left over when the native frames run out (the
 * native unwind stopped early) are appended outermost and the sample is marked
 * incomplete; an eval frame with no Python frame left marks it incomplete too.
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

bool pa_merge_is_eval_frame(const struct pa_native_symbol *symbol)
{
    /* _PyEval_EvalFrameDefault is the eval loop in every version 3.6 - 3.13 (GCC may
     * split off "_PyEval_EvalFrameDefault.cold"). PyEval_EvalFrameEx (<= 3.10) is only a
     * wrapper that calls it for the same frame: it counts as plumbing. */
    static const char eval[] = "_PyEval_EvalFrameDefault";
    const char *f = symbol->function;
    return symbol->interpreter && strncmp(f, eval, sizeof eval - 1) == 0 &&
           (f[sizeof eval - 1] == '\0' || f[sizeof eval - 1] == '.');
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

/* What an output frame contributes to the call ids of the frames it calls. */
struct ident {
    bool native;
    uint64_t key; /* native: function start and CFA; Python: what its callees inherit */
};

static bool is_start_frame(const char *f)
{
    static const char *const names[] = {"_start", "__libc_start_main", "__libc_start_main_impl",
                                        "__libc_start_call_main", "start_thread", "clone", "__clone",
                                        "clone3", "__clone3"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(f, names[i]) == 0)
            return true;
    return false;
}

/* Outermost first, once the whole stack is known. */
static void name_native_calls(struct pa_frame *out, size_t depth, const struct ident *id)
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
    size_t next_py = 0, depth = 0;
    struct ident id[PA_NATIVE_MAX_DEPTH + PY_MAX_DEPTH]; /* per output frame */
    if (max > sizeof id / sizeof id[0])
        max = sizeof id / sizeof id[0];
    bool full = false;

    for (size_t n = 0; n < in->native_count && !full; n++) {
        const struct pa_native_symbol *sym = in->symbols[n];
        if (pa_merge_is_eval_frame(sym)) {
            r->eval_frames++;
            if (next_py == py->depth) {
                r->incomplete = true; /* an eval frame whose Python frames we did not see */
                if (!in->native_all)
                    continue;
            } else {
                bool entry = false;
                while (next_py < py->depth && !entry && !(full = depth == max)) {
                    const struct py_frame *f = &py->frames[next_py++];
                    entry = f->is_entry;
                    id[depth] = (struct ident){.native = false, .key = python_key(f)};
                    out[depth++] = python_frame(f);
                }
                continue;
            }
        } else if (sym->interpreter && !in->native_all) {
            continue; /* interpreter plumbing */
        }
        if ((full = depth == max))
            break;
        id[depth] = (struct ident){.native = true, .key = native_key(&in->pcs[n], sym)};
        out[depth++] = (struct pa_frame){.filename = sym->module, .function = sym->function};
    }
    r->unplaced = py->depth - next_py;
    if (r->unplaced > 0)
        r->incomplete = true;
    if (!in->native_all)
        while (depth > 0 && id[depth - 1].native && is_start_frame(out[depth - 1].function))
            depth--; /* process/thread start: plumbing at the outer end */
    while (next_py < py->depth && depth < max) {
        const struct py_frame *f = &py->frames[next_py++];
        id[depth] = (struct ident){.native = false, .key = python_key(f)};
        out[depth++] = python_frame(f);
    }
    if (full || next_py < py->depth || in->native_truncated || py->incomplete)
        r->incomplete = true;
    name_native_calls(out, depth, id);
    r->depth = depth;
}
