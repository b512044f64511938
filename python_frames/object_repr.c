/* Short texts for the target's objects. A built-in type is recognised by its C name
 * (tp_name) on a static type (no Py_TPFLAGS_HEAPTYPE): a class of the program named
 * "int" is a heap type and gets `<int at 0x…>`, never a number read from its memory.
 * Subclasses of dict, list and tuple (tp_flags' *_SUBCLASS bits, the same from 3.6 to
 * 3.15) show their length as well. */
#include "python_frames/object_repr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "python_frames/pystring.h"
#include "python_frames/remote_dict.h"

#define TPFLAGS_HEAPTYPE (UINT64_C(1) << 9)
#define TPFLAGS_LIST_SUBCLASS (UINT64_C(1) << 25)
#define TPFLAGS_TUPLE_SUBCLASS (UINT64_C(1) << 26)
#define TPFLAGS_DICT_SUBCLASS (UINT64_C(1) << 29)

#define INT_DIGITS_MAX 32  /* 960 bits: larger ints are shown by their size */
#define INT_TEXT_MAX 300

void py_float_repr(double v, char *out, size_t size)
{
    if (isnan(v)) {
        snprintf(out, size, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(out, size, v < 0 ? "-inf" : "inf");
        return;
    }
    /* Shortest digits that read back as v, as repr() (float_repr_style 'short'). */
    char buf[64];
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(buf, sizeof buf, "%.*e", precision - 1, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    /* buf: [-]d[.ddd]e[+-]XX; repr() uses positional notation for exponents -4 .. 15. */
    char *e = strchr(buf, 'e');
    int exponent = atoi(e + 1);
    *e = '\0';
    bool negative = buf[0] == '-';
    char digits[32];
    size_t n = 0;
    for (const char *c = buf + negative; *c; c++)
        if (*c != '.')
            digits[n++] = *c;
    digits[n] = '\0';
    while (n > 1 && digits[n - 1] == '0')
        digits[--n] = '\0';
    char zeros[24];
    if (exponent < -4 || exponent >= 16) {
        snprintf(out, size, "%s%c%s%se%c%02d", negative ? "-" : "", digits[0], n > 1 ? "." : "", digits + 1,
                 exponent < 0 ? '-' : '+', abs(exponent));
    } else if (exponent < 0) {
        memset(zeros, '0', (size_t)(-exponent - 1));
        zeros[-exponent - 1] = '\0';
        snprintf(out, size, "%s0.%s%s", negative ? "-" : "", zeros, digits);
    } else if ((size_t)exponent + 1 >= n) {
        memset(zeros, '0', (size_t)exponent + 1 - n);
        zeros[(size_t)exponent + 1 - n] = '\0';
        snprintf(out, size, "%s%s%s.0", negative ? "-" : "", digits, zeros);
    } else {
        snprintf(out, size, "%s%.*s.%s", negative ? "-" : "", exponent + 1, digits, digits + exponent + 1);
    }
}

/* Appends to out (bounded): a small string builder. */
struct text {
    char *buf;
    size_t size, len;
};

static void put(struct text *t, const char *s, size_t n)
{
    if (t->len + n >= t->size)
        n = t->len + 1 < t->size ? t->size - 1 - t->len : 0;
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

static void put_utf8(struct text *t, uint32_t c)
{
    char b[4];
    size_t n;
    if (c < 0x80) {
        b[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        b[0] = (char)(0xC0 | (c >> 6));
        b[1] = (char)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        b[0] = (char)(0xE0 | (c >> 12));
        b[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        b[2] = (char)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (c >> 18));
        b[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((c >> 6) & 0x3F));
        b[3] = (char)(0x80 | (c & 0x3F));
        n = 4;
    }
    put(t, b, n);
}

/* Which quote repr() picks: ' unless the text holds ' and no ". */
static char pick_quote(const uint32_t *chars, const uint8_t *bytes, size_t count)
{
    bool single = false, dbl = false;
    for (size_t i = 0; i < count; i++) {
        uint32_t c = chars ? chars[i] : bytes[i];
        single |= c == '\'';
        dbl |= c == '"';
    }
    return single && !dbl ? '"' : '\'';
}

/* Escapes shared by str and bytes; returns false for a character left to the caller. */
static bool put_common_escape(struct text *t, uint32_t c, char quote)
{
    char b[8];
    if (c == '\\' || c == (uint32_t)quote) {
        b[0] = '\\';
        b[1] = (char)c;
        put(t, b, 2);
    } else if (c == '\n') {
        put(t, "\\n", 2);
    } else if (c == '\r') {
        put(t, "\\r", 2);
    } else if (c == '\t') {
        put(t, "\\t", 2);
    } else if (c < 0x20 || c == 0x7f) {
        put(t, b, (size_t)snprintf(b, sizeof b, "\\x%02x", c));
    } else {
        return false;
    }
    return true;
}

/* Not printable for str.isprintable(), as far as can be told without Unicode tables:
 * C1 controls, no-break space and soft hyphen, line and paragraph separators,
 * surrogates and non-characters. Other code points are shown as they are. */
static bool unprintable(uint32_t c)
{
    return (c >= 0x80 && c <= 0xa0) || c == 0xad || c == 0x2028 || c == 0x2029 || (c >= 0xd800 && c <= 0xdfff) ||
           c == 0xfffe || c == 0xffff || c > 0x10ffff;
}

static void put_cut(struct text *t, size_t count, uint64_t total, const char *unit)
{
    if (total > count) {
        char b[64];
        put(t, b, (size_t)snprintf(b, sizeof b, "... (%llu %s)", (unsigned long long)total, unit));
    }
}

void py_str_repr(const uint32_t *chars, size_t count, uint64_t total, char *out, size_t size)
{
    struct text t = {out, size, 0};
    out[0] = '\0';
    char quote = pick_quote(chars, NULL, count);
    put(&t, &quote, 1);
    for (size_t i = 0; i < count; i++) {
        uint32_t c = chars[i];
        char b[16];
        if (put_common_escape(&t, c, quote))
            continue;
        if (!unprintable(c))
            put_utf8(&t, c);
        else
            put(&t, b, (size_t)snprintf(b, sizeof b, c <= 0xff ? "\\x%02x" : c <= 0xffff ? "\\u%04x" : "\\U%08x", c));
    }
    put(&t, &quote, 1);
    put_cut(&t, count, total, "characters");
}

void py_bytes_repr(const uint8_t *data, size_t count, uint64_t total, char *out, size_t size)
{
    struct text t = {out, size, 0};
    out[0] = '\0';
    char quote = pick_quote(NULL, data, count);
    put(&t, "b", 1);
    put(&t, &quote, 1);
    for (size_t i = 0; i < count; i++) {
        char b[8];
        if (put_common_escape(&t, data[i], quote))
            continue;
        if (data[i] < 0x80)
            put(&t, (const char *)&data[i], 1);
        else
            put(&t, b, (size_t)snprintf(b, sizeof b, "\\x%02x", data[i]));
    }
    put(&t, &quote, 1);
    put_cut(&t, count, total, "bytes");
}

/* Decimal text of the digits (base 2^30, least significant first): divides by 10^9 over
 * and over. Returns false if it would not fit out. */
static bool int_to_decimal(uint32_t *digits, size_t n, bool negative, char *out, size_t size)
{
    uint32_t chunks[INT_DIGITS_MAX * 2]; /* base 10^9, least significant first */
    size_t nchunks = 0;
    while (n > 0) {
        uint64_t rem = 0;
        for (size_t i = n; i-- > 0;) {
            uint64_t cur = rem << 30 | digits[i];
            digits[i] = (uint32_t)(cur / 1000000000u);
            rem = cur % 1000000000u;
        }
        chunks[nchunks++] = (uint32_t)rem;
        while (n > 0 && digits[n - 1] == 0)
            n--;
    }
    struct text t = {out, size, 0};
    out[0] = '\0';
    char b[16];
    if (negative)
        put(&t, "-", 1);
    if (nchunks == 0)
        put(&t, "0", 1);
    for (size_t i = nchunks; i-- > 0;)
        put(&t, b, (size_t)snprintf(b, sizeof b, i == nchunks - 1 ? "%u" : "%09u", chunks[i]));
    return t.len + 1 < size;
}

static bool fail(uint64_t addr, char *out)
{
    snprintf(out, PY_REPR_MAX, "<unreadable at 0x%llx>", (unsigned long long)addr);
    return false;
}

bool py_object_type(struct pa_reader *r, const struct py_layout *l, uint64_t addr, struct py_type_brief *type)
{
    uint64_t name_ptr;
    memset(type, 0, sizeof *type);
    if (l->type_object.tp_flags < 0 || l->type_object.tp_name < 0 ||
        pa_read_u64(r, addr + (uint64_t)l->object.ob_type, &type->addr, NULL) != PA_OK ||
        pa_read_u64(r, type->addr + (uint64_t)l->type_object.tp_flags, &type->flags, NULL) != PA_OK ||
        pa_read_u64(r, type->addr + (uint64_t)l->type_object.tp_name, &name_ptr, NULL) != PA_OK)
        return false;
    /* A type name may end right before unmapped memory: then the longest prefix that
     * can be read, found by bisection (halving alone cut "NoneType" to "NoneT"). A C
     * string is mapped up to its NUL, so a prefix without one is no whole name. */
    size_t got = sizeof type->name - 1;
    if (pa_read(r, name_ptr, type->name, got, NULL) != PA_OK) {
        size_t readable = 0, unreadable = got;
        while (unreadable - readable > 1) {
            size_t mid = readable + (unreadable - readable) / 2;
            if (pa_read(r, name_ptr, type->name, mid, NULL) == PA_OK)
                readable = mid;
            else
                unreadable = mid;
        }
        got = readable;
        if (memchr(type->name, '\0', got) == NULL)
            return false;
    }
    type->name[got] = '\0';
    if (got == 0 || type->name[0] == '\0')
        return false;
    for (char *c = type->name; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
            *c = '?'; /* not a type name: never print it raw */
    type->builtin = !(type->flags & TPFLAGS_HEAPTYPE);
    return true;
}

bool py_object_is(struct pa_reader *r, const struct py_layout *l, uint64_t addr, const char *builtin_name)
{
    struct py_type_brief type;
    return addr != 0 && py_object_type(r, l, addr, &type) && type.builtin && strcmp(type.name, builtin_name) == 0;
}

bool py_object_repr(struct pa_reader *r, const struct py_layout *l, uint64_t addr, char *out)
{
    struct py_type_brief type;
    if (!py_object_type(r, l, addr, &type))
        return fail(addr, out);
    const char *name = type.name;
    uint64_t flags = type.flags;
    bool builtin = type.builtin;
    int64_t size = 0;
    if (builtin && strcmp(name, "NoneType") == 0) {
        snprintf(out, PY_REPR_MAX, "None");
        return true;
    }
    if (builtin && (strcmp(name, "int") == 0 || strcmp(name, "bool") == 0)) {
        uint32_t digits[INT_DIGITS_MAX];
        size_t n = 0;
        bool negative = false;
        if (py_read_int_digits(r, l, addr, digits, INT_DIGITS_MAX, &n, &negative, NULL) != PA_OK) {
            snprintf(out, PY_REPR_MAX, "<%s at 0x%llx>", name, (unsigned long long)addr);
            return true; /* too large to show: an honest placeholder */
        }
        if (name[0] == 'b') {
            snprintf(out, PY_REPR_MAX, n > 0 ? "True" : "False");
            return true;
        }
        char text[INT_TEXT_MAX];
        if (int_to_decimal(digits, n, negative, text, sizeof text))
            snprintf(out, PY_REPR_MAX, "%s", text);
        else
            snprintf(out, PY_REPR_MAX, "<int at 0x%llx>", (unsigned long long)addr);
        return true;
    }
    if (builtin && strcmp(name, "float") == 0) {
        double v;
        if (l->float_object.ob_fval < 0 || pa_read(r, addr + (uint64_t)l->float_object.ob_fval, &v, sizeof v, NULL) != PA_OK)
            return fail(addr, out);
        py_float_repr(v, out, PY_REPR_MAX);
        return true;
    }
    if (builtin && strcmp(name, "str") == 0) {
        uint32_t chars[PY_REPR_CHARS];
        size_t count;
        uint64_t total;
        if (py_read_string_head(r, l, addr, chars, PY_REPR_CHARS, &count, &total, NULL) != PA_OK)
            return fail(addr, out);
        py_str_repr(chars, count, total, out, PY_REPR_MAX);
        return true;
    }
    if (builtin && strcmp(name, "bytes") == 0) {
        uint8_t data[PY_REPR_CHARS];
        if (pa_read(r, addr + (uint64_t)l->object.ob_size, &size, sizeof size, NULL) != PA_OK || size < 0)
            return fail(addr, out);
        size_t count = size < PY_REPR_CHARS ? (size_t)size : PY_REPR_CHARS;
        if (count > 0 && pa_read(r, addr + (uint64_t)l->bytes_object.ob_sval, data, count, NULL) != PA_OK)
            return fail(addr, out);
        py_bytes_repr(data, count, (uint64_t)size, out, PY_REPR_MAX);
        return true;
    }
    /* Containers: their length where it is one read away. */
    int32_t len_at = -1;
    if (flags & TPFLAGS_DICT_SUBCLASS)
        len_at = PY_DICT_MA_USED;
    else if (flags & (TPFLAGS_LIST_SUBCLASS | TPFLAGS_TUPLE_SUBCLASS))
        len_at = l->object.ob_size;
    else if (builtin && (strcmp(name, "set") == 0 || strcmp(name, "frozenset") == 0))
        len_at = l->set_object.used;
    if (len_at >= 0 && pa_read(r, addr + (uint64_t)len_at, &size, sizeof size, NULL) == PA_OK && size >= 0)
        snprintf(out, PY_REPR_MAX, "<%s at 0x%llx len=%lld>", name, (unsigned long long)addr, (long long)size);
    else
        snprintf(out, PY_REPR_MAX, "<%s at 0x%llx>", name, (unsigned long long)addr);
    return true;
}
