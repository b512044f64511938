/* The version ladder: the rungs that can tell a CPython's version, each a pure
 * function of what attach/ found, tried in order by runtime.c. */
#ifndef PYATTACH_VERSION_H
#define PYATTACH_VERSION_H

#include <stdbool.h>
#include <stdint.h>

#include "attach/elf_image.h"

struct py_version {
    int major, minor, micro; /* micro -1 if unknown */
};

/* The largest int of CPython 3.minor's small-int cache (0: unknown, as up to 3.14):
 * such ints are shared objects, which marshal writes as references. */
int py_version_small_int_max(int minor);

/* From a PY_VERSION_HEX value (Py_Version, _Py_DebugOffsets.version). */
bool py_version_from_hex(uint32_t hex, struct py_version *out);

/* From a file name: libpython3.11.so.1.0, libpython3.6m.so, python3.11, python2.7. */
bool py_version_from_filename(const char *path, struct py_version *out);

/* From the PY_VERSION string literal ("3.11.2") stored in the binary's read-only data. */
bool py_version_from_rodata(const struct pa_elf_image *image, struct py_version *out);

#endif
