/* Marshal decoder (CPython Python/marshal.c r_object): type byte with FLAG_REF, refs
 * 'r' (3.4+), Python 2's interned strings 't' and string refs 'R', ints 'i' 'I' 'l',
 * floats 'g' and text 'f', every string flavour, tuples, lists, sets and dicts. */
#include "output/marshal_read.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define FLAG_REF 0x80
#define MAX_DEPTH 2000 /* CPython's MAX_MARSHAL_STACK_DEPTH */
#define ARENA_BLOCK 65536

struct pa_marshal_arena {
    struct pa_marshal_arena *next;
    size_t size, used;
    _Alignas(max_align_t) unsigned char data[];
};

struct reader {
    const unsigned char *data;
    size_t len, pos;
    struct pa_marshal_arena *arena;
    struct pa_mobj **refs;        /* FLAG_REF objects, by index (NULL while reserved) */
    uint32_t nrefs, refs_capacity;
    struct pa_mobj **strings;     /* Python 2: interned strings, for 'R' */
    uint32_t nstrings, strings_capacity;
    struct pa_error *err;
};

static void *arena_alloc(struct reader *r, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    struct pa_marshal_arena *a = r->arena;
    if (a == NULL || a->size - a->used < size) {
        size_t block = size > ARENA_BLOCK ? size : ARENA_BLOCK;
        struct pa_marshal_arena *nb = malloc(sizeof *nb + block);
        if (nb == NULL)
            return NULL;
        nb->next = a;
        nb->size = block;
        nb->used = 0;
        r->arena = a = nb;
    }
    void *p = a->data + a->used;
    a->used += size;
    return p;
}

static enum pa_status corrupt(struct reader *r, const char *what)
{
    return pa_fail(r->err, PA_E_CORRUPT, "bad marshal data at offset %zu: %s", r->pos, what);
}

static bool take(struct reader *r, size_t n, const unsigned char **out)
{
    if (r->len - r->pos < n)
        return false;
    *out = r->data + r->pos;
    r->pos += n;
    return true;
}

static bool take_u32(struct reader *r, uint32_t *out)
{
    const unsigned char *b;
    if (!take(r, 4, &b))
        return false;
    *out = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return true;
}

static bool push(struct pa_mobj ***array, uint32_t *n, uint32_t *capacity, struct pa_mobj *obj)
{
    if (*n == *capacity) {
        uint32_t cap = *capacity ? *capacity * 2 : 64;
        struct pa_mobj **grown = realloc(*array, cap * sizeof *grown);
        if (grown == NULL)
            return false;
        *array = grown;
        *capacity = cap;
    }
    (*array)[(*n)++] = obj;
    return true;
}

static enum pa_status read_object(struct reader *r, int depth, struct pa_mobj **out);

static enum pa_status read_items(struct reader *r, int depth, struct pa_mobj *obj, uint32_t n)
{
    /* every item takes at least one byte: refuse counts the data cannot hold */
    if (n > r->len - r->pos)
        return corrupt(r, "container longer than the data");
    obj->n = n;
    obj->u.items = arena_alloc(r, (n ? n : 1) * sizeof *obj->u.items);
    if (obj->u.items == NULL)
        return pa_fail(r->err, PA_E_NOMEM, "out of memory reading marshal data");
    for (uint32_t i = 0; i < n; i++) {
        enum pa_status st = read_object(r, depth + 1, &obj->u.items[i]);
        if (st != PA_OK)
            return st;
        if (obj->u.items[i] == NULL)
            return corrupt(r, "NULL inside a container");
    }
    return PA_OK;
}

static enum pa_status read_dict(struct reader *r, int depth, struct pa_mobj *obj)
{
    struct pa_mobj **pairs = NULL;
    uint32_t n = 0, capacity = 0;
    enum pa_status st = PA_OK;
    for (;;) {
        struct pa_mobj *key, *value;
        st = read_object(r, depth + 1, &key);
        if (st != PA_OK || key == NULL) /* TYPE_NULL ends the dict */
            break;
        st = read_object(r, depth + 1, &value);
        if (st != PA_OK)
            break;
        if (value == NULL) {
            st = corrupt(r, "dict key without a value");
            break;
        }
        if (!push(&pairs, &n, &capacity, key) || !push(&pairs, &n, &capacity, value)) {
            st = pa_fail(r->err, PA_E_NOMEM, "out of memory reading marshal data");
            break;
        }
    }
    if (st == PA_OK) {
        obj->n = n / 2;
        obj->u.items = arena_alloc(r, (n ? n : 1) * sizeof *obj->u.items);
        if (obj->u.items == NULL)
            st = pa_fail(r->err, PA_E_NOMEM, "out of memory reading marshal data");
        else if (n)
            memcpy(obj->u.items, pairs, n * sizeof *pairs);
    }
    free(pairs);
    return st;
}

/* TYPE_LONG: signed count of 15-bit digits, least significant first. */
static enum pa_status read_long(struct reader *r, struct pa_mobj *obj)
{
    uint32_t raw;
    if (!take_u32(r, &raw))
        return corrupt(r, "truncated long");
    int32_t n = (int32_t)raw;
    uint32_t count = n < 0 ? (uint32_t)0 - (uint32_t)n : (uint32_t)n;
    uint64_t mag = 0;
    for (uint32_t i = 0; i < count; i++) {
        const unsigned char *b;
        if (!take(r, 2, &b))
            return corrupt(r, "truncated long");
        uint64_t digit = b[0] | (uint64_t)b[1] << 8;
        if (digit > 0x7fff)
            return corrupt(r, "long digit out of range");
        if (digit != 0 && (i >= 5 || (i == 4 && digit > 0xf)))
            return corrupt(r, "integer does not fit in 64 bits");
        mag |= digit << (15 * i);
    }
    if (n >= 0 && mag > (uint64_t)INT64_MAX)
        return corrupt(r, "integer does not fit in 64 bits");
    if (n < 0 && mag > (uint64_t)INT64_MAX + 1)
        return corrupt(r, "integer does not fit in 64 bits");
    obj->type = PA_M_INT;
    obj->u.i = n < 0 ? (int64_t)(0 - mag) : (int64_t)mag;
    return PA_OK;
}

static enum pa_status read_text_float(struct reader *r, struct pa_mobj *obj)
{
    const unsigned char *n, *text;
    if (!take(r, 1, &n) || !take(r, n[0], &text))
        return corrupt(r, "truncated float");
    char buf[257];
    memcpy(buf, text, n[0]);
    buf[n[0]] = '\0';
    char *end;
    obj->type = PA_M_FLOAT;
    obj->u.f = strtod(buf, &end);
    if (end == buf || *end != '\0')
        return corrupt(r, "bad float text");
    return PA_OK;
}

static enum pa_status read_string(struct reader *r, struct pa_mobj *obj, bool short_length)
{
    uint32_t n;
    const unsigned char *b;
    if (short_length) {
        if (!take(r, 1, &b))
            return corrupt(r, "truncated string");
        n = b[0];
    } else if (!take_u32(r, &n)) {
        return corrupt(r, "truncated string");
    }
    if (!take(r, n, &b))
        return corrupt(r, "truncated string");
    obj->type = PA_M_STR;
    obj->u.str.s = (const char *)b;
    obj->u.str.len = n;
    return PA_OK;
}

static enum pa_status read_ref(struct reader *r, struct pa_mobj **out)
{
    uint32_t index;
    if (!take_u32(r, &index))
        return corrupt(r, "truncated reference");
    if (index >= r->nrefs || r->refs[index] == NULL)
        return corrupt(r, "reference to an unknown object");
    *out = r->refs[index];
    return PA_OK;
}

static enum pa_status read_body(struct reader *r, int depth, int type, struct pa_mobj *obj)
{
    const unsigned char *b;
    uint32_t n;
    switch (type) {
    case 'N': case '.': case 'S':
        obj->type = PA_M_NONE;
        return PA_OK;
    case 'F': case 'T':
        obj->type = PA_M_BOOL;
        obj->u.i = type == 'T';
        return PA_OK;
    case 'i':
        if (!take_u32(r, &n))
            return corrupt(r, "truncated int");
        obj->type = PA_M_INT;
        obj->u.i = (int32_t)n;
        return PA_OK;
    case 'I': /* Python 2 TYPE_INT64 */
        if (!take(r, 8, &b))
            return corrupt(r, "truncated int64");
        obj->type = PA_M_INT;
        uint64_t u = 0;
        for (int i = 7; i >= 0; i--)
            u = u << 8 | b[i];
        obj->u.i = (int64_t)u;
        return PA_OK;
    case 'l':
        return read_long(r, obj);
    case 'g': {
        if (!take(r, 8, &b))
            return corrupt(r, "truncated float");
        uint64_t bits = 0;
        for (int i = 7; i >= 0; i--)
            bits = bits << 8 | b[i];
        obj->type = PA_M_FLOAT;
        memcpy(&obj->u.f, &bits, sizeof bits);
        return PA_OK;
    }
    case 'f':
        return read_text_float(r, obj);
    case 's': case 'u': case 'a': case 'A':
        return read_string(r, obj, false);
    case 't': {
        enum pa_status st = read_string(r, obj, false);
        /* Python 2 appends 't' strings to a list that 'R' indexes */
        if (st == PA_OK && !push(&r->strings, &r->nstrings, &r->strings_capacity, obj))
            return pa_fail(r->err, PA_E_NOMEM, "out of memory reading marshal data");
        return st;
    }
    case 'z': case 'Z':
        return read_string(r, obj, true);
    case ')':
        if (!take(r, 1, &b))
            return corrupt(r, "truncated tuple");
        obj->type = PA_M_TUPLE;
        return read_items(r, depth, obj, b[0]);
    case '(': case '[': case '<': case '>':
        if (!take_u32(r, &n) || (int32_t)n < 0)
            return corrupt(r, "bad container size");
        obj->type = PA_M_TUPLE;
        return read_items(r, depth, obj, n);
    case '{':
        obj->type = PA_M_DICT;
        return read_dict(r, depth, obj);
    case 'c':
        return corrupt(r, "code objects are not profile data");
    default:
        return corrupt(r, "unknown type code");
    }
}

static enum pa_status read_object(struct reader *r, int depth, struct pa_mobj **out)
{
    const unsigned char *code;
    *out = NULL;
    if (depth > MAX_DEPTH)
        return corrupt(r, "nested too deeply");
    if (!take(r, 1, &code))
        return corrupt(r, "truncated data");
    int type = code[0] & ~FLAG_REF;
    bool flagged = (code[0] & FLAG_REF) != 0;
    if (type == '0')
        return PA_OK; /* TYPE_NULL: the end of a dict */
    if (type == 'r')
        return read_ref(r, out);
    if (type == 'R') { /* Python 2 TYPE_STRINGREF */
        uint32_t index;
        if (!take_u32(r, &index))
            return corrupt(r, "truncated string reference");
        if (index >= r->nstrings)
            return corrupt(r, "reference to an unknown string");
        *out = r->strings[index];
        return PA_OK;
    }
    struct pa_mobj *obj = arena_alloc(r, sizeof *obj);
    if (obj == NULL)
        return pa_fail(r->err, PA_E_NOMEM, "out of memory reading marshal data");
    memset(obj, 0, sizeof *obj);
    /* the index is taken before the contents are read, as r_ref_reserve() does */
    if (flagged && !push(&r->refs, &r->nrefs, &r->refs_capacity, obj))
        return pa_fail(r->err, PA_E_NOMEM, "out of memory reading marshal data");
    enum pa_status st = read_body(r, depth, type, obj);
    if (st == PA_OK)
        *out = obj;
    return st;
}

enum pa_status pa_marshal_read(const unsigned char *data, size_t len, struct pa_marshal_doc *doc,
                               struct pa_error *err)
{
    struct reader r = {.data = data, .len = len, .err = err};
    doc->root = NULL;
    doc->arena = NULL;
    enum pa_status st = read_object(&r, 0, &doc->root);
    if (st == PA_OK && doc->root == NULL)
        st = corrupt(&r, "no object");
    free(r.refs);
    free(r.strings);
    doc->arena = r.arena;
    if (st != PA_OK)
        pa_marshal_doc_free(doc);
    return st;
}

void pa_marshal_doc_free(struct pa_marshal_doc *doc)
{
    struct pa_marshal_arena *a = doc->arena;
    while (a != NULL) {
        struct pa_marshal_arena *next = a->next;
        free(a);
        a = next;
    }
    doc->arena = NULL;
    doc->root = NULL;
}
