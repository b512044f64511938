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
 *   - every other native frame (C extensions, libc, libsqlite3, libcrypto, ...) stays.
 * Nothing is invented: Python frames left over when the native frames run out (the
 * native unwind stopped early) are appended outermost and the sample is marked
 * incomplete; an eval frame with no Python frame left marks it incomplete too.
 *
 * A native frame's key, as cProfile keys built-ins by ('~', 0, name): file = the base
 * name of its shared object ("libc.so.6", "_sqlite3.cpython-311-x86_64-linux-gnu.so"),
 * line 0, function = the bare symbol name ("sqlite3_step"; "0x1a2b", the offset in
 * the object, where no symbol covers the PC; file "~" where no object does). */
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

/* call_id of native frames: like Python frames, a call is "the same" while everything
 * further out is; a native frame adds its stack pointer and function. Computed once the
 * whole stack is known, outermost first. 0 marks native frames until then. */
static void name_native_calls(struct pa_frame *out, size_t depth, const uint64_t *sp)
{
    uint64_t outer = 0;
    for (size_t i = depth; i-- > 0;) {
        if (sp[i] != 0 || out[i].call_id == 0)
            out[i].call_id = mix(mix(outer, sp[i]), hash_text(out[i].function));
        outer = out[i].call_id;
    }
}

void pa_merge_stacks(const struct pa_merge_input *in, struct pa_frame *out, size_t max,
                     struct pa_merge_result *r)
{
    memset(r, 0, sizeof *r);
    const struct py_stack *py = in->python;
    size_t next_py = 0, depth = 0;
    uint64_t sp[PA_NATIVE_MAX_DEPTH + PY_MAX_DEPTH]; /* per output frame; 0 for Python frames */
    if (max > sizeof sp / sizeof sp[0])
        max = sizeof sp / sizeof sp[0];
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
                    entry = py->frames[next_py].is_entry;
                    sp[depth] = 0;
                    out[depth++] = python_frame(&py->frames[next_py++]);
                }
                continue;
            }
        } else if (sym->interpreter && !in->native_all) {
            continue; /* interpreter plumbing */
        }
        if ((full = depth == max))
            break;
        sp[depth] = in->pcs[n].sp ? in->pcs[n].sp : 1;
        out[depth++] = (struct pa_frame){.filename = sym->module, .function = sym->function, .call_id = 0};
    }
    r->unplaced = py->depth - next_py;
    if (r->unplaced > 0)
        r->incomplete = true;
    while (next_py < py->depth && depth < max) {
        sp[depth] = 0;
        out[depth++] = python_frame(&py->frames[next_py++]);
    }
    if (full || next_py < py->depth || in->native_truncated || py->incomplete)
        r->incomplete = true;
    name_native_calls(out, depth, sp);
    r->depth = depth;
}
