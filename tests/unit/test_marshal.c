/* Unit tests for output/marshal.c and output/marshal_read.c: a pstats dict encoded by
 * us must be byte-identical to what /usr/bin/python3's marshal.dumps(d, 4) writes for
 * the same dict (built at test time with interned strings, as output/marshal.h
 * explains), and the decoder must read every marshal flavour a pstats dump can use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "output/marshal.h"
#include "output/marshal_read.h"
#include "output/profile.h"
#include "output/pstats_file.h"

#define PYTHON "/usr/bin/python3"

/* ---- building profiles by hand ---- */

static uint32_t str_id(struct pa_profile *p, const char *s)
{
    uint32_t id = pa_strtab_intern(&p->strings, s, strlen(s));
    assert_int_not_equal(id, PA_INDEX_NONE);
    return id;
}

static uint32_t func(struct pa_profile *p, const char *file, int64_t line, const char *name,
                     int64_t cc, int64_t nc, double tt, double ct)
{
    uint32_t f = pa_profile_func(p, str_id(p, file), line, str_id(p, name));
    assert_int_not_equal(f, PA_INDEX_NONE);
    p->funcs[f].cc = cc;
    p->funcs[f].nc = nc;
    p->funcs[f].tt = tt;
    p->funcs[f].ct = ct;
    p->funcs[f].has_stats = true;
    return f;
}

static void edge(struct pa_profile *p, uint32_t caller, uint32_t callee, int64_t nc, int64_t cc,
                 double tt, double ct)
{
    uint32_t e = pa_profile_edge(p, caller, callee);
    assert_int_not_equal(e, PA_INDEX_NONE);
    p->edges[e].nc = nc;
    p->edges[e].cc = cc;
    p->edges[e].tt = tt;
    p->edges[e].ct = ct;
}

/* A profile exercising every encoding: small ints (refs), ints > 256, ints needing
 * TYPE_LONG, short/long ASCII, UTF-8, repeated strings, built-ins, floats of all kinds. */
static void sample_profile(struct pa_profile *p)
{
    char long_name[400];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    memcpy(long_name, "/very/long/", 11);
    pa_profile_init(p);
    uint32_t mod = func(p, "app/main.py", 1, "<module>", 1, 1, 0.0, 12.5);
    uint32_t run = func(p, "app/main.py", 300, "run", 1, 1, 1e-9, 12.25);
    uint32_t fib = func(p, "app/fib.py", 7, "fib", 300, 20100, 3.0000000000000004, 0.1 + 0.2);
    uint32_t sleep = func(p, "~", 0, "<built-in method time.sleep>", 3000000000ll, 3000000000ll,
                          5e-324, 1.7976931348623157e308);
    uint32_t uni = func(p, "app/caf\xc3\xa9.py", 70000, "\xe5\x87\xbd\xe6\x95\xb0_\xf0\x9f\x94\xa5", 5,
                        7, -0.0, 2.0);
    uint32_t big = func(p, long_name, -3000000000ll, "neg_line", 256, 257, 0.5, 0.75);
    uint32_t lonely = func(p, "app/main.py", 1, "lonely", 0, 0, 0.0, 0.0);
    (void)lonely;
    edge(p, mod, run, 1, 1, 1e-9, 12.25);
    edge(p, run, fib, 300, 300, 1.5, 0.30000000000000004);
    edge(p, fib, fib, 19800, 0, 1.5000000000000002, 0.2);
    edge(p, run, sleep, 3000000000ll, 3000000000ll, 5e-324, 1.7976931348623157e308);
    edge(p, run, uni, 7, 5, -0.0, 2.0);
    edge(p, uni, big, 257, 256, 0.5, 0.75);
    edge(p, fib, uni, 1, 1, 0.25, 0.25);
}

/* ---- asking Python ---- */

static void put_str(FILE *f, const struct pa_profile *p, uint32_t id)
{
    fputs("S('", f);
    const unsigned char *s = (const unsigned char *)pa_strtab_text(&p->strings, id);
    for (size_t i = 0; i < pa_strtab_len(&p->strings, id); i++)
        fprintf(f, "%02x", s[i]);
    fputs("')", f);
}

static void put_key(FILE *f, const struct pa_profile *p, uint32_t func_no)
{
    const struct pa_pfunc *fn = &p->funcs[func_no];
    fputs("(", f);
    put_str(f, p, fn->file);
    fprintf(f, ", N('%lld'), ", (long long)fn->line);
    put_str(f, p, fn->name);
    fputs(")", f);
}

/* The same dict as Python source: strings interned and kept alive (so shared, as
 * ours), ints and floats fresh objects (so referenced once, as ours). */
static void write_python_dict(FILE *f, const struct pa_profile *p)
{
    fputs("import marshal, sys\n"
          "keep = []\n"
          "def S(h):\n"
          "    s = sys.intern(bytes.fromhex(h).decode('utf-8', 'surrogatepass'))\n"
          "    keep.append(s)\n"
          "    return s\n"
          "def N(t): return int(t)\n"
          "def F(h): return float.fromhex(h)\n"
          "d = {}\n",
          f);
    for (uint32_t i = 0; i < p->nfuncs; i++) {
        const struct pa_pfunc *fn = &p->funcs[i];
        fputs("d[", f);
        put_key(f, p, i);
        fprintf(f, "] = (N('%lld'), N('%lld'), F('%a'), F('%a'), {", (long long)fn->cc,
                (long long)fn->nc, fn->tt, fn->ct);
        for (uint32_t e = fn->callers_head; e != PA_INDEX_NONE; e = p->edges[e].next) {
            const struct pa_pedge *ed = &p->edges[e];
            put_key(f, p, ed->caller);
            fprintf(f, ": (N('%lld'), N('%lld'), F('%a'), F('%a')), ", (long long)ed->nc,
                    (long long)ed->cc, ed->tt, ed->ct);
        }
        fputs("})\n", f);
    }
}

/* Runs the script with the body appended, returns its stdout (malloc'ed). */
static char *run_python(const struct pa_profile *p, const char *body)
{
    char path[] = "/tmp/pa_test_marshal_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    write_python_dict(f, p);
    fputs(body, f);
    fclose(f);
    char cmd[256];
    snprintf(cmd, sizeof cmd, PYTHON " %s", path);
    FILE *pipe = popen(cmd, "r");
    assert_non_null(pipe);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    size_t n;
    while ((n = fread(out + len, 1, cap - len - 1, pipe)) > 0) {
        len += n;
        if (len + 1 == cap) {
            cap *= 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
    }
    out[len] = '\0';
    int status = pclose(pipe);
    unlink(path);
    assert_int_equal(status, 0);
    return out;
}

/* Hex text (one line) -> bytes. */
static unsigned char *unhex(const char *hex, size_t *len)
{
    size_t n = strcspn(hex, "\n") / 2;
    unsigned char *b = malloc(n ? n : 1);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        b[i] = (unsigned char)v;
    }
    *len = n;
    return b;
}

static void assert_bytes_equal(const unsigned char *ours, size_t our_len,
                               const unsigned char *theirs, size_t their_len)
{
    size_t n = our_len < their_len ? our_len : their_len;
    for (size_t i = 0; i < n; i++) {
        if (ours[i] != theirs[i])
            fail_msg("byte %zu differs: ours 0x%02x, CPython's 0x%02x", i, ours[i], theirs[i]);
    }
    if (our_len != their_len)
        fail_msg("length differs: ours %zu, CPython's %zu", our_len, their_len);
}

static void encode(const struct pa_profile *p, struct pa_marshal *m)
{
    struct pa_error err;
    pa_marshal_init(m);
    assert_int_equal(pa_pstats_encode(p, m, &err), PA_OK);
}

/* ---- tests ---- */

static void byte_exact_with_cpython(void **state)
{
    (void)state;
    struct pa_profile p;
    sample_profile(&p);
    struct pa_marshal m;
    encode(&p, &m);
    char *hex = run_python(&p, "sys.stdout.write(marshal.dumps(d, 4).hex() + '\\n')\n"
                               "sys.stdout.write(marshal.dumps(d).hex() + '\\n')\n");
    size_t len;
    unsigned char *theirs = unhex(hex, &len);
    assert_bytes_equal(m.buf, m.len, theirs, len);
    free(theirs);
    /* marshal.dump(self.stats, f) uses the default version: the same bytes */
    theirs = unhex(strchr(hex, '\n') + 1, &len);
    assert_bytes_equal(m.buf, m.len, theirs, len);
    free(theirs);
    free(hex);
    pa_marshal_free(&m);
    pa_profile_free(&p);
}

static void empty_profile_is_empty_dict(void **state)
{
    (void)state;
    struct pa_profile p;
    pa_profile_init(&p);
    struct pa_marshal m;
    encode(&p, &m);
    char *hex = run_python(&p, "sys.stdout.write(marshal.dumps(d, 4).hex())\n");
    size_t len;
    unsigned char *theirs = unhex(hex, &len);
    assert_bytes_equal(m.buf, m.len, theirs, len);
    free(theirs);
    free(hex);
    pa_marshal_free(&m);
    pa_profile_free(&p);
}

static void assert_same_profile(const struct pa_profile *a, const struct pa_profile *b)
{
    assert_int_equal(a->nfuncs, b->nfuncs);
    assert_int_equal(a->nedges, b->nedges);
    for (uint32_t i = 0; i < a->nfuncs; i++) {
        const struct pa_pfunc *x = &a->funcs[i], *y = &b->funcs[i];
        assert_string_equal(pa_strtab_text(&a->strings, x->file), pa_strtab_text(&b->strings, y->file));
        assert_string_equal(pa_strtab_text(&a->strings, x->name), pa_strtab_text(&b->strings, y->name));
        assert_true(x->line == y->line && x->nc == y->nc && x->cc == y->cc);
        assert_memory_equal(&x->tt, &y->tt, sizeof x->tt);
        assert_memory_equal(&x->ct, &y->ct, sizeof x->ct);
        assert_int_equal(x->has_stats, y->has_stats);
        uint32_t ea = x->callers_head, eb = y->callers_head;
        for (; ea != PA_INDEX_NONE && eb != PA_INDEX_NONE; ea = a->edges[ea].next, eb = b->edges[eb].next) {
            const struct pa_pedge *u = &a->edges[ea], *v = &b->edges[eb];
            assert_int_equal(u->caller, v->caller);
            assert_true(u->nc == v->nc && u->cc == v->cc);
            assert_memory_equal(&u->tt, &v->tt, sizeof u->tt);
            assert_memory_equal(&u->ct, &v->ct, sizeof u->ct);
        }
        assert_int_equal(ea, PA_INDEX_NONE);
        assert_int_equal(eb, PA_INDEX_NONE);
    }
}

static void round_trip(void **state)
{
    (void)state;
    struct pa_profile p, q;
    sample_profile(&p);
    struct pa_marshal m;
    encode(&p, &m);
    pa_profile_init(&q);
    struct pa_error err;
    assert_int_equal(pa_pstats_load(m.buf, m.len, &q, &err), PA_OK);
    assert_same_profile(&p, &q);
    pa_profile_free(&q);
    pa_marshal_free(&m);
    pa_profile_free(&p);
}

/* Versions 0 and 2 have no refs, 'u' strings, '(' tuples; version 0/1 write text
 * floats ('f'); 3 has refs without short forms. All must load the same. */
static void reads_every_marshal_version(void **state)
{
    (void)state;
    struct pa_profile p;
    sample_profile(&p);
    char *hex = run_python(&p, "for v in (0, 1, 2, 3, 4):\n"
                               "    sys.stdout.write(marshal.dumps(d, v).hex() + '\\n')\n");
    const char *line = hex;
    for (int v = 0; v <= 4; v++) {
        size_t len;
        unsigned char *data = unhex(line, &len);
        struct pa_profile q;
        pa_profile_init(&q);
        struct pa_error err;
        enum pa_status st = pa_pstats_load(data, len, &q, &err);
        if (st != PA_OK)
            fail_msg("version %d: %s", v, err.message);
        assert_same_profile(&p, &q);
        pa_profile_free(&q);
        free(data);
        line = strchr(line, '\n') + 1;
    }
    free(hex);
    pa_profile_free(&p);
}

static enum pa_status decode(const void *bytes, size_t len, struct pa_marshal_doc *doc,
                             struct pa_error *err)
{
    return pa_marshal_read(bytes, len, doc, err);
}

/* Python 2.7's marshal (version 2): 's' str, 't' interned str + 'R' string refs,
 * 'I' int64 and 'l' longs; hand-assembled as 2.7 writes them. */
static void reads_python2_forms(void **state)
{
    (void)state;
    static const unsigned char data[] = {
        '(', 4, 0, 0, 0,
        't', 3, 0, 0, 0, 'a', '.', 'p',            /* interned #0 */
        'R', 0, 0, 0, 0,                           /* -> "a.p" */
        'I', 0x00, 0x00, 0x00, 0x00, 0x01, 0, 0, 0, /* 2^32 */
        'l', 0xfe, 0xff, 0xff, 0xff, 0x01, 0x00, 0x02, 0x00, /* -(1 + 2 * 2^15) */
    };
    struct pa_marshal_doc doc;
    struct pa_error err;
    assert_int_equal(decode(data, sizeof data, &doc, &err), PA_OK);
    struct pa_mobj *t = doc.root;
    assert_int_equal(t->type, PA_M_TUPLE);
    assert_int_equal(t->n, 4);
    assert_ptr_equal(t->u.items[0], t->u.items[1]);
    assert_int_equal(t->u.items[1]->u.str.len, 3);
    assert_memory_equal(t->u.items[1]->u.str.s, "a.p", 3);
    assert_int_equal(t->u.items[2]->u.i, 4294967296ll);
    assert_int_equal(t->u.items[3]->u.i, -(1 + 2 * 32768));
    pa_marshal_doc_free(&doc);
}

static void text_float_and_long_limits(void **state)
{
    (void)state;
    static const unsigned char f[] = {'f', 5, '-', '2', '.', '5', '0'};
    static const unsigned char too_long[] = {'l', 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0};
    static const unsigned char int64_min[] = {'l', 0xfb, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0};
    struct pa_marshal_doc doc;
    struct pa_error err;
    assert_int_equal(decode(f, sizeof f, &doc, &err), PA_OK);
    assert_true(doc.root->type == PA_M_FLOAT && doc.root->u.f == -2.5);
    pa_marshal_doc_free(&doc);
    assert_int_equal(decode(too_long, sizeof too_long, &doc, &err), PA_E_CORRUPT);
    assert_non_null(strstr(err.message, "64 bits"));
    assert_int_equal(decode(int64_min, sizeof int64_min, &doc, &err), PA_OK);
    assert_true(doc.root->u.i == INT64_MIN);
    pa_marshal_doc_free(&doc);
}

static void encodes_long_ints_like_cpython(void **state)
{
    (void)state;
    /* the ints themselves, beyond what sample_profile covers */
    static const int64_t values[] = {257, -6, 2147483647ll, -2147483648ll, 2147483648ll,
                                     -2147483649ll, INT64_MAX, INT64_MIN + 1, 1ll << 45};
    struct pa_marshal m;
    pa_marshal_init(&m);
    pa_marshal_tuple(&m, sizeof values / sizeof values[0]);
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        pa_marshal_int(&m, values[i]);
    struct pa_profile empty;
    pa_profile_init(&empty);
    char *hex = run_python(&empty,
                           "v = tuple(int(t) for t in ('257', '-6', '2147483647', '-2147483648',"
                           " '2147483648', '-2147483649', '9223372036854775807',"
                           " '-9223372036854775807', str(1 << 45)))\n"
                           "sys.stdout.write(marshal.dumps(v, 4).hex())\n");
    size_t len;
    unsigned char *theirs = unhex(hex, &len);
    /* Python flags the tuple itself (v holds it): skip that first byte */
    assert_int_equal(theirs[0], ')' | 0x80);
    assert_bytes_equal(m.buf + 1, m.len - 1, theirs + 1, len - 1);
    free(theirs);
    free(hex);
    pa_marshal_free(&m);
    pa_profile_free(&empty);
}

/* 3.15's small-int cache reaches 1024 (_PY_NSMALLPOSINTS 1025): such ints are shared,
 * so its marshal flags the first and refers back to it after (test_output_formats
 * compares whole dumps with 3.15's own marshal.dumps). */
static void imitates_the_small_int_cache_of_the_version(void **state)
{
    (void)state;
    static const int64_t values[] = {300, 300, 1024, 1025};
    static const unsigned char up_to_3_14[] = {
        'i', 0x2c, 1, 0, 0, 'i', 0x2c, 1, 0, 0, 'i', 0, 4, 0, 0, 'i', 1, 4, 0, 0};
    static const unsigned char from_3_15[] = {
        'i' | 0x80, 0x2c, 1, 0, 0, 'r', 0, 0, 0, 0, 'i' | 0x80, 0, 4, 0, 0, 'i', 1, 4, 0, 0};
    for (int minor = 13; minor <= 15; minor++) {
        struct pa_marshal m;
        pa_marshal_init(&m);
        pa_marshal_imitate(&m, minor);
        for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
            pa_marshal_int(&m, values[i]);
        if (minor >= 15)
            assert_bytes_equal(m.buf, m.len, from_3_15, sizeof from_3_15);
        else
            assert_bytes_equal(m.buf, m.len, up_to_3_14, sizeof up_to_3_14);
        pa_marshal_free(&m);
    }
}

static void invalid_utf8_is_replaced(void **state)
{
    (void)state;
    struct pa_marshal m;
    pa_marshal_init(&m);
    pa_marshal_string(&m, 0, "a\xff" "b\xc3", 4);
    static const unsigned char want[] = {'t' | 0x80, 8, 0, 0, 0, 'a', 0xef, 0xbf, 0xbd, 'b', 0xef, 0xbf, 0xbd};
    assert_bytes_equal(m.buf, m.len, want, sizeof want);
    /* a surrogate (as CPython's "surrogatepass" writes it) is kept */
    pa_marshal_string(&m, 1, "\xed\xb2\x80", 3);
    assert_memory_equal(m.buf + sizeof want, "\xf4\x03\x00\x00\x00\xed\xb2\x80", 8);
    pa_marshal_free(&m);
}

static void rejects_corrupt_data(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        const char *bytes;
        size_t len;
    } cases[] = {
        {"empty", "", 0},
        {"truncated int", "i\x01\x02", 3},
        {"unknown type", "?", 1},
        {"ref before any object", "r\x00\x00\x00\x00", 5},
        {"ref out of range", "\xa9\x01\x00\x00\x00r\x05\x00\x00\x00", 10},
        {"string longer than data", "u\xff\x00\x00\x00ab", 7},
        {"tuple longer than data", "(\xff\xff\xff\x00", 5},
        {"dict without end", "{i\x01\x00\x00\x00", 6},
        {"dict key without value", "{i\x01\x00\x00\x00" "0", 7},
        {"code object", "c\x00\x00\x00\x00", 5},
        {"string ref without strings", "R\x00\x00\x00\x00", 5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pa_marshal_doc doc;
        struct pa_error err;
        enum pa_status st = decode(cases[i].bytes, cases[i].len, &doc, &err);
        if (st != PA_E_CORRUPT)
            fail_msg("%s: status %d", cases[i].what, st);
        assert_non_null(strstr(err.message, "bad marshal data"));
    }
    /* nesting deeper than CPython's limit */
    size_t depth = 3000;
    unsigned char *deep = malloc(depth * 2 + 1);
    for (size_t i = 0; i < depth; i++) {
        deep[2 * i] = ')';
        deep[2 * i + 1] = 1;
    }
    deep[2 * depth] = 'N';
    struct pa_marshal_doc doc;
    struct pa_error err;
    assert_int_equal(decode(deep, depth * 2 + 1, &doc, &err), PA_E_CORRUPT);
    assert_non_null(strstr(err.message, "deeply"));
    free(deep);
}

static void rejects_non_pstats(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        const char *bytes;
        size_t len;
        const char *message;
    } cases[] = {
        {"a list", "[\x00\x00\x00\x00", 5, "top-level"},
        {"key not a tuple", "{i\x01\x00\x00\x00i\x01\x00\x00\x00" "0", 12, "key"},
        {"value too short", "{)\x03z\x01" "ai\x01\x00\x00\x00z\x01" "b)\x01N0", 18, "value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pa_profile p;
        struct pa_error err;
        pa_profile_init(&p);
        enum pa_status st = pa_pstats_load((const unsigned char *)cases[i].bytes, cases[i].len, &p, &err);
        if (st != PA_E_CORRUPT)
            fail_msg("%s: status %d", cases[i].what, st);
        assert_non_null(strstr(err.message, "not a pstats dump"));
        assert_non_null(strstr(err.message, cases[i].message));
        pa_profile_free(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(byte_exact_with_cpython),
        cmocka_unit_test(empty_profile_is_empty_dict),
        cmocka_unit_test(round_trip),
        cmocka_unit_test(reads_every_marshal_version),
        cmocka_unit_test(reads_python2_forms),
        cmocka_unit_test(text_float_and_long_limits),
        cmocka_unit_test(encodes_long_ints_like_cpython),
        cmocka_unit_test(imitates_the_small_int_cache_of_the_version),
        cmocka_unit_test(invalid_utf8_is_replaced),
        cmocka_unit_test(rejects_corrupt_data),
        cmocka_unit_test(rejects_non_pstats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
