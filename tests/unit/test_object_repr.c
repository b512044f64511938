/* dump --locals' value texts (python_frames/object_repr.c) from a synthetic address
 * space, for every layout 3.6 - 3.15: float digits as repr() gives them, str and bytes
 * escaped and cut at PY_REPR_CHARS, ints up to the widest shown and one past it,
 * containers with their length, and memory that cannot be read: the text then says
 * so (or names the type only), never a value made up from what was read. Expected
 * texts are what CPython's repr() prints for the same values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "python_frames/object_repr.h"
#include "tests/support/synthetic_python.h"

#define TPFLAGS_HEAPTYPE (UINT64_C(1) << 9)
#define TPFLAGS_LONG_SUBCLASS (UINT64_C(1) << 24)
#define TPFLAGS_LIST_SUBCLASS (UINT64_C(1) << 25)
#define TPFLAGS_DICT_SUBCLASS (UINT64_C(1) << 29)
#define NAME_SLACK 64 /* bytes mapped after a type's name, as .rodata has */
#define INT_DIGITS_SHOWN 32 /* object_repr.c INT_DIGITS_MAX: 960 bits */

static const int minors[] = {6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
#define MINORS (sizeof minors / sizeof minors[0])

static const struct py_layout *L(struct synth_process *p)
{
    return &p->runtime.layout;
}

static void new_process(struct synth_process *p, int minor)
{
    struct pa_error err = {0};
    if (synth_init(p, minor, &err) != PA_OK)
        fail_msg("3.%d: %s", minor, err.message);
    /* Every layout must say where the fields read for a value are. */
    const struct py_layout *l = L(p);
    if (l->type_object.tp_name < 0 || l->type_object.tp_flags < 0 || l->float_object.ob_fval < 0 ||
        l->long_object.ob_digit <= 0 || l->bytes_object.ob_sval < 0)
        fail_msg("3.%d: the layout lacks a field object_repr reads", minor);
}

/* A type object named `name` (mapped_after: bytes readable after its NUL). */
static uint64_t make_type_at(struct synth_process *p, const char *name, uint64_t flags, size_t mapped_after)
{
    const struct py_layout *l = L(p);
    size_t len = strlen(name) + 1;
    uint64_t text = synth_alloc(p, len + mapped_after);
    fake_memory_put(&p->memory, text, name, len);
    int32_t end = l->type_object.tp_name > l->type_object.tp_flags ? l->type_object.tp_name : l->type_object.tp_flags;
    uint64_t type = synth_alloc(p, (size_t)end + 8);
    fake_memory_put_u64(&p->memory, type + (uint64_t)l->type_object.tp_name, text);
    fake_memory_put_u64(&p->memory, type + (uint64_t)l->type_object.tp_flags, flags);
    return type;
}

static uint64_t make_type(struct synth_process *p, const char *name, uint64_t flags)
{
    return make_type_at(p, name, flags, NAME_SLACK);
}

static void set_type(struct synth_process *p, uint64_t obj, uint64_t type)
{
    fake_memory_put_u64(&p->memory, obj + (uint64_t)L(p)->object.ob_type, type);
}

/* An int of n digits (base 2^30, least significant first) in the layout's form. */
static uint64_t make_int_digits(struct synth_process *p, uint64_t type, const uint32_t *digits, size_t n,
                                bool negative)
{
    const struct py_layout *l = L(p);
    uint64_t addr = synth_alloc(p, (size_t)l->long_object.ob_digit + 4 * (n ? n : 1));
    if (l->long_object.lv_tag >= 0) /* 3.12+: count << 3 | sign (0 positive, 1 zero, 2 negative) */
        fake_memory_put_u64(&p->memory, addr + (uint64_t)l->long_object.lv_tag,
                            (uint64_t)n << 3 | (n == 0 ? 1 : negative ? 2 : 0));
    else
        fake_memory_put_u64(&p->memory, addr + (uint64_t)l->object.ob_size, negative ? -(uint64_t)n : n);
    if (n)
        fake_memory_put(&p->memory, addr + (uint64_t)l->long_object.ob_digit, digits, 4 * n);
    set_type(p, addr, type);
    return addr;
}

static uint64_t make_int(struct synth_process *p, uint64_t type, int64_t value)
{
    uint32_t digits[3];
    size_t n = 0;
    uint64_t magnitude = value < 0 ? -(uint64_t)value : (uint64_t)value;
    for (; magnitude != 0; magnitude >>= 30)
        digits[n++] = (uint32_t)(magnitude & 0x3fffffff);
    return make_int_digits(p, type, digits, n, value < 0);
}

static uint64_t make_float(struct synth_process *p, uint64_t type, double v)
{
    int32_t at = L(p)->float_object.ob_fval;
    uint64_t addr = synth_alloc(p, (size_t)at + sizeof v);
    fake_memory_put(&p->memory, addr + (uint64_t)at, &v, sizeof v);
    set_type(p, addr, type);
    return addr;
}

/* The text py_object_repr gives, and whether it said it could read the object. */
static bool repr_of(struct synth_process *p, uint64_t addr, char *out)
{
    memset(out, 'X', PY_REPR_MAX); /* a text left unterminated shows */
    bool ok = py_object_repr(&p->reader, L(p), addr, out);
    assert_non_null(memchr(out, '\0', PY_REPR_MAX));
    return ok;
}

static void expect_repr(struct synth_process *p, uint64_t addr, const char *want)
{
    char out[PY_REPR_MAX];
    if (!repr_of(p, addr, out))
        fail_msg("3.%d: 0x%llx unreadable (%s), want %s", p->runtime.minor, (unsigned long long)addr, out, want);
    if (strcmp(out, want) != 0)
        fail_msg("3.%d: got %s, want %s", p->runtime.minor, out, want);
}

static void placeholder(const char *name, uint64_t addr, char *out, size_t size)
{
    snprintf(out, size, "<%s at 0x%llx>", name, (unsigned long long)addr);
}

/* ---- float: py_float_repr, and through a float object ---- */

static void test_float_texts(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        {1e22, "1e+22"},
        {12.0, "12.0"},
        {-2.5e-07, "-2.5e-07"},
        {0.1, "0.1"},
        {1e16, "1e+16"},                          /* the first exponent shown with e */
        {1234567890123456.0, "1234567890123456.0"}, /* the last one shown positionally */
        {9999999999999998.0, "9999999999999998.0"},
        {0.0001, "0.0001"},                       /* exponent -4: still positional */
        {0.00001, "1e-05"},
        {-0.0, "-0.0"},
        {5e-324, "5e-324"},                       /* the smallest subnormal */
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {123.456, "123.456"},
        {1.0 / 3, "0.3333333333333333"},         /* 16 digits round-trip, not 17 */
        {100.0, "100.0"},
    };
    char out[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        py_float_repr(cases[i].v, out, sizeof out);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("float %.17g: got %s, want %s", cases[i].v, out, cases[i].want);
    }
    py_float_repr(NAN, out, sizeof out);
    assert_string_equal(out, "nan");
    py_float_repr(INFINITY, out, sizeof out);
    assert_string_equal(out, "inf");
    py_float_repr(-INFINITY, out, sizeof out);
    assert_string_equal(out, "-inf");
}

static void test_float_objects(void **state)
{
    (void)state;
    for (size_t m = 0; m < MINORS; m++) {
        struct synth_process p;
        new_process(&p, minors[m]);
        uint64_t type = make_type(&p, "float", 0);
        expect_repr(&p, make_float(&p, type, -2.5e-07), "-2.5e-07");
        expect_repr(&p, make_float(&p, type, 1e22), "1e+22");
        /* A class of the program named float is not read as a number. */
        uint64_t mine = make_float(&p, make_type(&p, "float", TPFLAGS_HEAPTYPE), 1.5);
        char want[64];
        placeholder("float", mine, want, sizeof want);
        expect_repr(&p, mine, want);
        synth_free(&p);
    }
}

/* ---- str and bytes: escapes, quotes, the cut ---- */

static void test_str_escapes_and_cut(void **state)
{
    (void)state;
    static const struct {
        const char *utf8, *want;
    } cases[] = {
        {"abc", "'abc'"},
        {"", "''"},
        {"it's", "\"it's\""},                         /* ' inside: repr() picks " */
        {"a'b\"c", "'a\\'b\"c'"},                     /* both: ' and ' escaped */
        {"\t\n\r\\", "'\\t\\n\\r\\\\'"},
        {"\x01\x7f", "'\\x01\\x7f'"},
        {"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "'\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80'"}, /* é€😀 as they are */
        /* U+0085, U+00A0, U+00AD, U+2028, U+FFFF: not printable for str.isprintable() */
        {"\xc2\x85\xc2\xa0\xc2\xad\xe2\x80\xa8\xef\xbf\xbf", "'\\x85\\xa0\\xad\\u2028\\uffff'"},
    };
    for (size_t m = 0; m < MINORS; m++) {
        struct synth_process p;
        new_process(&p, minors[m]);
        uint64_t str_type = make_type(&p, "str", 0);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            uint64_t s = synth_str(&p, cases[i].utf8);
            set_type(&p, s, str_type);
            expect_repr(&p, s, cases[i].want);
        }
        /* Cut after PY_REPR_CHARS characters (of each kind: 1, 2 and 4 bytes a
         * character), the full length said after it; exactly PY_REPR_CHARS: no cut. */
        static const char *units[] = {"x", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
        for (size_t u = 0; u < 3; u++) {
            for (size_t len = PY_REPR_CHARS; len <= PY_REPR_CHARS + 20; len += 20) {
                char text[4 * (PY_REPR_CHARS + 20) + 1] = "", want[PY_REPR_MAX] = "'";
                for (size_t i = 0; i < len; i++)
                    strcat(text, units[u]);
                for (size_t i = 0; i < PY_REPR_CHARS; i++)
                    strcat(want, units[u]);
                strcat(want, "'");
                if (len > PY_REPR_CHARS)
                    snprintf(want + strlen(want), sizeof want - strlen(want), "... (%zu characters)", len);
                uint64_t s = synth_str(&p, text);
                set_type(&p, s, str_type);
                expect_repr(&p, s, want);
            }
        }
        /* Escapes lengthen the text: 100 newlines give 80 escaped ones, whole. */
        char newlines[101], want[PY_REPR_MAX] = "'";
        memset(newlines, '\n', 100);
        newlines[100] = '\0';
        for (size_t i = 0; i < PY_REPR_CHARS; i++)
            strcat(want, "\\n");
        strcat(want, "'... (100 characters)");
        uint64_t s = synth_str(&p, newlines);
        set_type(&p, s, str_type);
        expect_repr(&p, s, want);
        synth_free(&p);
    }
}

static void test_bytes_escapes_and_cut(void **state)
{
    (void)state;
    for (size_t m = 0; m < MINORS; m++) {
        struct synth_process p;
        new_process(&p, minors[m]);
        uint64_t bytes_type = make_type(&p, "bytes", 0);
        uint64_t b = synth_bytes(&p, "\x00\xff" "ab'c", 6);
        set_type(&p, b, bytes_type);
        expect_repr(&p, b, "b\"\\x00\\xffab'c\"");
        b = synth_bytes(&p, "\"'\t\\", 4);
        set_type(&p, b, bytes_type);
        expect_repr(&p, b, "b'\"\\'\\t\\\\'");
        b = synth_bytes(&p, "", 0);
        set_type(&p, b, bytes_type);
        expect_repr(&p, b, "b''");
        uint8_t data[PY_REPR_CHARS + 1];
        memset(data, 'y', sizeof data);
        char want[PY_REPR_MAX] = "b'";
        memset(want + 2, 'y', PY_REPR_CHARS);
        snprintf(want + 2 + PY_REPR_CHARS, sizeof want - 2 - PY_REPR_CHARS, "'... (%d bytes)", PY_REPR_CHARS + 1);
        b = synth_bytes(&p, data, sizeof data);
        set_type(&p, b, bytes_type);
        expect_repr(&p, b, want);
        synth_free(&p);
    }
}

/* ---- ints, None, bool ---- */

/* Decimal text of 2^bits - 1 by doubling a digit string: another way than
 * object_repr.c's division by 10^9, so one cannot hide the other's mistake. */
static void decimal_of_ones(unsigned bits, char *out, size_t size)
{
    unsigned char d[400] = {0}; /* least significant first */
    size_t n = 1;
    d[0] = 1; /* 2^0, doubled bits times: 2^bits */
    for (unsigned b = 0; b < bits; b++) {
        unsigned carry = 0;
        for (size_t i = 0; i < n; i++) {
            unsigned v = d[i] * 2u + carry;
            d[i] = (unsigned char)(v % 10);
            carry = v / 10;
        }
        if (carry)
            d[n++] = (unsigned char)carry;
    }
    d[0] -= 1; /* 2^bits ends in 2, 4, 6 or 8: no borrow */
    assert_true(n < size);
    for (size_t i = 0; i < n; i++)
        out[i] = (char)('0' + d[n - 1 - i]);
    out[n] = '\0';
}

static void test_ints_none_bool(void **state)
{
    (void)state;
    for (size_t m = 0; m < MINORS; m++) {
        struct synth_process p;
        new_process(&p, minors[m]);
        uint64_t int_type = make_type(&p, "int", TPFLAGS_LONG_SUBCLASS);
        uint64_t bool_type = make_type(&p, "bool", TPFLAGS_LONG_SUBCLASS);
        uint64_t none_type = make_type(&p, "NoneType", 0);
        set_type(&p, p.runtime.none_addr, none_type);
        expect_repr(&p, p.runtime.none_addr, "None");
        expect_repr(&p, make_int(&p, bool_type, 0), "False");
        expect_repr(&p, make_int(&p, bool_type, 1), "True");
        expect_repr(&p, make_int(&p, int_type, 0), "0");
        expect_repr(&p, make_int(&p, int_type, 7), "7");
        expect_repr(&p, make_int(&p, int_type, -5), "-5");
        expect_repr(&p, make_int(&p, int_type, INT64_C(1) << 62), "4611686018427387904");
        expect_repr(&p, make_int(&p, int_type, INT64_MIN + 1), "-9223372036854775807");

        /* The widest int shown: INT_DIGITS_SHOWN digits of 30 one-bits, 2^960 - 1
         * (289 digits), negative too. */
        uint32_t ones[INT_DIGITS_SHOWN + 1];
        for (size_t i = 0; i < INT_DIGITS_SHOWN + 1; i++)
            ones[i] = 0x3fffffff;
        char want[PY_REPR_MAX];
        decimal_of_ones(30 * INT_DIGITS_SHOWN, want + 1, sizeof want - 1);
        assert_int_equal(strlen(want + 1), 289);
        expect_repr(&p, make_int_digits(&p, int_type, ones, INT_DIGITS_SHOWN, false), want + 1);
        want[0] = '-';
        expect_repr(&p, make_int_digits(&p, int_type, ones, INT_DIGITS_SHOWN, true), want);
        /* One digit more: its type and address, no number made of part of it. */
        uint64_t big = make_int_digits(&p, int_type, ones, INT_DIGITS_SHOWN + 1, true);
        placeholder("int", big, want, sizeof want);
        expect_repr(&p, big, want);
        /* A digit with bits above the 30th is no int CPython makes. */
        uint32_t bad[2] = {5, 0x40000000};
        uint64_t corrupt = make_int_digits(&p, int_type, bad, 2, false);
        placeholder("int", corrupt, want, sizeof want);
        expect_repr(&p, corrupt, want);
        /* A class of the program named int: never read as a number. */
        uint64_t mine = make_int(&p, make_type(&p, "int", TPFLAGS_HEAPTYPE | TPFLAGS_LONG_SUBCLASS), 3);
        placeholder("int", mine, want, sizeof want);
        expect_repr(&p, mine, want);
        synth_free(&p);
    }
}

/* ---- containers and other objects ---- */

static void test_containers(void **state)
{
    (void)state;
    for (size_t m = 0; m < MINORS; m++) {
        struct synth_process p;
        new_process(&p, minors[m]);
        char want[PY_REPR_MAX];
        uint64_t dict = synth_alloc(&p, 48);
        set_type(&p, dict, make_type(&p, "dict", TPFLAGS_DICT_SUBCLASS));
        fake_memory_put_u64(&p.memory, dict + 16, 3); /* ma_used */
        snprintf(want, sizeof want, "<dict at 0x%llx len=3>", (unsigned long long)dict);
        expect_repr(&p, dict, want);
        uint64_t tags = synth_alloc(&p, 48); /* class Tags(dict) */
        set_type(&p, tags, make_type(&p, "Tags", TPFLAGS_HEAPTYPE | TPFLAGS_DICT_SUBCLASS));
        fake_memory_put_u64(&p.memory, tags + 16, 2);
        snprintf(want, sizeof want, "<Tags at 0x%llx len=2>", (unsigned long long)tags);
        expect_repr(&p, tags, want);
        uint64_t list = synth_alloc(&p, 40);
        set_type(&p, list, make_type(&p, "list", TPFLAGS_LIST_SUBCLASS));
        fake_memory_put_u64(&p.memory, list + (uint64_t)L(&p)->object.ob_size, 2);
        snprintf(want, sizeof want, "<list at 0x%llx len=2>", (unsigned long long)list);
        expect_repr(&p, list, want);
        uint64_t order = synth_alloc(&p, 16);
        set_type(&p, order, make_type(&p, "Order", TPFLAGS_HEAPTYPE));
        placeholder("Order", order, want, sizeof want);
        expect_repr(&p, order, want);
        synth_free(&p);
    }
}

/* ---- memory that cannot be read ---- */

static void expect_unreadable(struct synth_process *p, uint64_t addr, const char *what)
{
    char out[PY_REPR_MAX], want[64];
    placeholder("unreadable", addr, want, sizeof want);
    if (repr_of(p, addr, out))
        fail_msg("3.%d: %s: read as %s", p->runtime.minor, what, out);
    if (strcmp(out, want) != 0)
        fail_msg("3.%d: %s: got %s, want %s", p->runtime.minor, what, out, want);
}

static void test_unreadable(void **state)
{
    (void)state;
    for (size_t m = 0; m < MINORS; m++) {
        struct synth_process p;
        new_process(&p, minors[m]);
        const struct py_layout *l = L(&p);
        uint64_t float_type = make_type(&p, "float", 0);
        uint64_t str_type = make_type(&p, "str", 0);
        uint64_t bytes_type = make_type(&p, "bytes", 0);

        expect_unreadable(&p, 0x10, "an address nothing is mapped at");
        /* ob_type points nowhere. */
        uint64_t lost = synth_alloc(&p, 16);
        set_type(&p, lost, 0xdead0000);
        expect_unreadable(&p, lost, "a type that cannot be read");
        /* A type whose name pointer leads nowhere. */
        uint64_t nameless = make_type(&p, "float", 0);
        fake_memory_put_u64(&p.memory, nameless + (uint64_t)l->type_object.tp_name, 0xdead0000);
        uint64_t f = make_float(&p, nameless, 1.5);
        expect_unreadable(&p, f, "a type name that cannot be read");
        /* A float whose memory ends before ob_fval. */
        f = synth_alloc(&p, (size_t)l->float_object.ob_fval);
        set_type(&p, f, float_type);
        expect_unreadable(&p, f, "a float cut before its value");
        /* A str whose characters lie past its mapped memory. */
        uint64_t s = synth_alloc(&p, (size_t)l->unicode_object.ascii_size);
        set_type(&p, s, str_type);
        fake_memory_put_u64(&p.memory, s + (uint64_t)l->unicode_object.length, 50);
        fake_memory_put_i32(&p.memory, s + (uint64_t)l->unicode_object.state,
                            (int32_t)(1u << 2 | 1u << 5 | 1u << 6 | (l->version_hex < 0x030c0000 ? 1u << 7 : 0)));
        expect_unreadable(&p, s, "a str cut before its characters");
        /* A bytes that says it holds 1000 bytes where 10 are mapped; and one whose size is negative. */
        uint64_t b = synth_bytes(&p, "0123456789", 10);
        set_type(&p, b, bytes_type);
        fake_memory_put_u64(&p.memory, b + (uint64_t)l->object.ob_size, 1000);
        expect_unreadable(&p, b, "a bytes longer than its memory");
        fake_memory_put_u64(&p.memory, b + (uint64_t)l->object.ob_size, (uint64_t)-3);
        expect_unreadable(&p, b, "a bytes of negative size");
        synth_free(&p);
    }
}

/* A type name that ends right before unmapped memory (a heap type's name at the end of
 * a mapping) is read whole: shorter reads must not give a cut name ("NoneT"). */
static void test_type_name_before_unmapped_memory(void **state)
{
    (void)state;
    for (size_t m = 0; m < MINORS; m++) {
        struct synth_process p;
        new_process(&p, minors[m]);
        char want[PY_REPR_MAX];
        static const char *names[] = {"NoneType", "float", "int", "Order", "x"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            uint64_t obj = synth_alloc(&p, 16);
            set_type(&p, obj, make_type_at(&p, names[i], TPFLAGS_HEAPTYPE, 0));
            placeholder(names[i], obj, want, sizeof want);
            expect_repr(&p, obj, want);
        }
        set_type(&p, p.runtime.none_addr, make_type_at(&p, "NoneType", 0, 0));
        expect_repr(&p, p.runtime.none_addr, "None");
        synth_free(&p);
    }
}

/* Any one read failing, at every step of every kind: the text is the right one (the
 * read was retried, as a type name's is) or says the object could not be read, or
 * names only the type; it is never a value of another. */
static void test_any_read_failing(void **state)
{
    (void)state;
    for (size_t m = 0; m < MINORS; m++) {
        struct synth_process p;
        new_process(&p, minors[m]);
        uint64_t objects[6];
        const char *texts[6];
        objects[0] = make_float(&p, make_type(&p, "float", 0), 0.1);
        texts[0] = "0.1";
        objects[1] = make_int(&p, make_type(&p, "int", TPFLAGS_LONG_SUBCLASS), -123456789012LL);
        texts[1] = "-123456789012";
        objects[2] = synth_str(&p, "caf\xc3\xa9");
        set_type(&p, objects[2], make_type(&p, "str", 0));
        texts[2] = "'caf\xc3\xa9'";
        objects[3] = synth_bytes(&p, "ab\n", 3);
        set_type(&p, objects[3], make_type(&p, "bytes", 0));
        texts[3] = "b'ab\\n'";
        objects[4] = make_int(&p, make_type(&p, "bool", TPFLAGS_LONG_SUBCLASS), 1);
        texts[4] = "True";
        objects[5] = p.runtime.none_addr;
        set_type(&p, objects[5], make_type(&p, "NoneType", 0));
        texts[5] = "None";
        for (size_t i = 0; i < 6; i++) {
            char out[PY_REPR_MAX], unreadable[64], typed[160];
            placeholder("unreadable", objects[i], unreadable, sizeof unreadable);
            bool failed_one = false;
            for (uint64_t k = 1; k < 32; k++) {
                p.memory.reads_left = k;
                bool ok = repr_of(&p, objects[i], out);
                bool torn = p.memory.reads_left == 0; /* the k-th read happened, and failed */
                p.memory.reads_left = 0;
                if (!torn) {
                    assert_true(ok);
                    assert_string_equal(out, texts[i]); /* fewer reads than k: all read */
                    break;
                }
                failed_one = true;
                struct py_type_brief type;
                assert_true(py_object_type(&p.reader, L(&p), objects[i], &type));
                placeholder(type.name, objects[i], typed, sizeof typed);
                if (!(ok ? strcmp(out, texts[i]) == 0 || strcmp(out, typed) == 0 : strcmp(out, unreadable) == 0))
                    fail_msg("3.%d: %s with read %llu failing: %s (ok %d)", minors[m], texts[i],
                             (unsigned long long)k, out, ok);
            }
            assert_true(failed_one);
        }
        synth_free(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_float_texts),
        cmocka_unit_test(test_float_objects),
        cmocka_unit_test(test_str_escapes_and_cut),
        cmocka_unit_test(test_bytes_escapes_and_cut),
        cmocka_unit_test(test_ints_none_bool),
        cmocka_unit_test(test_containers),
        cmocka_unit_test(test_unreadable),
        cmocka_unit_test(test_type_name_before_unmapped_memory),
        cmocka_unit_test(test_any_read_failing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
