/* Thread names from a synthetic address space, for every layout 3.6 - 3.15: dicts
 * (combined, split, deleted entries, both keys formats), ints, instance dicts in each
 * instance_dict_model, the whole sys.modules -> threading._active -> _name chain, and
 * torn or corrupt memory at every step. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "python_frames/instance_attr.h"
#include "python_frames/remote_dict.h"
#include "python_frames/thread_names.h"
#include "tests/support/synthetic_python.h"

#define HASH_MODULUS ((UINT64_C(1) << 61) - 1)
#define TPFLAGS_INLINE_VALUES (UINT64_C(1) << 2)
#define TPFLAGS_MANAGED_DICT (UINT64_C(1) << 4)
#define TPFLAGS_HEAPTYPE (UINT64_C(1) << 9)

/* ---- building objects by the layout alone ---- */

static const struct py_layout *L(struct synth_process *p)
{
    return &p->runtime.layout;
}

static void put(struct synth_process *p, uint64_t addr, int32_t off, uint64_t v)
{
    assert_true(off >= 0);
    fake_memory_put_u64(&p->memory, addr + (uint64_t)off, v);
}

static void put_u8(struct synth_process *p, uint64_t addr, int32_t off, uint8_t v)
{
    assert_true(off >= 0);
    fake_memory_put(&p->memory, addr + (uint64_t)off, &v, 1);
}

static uint64_t make_int(struct synth_process *p, uint64_t value)
{
    const struct py_layout *l = L(p);
    uint32_t digits[3];
    int n = 0;
    for (uint64_t v = value; v != 0; v >>= 30)
        digits[n++] = (uint32_t)(v & 0x3fffffff);
    uint64_t addr = synth_alloc(p, (size_t)l->long_object.ob_digit + 4 * (size_t)(n ? n : 1));
    if (l->long_object.lv_tag >= 0) /* 3.12+: count << 3 | sign, 1 = zero */
        put(p, addr, l->long_object.lv_tag, (uint64_t)n << 3 | (n == 0 ? 1 : 0));
    else
        put(p, addr, l->object.ob_size, (uint64_t)n);
    fake_memory_put(&p->memory, addr + (uint64_t)l->long_object.ob_digit, digits, 4 * (size_t)n);
    return addr;
}

/* A negative int: 3.12+ sign 2, before a negative ob_size. */
static uint64_t make_negative_int(struct synth_process *p, uint32_t magnitude)
{
    const struct py_layout *l = L(p);
    uint64_t addr = synth_alloc(p, (size_t)l->long_object.ob_digit + 4);
    if (l->long_object.lv_tag >= 0)
        put(p, addr, l->long_object.lv_tag, 1 << 3 | 2);
    else
        put(p, addr, l->object.ob_size, (uint64_t)-1);
    fake_memory_put(&p->memory, addr + (uint64_t)l->long_object.ob_digit, &magnitude, 4);
    return addr;
}

struct entry {
    uint64_t key, value; /* key 0 with value 0: a deleted entry */
    uint64_t hash;
};

/* A keys object of n entries. kind (3.11+): 0 general (with hashes), 1 unicode, 2 split
 * (split: entry values left NULL; <= 3.10 has no kind, split is the caller's affair). */
static uint64_t make_keys(struct synth_process *p, const struct entry *e, size_t n, int kind)
{
    const struct py_layout *l = L(p);
    uint64_t slots = 8;
    while (slots * 2 < n * 3)
        slots *= 2;
    unsigned log2_slots = 0;
    while ((UINT64_C(1) << log2_slots) < slots)
        log2_slots++;
    uint64_t width = slots <= 0xff ? 1 : slots <= 0xffff ? 2 : 4;
    uint64_t index_bytes = slots * width;
    bool general = l->dict_keys_object.dk_size >= 0 || kind == 0;
    int32_t esize = general ? l->dict_key_entry.size : l->dict_unicode_entry.size;
    uint64_t keys = synth_alloc(p, (size_t)l->dict_keys_object.dk_indices + index_bytes + n * (size_t)esize);
    fake_memory_put_u64(&p->memory, keys, 1); /* dk_refcnt */
    if (l->dict_keys_object.dk_size >= 0) {
        put(p, keys, l->dict_keys_object.dk_size, slots);
    } else {
        unsigned log2_width = width == 1 ? 0 : width == 2 ? 1 : 2;
        put_u8(p, keys, l->dict_keys_object.dk_log2_size, (uint8_t)log2_slots);
        put_u8(p, keys, l->dict_keys_object.dk_log2_index_bytes, (uint8_t)(log2_slots + log2_width));
        put_u8(p, keys, l->dict_keys_object.dk_kind, (uint8_t)kind);
    }
    put(p, keys, l->dict_keys_object.dk_nentries, n);
    uint8_t *indices = calloc(1, index_bytes);
    memset(indices, 0xff, index_bytes); /* DKIX_EMPTY everywhere: the reader scans entries, not indices */
    fake_memory_put(&p->memory, keys + (uint64_t)l->dict_keys_object.dk_indices, indices, index_bytes);
    free(indices);
    uint64_t entries = keys + (uint64_t)l->dict_keys_object.dk_indices + index_bytes;
    for (size_t i = 0; i < n; i++) {
        uint64_t at = entries + i * (uint64_t)esize;
        uint64_t value = kind == 2 ? 0 : e[i].value;
        if (general) {
            put(p, at, l->dict_key_entry.me_hash, e[i].hash);
            put(p, at, l->dict_key_entry.me_key, e[i].key);
            put(p, at, l->dict_key_entry.me_value, value);
        } else {
            put(p, at, l->dict_unicode_entry.me_key, e[i].key);
            put(p, at, l->dict_unicode_entry.me_value, value);
        }
    }
    return keys;
}

/* A values array for split keys; returns what ma_values / the pre-header holds
 * (<= 3.10 a PyObject *[], >= 3.11 a PyDictValues). */
static uint64_t make_values(struct synth_process *p, const struct entry *e, size_t n)
{
    const struct py_layout *l = L(p);
    int32_t at = l->dict_values.values >= 0 ? l->dict_values.values : 0;
    uint64_t values = synth_alloc(p, (size_t)at + 8 * n);
    if (at > 0) { /* 3.13: capacity, size, embedded, valid */
        uint8_t head[4] = {(uint8_t)n, (uint8_t)n, 0, 1};
        fake_memory_put(&p->memory, values, head, 4);
    }
    for (size_t i = 0; i < n; i++)
        fake_memory_put_u64(&p->memory, values + (uint64_t)at + 8 * i, e[i].value);
    return values;
}

static uint64_t make_dict_from(struct synth_process *p, uint64_t keys, uint64_t values)
{
    uint64_t dict = synth_alloc(p, 48);
    fake_memory_put_u64(&p->memory, dict, 1);
    put(p, dict, L(p)->dict_object.ma_keys, keys);
    put(p, dict, L(p)->dict_object.ma_values, values);
    return dict;
}

/* A combined dict: general kind (keys with hashes) for int keys, else unicode (3.11+). */
static uint64_t make_dict(struct synth_process *p, const struct entry *e, size_t n, bool int_keys)
{
    return make_dict_from(p, make_keys(p, e, n, int_keys ? 0 : 1), 0);
}

/* A split dict: shared keys + values (<= 3.10 keys are general, entries hold NULL). */
static uint64_t make_split_dict(struct synth_process *p, const struct entry *e, size_t n)
{
    return make_dict_from(p, make_keys(p, e, n, 2), make_values(p, e, n));
}

static struct entry str_entry(struct synth_process *p, const char *key, uint64_t value)
{
    struct entry e = {synth_str(p, key), value, 0x5eed0000u + strlen(key)};
    return e;
}

/* A heap type with the given flags and offsets (ht_cached_keys where the layout has it). */
static uint64_t make_type(struct synth_process *p, uint64_t flags, int64_t basicsize, int64_t dictoffset,
                          uint64_t cached_keys)
{
    const struct py_layout *l = L(p);
    int32_t end = l->type_object.ht_cached_keys > l->type_object.tp_dictoffset ? l->type_object.ht_cached_keys
                                                                                : l->type_object.tp_dictoffset;
    uint64_t type = synth_alloc(p, (size_t)end + 8);
    put(p, type, l->type_object.tp_flags, flags | TPFLAGS_HEAPTYPE);
    put(p, type, l->type_object.tp_basicsize, (uint64_t)basicsize);
    put(p, type, l->type_object.tp_dictoffset, (uint64_t)dictoffset);
    if (l->type_object.ht_cached_keys >= 0)
        put(p, type, l->type_object.ht_cached_keys, cached_keys);
    return type;
}

/* How an instance's attributes are stored. */
enum storage {
    STORE_DICT,   /* a real dict (combined) */
    STORE_SPLIT,  /* <= 3.10: split dict; >= 3.11: values without a dict */
};

/* An instance whose attributes are entries e[0..n), stored as the version does. */
static uint64_t make_instance(struct synth_process *p, const struct entry *e, size_t n, enum storage how)
{
    const struct py_layout *l = L(p);
    enum py_instance_dict_model model = l->instance_dict_model;
    if (model == PY_INSTANCE_DICT_TP_DICTOFFSET) {
        uint64_t dict = how == STORE_DICT ? make_dict(p, e, n, false) : make_split_dict(p, e, n);
        uint64_t obj = synth_alloc(p, 32);
        put(p, obj, l->object.ob_type, make_type(p, 0, 32, 16, 0));
        fake_memory_put_u64(&p->memory, obj + 16, dict);
        return obj;
    }
    /* >= 3.11: pre-header of 2 words + GC head of 2 words before the object; 3.13's
     * inline values after the 16-byte object. */
    uint64_t keys = how == STORE_SPLIT ? make_keys(p, e, n, 2) : 0;
    uint64_t base = synth_alloc(p, 32 + 16 + 8 + 8 * n);
    uint64_t obj = base + 32;
    uint64_t flags = TPFLAGS_MANAGED_DICT | (model == PY_INSTANCE_INLINE_VALUES ? TPFLAGS_INLINE_VALUES : 0);
    put(p, obj, l->object.ob_type, make_type(p, flags, 16, -1, keys));
    if (how == STORE_DICT) {
        fake_memory_put_u64(&p->memory, obj - 24, make_dict(p, e, n, false));
        return obj;
    }
    if (model == PY_INSTANCE_DICT_MANAGED) {
        fake_memory_put_u64(&p->memory, obj - 32, make_values(p, e, n));
    } else if (model == PY_INSTANCE_DICT_OR_VALUES) {
        fake_memory_put_u64(&p->memory, obj - 24, make_values(p, e, n) - 1); /* tagged: values - 1 */
    } else {
        uint8_t head[4] = {(uint8_t)n, (uint8_t)n, 1, 1};
        fake_memory_put(&p->memory, obj + 16, head, 4);
        for (size_t i = 0; i < n; i++)
            fake_memory_put_u64(&p->memory, obj + 16 + (uint64_t)l->dict_values.values + 8 * i, e[i].value);
    }
    return obj;
}

/* ---- fixtures ---- */

struct world {
    struct synth_process p;
    uint64_t interp;
    uint64_t ident[3];  /* threads in _active; ident[2] is not */
    uint64_t thread[2]; /* their Thread objects */
};

static int minors[] = {6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static void new_process(struct synth_process *p, int minor)
{
    struct pa_error err = {0};
    if (synth_init(p, minor, &err) != PA_OK)
        fail_msg("synth_init(3.%d): %s", minor, err.message);
    assert_true(L(p)->interpreter_state.modules >= 0);
}

/* Thread objects with a few attributes; _name is not the first (as in threading). */
static uint64_t make_thread(struct synth_process *p, const char *name, enum storage how)
{
    struct entry e[] = {
        str_entry(p, "_target", 0x1111), str_entry(p, "_name", synth_str(p, name)),
        str_entry(p, "_args", 0x2222), str_entry(p, "_ident", 0x3333),
    };
    return make_instance(p, e, 4, how);
}

/* interp->modules = {..., "threading": module}; module.__dict__["_active"] = {ident: Thread}. */
static void build_world(struct world *w, int minor, size_t module_count)
{
    struct synth_process *p = &w->p;
    new_process(p, minor);
    const struct py_layout *l = L(p);
    w->interp = p->interps[0];
    w->ident[0] = UINT64_C(0x7f12345678c0);
    w->ident[1] = UINT64_C(0x7f1234000700);
    w->ident[2] = UINT64_C(0x7f1234999900);
    w->thread[0] = make_thread(p, "ThreadPoolExecutor-0_1", STORE_SPLIT);
    w->thread[1] = make_thread(p, "工人-\U0001F9F5-ü", STORE_DICT);

    /* _active: a deleted entry first (<= 3.10 a dummy key without value), an int key
     * whose hash collides with ident[1] but whose value differs, then the threads. */
    struct entry active[4] = {
        {l->dict_keys_object.dk_size >= 0 ? synth_str(p, "<dummy>") : 0, 0, 0},
        {make_int(p, w->ident[1] + HASH_MODULUS), 0xbad, w->ident[1] % HASH_MODULUS},
        {make_int(p, w->ident[0]), w->thread[0], w->ident[0] % HASH_MODULUS},
        {make_int(p, w->ident[1]), w->thread[1], w->ident[1] % HASH_MODULUS},
    };
    uint64_t active_dict = make_dict(p, active, 4, true);

    struct entry globals[] = {
        str_entry(p, "__name__", synth_str(p, "threading")), str_entry(p, "_active_limbo_lock", 0x4444),
        str_entry(p, "_activ", 0x5555), str_entry(p, "_active", active_dict),
    };
    uint64_t module = synth_alloc(p, 56);
    put(p, module, l->module_object.md_dict, make_dict(p, globals, 4, false));

    /* sys.modules: module_count - 1 other modules, threading last. */
    struct entry *mods = calloc(module_count, sizeof *mods);
    for (size_t i = 0; i + 1 < module_count; i++) {
        char name[32];
        snprintf(name, sizeof name, "mod%zu", i);
        mods[i] = str_entry(p, name, 0x6000 + i);
    }
    mods[module_count - 1] = str_entry(p, "threading", module);
    put(p, w->interp, l->interpreter_state.modules, make_dict(p, mods, module_count, false));
    free(mods);
}

static enum pa_status name_of(struct world *w, uint64_t ident, char *out, size_t size, bool *found,
                              struct pa_error *err)
{
    return py_threading_name(&w->p.reader, L(&w->p), w->interp, ident, out, size, found, err);
}

/* ---- tests ---- */

static void test_chain(void **state)
{
    int minor = *(int *)*state;
    for (size_t count = 1; count <= 300; count += 299) { /* 300: more than one chunk of entries */
        struct world w;
        build_world(&w, minor, count);
        char out[64];
        bool found;
        struct pa_error err = {0};
        assert_int_equal(name_of(&w, w.ident[0], out, sizeof out, &found, &err), PA_OK);
        assert_true(found);
        assert_string_equal(out, "ThreadPoolExecutor-0_1");
        assert_int_equal(name_of(&w, w.ident[1], out, sizeof out, &found, &err), PA_OK);
        assert_true(found);
        assert_string_equal(out, "工人-\U0001F9F5-ü");
        /* not in _active */
        assert_int_equal(name_of(&w, w.ident[2], out, sizeof out, &found, &err), PA_OK);
        assert_false(found);
        /* cut at a character boundary: "工人-" is 7 bytes, the next character 4 */
        assert_int_equal(name_of(&w, w.ident[1], out, 10, &found, &err), PA_OK);
        assert_string_equal(out, "工人-");
        synth_free(&w.p);
    }
}

static void test_threading_not_imported(void **state)
{
    struct synth_process p;
    new_process(&p, *(int *)*state);
    struct entry mods[] = {str_entry(&p, "sys", 0x10), str_entry(&p, "builtins", 0x20)};
    put(&p, p.interps[0], L(&p)->interpreter_state.modules, make_dict(&p, mods, 2, false));
    char out[64];
    bool found = true;
    struct pa_error err = {0};
    assert_int_equal(py_threading_name(&p.reader, L(&p), p.interps[0], 1234, out, sizeof out, &found, &err), PA_OK);
    assert_false(found);
    /* and with interp->modules still NULL (during start-up) */
    put(&p, p.interps[0], L(&p)->interpreter_state.modules, 0);
    assert_int_equal(py_threading_name(&p.reader, L(&p), p.interps[0], 1234, out, sizeof out, &found, &err), PA_OK);
    assert_false(found);
    synth_free(&p);
}

static void test_ints(void **state)
{
    struct synth_process p;
    new_process(&p, *(int *)*state);
    const uint64_t values[] = {0, 1, (1u << 30) - 1, 1u << 30, UINT64_C(0x7f12345678c0), UINT64_C(1) << 60,
                               UINT64_MAX};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        uint64_t got = 42;
        struct pa_error err = {0};
        assert_int_equal(py_read_int_u64(&p.reader, L(&p), make_int(&p, values[i]), &got, &err), PA_OK);
        assert_true(got == values[i]);
    }
    uint64_t got;
    struct pa_error err = {0};
    assert_int_equal(py_read_int_u64(&p.reader, L(&p), make_negative_int(&p, 5), &got, &err), PA_E_CORRUPT);
    /* four digits do not fit 64 bits */
    uint64_t big = make_int(&p, UINT64_MAX);
    if (L(&p)->long_object.lv_tag >= 0)
        put(&p, big, L(&p)->long_object.lv_tag, 4 << 3);
    else
        put(&p, big, L(&p)->object.ob_size, 4);
    assert_int_equal(py_read_int_u64(&p.reader, L(&p), big, &got, &err), PA_E_CORRUPT);
    synth_free(&p);
}

/* Every storage of instance attributes the version has, and a missing attribute. */
static void test_instance_attrs(void **state)
{
    struct synth_process p;
    new_process(&p, *(int *)*state);
    const enum storage kinds[] = {STORE_DICT, STORE_SPLIT};
    for (size_t k = 0; k < 2; k++) {
        struct entry e[] = {str_entry(&p, "a", 0xa0), str_entry(&p, "_name", 0xb0), str_entry(&p, "c", 0)};
        uint64_t obj = make_instance(&p, e, kinds[k] == STORE_SPLIT ? 3 : 2, kinds[k]);
        uint64_t v = 1;
        struct pa_error err = {0};
        assert_int_equal(py_object_get_attr(&p.reader, L(&p), obj, "_name", &v, &err), PA_OK);
        assert_true(v == 0xb0);
        assert_int_equal(py_object_get_attr(&p.reader, L(&p), obj, "missing", &v, &err), PA_OK);
        assert_true(v == 0);
        /* split: "c" is a shared key this instance has no value for */
        assert_int_equal(py_object_get_attr(&p.reader, L(&p), obj, "c", &v, &err), PA_OK);
        assert_true(v == 0);
    }
    /* 3.13: a materialised dict wins over inline values */
    if (L(&p)->instance_dict_model == PY_INSTANCE_INLINE_VALUES) {
        struct entry stale[] = {str_entry(&p, "_name", 0x57a1e)};
        struct entry fresh[] = {str_entry(&p, "_name", 0xf7e54)};
        uint64_t obj = make_instance(&p, stale, 1, STORE_SPLIT);
        fake_memory_put_u64(&p.memory, obj - 24, make_dict(&p, fresh, 1, false));
        uint64_t v = 0;
        struct pa_error err = {0};
        assert_int_equal(py_object_get_attr(&p.reader, L(&p), obj, "_name", &v, &err), PA_OK);
        assert_true(v == 0xf7e54);
    }
    synth_free(&p);
}

/* Corrupt keys objects are refused, not scanned. */
static void test_corrupt_dicts(void **state)
{
    struct synth_process p;
    new_process(&p, *(int *)*state);
    const struct py_layout *l = L(&p);
    struct entry e[] = {str_entry(&p, "x", 1)};
    uint64_t dict = make_dict(&p, e, 1, false), keys = 0, v;
    struct pa_error err = {0};
    assert_int_equal(pa_read_u64(&p.reader, dict + (uint64_t)l->dict_object.ma_keys, &keys, &err), PA_OK);

    put(&p, keys, l->dict_keys_object.dk_nentries, UINT64_C(1) << 40);
    assert_int_equal(py_dict_get_str(&p.reader, l, dict, "x", &v, &err), PA_E_CORRUPT);
    put(&p, keys, l->dict_keys_object.dk_nentries, (uint64_t)-1);
    assert_int_equal(py_dict_get_str(&p.reader, l, dict, "x", &v, &err), PA_E_CORRUPT);
    put(&p, keys, l->dict_keys_object.dk_nentries, 1);
    if (l->dict_keys_object.dk_size >= 0) {
        put(&p, keys, l->dict_keys_object.dk_size, 12); /* not a power of two */
    } else {
        put_u8(&p, keys, l->dict_keys_object.dk_kind, 7);
    }
    assert_int_equal(py_dict_get_str(&p.reader, l, dict, "x", &v, &err), PA_E_CORRUPT);
    /* keys pointer into unmapped memory */
    put(&p, dict, l->dict_object.ma_keys, 0x10);
    assert_int_equal(py_dict_get_str(&p.reader, l, dict, "x", &v, &err), PA_E_READ);
    synth_free(&p);
}

/* A read failing at every point of the chain: an error or "not found", never a crash
 * or a wrong name. */
static void test_torn_reads(void **state)
{
    struct world w;
    build_world(&w, *(int *)*state, 20);
    char out[64];
    bool found;
    struct pa_error err = {0};
    w.p.memory.reads_left = 0;
    uint64_t before = w.p.reader.reads;
    assert_int_equal(name_of(&w, w.ident[1], out, sizeof out, &found, &err), PA_OK);
    uint64_t reads = w.p.reader.reads - before;
    assert_true(reads > 5);
    for (uint64_t fail_at = 1; fail_at <= reads; fail_at++) {
        w.p.memory.reads_left = fail_at;
        found = false;
        enum pa_status st = name_of(&w, w.ident[1], out, sizeof out, &found, &err);
        assert_true(st != PA_OK || !found);
        assert_true(st == PA_OK || st == PA_E_READ);
    }
    w.p.memory.reads_left = 0;
    synth_free(&w.p);
}

#define PER_VERSION(fn) \
    {#fn "_3_6", fn, NULL, NULL, &minors[0]}, {#fn "_3_7", fn, NULL, NULL, &minors[1]}, \
    {#fn "_3_8", fn, NULL, NULL, &minors[2]}, {#fn "_3_9", fn, NULL, NULL, &minors[3]}, \
    {#fn "_3_10", fn, NULL, NULL, &minors[4]}, {#fn "_3_11", fn, NULL, NULL, &minors[5]}, \
    {#fn "_3_12", fn, NULL, NULL, &minors[6]}, {#fn "_3_13", fn, NULL, NULL, &minors[7]}, \
    {#fn "_3_14", fn, NULL, NULL, &minors[8]}, {#fn "_3_15", fn, NULL, NULL, &minors[9]}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PER_VERSION(test_chain),         PER_VERSION(test_threading_not_imported),
        PER_VERSION(test_ints),          PER_VERSION(test_instance_attrs),
        PER_VERSION(test_corrupt_dicts), PER_VERSION(test_torn_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
