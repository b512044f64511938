/* UTF-8 validation shared by the writers that must emit valid text (JSON, marshal). */
#ifndef PYATTACH_UTF8_H
#define PYATTACH_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* The length of the valid UTF-8 sequence at s (at most `left` bytes), or 0 when the
 * bytes there are not valid. Surrogates (U+D800..DFFF) count as valid only when
 * allow_surrogates is set: CPython encodes str with "surrogatepass" for marshal. */
size_t pa_utf8_sequence(const unsigned char *s, size_t left, bool allow_surrogates);

#endif
