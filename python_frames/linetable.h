/* Line tables: from a code object's table bytes and first line, the source line of
 * the instruction at a byte offset into co_code. Pure functions, no remote reads. */
#ifndef PYATTACH_LINETABLE_H
#define PYATTACH_LINETABLE_H

#include <stddef.h>
#include <stdint.h>

#include "python_frames/layout.h"

/* Returns the line executing at byte offset `instr_offset` (a multiple of 2 from 3.6
 * on), or -1 when the table says the instruction has no line (3.10+: None) or the
 * table is malformed. Never reads outside table[0 .. len). */
int py_line_for_offset(enum py_linetable_model model, const uint8_t *table, size_t len,
                       int first_line, int instr_offset);

#endif
