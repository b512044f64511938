/* Reads a CPython 3.13+ _Py_DebugOffsets image (the head of the target's _PyRuntime)
 * into a struct py_layout, refusing anything that is not a sane, GIL-ful table of a
 * layout we know (debug_offsets_tables.h). Only positions in the table are per
 * version; every offset is the target's own. */
#include "python_frames/debug_offsets.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "python_frames/debug_offsets_tables.h"

/* Mirrors of each version's _Py_DebugOffsets, flattened (every field after the header
 * is a uint64_t, so nesting adds no padding): only for offsetof and sizeof. */
#define MEMBER(section, field) uint64_t section##__##field;
#define MIRROR(name, list)                                                                             \
    struct name {                                                                                      \
        char cookie[8];                                                                                \
        uint64_t version, free_threaded;                                                               \
        list(MEMBER)                                                                                   \
    }
MIRROR(mirror_3_13, PY_DEBUG_OFFSETS_3_13);
MIRROR(mirror_3_14, PY_DEBUG_OFFSETS_3_14);
MIRROR(mirror_3_15, PY_DEBUG_OFFSETS_3_15);

/* sizeof(_Py_DebugOffsets): 3.13.0's DWARF; 3.14.8's and 3.15.0's -dev headers. */
_Static_assert(sizeof(struct mirror_3_13) == 584, "3.13 _Py_DebugOffsets mirror is off");
_Static_assert(sizeof(struct mirror_3_14) == 760, "3.14 _Py_DebugOffsets mirror is off");
_Static_assert(sizeof(struct mirror_3_15) == 888, "3.15 _Py_DebugOffsets mirror is off");

#define ENTRY_3_13(section, field) {#section "." #field, offsetof(struct mirror_3_13, section##__##field)},
#define ENTRY_3_14(section, field) {#section "." #field, offsetof(struct mirror_3_14, section##__##field)},
#define ENTRY_3_15(section, field) {#section "." #field, offsetof(struct mirror_3_15, section##__##field)},
static const struct py_debug_offsets_field fields_3_13[] = {PY_DEBUG_OFFSETS_3_13(ENTRY_3_13)};
static const struct py_debug_offsets_field fields_3_14[] = {PY_DEBUG_OFFSETS_3_14(ENTRY_3_14)};
static const struct py_debug_offsets_field fields_3_15[] = {PY_DEBUG_OFFSETS_3_15(ENTRY_3_15)};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A release candidate freezes a minor version's ABI; betas may still move the table.
 * 3.15.0b4 inserted thread_state.last_profiled_frame_seq, the last change to it. */
static const struct py_debug_offsets_layout layouts[] = {
    {13, sizeof(struct mirror_3_13), 0x030d00c1, fields_3_13, COUNT(fields_3_13)},
    {14, sizeof(struct mirror_3_14), 0x030e00c1, fields_3_14, COUNT(fields_3_14)},
    {15, sizeof(struct mirror_3_15), 0x030f00b4, fields_3_15, COUNT(fields_3_15)},
};

const struct py_debug_offsets_layout *py_debug_offsets_layouts(size_t *count)
{
    *count = COUNT(layouts);
    return layouts;
}

#define DO_HEADER_SIZE offsetof(struct mirror_3_13, runtime_state__size)
#define DO_VERSION offsetof(struct mirror_3_13, version)
#define DO_FREE_THREADED offsetof(struct mirror_3_13, free_threaded)
#define NOT_IN_LAYOUT SIZE_MAX

/* _PyRuntimeState (283 KiB in 3.13.0) and PyInterpreterState (190 KiB) embed large
 * arrays, so their sizes get a looser cap; we only ever read their first 64 KiB. */
#define BIG_STRUCT_MAX (4u << 20)
#define STRUCT_MAX (64u << 10)
/* struct _gil_runtime_state is 208 bytes in 3.12 and 3.13. */
#define GIL_STATE_MAX 1024u

/* Reads the uint64 at byte offset off of the image (bounds checked by the caller). */
static uint64_t get_u64(const uint8_t *buf, size_t off)
{
    uint64_t v;
    memcpy(&v, buf + off, sizeof v);
    return v;
}

/* Where the layout keeps "section.field", or NOT_IN_LAYOUT. */
static size_t position(const struct py_debug_offsets_layout *t, const char *name)
{
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(t->fields[i].name, name) == 0)
            return t->fields[i].position;
    return NOT_IN_LAYOUT;
}

/* The value of a field every known layout has. */
static uint64_t get(const uint8_t *buf, const struct py_debug_offsets_layout *t, const char *name)
{
    return get_u64(buf, position(t, name));
}

#define PL(field) offsetof(struct py_layout, field)

int py_debug_offsets_present(const uint8_t *buf, size_t len, uint32_t *version_hex)
{
    if (buf == NULL || len < DO_HEADER_SIZE)
        return 0;
    if (memcmp(buf, PY_DEBUG_OFFSETS_COOKIE, 8) != 0)
        return 0;
    if (version_hex != NULL) {
        uint64_t v = get_u64(buf, DO_VERSION);
        *version_hex = v > UINT32_MAX ? 0 : (uint32_t)v; /* 0: no version we know */
    }
    return 1;
}

/* PY_VERSION_HEX as CPython spells the release: "3.15.0b3", "3.14.0rc1", "3.13.5". */
static void release_name(uint32_t hex, char *out, size_t size)
{
    unsigned level = (hex >> 4) & 0xf, serial = hex & 0xf;
    const char *tag = level == 0xa ? "a" : level == 0xb ? "b" : level == 0xc ? "rc" : "";
    if (*tag)
        snprintf(out, size, "%u.%u.%u%s%u", hex >> 24, (hex >> 16) & 0xff, (hex >> 8) & 0xff, tag, serial);
    else
        snprintf(out, size, "%u.%u.%u", hex >> 24, (hex >> 16) & 0xff, (hex >> 8) & 0xff);
}

/* Header: cookie, a version we have a layout for, and a GIL-ful build. */
static enum pa_status check_header(const uint8_t *buf, size_t len, const struct py_debug_offsets_layout **out,
                                   struct pa_error *err)
{
    if (len < DO_HEADER_SIZE)
        return pa_fail(err, PA_E_CORRUPT, "_Py_DebugOffsets image truncated: %zu bytes, the header alone is %zu",
                       len, (size_t)DO_HEADER_SIZE);
    if (memcmp(buf, PY_DEBUG_OFFSETS_COOKIE, 8) != 0)
        return pa_fail(err, PA_E_CORRUPT, "no \"%s\" cookie at the start of _PyRuntime", PY_DEBUG_OFFSETS_COOKIE);
    uint64_t version = get_u64(buf, DO_VERSION);
    unsigned major = (unsigned)(version >> 24) & 0xff, minor = (unsigned)(version >> 16) & 0xff;
    const struct py_debug_offsets_layout *newest = &layouts[COUNT(layouts) - 1], *t = NULL;
    for (size_t i = 0; i < COUNT(layouts); i++)
        if (major == 3 && minor == (unsigned)layouts[i].minor)
            t = &layouts[i];
    if (version > UINT32_MAX || t == NULL) {
        if (version <= UINT32_MAX && major == 3 && minor > (unsigned)newest->minor)
            return pa_fail(err, PA_E_UNSUPPORTED,
                           "CPython %u.%u (_Py_DebugOffsets version 0x%08" PRIx64 ") is newer than the newest "
                           "layout pyattach knows (3.%d)", major, minor, version, newest->minor);
        return pa_fail(err, PA_E_UNSUPPORTED,
                       "_Py_DebugOffsets of CPython %u.%u (version 0x%08" PRIx64 "): no layout known for it",
                       major, minor, version);
    }
    uint64_t free_threaded = get_u64(buf, DO_FREE_THREADED);
    if (free_threaded != 0)
        return pa_fail(err, PA_E_UNSUPPORTED,
                       "free-threaded CPython %u.%u (a %u.%ut build: _Py_DebugOffsets.free_threaded = %" PRIu64
                       ") is not supported", major, minor, major, minor, free_threaded);
    if (version < t->first_version) {
        char release[32], first[32];
        release_name((uint32_t)version, release, sizeof release);
        release_name(t->first_version, first, sizeof first);
        return pa_fail(err, PA_E_UNSUPPORTED,
                       "CPython %s (version 0x%08" PRIx64 ") is a pre-release older than %s: its "
                       "_Py_DebugOffsets layout is not known", release, version, first);
    }
    if (len < t->size)
        return pa_fail(err, PA_E_CORRUPT, "_Py_DebugOffsets image truncated: %zu bytes, 3.%d's is %zu",
                       len, t->minor, t->size);
    *out = t;
    return PA_OK;
}

/* Each section's stated size must be non-zero and below its cap. */
static const struct section_spec {
    const char *size; /* the field that holds the section's size */
    uint64_t cap;
} sections[] = {
    {"runtime_state.size", BIG_STRUCT_MAX}, {"interpreter_state.size", BIG_STRUCT_MAX},
    {"thread_state.size", STRUCT_MAX},      {"interpreter_frame.size", STRUCT_MAX},
    {"code_object.size", STRUCT_MAX},       {"pyobject.size", STRUCT_MAX},
    {"bytes_object.size", STRUCT_MAX},      {"unicode_object.size", STRUCT_MAX},
};

/* Each field we use: its name in the table, the field holding the size that bounds it
 * (NULL: its section's size), how wide the field is in the target (it must fit inside
 * that size), and where it goes in struct py_layout (SIZE_MAX: checked only, used
 * below). A field the version's layout lacks becomes PY_NO_FIELD if `optional`. */
struct field_spec {
    const char *name, *bound;
    uint64_t width;
    size_t dst;
    bool optional;
};

static const struct field_spec fields[] = {
    {"runtime_state.interpreters_head", NULL, 8, PL(runtime_state.interpreters_head), false},
    {"interpreter_state.next", NULL, 8, PL(interpreter_state.next), false},
    {"interpreter_state.threads_head", NULL, 8, PL(interpreter_state.threads_head), false},
    {"interpreter_state.ceval_gil", NULL, 8, PL(interpreter_state.ceval_gil), false},
    {"interpreter_state.gil_runtime_state", NULL, 8, SIZE_MAX, false},
    {"interpreter_state.gil_runtime_state_locked", NULL, 4, PL(gil_runtime_state.locked), false},
    {"interpreter_state.gil_runtime_state_holder", NULL, 8, PL(gil_runtime_state.last_holder), false},
    /* 3.14+: a uint64_t advanced by every code object's deallocation. */
    {"interpreter_state.code_object_generation", NULL, 8, PL(interpreter_state.code_object_generation), true},
    {"thread_state.next", NULL, 8, PL(thread_state.next), false},
    {"thread_state.interp", NULL, 8, PL(thread_state.interp), false},
    {"thread_state.current_frame", NULL, 8, PL(thread_state.current_frame), false},
    {"thread_state.base_frame", NULL, 8, PL(thread_state.base_frame), true}, /* 3.15+ */
    {"thread_state.thread_id", NULL, 8, PL(thread_state.thread_id), false},
    {"thread_state.native_thread_id", NULL, 8, PL(thread_state.native_thread_id), false},
    {"interpreter_frame.previous", NULL, 8, PL(interpreter_frame.previous), false},
    {"interpreter_frame.executable", NULL, 8, PL(interpreter_frame.executable), false},
    {"interpreter_frame.instr_ptr", NULL, 8, PL(interpreter_frame.instr), false},
    {"interpreter_frame.owner", NULL, 1, PL(interpreter_frame.owner), false},
    /* A flexible array: it may start exactly at the end of the struct. */
    {"interpreter_frame.localsplus", NULL, 0, PL(interpreter_frame.localsplus), false},
    {"code_object.filename", NULL, 8, PL(code_object.filename), false},
    {"code_object.name", NULL, 8, PL(code_object.name), false},
    {"code_object.qualname", NULL, 8, PL(code_object.qualname), false},
    {"code_object.firstlineno", NULL, 4, PL(code_object.firstlineno), false},
    {"code_object.linetable", NULL, 8, PL(code_object.linetable), false},
    /* char co_code_adaptive[1]: the struct holds at least its first byte. */
    {"code_object.co_code_adaptive", NULL, 1, PL(code_object.code_adaptive), false},
    {"code_object.localsplusnames", NULL, 8, PL(code_object.localsplusnames), false},
    {"pyobject.ob_type", NULL, 8, PL(object.ob_type), false},
    /* PyVarObject.ob_size, as seen through PyBytesObject.ob_base. */
    {"bytes_object.ob_size", NULL, 8, PL(object.ob_size), false},
    {"bytes_object.ob_sval", NULL, 1, PL(bytes_object.ob_sval), false},
    /* state and length live in the PyASCIIObject head, which asciiobject_size bounds
     * (unicode_object.size is sizeof(PyUnicodeObject)); asciiobject_size itself is
     * checked against the section in check_sections. */
    {"unicode_object.state", "unicode_object.asciiobject_size", 4, PL(unicode_object.state), false},
    {"unicode_object.length", "unicode_object.asciiobject_size", 8, PL(unicode_object.length), false},
};

/* The fields only thread names need (thread_names.c). A table that gets them wrong
 * loses thread names (interpreter_state.modules = PY_NO_FIELD), not the stacks. The
 * optional ones (3.15+) replace the constants of set_name_constants. */
static const struct field_spec name_fields[] = {
    {"interpreter_state.imports_modules", NULL, 8, PL(interpreter_state.modules), false},
    {"type_object.tp_flags", NULL, 8, PL(type_object.tp_flags), false},
    {"type_object.tp_basicsize", NULL, 8, PL(type_object.tp_basicsize), true},
    {"type_object.tp_dictoffset", NULL, 8, PL(type_object.tp_dictoffset), true},
    {"heap_type_object.ht_cached_keys", NULL, 8, PL(type_object.ht_cached_keys), true},
    {"dict_object.ma_keys", NULL, 8, PL(dict_object.ma_keys), false},
    {"dict_object.ma_values", NULL, 8, PL(dict_object.ma_values), false},
    {"long_object.lv_tag", NULL, 8, PL(long_object.lv_tag), false},
    /* digit ob_digit[1]: at least one 4-byte digit inside the struct. */
    {"long_object.ob_digit", NULL, 4, PL(long_object.ob_digit), false},
};

/* The fields only dump --locals needs (object_repr.c, frame_locals.c). One that the
 * image lacks or puts outside its struct is PY_NO_FIELD: such values show as
 * unreadable, and nothing else is lost. PySetObject.used is first described in 3.14;
 * 3.13's is at 24, as in every version before. */
static const struct field_spec value_fields[] = {
    {"type_object.tp_name", NULL, 8, PL(type_object.tp_name), false},
    {"tuple_object.ob_item", NULL, 0, PL(tuple_object.ob_item), false},
    {"float_object.ob_fval", NULL, 8, PL(float_object.ob_fval), false},
    {"set_object.used", NULL, 8, PL(set_object.used), true},
    {"code_object.localspluskinds", NULL, 8, PL(code_object.localspluskinds), false},
};

/* The value bounding f: the size of its section, or its own bound. */
static uint64_t bound_of(const uint8_t *buf, const struct py_debug_offsets_layout *t, const struct field_spec *f)
{
    if (f->bound != NULL)
        return get(buf, t, f->bound);
    char section[64];
    size_t n = strcspn(f->name, ".");
    snprintf(section, sizeof section, "%.*s.size", (int)n, f->name);
    return get(buf, t, section);
}

static enum pa_status check_sections(const uint8_t *buf, const struct py_debug_offsets_layout *t,
                                     struct pa_error *err)
{
    for (size_t i = 0; i < COUNT(sections); i++) {
        uint64_t size = get(buf, t, sections[i].size);
        if (size == 0 || size > sections[i].cap)
            return pa_fail(err, PA_E_CORRUPT,
                           "_Py_DebugOffsets.%s = %" PRIu64 " is not a sane struct size (max %" PRIu64 ")",
                           sections[i].size, size, sections[i].cap);
    }
    uint64_t ascii = get(buf, t, "unicode_object.asciiobject_size"), unicode = get(buf, t, "unicode_object.size");
    if (ascii == 0 || ascii > unicode)
        return pa_fail(err, PA_E_CORRUPT,
                       "_Py_DebugOffsets.unicode_object.asciiobject_size = %" PRIu64
                       " does not fit unicode_object.size = %" PRIu64, ascii, unicode);
    return PA_OK;
}

static void store(struct py_layout *l, size_t dst, int32_t v)
{
    if (dst != SIZE_MAX)
        memcpy((char *)l + dst, &v, sizeof v);
}

/* What no _Py_DebugOffsets before 3.15 describes; 3.15's table gives the type fields
 * (name_fields). The values are 3.13.0's DWARF (tests/unit/test_layout_dwarf.c) and the
 * same in Debian's 3.13, 3.14 and 3.15 headers, except ht_cached_keys (888 in 3.15)
 * (tests/integration/test_debug_offsets_headers.py checks them all). The type and
 * module fields have not moved since 3.6, the dict keys and entries not since 3.11.
 * PyDictValues grew a 4-byte header (capacity, size, embedded, valid) in 3.13, so
 * values is at 8. */
static void set_name_constants(struct py_layout *l)
{
    l->instance_dict_model = PY_INSTANCE_INLINE_VALUES;
    l->type_object.tp_basicsize = 32;
    l->type_object.tp_dictoffset = 288;
    l->type_object.ht_cached_keys = 880;
    l->module_object.md_dict = 16;
    l->dict_keys_object.dk_size = PY_NO_FIELD;
    l->dict_keys_object.dk_log2_size = 8;
    l->dict_keys_object.dk_log2_index_bytes = 9;
    l->dict_keys_object.dk_kind = 10;
    l->dict_keys_object.dk_nentries = 24;
    l->dict_keys_object.dk_indices = 32;
    l->dict_key_entry.size = 24;
    l->dict_key_entry.me_hash = 0;
    l->dict_key_entry.me_key = 8;
    l->dict_key_entry.me_value = 16;
    l->dict_unicode_entry.size = 16;
    l->dict_unicode_entry.me_key = 0;
    l->dict_unicode_entry.me_value = 8;
    l->dict_values.values = 8;
}

/* Inside its section, and within the first STRUCT_MAX bytes (derive_sizes' limit). */
static bool name_field_ok(const uint8_t *buf, const struct py_debug_offsets_layout *t, const struct field_spec *f)
{
    if (position(t, f->name) == NOT_IN_LAYOUT)
        return f->optional;
    uint64_t size = bound_of(buf, t, f), off = get(buf, t, f->name);
    return off < size && f->width <= size - off && off + f->width <= STRUCT_MAX;
}

/* Fills the thread-name fields, or disables names when the image disagrees with us. */
static void read_name_fields(const uint8_t *buf, const struct py_debug_offsets_layout *t, struct py_layout *l)
{
    set_name_constants(l);
    bool ok = get(buf, t, "interpreter_state.imports_modules") != 0;
    for (size_t i = 0; ok && i < COUNT(name_fields); i++)
        ok = name_field_ok(buf, t, &name_fields[i]);
    for (size_t i = 0; i < COUNT(name_fields); i++) {
        const struct field_spec *f = &name_fields[i];
        if (position(t, f->name) != NOT_IN_LAYOUT || !ok)
            store(l, f->dst, ok ? (int32_t)get(buf, t, f->name) : PY_NO_FIELD);
    }
    if (ok && get(buf, t, "type_object.size") <= (uint64_t)l->type_object.tp_dictoffset + 8)
        l->interpreter_state.modules = PY_NO_FIELD;
}

static void read_value_fields(const uint8_t *buf, const struct py_debug_offsets_layout *t, struct py_layout *l)
{
    for (size_t i = 0; i < COUNT(value_fields); i++)
        store(l, value_fields[i].dst, PY_NO_FIELD);
    l->set_object.used = 24;
    for (size_t i = 0; i < COUNT(value_fields); i++) {
        const struct field_spec *f = &value_fields[i];
        if (position(t, f->name) == NOT_IN_LAYOUT)
            continue;
        store(l, f->dst, name_field_ok(buf, t, f) ? (int32_t)get(buf, t, f->name) : PY_NO_FIELD);
    }
}

/* Copies every field into *l after checking it lies inside its section. */
static enum pa_status read_fields(const uint8_t *buf, const struct py_debug_offsets_layout *t, struct py_layout *l,
                                  struct pa_error *err)
{
    for (size_t i = 0; i < COUNT(fields); i++) {
        const struct field_spec *f = &fields[i];
        if (position(t, f->name) == NOT_IN_LAYOUT) {
            if (!f->optional)
                return pa_fail(err, PA_E_INTERNAL, "3.%d's _Py_DebugOffsets has no %s", t->minor, f->name);
            store(l, f->dst, PY_NO_FIELD);
            continue;
        }
        uint64_t size = bound_of(buf, t, f), off = get(buf, t, f->name);
        if (off > size || f->width > size - off || (f->width > 0 && off == size))
            return pa_fail(err, PA_E_CORRUPT,
                           "_Py_DebugOffsets.%s = %" PRIu64 " (%" PRIu64 " bytes wide) lies beyond its struct size %" PRIu64,
                           f->name, off, f->width, size);
        store(l, f->dst, (int32_t)off); /* section sizes are capped far below INT32_MAX */
    }
    return PA_OK;
}

/* The debug offsets place _gil.locked / _gil.last_holder relative to the interpreter
 * (where its own _gil is embedded at gil_runtime_state), but the GIL in use is the one
 * interp->ceval.gil points to: make them relative to struct _gil_runtime_state. */
static enum pa_status rebase_gil(const uint8_t *buf, const struct py_debug_offsets_layout *t, struct py_layout *l,
                                 struct pa_error *err)
{
    int32_t gil = (int32_t)get(buf, t, "interpreter_state.gil_runtime_state");
    int32_t locked = l->gil_runtime_state.locked, holder = l->gil_runtime_state.last_holder;
    if (locked < gil || holder < gil || locked - gil >= (int32_t)GIL_STATE_MAX || holder - gil >= (int32_t)GIL_STATE_MAX)
        return pa_fail(err, PA_E_CORRUPT,
                       "_Py_DebugOffsets.interpreter_state.gil_runtime_state_locked = %d / _holder = %d "
                       "are not inside the _gil at %d", locked, holder, gil);
    l->gil_runtime_state.locked = locked - gil;
    l->gil_runtime_state.last_holder = holder - gil;
    return PA_OK;
}

static int32_t max_i32(int32_t a, int32_t b)
{
    return a > b ? a : b;
}

/* Sizes as the built-in tables define them (see layout_tables.c). */
static enum pa_status derive_sizes(const uint8_t *buf, const struct py_debug_offsets_layout *t, struct py_layout *l,
                                   struct pa_error *err)
{
    /* Bytes to read: up to the last field we use, not the whole (huge) struct. */
    l->runtime_state.size = l->runtime_state.interpreters_head + 8;
    int32_t last = max_i32(max_i32(l->interpreter_state.next, l->interpreter_state.threads_head),
                           max_i32(l->interpreter_state.ceval_gil, l->interpreter_state.modules));
    last = max_i32(last, l->interpreter_state.code_object_generation);
    l->interpreter_state.size = last + 8;
    if ((uint32_t)l->runtime_state.size > STRUCT_MAX || (uint32_t)l->interpreter_state.size > STRUCT_MAX)
        return pa_fail(err, PA_E_CORRUPT,
                       "_Py_DebugOffsets: runtime/interpreter fields lie beyond the first %u bytes (need %d / %d)",
                       STRUCT_MAX, l->runtime_state.size, l->interpreter_state.size);
    l->thread_state.size = (int32_t)get(buf, t, "thread_state.size");
    /* A frame's fixed head ends at localsplus (sizeof adds padding past it, which may
     * lie past the end of the data-stack chunk). */
    l->interpreter_frame.size = l->interpreter_frame.localsplus;
    l->code_object.size = (int32_t)get(buf, t, "code_object.size");
    l->unicode_object.ascii_size = (int32_t)get(buf, t, "unicode_object.asciiobject_size");
    /* sizeof(PyCompactUnicodeObject): in the table from 3.15. Before, since 3.12 (wstr
     * gone) it is PyASCIIObject + Py_ssize_t utf8_length + char *utf8 = ascii + 16. */
    bool described = position(t, "unicode_object.compactunicodeobject_size") != NOT_IN_LAYOUT;
    uint64_t compact = described ? get(buf, t, "unicode_object.compactunicodeobject_size")
                                 : (uint64_t)l->unicode_object.ascii_size + 16;
    if (compact < (uint64_t)l->unicode_object.ascii_size || compact > get(buf, t, "unicode_object.size"))
        return pa_fail(err, PA_E_CORRUPT,
                       "_Py_DebugOffsets: sizeof(PyCompactUnicodeObject) = %" PRIu64 " (%s) does not fit "
                       "between unicode_object.asciiobject_size and unicode_object.size", compact,
                       described ? "unicode_object.compactunicodeobject_size" : "asciiobject_size + 16");
    l->unicode_object.compact_size = (int32_t)compact;
    return PA_OK;
}

enum pa_status py_layout_from_debug_offsets(const uint8_t *buf, size_t len,
                                            struct py_layout *layout, struct pa_error *err)
{
    if (buf == NULL || layout == NULL)
        return pa_fail(err, PA_E_INTERNAL, "py_layout_from_debug_offsets: NULL argument");
    const struct py_debug_offsets_layout *t = NULL;
    enum pa_status st = check_header(buf, len, &t, err);
    if (st != PA_OK)
        return st;

    struct py_layout l;
    memset(&l, 0, sizeof l);
    l.version_hex = (uint32_t)get_u64(buf, DO_VERSION);
    l.runtime_model = PY_RUNTIME_PYRUNTIME;
    l.frame_model = PY_FRAMES_INTERPRETER;
    l.instr_model = PY_INSTR_INSTR_PTR;
    l.linetable_model = PY_LINES_LOCATIONS;
    l.gil_model = PY_GIL_INTERP_GIL_HOLDER;
    /* 3.14 made f_executable and the fast locals _PyStackRefs (pycore_stackref.h). */
    l.ref_model = t->minor >= 14 ? PY_REFS_TAGGED : PY_REFS_POINTERS;
    l.runtime_state.gilstate_tstate_current = PY_NO_FIELD; /* 3.12 moved the GIL holder */
    l.runtime_state.ceval_gil = PY_NO_FIELD;               /* ... and the GIL itself, to the interpreter */
    /* sizeof(struct _gil_runtime_state) is not described by _Py_DebugOffsets. It is 208
     * bytes in the GIL builds of 3.12 - 3.15 (pycore_gil.h: interval, last_holder, locked,
     * switch_number, then two pthread conds and two mutexes): checked against 3.13's DWARF
     * and 3.14's and 3.15's headers by the tests. Only wall mode's <wait GIL> uses it. */
    l.gil_runtime_state.size = 208;
    l.thread_state.cframe = PY_NO_FIELD;                   /* 3.13 dropped _PyCFrame */
    l.cframe.current_frame = PY_NO_FIELD;
    l.interpreter_frame.is_entry = PY_NO_FIELD; /* 3.12+ marks entries with a shim frame instead */
    l.code_object.nlocals = PY_NO_FIELD; /* only co_localsplusnames is described: its size counts them */
    l.code_object.varnames = l.code_object.cellvars = l.code_object.freevars = PY_NO_FIELD; /* <= 3.10 */
    if ((st = check_sections(buf, t, err)) != PA_OK || (st = read_fields(buf, t, &l, err)) != PA_OK ||
        (st = rebase_gil(buf, t, &l, err)) != PA_OK)
        return st;
    read_name_fields(buf, t, &l);
    read_value_fields(buf, t, &l);
    if ((st = derive_sizes(buf, t, &l, err)) != PA_OK)
        return st;
    /* Offsets inside their sections can still lie beyond what the walker reads. */
    if ((st = py_layout_check(&l, err)) != PA_OK)
        return st;
    *layout = l;
    return PA_OK;
}
