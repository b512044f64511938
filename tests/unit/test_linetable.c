/* Unit tests for py_line_for_offset: hand-encoded tables of each model, including
 * malformed and truncated ones, and random tables that must never be over-read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "python_frames/linetable.h"

/* Copies the table into a heap block of exactly its size, so that AddressSanitizer
 * flags any read past the end. */
static int line_at(enum py_linetable_model model, const uint8_t *bytes, size_t len, int first,
                   int offset)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len)
        memcpy(copy, bytes, len);
    int line = py_line_for_offset(model, len ? copy : NULL, len, first, offset);
    free(copy);
    return line;
}

#define LNOTAB(t, off) line_at(PY_LINES_LNOTAB, t, sizeof t, 10, off)
#define LT310(t, off) line_at(PY_LINES_LINETABLE, t, sizeof t, 10, off)
#define LOC(t, off) line_at(PY_LINES_LOCATIONS, t, sizeof t, 10, off)

/* ---- 3.6 - 3.9 co_lnotab ---- */

static void lnotab_empty_table_is_first_line(void **state)
{
    (void)state;
    assert_int_equal(line_at(PY_LINES_LNOTAB, NULL, 0, 7, 0), 7);
    assert_int_equal(line_at(PY_LINES_LNOTAB, NULL, 0, 7, 100), 7);
}

static void lnotab_increments(void **state)
{
    (void)state;
    static const uint8_t t[] = {6, 1, 8, 2};
    assert_int_equal(LNOTAB(t, 0), 10);
    assert_int_equal(LNOTAB(t, 4), 10);
    assert_int_equal(LNOTAB(t, 6), 11);
    assert_int_equal(LNOTAB(t, 12), 11);
    assert_int_equal(LNOTAB(t, 14), 13);
    /* The table does not know the code length: the last line stays in force. */
    assert_int_equal(LNOTAB(t, 1000), 13);
}

static void lnotab_signed_line_increment(void **state)
{
    (void)state;
    static const uint8_t t[] = {4, 5, 4, 0xFD /* -3 */, 2, 0x80 /* -128 */};
    assert_int_equal(LNOTAB(t, 0), 10);
    assert_int_equal(LNOTAB(t, 4), 15);
    assert_int_equal(LNOTAB(t, 8), 12);
    /* 12 - 128 is negative: no line. */
    assert_int_equal(LNOTAB(t, 10), -1);
    static const uint8_t big[] = {4, 0x80, 0, 0x80, 2, 1};
    assert_int_equal(line_at(PY_LINES_LNOTAB, big, sizeof big, 1000, 4), 744);
    assert_int_equal(line_at(PY_LINES_LNOTAB, big, sizeof big, 1000, 6), 745);
}

static void lnotab_long_jumps(void **state)
{
    (void)state;
    /* Line steps over 127 and byte steps over 255 take several pairs. */
    static const uint8_t t[] = {2, 127, 0, 127, 0, 46, 255, 0, 45, 1};
    assert_int_equal(LNOTAB(t, 0), 10);
    assert_int_equal(LNOTAB(t, 2), 310);
    assert_int_equal(LNOTAB(t, 256), 310);
    assert_int_equal(LNOTAB(t, 300), 310);
    assert_int_equal(LNOTAB(t, 302), 311);
}

static void lnotab_malformed(void **state)
{
    (void)state;
    static const uint8_t odd[] = {2, 1, 4};
    assert_int_equal(LNOTAB(odd, 0), -1);
    static const uint8_t t[] = {2, 1};
    assert_int_equal(LNOTAB(t, -2), -1);
    assert_int_equal(py_line_for_offset(PY_LINES_LNOTAB, NULL, 4, 1, 0), -1);
}

/* ---- 3.10 co_linetable ---- */

static void linetable_ranges(void **state)
{
    (void)state;
    /* Each pair's line delta applies to its own range [start, start + bytes). */
    static const uint8_t t[] = {6, 1, 8, 2};
    assert_int_equal(LT310(t, 0), 11);
    assert_int_equal(LT310(t, 4), 11);
    assert_int_equal(LT310(t, 6), 13);
    assert_int_equal(LT310(t, 12), 13);
    assert_int_equal(LT310(t, 14), -1); /* past the table */
}

static void linetable_no_line_marker(void **state)
{
    (void)state;
    /* -128: no line for the range, and the running line is left as it was. */
    static const uint8_t t[] = {4, 1, 2, 0x80, 4, 1, 2, 0xFE /* -2 */};
    assert_int_equal(LT310(t, 0), 11);
    assert_int_equal(LT310(t, 4), -1);
    assert_int_equal(LT310(t, 6), 12);
    assert_int_equal(LT310(t, 8), 12);
    assert_int_equal(LT310(t, 10), 10);
}

static void linetable_empty_ranges_carry_deltas(void **state)
{
    (void)state;
    /* Line steps over 127 use empty ranges; byte steps over 254 use line delta 0. */
    static const uint8_t t[] = {0, 127, 0, 127, 4, 46, 254, 0, 2, 0x81 /* -127 */};
    assert_int_equal(LT310(t, 0), 310);
    assert_int_equal(LT310(t, 2), 310);
    assert_int_equal(LT310(t, 4), 310);
    assert_int_equal(LT310(t, 257), 310);
    assert_int_equal(LT310(t, 258), 183);
    assert_int_equal(LT310(t, 260), -1);
}

static void linetable_malformed(void **state)
{
    (void)state;
    static const uint8_t odd[] = {4, 1, 4};
    assert_int_equal(LT310(odd, 0), -1);
    assert_int_equal(line_at(PY_LINES_LINETABLE, NULL, 0, 5, 0), -1);
    static const uint8_t negative[] = {4, 0x8A /* -118 */};
    assert_int_equal(LT310(negative, 0), -1);
    static const uint8_t t[] = {4, 1};
    assert_int_equal(LT310(t, -1), -1);
}

/* ---- 3.11+ location table ---- */

/* A table with one entry of each kind, firstlineno 10. */
static const uint8_t every_kind[] = {
    0x80, 0x05,                   /* short form 0, 1 unit: [0,2) line 10 */
    0xDA, 0x04, 0x08,             /* one-line form +1, 3 units: [2,8) line 11 */
    0xE8, 0x07,                   /* no columns, svarint -3: [8,10) line 8 */
    0xF1, 0x50, 0x06, 0x00, 0x01, 0x05, /* long form, +200 (400 = 16 + 6 << 6), 2 units: [10,14) line 208 */
    0xF8,                         /* no location, 1 unit: [14,16) None */
    0xD0, 0x00, 0x01,             /* one-line form +0: [16,18) line 208 (kept across None) */
    0xDF, 0x02, 0x03,             /* one-line form +1, 8 units: [18,34) line 209 */
};

static void locations_every_kind(void **state)
{
    (void)state;
    const uint8_t *t = every_kind;
    size_t n = sizeof every_kind;
    static const int expect[][2] = {
        {0, 10}, {2, 11}, {6, 11}, {8, 8}, {10, 208}, {12, 208}, {14, -1},
        {16, 208}, {18, 209}, {32, 209}, {34, -1}, {1000, -1},
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++)
        assert_int_equal(line_at(PY_LINES_LOCATIONS, t, n, 10, expect[i][0]), expect[i][1]);
}

static void locations_varints(void **state)
{
    (void)state;
    /* svarint -1000: 2001 = 17 + 31 << 6 ; then +69968: 139936 = 32 + 10 << 6 + 34 << 12 */
    static const uint8_t t[] = {0xE8, 0x40 | 17, 31, 0xE8, 0x40 | 32, 0x40 | 10, 34};
    assert_int_equal(line_at(PY_LINES_LOCATIONS, t, sizeof t, 5000, 0), 4000);
    assert_int_equal(line_at(PY_LINES_LOCATIONS, t, sizeof t, 5000, 2),
                     4000 + (32 + (10 << 6) + (34 << 12)) / 2);
}

static void locations_short_forms_keep_line(void **state)
{
    (void)state;
    /* Codes 0-9 (column groups) all mean "same line". */
    uint8_t t[20];
    for (int code = 0; code < 10; code++) {
        t[2 * code] = (uint8_t)(0x80 | code << 3);
        t[2 * code + 1] = 0x12;
    }
    for (int off = 0; off < 20; off += 2)
        assert_int_equal(LOC(t, off), 10);
    assert_int_equal(LOC(t, 20), -1);
}

static void locations_malformed(void **state)
{
    (void)state;
    static const uint8_t no_start_bit[] = {0x05, 0x80, 0x01};
    assert_int_equal(LOC(no_start_bit, 0), -1);
    /* Entries before a broken one still decode; the broken one and later do not. */
    static const uint8_t cut_varint[] = {0x80, 0x05, 0xE8, 0x47};
    assert_int_equal(LOC(cut_varint, 0), 10);
    assert_int_equal(LOC(cut_varint, 2), -1);
    static const uint8_t cut_short[] = {0x80};
    assert_int_equal(LOC(cut_short, 0), -1);
    static const uint8_t cut_one_line[] = {0xD8, 0x01};
    assert_int_equal(LOC(cut_one_line, 0), -1);
    static const uint8_t cut_long[] = {0xF0, 0x02, 0x00, 0x01};
    assert_int_equal(LOC(cut_long, 0), -1);
    static const uint8_t varint_into_next[] = {0xE8, 0x41, 0x80, 0x00};
    assert_int_equal(LOC(varint_into_next, 0), -1);
    static const uint8_t column_with_bit7[] = {0xD0, 0x81, 0x02};
    assert_int_equal(LOC(column_with_bit7, 0), -1);
    static const uint8_t huge_varint[] = {0xE8, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x01};
    assert_int_equal(LOC(huge_varint, 0), -1);
    static const uint8_t below_zero[] = {0xE8, 0x17 /* -11 */};
    assert_int_equal(LOC(below_zero, 0), -1);
    assert_int_equal(LOC(every_kind, -2), -1);
    assert_int_equal(line_at(PY_LINES_LOCATIONS, NULL, 0, 1, 0), -1);
    assert_int_equal(py_line_for_offset((enum py_linetable_model)42, every_kind,
                                        sizeof every_kind, 1, 0), -1);
}

/* ---- all models: random bytes must never be read out of bounds ---- */

static uint32_t xorshift(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void random_tables_stay_in_bounds(void **state)
{
    (void)state;
    uint32_t seed = 0x9E3779B9u;
    uint8_t table[64];
    for (int round = 0; round < 20000; round++) {
        size_t len = xorshift(&seed) % sizeof table;
        for (size_t i = 0; i < len; i++)
            table[i] = (uint8_t)xorshift(&seed);
        int offset = (int)(xorshift(&seed) % 600) - 4;
        for (int model = PY_LINES_LNOTAB; model <= PY_LINES_LOCATIONS; model++) {
            int line = line_at((enum py_linetable_model)model, table, len, 100, offset);
            assert_true(line >= -1);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lnotab_empty_table_is_first_line),
        cmocka_unit_test(lnotab_increments),
        cmocka_unit_test(lnotab_signed_line_increment),
        cmocka_unit_test(lnotab_long_jumps),
        cmocka_unit_test(lnotab_malformed),
        cmocka_unit_test(linetable_ranges),
        cmocka_unit_test(linetable_no_line_marker),
        cmocka_unit_test(linetable_empty_ranges_carry_deltas),
        cmocka_unit_test(linetable_malformed),
        cmocka_unit_test(locations_every_kind),
        cmocka_unit_test(locations_varints),
        cmocka_unit_test(locations_short_forms_keep_line),
        cmocka_unit_test(locations_malformed),
        cmocka_unit_test(random_tables_stay_in_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
