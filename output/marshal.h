/* A marshal (format version 4) encoder for the few types a pstats dump holds:
 * dict, tuple, int, float, str — written as CPython writes a cProfile dump. */
#ifndef PYATTACH_MARSHAL_H
#define PYATTACH_MARSHAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Object references, as CPython's w_ref() assigns them for a dump of a freshly
 * built stats dict (3.4+, FLAG_REF = 0x80 on the first write, 'r' + index after):
 *  - the top-level dict is shared (the caller holds it) -> flagged;
 *  - every string is interned (sys.intern) -> 'Z'/'A'/'t', flagged once, then 'r';
 *  - ints in CPython's small-int cache (-5..256; -5..1024 from 3.15) are shared -> flagged
 *    once, then 'r';
 *  - other ints, floats, tuples and the callers dicts are referenced once -> plain.
 * tests/unit/test_marshal.c checks this byte for byte against marshal.dumps(d, 4). */
struct pa_marshal {
    unsigned char *buf;
    size_t len, capacity;
    FILE *sink;             /* NULL: everything stays in buf; else buf is flushed to it */
    bool failed;            /* out of memory; the buffer is incomplete */
    bool write_failed;      /* writing to sink failed (errno says why) */
    uint32_t nrefs;         /* objects flagged so far = the next reference index */
    uint32_t *string_refs;  /* per string id: reference index + 1, 0 = not written yet */
    size_t nstring_refs;
    int small_int_max;      /* the largest int of the small-int cache being imitated */
    uint32_t small_int_refs[5 + 1025]; /* value + 5: reference index + 1; 1024 = 3.15's cache */
};

void pa_marshal_init(struct pa_marshal *m);
/* Writes as CPython 3.cpython_minor's marshal does (0: unknown, as 3.4 - 3.14). Only the
 * small-int cache differs between versions (py_version_small_int_max); cached ints are
 * shared, so flagged and referenced. */
void pa_marshal_imitate(struct pa_marshal *m, int cpython_minor);
/* Encodes straight to a file, through a 64 KiB buffer; call pa_marshal_flush() at the end. */
void pa_marshal_init_file(struct pa_marshal *m, FILE *sink);
bool pa_marshal_flush(struct pa_marshal *m);
void pa_marshal_free(struct pa_marshal *m);

/* A dict: begin, then key, value, key, value ..., then end. `shared` sets FLAG_REF. */
void pa_marshal_dict_begin(struct pa_marshal *m, bool shared);
void pa_marshal_dict_end(struct pa_marshal *m);
/* A tuple of n items; the items follow. */
void pa_marshal_tuple(struct pa_marshal *m, size_t n);
void pa_marshal_int(struct pa_marshal *m, int64_t value);
void pa_marshal_float(struct pa_marshal *m, double value);
/* An interned str, identified by `id` (equal ids = the same object, written once). The
 * bytes should be UTF-8 (surrogates allowed, as "surrogatepass"); invalid bytes are
 * written as U+FFFD so the file always loads. */
void pa_marshal_string(struct pa_marshal *m, uint32_t id, const char *text, size_t len);

#endif
