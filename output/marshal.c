/* Marshal encoder: byte layout from CPython's Python/marshal.c (w_object, w_ref,
 * w_complex_object), version 4 as marshal.dump() writes since 3.4. */
#include "output/marshal.h"

#include <stdlib.h>
#include <string.h>

#include "output/utf8.h"
#include "python_frames/version.h"

#define FLAG_REF 0x80
#define SINK_BUFFER 65536

void pa_marshal_init(struct pa_marshal *m)
{
    memset(m, 0, sizeof *m);
    m->small_int_max = 256;
}

void pa_marshal_imitate(struct pa_marshal *m, int cpython_minor)
{
    int max = py_version_small_int_max(cpython_minor);
    int room = (int)(sizeof m->small_int_refs / sizeof m->small_int_refs[0]) - 6; /* -5..room */
    m->small_int_max = max < room ? max : room;
}

void pa_marshal_init_file(struct pa_marshal *m, FILE *sink)
{
    pa_marshal_init(m);
    m->sink = sink;
}

bool pa_marshal_flush(struct pa_marshal *m)
{
    if (m->sink == NULL || m->failed || m->write_failed)
        return !m->failed && !m->write_failed;
    if (m->len > 0 && fwrite(m->buf, 1, m->len, m->sink) != m->len)
        m->write_failed = true;
    m->len = 0;
    return !m->write_failed;
}

void pa_marshal_free(struct pa_marshal *m)
{
    free(m->buf);
    free(m->string_refs);
    pa_marshal_init(m);
}

static bool reserve(struct pa_marshal *m, size_t extra)
{
    if (m->failed || m->write_failed)
        return false;
    if (m->sink != NULL && m->len + extra > SINK_BUFFER && m->len > 0 && !pa_marshal_flush(m))
        return false;
    if (m->len + extra <= m->capacity)
        return true;
    size_t capacity = m->capacity ? m->capacity : 4096;
    while (capacity < m->len + extra)
        capacity *= 2;
    unsigned char *grown = realloc(m->buf, capacity);
    if (grown == NULL) {
        m->failed = true;
        return false;
    }
    m->buf = grown;
    m->capacity = capacity;
    return true;
}

static void put(struct pa_marshal *m, const void *data, size_t len)
{
    if (reserve(m, len)) {
        memcpy(m->buf + m->len, data, len);
        m->len += len;
    }
}

static void put_byte(struct pa_marshal *m, unsigned char byte)
{
    put(m, &byte, 1);
}

static void put_u32(struct pa_marshal *m, uint32_t v)
{
    unsigned char b[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};
    put(m, b, 4);
}

/* The type byte of an object that gets a reference index. */
static void put_flagged(struct pa_marshal *m, char type)
{
    put_byte(m, (unsigned char)type | FLAG_REF);
    m->nrefs++;
}

static void put_ref(struct pa_marshal *m, uint32_t index)
{
    put_byte(m, 'r');
    put_u32(m, index);
}

void pa_marshal_dict_begin(struct pa_marshal *m, bool shared)
{
    if (shared)
        put_flagged(m, '{');
    else
        put_byte(m, '{');
}

void pa_marshal_dict_end(struct pa_marshal *m)
{
    put_byte(m, '0'); /* TYPE_NULL ends a dict */
}

void pa_marshal_tuple(struct pa_marshal *m, size_t n)
{
    if (n < 256) {
        put_byte(m, ')'); /* TYPE_SMALL_TUPLE, version 4 */
        put_byte(m, (unsigned char)n);
    } else {
        put_byte(m, '(');
        put_u32(m, (uint32_t)n);
    }
}

/* TYPE_LONG: sign and count of 15-bit digits, then the digits, least significant first. */
static void put_long(struct pa_marshal *m, int64_t value, char type_byte)
{
    uint64_t mag = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    uint16_t digits[5];
    int n = 0;
    while (mag != 0) {
        digits[n++] = mag & 0x7fff;
        mag >>= 15;
    }
    put_byte(m, (unsigned char)type_byte);
    put_u32(m, (uint32_t)(value < 0 ? -n : n));
    for (int i = 0; i < n; i++) {
        unsigned char b[2] = {digits[i] & 0xff, digits[i] >> 8};
        put(m, b, 2);
    }
}

void pa_marshal_int(struct pa_marshal *m, int64_t value)
{
    bool small = value >= -5 && value <= m->small_int_max;
    if (small) {
        uint32_t *ref = &m->small_int_refs[value + 5];
        if (*ref != 0) {
            put_ref(m, *ref - 1);
            return;
        }
        *ref = m->nrefs + 1;
    }
    char type = value >= INT32_MIN && value <= INT32_MAX ? 'i' : 'l';
    unsigned char flag = small ? FLAG_REF : 0;
    if (small)
        m->nrefs++;
    if (type == 'l') {
        put_long(m, value, 'l');
        return;
    }
    put_byte(m, (unsigned char)'i' | flag);
    put_u32(m, (uint32_t)(int32_t)value);
}

void pa_marshal_float(struct pa_marshal *m, double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    unsigned char b[9] = {'g'}; /* TYPE_BINARY_FLOAT, IEEE 754 little-endian */
    for (int i = 0; i < 8; i++)
        b[1 + i] = (bits >> (8 * i)) & 0xff;
    put(m, b, sizeof b);
}

static bool remember_string(struct pa_marshal *m, uint32_t id)
{
    if (id >= m->nstring_refs) {
        size_t n = m->nstring_refs ? m->nstring_refs : 256;
        while (n <= id)
            n *= 2;
        uint32_t *grown = realloc(m->string_refs, n * sizeof *grown);
        if (grown == NULL) {
            m->failed = true;
            return false;
        }
        memset(grown + m->nstring_refs, 0, (n - m->nstring_refs) * sizeof *grown);
        m->string_refs = grown;
        m->nstring_refs = n;
    }
    m->string_refs[id] = m->nrefs + 1;
    return true;
}

void pa_marshal_string(struct pa_marshal *m, uint32_t id, const char *text, size_t len)
{
    if (id < m->nstring_refs && m->string_refs[id] != 0) {
        put_ref(m, m->string_refs[id] - 1);
        return;
    }
    if (!remember_string(m, id))
        return;
    const unsigned char *s = (const unsigned char *)text;
    bool ascii = true, valid = true;
    for (size_t i = 0; i < len;) {
        size_t n = pa_utf8_sequence(s + i, len - i, true);
        if (n == 0) {
            valid = false;
            n = 1;
        }
        if (n > 1 || s[i] >= 0x80)
            ascii = false;
        i += n;
    }
    if (ascii && len < 256) {
        put_flagged(m, 'Z'); /* TYPE_SHORT_ASCII_INTERNED */
        put_byte(m, (unsigned char)len);
        put(m, s, len);
        return;
    }
    put_flagged(m, ascii ? 'A' : 't'); /* TYPE_ASCII_INTERNED / TYPE_INTERNED (UTF-8) */
    if (valid) {
        put_u32(m, (uint32_t)len);
        put(m, s, len);
        return;
    }
    size_t out = 0;
    for (size_t i = 0; i < len;) {
        size_t n = pa_utf8_sequence(s + i, len - i, true);
        out += n ? n : 3;
        i += n ? n : 1;
    }
    put_u32(m, (uint32_t)out);
    for (size_t i = 0; i < len;) {
        size_t n = pa_utf8_sequence(s + i, len - i, true);
        if (n == 0)
            put(m, "\xef\xbf\xbd", 3);
        else
            put(m, s + i, n);
        i += n ? n : 1;
    }
}
