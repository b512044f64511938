/* Unit tests of the _Py_DebugOffsets reader on synthetic images, one image per known
 * layout (3.13, 3.14, 3.15): a valid one, and each way a remote image can be wrong
 * (cookie, bounds, sizes, free-threaded, truncation, version, another version's label).
 * Field positions come from py_debug_offsets_layouts(); that they match CPython's own
 * headers is tests/integration/test_debug_offsets_headers.py's job. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "python_frames/debug_offsets.h"
#include "python_frames/layout.h"

/* What each layout's test image carries, and what the reader must make of it. */
struct version {
    const char *name; /* "3.14", in every failure message */
    int minor;
    uint32_t hex;                /* the version field of the test image */
    size_t size;                 /* sizeof(_Py_DebugOffsets) */
    enum py_ref_model refs;      /* f_executable: PyObject * (3.13), _PyStackRef (3.14+) */
    bool code_object_generation; /* interpreter_state.code_object_generation (3.14+) */
    bool base_frame;             /* thread_state.base_frame (3.15+) */
    bool type_fields; /* tp_basicsize, tp_dictoffset, ht_cached_keys, compactunicodeobject_size (3.15+) */
};

static const struct version v3_13 = {"3.13", 13, 0x030d05f0, 584, PY_REFS_POINTERS, false, false, false};
static const struct version v3_14 = {"3.14", 14, 0x030e08f0, 760, PY_REFS_TAGGED, true, false, false};
static const struct version v3_15 = {"3.15", 15, 0x030f00f0, 888, PY_REFS_TAGGED, true, true, true};
static const struct version *const versions[] = {&v3_13, &v3_14, &v3_15};
#define N_VERSIONS (sizeof versions / sizeof versions[0])

#define HEADER_SIZE 24 /* cookie, version, free_threaded */

/* The layout the reader has for v; its size must be the one CPython's headers give. */
static const struct py_debug_offsets_layout *layout_of(const struct version *v)
{
    size_t count = 0;
    const struct py_debug_offsets_layout *all = py_debug_offsets_layouts(&count);
    for (size_t i = 0; i < count; i++) {
        if (all[i].minor != v->minor)
            continue;
        if (all[i].size != v->size)
            fail_msg("%s: the layout is %zu bytes, CPython's _Py_DebugOffsets %zu", v->name, all[i].size, v->size);
        return &all[i];
    }
    fail_msg("%s: py_debug_offsets_layouts() has no layout for it", v->name);
    return NULL;
}

/* One spare byte in front so the image can be placed at an odd address; as much after
 * it as the attach reads (PY_DEBUG_OFFSETS_READ_SIZE), garbage past the image. */
struct image {
    const struct version *v;
    const struct py_debug_offsets_layout *t;
    uint8_t bytes[1 + PY_DEBUG_OFFSETS_READ_SIZE];
    uint8_t *buf; /* bytes + 1: deliberately misaligned */
};

/* Where the image's layout keeps field, or SIZE_MAX. */
static size_t find(const struct image *im, const char *field)
{
    if (strcmp(field, "version") == 0)
        return 8;
    if (strcmp(field, "free_threaded") == 0)
        return 16;
    for (size_t i = 0; i < im->t->count; i++)
        if (strcmp(im->t->fields[i].name, field) == 0)
            return im->t->fields[i].position;
    return SIZE_MAX;
}

static bool has(const struct image *im, const char *field)
{
    return find(im, field) != SIZE_MAX;
}

static size_t position(const struct image *im, const char *field)
{
    size_t pos = find(im, field);
    if (pos == SIZE_MAX)
        fail_msg("test bug: %s's _Py_DebugOffsets has no %s", im->v->name, field);
    return pos;
}

static void set(struct image *im, const char *field, uint64_t v)
{
    memcpy(im->buf + position(im, field), &v, sizeof v);
}

static uint64_t get(const struct image *im, const char *field)
{
    uint64_t v;
    memcpy(&v, im->buf + position(im, field), sizeof v);
    return v;
}

/* The fields the reader uses, made up but consistent, each value unlike the real one
 * and unlike every other, so a field read from the wrong slot shows; set where the
 * layout has them (since: the first minor version that does). */
static const struct {
    const char *field;
    uint64_t value;
    int since;
} values[] = {
    {"runtime_state.size", 300000, 13},
    {"runtime_state.interpreters_head", 1208, 13},
    {"interpreter_state.size", 200000, 13},
    {"interpreter_state.next", 3016, 13},
    {"interpreter_state.threads_head", 3128, 13},
    {"interpreter_state.imports_modules", 3240, 13}, /* the last used interpreter field in 3.13 */
    {"interpreter_state.code_object_generation", 3352, 14}, /* ... and from 3.14 */
    {"interpreter_state.ceval_gil", 2024, 13},
    {"interpreter_state.gil_runtime_state", 5000, 13},
    {"interpreter_state.gil_runtime_state_locked", 5020, 13},
    {"interpreter_state.gil_runtime_state_holder", 5008, 13},
    {"thread_state.size", 408, 13},
    {"thread_state.next", 40, 13},
    {"thread_state.interp", 56, 13},
    {"thread_state.current_frame", 88, 13},
    {"thread_state.base_frame", 112, 15},
    {"thread_state.thread_id", 160, 13},
    {"thread_state.native_thread_id", 176, 13},
    {"interpreter_frame.size", 96, 13},
    {"interpreter_frame.previous", 16, 13},
    {"interpreter_frame.executable", 8, 13},
    {"interpreter_frame.instr_ptr", 64, 13},
    {"interpreter_frame.localsplus", 80, 13},
    {"interpreter_frame.owner", 78, 13},
    {"code_object.size", 248, 13},
    {"code_object.filename", 120, 13},
    {"code_object.name", 128, 13},
    {"code_object.qualname", 136, 13},
    {"code_object.linetable", 144, 13},
    {"code_object.firstlineno", 76, 13},
    {"code_object.localsplusnames", 152, 13},
    {"code_object.localspluskinds", 164, 13},
    {"code_object.co_code_adaptive", 232, 13},
    {"pyobject.size", 32, 13},
    {"pyobject.ob_type", 20, 13},
    {"bytes_object.size", 48, 13},
    {"bytes_object.ob_size", 28, 13},
    {"bytes_object.ob_sval", 44, 13},
    {"unicode_object.size", 104, 13},
    {"unicode_object.state", 36, 13},
    {"unicode_object.length", 52, 13},
    {"unicode_object.asciiobject_size", 60, 13},
    {"unicode_object.compactunicodeobject_size", 84, 15}, /* not asciiobject_size + 16 */
    {"type_object.size", 1000, 13},
    {"type_object.tp_flags", 184, 13},
    {"type_object.tp_basicsize", 72, 15},
    {"type_object.tp_dictoffset", 304, 15},
    {"heap_type_object.size", 1016, 15},
    {"heap_type_object.ht_cached_keys", 912, 15},
    {"dict_object.size", 200, 13},
    {"dict_object.ma_keys", 168, 13},
    {"dict_object.ma_values", 192, 13},
    {"long_object.size", 36, 13},
    {"long_object.lv_tag", 4, 13},
    {"long_object.ob_digit", 30, 13},
};

/* A valid image of v's layout. Slots the reader does not use hold junk: reading one by
 * mistake makes an absurd offset. */
static void build_valid(struct image *im, const struct version *v)
{
    im->v = v;
    im->t = layout_of(v);
    memset(im->bytes, 0xa5, sizeof im->bytes);
    im->buf = im->bytes + 1;
    memcpy(im->buf, PY_DEBUG_OFFSETS_COOKIE, 8);
    set(im, "version", v->hex);
    set(im, "free_threaded", 0);
    for (size_t i = 0; i < im->t->count; i++)
        set(im, im->t->fields[i].name, UINT64_C(0xf111ed0000000000) | i);
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        if (v->minor >= values[i].since)
            set(im, values[i].field, values[i].value);
        else if (has(im, values[i].field))
            fail_msg("test bug: %s's _Py_DebugOffsets has %s, values[] says from 3.%d", v->name, values[i].field,
                     values[i].since);
    }
}

/* Parses the image; on failure the output layout must be left untouched. */
static enum pa_status parse(const struct image *im, size_t len, struct py_layout *l, struct pa_error *err)
{
    memset(l, 0x5a, sizeof *l);
    struct py_layout before = *l;
    pa_error_clear(err);
    enum pa_status st = py_layout_from_debug_offsets(im->buf, len, l, err);
    if (st != PA_OK && memcmp(&before, l, sizeof *l) != 0)
        fail_msg("%s: a failed parse (%s) changed the output layout", im->v->name, err->message);
    return st;
}

static void expect_status(const struct image *im, enum pa_status st, enum pa_status want, const struct pa_error *err,
                          const char *what)
{
    if (st != want)
        fail_msg("%s: %s: status %d, expected %d (\"%s\")", im->v->name, what, st, want,
                 st == PA_OK ? "" : err->message);
}

static void expect_message(const struct image *im, const struct pa_error *err, const char *needle)
{
    if (strstr(err->message, needle) == NULL)
        fail_msg("%s: error message \"%s\" does not mention \"%s\"", im->v->name, err->message, needle);
}

static void expect_eq(const struct image *im, const char *what, int64_t actual, int64_t expected)
{
    if (actual != expected)
        fail_msg("%s: %s = %" PRId64 ", expected %" PRId64, im->v->name, what, actual, expected);
}
#define EXPECT(im, actual, expected) expect_eq((im), #actual, (int64_t)(actual), (int64_t)(expected))

/* The image's value of field, or PY_NO_FIELD where the version has none. */
static int64_t image_or_none(const struct image *im, bool present, const char *field)
{
    return present ? (int64_t)get(im, field) : PY_NO_FIELD;
}

/* Everything the stack walker uses, and the models; not the thread-name fields nor
 * interpreter_state.size (it depends on whether names are on). */
static void expect_stack_fields(const struct image *im, const struct py_layout *l)
{
    const struct version *v = im->v;
    EXPECT(im, l->version_hex, v->hex);
    EXPECT(im, l->runtime_model, PY_RUNTIME_PYRUNTIME);
    EXPECT(im, l->frame_model, PY_FRAMES_INTERPRETER);
    EXPECT(im, l->instr_model, PY_INSTR_INSTR_PTR);
    EXPECT(im, l->linetable_model, PY_LINES_LOCATIONS);
    EXPECT(im, l->gil_model, PY_GIL_INTERP_GIL_HOLDER);
    EXPECT(im, l->ref_model, v->refs);

    EXPECT(im, l->runtime_state.interpreters_head, get(im, "runtime_state.interpreters_head"));
    EXPECT(im, l->runtime_state.size, get(im, "runtime_state.interpreters_head") + 8);
    EXPECT(im, l->runtime_state.gilstate_tstate_current, PY_NO_FIELD);
    EXPECT(im, l->interpreter_state.next, get(im, "interpreter_state.next"));
    EXPECT(im, l->interpreter_state.threads_head, get(im, "interpreter_state.threads_head"));
    EXPECT(im, l->interpreter_state.ceval_gil, get(im, "interpreter_state.ceval_gil"));
    EXPECT(im, l->interpreter_state.code_object_generation,
           image_or_none(im, v->code_object_generation, "interpreter_state.code_object_generation"));

    EXPECT(im, l->thread_state.size, get(im, "thread_state.size"));
    EXPECT(im, l->thread_state.next, get(im, "thread_state.next"));
    EXPECT(im, l->thread_state.interp, get(im, "thread_state.interp"));
    EXPECT(im, l->thread_state.current_frame, get(im, "thread_state.current_frame"));
    EXPECT(im, l->thread_state.cframe, PY_NO_FIELD);
    EXPECT(im, l->thread_state.thread_id, get(im, "thread_state.thread_id"));
    EXPECT(im, l->thread_state.native_thread_id, get(im, "thread_state.native_thread_id"));
    EXPECT(im, l->thread_state.base_frame, image_or_none(im, v->base_frame, "thread_state.base_frame"));
    EXPECT(im, l->cframe.current_frame, PY_NO_FIELD);

    /* locked / last_holder become relative to the _gil_runtime_state struct */
    EXPECT(im, l->gil_runtime_state.locked,
           get(im, "interpreter_state.gil_runtime_state_locked") - get(im, "interpreter_state.gil_runtime_state"));
    EXPECT(im, l->gil_runtime_state.last_holder,
           get(im, "interpreter_state.gil_runtime_state_holder") - get(im, "interpreter_state.gil_runtime_state"));

    EXPECT(im, l->interpreter_frame.previous, get(im, "interpreter_frame.previous"));
    EXPECT(im, l->interpreter_frame.executable, get(im, "interpreter_frame.executable"));
    EXPECT(im, l->interpreter_frame.instr, get(im, "interpreter_frame.instr_ptr"));
    EXPECT(im, l->interpreter_frame.owner, get(im, "interpreter_frame.owner"));
    EXPECT(im, l->interpreter_frame.is_entry, PY_NO_FIELD);
    EXPECT(im, l->interpreter_frame.localsplus, get(im, "interpreter_frame.localsplus"));
    EXPECT(im, l->interpreter_frame.size, get(im, "interpreter_frame.localsplus")); /* the fixed head */

    EXPECT(im, l->code_object.size, get(im, "code_object.size"));
    EXPECT(im, l->code_object.filename, get(im, "code_object.filename"));
    EXPECT(im, l->code_object.name, get(im, "code_object.name"));
    EXPECT(im, l->code_object.qualname, get(im, "code_object.qualname"));
    EXPECT(im, l->code_object.firstlineno, get(im, "code_object.firstlineno"));
    EXPECT(im, l->code_object.linetable, get(im, "code_object.linetable"));
    EXPECT(im, l->code_object.code_adaptive, get(im, "code_object.co_code_adaptive"));
    EXPECT(im, l->code_object.nlocals, PY_NO_FIELD);
    EXPECT(im, l->code_object.localsplusnames, get(im, "code_object.localsplusnames"));
    EXPECT(im, l->code_object.localspluskinds, get(im, "code_object.localspluskinds"));
    EXPECT(im, l->code_object.varnames, PY_NO_FIELD);

    EXPECT(im, l->object.ob_type, get(im, "pyobject.ob_type"));
    EXPECT(im, l->object.ob_size, get(im, "bytes_object.ob_size"));
    EXPECT(im, l->bytes_object.ob_sval, get(im, "bytes_object.ob_sval"));
    EXPECT(im, l->unicode_object.length, get(im, "unicode_object.length"));
    EXPECT(im, l->unicode_object.state, get(im, "unicode_object.state"));
    EXPECT(im, l->unicode_object.ascii_size, get(im, "unicode_object.asciiobject_size"));
    /* 3.15 describes PyCompactUnicodeObject; before, utf8_length + utf8 follow the ASCII head */
    EXPECT(im, l->unicode_object.compact_size,
           v->type_fields ? get(im, "unicode_object.compactunicodeobject_size")
                          : get(im, "unicode_object.asciiobject_size") + 16);
}

/* The thread-name fields of a valid image: the type fields from 3.15's table, before it
 * the constants no table describes (3.13.0's DWARF); the dict internals are constants
 * in every version. */
static void expect_name_fields(const struct image *im, const struct py_layout *l)
{
    const struct version *v = im->v;
    EXPECT(im, l->instance_dict_model, PY_INSTANCE_INLINE_VALUES);
    EXPECT(im, l->interpreter_state.modules, get(im, "interpreter_state.imports_modules"));
    EXPECT(im, l->type_object.tp_flags, get(im, "type_object.tp_flags"));
    EXPECT(im, l->type_object.tp_basicsize, v->type_fields ? get(im, "type_object.tp_basicsize") : 32);
    EXPECT(im, l->type_object.tp_dictoffset, v->type_fields ? get(im, "type_object.tp_dictoffset") : 288);
    EXPECT(im, l->type_object.ht_cached_keys, v->type_fields ? get(im, "heap_type_object.ht_cached_keys") : 880);
    EXPECT(im, l->module_object.md_dict, 16);
    EXPECT(im, l->dict_object.ma_keys, get(im, "dict_object.ma_keys"));
    EXPECT(im, l->dict_object.ma_values, get(im, "dict_object.ma_values"));
    EXPECT(im, l->dict_keys_object.dk_size, PY_NO_FIELD);
    EXPECT(im, l->dict_keys_object.dk_log2_size, 8);
    EXPECT(im, l->dict_keys_object.dk_log2_index_bytes, 9);
    EXPECT(im, l->dict_keys_object.dk_kind, 10);
    EXPECT(im, l->dict_keys_object.dk_nentries, 24);
    EXPECT(im, l->dict_keys_object.dk_indices, 32);
    EXPECT(im, l->dict_key_entry.size, 24);
    EXPECT(im, l->dict_key_entry.me_hash, 0);
    EXPECT(im, l->dict_key_entry.me_key, 8);
    EXPECT(im, l->dict_key_entry.me_value, 16);
    EXPECT(im, l->dict_unicode_entry.size, 16);
    EXPECT(im, l->dict_unicode_entry.me_key, 0);
    EXPECT(im, l->dict_unicode_entry.me_value, 8);
    EXPECT(im, l->dict_values.values, 8);
    EXPECT(im, l->long_object.lv_tag, get(im, "long_object.lv_tag"));
    EXPECT(im, l->long_object.ob_digit, get(im, "long_object.ob_digit"));
}

/* One cmocka test per check and layout: valid_image_3_14 runs valid_image(&v3_14). */
#define PER_LAYOUT(check)                                                                                  \
    static void check##_3_13(void **state) { (void)state; check(&v3_13); }                                  \
    static void check##_3_14(void **state) { (void)state; check(&v3_14); }                                  \
    static void check##_3_15(void **state) { (void)state; check(&v3_15); }
#define LAYOUT_TESTS(check)                                                                                \
    cmocka_unit_test(check##_3_13), cmocka_unit_test(check##_3_14), cmocka_unit_test(check##_3_15)

/* What the images rely on: three layouts, oldest first, field n at 24 + 8 * n. */
static void test_layouts_listed(void **state)
{
    (void)state;
    size_t count = 0;
    const struct py_debug_offsets_layout *all = py_debug_offsets_layouts(&count);
    assert_int_equal(count, N_VERSIONS);
    for (size_t i = 0; i < count; i++) {
        const struct version *v = versions[i];
        if (all[i].minor != v->minor || all[i].size != v->size)
            fail_msg("layout %zu is 3.%d, %zu bytes; expected %s, %zu bytes", i, all[i].minor, all[i].size,
                     v->name, v->size);
        if (all[i].size != HEADER_SIZE + 8 * all[i].count)
            fail_msg("%s: %zu fields do not fill %zu bytes", v->name, all[i].count, all[i].size);
        for (size_t n = 0; n < all[i].count; n++)
            if (all[i].fields[n].position != HEADER_SIZE + 8 * n)
                fail_msg("%s: %s is at %zu, not %zu", v->name, all[i].fields[n].name, all[i].fields[n].position,
                         (size_t)(HEADER_SIZE + 8 * n));
    }
}

static void valid_image(const struct version *v)
{
    struct image im;
    struct py_layout l, again;
    struct pa_error err;
    build_valid(&im, v);

    uint32_t hex = 0;
    if (!py_debug_offsets_present(im.buf, v->size, &hex))
        fail_msg("%s: the cookie was not seen", v->name);
    EXPECT(&im, hex, v->hex);
    expect_status(&im, parse(&im, v->size, &l, &err), PA_OK, &err, "the valid image");
    expect_stack_fields(&im, &l);
    expect_name_fields(&im, &l);
    /* Bytes to read of the interpreter: up to the last field used, + 8. */
    const char *last = v->code_object_generation ? "interpreter_state.code_object_generation"
                                                 : "interpreter_state.imports_modules";
    EXPECT(&im, l.interpreter_state.size, get(&im, last) + 8);

    /* A full-size read holds garbage past the image: it is ignored. */
    expect_status(&im, parse(&im, PY_DEBUG_OFFSETS_READ_SIZE, &again, &err), PA_OK, &err, "a full-size read");
    if (memcmp(&l, &again, sizeof l) != 0)
        fail_msg("%s: bytes past the image changed the layout", v->name);
}
PER_LAYOUT(valid_image)

/* sizeof(PyCompactUnicodeObject) must lie between PyASCIIObject's and PyUnicodeObject's,
 * whether the table gives it (3.15) or it is derived (asciiobject_size + 16). */
static void compact_unicode_size(const struct version *v)
{
    struct image im;
    struct py_layout l;
    struct pa_error err;
    build_valid(&im, v);
    if (!v->type_fields) {
        /* asciiobject_size + 16 then passes the end of the PyUnicodeObject */
        set(&im, "unicode_object.asciiobject_size", get(&im, "unicode_object.size") - 8);
        expect_status(&im, parse(&im, v->size, &l, &err), PA_E_CORRUPT, &err, "asciiobject_size + 16 > size");
        expect_message(&im, &err, "PyCompactUnicodeObject");
        return;
    }
    static const struct {
        const char *from; /* compactunicodeobject_size = from + delta */
        int delta;
        enum pa_status want;
    } cases[] = {
        {"unicode_object.asciiobject_size", -1, PA_E_CORRUPT},
        {"unicode_object.asciiobject_size", 0, PA_OK},
        {"unicode_object.size", 0, PA_OK},
        {"unicode_object.size", 1, PA_E_CORRUPT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        build_valid(&im, v);
        uint64_t compact = get(&im, cases[i].from) + (uint64_t)(int64_t)cases[i].delta;
        set(&im, "unicode_object.compactunicodeobject_size", compact);
        char what[96];
        snprintf(what, sizeof what, "compactunicodeobject_size = %" PRIu64, compact);
        expect_status(&im, parse(&im, v->size, &l, &err), cases[i].want, &err, what);
        if (cases[i].want == PA_OK)
            EXPECT(&im, l.unicode_object.compact_size, compact);
        else
            expect_message(&im, &err, "compactunicodeobject_size");
    }
}
PER_LAYOUT(compact_unicode_size)

static void missing_cookie(const struct version *v)
{
    struct image im;
    struct py_layout l;
    struct pa_error err;
    build_valid(&im, v);
    im.buf[7] = 'Y'; /* "xdebugpY" */
    uint32_t hex = 0xdead;
    if (py_debug_offsets_present(im.buf, v->size, &hex))
        fail_msg("%s: \"xdebugpY\" taken for the cookie", v->name);
    expect_status(&im, parse(&im, v->size, &l, &err), PA_E_CORRUPT, &err, "a wrong cookie");
    EXPECT(&im, err.status, PA_E_CORRUPT);
    expect_message(&im, &err, "cookie");

    memset(im.buf, 0, 8);
    if (py_debug_offsets_present(im.buf, v->size, NULL))
        fail_msg("%s: zeros taken for the cookie", v->name);
    expect_status(&im, parse(&im, v->size, &l, &err), PA_E_CORRUPT, &err, "no cookie");
}
PER_LAYOUT(missing_cookie)

/* Every field we use, pushed just past its struct's end, must be refused by name. */
static void offset_beyond_size(const struct version *v)
{
    static const struct {
        const char *field, *size_field;
        int since;
    } used[] = {
        {"runtime_state.interpreters_head", "runtime_state.size", 13},
        {"interpreter_state.next", "interpreter_state.size", 13},
        {"interpreter_state.threads_head", "interpreter_state.size", 13},
        {"interpreter_state.ceval_gil", "interpreter_state.size", 13},
        {"interpreter_state.gil_runtime_state", "interpreter_state.size", 13},
        {"interpreter_state.gil_runtime_state_locked", "interpreter_state.size", 13},
        {"interpreter_state.gil_runtime_state_holder", "interpreter_state.size", 13},
        {"interpreter_state.code_object_generation", "interpreter_state.size", 14},
        {"thread_state.next", "thread_state.size", 13},
        {"thread_state.interp", "thread_state.size", 13},
        {"thread_state.current_frame", "thread_state.size", 13},
        {"thread_state.base_frame", "thread_state.size", 15},
        {"thread_state.thread_id", "thread_state.size", 13},
        {"thread_state.native_thread_id", "thread_state.size", 13},
        {"interpreter_frame.previous", "interpreter_frame.size", 13},
        {"interpreter_frame.executable", "interpreter_frame.size", 13},
        {"interpreter_frame.instr_ptr", "interpreter_frame.size", 13},
        {"interpreter_frame.owner", "interpreter_frame.size", 13},
        {"code_object.filename", "code_object.size", 13},
        {"code_object.name", "code_object.size", 13},
        {"code_object.qualname", "code_object.size", 13},
        {"code_object.linetable", "code_object.size", 13},
        {"code_object.firstlineno", "code_object.size", 13},
        {"code_object.co_code_adaptive", "code_object.size", 13},
        {"code_object.localsplusnames", "code_object.size", 13},
        {"pyobject.ob_type", "pyobject.size", 13},
        {"bytes_object.ob_size", "bytes_object.size", 13},
        {"bytes_object.ob_sval", "bytes_object.size", 13},
        {"unicode_object.state", "unicode_object.asciiobject_size", 13},
        {"unicode_object.length", "unicode_object.asciiobject_size", 13},
    };
    struct image im;
    struct py_layout l;
    struct pa_error err;
    for (size_t i = 0; i < sizeof used / sizeof used[0]; i++) {
        if (v->minor < used[i].since)
            continue;
        build_valid(&im, v);
        set(&im, used[i].field, get(&im, used[i].size_field));
        char what[96];
        snprintf(what, sizeof what, "%s = its struct size", used[i].field);
        expect_status(&im, parse(&im, v->size, &l, &err), PA_E_CORRUPT, &err, what);
        expect_message(&im, &err, used[i].field);
    }

    /* A pointer-sized field may not straddle the end either. */
    build_valid(&im, v);
    set(&im, "thread_state.native_thread_id", get(&im, "thread_state.size") - 4);
    expect_status(&im, parse(&im, v->size, &l, &err), PA_E_CORRUPT, &err, "native_thread_id straddling the end");
    expect_message(&im, &err, "native_thread_id");

    /* localsplus is a flexible array: exactly at the end is fine, past it is not. */
    build_valid(&im, v);
    set(&im, "interpreter_frame.localsplus", get(&im, "interpreter_frame.size"));
    expect_status(&im, parse(&im, v->size, &l, &err), PA_OK, &err, "localsplus at the frame's end");
    EXPECT(&im, l.interpreter_frame.localsplus, get(&im, "interpreter_frame.size"));
    set(&im, "interpreter_frame.localsplus", get(&im, "interpreter_frame.size") + 8);
    expect_status(&im, parse(&im, v->size, &l, &err), PA_E_CORRUPT, &err, "localsplus past the frame's end");
    expect_message(&im, &err, "localsplus");

    /* The GIL fields must lie inside the embedded _gil, after its start. */
    build_valid(&im, v);
    set(&im, "interpreter_state.gil_runtime_state_locked", get(&im, "interpreter_state.gil_runtime_state") - 8);
    expect_status(&im, parse(&im, v->size, &l, &err), PA_E_CORRUPT, &err, "locked before the _gil");
    expect_message(&im, &err, "gil_runtime_state_locked");
}
PER_LAYOUT(offset_beyond_size)

static void insane_sizes(const struct version *v)
{
    static const char *const sizes[] = {"runtime_state.size", "interpreter_state.size", "thread_state.size",
                                        "interpreter_frame.size", "code_object.size", "pyobject.size",
                                        "bytes_object.size", "unicode_object.size"};
    struct image im;
    struct py_layout l;
    struct pa_error err;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        build_valid(&im, v);
        set(&im, sizes[i], 0);
        expect_status(&im, parse(&im, v->size, &l, &err), PA_E_CORRUPT, &err, sizes[i]);
        expect_message(&im, &err, sizes[i]);
        set(&im, sizes[i], UINT64_C(1) << 40);
        expect_status(&im, parse(&im, v->size, &l, &err), PA_E_CORRUPT, &err, sizes[i]);
        expect_message(&im, &err, sizes[i]);
    }
    /* Small structs are capped at 64 KiB. */
    build_valid(&im, v);
    set(&im, "thread_state.size", 70000);
    expect_status(&im, parse(&im, v->size, &l, &err), PA_E_CORRUPT, &err, "a 70000-byte thread state");
    /* The fields we read of the runtime and the interpreter must lie in their first 64 KiB. */
    build_valid(&im, v);
    set(&im, "runtime_state.interpreters_head", 100000);
    expect_status(&im, parse(&im, v->size, &l, &err), PA_E_CORRUPT, &err, "interpreters_head at 100000");
    build_valid(&im, v);
    set(&im, "interpreter_state.threads_head", 100000);
    expect_status(&im, parse(&im, v->size, &l, &err), PA_E_CORRUPT, &err, "threads_head at 100000");
}
PER_LAYOUT(insane_sizes)

static void free_threaded(const struct version *v)
{
    struct image im;
    struct py_layout l;
    struct pa_error err;
    build_valid(&im, v);
    set(&im, "free_threaded", 1);
    expect_status(&im, parse(&im, v->size, &l, &err), PA_E_UNSUPPORTED, &err, "a free-threaded build");
    EXPECT(&im, err.status, PA_E_UNSUPPORTED);
    expect_message(&im, &err, "free-threaded");
    char build[16];
    snprintf(build, sizeof build, "%st", v->name); /* "3.14t" */
    expect_message(&im, &err, build);
}
PER_LAYOUT(free_threaded)

/* Anything short of the layout's size is truncated, an older layout's size included
 * (a 3.15 image is 888 bytes: a 760-byte read of it is not a 3.14 table). */
static void truncated(const struct version *v)
{
    struct image im;
    struct py_layout l;
    struct pa_error err;
    build_valid(&im, v);
    size_t lengths[16], n = 0;
    static const size_t short_lengths[] = {0, 7, 8, 16, 23, 24, 300};
    for (size_t i = 0; i < sizeof short_lengths / sizeof short_lengths[0]; i++)
        lengths[n++] = short_lengths[i];
    for (size_t i = 0; i < N_VERSIONS; i++)
        if (versions[i]->size < v->size)
            lengths[n++] = versions[i]->size;
    lengths[n++] = v->size - 1;
    char layout_size[32];
    snprintf(layout_size, sizeof layout_size, "%s's is %zu", v->name, v->size);
    for (size_t i = 0; i < n; i++) {
        char what[48];
        snprintf(what, sizeof what, "a %zu-byte image", lengths[i]);
        expect_status(&im, parse(&im, lengths[i], &l, &err), PA_E_CORRUPT, &err, what);
        expect_message(&im, &err, "truncated");
        if (lengths[i] >= HEADER_SIZE)
            expect_message(&im, &err, layout_size);
    }
    if (py_debug_offsets_present(im.buf, 7, NULL))
        fail_msg("%s: a 7-byte image taken for a header", v->name);
}
PER_LAYOUT(truncated)

static void test_null_arguments(void **state)
{
    (void)state;
    struct image im;
    struct py_layout l;
    struct pa_error err;
    build_valid(&im, &v3_15);
    assert_false(py_debug_offsets_present(NULL, 0, NULL));
    assert_int_equal(py_layout_from_debug_offsets(NULL, 0, &l, &err), PA_E_INTERNAL);
    assert_int_equal(py_layout_from_debug_offsets(im.buf, v3_15.size, NULL, &err), PA_E_INTERNAL);
}

/* Versions without a layout, whatever image they label, and pre-releases: a layout
 * holds from its first_version (3.13 and 3.14: rc1; 3.15: b4) on. */
static void other_versions(const struct version *v)
{
    static const struct {
        uint64_t version;
        const char *message;
    } unknown[] = {
        {0x030c01f0, "no layout known"},
        {0x030b00f0, "no layout known"},
        {0x040d00f0, "no layout known"},
        {0x040f00f0, "no layout known"},
        {UINT64_C(0x1030d00f0), "no layout known"},
        {UINT64_C(0x1031000f0), "no layout known"},
        {0x031000f0, "newer than the newest layout pyattach knows (3.15)"},
        {0x031400f0, "newer than the newest layout pyattach knows (3.15)"},
    };
    struct image im;
    struct py_layout l;
    struct pa_error err;
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        build_valid(&im, v);
        set(&im, "version", unknown[i].version);
        char what[48];
        snprintf(what, sizeof what, "version 0x%" PRIx64, unknown[i].version);
        expect_status(&im, parse(&im, v->size, &l, &err), PA_E_UNSUPPORTED, &err, what);
        expect_message(&im, &err, unknown[i].message);
    }
    /* The header is still seen; a version beyond 32 bits reads as 0 (none we know). */
    uint32_t hex = 1;
    if (!py_debug_offsets_present(im.buf, v->size, &hex))
        fail_msg("%s: the cookie was not seen", v->name);
    EXPECT(&im, hex, 0x031400f0);
    set(&im, "version", UINT64_C(0x1030d00f0));
    if (!py_debug_offsets_present(im.buf, v->size, &hex))
        fail_msg("%s: the cookie was not seen", v->name);
    EXPECT(&im, hex, 0);

    static const struct {
        uint32_t version;
        bool accepted;
    } pre[] = {
        {0x030d00b2, false}, {0x030d00c1, true},  /* 3.13.0b2, 3.13.0rc1 */
        {0x030e00b3, false}, {0x030e00c1, true},  /* 3.14.0b3, 3.14.0rc1 */
        {0x030f00a8, false}, {0x030f00b3, false}, /* 3.15.0a8, 3.15.0b3 */
        {0x030f00b4, true},  {0x030f00c1, true},  /* 3.15.0b4, 3.15.0rc1 */
    };
    for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
        if ((int)((pre[i].version >> 16) & 0xff) != v->minor)
            continue;
        build_valid(&im, v);
        set(&im, "version", pre[i].version);
        char what[48];
        snprintf(what, sizeof what, "pre-release 0x%08" PRIx32, pre[i].version);
        enum pa_status st = parse(&im, v->size, &l, &err);
        if (pre[i].accepted) {
            expect_status(&im, st, PA_OK, &err, what);
            EXPECT(&im, l.version_hex, pre[i].version);
        } else {
            expect_status(&im, st, PA_E_UNSUPPORTED, &err, what);
            expect_message(&im, &err, "pre-release");
        }
    }
}
PER_LAYOUT(other_versions)

/* The output fields every layout reads from its image: what reading the wrong slots
 * would move. */
static bool same_common_fields(const struct py_layout *a, const struct py_layout *b)
{
#define SAME(f) (a->f == b->f)
    return SAME(runtime_state.interpreters_head) && SAME(interpreter_state.next) &&
           SAME(interpreter_state.threads_head) && SAME(interpreter_state.ceval_gil) &&
           SAME(interpreter_state.modules) && SAME(thread_state.size) && SAME(thread_state.next) &&
           SAME(thread_state.interp) && SAME(thread_state.current_frame) && SAME(thread_state.thread_id) &&
           SAME(thread_state.native_thread_id) && SAME(gil_runtime_state.locked) &&
           SAME(gil_runtime_state.last_holder) && SAME(interpreter_frame.previous) &&
           SAME(interpreter_frame.executable) && SAME(interpreter_frame.instr) && SAME(interpreter_frame.owner) &&
           SAME(interpreter_frame.localsplus) && SAME(code_object.size) && SAME(code_object.filename) &&
           SAME(code_object.name) && SAME(code_object.qualname) && SAME(code_object.firstlineno) &&
           SAME(code_object.linetable) && SAME(code_object.code_adaptive) && SAME(code_object.localsplusnames) &&
           SAME(object.ob_type) && SAME(object.ob_size) && SAME(bytes_object.ob_sval) &&
           SAME(unicode_object.length) && SAME(unicode_object.state) && SAME(unicode_object.ascii_size) &&
           SAME(type_object.tp_flags) && SAME(dict_object.ma_keys) && SAME(dict_object.ma_values) &&
           SAME(long_object.lv_tag) && SAME(long_object.ob_digit);
#undef SAME
}

/* An image labelled with another minor version (e.g. a 3.13 image saying 3.14). The
 * version field alone picks the positions, so such an image is read with the label's
 * positions. This proves that a mislabelled image is never silently accepted with its
 * own version's positions: it is refused (truncated when shorter than the label's
 * layout), or at worst parses into a layout that differs from its own parse. With these
 * images every pair is in fact refused as corrupt (some section size is then read from a
 * junk slot). It does not prove that every mislabelled real image is refused. */
static void relabelled(const struct version *v)
{
    struct image im;
    struct py_layout own, l;
    struct pa_error err;
    for (size_t i = 0; i < N_VERSIONS; i++) {
        const struct version *label = versions[i];
        if (label == v)
            continue;
        build_valid(&im, v);
        expect_status(&im, parse(&im, PY_DEBUG_OFFSETS_READ_SIZE, &own, &err), PA_OK, &err, "the valid image");
        set(&im, "version", label->hex);
        if (v->size < label->size) {
            enum pa_status st = parse(&im, v->size, &l, &err);
            if (st != PA_E_CORRUPT || strstr(err.message, "truncated") == NULL)
                fail_msg("%s: its %zu-byte image labelled %s was not refused as truncated (status %d, \"%s\")",
                         v->name, v->size, label->name, st, st == PA_OK ? "" : err.message);
        }
        if (parse(&im, PY_DEBUG_OFFSETS_READ_SIZE, &l, &err) == PA_OK && same_common_fields(&own, &l))
            fail_msg("%s: its image labelled %s was accepted with %s's positions", v->name, label->name, v->name);
    }
}
PER_LAYOUT(relabelled)

/* Thread names need fields the stacks do not: a table that gets one of them wrong
 * loses the names (interpreter_state.modules = PY_NO_FIELD), never the stacks. */
static void names_disabled(const struct version *v)
{
    static const struct {
        const char *field, *bound; /* field = bound's value; NULL bound: use value */
        uint64_t value;
        int since, until; /* the minor versions the case applies to */
    } cases[] = {
        {"interpreter_state.imports_modules", "interpreter_state.size", 0, 13, 15}, /* outside interpreter_state */
        {"interpreter_state.imports_modules", NULL, 70000, 13, 15}, /* inside it, beyond the 64 KiB read */
        {"interpreter_state.imports_modules", NULL, 0, 13, 15},
        {"type_object.tp_flags", "type_object.size", 0, 13, 15},
        {"type_object.tp_basicsize", "type_object.size", 0, 15, 15},
        {"type_object.tp_dictoffset", "type_object.size", 0, 15, 15},
        {"heap_type_object.ht_cached_keys", "heap_type_object.size", 0, 15, 15},
        {"dict_object.ma_keys", "dict_object.size", 0, 13, 15},
        {"dict_object.ma_values", "dict_object.size", 0, 13, 15},
        {"long_object.lv_tag", "long_object.size", 0, 13, 15},
        {"long_object.ob_digit", "long_object.size", 0, 13, 15},
        /* A type object that ends where its tp_dictoffset field starts (the constant
         * 288 before 3.15, the table's from 3.15). */
        {"type_object.size", NULL, 288, 13, 14},
        {"type_object.size", "type_object.tp_dictoffset", 0, 15, 15},
    };
    struct image im;
    struct py_layout l;
    struct pa_error err;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (v->minor < cases[i].since || v->minor > cases[i].until)
            continue;
        build_valid(&im, v);
        uint64_t value = cases[i].bound != NULL ? get(&im, cases[i].bound) : cases[i].value;
        set(&im, cases[i].field, value);
        char what[96];
        snprintf(what, sizeof what, "%s = %" PRIu64, cases[i].field, value);
        expect_status(&im, parse(&im, v->size, &l, &err), PA_OK, &err, what);
        if (l.interpreter_state.modules != PY_NO_FIELD)
            fail_msg("%s: %s left thread names on (modules = %d)", v->name, what, l.interpreter_state.modules);
        expect_stack_fields(&im, &l);
        /* modules no longer counts for the bytes to read */
        const char *last = v->code_object_generation ? "interpreter_state.code_object_generation"
                                                     : "interpreter_state.threads_head";
        EXPECT(&im, l.interpreter_state.size, get(&im, last) + 8);
    }
}
PER_LAYOUT(names_disabled)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layouts_listed),
        LAYOUT_TESTS(valid_image),
        LAYOUT_TESTS(compact_unicode_size),
        LAYOUT_TESTS(missing_cookie),
        LAYOUT_TESTS(offset_beyond_size),
        LAYOUT_TESTS(insane_sizes),
        LAYOUT_TESTS(free_threaded),
        LAYOUT_TESTS(truncated),
        cmocka_unit_test(test_null_arguments),
        LAYOUT_TESTS(other_versions),
        LAYOUT_TESTS(relabelled),
        LAYOUT_TESTS(names_disabled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
