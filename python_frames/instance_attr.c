/* Instance attributes: from the object's type, find its dict or values, then look the
 * name up there (remote_dict.c). */
#include "python_frames/instance_attr.h"

#include <string.h>

#include "python_frames/remote_dict.h"

/* Type flags (Include/object.h). */
#define TPFLAGS_INLINE_VALUES (UINT64_C(1) << 2) /* >= 3.13 */
#define TPFLAGS_MANAGED_DICT (UINT64_C(1) << 4)  /* >= 3.11 */
#define TPFLAGS_HEAPTYPE (UINT64_C(1) << 9)

/* A managed dict (>= 3.11) sits in a pre-header before the object and its GC head:
 * the dict pointer (3.12: dict-or-values word) 3 words before the object, 3.11's
 * values pointer 4 words before (pycore_object.h: _PyObject_ManagedDictPointer,
 * _PyObject_ValuesPointer, _PyObject_DictOrValuesPointer, MANAGED_DICT_OFFSET). */
#define MANAGED_DICT_OFFSET 24
#define MANAGED_VALUES_OFFSET_3_11 32

struct type_info {
    uint64_t addr;
    uint64_t flags;
    int64_t basicsize;
    int64_t dictoffset;
};

static enum pa_status read_type(struct pa_reader *r, const struct py_layout *l, uint64_t obj,
                                struct type_info *type, struct pa_error *err)
{
    const int32_t at[] = {l->type_object.tp_flags, l->type_object.tp_basicsize, l->type_object.tp_dictoffset};
    uint64_t v[3];
    enum pa_status st = pa_read_u64(r, obj + (uint64_t)l->object.ob_type, &type->addr, err);
    for (int i = 0; i < 3 && st == PA_OK; i++)
        st = at[i] < 0 ? pa_fail(err, PA_E_UNSUPPORTED, "no type layout for this version")
                       : pa_read_u64(r, type->addr + (uint64_t)at[i], &v[i], err);
    if (st != PA_OK)
        return st;
    type->flags = v[0];
    memcpy(&type->basicsize, &v[1], sizeof type->basicsize);
    memcpy(&type->dictoffset, &v[2], sizeof type->dictoffset);
    return PA_OK;
}

/* Values without a dict (>= 3.11): the keys are the type's shared ht_cached_keys. */
static enum pa_status lookup_values(struct pa_reader *r, const struct py_layout *l, const struct type_info *type,
                                    uint64_t values, const char *name, uint64_t *value, struct pa_error *err)
{
    uint64_t keys = 0;
    if (!(type->flags & TPFLAGS_HEAPTYPE) || l->type_object.ht_cached_keys < 0)
        return pa_fail(err, PA_E_CORRUPT, "type at 0x%llx has dict-less values but is no heap type",
                       (unsigned long long)type->addr);
    enum pa_status st = pa_read_u64(r, type->addr + (uint64_t)l->type_object.ht_cached_keys, &keys, err);
    if (st == PA_OK && keys == 0)
        st = pa_fail(err, PA_E_CORRUPT, "type at 0x%llx has no cached keys", (unsigned long long)type->addr);
    return st == PA_OK ? py_keys_get_str(r, l, keys, py_dict_values_array(l, values), name, value, err) : st;
}

static enum pa_status lookup_dict_at(struct pa_reader *r, const struct py_layout *l, uint64_t where,
                                     const char *name, uint64_t *value, struct pa_error *err)
{
    uint64_t dict = 0;
    enum pa_status st = pa_read_u64(r, where, &dict, err);
    if (st != PA_OK || dict == 0) /* no dict yet: no attributes */
        return st;
    return py_dict_get_str(r, l, dict, name, value, err);
}

/* Managed dicts, per version (the type has Py_TPFLAGS_MANAGED_DICT). */
static enum pa_status lookup_managed(struct pa_reader *r, const struct py_layout *l, const struct type_info *type,
                                     uint64_t obj, const char *name, uint64_t *value, struct pa_error *err)
{
    uint64_t word = 0;
    enum pa_status st;
    switch (l->instance_dict_model) {
    case PY_INSTANCE_DICT_MANAGED:
        /* 3.11: values, while no dict has been made; then the dict. */
        if ((st = pa_read_u64(r, obj - MANAGED_VALUES_OFFSET_3_11, &word, err)) != PA_OK)
            return st;
        if (word != 0)
            return lookup_values(r, l, type, word, name, value, err);
        return lookup_dict_at(r, l, obj - MANAGED_DICT_OFFSET, name, value, err);
    case PY_INSTANCE_DICT_OR_VALUES:
        /* 3.12: one word (PyDictOrValues): the dict, or values - 1, odd as values is
         * pointer-aligned (_PyDictOrValues_SetValues / _GetValues). */
        if ((st = pa_read_u64(r, obj - MANAGED_DICT_OFFSET, &word, err)) != PA_OK)
            return st;
        if (word & 1)
            return lookup_values(r, l, type, word + 1, name, value, err);
        return word == 0 ? PA_OK : py_dict_get_str(r, l, word, name, value, err);
    case PY_INSTANCE_INLINE_VALUES:
        /* >= 3.13: a materialised dict wins (it may point at the inline values itself);
         * without one, the values are inline right after the object's fixed part. */
        if ((st = pa_read_u64(r, obj - MANAGED_DICT_OFFSET, &word, err)) != PA_OK)
            return st;
        if (word != 0)
            return py_dict_get_str(r, l, word, name, value, err);
        if (!(type->flags & TPFLAGS_INLINE_VALUES))
            return PA_OK;
        if (type->basicsize <= 0 || type->basicsize > 4096)
            return pa_fail(err, PA_E_CORRUPT, "type at 0x%llx has tp_basicsize %lld",
                           (unsigned long long)type->addr, (long long)type->basicsize);
        /* py_dict_values_array adds PyDictValues.values to this PyDictValues address */
        return lookup_values(r, l, type, obj + (uint64_t)type->basicsize, name, value, err);
    case PY_INSTANCE_DICT_TP_DICTOFFSET:
        break;
    }
    return pa_fail(err, PA_E_CORRUPT, "type at 0x%llx says Py_TPFLAGS_MANAGED_DICT before 3.11",
                   (unsigned long long)type->addr);
}

enum pa_status py_object_get_attr(struct pa_reader *r, const struct py_layout *l, uint64_t obj, const char *name,
                                  uint64_t *value, struct pa_error *err)
{
    struct type_info type;
    *value = 0;
    enum pa_status st = read_type(r, l, obj, &type, err);
    if (st != PA_OK)
        return st;
    /* Py_TPFLAGS_MANAGED_DICT is bit 4 from 3.11; before, that bit was unused
     * (3.6 - 3.10 reserve it), so it is only looked at where it means something. */
    if (l->instance_dict_model != PY_INSTANCE_DICT_TP_DICTOFFSET && (type.flags & TPFLAGS_MANAGED_DICT))
        return lookup_managed(r, l, &type, obj, name, value, err);
    /* Classic: the dict pointer at tp_dictoffset. A negative offset counts from the
     * end of a variable-sized object (int, tuple subclasses): not needed here. */
    if (type.dictoffset == 0)
        return PA_OK;
    if (type.dictoffset < 0 || type.dictoffset > 4096)
        return pa_fail(err, PA_E_UNSUPPORTED, "object at 0x%llx keeps its dict at tp_dictoffset %lld",
                       (unsigned long long)obj, (long long)type.dictoffset);
    return lookup_dict_at(r, l, obj + (uint64_t)type.dictoffset, name, value, err);
}
