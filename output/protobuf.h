/* The protobuf wire format by hand, the little pprof needs: writing varints,
 * length-delimited fields, packed repeated varints and nested messages; reading any
 * message field by field, skipping what the caller does not know by its wire type. */
#ifndef PYATTACH_PROTOBUF_H
#define PYATTACH_PROTOBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pa_pb_wire {
    PA_PB_VARINT = 0,
    PA_PB_FIXED64 = 1,
    PA_PB_LEN = 2,     /* strings, bytes, nested messages, packed repeated fields */
    PA_PB_FIXED32 = 5, /* 3 and 4 (groups) are refused when reading */
};

/* ---------------------------------------------------------------- writing */

/* A growing byte buffer. Out of memory sets failed; every later call does nothing. */
struct pa_pb_buf {
    uint8_t *data;
    size_t len, capacity;
    bool failed;
};

void pa_pb_buf_init(struct pa_pb_buf *b);
void pa_pb_buf_free(struct pa_pb_buf *b);

size_t pa_pb_varint_size(uint64_t v);
void pa_pb_varint(struct pa_pb_buf *b, uint64_t v);
void pa_pb_key(struct pa_pb_buf *b, uint32_t field, enum pa_pb_wire wire);

/* A varint field (uint64, int64 as two's complement, bool). Omitted when 0: proto3
 * reads a missing field as 0. */
void pa_pb_uint(struct pa_pb_buf *b, uint32_t field, uint64_t v);
/* A length-delimited field, always written (string_table[0] is an empty string). */
void pa_pb_bytes(struct pa_pb_buf *b, uint32_t field, const void *data, size_t len);
/* A packed repeated varint field; omitted when n is 0. */
void pa_pb_packed(struct pa_pb_buf *b, uint32_t field, const uint64_t *v, size_t n);

/* A nested message: pa_pb_begin writes the key and returns a mark; fields written
 * until pa_pb_end(mark) are the message, whose length is then put in front of them. */
size_t pa_pb_begin(struct pa_pb_buf *b, uint32_t field);
void pa_pb_end(struct pa_pb_buf *b, size_t mark);

/* ---------------------------------------------------------------- reading */

struct pa_pb_reader {
    const uint8_t *p, *end;
};

struct pa_pb_field {
    uint32_t number;
    enum pa_pb_wire wire;
    uint64_t value;      /* VARINT, FIXED64, FIXED32 */
    const uint8_t *data; /* LEN: the bytes */
    size_t len;
};

static inline struct pa_pb_reader pa_pb_reader_of(const void *data, size_t len)
{
    return (struct pa_pb_reader){(const uint8_t *)data, (const uint8_t *)data + len};
}

/* One raw varint (at most 10 bytes). False when truncated or too long. */
bool pa_pb_read_varint(struct pa_pb_reader *r, uint64_t *v);

/* The next field: 1, with *f filled; 0 at the end of the message; -1 when malformed
 * (truncated, field number 0, a group or unknown wire type). */
int pa_pb_next(struct pa_pb_reader *r, struct pa_pb_field *f);

/* The values of a repeated varint field, packed (LEN) or not (one VARINT per field):
 * call with *r zeroed; each call gives the next value. 1: *v set; 0: no more; -1: malformed. */
int pa_pb_repeated(const struct pa_pb_field *f, struct pa_pb_reader *r, uint64_t *v);

#endif
