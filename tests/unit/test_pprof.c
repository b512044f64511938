/* Unit tests for pprof output: the protobuf wire format of output/protobuf.c (varint
 * edge cases, fields, nested lengths, reading and skipping), a tiny Profile from
 * output/pprof.c against bytes computed by hand, and output/pprof_read.c decoding what
 * the writer wrote, tolerating fields it does not know and refusing broken files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "output/pprof.h"
#include "output/profile_aggregate.h"
#include "output/protobuf.h"
#include "output/writer.h"

#define BYTES(s) (const uint8_t *)(s), sizeof(s) - 1

static void assert_buf(const struct pa_pb_buf *b, const uint8_t *want, size_t len)
{
    assert_false(b->failed);
    if (b->len != len || memcmp(b->data, want, len) != 0) {
        for (size_t i = 0; i < b->len; i++)
            fprintf(stderr, "%02x%s", b->data[i], i + 1 < b->len ? " " : "\n");
        fail_msg("got %zu bytes, want %zu", b->len, len);
    }
}

/* ---------------------------------------------------------------- wire format */

static void varints(void **state)
{
    (void)state;
    static const struct {
        uint64_t v;
        const char *bytes;
        size_t n;
    } cases[] = {
        {0, "\x00", 1},
        {1, "\x01", 1},
        {127, "\x7f", 1},
        {128, "\x80\x01", 2},
        {150, "\x96\x01", 2}, /* the protobuf encoding guide's example */
        {300, "\xac\x02", 2},
        {16383, "\xff\x7f", 2},
        {16384, "\x80\x80\x01", 3},
        {UINT32_MAX, "\xff\xff\xff\xff\x0f", 5},
        {(uint64_t)1 << 63, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 10},
        {UINT64_MAX, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10}, /* int64 -1 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pa_pb_buf b;
        pa_pb_buf_init(&b);
        pa_pb_varint(&b, cases[i].v);
        assert_buf(&b, (const uint8_t *)cases[i].bytes, cases[i].n);
        assert_int_equal(pa_pb_varint_size(cases[i].v), cases[i].n);
        struct pa_pb_reader r = pa_pb_reader_of(b.data, b.len);
        uint64_t v = 12345;
        assert_true(pa_pb_read_varint(&r, &v));
        assert_true(v == cases[i].v);
        assert_ptr_equal(r.p, r.end);
        pa_pb_buf_free(&b);
    }
    static const struct {
        const char *bytes;
        size_t n;
    } bad[] = {
        {"", 0},
        {"\x80", 1},                                             /* truncated */
        {"\xff\xff", 2},                                         /* truncated */
        {"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10},        /* bit 64 */
        {"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x81\x01", 11},    /* 11 bytes */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct pa_pb_reader r = pa_pb_reader_of(bad[i].bytes, bad[i].n);
        uint64_t v;
        if (pa_pb_read_varint(&r, &v))
            fail_msg("bad varint %zu accepted", i);
    }
}

static void fields(void **state)
{
    (void)state;
    struct pa_pb_buf b;
    pa_pb_buf_init(&b);
    pa_pb_uint(&b, 1, 0); /* proto3's default: not written */
    assert_int_equal(b.len, 0);
    pa_pb_uint(&b, 1, 150);
    pa_pb_bytes(&b, 2, "testing", 7);
    uint64_t packed[] = {3, 270, 86942};
    pa_pb_packed(&b, 4, packed, 3);
    pa_pb_packed(&b, 5, packed, 0); /* empty: not written */
    pa_pb_bytes(&b, 6, "", 0);      /* an empty string is written (string_table[0]) */
    pa_pb_uint(&b, 16, 1);          /* field 16: a two-byte key */
    /* the guide's examples, one after the other */
    assert_buf(&b, BYTES("\x08\x96\x01"
                         "\x12\x07testing"
                         "\x22\x06\x03\x8e\x02\x9e\xa7\x05"
                         "\x32\x00"
                         "\x80\x01\x01"));
    pa_pb_buf_free(&b);
}

/* A nested message of n one-byte fields' worth of content. */
static void nested_of(size_t n)
{
    struct pa_pb_buf b;
    pa_pb_buf_init(&b);
    pa_pb_uint(&b, 2, 1);
    size_t m = pa_pb_begin(&b, 1);
    for (size_t i = 0; i < n; i++)
        pa_pb_varint(&b, 1);
    pa_pb_end(&b, m);
    pa_pb_uint(&b, 3, 1);
    size_t lensize = pa_pb_varint_size(n);
    assert_int_equal(b.len, 2 + 1 + lensize + n + 2);
    assert_memory_equal(b.data, "\x10\x01\x0a", 3);
    struct pa_pb_reader r = pa_pb_reader_of(b.data + 3, lensize);
    uint64_t len;
    assert_true(pa_pb_read_varint(&r, &len));
    assert_int_equal(len, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(b.data[3 + lensize + i], 1);
    assert_memory_equal(b.data + b.len - 2, "\x18\x01", 2);
    pa_pb_buf_free(&b);
}

static void nested_messages(void **state)
{
    (void)state;
    nested_of(0);
    nested_of(127);   /* the last one-byte length */
    nested_of(128);   /* the content moves up by one */
    nested_of(20000); /* three-byte length */

    /* two levels: the outer length counts the inner key and its two-byte length */
    struct pa_pb_buf b;
    pa_pb_buf_init(&b);
    size_t outer = pa_pb_begin(&b, 1);
    size_t inner = pa_pb_begin(&b, 2);
    for (int i = 0; i < 200; i++)
        pa_pb_varint(&b, 5);
    pa_pb_end(&b, inner);
    pa_pb_end(&b, outer);
    assert_int_equal(b.len, 3 + 3 + 200);
    assert_memory_equal(b.data, "\x0a\xcb\x01\x12\xc8\x01\x05", 7);
    assert_int_equal(b.data[b.len - 1], 5);
    pa_pb_buf_free(&b);
}

static void reading(void **state)
{
    (void)state;
    static const char msg[] = "\x08\x96\x01"                         /* 1: varint 150 */
                              "\x11\x01\x02\x03\x04\x05\x06\x07\x08" /* 2: fixed64 */
                              "\x1a\x03" "abc"                       /* 3: bytes */
                              "\x25\x01\x00\x00\x80"                 /* 4: fixed32 */
                              "\x2a\x06\x03\x8e\x02\x9e\xa7\x05"     /* 5: packed 3, 270, 86942 */
                              "\x28\x07";                            /* 5: one more, unpacked */
    struct pa_pb_reader r = pa_pb_reader_of(msg, sizeof msg - 1);
    struct pa_pb_field f;
    assert_int_equal(pa_pb_next(&r, &f), 1);
    assert_int_equal(f.number, 1);
    assert_int_equal(f.wire, PA_PB_VARINT);
    assert_int_equal(f.value, 150);
    assert_int_equal(pa_pb_next(&r, &f), 1);
    assert_int_equal(f.wire, PA_PB_FIXED64);
    assert_true(f.value == 0x0807060504030201ull);
    assert_int_equal(pa_pb_next(&r, &f), 1);
    assert_int_equal(f.number, 3);
    assert_int_equal(f.len, 3);
    assert_memory_equal(f.data, "abc", 3);
    assert_int_equal(pa_pb_next(&r, &f), 1);
    assert_int_equal(f.wire, PA_PB_FIXED32);
    assert_int_equal(f.value, 0x80000001u);
    uint64_t want[] = {3, 270, 86942, 7}, v;
    size_t got = 0;
    for (int k = 0; k < 2; k++) {
        assert_int_equal(pa_pb_next(&r, &f), 1);
        assert_int_equal(f.number, 5);
        struct pa_pb_reader items = {0};
        int rc;
        while ((rc = pa_pb_repeated(&f, &items, &v)) > 0) {
            assert_true(got < 4);
            assert_true(v == want[got++]);
        }
        assert_int_equal(rc, 0);
    }
    assert_int_equal(got, 4);
    assert_int_equal(pa_pb_next(&r, &f), 0);

    static const struct {
        const char *bytes;
        size_t n;
    } bad[] = {
        {"\x0b", 1},                 /* a group (wire type 3) */
        {"\x0e\x01", 2},             /* wire type 6 */
        {"\x00\x01", 2},             /* field number 0 */
        {"\x0a\x05" "ab", 4},        /* bytes beyond the end */
        {"\x09\x01\x02", 3},         /* fixed64 cut short */
        {"\x0d\x01", 2},             /* fixed32 cut short */
        {"\x08\x80", 2},             /* varint cut short */
        {"\x80", 1},                 /* key cut short */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = pa_pb_reader_of(bad[i].bytes, bad[i].n);
        if (pa_pb_next(&r, &f) != -1)
            fail_msg("malformed message %zu accepted", i);
    }
    /* a packed field with a broken varint; a repeated field of the wrong wire type */
    r = pa_pb_reader_of("\x0a\x02\x01\x80", 4);
    assert_int_equal(pa_pb_next(&r, &f), 1);
    struct pa_pb_reader items = {0};
    assert_int_equal(pa_pb_repeated(&f, &items, &v), 1);
    assert_int_equal(pa_pb_repeated(&f, &items, &v), -1);
    r = pa_pb_reader_of("\x0d\x01\x00\x00\x00", 5);
    assert_int_equal(pa_pb_next(&r, &f), 1);
    memset(&items, 0, sizeof items);
    assert_int_equal(pa_pb_repeated(&f, &items, &v), -1);
}

/* ---------------------------------------------------------------- building a Profile */

struct fr {
    const char *file, *name;
    int first_line, line;
};

/* Adds a sample given root first. */
static void add_to(struct pa_pprof *p, const struct pa_writer_ops *ops, struct pa_writer *w,
                   struct pa_aggregate *agg, int tid, double weight, const struct fr *frames, size_t depth)
{
    static uint64_t call = 1;
    struct pa_frame f[16];
    for (size_t i = 0; i < depth; i++) {
        const struct fr *s = &frames[depth - 1 - i];
        f[i] = (struct pa_frame){.filename = s->file, .function = s->name, .first_line = s->first_line,
                                 .line = s->line, .call_id = call++};
    }
    struct pa_stack stack = {.pid = 7, .tid = tid, .weight = weight, .depth = depth, .frames = f};
    struct pa_error err;
    if (p)
        assert_int_equal(pa_pprof_add(p, &stack, &err), PA_OK);
    if (w)
        assert_int_equal(ops->add(w, &stack, &err), PA_OK);
    if (agg)
        assert_int_equal(pa_aggregate_add(agg, &stack, &err), PA_OK);
}

#define ADD(p, ops, w, agg, tid, weight, ...)                                                 \
    do {                                                                                      \
        const struct fr frames_[] = {__VA_ARGS__};                                            \
        add_to(p, ops, w, agg, tid, weight, frames_, sizeof frames_ / sizeof frames_[0]);     \
    } while (0)

/* The whole message, field by field (the layout in output/pprof.h). */
static const char TINY[] =
    /* sample_type samples/count, then wall/nanoseconds */
    "\x0a\x04\x08\x01\x10\x02"
    "\x0a\x04\x08\x0b\x10\x03"
    /* sample: location_id [2, 1] (leaf first), value [1, 10000000], label {key tid, num 42} */
    "\x12\x11\x0a\x02\x02\x01\x12\x05\x01\x80\xad\xe2\x04\x1a\x04\x08\x06\x18\x2a"
    /* mapping: id 1, filename "py", has_functions, has_filenames, has_line_numbers */
    "\x1a\x0a\x08\x01\x28\x0c\x38\x01\x40\x01\x48\x01"
    /* location 1: mapping 1, line {function 1, line 3}; location 2: {function 2, line 6} */
    "\x22\x0a\x08\x01\x10\x01\x22\x04\x08\x01\x10\x03"
    "\x22\x0a\x08\x02\x10\x01\x22\x04\x08\x02\x10\x06"
    /* function 1: name <module>, filename app.py, start_line 1 (no system_name);
     * function 2: f, app.py, 5 */
    "\x2a\x08\x08\x01\x10\x08\x20\x09\x28\x01"
    "\x2a\x08\x08\x02\x10\x0a\x20\x09\x28\x05"
    /* string_table */
    "\x32\x00"
    "\x32\x07" "samples"
    "\x32\x05" "count"
    "\x32\x0b" "nanoseconds"
    "\x32\x03" "pid"
    "\x32\x07" "process"
    "\x32\x03" "tid"
    "\x32\x0b" "thread_name"
    "\x32\x08" "<module>"
    "\x32\x06" "app.py"
    "\x32\x01" "f"
    "\x32\x04" "wall"
    "\x32\x02" "py"
    "\x32\x1d" "pyattach mode=wall rate=100Hz"
    /* time_nanos 1.5e9, duration_nanos 2e9 */
    "\x48\x80\xde\xa0\xcb\x05"
    "\x50\x80\xa8\xd6\xb9\x07"
    /* period_type wall/nanoseconds, period 1e7 */
    "\x5a\x04\x08\x0b\x10\x03"
    "\x60\x80\xad\xe2\x04"
    /* comment [13] (packed), default_sample_type wall */
    "\x6a\x01\x0d"
    "\x70\x0b";

static const struct pa_recording_info TINY_INFO = {
    .mode = "wall", .interval = 0.01, .start = 1.5, .duration = 2.0, .program = "py"};

static void tiny_profile_bytes(void **state)
{
    (void)state;
    struct pa_pprof p;
    assert_true(pa_pprof_init(&p));
    /* the synthetic <thread 42> root becomes a tid label, not a frame */
    ADD(&p, NULL, NULL, NULL, 42, 0.01, {"~", "<thread 42>", 0, 0}, {"app.py", "<module>", 1, 3},
        {"app.py", "f", 5, 6});
    struct pa_pb_buf b;
    pa_pb_buf_init(&b);
    struct pa_error err;
    assert_int_equal(pa_pprof_encode(&p, &TINY_INFO, &b, &err), PA_OK);
    assert_buf(&b, BYTES(TINY));
    /* encoding again gives the same bytes */
    struct pa_pb_buf again;
    pa_pb_buf_init(&again);
    assert_int_equal(pa_pprof_encode(&p, &TINY_INFO, &again, &err), PA_OK);
    assert_buf(&again, b.data, b.len);
    pa_pb_buf_free(&again);
    pa_pb_buf_free(&b);
    pa_pprof_free(&p);
}

static void merging_and_labels(void **state)
{
    (void)state;
    struct pa_pprof p;
    assert_true(pa_pprof_init(&p));
    const struct fr proc = {"~", "<process 4242: gunicorn: worker [shop.wsgi]>", 0, 0};
    const struct fr thread = {"~", "<thread 4250 \"Pool-1 \\\"x\\\"\">", 0, 0};
    const struct fr mod = {"app.py", "<module>", 1, 3};
    const struct fr f6 = {"app.py", "f", 5, 6}, f7 = {"app.py", "f", 5, 7};
    const struct fr lambda_a = {"app.py", "<lambda>", 9, 9}, lambda_b = {"app.py", "<lambda>", 10, 10};
    const struct fr sleep = {"~", "<built-in method time.sleep>", 0, 0};
    ADD(&p, NULL, NULL, NULL, 4250, 0.01, proc, thread, mod, f6);
    ADD(&p, NULL, NULL, NULL, 4250, 0.02, proc, thread, mod, f6);   /* same stack: merged */
    ADD(&p, NULL, NULL, NULL, 4250, 0.01, proc, thread, mod, f7);   /* another line: a location */
    ADD(&p, NULL, NULL, NULL, 4251, 0.01, proc, mod, f6);           /* other labels: a sample */
    ADD(&p, NULL, NULL, NULL, 4251, 0.01, mod, lambda_a, lambda_b); /* two functions by start line */
    ADD(&p, NULL, NULL, NULL, 4251, 0.01, mod, sleep);
    ADD(&p, NULL, NULL, NULL, 4251, 0.01, proc, thread);            /* nothing but roots: dropped */
    assert_int_equal(p.nsamples, 5);
    assert_int_equal(p.samples[0].count, 2);
    assert_true(p.samples[0].seconds > 0.0299 && p.samples[0].seconds < 0.0301);
    assert_int_equal(p.nfunctions, 5); /* <module>, f, 2 x <lambda>, sleep */
    assert_int_equal(p.nlocations, 6);
    const struct pa_pprof_labels *l = &p.labels[p.samples[0].labels];
    assert_int_equal(l->has, PA_PPROF_PID | PA_PPROF_PROCESS | PA_PPROF_TID | PA_PPROF_THREAD_NAME);
    assert_int_equal(l->pid, 4242);
    assert_int_equal(l->tid, 4250);
    assert_string_equal(pa_strtab_text(&p.strings, l->process), "gunicorn: worker [shop.wsgi]");
    assert_string_equal(pa_strtab_text(&p.strings, l->thread_name), "Pool-1 \\\"x\\\"");
    l = &p.labels[p.samples[2].labels];
    assert_int_equal(l->has, PA_PPROF_PID | PA_PPROF_PROCESS);
    assert_int_equal(p.samples[3].labels, 0); /* no roots, no labels */
    /* a built-in has no file name in pprof */
    for (uint32_t i = 0; i < p.nfunctions; i++)
        if (strcmp(pa_strtab_text(&p.strings, p.functions[i].name), "<built-in method time.sleep>") == 0)
            assert_int_equal(p.functions[i].file, 0);
    pa_pprof_free(&p);
}

/* ---------------------------------------------------------------- reading back */

static const struct pa_pfunc *func_named(const struct pa_profile *prof, const char *file, const char *name)
{
    for (uint32_t i = 0; i < prof->nfuncs; i++) {
        const struct pa_pfunc *f = &prof->funcs[i];
        if (f->has_stats && strcmp(pa_strtab_text(&prof->strings, f->name), name) == 0 &&
            strcmp(pa_strtab_text(&prof->strings, f->file), file) == 0)
            return f;
    }
    fail_msg("no function %s %s in the profile", file, name);
    return NULL;
}

static enum pa_status load(const void *data, size_t len, struct pa_profile *prof, struct pa_error *err)
{
    pa_profile_init(prof);
    pa_error_clear(err);
    return pa_pprof_load(data, len, prof, err);
}

static void feed(const struct pa_writer_ops *ops, struct pa_writer *w, struct pa_aggregate *agg)
{
    const struct fr proc = {"~", "<process 4242: gunicorn: worker>", 0, 0};
    const struct fr thread = {"~", "<thread 4250 \"MainThread\">", 0, 0};
    const struct fr mod = {"app.py", "<module>", 1, 3};
    const struct fr run = {"app.py", "run", 20, 22};
    const struct fr fib = {"fib.py", "fib", 1, 2};
    const struct fr sleep = {"~", "<built-in method time.sleep>", 0, 0};
    for (int i = 0; i < 3; i++) {
        ADD(NULL, ops, w, agg, 4250, 0.01, proc, thread, mod, run, fib, fib, fib);
        ADD(NULL, ops, w, agg, 4250, 0.015, proc, thread, mod, run, sleep);
        ADD(NULL, ops, w, agg, 4250, 0.01, proc, thread, mod, run);
    }
    ADD(NULL, ops, w, agg, 4250, 0.5, proc, thread, mod, fib);
}

static void writer_round_trip(void **state)
{
    (void)state;
    const struct pa_writer_ops *ops = pa_writer_ops_for(PA_FORMAT_PPROF);
    assert_non_null(ops);
    assert_string_equal(ops->name, "pprof");
    assert_non_null(ops->describe);
    struct pa_writer *w = ops->create();
    struct pa_aggregate agg;
    pa_aggregate_init(&agg);
    feed(ops, w, &agg);
    ops->describe(w, &TINY_INFO);
    char *data = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&data, &len);
    struct pa_error err;
    assert_int_equal(ops->write(w, mem, &err), PA_OK);
    fclose(mem);
    assert_true(len > 20);
    assert_memory_equal(data, "\x1f\x8b", 2); /* gzip */

    struct pa_profile prof;
    assert_int_equal(load(data, len, &prof, &err), PA_OK);
    /* the roots come back from the labels; times as recorded; ncalls = samples on the stack */
    static const struct {
        const char *file, *name;
        int64_t nc, cc;
    } want[] = {
        {"~", "<process 4242: gunicorn: worker>", 10, 10},
        {"~", "<thread 4250 \"MainThread\">", 10, 10},
        {"app.py", "<module>", 10, 10},
        {"app.py", "run", 9, 9},
        {"fib.py", "fib", 10, 4}, /* 3 frames in each of 3 samples, 1 in the last */
        {"~", "<built-in method time.sleep>", 3, 3},
    };
    assert_int_equal(prof.nfuncs, agg.profile.nfuncs);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct pa_pfunc *got = func_named(&prof, want[i].file, want[i].name);
        const struct pa_pfunc *rec = func_named(&agg.profile, want[i].file, want[i].name);
        assert_int_equal(got->nc, want[i].nc);
        assert_int_equal(got->cc, want[i].cc);
        assert_int_equal(got->line, rec->line);
        assert_true(got->tt > rec->tt - 1e-9 && got->tt < rec->tt + 1e-9);
        assert_true(got->ct > rec->ct - 1e-9 && got->ct < rec->ct + 1e-9);
    }
    pa_profile_free(&prof);
    pa_aggregate_free(&agg);
    ops->destroy(w);
    free(data);
}

static void raw_and_unknown_fields(void **state)
{
    (void)state;
    /* TINY, uncompressed, with fields pyattach never writes: in the Profile (doc_url 15,
     * a message 16, a fixed32 99, a fixed64 100) and inside a Function (6) */
    struct pa_pb_buf b;
    pa_pb_buf_init(&b);
    pa_pb_uint(&b, 15, 3);
    size_t m = pa_pb_begin(&b, 5);
    pa_pb_uint(&b, 1, 9);
    pa_pb_uint(&b, 2, 10);
    pa_pb_uint(&b, 6, 77);
    pa_pb_end(&b, m);
    m = pa_pb_begin(&b, 16);
    pa_pb_uint(&b, 1, 1);
    pa_pb_end(&b, m);
    pa_pb_key(&b, 99, PA_PB_FIXED32);
    pa_pb_varint(&b, 0); /* 4 bytes of fixed32 */
    pa_pb_varint(&b, 0);
    pa_pb_varint(&b, 0);
    pa_pb_varint(&b, 0);
    pa_pb_key(&b, 100, PA_PB_FIXED64);
    for (int i = 0; i < 8; i++)
        pa_pb_varint(&b, 0x11);
    size_t len = sizeof TINY - 1 + b.len;
    uint8_t *data = malloc(len);
    memcpy(data, TINY, sizeof TINY - 1);
    memcpy(data + sizeof TINY - 1, b.data, b.len);
    struct pa_profile prof;
    struct pa_error err;
    assert_int_equal(load(data, len, &prof, &err), PA_OK);
    const struct pa_pfunc *f = func_named(&prof, "app.py", "f");
    assert_int_equal(f->nc, 1);
    assert_int_equal(f->line, 5);
    assert_true(f->tt > 0.0099999 && f->tt < 0.0100001);
    func_named(&prof, "~", "<thread 42>");
    pa_profile_free(&prof);
    free(data);
    pa_pb_buf_free(&b);
}

/* A profile of one sample and one function, with parts swapped for broken ones. */
static void broken(struct pa_pb_buf *b, const char *first_string, int values, bool count_only,
                   uint64_t location, int64_t time)
{
    pa_pb_buf_init(b);
    size_t m = pa_pb_begin(b, 1);
    pa_pb_uint(b, 1, 1);
    pa_pb_uint(b, 2, 2);
    pa_pb_end(b, m);
    if (!count_only) {
        m = pa_pb_begin(b, 1);
        pa_pb_uint(b, 1, 3);
        pa_pb_uint(b, 2, 4);
        pa_pb_end(b, m);
    }
    m = pa_pb_begin(b, 2);
    pa_pb_packed(b, 1, &location, 1);
    uint64_t v[3] = {1, (uint64_t)time, 5};
    pa_pb_packed(b, 2, v, (size_t)values);
    pa_pb_end(b, m);
    m = pa_pb_begin(b, 4);
    pa_pb_uint(b, 1, 1);
    size_t line = pa_pb_begin(b, 4);
    pa_pb_uint(b, 1, 1);
    pa_pb_end(b, line);
    pa_pb_end(b, m);
    m = pa_pb_begin(b, 5);
    pa_pb_uint(b, 1, 1);
    pa_pb_uint(b, 2, 5);
    pa_pb_end(b, m);
    const char *strings[] = {first_string, "samples", "count", "wall", "nanoseconds", "main"};
    for (size_t i = 0; i < 6; i++)
        pa_pb_bytes(b, 6, strings[i], strlen(strings[i]));
}

static void refuses_broken_files(void **state)
{
    (void)state;
    struct pa_pb_buf b;
    struct pa_profile prof;
    struct pa_error err;
    broken(&b, "", 2, false, 1, 1000);
    assert_int_equal(load(b.data, b.len, &prof, &err), PA_OK); /* the unbroken one loads */
    assert_int_equal(prof.nfuncs, 1);
    pa_profile_free(&prof);
    pa_pb_buf_free(&b);

    static const struct {
        const char *first;
        int values;
        bool count_only;
        uint64_t location;
        int64_t time;
        const char *message;
    } cases[] = {
        {"x", 2, false, 1, 1000, "string table does not start with an empty string"},
        {"", 1, false, 1, 1000, "fewer values"},
        {"", 3, false, 1, 1000, "more values"},
        {"", 2, false, 2, 1000, "location that does not exist"},
        {"", 1, true, 1, 1000, "no time-valued sample type"},
        {"", 2, false, 1, -5, "negative sample values"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        broken(&b, cases[i].first, cases[i].values, cases[i].count_only, cases[i].location, cases[i].time);
        enum pa_status st = load(b.data, b.len, &prof, &err);
        if (st != PA_E_CORRUPT || strstr(err.message, cases[i].message) == NULL)
            fail_msg("case %zu: status %d, message '%s'", i, (int)st, err.message);
        pa_profile_free(&prof);
        pa_pb_buf_free(&b);
    }

    /* not protobuf at all; gzip of garbage; a gzip file cut in half */
    static const char text[] = "this is not a profile\n";
    assert_int_equal(load(text, sizeof text - 1, &prof, &err), PA_E_CORRUPT);
    assert_non_null(strstr(err.message, "not a pprof profile"));
    pa_profile_free(&prof);
    static const char junk[] = "\x1f\x8b\x08\x00garbage garbage garbage";
    assert_int_equal(load(junk, sizeof junk - 1, &prof, &err), PA_E_CORRUPT);
    pa_profile_free(&prof);
    const struct pa_writer_ops *ops = pa_writer_ops_for(PA_FORMAT_PPROF);
    struct pa_writer *w = ops->create();
    feed(ops, w, NULL);
    char *data = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&data, &len);
    assert_int_equal(ops->write(w, mem, &err), PA_OK);
    fclose(mem);
    for (size_t cut = 1; cut < len; cut += len / 7 + 1) {
        enum pa_status st = load(data, cut, &prof, &err);
        if (st != PA_E_CORRUPT)
            fail_msg("a gzip file cut at %zu of %zu bytes: status %d", cut, len, (int)st);
        assert_non_null(strstr(err.message, "not a pprof profile"));
        pa_profile_free(&prof);
    }
    free(data);
    ops->destroy(w);
}

static void empty_profile(void **state)
{
    (void)state;
    const struct pa_writer_ops *ops = pa_writer_ops_for(PA_FORMAT_PPROF);
    struct pa_writer *w = ops->create(); /* never described: still a valid profile */
    char *data = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&data, &len);
    struct pa_error err;
    assert_int_equal(ops->write(w, mem, &err), PA_OK);
    fclose(mem);
    struct pa_profile prof;
    assert_int_equal(load(data, len, &prof, &err), PA_OK);
    assert_int_equal(prof.nfuncs, 0);
    pa_profile_free(&prof);
    free(data);
    ops->destroy(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(varints),
        cmocka_unit_test(fields),
        cmocka_unit_test(nested_messages),
        cmocka_unit_test(reading),
        cmocka_unit_test(tiny_profile_bytes),
        cmocka_unit_test(merging_and_labels),
        cmocka_unit_test(writer_round_trip),
        cmocka_unit_test(raw_and_unknown_fields),
        cmocka_unit_test(refuses_broken_files),
        cmocka_unit_test(empty_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
