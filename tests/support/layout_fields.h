/* Every int32 field of struct py_layout by name ("thread_state.current_frame"), for
 * tests and tools that compare a layout with CPython's own (DWARF, headers). */
#ifndef PYATTACH_LAYOUT_FIELDS_H
#define PYATTACH_LAYOUT_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "python_frames/layout.h"

struct layout_field {
    const char *name;
    size_t at; /* offsetof(struct py_layout, ...) */
};

extern const struct layout_field layout_fields[];
extern const size_t layout_field_count;

int32_t layout_field_get(const struct py_layout *layout, size_t index);

/* The index of the named field, or -1. */
int layout_field_index(const char *name);

#endif
