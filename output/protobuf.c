/* The protobuf wire format (protobuf.dev/programming-guides/encoding): a field is a
 * varint key (number << 3 | wire type) and a value; varints are little-endian groups of
 * 7 bits, the high bit saying "more"; length-delimited values are a varint length and
 * the bytes. */
#include "output/protobuf.h"

#include <stdlib.h>
#include <string.h>

void pa_pb_buf_init(struct pa_pb_buf *b)
{
    memset(b, 0, sizeof *b);
}

void pa_pb_buf_free(struct pa_pb_buf *b)
{
    free(b->data);
    pa_pb_buf_init(b);
}

static bool reserve(struct pa_pb_buf *b, size_t more)
{
    if (b->failed)
        return false;
    if (b->capacity - b->len >= more)
        return true;
    size_t capacity = b->capacity ? b->capacity : 256;
    while (capacity - b->len < more) {
        if (capacity > SIZE_MAX / 2) {
            b->failed = true;
            return false;
        }
        capacity *= 2;
    }
    uint8_t *grown = realloc(b->data, capacity);
    if (grown == NULL) {
        b->failed = true;
        return false;
    }
    b->data = grown;
    b->capacity = capacity;
    return true;
}

size_t pa_pb_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static size_t put_varint(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

void pa_pb_varint(struct pa_pb_buf *b, uint64_t v)
{
    if (reserve(b, 10))
        b->len += put_varint(b->data + b->len, v);
}

void pa_pb_key(struct pa_pb_buf *b, uint32_t field, enum pa_pb_wire wire)
{
    pa_pb_varint(b, (uint64_t)field << 3 | (uint64_t)wire);
}

void pa_pb_uint(struct pa_pb_buf *b, uint32_t field, uint64_t v)
{
    if (v == 0)
        return;
    pa_pb_key(b, field, PA_PB_VARINT);
    pa_pb_varint(b, v);
}

void pa_pb_bytes(struct pa_pb_buf *b, uint32_t field, const void *data, size_t len)
{
    pa_pb_key(b, field, PA_PB_LEN);
    pa_pb_varint(b, len);
    if (len > 0 && reserve(b, len)) {
        memcpy(b->data + b->len, data, len);
        b->len += len;
    }
}

void pa_pb_packed(struct pa_pb_buf *b, uint32_t field, const uint64_t *v, size_t n)
{
    if (n == 0)
        return;
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += pa_pb_varint_size(v[i]);
    pa_pb_key(b, field, PA_PB_LEN);
    pa_pb_varint(b, len);
    if (!reserve(b, len))
        return;
    for (size_t i = 0; i < n; i++)
        b->len += put_varint(b->data + b->len, v[i]);
}

/* One byte is kept for the length; a longer message's bytes move up when it ends. */
size_t pa_pb_begin(struct pa_pb_buf *b, uint32_t field)
{
    pa_pb_key(b, field, PA_PB_LEN);
    if (reserve(b, 1))
        b->data[b->len++] = 0;
    return b->len;
}

void pa_pb_end(struct pa_pb_buf *b, size_t mark)
{
    if (b->failed)
        return;
    size_t len = b->len - mark, size = pa_pb_varint_size(len);
    if (size > 1) {
        if (!reserve(b, size - 1))
            return;
        memmove(b->data + mark + size - 1, b->data + mark, len);
        b->len += size - 1;
    }
    put_varint(b->data + mark - 1, len);
}

bool pa_pb_read_varint(struct pa_pb_reader *r, uint64_t *v)
{
    uint64_t value = 0;
    for (unsigned shift = 0; shift < 70 && r->p < r->end; shift += 7) {
        uint8_t byte = *r->p++;
        if (shift == 63 && byte > 1)
            return false; /* more than 64 bits */
        value |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *v = value;
            return true;
        }
    }
    return false;
}

static uint64_t little_endian(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

int pa_pb_next(struct pa_pb_reader *r, struct pa_pb_field *f)
{
    if (r->p >= r->end)
        return 0;
    uint64_t key;
    if (!pa_pb_read_varint(r, &key) || key >> 3 == 0 || key >> 3 > UINT32_MAX)
        return -1;
    memset(f, 0, sizeof *f);
    f->number = (uint32_t)(key >> 3);
    f->wire = (enum pa_pb_wire)(key & 7);
    size_t left;
    switch (f->wire) {
    case PA_PB_VARINT:
        return pa_pb_read_varint(r, &f->value) ? 1 : -1;
    case PA_PB_FIXED64:
    case PA_PB_FIXED32: {
        size_t n = f->wire == PA_PB_FIXED64 ? 8 : 4;
        if ((size_t)(r->end - r->p) < n)
            return -1;
        f->value = little_endian(r->p, n);
        r->p += n;
        return 1;
    }
    case PA_PB_LEN:
        if (!pa_pb_read_varint(r, &f->value))
            return -1;
        left = (size_t)(r->end - r->p);
        if (f->value > left)
            return -1;
        f->data = r->p;
        f->len = (size_t)f->value;
        r->p += f->len;
        return 1;
    }
    return -1;
}

int pa_pb_repeated(const struct pa_pb_field *f, struct pa_pb_reader *r, uint64_t *v)
{
    if (f->wire == PA_PB_VARINT) {
        if (r->end != NULL)
            return 0;
        r->p = r->end = (const uint8_t *)f; /* marks the one value as given */
        *v = f->value;
        return 1;
    }
    if (f->wire != PA_PB_LEN)
        return -1;
    if (r->end == NULL)
        *r = pa_pb_reader_of(f->data, f->len);
    if (r->p >= r->end)
        return 0;
    return pa_pb_read_varint(r, v) ? 1 : -1;
}
