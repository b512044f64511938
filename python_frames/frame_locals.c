/* Local variables of a frame: the names come from the code object, the values from
 * the frame's fast-locals array (f_localsplus <= 3.10, localsplus >= 3.11), both laid
 * out as layout.h says for the version.
 *
 * <= 3.10: the array holds co_nlocals locals (named by co_varnames), then one cell per
 * co_cellvars, then one per co_freevars. An argument that is also a cell variable has
 * its local slot cleared when the frame starts (ceval.c, co_cell2arg): it is seen once,
 * through its cell.
 * >= 3.11: one slot per co_localsplusnames entry, with a kind byte in
 * co_localspluskinds (CO_FAST_LOCAL 0x20, CO_FAST_CELL 0x40, CO_FAST_FREE 0x80; 3.12+
 * CO_FAST_HIDDEN 0x10 for the variables of an inlined comprehension, which locals()
 * does not show either). A cell slot holds the bare value until MAKE_CELL, the frame's
 * first instruction, has run: it is followed only if it holds a cell.
 * 3.14+: slots are _PyStackRefs, their low two bits tags. */
#include "python_frames/frame_locals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "python_frames/pystring.h"

#define CO_FAST_HIDDEN 0x10
#define CO_FAST_CELL 0x40
#define CO_FAST_FREE 0x80
#define TPFLAGS_HEAPTYPE (UINT64_C(1) << 9)
#define TUPLE_MAX (1 << 20) /* a names tuple claiming more is refused */

struct local_names {
    size_t count;
    bool cut;
    uint64_t names[PY_LOCALS_MAX];
    uint8_t kinds[PY_LOCALS_MAX]; /* CO_FAST_* as 3.11+ would give them */
};

/* Up to room items of the tuple at addr appended to names->names. */
static enum pa_status read_tuple(struct pa_reader *r, const struct py_layout *l, uint64_t addr, uint8_t kind,
                                 struct local_names *names, struct pa_error *err)
{
    if (addr == 0)
        return PA_OK;
    int64_t size;
    enum pa_status st = pa_read(r, addr + (uint64_t)l->object.ob_size, &size, sizeof size, err);
    if (st != PA_OK)
        return st;
    if (size < 0 || size > TUPLE_MAX)
        return pa_fail(err, PA_E_CORRUPT, "names tuple at 0x%llx has size %lld", (unsigned long long)addr,
                       (long long)size);
    size_t room = PY_LOCALS_MAX - names->count, n = (size_t)size;
    if (n > room) {
        n = room;
        names->cut = true;
    }
    if (n > 0 && l->tuple_object.ob_item < 0)
        return pa_fail(err, PA_E_UNSUPPORTED, "no tuple layout for this version");
    if (n > 0 && (st = pa_read(r, addr + (uint64_t)l->tuple_object.ob_item, names->names + names->count, 8 * n, err)) != PA_OK)
        return st;
    memset(names->kinds + names->count, kind, n);
    names->count += n;
    return PA_OK;
}

static enum pa_status read_names(const struct py_walker *w, uint64_t code, struct local_names *names,
                                 struct pa_error *err)
{
    const struct py_layout *l = &w->runtime->layout;
    names->count = 0;
    names->cut = false;
    enum pa_status st;
    if (l->code_object.localspluskinds >= 0 && l->code_object.localsplusnames >= 0) {
        uint64_t tuple, kinds;
        if ((st = pa_read_u64(w->reader, code + (uint64_t)l->code_object.localsplusnames, &tuple, err)) != PA_OK ||
            (st = pa_read_u64(w->reader, code + (uint64_t)l->code_object.localspluskinds, &kinds, err)) != PA_OK ||
            (st = read_tuple(w->reader, l, tuple, 0, names, err)) != PA_OK)
            return st;
        int64_t nkinds;
        if ((st = pa_read(w->reader, kinds + (uint64_t)l->object.ob_size, &nkinds, sizeof nkinds, err)) != PA_OK)
            return st;
        if (nkinds < (int64_t)names->count)
            return pa_fail(err, PA_E_CORRUPT, "code at 0x%llx: %lld local kinds for %zu names",
                           (unsigned long long)code, (long long)nkinds, names->count);
        return names->count ? pa_read(w->reader, kinds + (uint64_t)l->bytes_object.ob_sval, names->kinds,
                                      names->count, err)
                            : PA_OK;
    }
    if (l->code_object.varnames < 0 || l->code_object.cellvars < 0 || l->code_object.freevars < 0)
        return pa_fail(err, PA_E_UNSUPPORTED, "no layout for local variable names in this version");
    const int32_t at[3] = {l->code_object.varnames, l->code_object.cellvars, l->code_object.freevars};
    const uint8_t kind[3] = {0, CO_FAST_CELL, CO_FAST_FREE};
    for (int i = 0; i < 3; i++) {
        uint64_t tuple;
        if ((st = pa_read_u64(w->reader, code + (uint64_t)at[i], &tuple, err)) != PA_OK ||
            (st = read_tuple(w->reader, l, tuple, kind[i], names, err)) != PA_OK)
            return st;
    }
    return PA_OK;
}

static uint64_t untag(const struct py_layout *l, uint64_t bits)
{
    return l->ref_model == PY_REFS_TAGGED ? bits & ~PY_STACKREF_TAG_BITS : bits;
}

/* Whether the object at addr is a cell: its type is the static type named "cell". */
static bool is_cell(const struct py_walker *w, uint64_t addr, uint64_t *cell_type)
{
    const struct py_layout *l = &w->runtime->layout;
    uint64_t type, flags, name_ptr;
    char name[8] = {0};
    if (pa_read_u64(w->reader, addr + (uint64_t)l->object.ob_type, &type, NULL) != PA_OK)
        return false;
    if (*cell_type != 0)
        return type == *cell_type;
    if (l->type_object.tp_flags < 0 || l->type_object.tp_name < 0 ||
        pa_read_u64(w->reader, type + (uint64_t)l->type_object.tp_flags, &flags, NULL) != PA_OK ||
        (flags & TPFLAGS_HEAPTYPE) || pa_read_u64(w->reader, type + (uint64_t)l->type_object.tp_name, &name_ptr, NULL) != PA_OK ||
        pa_read(w->reader, name_ptr, name, 5, NULL) != PA_OK || memcmp(name, "cell", 5) != 0)
        return false;
    *cell_type = type;
    return true;
}

enum pa_status py_frame_locals(const struct py_walker *w, uint64_t frame_addr, uint64_t code_addr,
                               struct py_locals *out, struct pa_error *err)
{
    const struct py_layout *l = &w->runtime->layout;
    struct local_names *names = malloc(sizeof *names);
    uint64_t *slots = malloc(8 * PY_LOCALS_MAX);
    enum pa_status st = names && slots ? read_names(w, code_addr, names, err)
                                       : pa_fail(err, PA_E_NOMEM, "out of memory");
    out->count = 0;
    out->cut = st == PA_OK && names->cut;
    if (st == PA_OK && names->count > 0)
        st = pa_read(w->reader, frame_addr + (uint64_t)l->interpreter_frame.localsplus, slots, 8 * names->count,
                     err);
    uint64_t cell_type = 0;
    for (size_t i = 0; st == PA_OK && i < names->count; i++) {
        if (names->kinds[i] & CO_FAST_HIDDEN)
            continue;
        struct py_local *local = &out->items[out->count++];
        char *text = NULL;
        if (py_read_string(w->reader, l, names->names[i], &text, NULL) == PA_OK) {
            snprintf(local->name, sizeof local->name, "%s", text);
            free(text);
        } else {
            snprintf(local->name, sizeof local->name, "?");
        }
        local->kind = names->kinds[i] & CO_FAST_FREE ? PY_LOCAL_FREE
                      : names->kinds[i] & CO_FAST_CELL ? PY_LOCAL_CELL : PY_LOCAL_PLAIN;
        local->slot = untag(l, slots[i]);
        local->value = local->slot;
        local->readable = true;
        if (local->kind != PY_LOCAL_PLAIN && local->slot != 0 && is_cell(w, local->slot, &cell_type)) {
            uint64_t content = 0;
            local->readable = pa_read_u64(w->reader, local->slot + PY_CELL_OB_REF, &content, NULL) == PA_OK;
            local->value = content;
        }
    }
    free(names);
    free(slots);
    return st;
}

enum pa_status py_code_local_index(const struct py_walker *w, uint64_t code_addr, const char *name, int *index,
                                   struct pa_error *err)
{
    struct local_names *names = malloc(sizeof *names);
    enum pa_status st = names ? read_names(w, code_addr, names, err) : pa_fail(err, PA_E_NOMEM, "out of memory");
    *index = -1;
    for (size_t i = 0; st == PA_OK && i < names->count && *index < 0; i++) {
        char *text = NULL;
        if (py_read_string(w->reader, &w->runtime->layout, names->names[i], &text, NULL) == PA_OK &&
            strcmp(text, name) == 0 && !(names->kinds[i] & CO_FAST_HIDDEN))
            *index = (int)i;
        free(text);
    }
    free(names);
    return st;
}

enum pa_status py_frame_local_slot(const struct py_walker *w, uint64_t frame_addr, int index, uint64_t *value,
                                   struct pa_error *err)
{
    const struct py_layout *l = &w->runtime->layout;
    *value = 0;
    if (index < 0 || index >= PY_LOCALS_MAX)
        return pa_fail(err, PA_E_INTERNAL, "local index %d out of range", index);
    uint64_t bits;
    enum pa_status st = pa_read_u64(
        w->reader, frame_addr + (uint64_t)l->interpreter_frame.localsplus + 8 * (uint64_t)index, &bits, err);
    if (st == PA_OK)
        *value = untag(l, bits);
    return st;
}
