/* Unit tests of the 3.13 _Py_DebugOffsets reader on synthetic images: a valid one,
 * and each way a remote image can be wrong (cookie, bounds, free-threaded, truncation). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "python_frames/debug_offsets.h"
#include "python_frames/layout.h"

/* The uint64 fields of 3.13's _Py_DebugOffsets in declaration order, after the 8-byte
 * cookie (Include/internal/pycore_runtime.h of 3.13.0): field i is at 8 + 8 * i. */
static const char *const image_fields[] = {
    "version", "free_threaded",
    "runtime_state.size", "runtime_state.finalizing", "runtime_state.interpreters_head",
    "interpreter_state.size", "interpreter_state.id", "interpreter_state.next", "interpreter_state.threads_head",
    "interpreter_state.gc", "interpreter_state.imports_modules", "interpreter_state.sysdict",
    "interpreter_state.builtins", "interpreter_state.ceval_gil", "interpreter_state.gil_runtime_state",
    "interpreter_state.gil_runtime_state_enabled", "interpreter_state.gil_runtime_state_locked",
    "interpreter_state.gil_runtime_state_holder",
    "thread_state.size", "thread_state.prev", "thread_state.next", "thread_state.interp",
    "thread_state.current_frame", "thread_state.thread_id", "thread_state.native_thread_id",
    "thread_state.datastack_chunk", "thread_state.status",
    "interpreter_frame.size", "interpreter_frame.previous", "interpreter_frame.executable",
    "interpreter_frame.instr_ptr", "interpreter_frame.localsplus", "interpreter_frame.owner",
    "code_object.size", "code_object.filename", "code_object.name", "code_object.qualname",
    "code_object.linetable", "code_object.firstlineno", "code_object.argcount", "code_object.localsplusnames",
    "code_object.localspluskinds", "code_object.co_code_adaptive",
    "pyobject.size", "pyobject.ob_type",
    "type_object.size", "type_object.tp_name", "type_object.tp_repr", "type_object.tp_flags",
    "tuple_object.size", "tuple_object.ob_item", "tuple_object.ob_size",
    "list_object.size", "list_object.ob_item", "list_object.ob_size",
    "dict_object.size", "dict_object.ma_keys", "dict_object.ma_values",
    "float_object.size", "float_object.ob_fval",
    "long_object.size", "long_object.lv_tag", "long_object.ob_digit",
    "bytes_object.size", "bytes_object.ob_size", "bytes_object.ob_sval",
    "unicode_object.size", "unicode_object.state", "unicode_object.length", "unicode_object.asciiobject_size",
    "gc.size", "gc.collecting",
};
#define N_IMAGE_FIELDS (sizeof image_fields / sizeof image_fields[0])
#define IMAGE_SIZE (8 + 8 * N_IMAGE_FIELDS)

/* One spare byte in front so the image can be placed at an odd address. */
struct image {
    uint8_t bytes[1 + IMAGE_SIZE + 64];
    uint8_t *buf; /* bytes + 1: deliberately misaligned */
};

static size_t position(const char *field)
{
    for (size_t i = 0; i < N_IMAGE_FIELDS; i++)
        if (strcmp(image_fields[i], field) == 0)
            return 8 + 8 * i;
    fail_msg("test bug: unknown _Py_DebugOffsets field %s", field);
    return 0;
}

static void set(struct image *im, const char *field, uint64_t v)
{
    memcpy(im->buf + position(field), &v, sizeof v);
}

static uint64_t get(const struct image *im, const char *field)
{
    uint64_t v;
    memcpy(&v, im->buf + position(field), sizeof v);
    return v;
}

/* A made-up but consistent 3.13 image: values chosen unlike the real ones, so a field
 * read from the wrong slot shows. */
static void build_valid(struct image *im)
{
    memset(im->bytes, 0xa5, sizeof im->bytes);
    im->buf = im->bytes + 1;
    memcpy(im->buf, PY_DEBUG_OFFSETS_COOKIE, 8);
    for (size_t i = 0; i < N_IMAGE_FIELDS; i++)
        set(im, image_fields[i], 0);
    static const struct {
        const char *field;
        uint64_t value;
    } values[] = {
        {"version", 0x030d05f0},           {"free_threaded", 0},
        {"runtime_state.size", 300000},    {"runtime_state.interpreters_head", 1200},
        {"interpreter_state.size", 200000},{"interpreter_state.next", 3000},
        {"interpreter_state.threads_head", 3100}, {"interpreter_state.ceval_gil", 24},
        {"interpreter_state.gil_runtime_state", 5000},
        {"interpreter_state.gil_runtime_state_locked", 5020},
        {"interpreter_state.gil_runtime_state_holder", 5008},
        {"thread_state.size", 400},        {"thread_state.next", 16},
        {"thread_state.interp", 24},       {"thread_state.current_frame", 88},
        {"thread_state.thread_id", 160},   {"thread_state.native_thread_id", 168},
        {"interpreter_frame.size", 88},    {"interpreter_frame.previous", 16},
        {"interpreter_frame.executable", 8}, {"interpreter_frame.instr_ptr", 64},
        {"interpreter_frame.localsplus", 80}, {"interpreter_frame.owner", 78},
        {"code_object.size", 240},         {"code_object.filename", 120},
        {"code_object.name", 128},         {"code_object.qualname", 136},
        {"code_object.linetable", 144},    {"code_object.firstlineno", 76},
        {"code_object.co_code_adaptive", 232},
        {"pyobject.size", 24},             {"pyobject.ob_type", 16},
        {"bytes_object.size", 48},         {"bytes_object.ob_size", 24},
        {"bytes_object.ob_sval", 40},
        {"unicode_object.size", 88},       {"unicode_object.state", 40},
        {"unicode_object.length", 24},     {"unicode_object.asciiobject_size", 56},
    };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        set(im, values[i].field, values[i].value);
}

/* Parses the image; on failure the output layout must be left untouched. */
static enum pa_status parse(const struct image *im, size_t len, struct py_layout *l, struct pa_error *err)
{
    memset(l, 0x5a, sizeof *l);
    struct py_layout before = *l;
    pa_error_clear(err);
    enum pa_status st = py_layout_from_debug_offsets(im->buf, len, l, err);
    if (st != PA_OK)
        assert_memory_equal(&before, l, sizeof *l);
    return st;
}

static void assert_message_has(const struct pa_error *err, const char *needle)
{
    if (strstr(err->message, needle) == NULL)
        fail_msg("error message \"%s\" does not mention \"%s\"", err->message, needle);
}

static void test_valid_image(void **state)
{
    (void)state;
    struct image im;
    struct py_layout l;
    struct pa_error err;
    build_valid(&im);

    uint32_t hex = 0;
    assert_true(py_debug_offsets_present(im.buf, IMAGE_SIZE, &hex));
    assert_int_equal(hex, 0x030d05f0);
    assert_int_equal(parse(&im, IMAGE_SIZE, &l, &err), PA_OK);

    assert_int_equal(l.version_hex, 0x030d05f0);
    assert_int_equal(l.runtime_model, PY_RUNTIME_PYRUNTIME);
    assert_int_equal(l.frame_model, PY_FRAMES_INTERPRETER);
    assert_int_equal(l.instr_model, PY_INSTR_INSTR_PTR);
    assert_int_equal(l.linetable_model, PY_LINES_LOCATIONS);
    assert_int_equal(l.gil_model, PY_GIL_INTERP_GIL_HOLDER);

    assert_int_equal(l.runtime_state.interpreters_head, get(&im, "runtime_state.interpreters_head"));
    assert_int_equal(l.runtime_state.size, get(&im, "runtime_state.interpreters_head") + 8);
    assert_int_equal(l.runtime_state.gilstate_tstate_current, PY_NO_FIELD);
    assert_int_equal(l.interpreter_state.next, get(&im, "interpreter_state.next"));
    assert_int_equal(l.interpreter_state.threads_head, get(&im, "interpreter_state.threads_head"));
    assert_int_equal(l.interpreter_state.ceval_gil, get(&im, "interpreter_state.ceval_gil"));
    /* the last used interpreter field is threads_head */
    assert_int_equal(l.interpreter_state.size, get(&im, "interpreter_state.threads_head") + 8);

    assert_int_equal(l.thread_state.size, get(&im, "thread_state.size"));
    assert_int_equal(l.thread_state.next, get(&im, "thread_state.next"));
    assert_int_equal(l.thread_state.interp, get(&im, "thread_state.interp"));
    assert_int_equal(l.thread_state.current_frame, get(&im, "thread_state.current_frame"));
    assert_int_equal(l.thread_state.cframe, PY_NO_FIELD);
    assert_int_equal(l.cframe.current_frame, PY_NO_FIELD);
    assert_int_equal(l.thread_state.thread_id, get(&im, "thread_state.thread_id"));
    assert_int_equal(l.thread_state.native_thread_id, get(&im, "thread_state.native_thread_id"));

    /* locked / last_holder become relative to the _gil_runtime_state struct */
    assert_int_equal(l.gil_runtime_state.locked, get(&im, "interpreter_state.gil_runtime_state_locked") -
                                                     get(&im, "interpreter_state.gil_runtime_state"));
    assert_int_equal(l.gil_runtime_state.last_holder, get(&im, "interpreter_state.gil_runtime_state_holder") -
                                                          get(&im, "interpreter_state.gil_runtime_state"));

    assert_int_equal(l.interpreter_frame.previous, get(&im, "interpreter_frame.previous"));
    assert_int_equal(l.interpreter_frame.executable, get(&im, "interpreter_frame.executable"));
    assert_int_equal(l.interpreter_frame.instr, get(&im, "interpreter_frame.instr_ptr"));
    assert_int_equal(l.interpreter_frame.owner, get(&im, "interpreter_frame.owner"));
    assert_int_equal(l.interpreter_frame.localsplus, get(&im, "interpreter_frame.localsplus"));
    assert_int_equal(l.interpreter_frame.size, get(&im, "interpreter_frame.localsplus"));

    assert_int_equal(l.code_object.size, get(&im, "code_object.size"));
    assert_int_equal(l.code_object.filename, get(&im, "code_object.filename"));
    assert_int_equal(l.code_object.name, get(&im, "code_object.name"));
    assert_int_equal(l.code_object.qualname, get(&im, "code_object.qualname"));
    assert_int_equal(l.code_object.firstlineno, get(&im, "code_object.firstlineno"));
    assert_int_equal(l.code_object.linetable, get(&im, "code_object.linetable"));
    assert_int_equal(l.code_object.code_adaptive, get(&im, "code_object.co_code_adaptive"));

    assert_int_equal(l.object.ob_type, get(&im, "pyobject.ob_type"));
    assert_int_equal(l.object.ob_size, get(&im, "bytes_object.ob_size"));
    assert_int_equal(l.bytes_object.ob_sval, get(&im, "bytes_object.ob_sval"));
    assert_int_equal(l.unicode_object.length, get(&im, "unicode_object.length"));
    assert_int_equal(l.unicode_object.state, get(&im, "unicode_object.state"));
    assert_int_equal(l.unicode_object.ascii_size, get(&im, "unicode_object.asciiobject_size"));
    /* utf8_length + utf8 follow the ASCII head since 3.12 */
    assert_int_equal(l.unicode_object.compact_size, get(&im, "unicode_object.asciiobject_size") + 16);

    /* Bytes past the 3.13 image are not needed, and garbage after it is ignored. */
    assert_int_equal(parse(&im, IMAGE_SIZE + 64, &l, &err), PA_OK);
}

static void test_missing_cookie(void **state)
{
    (void)state;
    struct image im;
    struct py_layout l;
    struct pa_error err;
    build_valid(&im);
    im.buf[7] = 'Y'; /* "xdebugpY" */
    uint32_t hex = 0xdead;
    assert_false(py_debug_offsets_present(im.buf, IMAGE_SIZE, &hex));
    assert_int_equal(parse(&im, IMAGE_SIZE, &l, &err), PA_E_CORRUPT);
    assert_int_equal(err.status, PA_E_CORRUPT);
    assert_message_has(&err, "cookie");

    memset(im.buf, 0, 8);
    assert_false(py_debug_offsets_present(im.buf, IMAGE_SIZE, NULL));
    assert_int_equal(parse(&im, IMAGE_SIZE, &l, &err), PA_E_CORRUPT);
}

/* Every field we use, pushed just past its struct's end, must be refused by name. */
static void test_offset_beyond_size(void **state)
{
    (void)state;
    static const struct {
        const char *field, *size_field;
    } used[] = {
        {"runtime_state.interpreters_head", "runtime_state.size"},
        {"interpreter_state.next", "interpreter_state.size"},
        {"interpreter_state.threads_head", "interpreter_state.size"},
        {"interpreter_state.ceval_gil", "interpreter_state.size"},
        {"interpreter_state.gil_runtime_state_locked", "interpreter_state.size"},
        {"interpreter_state.gil_runtime_state_holder", "interpreter_state.size"},
        {"thread_state.next", "thread_state.size"},
        {"thread_state.interp", "thread_state.size"},
        {"thread_state.current_frame", "thread_state.size"},
        {"thread_state.thread_id", "thread_state.size"},
        {"thread_state.native_thread_id", "thread_state.size"},
        {"interpreter_frame.previous", "interpreter_frame.size"},
        {"interpreter_frame.executable", "interpreter_frame.size"},
        {"interpreter_frame.instr_ptr", "interpreter_frame.size"},
        {"interpreter_frame.owner", "interpreter_frame.size"},
        {"code_object.filename", "code_object.size"},
        {"code_object.name", "code_object.size"},
        {"code_object.qualname", "code_object.size"},
        {"code_object.linetable", "code_object.size"},
        {"code_object.firstlineno", "code_object.size"},
        {"code_object.co_code_adaptive", "code_object.size"},
        {"pyobject.ob_type", "pyobject.size"},
        {"bytes_object.ob_size", "bytes_object.size"},
        {"bytes_object.ob_sval", "bytes_object.size"},
        {"unicode_object.state", "unicode_object.asciiobject_size"},
        {"unicode_object.length", "unicode_object.asciiobject_size"},
    };
    for (size_t i = 0; i < sizeof used / sizeof used[0]; i++) {
        struct image im;
        struct py_layout l;
        struct pa_error err;
        build_valid(&im);
        set(&im, used[i].field, get(&im, used[i].size_field));
        enum pa_status st = parse(&im, IMAGE_SIZE, &l, &err);
        if (st != PA_E_CORRUPT)
            fail_msg("%s = its struct size was accepted (status %d)", used[i].field, st);
        const char *dot = strchr(used[i].field, '.');
        assert_message_has(&err, dot + 1);
    }

    /* A pointer-sized field may not straddle the end either. */
    struct image im;
    struct py_layout l;
    struct pa_error err;
    build_valid(&im);
    set(&im, "thread_state.native_thread_id", get(&im, "thread_state.size") - 4);
    assert_int_equal(parse(&im, IMAGE_SIZE, &l, &err), PA_E_CORRUPT);
    assert_message_has(&err, "native_thread_id");

    /* localsplus is a flexible array: exactly at the end is fine, past it is not. */
    build_valid(&im);
    set(&im, "interpreter_frame.localsplus", get(&im, "interpreter_frame.size"));
    assert_int_equal(parse(&im, IMAGE_SIZE, &l, &err), PA_OK);
    assert_int_equal(l.interpreter_frame.localsplus, get(&im, "interpreter_frame.size"));
    set(&im, "interpreter_frame.localsplus", get(&im, "interpreter_frame.size") + 8);
    assert_int_equal(parse(&im, IMAGE_SIZE, &l, &err), PA_E_CORRUPT);
    assert_message_has(&err, "localsplus");

    /* The GIL fields must lie inside the embedded _gil, after its start. */
    build_valid(&im);
    set(&im, "interpreter_state.gil_runtime_state_locked", get(&im, "interpreter_state.gil_runtime_state") - 8);
    assert_int_equal(parse(&im, IMAGE_SIZE, &l, &err), PA_E_CORRUPT);
    assert_message_has(&err, "gil_runtime_state_locked");
}

static void test_insane_sizes(void **state)
{
    (void)state;
    static const char *const sizes[] = {"runtime_state.size", "interpreter_state.size", "thread_state.size",
                                        "interpreter_frame.size", "code_object.size", "pyobject.size",
                                        "bytes_object.size", "unicode_object.size"};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        struct image im;
        struct py_layout l;
        struct pa_error err;
        build_valid(&im);
        set(&im, sizes[i], 0);
        assert_int_equal(parse(&im, IMAGE_SIZE, &l, &err), PA_E_CORRUPT);
        assert_message_has(&err, sizes[i]);
        set(&im, sizes[i], UINT64_C(1) << 40);
        assert_int_equal(parse(&im, IMAGE_SIZE, &l, &err), PA_E_CORRUPT);
        assert_message_has(&err, sizes[i]);
    }
    /* Small structs are capped at 64 KiB. */
    struct image im;
    struct py_layout l;
    struct pa_error err;
    build_valid(&im);
    set(&im, "thread_state.size", 70000);
    assert_int_equal(parse(&im, IMAGE_SIZE, &l, &err), PA_E_CORRUPT);
    /* The fields we read of the runtime must lie in its first 64 KiB. */
    build_valid(&im);
    set(&im, "runtime_state.interpreters_head", 100000);
    assert_int_equal(parse(&im, IMAGE_SIZE, &l, &err), PA_E_CORRUPT);
}

static void test_free_threaded(void **state)
{
    (void)state;
    struct image im;
    struct py_layout l;
    struct pa_error err;
    build_valid(&im);
    set(&im, "free_threaded", 1);
    assert_int_equal(parse(&im, IMAGE_SIZE, &l, &err), PA_E_UNSUPPORTED);
    assert_int_equal(err.status, PA_E_UNSUPPORTED);
    assert_message_has(&err, "free-threaded");
    assert_message_has(&err, "3.13");
}

static void test_other_versions(void **state)
{
    (void)state;
    static const struct {
        uint64_t version;
        const char *message;
    } versions[] = {
        {0x030c01f0, "no layout known"}, {0x040d00f0, "no layout known"}, {UINT64_C(0x1030d00f0), "no layout known"},
        {0x031000f0, "newer than the newest layout pyattach knows (3.15)"},
        {0x030d00b2, "pre-release"},
    };
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        struct image im;
        struct py_layout l;
        struct pa_error err;
        build_valid(&im);
        set(&im, "version", versions[i].version);
        assert_int_equal(parse(&im, IMAGE_SIZE, &l, &err), PA_E_UNSUPPORTED);
        assert_message_has(&err, versions[i].message);
    }
}

static void test_truncated(void **state)
{
    (void)state;
    struct image im;
    struct py_layout l;
    struct pa_error err;
    build_valid(&im);
    static const size_t lengths[] = {0, 7, 8, 16, 23, 24, 300, IMAGE_SIZE - 1};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        enum pa_status st = parse(&im, lengths[i], &l, &err);
        if (st != PA_E_CORRUPT)
            fail_msg("a %zu-byte image was not refused as truncated (status %d)", lengths[i], st);
        assert_message_has(&err, "truncated");
    }
    assert_false(py_debug_offsets_present(im.buf, 7, NULL));
    assert_false(py_debug_offsets_present(NULL, 0, NULL));
    assert_int_equal(py_layout_from_debug_offsets(NULL, 0, &l, &err), PA_E_INTERNAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_image),     cmocka_unit_test(test_missing_cookie),
        cmocka_unit_test(test_offset_beyond_size), cmocka_unit_test(test_insane_sizes),
        cmocka_unit_test(test_free_threaded),   cmocka_unit_test(test_other_versions),
        cmocka_unit_test(test_truncated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
