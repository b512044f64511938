/* CPython str and bytes objects copied out of the target, decoded to UTF-8. */
#ifndef PYATTACH_PYSTRING_H
#define PYATTACH_PYSTRING_H

#include <stddef.h>
#include <stdint.h>

#include "attach/error.h"
#include "attach/memory.h"
#include "python_frames/layout.h"

#define PY_STRING_MAX_CHARS 4096  /* longer names are cut: remote lengths are untrusted */
#define PY_BYTES_MAX_LEN (1 << 20)

/* Converts `length` code points of PEP 393 data of `kind` (1, 2 or 4 bytes each) to
 * NUL-terminated UTF-8 in out (capacity out_size, at most 4*length+1 needed).
 * Invalid code points (surrogates, > 0x10FFFF) become U+FFFD. Returns bytes written. */
size_t py_ucs_to_utf8(const void *data, size_t length, int kind, char *out, size_t out_size);

/* Reads the str object at addr and returns a malloc'd UTF-8 copy in *out.
 * Compact strings only (every identifier and file name is compact); anything else,
 * or a length over PY_STRING_MAX_CHARS, fails with PA_E_CORRUPT. */
enum pa_status py_read_string(struct pa_reader *reader, const struct py_layout *layout,
                              uint64_t addr, char **out, struct pa_error *err);

/* The first min(length, max_chars) code points of the str at addr (max_chars at most
 * PY_STRING_HEAD_MAX) into chars, their number in *count and the str's whole length
 * in *length: for showing a value cut short, whatever its length. */
#define PY_STRING_HEAD_MAX 256
enum pa_status py_read_string_head(struct pa_reader *reader, const struct py_layout *layout, uint64_t addr,
                                   uint32_t *chars, size_t max_chars, size_t *count, uint64_t *length,
                                   struct pa_error *err);

/* Reads the bytes object at addr: *out is malloc'd (len bytes), *len its size. */
enum pa_status py_read_bytes(struct pa_reader *reader, const struct py_layout *layout,
                             uint64_t addr, uint8_t **out, size_t *len, struct pa_error *err);

#endif
