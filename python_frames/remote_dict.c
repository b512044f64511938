/* Dict lookups in the target: a dict's keys object is turned into a table (where the
 * entries start, how many, their shape, and the split values if any), then scanned. */
#include "python_frames/remote_dict.h"

#include <stdbool.h>
#include <string.h>

#define KEY_MAX_LEN 64      /* the str keys we look up are short identifiers */
#define KEYS_HEAD_MAX 64    /* dk_indices is at 40 (<= 3.10) or 32 (>= 3.11) */
#define CHUNK_ENTRIES 128   /* entries read per pa_read */
#define INT_MAX_DIGITS 3    /* 3 * 30 bits cover any 64-bit value */
#define PYLONG_SHIFT 30     /* 30-bit digits: the x86_64 default of every build we support */

/* Hash of a non-negative int: CPython reduces modulo the Mersenne prime 2**61 - 1. */
#define PYHASH_MODULUS ((UINT64_C(1) << 61) - 1)

/* PEP 393 state bits (unchanged 3.6 - 3.15 in GIL builds): compact at bit 5, ascii at bit 6. */
#define STATE_COMPACT_ASCII(s) ((((s) >> 5) & 3u) == 3u)

/* One keys object, ready to scan. */
struct dict_table {
    uint64_t entries;   /* address of entry 0 */
    size_t count;       /* dk_nentries: entries in use, deleted ones included */
    int32_t entry_size, key_off, value_off;
    int32_t hash_off;   /* PY_NO_FIELD for str-only (unicode / split) keys, which keep no hash */
    uint64_t values;    /* split tables: address of values[0] (value of entry i is values[i]); else 0 */
};

static uint64_t get_u64(const uint8_t *buf, int32_t off)
{
    uint64_t v;
    memcpy(&v, buf + off, sizeof v);
    return v;
}

static uint64_t index_width(uint64_t size)
{
    /* 3.6 - 3.10 DK_IXSIZE: the narrowest integer that can index `size` slots. */
    return size <= 0xff ? 1 : size <= 0xffff ? 2 : size <= 0xffffffffu ? 4 : 8;
}

/* Reads the keys object at keys_addr into t. values_addr: the split values array
 * (address of values[0]) or 0. */
static enum pa_status read_table(struct pa_reader *r, const struct py_layout *l, uint64_t keys_addr,
                                 uint64_t values_addr, struct dict_table *t, struct pa_error *err)
{
    const int32_t indices = l->dict_keys_object.dk_indices;
    uint8_t head[KEYS_HEAD_MAX];
    if (indices <= 0 || indices > KEYS_HEAD_MAX || l->dict_keys_object.dk_nentries < 0)
        return pa_fail(err, PA_E_UNSUPPORTED, "no dict keys layout for this version");
    enum pa_status st = pa_read(r, keys_addr, head, (size_t)indices, err);
    if (st != PA_OK)
        return st;
    uint64_t slots, index_bytes;
    bool general = true;
    if (l->dict_keys_object.dk_size >= 0) {
        /* <= 3.10: dk_size slots of DK_IXSIZE bytes each; every entry has a hash. */
        slots = get_u64(head, l->dict_keys_object.dk_size);
        if (slots < 8 || slots > (UINT64_C(1) << 30) || (slots & (slots - 1)) != 0)
            return pa_fail(err, PA_E_CORRUPT, "dict keys at 0x%llx: dk_size %llu", (unsigned long long)keys_addr,
                           (unsigned long long)slots);
        index_bytes = slots * index_width(slots);
    } else {
        /* >= 3.11: sizes as log2; dk_kind 0 (general) entries have a hash, 1 (unicode)
         * and 2 (split) entries are PyDictUnicodeEntry without one. */
        unsigned log2_size = head[l->dict_keys_object.dk_log2_size];
        unsigned log2_index = head[l->dict_keys_object.dk_log2_index_bytes];
        unsigned kind = head[l->dict_keys_object.dk_kind];
        if (log2_size < 3 || log2_size > 30 || log2_index < log2_size || log2_index > log2_size + 3 || kind > 2)
            return pa_fail(err, PA_E_CORRUPT, "dict keys at 0x%llx: log2 size %u, log2 index bytes %u, kind %u",
                           (unsigned long long)keys_addr, log2_size, log2_index, kind);
        slots = UINT64_C(1) << log2_size;
        index_bytes = UINT64_C(1) << log2_index;
        general = kind == 0;
    }
    int64_t nentries;
    memcpy(&nentries, head + l->dict_keys_object.dk_nentries, sizeof nentries);
    if (nentries < 0 || (uint64_t)nentries > slots || nentries > PY_DICT_MAX_ENTRIES)
        return pa_fail(err, PA_E_CORRUPT, "dict keys at 0x%llx: %lld entries in %llu slots (limit %d)",
                       (unsigned long long)keys_addr, (long long)nentries, (unsigned long long)slots,
                       PY_DICT_MAX_ENTRIES);
    t->entries = keys_addr + (uint64_t)indices + index_bytes;
    t->count = (size_t)nentries;
    t->values = values_addr;
    if (general) {
        t->entry_size = l->dict_key_entry.size;
        t->key_off = l->dict_key_entry.me_key;
        t->value_off = l->dict_key_entry.me_value;
        t->hash_off = l->dict_key_entry.me_hash;
    } else {
        t->entry_size = l->dict_unicode_entry.size;
        t->key_off = l->dict_unicode_entry.me_key;
        t->value_off = l->dict_unicode_entry.me_value;
        t->hash_off = PY_NO_FIELD;
    }
    if (t->entry_size <= 0 || t->entry_size > 64 || t->key_off < 0 || t->value_off < 0 ||
        t->key_off + 8 > t->entry_size || t->value_off + 8 > t->entry_size)
        return pa_fail(err, PA_E_UNSUPPORTED, "no dict entry layout for this version");
    return PA_OK;
}

uint64_t py_dict_values_array(const struct py_layout *l, uint64_t ma_values)
{
    if (ma_values == 0)
        return 0;
    /* <= 3.10: ma_values is the PyObject *[] itself; >= 3.11 a PyDictValues. */
    return ma_values + (uint64_t)(l->dict_values.values >= 0 ? l->dict_values.values : 0);
}

static enum pa_status dict_table(struct pa_reader *r, const struct py_layout *l, uint64_t dict,
                                 struct dict_table *t, struct pa_error *err)
{
    if (l->dict_object.ma_keys < 0 || l->dict_object.ma_values < 0)
        return pa_fail(err, PA_E_UNSUPPORTED, "no dict layout for this version");
    uint64_t keys = 0, values = 0;
    enum pa_status st = pa_read_u64(r, dict + (uint64_t)l->dict_object.ma_keys, &keys, err);
    if (st == PA_OK)
        st = pa_read_u64(r, dict + (uint64_t)l->dict_object.ma_values, &values, err);
    if (st != PA_OK)
        return st;
    if (keys == 0)
        return pa_fail(err, PA_E_CORRUPT, "dict at 0x%llx has no keys", (unsigned long long)dict);
    return read_table(r, l, keys, py_dict_values_array(l, values), t, err);
}

/* ---- key matchers ---- */

struct key_want {
    const char *str;      /* a str key, or NULL for an int key */
    size_t len;
    uint64_t number;
    uint64_t number_hash;
};

static enum pa_status str_matches(struct pa_reader *r, const struct py_layout *l, uint64_t key,
                                  const struct key_want *want, bool *match, struct pa_error *err)
{
    /* An ASCII-only str is always stored compact ASCII (PEP 393 canonical form), so
     * anything else cannot equal our ASCII key. */
    uint8_t head[256];
    int32_t ascii_size = l->unicode_object.ascii_size;
    *match = false;
    if (ascii_size <= 0 || ascii_size > (int32_t)sizeof head)
        return pa_fail(err, PA_E_UNSUPPORTED, "no str layout for this version");
    enum pa_status st = pa_read(r, key, head, (size_t)ascii_size, err);
    if (st != PA_OK)
        return st;
    int64_t length;
    uint32_t state;
    memcpy(&length, head + l->unicode_object.length, sizeof length);
    memcpy(&state, head + l->unicode_object.state, sizeof state);
    if (!STATE_COMPACT_ASCII(state) || length != (int64_t)want->len)
        return PA_OK;
    char text[KEY_MAX_LEN];
    st = pa_read(r, key + (uint64_t)ascii_size, text, want->len, err);
    if (st == PA_OK)
        *match = memcmp(text, want->str, want->len) == 0;
    return st;
}

/* Entries of tables that can hold int keys carry the key's hash: compare it first. */
static enum pa_status int_matches(struct pa_reader *r, const struct py_layout *l, uint64_t key, uint64_t hash,
                                  const struct key_want *want, bool *match, struct pa_error *err)
{
    *match = false;
    if (hash != want->number_hash)
        return PA_OK;
    uint64_t value;
    struct pa_error int_err = {0};
    enum pa_status st = py_read_int_u64(r, l, key, &value, &int_err);
    if (st == PA_E_CORRUPT) /* a key of another type that happens to share the hash */
        return PA_OK;
    if (st != PA_OK)
        return pa_fail(err, st, "%s", int_err.message);
    *match = value == want->number;
    return PA_OK;
}

/* Scans the table for the wanted key; *value = its value, or 0. */
static enum pa_status table_find(struct pa_reader *r, const struct py_layout *l, const struct dict_table *t,
                                 const struct key_want *want, uint64_t *value, struct pa_error *err)
{
    uint8_t chunk[CHUNK_ENTRIES * 64];
    size_t per_read = sizeof chunk / (size_t)t->entry_size;
    *value = 0;
    for (size_t first = 0; first < t->count; first += per_read) {
        size_t n = t->count - first < per_read ? t->count - first : per_read;
        enum pa_status st =
            pa_read(r, t->entries + (uint64_t)first * (uint64_t)t->entry_size, chunk, n * (size_t)t->entry_size, err);
        if (st != PA_OK)
            return st;
        for (size_t i = 0; i < n; i++) {
            const uint8_t *e = chunk + i * (size_t)t->entry_size;
            uint64_t key = get_u64(e, t->key_off), v = get_u64(e, t->value_off);
            /* Empty slots have no key; deleted ones (<= 3.10: the dummy key) no value.
             * Split tables keep values apart, and a missing one means "not set". */
            if (key == 0 || (t->values == 0 && v == 0))
                continue;
            bool match = false;
            if (want->str != NULL)
                st = str_matches(r, l, key, want, &match, err);
            else if (t->hash_off >= 0)
                st = int_matches(r, l, key, get_u64(e, t->hash_off), want, &match, err);
            /* str-only tables cannot hold an int key: no match */
            if (st != PA_OK)
                return st;
            if (!match)
                continue;
            if (t->values != 0)
                return pa_read_u64(r, t->values + 8 * (uint64_t)(first + i), value, err);
            *value = v;
            return PA_OK;
        }
    }
    return PA_OK;
}

static enum pa_status want_str(const char *key, struct key_want *want, struct pa_error *err)
{
    memset(want, 0, sizeof *want);
    want->str = key;
    want->len = strlen(key);
    if (want->len == 0 || want->len > KEY_MAX_LEN)
        return pa_fail(err, PA_E_INTERNAL, "dict key \"%s\" is not 1 - %d bytes", key, KEY_MAX_LEN);
    return PA_OK;
}

enum pa_status py_dict_get_str(struct pa_reader *r, const struct py_layout *l, uint64_t dict, const char *key,
                               uint64_t *value, struct pa_error *err)
{
    struct dict_table t;
    struct key_want want;
    enum pa_status st = want_str(key, &want, err);
    *value = 0;
    if (st == PA_OK)
        st = dict_table(r, l, dict, &t, err);
    return st == PA_OK ? table_find(r, l, &t, &want, value, err) : st;
}

enum pa_status py_keys_get_str(struct pa_reader *r, const struct py_layout *l, uint64_t keys, uint64_t values,
                               const char *key, uint64_t *value, struct pa_error *err)
{
    struct dict_table t;
    struct key_want want;
    enum pa_status st = want_str(key, &want, err);
    *value = 0;
    if (st == PA_OK)
        st = read_table(r, l, keys, values, &t, err);
    return st == PA_OK ? table_find(r, l, &t, &want, value, err) : st;
}

enum pa_status py_dict_get_u64(struct pa_reader *r, const struct py_layout *l, uint64_t dict, uint64_t key,
                               uint64_t *value, struct pa_error *err)
{
    struct dict_table t;
    struct key_want want = {.number = key, .number_hash = key % PYHASH_MODULUS};
    *value = 0;
    enum pa_status st = dict_table(r, l, dict, &t, err);
    return st == PA_OK ? table_find(r, l, &t, &want, value, err) : st;
}

enum pa_status py_read_int_digits(struct pa_reader *r, const struct py_layout *l, uint64_t addr, uint32_t *digits,
                                  size_t max, size_t *count, bool *negative, struct pa_error *err)
{
    const int32_t digits_at = l->long_object.ob_digit;
    uint8_t head[64];
    if (digits_at <= 0 || digits_at > (int32_t)sizeof head)
        return pa_fail(err, PA_E_UNSUPPORTED, "no int layout for this version");
    enum pa_status st = pa_read(r, addr, head, (size_t)digits_at, err);
    if (st != PA_OK)
        return st;
    int64_t ndigits;
    if (l->long_object.lv_tag >= 0) {
        /* >= 3.12: lv_tag = digit count << 3 | sign (0 positive, 1 zero, 2 negative). */
        uint64_t tag = get_u64(head, l->long_object.lv_tag);
        if ((tag & 3) == 3)
            return pa_fail(err, PA_E_CORRUPT, "int at 0x%llx is malformed (lv_tag 0x%llx)",
                           (unsigned long long)addr, (unsigned long long)tag);
        *negative = (tag & 3) == 2;
        ndigits = (int64_t)(tag >> 3);
    } else {
        /* <= 3.11: ob_size is the digit count, negative for negative numbers. */
        memcpy(&ndigits, head + l->object.ob_size, sizeof ndigits);
        *negative = ndigits < 0;
        if (ndigits < 0 && ndigits > INT64_MIN)
            ndigits = -ndigits;
    }
    if (ndigits < 0 || (uint64_t)ndigits > max)
        return pa_fail(err, PA_E_CORRUPT, "int at 0x%llx has %lld digits (want 0 - %zu)", (unsigned long long)addr,
                       (long long)ndigits, max);
    if (ndigits > 0 && (st = pa_read(r, addr + (uint64_t)digits_at, digits, (size_t)ndigits * 4, err)) != PA_OK)
        return st;
    for (int64_t i = 0; i < ndigits; i++)
        if (digits[i] >> PYLONG_SHIFT)
            return pa_fail(err, PA_E_CORRUPT, "int at 0x%llx: digit %lld is 0x%x", (unsigned long long)addr,
                           (long long)i, digits[i]);
    *count = (size_t)ndigits;
    return PA_OK;
}

enum pa_status py_read_int_u64(struct pa_reader *r, const struct py_layout *l, uint64_t addr, uint64_t *value,
                               struct pa_error *err)
{
    uint32_t digits[INT_MAX_DIGITS];
    size_t ndigits = 0;
    bool negative = false;
    enum pa_status st = py_read_int_digits(r, l, addr, digits, INT_MAX_DIGITS, &ndigits, &negative, err);
    if (st != PA_OK)
        return st;
    if (negative)
        return pa_fail(err, PA_E_CORRUPT, "int at 0x%llx is negative", (unsigned long long)addr);
    uint64_t v = 0;
    for (size_t i = ndigits; i-- > 0;) {
        if (i == 2 && digits[i] >> (64 - 2 * PYLONG_SHIFT))
            return pa_fail(err, PA_E_CORRUPT, "int at 0x%llx does not fit 64 bits", (unsigned long long)addr);
        v = v << PYLONG_SHIFT | digits[i];
    }
    *value = v;
    return PA_OK;
}
