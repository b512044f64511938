/* CPython 3.13+ carries its own layout in _PyRuntime.debug_offsets (_Py_DebugOffsets,
 * the first member of _PyRuntime, starting with the cookie "xdebugpy"). The table's
 * own layout differs per minor version: debug_offsets_tables.h lists each. */
#ifndef PYATTACH_DEBUG_OFFSETS_H
#define PYATTACH_DEBUG_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

#include "attach/error.h"
#include "python_frames/layout.h"

#define PY_DEBUG_OFFSETS_COOKIE "xdebugpy"
#define PY_DEBUG_OFFSETS_READ_SIZE 1024 /* enough for every known _Py_DebugOffsets */

/* One field of a _Py_DebugOffsets layout: "thread_state.current_frame" and its byte
 * position in the image. */
struct py_debug_offsets_field {
    const char *name;
    size_t position;
};

/* The layout of _Py_DebugOffsets in one CPython minor version. */
struct py_debug_offsets_layout {
    int minor;                 /* 3.minor */
    size_t size;               /* sizeof(_Py_DebugOffsets) */
    uint32_t first_version;    /* the oldest PY_VERSION_HEX with this layout (pre-releases before it differ) */
    const struct py_debug_offsets_field *fields;
    size_t count;
};

/* The known layouts, oldest first (3.13, 3.14, 3.15), and how many there are. */
const struct py_debug_offsets_layout *py_debug_offsets_layouts(size_t *count);

/* True if buf (len bytes, read from the start of _PyRuntime) starts with the cookie;
 * *version_hex is then the PY_VERSION_HEX stored after it. */
int py_debug_offsets_present(const uint8_t *buf, size_t len, uint32_t *version_hex);

/* Fills *layout from a _Py_DebugOffsets image of len bytes. Every offset is checked
 * to lie within its section's stated size. Free-threaded builds, versions newer than
 * the newest layout and pre-releases older than a layout's first_version are
 * PA_E_UNSUPPORTED, with a message naming the version or the build kind. */
enum pa_status py_layout_from_debug_offsets(const uint8_t *buf, size_t len,
                                            struct py_layout *layout, struct pa_error *err);

#endif
