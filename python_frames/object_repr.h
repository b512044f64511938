/* A short, safe text for an object of the target (dump --locals): what Python's repr()
 * gives for None, bool, int, float, str and bytes (str and bytes cut at
 * PY_REPR_CHARS characters), and `<dict at 0x… len=3>` / `<TypeName at 0x…>` for the
 * rest. Nothing is called in the target: only its memory is read. */
#ifndef PYATTACH_OBJECT_REPR_H
#define PYATTACH_OBJECT_REPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attach/memory.h"
#include "python_frames/layout.h"

#define PY_REPR_CHARS 80    /* characters of a str or bytes shown */
#define PY_REPR_MAX 1024    /* room for any text py_object_repr writes */

/* What an object's type says of it: its C name (tp_name, non-printable bytes as '?'),
 * whether it is a static (built-in) type, and its tp_flags. */
struct py_type_brief {
    uint64_t addr;
    uint64_t flags;
    bool builtin;
    char name[96];
};

/* The type of the object at addr; false when it cannot be read. */
bool py_object_type(struct pa_reader *reader, const struct py_layout *layout, uint64_t addr,
                    struct py_type_brief *type);

/* Whether the object at addr (not 0) is exactly of the built-in type named builtin_name
 * ("str", "dict", "NoneType"): a class of the program of that name is not. */
bool py_object_is(struct pa_reader *reader, const struct py_layout *layout, uint64_t addr, const char *builtin_name);

/* Writes the text for the object at addr into out (PY_REPR_MAX bytes). Returns false,
 * with `<unreadable at 0x…>` in out, when its memory could not be read or made no sense. */
bool py_object_repr(struct pa_reader *reader, const struct py_layout *layout, uint64_t addr, char *out);

/* The text Python's repr() gives for the double v (shortest round-trip digits). */
void py_float_repr(double v, char *out, size_t size);

/* repr() of a str of `count` code points, cut after PY_REPR_CHARS of them; total is the
 * str's length (more than count: the text says so). */
void py_str_repr(const uint32_t *chars, size_t count, uint64_t total, char *out, size_t size);

/* repr() of a bytes object, as py_str_repr. */
void py_bytes_repr(const uint8_t *data, size_t count, uint64_t total, char *out, size_t size);

#endif
