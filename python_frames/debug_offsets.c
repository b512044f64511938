/* Reads a CPython 3.13 _Py_DebugOffsets image (the head of the target's _PyRuntime)
 * into a struct py_layout, refusing anything that is not a sane, GIL-ful 3.13 table. */
#include "python_frames/debug_offsets.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* The 3.13 _Py_DebugOffsets, field for field (Include/internal/pycore_runtime.h).
 * Only used for offsetof: the image is read with memcpy, so alignment does not matter.
 * 3.14 inserts fields in the middle (interpreter_state.threads_main, ...), so every
 * later version needs its own mirror; until then only 3.13 is accepted. */
struct debug_offsets_3_13 {
    char cookie[8];
    uint64_t version;
    uint64_t free_threaded;
    struct {
        uint64_t size, finalizing, interpreters_head;
    } runtime_state;
    struct {
        uint64_t size, id, next, threads_head, gc, imports_modules, sysdict, builtins;
        uint64_t ceval_gil, gil_runtime_state, gil_runtime_state_enabled;
        uint64_t gil_runtime_state_locked, gil_runtime_state_holder;
    } interpreter_state;
    struct {
        uint64_t size, prev, next, interp, current_frame, thread_id, native_thread_id;
        uint64_t datastack_chunk, status;
    } thread_state;
    struct {
        uint64_t size, previous, executable, instr_ptr, localsplus, owner;
    } interpreter_frame;
    struct {
        uint64_t size, filename, name, qualname, linetable, firstlineno, argcount;
        uint64_t localsplusnames, localspluskinds, co_code_adaptive;
    } code_object;
    struct { uint64_t size, ob_type; } pyobject;
    struct { uint64_t size, tp_name, tp_repr, tp_flags; } type_object;
    struct { uint64_t size, ob_item, ob_size; } tuple_object;
    struct { uint64_t size, ob_item, ob_size; } list_object;
    struct { uint64_t size, ma_keys, ma_values; } dict_object;
    struct { uint64_t size, ob_fval; } float_object;
    struct { uint64_t size, lv_tag, ob_digit; } long_object;
    struct { uint64_t size, ob_size, ob_sval; } bytes_object;
    struct { uint64_t size, state, length, asciiobject_size; } unicode_object;
    struct { uint64_t size, collecting; } gc;
};

/* sizeof(_Py_DebugOffsets) in 3.13.0's DWARF. */
_Static_assert(sizeof(struct debug_offsets_3_13) == 584, "3.13 _Py_DebugOffsets mirror is off");

#define DO_HEADER_SIZE offsetof(struct debug_offsets_3_13, runtime_state)

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

#define DO(field) offsetof(struct debug_offsets_3_13, field)
#define PL(field) offsetof(struct py_layout, field)
#define GET(buf, field) get_u64((buf), DO(field))

int py_debug_offsets_present(const uint8_t *buf, size_t len, uint32_t *version_hex)
{
    if (buf == NULL || len < DO_HEADER_SIZE)
        return 0;
    if (memcmp(buf, PY_DEBUG_OFFSETS_COOKIE, 8) != 0)
        return 0;
    if (version_hex != NULL) {
        uint64_t v = GET(buf, version);
        *version_hex = v > UINT32_MAX ? 0 : (uint32_t)v; /* 0: no version we know */
    }
    return 1;
}

/* Header: cookie, a version we have a mirror for, and a GIL-ful build. */
static enum pa_status check_header(const uint8_t *buf, size_t len, struct pa_error *err)
{
    if (len < DO_HEADER_SIZE)
        return pa_fail(err, PA_E_CORRUPT, "_Py_DebugOffsets image truncated: %zu bytes, the header alone is %zu",
                       len, (size_t)DO_HEADER_SIZE);
    if (memcmp(buf, PY_DEBUG_OFFSETS_COOKIE, 8) != 0)
        return pa_fail(err, PA_E_CORRUPT, "no \"%s\" cookie at the start of _PyRuntime", PY_DEBUG_OFFSETS_COOKIE);
    uint64_t version = GET(buf, version);
    unsigned major = (unsigned)(version >> 24) & 0xff, minor = (unsigned)(version >> 16) & 0xff;
    if (version > UINT32_MAX || major != 3 || minor != 13)
        return pa_fail(err, PA_E_UNSUPPORTED,
                       "_Py_DebugOffsets of CPython %u.%u (version 0x%08" PRIx64 "): only 3.13's layout is known",
                       major, minor, version);
    uint64_t free_threaded = GET(buf, free_threaded);
    if (free_threaded != 0)
        return pa_fail(err, PA_E_UNSUPPORTED,
                       "free-threaded CPython %u.%u (_Py_DebugOffsets.free_threaded = %" PRIu64 ") is not supported",
                       major, minor, free_threaded);
    if (len < sizeof(struct debug_offsets_3_13))
        return pa_fail(err, PA_E_CORRUPT, "_Py_DebugOffsets image truncated: %zu bytes, 3.13's is %zu",
                       len, sizeof(struct debug_offsets_3_13));
    return PA_OK;
}

/* Each section's stated size must be non-zero and below its cap. */
static const struct section_spec {
    const char *name;
    size_t size_at; /* where the image stores the section's size */
    uint64_t cap;
} sections[] = {
    {"runtime_state", DO(runtime_state.size), BIG_STRUCT_MAX},
    {"interpreter_state", DO(interpreter_state.size), BIG_STRUCT_MAX},
    {"thread_state", DO(thread_state.size), STRUCT_MAX},
    {"interpreter_frame", DO(interpreter_frame.size), STRUCT_MAX},
    {"code_object", DO(code_object.size), STRUCT_MAX},
    {"pyobject", DO(pyobject.size), STRUCT_MAX},
    {"bytes_object", DO(bytes_object.size), STRUCT_MAX},
    {"unicode_object", DO(unicode_object.size), STRUCT_MAX},
};

/* Each field we use: where the image keeps it and its section size, how wide the
 * field is in the target (it must fit inside the section), and where it goes in
 * struct py_layout (SIZE_MAX: checked only, used below). */
static const struct field_spec {
    const char *section, *name;
    size_t size_at, off_at;
    uint64_t width;
    size_t dst;
} fields[] = {
    {"runtime_state", "interpreters_head", DO(runtime_state.size), DO(runtime_state.interpreters_head), 8,
     PL(runtime_state.interpreters_head)},
    {"interpreter_state", "next", DO(interpreter_state.size), DO(interpreter_state.next), 8, PL(interpreter_state.next)},
    {"interpreter_state", "threads_head", DO(interpreter_state.size), DO(interpreter_state.threads_head), 8,
     PL(interpreter_state.threads_head)},
    {"interpreter_state", "ceval_gil", DO(interpreter_state.size), DO(interpreter_state.ceval_gil), 8,
     PL(interpreter_state.ceval_gil)},
    {"interpreter_state", "gil_runtime_state", DO(interpreter_state.size), DO(interpreter_state.gil_runtime_state), 8,
     SIZE_MAX},
    {"interpreter_state", "gil_runtime_state_locked", DO(interpreter_state.size),
     DO(interpreter_state.gil_runtime_state_locked), 4, PL(gil_runtime_state.locked)},
    {"interpreter_state", "gil_runtime_state_holder", DO(interpreter_state.size),
     DO(interpreter_state.gil_runtime_state_holder), 8, PL(gil_runtime_state.last_holder)},
    {"thread_state", "next", DO(thread_state.size), DO(thread_state.next), 8, PL(thread_state.next)},
    {"thread_state", "interp", DO(thread_state.size), DO(thread_state.interp), 8, PL(thread_state.interp)},
    {"thread_state", "current_frame", DO(thread_state.size), DO(thread_state.current_frame), 8,
     PL(thread_state.current_frame)},
    {"thread_state", "thread_id", DO(thread_state.size), DO(thread_state.thread_id), 8, PL(thread_state.thread_id)},
    {"thread_state", "native_thread_id", DO(thread_state.size), DO(thread_state.native_thread_id), 8,
     PL(thread_state.native_thread_id)},
    {"interpreter_frame", "previous", DO(interpreter_frame.size), DO(interpreter_frame.previous), 8,
     PL(interpreter_frame.previous)},
    {"interpreter_frame", "executable", DO(interpreter_frame.size), DO(interpreter_frame.executable), 8,
     PL(interpreter_frame.executable)},
    {"interpreter_frame", "instr_ptr", DO(interpreter_frame.size), DO(interpreter_frame.instr_ptr), 8,
     PL(interpreter_frame.instr)},
    {"interpreter_frame", "owner", DO(interpreter_frame.size), DO(interpreter_frame.owner), 1,
     PL(interpreter_frame.owner)},
    /* A flexible array: it may start exactly at the end of the struct. */
    {"interpreter_frame", "localsplus", DO(interpreter_frame.size), DO(interpreter_frame.localsplus), 0,
     PL(interpreter_frame.localsplus)},
    {"code_object", "filename", DO(code_object.size), DO(code_object.filename), 8, PL(code_object.filename)},
    {"code_object", "name", DO(code_object.size), DO(code_object.name), 8, PL(code_object.name)},
    {"code_object", "qualname", DO(code_object.size), DO(code_object.qualname), 8, PL(code_object.qualname)},
    {"code_object", "firstlineno", DO(code_object.size), DO(code_object.firstlineno), 4, PL(code_object.firstlineno)},
    {"code_object", "linetable", DO(code_object.size), DO(code_object.linetable), 8, PL(code_object.linetable)},
    /* char co_code_adaptive[1]: the struct holds at least its first byte. */
    {"code_object", "co_code_adaptive", DO(code_object.size), DO(code_object.co_code_adaptive), 1,
     PL(code_object.code_adaptive)},
    {"code_object", "localsplusnames", DO(code_object.size), DO(code_object.localsplusnames), 8,
     PL(code_object.localsplusnames)},
    {"pyobject", "ob_type", DO(pyobject.size), DO(pyobject.ob_type), 8, PL(object.ob_type)},
    /* PyVarObject.ob_size, as seen through PyBytesObject.ob_base. */
    {"bytes_object", "ob_size", DO(bytes_object.size), DO(bytes_object.ob_size), 8, PL(object.ob_size)},
    {"bytes_object", "ob_sval", DO(bytes_object.size), DO(bytes_object.ob_sval), 1, PL(bytes_object.ob_sval)},
    /* state and length live in the PyASCIIObject head, which asciiobject_size bounds
     * (unicode_object.size is sizeof(PyUnicodeObject)); asciiobject_size itself is
     * checked against the section below. */
    {"unicode_object", "state", DO(unicode_object.asciiobject_size), DO(unicode_object.state), 4,
     PL(unicode_object.state)},
    {"unicode_object", "length", DO(unicode_object.asciiobject_size), DO(unicode_object.length), 8,
     PL(unicode_object.length)},
};

static enum pa_status check_sections(const uint8_t *buf, struct pa_error *err)
{
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        uint64_t size = get_u64(buf, sections[i].size_at);
        if (size == 0 || size > sections[i].cap)
            return pa_fail(err, PA_E_CORRUPT,
                           "_Py_DebugOffsets.%s.size = %" PRIu64 " is not a sane struct size (max %" PRIu64 ")",
                           sections[i].name, size, sections[i].cap);
    }
    uint64_t ascii = GET(buf, unicode_object.asciiobject_size), unicode = GET(buf, unicode_object.size);
    if (ascii == 0 || ascii > unicode)
        return pa_fail(err, PA_E_CORRUPT,
                       "_Py_DebugOffsets.unicode_object.asciiobject_size = %" PRIu64
                       " does not fit unicode_object.size = %" PRIu64, ascii, unicode);
    return PA_OK;
}

/* The fields only thread names need (thread_names.c). A table that gets them wrong
 * loses thread names (interpreter_state.modules = PY_NO_FIELD), not the stacks. */
static const struct field_spec name_fields[] = {
    {"interpreter_state", "imports_modules", DO(interpreter_state.size), DO(interpreter_state.imports_modules), 8,
     PL(interpreter_state.modules)},
    {"type_object", "tp_flags", DO(type_object.size), DO(type_object.tp_flags), 8, PL(type_object.tp_flags)},
    {"dict_object", "ma_keys", DO(dict_object.size), DO(dict_object.ma_keys), 8, PL(dict_object.ma_keys)},
    {"dict_object", "ma_values", DO(dict_object.size), DO(dict_object.ma_values), 8, PL(dict_object.ma_values)},
    {"long_object", "lv_tag", DO(long_object.size), DO(long_object.lv_tag), 8, PL(long_object.lv_tag)},
    /* digit ob_digit[1]: at least one 4-byte digit inside the struct. */
    {"long_object", "ob_digit", DO(long_object.size), DO(long_object.ob_digit), 4, PL(long_object.ob_digit)},
};

/* What 3.13's _Py_DebugOffsets does not describe. These are 3.13.0's DWARF values
 * (tests/unit/test_layout_dwarf.c checks them); the type and module fields have not
 * moved since 3.6, the dict keys and entries not since 3.11. PyDictValues grew a
 * 4-byte header (capacity, size, embedded, valid) in 3.13, so values is at 8. */
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
static bool name_field_ok(const uint8_t *buf, const struct field_spec *f)
{
    uint64_t size = get_u64(buf, f->size_at), off = get_u64(buf, f->off_at);
    return off < size && f->width <= size - off && off + f->width <= STRUCT_MAX;
}

/* Fills the thread-name fields, or disables names when the image disagrees with us. */
static void read_name_fields(const uint8_t *buf, struct py_layout *l)
{
    set_name_constants(l);
    bool ok = GET(buf, type_object.size) > (uint64_t)l->type_object.tp_dictoffset + 8 &&
              GET(buf, interpreter_state.imports_modules) != 0;
    for (size_t i = 0; ok && i < sizeof name_fields / sizeof name_fields[0]; i++)
        ok = name_field_ok(buf, &name_fields[i]);
    for (size_t i = 0; i < sizeof name_fields / sizeof name_fields[0]; i++) {
        int32_t v = ok ? (int32_t)get_u64(buf, name_fields[i].off_at) : PY_NO_FIELD;
        memcpy((char *)l + name_fields[i].dst, &v, sizeof v);
    }
}

/* Copies every field into *l after checking it lies inside its section. */
static enum pa_status read_fields(const uint8_t *buf, struct py_layout *l, struct pa_error *err)
{
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const struct field_spec *f = &fields[i];
        uint64_t size = get_u64(buf, f->size_at), off = get_u64(buf, f->off_at);
        if (off > size || f->width > size - off || (f->width > 0 && off == size))
            return pa_fail(err, PA_E_CORRUPT,
                           "_Py_DebugOffsets.%s.%s = %" PRIu64 " (%" PRIu64 " bytes wide) lies beyond its struct size %" PRIu64,
                           f->section, f->name, off, f->width, size);
        int32_t v = (int32_t)off; /* section sizes are capped far below INT32_MAX */
        if (f->dst != SIZE_MAX)
            memcpy((char *)l + f->dst, &v, sizeof v);
    }
    return PA_OK;
}

/* The debug offsets place _gil.locked / _gil.last_holder relative to the interpreter
 * (where its own _gil is embedded at gil_runtime_state), but the GIL in use is the one
 * interp->ceval.gil points to: make them relative to struct _gil_runtime_state. */
static enum pa_status rebase_gil(const uint8_t *buf, struct py_layout *l, struct pa_error *err)
{
    int32_t gil = (int32_t)GET(buf, interpreter_state.gil_runtime_state);
    int32_t locked = l->gil_runtime_state.locked, holder = l->gil_runtime_state.last_holder;
    if (locked < gil || holder < gil || locked - gil >= (int32_t)GIL_STATE_MAX || holder - gil >= (int32_t)GIL_STATE_MAX)
        return pa_fail(err, PA_E_CORRUPT,
                       "_Py_DebugOffsets.interpreter_state.gil_runtime_state_locked = %d / _holder = %d "
                       "are not inside the _gil at %d", locked, holder, gil);
    l->gil_runtime_state.locked = locked - gil;
    l->gil_runtime_state.last_holder = holder - gil;
    return PA_OK;
}

/* Sizes as the built-in tables define them (see layout_tables.c). */
static enum pa_status derive_sizes(const uint8_t *buf, struct py_layout *l, struct pa_error *err)
{
    /* Bytes to read: up to the last field we use, not the whole (huge) struct. */
    l->runtime_state.size = l->runtime_state.interpreters_head + 8;
    int32_t last = l->interpreter_state.next;
    if (l->interpreter_state.threads_head > last)
        last = l->interpreter_state.threads_head;
    if (l->interpreter_state.ceval_gil > last)
        last = l->interpreter_state.ceval_gil;
    if (l->interpreter_state.modules > last)
        last = l->interpreter_state.modules;
    l->interpreter_state.size = last + 8;
    if ((uint32_t)l->runtime_state.size > STRUCT_MAX || (uint32_t)l->interpreter_state.size > STRUCT_MAX)
        return pa_fail(err, PA_E_CORRUPT,
                       "_Py_DebugOffsets: runtime/interpreter fields lie beyond the first %u bytes (need %d / %d)",
                       STRUCT_MAX, l->runtime_state.size, l->interpreter_state.size);
    l->thread_state.size = (int32_t)GET(buf, thread_state.size);
    /* A frame's fixed head ends at localsplus (sizeof adds padding past it, which may
     * lie past the end of the data-stack chunk). */
    l->interpreter_frame.size = l->interpreter_frame.localsplus;
    l->code_object.size = (int32_t)GET(buf, code_object.size);
    l->unicode_object.ascii_size = (int32_t)GET(buf, unicode_object.asciiobject_size);
    /* sizeof(PyCompactUnicodeObject) is not in the debug offsets. Since 3.12 (wstr gone)
     * it is PyASCIIObject + Py_ssize_t utf8_length + char *utf8 = ascii + 16. */
    l->unicode_object.compact_size = l->unicode_object.ascii_size + 16;
    return PA_OK;
}

enum pa_status py_layout_from_debug_offsets(const uint8_t *buf, size_t len,
                                            struct py_layout *layout, struct pa_error *err)
{
    if (buf == NULL || layout == NULL)
        return pa_fail(err, PA_E_INTERNAL, "py_layout_from_debug_offsets: NULL argument");
    enum pa_status st = check_header(buf, len, err);
    if (st != PA_OK)
        return st;

    struct py_layout l;
    memset(&l, 0, sizeof l);
    l.version_hex = (uint32_t)GET(buf, version);
    l.runtime_model = PY_RUNTIME_PYRUNTIME;
    l.frame_model = PY_FRAMES_INTERPRETER;
    l.instr_model = PY_INSTR_INSTR_PTR;
    l.linetable_model = PY_LINES_LOCATIONS;
    l.gil_model = PY_GIL_INTERP_GIL_HOLDER;
    l.runtime_state.gilstate_tstate_current = PY_NO_FIELD; /* 3.12 moved the GIL holder */
    l.thread_state.cframe = PY_NO_FIELD;                   /* 3.13 dropped _PyCFrame */
    l.cframe.current_frame = PY_NO_FIELD;
    l.interpreter_frame.is_entry = PY_NO_FIELD; /* 3.12+ marks entries with a shim frame instead */
    l.code_object.nlocals = PY_NO_FIELD; /* only co_localsplusnames is described: its size counts them */
    if ((st = check_sections(buf, err)) != PA_OK || (st = read_fields(buf, &l, err)) != PA_OK ||
        (st = rebase_gil(buf, &l, err)) != PA_OK)
        return st;
    read_name_fields(buf, &l);
    if ((st = derive_sizes(buf, &l, err)) != PA_OK)
        return st;
    /* Offsets inside their sections can still lie beyond what the walker reads. */
    if ((st = py_layout_check(&l, err)) != PA_OK)
        return st;
    *layout = l;
    return PA_OK;
}
