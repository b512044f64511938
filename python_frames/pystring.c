/* str and bytes objects of the target: PEP 393 compact strings copied out and decoded
 * to UTF-8, and bytes objects copied out, with every remote length capped. */
#include "python_frames/pystring.h"

#include <stdlib.h>
#include <string.h>

/* PyASCIIObject.state (3.3 - 3.15, GIL builds): interned:2, kind:3, compact:1, ascii:1,
 * then ready:1 (<= 3.11) or statically_allocated:1 (>= 3.12). GCC on x86-64 allocates
 * bitfields from the least significant bit. (Free-threaded 3.14t+ makes `interned` a
 * whole byte, moving the rest up: such builds are refused, see debug_offsets.c.) */
#define STATE_KIND(s) (((s) >> 2) & 7u)
#define STATE_COMPACT(s) (((s) >> 5) & 1u)
#define STATE_ASCII(s) (((s) >> 6) & 1u)

#define HEADER_MAX 256 /* no PyASCIIObject field lies further in */

static uint32_t code_point(const uint8_t *data, size_t i, int kind)
{
    if (kind == 1)
        return data[i];
    if (kind == 2) {
        uint16_t u;
        memcpy(&u, data + 2 * i, sizeof u);
        return u;
    }
    uint32_t u;
    memcpy(&u, data + 4 * i, sizeof u);
    return u;
}

/* Encodes c as UTF-8 into buf (4 bytes); surrogates and values past U+10FFFF, which
 * a str can hold but UTF-8 cannot, become U+FFFD. Returns the byte count. */
static size_t encode_utf8(uint32_t c, char *buf)
{
    if ((c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
        c = 0xFFFD;
    if (c < 0x80) {
        buf[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        buf[0] = (char)(0xC0 | (c >> 6));
        buf[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        buf[0] = (char)(0xE0 | (c >> 12));
        buf[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        buf[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    buf[0] = (char)(0xF0 | (c >> 18));
    buf[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    buf[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    buf[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* Stops before a character that would not fit whole, so the output never ends in
 * a cut UTF-8 sequence. */
size_t py_ucs_to_utf8(const void *data, size_t length, int kind, char *out, size_t out_size)
{
    if (out == NULL || out_size == 0)
        return 0;
    size_t n = 0;
    if (data != NULL && (kind == 1 || kind == 2 || kind == 4)) {
        for (size_t i = 0; i < length; i++) {
            char buf[4];
            size_t k = encode_utf8(code_point(data, i, kind), buf);
            if (out_size - 1 - n < k)
                break;
            memcpy(out + n, buf, k);
            n += k;
        }
    }
    out[n] = '\0';
    return n;
}

static int field_ok(int32_t offset, size_t width)
{
    return offset >= 0 && (size_t)offset + width <= HEADER_MAX;
}

/* A compact str's length, kind and where its data starts, checked. */
static enum pa_status string_head(struct pa_reader *reader, const struct py_layout *layout, uint64_t addr,
                                  int64_t *length, unsigned *kind, uint64_t *data_addr, struct pa_error *err)
{
    const int32_t length_off = layout->unicode_object.length;
    const int32_t state_off = layout->unicode_object.state;
    if (!field_ok(length_off, 8) || !field_ok(state_off, 4))
        return pa_fail(err, PA_E_INTERNAL, "str layout has bad offsets (length %d, state %d)",
                       (int)length_off, (int)state_off);

    /* One read for both fields: length and state sit together at the object's start. */
    uint8_t header[HEADER_MAX];
    size_t header_len = (size_t)length_off + 8;
    if ((size_t)state_off + 4 > header_len)
        header_len = (size_t)state_off + 4;
    enum pa_status st = pa_read(reader, addr, header, header_len, err);
    if (st != PA_OK)
        return st;
    uint32_t state;
    memcpy(length, header + length_off, sizeof *length);
    memcpy(&state, header + state_off, sizeof state);

    *kind = STATE_KIND(state);
    if (!STATE_COMPACT(state))
        return pa_fail(err, PA_E_CORRUPT, "str at 0x%llx is not compact (state 0x%x)",
                       (unsigned long long)addr, state);
    if ((*kind != 1 && *kind != 2 && *kind != 4) || (STATE_ASCII(state) && *kind != 1))
        return pa_fail(err, PA_E_CORRUPT, "str at 0x%llx has a bad kind (state 0x%x)",
                       (unsigned long long)addr, state);
    if (*length < 0)
        return pa_fail(err, PA_E_CORRUPT, "str at 0x%llx has length %lld", (unsigned long long)addr,
                       (long long)*length);
    /* Compact data follows the struct: PyASCIIObject for pure ASCII, otherwise
     * PyCompactUnicodeObject (whose size shrank in 3.12 when wstr went away). */
    int32_t data_off = STATE_ASCII(state) ? layout->unicode_object.ascii_size
                                          : layout->unicode_object.compact_size;
    if (data_off <= 0)
        return pa_fail(err, PA_E_INTERNAL, "str layout has no data offset");
    *data_addr = addr + (uint64_t)data_off;
    return PA_OK;
}

enum pa_status py_read_string(struct pa_reader *reader, const struct py_layout *layout,
                              uint64_t addr, char **out, struct pa_error *err)
{
    int64_t length;
    unsigned kind;
    uint64_t data_addr;
    enum pa_status st = string_head(reader, layout, addr, &length, &kind, &data_addr, err);
    if (st != PA_OK)
        return st;
    if (length > PY_STRING_MAX_CHARS)
        return pa_fail(err, PA_E_CORRUPT, "str at 0x%llx has length %lld (limit %d)",
                       (unsigned long long)addr, (long long)length, PY_STRING_MAX_CHARS);
    size_t data_len = (size_t)length * kind;
    uint8_t *data = malloc(data_len ? data_len : 1);
    char *text = malloc(4 * (size_t)length + 1);
    if (data == NULL || text == NULL) {
        free(data);
        free(text);
        return pa_fail(err, PA_E_NOMEM, "out of memory for a str of %lld characters",
                       (long long)length);
    }
    st = data_len ? pa_read(reader, data_addr, data, data_len, err) : PA_OK;
    if (st != PA_OK) {
        free(data);
        free(text);
        return st;
    }
    py_ucs_to_utf8(data, (size_t)length, (int)kind, text, 4 * (size_t)length + 1);
    free(data);
    *out = text;
    return PA_OK;
}

enum pa_status py_read_string_head(struct pa_reader *reader, const struct py_layout *layout, uint64_t addr,
                                   uint32_t *chars, size_t max_chars, size_t *count, uint64_t *length,
                                   struct pa_error *err)
{
    int64_t total = 0;
    unsigned kind = 0;
    uint64_t data_addr = 0;
    enum pa_status st = string_head(reader, layout, addr, &total, &kind, &data_addr, err);
    if (st != PA_OK)
        return st;
    size_t n = (uint64_t)total < max_chars ? (size_t)total : max_chars;
    uint8_t data[4 * PY_STRING_HEAD_MAX];
    if (n > PY_STRING_HEAD_MAX)
        return pa_fail(err, PA_E_INTERNAL, "py_read_string_head: %zu characters asked", n);
    if (n > 0 && (st = pa_read(reader, data_addr, data, n * kind, err)) != PA_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        chars[i] = code_point(data, i, (int)kind);
    *count = n;
    *length = (uint64_t)total;
    return PA_OK;
}

enum pa_status py_read_bytes(struct pa_reader *reader, const struct py_layout *layout,
                             uint64_t addr, uint8_t **out, size_t *len, struct pa_error *err)
{
    const int32_t size_off = layout->object.ob_size;
    const int32_t sval_off = layout->bytes_object.ob_sval;
    if (size_off < 0 || sval_off <= 0)
        return pa_fail(err, PA_E_INTERNAL, "bytes layout has bad offsets (ob_size %d, ob_sval %d)",
                       (int)size_off, (int)sval_off);
    int64_t size;
    enum pa_status st = pa_read(reader, addr + (uint64_t)size_off, &size, sizeof size, err);
    if (st != PA_OK)
        return st;
    if (size < 0 || size > PY_BYTES_MAX_LEN)
        return pa_fail(err, PA_E_CORRUPT, "bytes at 0x%llx has size %lld (limit %d)",
                       (unsigned long long)addr, (long long)size, PY_BYTES_MAX_LEN);
    uint8_t *data = malloc(size ? (size_t)size : 1);
    if (data == NULL)
        return pa_fail(err, PA_E_NOMEM, "out of memory for bytes of size %lld", (long long)size);
    st = size ? pa_read(reader, addr + (uint64_t)sval_off, data, (size_t)size, err) : PA_OK;
    if (st != PA_OK) {
        free(data);
        return st;
    }
    *out = data;
    *len = (size_t)size;
    return PA_OK;
}
