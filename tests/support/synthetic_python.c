/* The synthetic CPython process: every object is its own fake_memory region, with an
 * unmapped gap after it, and every field is placed by the layout's offsets alone. */
#include "tests/support/synthetic_python.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "python_frames/debug_offsets.h"

const int synth_minor_versions[SYNTH_VERSION_COUNT] = {6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

#define BASE_ADDR 0x7f3a00000000ull
#define GAP 4096
#define CODE_TYPE_SIZE 416

/* _Py_DebugOffsets of 3.13.0 after its cookie: 72 uint64 in declaration order
 * (Include/internal/pycore_runtime.h), dumped from the pyenv 3.13.0 build's
 * _PyRuntime with ctypes.string_at. */
static const uint64_t debug_offsets_3_13_0[72] = {
    0x030d00f0, 0,                                  /* version, free_threaded */
    283320, 608, 632,                               /* runtime_state: size, finalizing, interpreters_head */
    194968, 7272, 7264, 7344, 7400, 7656, 7640, 7648, /* interpreter_state: size, id, next, threads_head, gc,
                                                     * imports_modules, sysdict, builtins */
    16, 7752, 0, 7768, 7760,                        /* ceval_gil, gil_runtime_state, _enabled, _locked, _holder */
    304, 0, 8, 16, 72, 152, 160, 232, 32,           /* thread_state: size, prev, next, interp, current_frame,
                                                     * thread_id, native_thread_id, datastack_chunk, status */
    80, 8, 0, 56, 72, 70,                           /* interpreter_frame: size, previous, executable,
                                                     * instr_ptr, localsplus, owner */
    208, 112, 120, 128, 136, 68, 52, 96, 104, 200,  /* code_object: size, filename, name, qualname, linetable,
                                                     * firstlineno, argcount, localsplusnames,
                                                     * localspluskinds, co_code_adaptive */
    16, 8,                                          /* pyobject: size, ob_type */
    416, 24, 88, 168,                               /* type_object */
    32, 24, 16,                                     /* tuple_object */
    40, 24, 16,                                     /* list_object */
    48, 32, 40,                                     /* dict_object */
    24, 16,                                         /* float_object */
    32, 16, 24,                                     /* long_object */
    40, 16, 32,                                     /* bytes_object: size, ob_size, ob_sval */
    64, 32, 16, 40,                                 /* unicode_object: size, state, length, asciiobject_size */
    240, 200,                                       /* gc: size, collecting */
};

/* _Py_DebugOffsets of 3.14.8 after its cookie: 94 uint64 in declaration order
 * (Include/internal/pycore_debug_offsets.h; the list is PY_DEBUG_OFFSETS_3_14 in
 * python_frames/debug_offsets_tables.h), read from Debian's 3.14.8 build. */
static const uint64_t debug_offsets_3_14_8[94] = {
    0x030e08f0, 0,                                  /* version, free_threaded */
    316616, 784, 808,                               /* runtime_state: size, finalizing, interpreters_head */
    225864, 7280, 7272, 7344, 7360, 7408, 7688, 7672, 7680, /* interpreter_state: size, id, next,
                                                     * threads_head, threads_main, gc, imports_modules,
                                                     * sysdict, builtins */
    16, 7784, 0, 7800, 7792,                        /* ceval_gil, gil_runtime_state, _enabled, _locked, _holder */
    7992, 0,                                        /* code_object_generation, tlbc_generation */
    832, 0, 8, 16, 72, 152, 160, 232, 32,           /* thread_state: size, prev, next, interp, current_frame,
                                                     * thread_id, native_thread_id, datastack_chunk, status */
    88, 8, 0, 56, 80, 74, 64, 0,                    /* interpreter_frame: size, previous, executable,
                                                     * instr_ptr, localsplus, owner, stackpointer, tlbc_index */
    216, 112, 120, 128, 136, 68, 52, 96, 104, 208, 0, /* code_object: size, filename, name, qualname,
                                                     * linetable, firstlineno, argcount, localsplusnames,
                                                     * localspluskinds, co_code_adaptive, co_tlbc */
    16, 8,                                          /* pyobject: size, ob_type */
    416, 24, 88, 168,                               /* type_object */
    40, 32, 16,                                     /* tuple_object */
    40, 24, 16,                                     /* list_object */
    200, 24, 40, 32,                                /* set_object */
    48, 32, 40,                                     /* dict_object */
    24, 16,                                         /* float_object */
    32, 16, 24,                                     /* long_object */
    40, 16, 32,                                     /* bytes_object: size, ob_size, ob_sval */
    64, 32, 16, 40,                                 /* unicode_object: size, state, length, asciiobject_size */
    264, 192,                                       /* gc: size, collecting */
    160, 24, 72, 67,                                /* gen_object */
    0, 8,                                           /* llist_node */
    24, 304, 8076, 0, 4, 512,                       /* debugger_support */
};

/* _Py_DebugOffsets of 3.15.0 after its cookie: 110 uint64 (PY_DEBUG_OFFSETS_3_15),
 * read from Debian's 3.15.0 build. */
static const uint64_t debug_offsets_3_15_0[110] = {
    0x030f00f0, 0,                                  /* version, free_threaded */
    346568, 912, 936,                               /* runtime_state: size, finalizing, interpreters_head */
    226240, 7272, 7264, 7336, 7352, 7400, 7592, 7576, 7584, /* interpreter_state: size, id, next,
                                                     * threads_head, threads_main, gc, imports_modules,
                                                     * sysdict, builtins */
    16, 7736, 0, 7752, 7744,                        /* ceval_gil, gil_runtime_state, _enabled, _locked, _holder */
    7944, 0,                                        /* code_object_generation, tlbc_generation */
    888, 0, 8, 16, 72, 80, 88, 96,                  /* thread_state: size, prev, next, interp, current_frame,
                                                     * base_frame, last_profiled_frame(_seq) */
    176, 184, 256, 32, 36, 40, 136, 288,            /* thread_id, native_thread_id, datastack_chunk, status,
                                                     * holds_gil, gil_requested, current_exception,
                                                     * exc_state */
    0,                                              /* err_stackitem: exc_value */
    88, 8, 0, 56, 80, 74, 64, 0,                    /* interpreter_frame: size, previous, executable,
                                                     * instr_ptr, localsplus, owner, stackpointer, tlbc_index */
    216, 112, 120, 128, 136, 68, 52, 96, 104, 208, 0, /* code_object, as in 3.14 */
    16, 8,                                          /* pyobject: size, ob_type */
    424, 24, 88, 168, 32, 288,                      /* type_object: ..., tp_basicsize, tp_dictoffset */
    944, 888,                                       /* heap_type_object: size, ht_cached_keys */
    40, 32, 16,                                     /* tuple_object */
    40, 24, 16,                                     /* list_object */
    200, 24, 40, 32,                                /* set_object */
    48, 32, 40,                                     /* dict_object */
    24, 16,                                         /* float_object */
    32, 16, 24,                                     /* long_object */
    40, 16, 32,                                     /* bytes_object: size, ob_size, ob_sval */
    64, 32, 16, 40, 56,                             /* unicode_object: ..., compactunicodeobject_size */
    176, 112, 120, 1112, 104,                       /* gc: size, collecting, frame, generation_stats(_size) */
    160, 24, 72, 67,                                /* gen_object */
    0, 8,                                           /* llist_node */
    24, 344, 8028, 0, 4, 512,                       /* debugger_support */
};

_Static_assert(8 + sizeof debug_offsets_3_13_0 == SYNTH_DEBUG_OFFSETS_SIZE, "3.13 image size");
_Static_assert(8 + sizeof debug_offsets_3_14_8 == SYNTH_DEBUG_OFFSETS_3_14_SIZE, "3.14 image size");
_Static_assert(8 + sizeof debug_offsets_3_15_0 == SYNTH_DEBUG_OFFSETS_3_15_SIZE, "3.15 image size");

static void put_image(uint8_t *out, const uint64_t *values, size_t size)
{
    memcpy(out, PY_DEBUG_OFFSETS_COOKIE, 8);
    memcpy(out + 8, values, size);
}

void synth_debug_offsets_3_13(uint8_t out[SYNTH_DEBUG_OFFSETS_SIZE])
{
    put_image(out, debug_offsets_3_13_0, sizeof debug_offsets_3_13_0);
}

void synth_debug_offsets_3_14(uint8_t out[SYNTH_DEBUG_OFFSETS_3_14_SIZE])
{
    put_image(out, debug_offsets_3_14_8, sizeof debug_offsets_3_14_8);
}

void synth_debug_offsets_3_15(uint8_t out[SYNTH_DEBUG_OFFSETS_3_15_SIZE])
{
    put_image(out, debug_offsets_3_15_0, sizeof debug_offsets_3_15_0);
}

static const struct {
    int minor;
    const uint64_t *values;
    size_t size; /* of values, without the cookie */
} images[] = {
    {13, debug_offsets_3_13_0, sizeof debug_offsets_3_13_0},
    {14, debug_offsets_3_14_8, sizeof debug_offsets_3_14_8},
    {15, debug_offsets_3_15_0, sizeof debug_offsets_3_15_0},
};

size_t synth_debug_offsets(int minor, uint8_t *out, size_t capacity)
{
    for (size_t i = 0; i < sizeof images / sizeof images[0]; i++) {
        if (images[i].minor != minor || 8 + images[i].size > capacity)
            continue;
        put_image(out, images[i].values, images[i].size);
        return 8 + images[i].size;
    }
    return 0;
}

/* ---- allocation and field writes ---- */

static size_t max_size(size_t a, size_t b)
{
    return a > b ? a : b;
}

/* Bytes a struct needs so that a field of `width` at `offset` fits (0 when absent). */
static size_t need(int32_t offset, size_t width)
{
    return offset >= 0 ? (size_t)offset + width : 0;
}

uint64_t synth_alloc(struct synth_process *p, size_t size)
{
    uint64_t addr = p->next_addr;
    fake_memory_add(&p->memory, addr, size);
    p->next_addr += ((size + 63) & ~(uint64_t)63) + GAP;
    return addr;
}

static void put_u64(struct synth_process *p, uint64_t base, int32_t offset, uint64_t value)
{
    if (offset >= 0)
        fake_memory_put_u64(&p->memory, base + (uint64_t)offset, value);
}

static void put_i32(struct synth_process *p, uint64_t base, int32_t offset, int32_t value)
{
    if (offset >= 0)
        fake_memory_put_i32(&p->memory, base + (uint64_t)offset, value);
}

/* A read that may fail (the chains the tests tear). */
static int try_get_u64(struct synth_process *p, uint64_t addr, uint64_t *value)
{
    return pa_read_u64(&p->reader, addr, value, NULL) == PA_OK;
}

static uint64_t get_u64(struct synth_process *p, uint64_t addr)
{
    uint64_t value = 0;
    struct pa_error err;
    if (pa_read_u64(&p->reader, addr, &value, &err) != PA_OK) {
        fprintf(stderr, "synthetic_python: %s\n", err.message);
        abort();
    }
    return value;
}

/* A PyObject head: ob_refcnt is the first field of every GIL-ful build (it is not in
 * the layout, which only names ob_type). */
static void put_object_head(struct synth_process *p, uint64_t addr, uint64_t type)
{
    fake_memory_put_u64(&p->memory, addr, 1);
    put_u64(p, addr, p->runtime.layout.object.ob_type, type);
}

/* True if a code-object field offset is a real field, not one left at 0 (which would
 * land on ob_refcnt) or inside the PyObject head. */
static int code_field(const struct py_layout *l, int32_t offset)
{
    return offset >= 0 && offset >= l->object.ob_type + 8;
}

/* ---- str and bytes ---- */

/* Decodes UTF-8 (trusted: test input) into code points; returns how many. */
static size_t utf8_decode(const char *s, uint32_t *out, size_t capacity)
{
    size_t n = 0;
    const unsigned char *u = (const unsigned char *)s;
    while (*u && n < capacity) {
        uint32_t c;
        int extra;
        if (*u < 0x80) {
            c = *u;
            extra = 0;
        } else if (*u < 0xE0) {
            c = *u & 0x1F;
            extra = 1;
        } else if (*u < 0xF0) {
            c = *u & 0x0F;
            extra = 2;
        } else {
            c = *u & 0x07;
            extra = 3;
        }
        u++;
        for (int i = 0; i < extra && (*u & 0xC0) == 0x80; i++)
            c = (c << 6) | (*u++ & 0x3F);
        out[n++] = c;
    }
    return n;
}

uint64_t synth_str(struct synth_process *p, const char *utf8)
{
    const struct py_layout *l = &p->runtime.layout;
    size_t cap = strlen(utf8) + 1;
    uint32_t *cps = calloc(cap, sizeof *cps);
    if (cps == NULL)
        abort();
    size_t n = utf8_decode(utf8, cps, cap);
    uint32_t maxc = 0;
    for (size_t i = 0; i < n; i++)
        maxc = cps[i] > maxc ? cps[i] : maxc;
    unsigned kind = maxc < 0x100 ? 1 : maxc < 0x10000 ? 2 : 4;
    unsigned ascii = maxc < 0x80;
    /* state: interned:2, kind:3, compact:1, ascii:1, then ready:1 up to 3.11 (3.12
     * reused the bit for statically_allocated). Interned, as identifiers are. */
    uint32_t state = 1u | kind << 2 | 1u << 5 | ascii << 6 | (l->version_hex < 0x030c0000 ? 1u << 7 : 0);
    int32_t data_off = ascii ? l->unicode_object.ascii_size : l->unicode_object.compact_size;
    size_t size = max_size((size_t)data_off + (n + 1) * kind,
                           max_size(need(l->unicode_object.length, 8), need(l->unicode_object.state, 4)));
    uint64_t addr = synth_alloc(p, size);
    put_object_head(p, addr, 0);
    put_u64(p, addr, l->unicode_object.length, n);
    put_i32(p, addr, l->unicode_object.state, (int32_t)state);
    for (size_t i = 0; i < n; i++) {
        uint64_t at = addr + (uint64_t)data_off + i * kind;
        if (kind == 1) {
            uint8_t c = (uint8_t)cps[i];
            fake_memory_put(&p->memory, at, &c, 1);
        } else if (kind == 2) {
            uint16_t c = (uint16_t)cps[i];
            fake_memory_put(&p->memory, at, &c, 2);
        } else {
            fake_memory_put(&p->memory, at, &cps[i], 4);
        }
    }
    free(cps);
    return addr;
}

uint64_t synth_bytes(struct synth_process *p, const void *data, size_t len)
{
    const struct py_layout *l = &p->runtime.layout;
    size_t size = max_size((size_t)l->bytes_object.ob_sval + len + 1, need(l->object.ob_size, 8));
    uint64_t addr = synth_alloc(p, size);
    put_object_head(p, addr, 0);
    put_u64(p, addr, l->object.ob_size, len);
    if (len)
        fake_memory_put(&p->memory, addr + (uint64_t)l->bytes_object.ob_sval, data, len);
    return addr;
}

/* ---- line tables ---- */

struct out {
    uint8_t *bytes;
    size_t len, capacity;
};

static void emit(struct out *o, int byte)
{
    if (o->len < o->capacity)
        o->bytes[o->len] = (uint8_t)byte;
    o->len++;
}

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* <= 3.9 co_lnotab: (byte increment, signed line increment) pairs. */
static void lnotab(struct out *o, int first_line, int line_offset, int line)
{
    int b = line_offset, d = line - first_line;
    for (; b > 255; b -= 255) {
        emit(o, 255);
        emit(o, 0);
    }
    int c = clamp(d, -128, 127);
    emit(o, b);
    emit(o, c);
    for (d -= c; d != 0; d -= c) {
        c = clamp(d, -128, 127);
        emit(o, 0);
        emit(o, c);
    }
}

/* 3.10 co_linetable: (byte range length, line delta) pairs; -128 is reserved. */
static void linetable_310(struct out *o, int first_line, int line_offset, int line, int code_size)
{
    for (int rest = line_offset; rest > 0;) {
        int n = rest < 254 ? rest : 254;
        emit(o, n);
        emit(o, 0);
        rest -= n;
    }
    int d = line - first_line;
    while (d > 127 || d < -127) { /* empty ranges carry the excess */
        int c = clamp(d, -127, 127);
        emit(o, 0);
        emit(o, c);
        d -= c;
    }
    for (int rest = code_size - line_offset; rest > 0;) {
        int n = rest < 254 ? rest : 254;
        emit(o, n);
        emit(o, d);
        d = 0;
        rest -= n;
    }
}

static void svarint(struct out *o, int v)
{
    uint32_t u = v < 0 ? ((uint32_t)-v << 1) | 1u : (uint32_t)v << 1;
    for (; u >= 64; u >>= 6)
        emit(o, 0x40 | (int)(u & 63));
    emit(o, (int)u);
}

/* 3.11+ PEP 657 locations: "no column" entries (code 13) of at most 8 code units. */
static void locations(struct out *o, int first_line, int line_offset, int line, int code_size)
{
    for (int units = line_offset / 2; units > 0;) {
        int n = units < 8 ? units : 8;
        emit(o, 0x80 | 13 << 3 | (n - 1));
        svarint(o, 0);
        units -= n;
    }
    int d = line - first_line;
    for (int units = (code_size - line_offset) / 2; units > 0;) {
        int n = units < 8 ? units : 8;
        emit(o, 0x80 | 13 << 3 | (n - 1));
        svarint(o, d);
        d = 0;
        units -= n;
    }
}

size_t synth_linetable(enum py_linetable_model model, int first_line, int line_offset, int line,
                       int code_size, uint8_t *out, size_t capacity)
{
    struct out o = {.bytes = out, .capacity = capacity};
    switch (model) {
    case PY_LINES_LNOTAB:
        lnotab(&o, first_line, line_offset, line);
        break;
    case PY_LINES_LINETABLE:
        linetable_310(&o, first_line, line_offset, line, code_size);
        break;
    case PY_LINES_LOCATIONS:
        locations(&o, first_line, line_offset, line, code_size);
        break;
    }
    return o.len;
}

/* ---- code objects and frames ---- */

static int nlocals_of(const struct synth_process *p, uint64_t code)
{
    for (size_t i = 0; i < p->code_count; i++)
        if (p->codes[i].addr == code)
            return p->codes[i].nlocals;
    return 0;
}

/* co_localsplusnames: a tuple of nlocals names (its items are left NULL: only its
 * ob_size is read). */
static uint64_t names_tuple(struct synth_process *p, int nlocals)
{
    const struct py_layout *l = &p->runtime.layout;
    size_t size = need(l->object.ob_size, 8) + 8 * (size_t)nlocals;
    uint64_t addr = synth_alloc(p, size);
    put_object_head(p, addr, 0);
    put_u64(p, addr, l->object.ob_size, (uint64_t)nlocals);
    return addr;
}

uint64_t synth_code(struct synth_process *p, const struct synth_code_spec *spec)
{
    const struct py_layout *l = &p->runtime.layout;
    uint8_t table[1024];
    size_t table_len = synth_linetable(l->linetable_model, spec->first_line, spec->line_offset, spec->line,
                                       SYNTH_CODE_BYTES, table, sizeof table);
    if (table_len > sizeof table)
        abort();
    uint64_t filename = synth_str(p, spec->filename);
    uint64_t name = synth_str(p, spec->name);
    uint64_t qualname = l->code_object.qualname >= 0 ? synth_str(p, spec->qualname ? spec->qualname : spec->name) : 0;
    uint64_t linetable = synth_bytes(p, table, table_len);
    uint64_t names = code_field(l, l->code_object.localsplusnames) ? names_tuple(p, spec->nlocals) : 0;

    size_t size = max_size((size_t)l->code_object.size, need(l->code_object.code_adaptive, SYNTH_CODE_BYTES));
    const int32_t pointers[] = {l->object.ob_type, l->code_object.filename, l->code_object.name,
                                l->code_object.qualname, l->code_object.linetable, l->code_object.localsplusnames};
    for (size_t i = 0; i < sizeof pointers / sizeof pointers[0]; i++)
        size = max_size(size, need(pointers[i], 8));
    size = max_size(size, need(l->code_object.firstlineno, 4));
    size = max_size(size, need(l->code_object.nlocals, 4));
    uint64_t addr = synth_alloc(p, size);
    put_object_head(p, addr, p->runtime.code_type_addr);
    put_u64(p, addr, l->code_object.filename, filename);
    put_u64(p, addr, l->code_object.name, name);
    put_u64(p, addr, l->code_object.qualname, qualname);
    put_i32(p, addr, l->code_object.firstlineno, spec->first_line);
    put_u64(p, addr, l->code_object.linetable, linetable);
    if (code_field(l, l->code_object.nlocals))
        put_i32(p, addr, l->code_object.nlocals, spec->nlocals);
    if (names)
        put_u64(p, addr, l->code_object.localsplusnames, names);
    if (p->code_count < SYNTH_MAX_CODES)
        p->codes[p->code_count++] = (struct synth_code_record){.addr = addr, .nlocals = spec->nlocals};
    return addr;
}

void synth_frame_set_instr(struct synth_process *p, uint64_t frame, uint64_t code, int instr_offset)
{
    const struct py_layout *l = &p->runtime.layout;
    uint64_t start = code + (uint64_t)(l->code_object.code_adaptive >= 0 ? l->code_object.code_adaptive : 0);
    switch (l->instr_model) {
    case PY_INSTR_LASTI_BYTES: /* f_lasti = -1 before the first instruction */
        put_i32(p, frame, l->interpreter_frame.instr, instr_offset < 0 ? -1 : instr_offset);
        break;
    case PY_INSTR_LASTI_UNITS:
        put_i32(p, frame, l->interpreter_frame.instr, instr_offset < 0 ? -1 : instr_offset / 2);
        break;
    case PY_INSTR_PREV_INSTR_PTR: /* 3.11/3.12 start with prev_instr = _PyCode_CODE(co) - 1 */
        put_u64(p, frame, l->interpreter_frame.instr, start + (uint64_t)(int64_t)(instr_offset < 0 ? -2 : instr_offset));
        break;
    case PY_INSTR_INSTR_PTR: /* 3.13 starts at the first instruction */
        put_u64(p, frame, l->interpreter_frame.instr, start + (uint64_t)(instr_offset < 0 ? 0 : instr_offset));
        break;
    }
}

/* Bytes of a frame with room for `slots` fast locals and stack entries after its head. */
static size_t frame_size(const struct py_layout *l, int slots)
{
    size_t size = max_size((size_t)l->interpreter_frame.size,
                           need(l->interpreter_frame.localsplus, 8 * (size_t)slots));
    size = max_size(size, need(l->interpreter_frame.previous, 8));
    size = max_size(size, need(l->interpreter_frame.executable, 8));
    size = max_size(size, need(l->interpreter_frame.instr, 8));
    size = max_size(size, need(l->interpreter_frame.owner, 1));
    return max_size(size, need(l->interpreter_frame.is_entry, 1));
}

/* 3.14+ _PyStackRef tags (pycore_stackref.h, GIL builds): Py_TAG_REFCNT marks a
 * reference not counted (deferred or immortal); NULL is that tag alone. */
#define TAG_REFCNT UINT64_C(1)

/* What f_executable holds for `code` in a new frame. 3.14+: a strong reference is the
 * bare pointer and a deferred or immortal one is tagged; frames alternate. */
static uint64_t executable_ref(struct synth_process *p, uint64_t code)
{
    if (p->runtime.layout.ref_model != PY_REFS_TAGGED)
        return code;
    return code | (p->frames_made++ % 2 == 0 ? TAG_REFCNT : 0);
}

void synth_frame_set_owner(struct synth_process *p, uint64_t frame, int owner)
{
    int32_t at = p->runtime.layout.interpreter_frame.owner;
    uint8_t o = (uint8_t)owner;
    if (at >= 0)
        fake_memory_put(&p->memory, frame + (uint64_t)at, &o, 1);
}

static uint64_t new_frame(struct synth_process *p, uint64_t code, uint64_t executable, int instr_offset,
                          uint64_t previous, int owner)
{
    const struct py_layout *l = &p->runtime.layout;
    /* Room for the fast locals and a value stack after them, as a real frame has. */
    uint64_t frame = synth_alloc(p, frame_size(l, nlocals_of(p, code) + 8));
    if (l->frame_model == PY_FRAMES_OBJECTS)
        fake_memory_put_u64(&p->memory, frame, 1); /* PyFrameObject's ob_refcnt */
    put_u64(p, frame, l->interpreter_frame.previous, previous);
    put_u64(p, frame, l->interpreter_frame.executable, executable);
    synth_frame_set_instr(p, frame, code, instr_offset);
    synth_frame_set_owner(p, frame, owner);
    return frame;
}

uint64_t synth_frame(struct synth_process *p, uint64_t code, int instr_offset, uint64_t previous)
{
    return new_frame(p, code, executable_ref(p, code), instr_offset, previous, 0); /* FRAME_OWNED_BY_THREAD */
}

uint64_t synth_cstack_frame(struct synth_process *p, uint64_t code, uint64_t previous)
{
    /* 3.14+: _PyEval_EvalFrameDefault's entry_frame.f_executable = PyStackRef_None. */
    uint64_t executable = p->runtime.layout.ref_model == PY_REFS_TAGGED ? p->runtime.none_addr | TAG_REFCNT : code;
    return new_frame(p, code, executable, 0, previous, PY_FRAME_OWNED_BY_INTERPRETER);
}

void synth_frame_set_previous(struct synth_process *p, uint64_t frame, uint64_t previous)
{
    put_u64(p, frame, p->runtime.layout.interpreter_frame.previous, previous);
}

uint64_t synth_frame_executable(struct synth_process *p, uint64_t frame)
{
    return get_u64(p, frame + (uint64_t)p->runtime.layout.interpreter_frame.executable);
}

void synth_frame_set_executable(struct synth_process *p, uint64_t frame, uint64_t bits)
{
    put_u64(p, frame, p->runtime.layout.interpreter_frame.executable, bits);
}

void synth_frame_set_code(struct synth_process *p, uint64_t frame, uint64_t code)
{
    uint64_t tag = 0;
    if (p->runtime.layout.ref_model == PY_REFS_TAGGED)
        tag = synth_frame_executable(p, frame) & PY_STACKREF_TAG_BITS;
    synth_frame_set_executable(p, frame, code | tag);
}

void synth_frame_set_local(struct synth_process *p, uint64_t frame, int index, uint64_t value)
{
    put_u64(p, frame, p->runtime.layout.interpreter_frame.localsplus + 8 * index, value);
}

void synth_frame_set_is_entry(struct synth_process *p, uint64_t frame, int is_entry)
{
    int32_t at = p->runtime.layout.interpreter_frame.is_entry;
    uint8_t value = is_entry != 0;
    if (at >= 0)
        fake_memory_put(&p->memory, frame + (uint64_t)at, &value, 1);
}

/* ---- interpreters and threads ---- */

static size_t interp_index(const struct synth_process *p, uint64_t interp)
{
    for (size_t i = 0; i < p->interp_count; i++)
        if (p->interps[i] == interp)
            return i;
    fprintf(stderr, "synthetic_python: 0x%llx is not an interpreter\n", (unsigned long long)interp);
    abort();
}

uint64_t synth_interpreter(struct synth_process *p)
{
    const struct py_layout *l = &p->runtime.layout;
    if (p->interp_count == SYNTH_MAX_INTERPS)
        abort();
    size_t size = max_size((size_t)l->interpreter_state.size,
                           max_size(need(l->interpreter_state.next, 8),
                                    max_size(need(l->interpreter_state.threads_head, 8),
                                             need(l->interpreter_state.ceval_gil, 8))));
    size = max_size(size, max_size(need(l->interpreter_state.modules, 8),
                                   need(l->interpreter_state.code_object_generation, 8)));
    uint64_t interp = synth_alloc(p, size);
    uint64_t gil = 0;
    if (l->gil_model == PY_GIL_INTERP_GIL_HOLDER) {
        /* 3.12+: the GIL in use is the one ceval.gil points to (normally the
         * interpreter's own _gil; here a separate object). */
        gil = synth_alloc(p, max_size(208, max_size(need(l->gil_runtime_state.locked, 4),
                                                    need(l->gil_runtime_state.last_holder, 8))));
        put_u64(p, interp, l->interpreter_state.ceval_gil, gil);
    }
    if (p->interp_count == 0) {
        if (l->runtime_model == PY_RUNTIME_INTERP_HEAD_SYMBOL)
            fake_memory_put_u64(&p->memory, p->runtime.interp_head_addr, interp);
        else
            put_u64(p, p->runtime.runtime_addr, l->runtime_state.interpreters_head, interp);
    } else {
        put_u64(p, p->interps[p->interp_count - 1], l->interpreter_state.next, interp);
    }
    p->gils[p->interp_count] = gil;
    p->interps[p->interp_count++] = interp;
    return interp;
}

void synth_set_code_generation(struct synth_process *p, uint64_t interp, uint64_t generation)
{
    put_u64(p, interp, p->runtime.layout.interpreter_state.code_object_generation, generation);
}

uint64_t synth_thread_base_frame(struct synth_process *p, uint64_t tstate)
{
    const struct py_layout *l = &p->runtime.layout;
    if (l->thread_state.base_frame < 0)
        return 0;
    return get_u64(p, tstate + (uint64_t)l->thread_state.base_frame);
}

/* Chains longer than this are taken to loop (see link_to_base). */
#define LINK_MAX_FRAMES 65536

/* 3.15: ends the chain from frame at base (see synth_thread_set_frame). */
static void link_to_base(struct synth_process *p, uint64_t frame, uint64_t base)
{
    const struct py_layout *l = &p->runtime.layout;
    uint64_t last = 0;
    for (size_t n = 0; frame != 0; n++) {
        if (frame == base || n == LINK_MAX_FRAMES)
            return;
        last = frame;
        if (!try_get_u64(p, frame + (uint64_t)l->interpreter_frame.previous, &frame))
            return;
    }
    uint8_t owner = 0;
    if (l->interpreter_frame.owner < 0 ||
        pa_read(&p->reader, last + (uint64_t)l->interpreter_frame.owner, &owner, 1, NULL) != PA_OK)
        return;
    /* Every C call of the eval loop pushes an entry frame below its first frame: the
     * outermost one lies right on the base frame. */
    uint64_t entry = owner >= PY_FRAME_OWNED_BY_INTERPRETER ? base : synth_cstack_frame(p, 0, base);
    synth_frame_set_previous(p, last, entry);
}

uint64_t synth_thread_cframe(struct synth_process *p, uint64_t tstate)
{
    const struct py_layout *l = &p->runtime.layout;
    if (l->thread_state.cframe < 0)
        return 0;
    return get_u64(p, tstate + (uint64_t)l->thread_state.cframe);
}

void synth_thread_set_frame(struct synth_process *p, uint64_t tstate, uint64_t frame)
{
    const struct py_layout *l = &p->runtime.layout;
    if (l->thread_state.base_frame >= 0 && frame != 0)
        link_to_base(p, frame, synth_thread_base_frame(p, tstate));
    if (l->thread_state.cframe >= 0)
        put_u64(p, synth_thread_cframe(p, tstate), l->cframe.current_frame, frame);
    else
        put_u64(p, tstate, l->thread_state.current_frame, frame);
}

uint64_t synth_thread(struct synth_process *p, uint64_t interp, pid_t tid, uint64_t frame)
{
    const struct py_layout *l = &p->runtime.layout;
    size_t size = (size_t)l->thread_state.size;
    size = max_size(size, need(l->thread_state.next, 8));
    size = max_size(size, need(l->thread_state.interp, 8));
    size = max_size(size, need(l->thread_state.current_frame, 8));
    size = max_size(size, need(l->thread_state.cframe, 8));
    size = max_size(size, need(l->thread_state.thread_id, 8));
    size = max_size(size, need(l->thread_state.native_thread_id, 8));
    size = max_size(size, need(l->thread_state.base_frame, 8));
    size_t base_at = 0;
    if (l->thread_state.base_frame >= 0) {
        base_at = (size + 15) & ~(size_t)15;
        size = base_at + frame_size(l, 8);
    }
    uint64_t tstate = synth_alloc(p, size);

    put_u64(p, tstate, l->thread_state.interp, interp);
    if (l->thread_state.base_frame >= 0) {
        /* 3.15: _PyThreadStateImpl embeds the base frame; its f_executable is
         * PyStackRef_NULL (the tag alone), previous NULL, owned by the interpreter. */
        uint64_t base = tstate + base_at;
        put_u64(p, base, l->interpreter_frame.executable, TAG_REFCNT);
        synth_frame_set_owner(p, base, PY_FRAME_OWNED_BY_INTERPRETER);
        put_u64(p, tstate, l->thread_state.base_frame, base);
    }
    if (l->thread_state.cframe >= 0) {
        /* 3.11, 3.12: tstate->cframe points to a _PyCFrame on the C stack. */
        uint64_t cframe = synth_alloc(p, max_size(24, need(l->cframe.current_frame, 8)));
        put_u64(p, tstate, l->thread_state.cframe, cframe);
    }
    synth_thread_set_frame(p, tstate, frame);

    if (l->thread_state.native_thread_id >= 0) {
        put_u64(p, tstate, l->thread_state.thread_id, 0x7f0000000000ull + (uint64_t)tid * 0x10000);
        put_u64(p, tstate, l->thread_state.native_thread_id, (uint64_t)tid);
    } else {
        /* No native_thread_id: the pthread_t is the address of glibc's struct pthread,
         * which keeps the TID at pthread_tid_offset. */
        uint64_t pthread = synth_alloc(p, SYNTH_PTHREAD_TID_OFFSET + 64);
        fake_memory_put_i32(&p->memory, pthread + SYNTH_PTHREAD_TID_OFFSET, (int32_t)tid);
        put_u64(p, tstate, l->thread_state.thread_id, pthread);
    }

    /* Pushed at the head, as new_threadstate() does. */
    uint64_t head = get_u64(p, interp + (uint64_t)l->interpreter_state.threads_head);
    put_u64(p, tstate, l->thread_state.next, head);
    put_u64(p, interp, l->interpreter_state.threads_head, tstate);
    return tstate;
}

void synth_set_gil_holder(struct synth_process *p, uint64_t interp, uint64_t tstate)
{
    const struct py_runtime *rt = &p->runtime;
    const struct py_layout *l = &rt->layout;
    switch (l->gil_model) {
    case PY_GIL_TSTATE_CURRENT_SYMBOL:
        fake_memory_put_u64(&p->memory, rt->tstate_current_addr, tstate);
        break;
    case PY_GIL_RUNTIME_TSTATE_CURRENT:
        put_u64(p, rt->runtime_addr, l->runtime_state.gilstate_tstate_current, tstate);
        break;
    case PY_GIL_INTERP_GIL_HOLDER: {
        /* Releasing the GIL leaves last_holder as it was; only `locked` changes. */
        uint64_t gil = p->gils[interp_index(p, interp)];
        put_i32(p, gil, l->gil_runtime_state.locked, tstate != 0);
        if (tstate)
            put_u64(p, gil, l->gil_runtime_state.last_holder, tstate);
        break;
    }
    }
}

/* ---- the process ---- */

static enum pa_status choose_layout(struct synth_process *p, int minor, const uint8_t *image, size_t image_size,
                                    struct pa_error *err)
{
    if (image_size > 0)
        return py_layout_from_debug_offsets(image, image_size, &p->runtime.layout, err);
    const struct py_layout *table = py_layout_for_version(3, minor);
    if (table == NULL)
        return pa_fail(err, PA_E_UNSUPPORTED, "no layout table for 3.%d", minor);
    p->runtime.layout = *table;
    return PA_OK;
}

enum pa_status synth_init(struct synth_process *p, int minor, struct pa_error *err)
{
    memset(p, 0, sizeof *p);
    fake_memory_init(&p->memory, &p->reader);
    p->next_addr = BASE_ADDR;
    snprintf(p->name, sizeof p->name, "3.%d", minor);
    if (minor < 6 || minor > 15)
        return pa_fail(err, PA_E_UNSUPPORTED, "the synthetic process knows 3.6 - 3.15, not 3.%d", minor);

    uint8_t image[SYNTH_DEBUG_OFFSETS_MAX_SIZE];
    size_t image_size = synth_debug_offsets(minor, image, sizeof image);
    enum pa_status status = choose_layout(p, minor, image, image_size, err);
    if (status != PA_OK)
        return status;

    struct py_runtime *rt = &p->runtime;
    const struct py_layout *l = &rt->layout;
    rt->major = 3;
    rt->minor = minor;
    rt->micro = 0;
    snprintf(rt->version_source, sizeof rt->version_source, "%s", image_size > 0 ? "_Py_DebugOffsets" : "synthetic");
    snprintf(rt->binary, sizeof rt->binary, "synthetic-python3.%d", minor);
    rt->pthread_tid_offset = SYNTH_PTHREAD_TID_OFFSET;
    rt->code_type_addr = synth_alloc(p, CODE_TYPE_SIZE);

    if (l->runtime_model == PY_RUNTIME_INTERP_HEAD_SYMBOL) {
        rt->interp_head_addr = synth_alloc(p, 8);
    } else {
        size_t size = max_size((size_t)l->runtime_state.size,
                               max_size(need(l->runtime_state.interpreters_head, 8),
                                        need(l->runtime_state.gilstate_tstate_current, 8)));
        size = max_size(size, image_size);
        rt->runtime_addr = synth_alloc(p, size);
        if (image_size > 0) /* _Py_DebugOffsets is the first member of _PyRuntime */
            fake_memory_put(&p->memory, rt->runtime_addr, image, image_size);
    }
    if (l->gil_model == PY_GIL_TSTATE_CURRENT_SYMBOL)
        rt->tstate_current_addr = synth_alloc(p, 8);
    /* _Py_NoneStruct, which every version has (the f_executable of 3.14+ entry frames).
     * Made after _PyRuntime, which fuzzer inputs know as region 1. */
    rt->none_addr = synth_alloc(p, 16);
    put_object_head(p, rt->none_addr, 0);
    synth_interpreter(p);
    return PA_OK;
}

void synth_free(struct synth_process *p)
{
    fake_memory_free(&p->memory);
}

struct py_walker synth_walker(struct synth_process *p, struct py_code_cache *codes)
{
    return (struct py_walker){.runtime = &p->runtime, .reader = &p->reader, .codes = codes};
}
