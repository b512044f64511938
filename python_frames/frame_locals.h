/* A frame's local variables by name: the code object's local names and the frame's
 * fast-locals array, per version (layout.h). Shared by `dump --locals` and
 * --by-request (python_frames/request_label.c). */
#ifndef PYATTACH_FRAME_LOCALS_H
#define PYATTACH_FRAME_LOCALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attach/error.h"
#include "python_frames/stack_walk.h"

#define PY_LOCALS_MAX 1024 /* fast locals read per frame; a code object with more is cut */
#define PY_LOCAL_NAME_MAX 128

enum py_local_kind {
    PY_LOCAL_PLAIN, /* an argument or local variable */
    PY_LOCAL_CELL,  /* a local captured by an inner function: its value sits in a cell */
    PY_LOCAL_FREE,  /* a variable of an enclosing function, through its cell */
};

struct py_local {
    char name[PY_LOCAL_NAME_MAX]; /* "?" when the name could not be read */
    enum py_local_kind kind;
    uint64_t slot;  /* what the fast-locals slot holds, tag bits cleared; 0: unbound */
    uint64_t value; /* the object: slot, or for cells and free variables the cell's content; 0: unbound */
    bool readable;  /* false: the cell could not be read (value is 0 then, but not known unbound) */
};

struct py_locals {
    size_t count;
    bool cut; /* the code has more than PY_LOCALS_MAX fast locals */
    struct py_local items[PY_LOCALS_MAX];
};

/* Every fast local of the frame at frame_addr running the code at code_addr, in the
 * code's order (arguments first), bound or not. Module and class bodies keep their
 * variables in a dict, not here: they have none. */
enum pa_status py_frame_locals(const struct py_walker *walker, uint64_t frame_addr, uint64_t code_addr,
                               struct py_locals *out, struct pa_error *err);

/* The index of the fast local `name` of the code at code_addr (-1 when it has none),
 * to be cached by code object: a lookup reads every name. */
enum pa_status py_code_local_index(const struct py_walker *walker, uint64_t code_addr, const char *name,
                                   int *index, struct pa_error *err);

/* The object in fast-locals slot `index` of the frame (0: unbound), cells not followed. */
enum pa_status py_frame_local_slot(const struct py_walker *walker, uint64_t frame_addr, int index,
                                   uint64_t *value, struct pa_error *err);

#endif
