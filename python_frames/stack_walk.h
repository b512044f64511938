/* Thread states and their Python stacks, read from the running target. Every chain
 * is bounded (depth cap, cycle check); a torn read ends the walk with `incomplete`. */
#ifndef PYATTACH_STACK_WALK_H
#define PYATTACH_STACK_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "attach/error.h"
#include "attach/memory.h"
#include "python_frames/code_cache.h"
#include "python_frames/runtime.h"

/* Frames kept per stack unless --max-depth says otherwise: above CPython's default
 * recursion limit (sys.getrecursionlimit() is 1000). Deeper stacks are cut there and
 * marked truncated. --max-depth accepts 1..PY_MAX_DEPTH_LIMIT. */
#define PY_DEFAULT_MAX_DEPTH 2048
#define PY_MAX_DEPTH_LIMIT 100000
#define PY_MAX_THREADS 4096
#define PY_MAX_INTERPRETERS 256

struct py_thread {
    uint64_t tstate_addr;
    uint64_t interp_addr;
    pid_t tid;             /* kernel TID; 0 if it could not be read */
    uint64_t pthread_id;
    bool holds_gil;
    uint64_t gil_addr;     /* its interpreter's struct _gil_runtime_state (3.7+); 0 if unknown */
    uint64_t frame_addr;   /* innermost frame; 0 when the thread runs no Python code */
    uint64_t base_frame_addr; /* 3.15+: the sentinel frame a complete walk ends at; 0 if none */
};

struct py_frame {
    const struct py_code_info *code;
    int line;
    uint64_t call_id;      /* see stack_walk.c: equal across samples = the same call */
    uint64_t frame_addr;
    int32_t instr_offset;  /* byte offset of the current instruction in the code */
    uint64_t locals_hash;  /* of the frame's fast locals, frozen while it waits on a callee */
    bool is_entry;         /* the first frame one C call of the eval loop ran (unwind/merge.c) */
    uint64_t entry_frame_addr; /* 3.12+, is_entry: the entry frame just outside it, which lives on the
                                * C stack of that call of _PyEval_EvalFrameDefault; else 0 */
};

struct py_stack {
    size_t depth;
    size_t max_depth;      /* room in frames[]: the walk keeps at most this many */
    bool incomplete;       /* the walk stopped before the outermost frame (also when truncated) */
    bool truncated;        /* ... because max_depth frames were read: they are whole, the outer ones missing */
    struct py_frame frames[]; /* frames[0] is the innermost */
};

/* A stack with room for max_depth frames (1..PY_MAX_DEPTH_LIMIT), empty; free() it. NULL
 * when out of memory. Made once per sampler: a walk never allocates. */
struct py_stack *py_stack_new(size_t max_depth);

/* What a walk needs: the runtime, a reader of the target, and the code cache. */
struct py_walker {
    const struct py_runtime *runtime;
    struct pa_reader *reader;
    struct py_code_cache *codes;
};

/* Every thread state of every interpreter, at most max of them. */
enum pa_status py_list_threads(const struct py_walker *walker, struct py_thread *threads, size_t max,
                               size_t *count, struct pa_error *err);

/* Whether the futex at addr belongs to the GIL of the thread's interpreter (its mutex
 * or one of its condition variables): a thread asleep on it waits for the GIL. */
bool py_thread_futex_is_gil(const struct py_walker *walker, const struct py_thread *thread, uint64_t addr);

/* Re-reads the thread's innermost frame into thread->frame_addr (for a thread that
 * was just stopped, so its Python and native stacks agree). */
enum pa_status py_thread_reread_frame(const struct py_walker *walker, struct py_thread *thread,
                                      struct pa_error *err);

/* The Python stack from the frame at frame_addr outwards. On a torn read after some
 * frames were read the result is PA_OK with stack->incomplete set; a stack deeper than
 * stack->max_depth keeps its innermost max_depth frames, with incomplete and truncated set. */
enum pa_status py_walk_stack(const struct py_walker *walker, uint64_t frame_addr, struct py_stack *stack,
                             struct pa_error *err);

/* The thread's Python stack, as py_walk_stack; where the version gives the thread a
 * base frame (3.15+), a walk that does not end there is PA_E_CORRUPT, no frames. */
enum pa_status py_walk_thread(const struct py_walker *walker, const struct py_thread *thread,
                              struct py_stack *stack, struct pa_error *err);

/* A walk that broke off before the outermost frame for any reason but max_depth: it
 * read a stack that changed under it, so its outer end would be a wrong root. */
static inline bool py_stack_broke_off(const struct py_stack *stack)
{
    return stack->incomplete && !stack->truncated;
}

#endif
