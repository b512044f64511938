/* CPython 3.13+ carries its own layout in _PyRuntime.debug_offsets (_Py_DebugOffsets,
 * the first member of _PyRuntime, starting with the cookie "xdebugpy"). */
#ifndef PYATTACH_DEBUG_OFFSETS_H
#define PYATTACH_DEBUG_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

#include "attach/error.h"
#include "python_frames/layout.h"

#define PY_DEBUG_OFFSETS_COOKIE "xdebugpy"
#define PY_DEBUG_OFFSETS_READ_SIZE 1024 /* enough for every known _Py_DebugOffsets */

/* True if buf (len bytes, read from the start of _PyRuntime) starts with the cookie;
 * *version_hex is then the PY_VERSION_HEX stored after it. */
int py_debug_offsets_present(const uint8_t *buf, size_t len, uint32_t *version_hex);

/* Fills *layout from a _Py_DebugOffsets image of len bytes. Every offset is checked
 * to lie within its section's stated size; free-threaded builds are PA_E_UNSUPPORTED. */
enum pa_status py_layout_from_debug_offsets(const uint8_t *buf, size_t len,
                                            struct py_layout *layout, struct pa_error *err);

#endif
