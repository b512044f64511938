/* The merge rule: one stack of Python and native frames from a thread's native stack
 * (symbolised) and its Python stack, both read while the thread was stopped. */
#ifndef PYATTACH_MERGE_H
#define PYATTACH_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/stack.h"
#include "python_frames/stack_walk.h"
#include "unwind/native_stack.h"
#include "unwind/symbols.h"

/* What an output frame contributes to the call ids of the frames it calls (merge.c). */
struct pa_merge_ident {
    bool native;
    uint64_t key; /* native: function start and CFA; Python: what its callees inherit */
};

struct pa_merge_input {
    const struct pa_native_pc *pcs;               /* innermost first */
    const struct pa_native_symbol *const *symbols; /* one per pc */
    size_t native_count;
    bool native_truncated;                        /* the unwind stopped early */
    const struct py_stack *python;                /* innermost first, entry frames marked */
    bool native_all;                              /* keep the interpreter's own plumbing frames */
    struct pa_merge_ident *idents;                /* scratch: room for as many frames as out */
};

struct pa_merge_result {
    size_t depth;
    bool incomplete;     /* a frame could not be placed, or either walk stopped early */
    bool mismatch;       /* eval calls and entry frames disagree beyond an early stop: the
                            stack is the Python frames alone (incomplete too), see merge.c */
    size_t unplaced;     /* Python frames no eval call claimed (all of them on a mismatch) */
    size_t eval_frames;  /* eval-loop frames seen (_PyEval_EvalFrameDefault, _TAIL_CALL_*) */
    size_t eval_calls;   /* C calls of the eval loop they make up */
    size_t entry_frames; /* entry frames in the Python stack */
};

/* Whether a native function is part of a C call of the eval loop that runs Python frames:
 * _PyEval_EvalFrameDefault, or (3.14+) one of the tail-calling interpreter's opcode
 * handlers, _TAIL_CALL_*. Only inside the interpreter's own ELF. */
bool pa_merge_is_eval_frame(const struct pa_native_symbol *symbol);

/* Writes the merged stack, innermost first, into out (at most max frames; in->idents
 * has room for as many). The native
 * frames' strings are the symbols'; the Python frames' are the code cache's. */
void pa_merge_stacks(const struct pa_merge_input *in, struct pa_frame *out, size_t max,
                     struct pa_merge_result *result);

#endif
