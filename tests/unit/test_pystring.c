/* Unit tests for py_read_string / py_read_bytes / py_ucs_to_utf8: PEP 393 objects laid
 * out by hand in a fake address space, for the 3.11 and 3.12 struct sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "python_frames/pystring.h"

/* ---- a fake target: one buffer served at a base address ---- */

#define BASE 0x7f0000001000ull
#define SPACE 65536

struct fake_space {
    uint64_t base;
    uint8_t *bytes;
    size_t size;
};

static enum pa_status fake_read(struct pa_reader *reader, uint64_t addr, void *buf, size_t len,
                                struct pa_error *err)
{
    struct fake_space *space = reader->context;
    if (addr < space->base || addr - space->base > space->size ||
        len > space->size - (addr - space->base))
        return pa_fail(err, PA_E_READ, "fake read of %zu bytes at 0x%llx: not mapped", len,
                       (unsigned long long)addr);
    memcpy(buf, space->bytes + (addr - space->base), len);
    return PA_OK;
}

struct fixture {
    struct fake_space space;
    struct pa_reader reader;
    struct pa_error err;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->space.base = BASE;
    f->space.size = SPACE;
    f->space.bytes = calloc(1, SPACE);
    f->reader.read = fake_read;
    f->reader.context = &f->space;
    *state = f;
    return f->space.bytes ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    free(f->space.bytes);
    free(f);
    return 0;
}

/* PyASCIIObject: ob_refcnt, ob_type, length @16, hash @24, state @32; 3.11 adds wstr
 * (size 48) and PyCompactUnicodeObject adds utf8_length, utf8, wstr_length (72);
 * 3.12 dropped the wstr fields (40 and 56). */
static struct py_layout layout_311(void)
{
    struct py_layout l;
    memset(&l, 0, sizeof l);
    l.object.ob_type = 8;
    l.object.ob_size = 16;
    l.unicode_object.length = 16;
    l.unicode_object.state = 32;
    l.unicode_object.ascii_size = 48;
    l.unicode_object.compact_size = 72;
    l.bytes_object.ob_sval = 32;
    return l;
}

static struct py_layout layout_312(void)
{
    struct py_layout l = layout_311();
    l.unicode_object.ascii_size = 40;
    l.unicode_object.compact_size = 56;
    return l;
}

enum { INTERNED = 1u, COMPACT = 1u << 5, ASCII = 1u << 6, READY_311 = 1u << 7 };

static uint32_t state_bits(int kind, uint32_t flags)
{
    return (uint32_t)kind << 2 | flags;
}

/* Writes a str object at offset `at` of the fake space and returns its address. */
static uint64_t put_str(struct fixture *f, const struct py_layout *l, size_t at, int64_t length,
                        uint32_t state, const void *data, size_t data_len)
{
    uint8_t *obj = f->space.bytes + at;
    memcpy(obj + l->unicode_object.length, &length, sizeof length);
    memcpy(obj + l->unicode_object.state, &state, sizeof state);
    size_t data_off = (state & ASCII) ? (size_t)l->unicode_object.ascii_size
                                      : (size_t)l->unicode_object.compact_size;
    memcpy(obj + data_off, data, data_len);
    return BASE + at;
}

static enum pa_status read_str(struct fixture *f, const struct py_layout *l, uint64_t addr,
                               char **out)
{
    pa_error_clear(&f->err);
    *out = NULL;
    return py_read_string(&f->reader, l, addr, out, &f->err);
}

static void expect_str(struct fixture *f, const struct py_layout *l, uint64_t addr,
                       const char *expected)
{
    char *s;
    assert_int_equal(read_str(f, l, addr, &s), PA_OK);
    assert_non_null(s);
    assert_string_equal(s, expected);
    free(s);
}

static void expect_str_status(struct fixture *f, const struct py_layout *l, uint64_t addr,
                              enum pa_status status)
{
    char *s;
    assert_int_equal(read_str(f, l, addr, &s), status);
    assert_null(s);
    assert_int_equal(f->err.status, status);
    assert_true(strlen(f->err.message) > 0);
}

/* ---- py_read_string ---- */

static void ascii_both_layouts(void **state)
{
    struct fixture *f = *state;
    struct py_layout l311 = layout_311(), l312 = layout_312();
    uint64_t a = put_str(f, &l311, 0, 11, state_bits(1, COMPACT | ASCII | READY_311),
                         "hello_world", 11);
    uint64_t b = put_str(f, &l312, 512, 8, state_bits(1, COMPACT | ASCII | INTERNED),
                         "<module>", 8);
    expect_str(f, &l311, a, "hello_world");
    expect_str(f, &l312, b, "<module>");
    /* Read with the other version's layout, the data is at the wrong place. */
    char *s;
    assert_int_equal(read_str(f, &l312, a, &s), PA_OK);
    assert_string_not_equal(s, "hello_world");
    free(s);
}

static void reads_are_few(void **state)
{
    struct fixture *f = *state;
    struct py_layout l = layout_312();
    uint64_t a = put_str(f, &l, 0, 4, state_bits(1, COMPACT | ASCII), "main", 4);
    f->reader.reads = 0;
    expect_str(f, &l, a, "main");
    assert_int_equal(f->reader.reads, 2); /* header, then data */
}

static void empty_string(void **state)
{
    struct fixture *f = *state;
    struct py_layout l = layout_312();
    uint64_t a = put_str(f, &l, 0, 0, state_bits(1, COMPACT | ASCII), "", 0);
    expect_str(f, &l, a, "");
}

static void latin1_non_ascii(void **state)
{
    struct fixture *f = *state;
    struct py_layout l = layout_311();
    static const uint8_t data[] = {'c', 'a', 'f', 0xE9, 0xFF};
    uint64_t a = put_str(f, &l, 0, 5, state_bits(1, COMPACT | READY_311), data, sizeof data);
    expect_str(f, &l, a, "caf\xC3\xA9\xC3\xBF");
}

static void ucs2_cjk(void **state)
{
    struct fixture *f = *state;
    struct py_layout l = layout_312();
    static const uint16_t data[] = {0x65E5, 0x672C, 0x8A9E, 0x0041, 0x00E9}; /* 日本語Aé */
    uint64_t a = put_str(f, &l, 0, 5, state_bits(2, COMPACT), data, sizeof data);
    expect_str(f, &l, a, "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E" "A\xC3\xA9");
}

static void ucs4_emoji(void **state)
{
    struct fixture *f = *state;
    struct py_layout l = layout_311();
    static const uint32_t data[] = {0x1F600, 'x', 0x10FFFF};
    uint64_t a = put_str(f, &l, 0, 3, state_bits(4, COMPACT | READY_311), data, sizeof data);
    expect_str(f, &l, a, "\xF0\x9F\x98\x80x\xF4\x8F\xBF\xBF");
}

static void surrogates_become_replacement(void **state)
{
    struct fixture *f = *state;
    struct py_layout l = layout_312();
    /* A str may hold lone surrogates ("\udcff" from surrogateescape); UTF-8 cannot. */
    static const uint16_t ucs2[] = {'a', 0xD800, 0xDFFF, 'b'};
    uint64_t a = put_str(f, &l, 0, 4, state_bits(2, COMPACT), ucs2, sizeof ucs2);
    expect_str(f, &l, a, "a\xEF\xBF\xBD\xEF\xBF\xBD" "b");
    static const uint32_t ucs4[] = {0xDC80, 0x110000, 0x1F600};
    uint64_t b = put_str(f, &l, 512, 3, state_bits(4, COMPACT), ucs4, sizeof ucs4);
    expect_str(f, &l, b, "\xEF\xBF\xBD\xEF\xBF\xBD\xF0\x9F\x98\x80");
}

static void length_limits(void **state)
{
    struct fixture *f = *state;
    struct py_layout l = layout_312();
    char *big = malloc(PY_STRING_MAX_CHARS + 1);
    memset(big, 'z', PY_STRING_MAX_CHARS);
    big[PY_STRING_MAX_CHARS] = '\0';
    uint64_t a = put_str(f, &l, 0, PY_STRING_MAX_CHARS, state_bits(1, COMPACT | ASCII), big,
                         PY_STRING_MAX_CHARS);
    expect_str(f, &l, a, big);
    uint64_t b = put_str(f, &l, 8192, PY_STRING_MAX_CHARS + 1, state_bits(1, COMPACT | ASCII),
                         big, PY_STRING_MAX_CHARS);
    expect_str_status(f, &l, b, PA_E_CORRUPT);
    uint64_t c = put_str(f, &l, 16384, INT64_MAX, state_bits(4, COMPACT), "", 0);
    expect_str_status(f, &l, c, PA_E_CORRUPT);
    uint64_t d = put_str(f, &l, 20480, -1, state_bits(1, COMPACT | ASCII), "", 0);
    expect_str_status(f, &l, d, PA_E_CORRUPT);
    free(big);
}

static void bad_state(void **state)
{
    struct fixture *f = *state;
    struct py_layout l = layout_311();
    uint64_t legacy = put_str(f, &l, 0, 3, state_bits(1, ASCII | READY_311), "abc", 3);
    expect_str_status(f, &l, legacy, PA_E_CORRUPT);
    uint64_t kind3 = put_str(f, &l, 512, 3, state_bits(3, COMPACT), "abcdefghi", 9);
    expect_str_status(f, &l, kind3, PA_E_CORRUPT);
    uint64_t kind0 = put_str(f, &l, 1024, 3, state_bits(0, COMPACT), "abc", 3);
    expect_str_status(f, &l, kind0, PA_E_CORRUPT);
    uint64_t ascii_ucs2 = put_str(f, &l, 1536, 1, state_bits(2, COMPACT | ASCII), "ab", 2);
    expect_str_status(f, &l, ascii_ucs2, PA_E_CORRUPT);
}

static void unreadable(void **state)
{
    struct fixture *f = *state;
    struct py_layout l = layout_312();
    expect_str_status(f, &l, 0x10, PA_E_READ);
    expect_str_status(f, &l, BASE + SPACE - 8, PA_E_READ); /* header runs off the end */
    /* Header readable, data not: a plausible length past the end of the mapping. */
    uint64_t a = put_str(f, &l, SPACE - 64, 1000, state_bits(1, COMPACT | ASCII), "x", 1);
    expect_str_status(f, &l, a, PA_E_READ);
}

/* ---- py_read_bytes ---- */

static uint64_t put_bytes(struct fixture *f, const struct py_layout *l, size_t at, int64_t size,
                          const void *data, size_t data_len)
{
    uint8_t *obj = f->space.bytes + at;
    memcpy(obj + l->object.ob_size, &size, sizeof size);
    memcpy(obj + l->bytes_object.ob_sval, data, data_len);
    return BASE + at;
}

static enum pa_status read_bytes(struct fixture *f, const struct py_layout *l, uint64_t addr,
                                 uint8_t **out, size_t *len)
{
    pa_error_clear(&f->err);
    *out = NULL;
    *len = 12345;
    return py_read_bytes(&f->reader, l, addr, out, len, &f->err);
}

static void bytes_ok(void **state)
{
    struct fixture *f = *state;
    struct py_layout l = layout_312();
    static const uint8_t table[] = {0x80, 0x00, 0xD8, 0x05, 0x0A, 0xFF};
    uint64_t a = put_bytes(f, &l, 0, sizeof table, table, sizeof table);
    uint8_t *out;
    size_t len;
    assert_int_equal(read_bytes(f, &l, a, &out, &len), PA_OK);
    assert_int_equal(len, sizeof table);
    assert_memory_equal(out, table, sizeof table);
    free(out);
    uint64_t empty = put_bytes(f, &l, 512, 0, "", 0);
    assert_int_equal(read_bytes(f, &l, empty, &out, &len), PA_OK);
    assert_non_null(out);
    assert_int_equal(len, 0);
    free(out);
}

static void bytes_bad(void **state)
{
    struct fixture *f = *state;
    struct py_layout l = layout_311();
    uint8_t *out;
    size_t len;
    uint64_t huge = put_bytes(f, &l, 0, (int64_t)PY_BYTES_MAX_LEN + 1, "", 0);
    assert_int_equal(read_bytes(f, &l, huge, &out, &len), PA_E_CORRUPT);
    assert_null(out);
    assert_int_equal(len, 12345);
    uint64_t negative = put_bytes(f, &l, 512, -5, "", 0);
    assert_int_equal(read_bytes(f, &l, negative, &out, &len), PA_E_CORRUPT);
    assert_int_equal(read_bytes(f, &l, 0x1000, &out, &len), PA_E_READ);
    assert_true(strlen(f->err.message) > 0);
    uint64_t past_end = put_bytes(f, &l, SPACE - 64, 4096, "", 0);
    assert_int_equal(read_bytes(f, &l, past_end, &out, &len), PA_E_READ);
    assert_null(out);
}

/* ---- py_ucs_to_utf8 ---- */

static void utf8_output_bounds(void **state)
{
    (void)state;
    static const uint32_t text[] = {'a', 0x20AC, 0x1F600}; /* a € 😀 : 1 + 3 + 4 bytes */
    /* Exactly-sized heap buffers, so AddressSanitizer sees any overrun. */
    for (size_t cap = 1; cap <= 10; cap++) {
        char *out = malloc(cap);
        size_t n = py_ucs_to_utf8(text, 3, 4, out, cap);
        size_t expect = cap >= 9 ? 8 : cap >= 5 ? 4 : cap >= 2 ? 1 : 0;
        assert_int_equal(n, expect);
        assert_int_equal(out[n], '\0');
        free(out);
    }
    char out[16];
    assert_int_equal(py_ucs_to_utf8(text, 3, 4, out, sizeof out), 8);
    assert_string_equal(out, "a\xE2\x82\xAC\xF0\x9F\x98\x80");
    assert_int_equal(py_ucs_to_utf8(text, 3, 3, out, sizeof out), 0); /* no kind 3 */
    assert_string_equal(out, "");
    assert_int_equal(py_ucs_to_utf8(text, 3, 4, out, 0), 0);
    assert_int_equal(py_ucs_to_utf8(NULL, 3, 1, out, sizeof out), 0);
    static const uint8_t latin1[] = {0x7F, 0x80};
    assert_int_equal(py_ucs_to_utf8(latin1, 2, 1, out, sizeof out), 3);
    assert_string_equal(out, "\x7F\xC2\x80");
    static const uint16_t edges[] = {0x7FF, 0x800, 0xFFFF};
    assert_int_equal(py_ucs_to_utf8(edges, 3, 2, out, sizeof out), 8);
    assert_string_equal(out, "\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(ascii_both_layouts, setup, teardown),
        cmocka_unit_test_setup_teardown(reads_are_few, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_string, setup, teardown),
        cmocka_unit_test_setup_teardown(latin1_non_ascii, setup, teardown),
        cmocka_unit_test_setup_teardown(ucs2_cjk, setup, teardown),
        cmocka_unit_test_setup_teardown(ucs4_emoji, setup, teardown),
        cmocka_unit_test_setup_teardown(surrogates_become_replacement, setup, teardown),
        cmocka_unit_test_setup_teardown(length_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_state, setup, teardown),
        cmocka_unit_test_setup_teardown(unreadable, setup, teardown),
        cmocka_unit_test_setup_teardown(bytes_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(bytes_bad, setup, teardown),
        cmocka_unit_test(utf8_output_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
