/* Proves the layout tables (3.6 - 3.12) and the 3.13 debug-offsets reader against the
 * DWARF of the pyenv builds' libpython: every offset we use must equal the member's location. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "python_frames/debug_offsets.h"
#include "python_frames/layout.h"
#include "tests/support/layout_fields.h"

/* ---- the rules: which CPython member each layout field comes from, per version ---- */

enum kind {
    OFFSET,    /* offsetof(type, path) */
    SIZEOF,    /* sizeof(type) */
    READ_SIZE, /* bytes to read: last used field of the section + 8, and <= sizeof(type) */
};

struct rule {
    const char *field; /* struct py_layout field */
    int min_minor, max_minor;
    enum kind kind;
    const char *type; /* struct, or typedef of one, as named in DWARF */
    const char *path; /* member path, dots for nested members */
};

static const struct rule rules[] = {
    {"runtime_state.size", 7, 13, READ_SIZE, "_PyRuntimeState", NULL},
    {"runtime_state.interpreters_head", 7, 13, OFFSET, "_PyRuntimeState", "interpreters.head"},
    {"runtime_state.gilstate_tstate_current", 7, 11, OFFSET, "_PyRuntimeState", "gilstate.tstate_current"},
    {"runtime_state.ceval_gil", 7, 11, OFFSET, "_PyRuntimeState", "ceval.gil"},
    {"interpreter_state.size", 6, 13, READ_SIZE, "_is", NULL},
    {"interpreter_state.next", 6, 13, OFFSET, "_is", "next"},
    {"interpreter_state.threads_head", 6, 10, OFFSET, "_is", "tstate_head"},
    {"interpreter_state.threads_head", 11, 13, OFFSET, "_is", "threads.head"},
    {"interpreter_state.ceval_gil", 12, 13, OFFSET, "_is", "ceval.gil"},
    {"thread_state.size", 6, 13, SIZEOF, "_ts", NULL},
    {"thread_state.next", 6, 13, OFFSET, "_ts", "next"},
    {"thread_state.interp", 6, 13, OFFSET, "_ts", "interp"},
    {"thread_state.current_frame", 6, 10, OFFSET, "_ts", "frame"},
    {"thread_state.current_frame", 13, 13, OFFSET, "_ts", "current_frame"},
    {"thread_state.cframe", 11, 12, OFFSET, "_ts", "cframe"},
    {"thread_state.thread_id", 6, 13, OFFSET, "_ts", "thread_id"},
    {"thread_state.native_thread_id", 11, 13, OFFSET, "_ts", "native_thread_id"},
    {"cframe.current_frame", 11, 12, OFFSET, "_PyCFrame", "current_frame"},
    {"gil_runtime_state.locked", 12, 13, OFFSET, "_gil_runtime_state", "locked"},
    {"gil_runtime_state.last_holder", 12, 13, OFFSET, "_gil_runtime_state", "last_holder"},
    {"gil_runtime_state.size", 7, 13, SIZEOF, "_gil_runtime_state", NULL},
    {"interpreter_frame.size", 6, 10, OFFSET, "_frame", "f_localsplus"},
    {"interpreter_frame.size", 11, 13, OFFSET, "_PyInterpreterFrame", "localsplus"},
    {"interpreter_frame.previous", 6, 10, OFFSET, "_frame", "f_back"},
    {"interpreter_frame.previous", 11, 13, OFFSET, "_PyInterpreterFrame", "previous"},
    {"interpreter_frame.executable", 6, 10, OFFSET, "_frame", "f_code"},
    {"interpreter_frame.executable", 11, 12, OFFSET, "_PyInterpreterFrame", "f_code"},
    {"interpreter_frame.executable", 13, 13, OFFSET, "_PyInterpreterFrame", "f_executable"},
    {"interpreter_frame.instr", 6, 10, OFFSET, "_frame", "f_lasti"},
    {"interpreter_frame.instr", 11, 12, OFFSET, "_PyInterpreterFrame", "prev_instr"},
    {"interpreter_frame.instr", 13, 13, OFFSET, "_PyInterpreterFrame", "instr_ptr"},
    {"interpreter_frame.owner", 11, 13, OFFSET, "_PyInterpreterFrame", "owner"},
    {"interpreter_frame.is_entry", 11, 11, OFFSET, "_PyInterpreterFrame", "is_entry"},
    {"interpreter_frame.localsplus", 6, 10, OFFSET, "_frame", "f_localsplus"},
    {"interpreter_frame.localsplus", 11, 13, OFFSET, "_PyInterpreterFrame", "localsplus"},
    {"code_object.size", 6, 13, SIZEOF, "PyCodeObject", NULL},
    {"code_object.filename", 6, 13, OFFSET, "PyCodeObject", "co_filename"},
    {"code_object.name", 6, 13, OFFSET, "PyCodeObject", "co_name"},
    {"code_object.qualname", 11, 13, OFFSET, "PyCodeObject", "co_qualname"},
    {"code_object.firstlineno", 6, 13, OFFSET, "PyCodeObject", "co_firstlineno"},
    {"code_object.linetable", 6, 9, OFFSET, "PyCodeObject", "co_lnotab"},
    {"code_object.linetable", 10, 13, OFFSET, "PyCodeObject", "co_linetable"},
    {"code_object.code_adaptive", 11, 13, OFFSET, "PyCodeObject", "co_code_adaptive"},
    {"code_object.nlocals", 6, 10, OFFSET, "PyCodeObject", "co_nlocals"},
    {"code_object.nlocals", 11, 12, OFFSET, "PyCodeObject", "co_nlocalsplus"},
    {"code_object.localsplusnames", 11, 13, OFFSET, "PyCodeObject", "co_localsplusnames"},
    {"code_object.localspluskinds", 11, 13, OFFSET, "PyCodeObject", "co_localspluskinds"},
    {"code_object.varnames", 6, 10, OFFSET, "PyCodeObject", "co_varnames"},
    {"code_object.cellvars", 6, 10, OFFSET, "PyCodeObject", "co_cellvars"},
    {"code_object.freevars", 6, 10, OFFSET, "PyCodeObject", "co_freevars"},
    {"object.ob_type", 6, 13, OFFSET, "PyObject", "ob_type"},
    {"object.ob_size", 6, 13, OFFSET, "PyVarObject", "ob_size"},
    {"unicode_object.length", 6, 13, OFFSET, "PyASCIIObject", "length"},
    {"unicode_object.state", 6, 13, OFFSET, "PyASCIIObject", "state"},
    {"unicode_object.ascii_size", 6, 13, SIZEOF, "PyASCIIObject", NULL},
    {"unicode_object.compact_size", 6, 13, SIZEOF, "PyCompactUnicodeObject", NULL},
    {"bytes_object.ob_sval", 6, 13, OFFSET, "PyBytesObject", "ob_sval"},
    /* thread names: sys.modules -> threading._active -> Thread._name */
    {"interpreter_state.modules", 6, 11, OFFSET, "_is", "modules"},
    {"interpreter_state.modules", 12, 13, OFFSET, "_is", "imports.modules"},
    {"type_object.tp_basicsize", 6, 13, OFFSET, "_typeobject", "tp_basicsize"},
    {"type_object.tp_name", 6, 13, OFFSET, "_typeobject", "tp_name"},
    {"tuple_object.ob_item", 6, 13, OFFSET, "PyTupleObject", "ob_item"},
    {"float_object.ob_fval", 6, 13, OFFSET, "PyFloatObject", "ob_fval"},
    {"set_object.used", 6, 13, OFFSET, "PySetObject", "used"},
    {"type_object.tp_flags", 6, 13, OFFSET, "_typeobject", "tp_flags"},
    {"type_object.tp_dictoffset", 6, 13, OFFSET, "_typeobject", "tp_dictoffset"},
    {"type_object.ht_cached_keys", 11, 13, OFFSET, "_heaptypeobject", "ht_cached_keys"},
    {"module_object.md_dict", 6, 13, OFFSET, "PyModuleObject", "md_dict"},
    {"dict_object.ma_keys", 6, 13, OFFSET, "PyDictObject", "ma_keys"},
    {"dict_object.ma_values", 6, 13, OFFSET, "PyDictObject", "ma_values"},
    {"dict_keys_object.dk_size", 6, 10, OFFSET, "_dictkeysobject", "dk_size"},
    {"dict_keys_object.dk_log2_size", 11, 13, OFFSET, "_dictkeysobject", "dk_log2_size"},
    {"dict_keys_object.dk_log2_index_bytes", 11, 13, OFFSET, "_dictkeysobject", "dk_log2_index_bytes"},
    {"dict_keys_object.dk_kind", 11, 13, OFFSET, "_dictkeysobject", "dk_kind"},
    {"dict_keys_object.dk_nentries", 6, 13, OFFSET, "_dictkeysobject", "dk_nentries"},
    {"dict_keys_object.dk_indices", 6, 13, OFFSET, "_dictkeysobject", "dk_indices"},
    {"dict_key_entry.size", 6, 13, SIZEOF, "PyDictKeyEntry", NULL},
    {"dict_key_entry.me_hash", 6, 13, OFFSET, "PyDictKeyEntry", "me_hash"},
    {"dict_key_entry.me_key", 6, 13, OFFSET, "PyDictKeyEntry", "me_key"},
    {"dict_key_entry.me_value", 6, 13, OFFSET, "PyDictKeyEntry", "me_value"},
    {"dict_unicode_entry.size", 11, 13, SIZEOF, "PyDictUnicodeEntry", NULL},
    {"dict_unicode_entry.me_key", 11, 13, OFFSET, "PyDictUnicodeEntry", "me_key"},
    {"dict_unicode_entry.me_value", 11, 13, OFFSET, "PyDictUnicodeEntry", "me_value"},
    {"dict_values.values", 11, 13, OFFSET, "_dictvalues", "values"},
    {"long_object.lv_tag", 12, 13, OFFSET, "_longobject", "long_value.lv_tag"},
    {"long_object.ob_digit", 6, 11, OFFSET, "_longobject", "ob_digit"},
    {"long_object.ob_digit", 12, 13, OFFSET, "_longobject", "long_value.ob_digit"},
};

/* Members that must really be absent where the table says PY_NO_FIELD for that reason
 * (not merely unused): PyThreadState has no native_thread_id before 3.11. */
static const struct rule absent[] = {
    {"thread_state.native_thread_id", 6, 10, OFFSET, "_ts", "native_thread_id"},
    {"thread_state.current_frame", 11, 12, OFFSET, "_ts", "current_frame"},
    {"code_object.qualname", 6, 10, OFFSET, "PyCodeObject", "co_qualname"},
    {"dict_keys_object.dk_size", 11, 13, OFFSET, "_dictkeysobject", "dk_size"},
    {"dict_keys_object.dk_log2_size", 6, 10, OFFSET, "_dictkeysobject", "dk_log2_size"},
    {"long_object.lv_tag", 6, 11, OFFSET, "_longobject", "long_value"},
    {"interpreter_frame.is_entry", 12, 13, OFFSET, "_PyInterpreterFrame", "is_entry"},
};

#define N_FIELDS layout_field_count
#define layout_get layout_field_get

/* ---- DWARF access ---- */

#define MAX_TYPES 32

struct dwarf_file {
    const char *path;
    int fd;
    Elf *elf;
    Dwarf *dwarf;
    struct {
        const char *name;
        Dwarf_Die die; /* the struct itself, typedefs resolved */
        int found;
        Dwarf_Word size;
        int conflict;
    } types[MAX_TYPES];
    int n_types;
};

/* Follows typedefs and qualifiers down to the underlying type. */
static int strip_type(Dwarf_Die *die, Dwarf_Die *out)
{
    *out = *die;
    for (int depth = 0; depth < 16; depth++) {
        int tag = dwarf_tag(out);
        if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
            tag != DW_TAG_atomic_type)
            return 0;
        Dwarf_Attribute a;
        if (dwarf_attr(out, DW_AT_type, &a) == NULL || dwarf_formref_die(&a, out) == NULL)
            return -1;
    }
    return -1;
}

static int is_complete_aggregate(Dwarf_Die *die)
{
    int tag = dwarf_tag(die);
    return (tag == DW_TAG_structure_type || tag == DW_TAG_union_type) && !dwarf_hasattr(die, DW_AT_declaration) &&
           dwarf_haschildren(die);
}

/* One pass over every CU's top-level DIEs, recording the wanted names' definitions. */
static void index_types(struct dwarf_file *f)
{
    Dwarf_Off off = 0, next;
    size_t hsize;
    while (dwarf_nextcu(f->dwarf, off, &next, &hsize, NULL, NULL, NULL) == 0) {
        Dwarf_Die cu, die;
        if (dwarf_offdie(f->dwarf, off + hsize, &cu) != NULL && dwarf_child(&cu, &die) == 0) {
            do {
                int tag = dwarf_tag(&die);
                if (tag != DW_TAG_structure_type && tag != DW_TAG_typedef)
                    continue;
                const char *name = dwarf_diename(&die);
                if (name == NULL)
                    continue;
                for (int i = 0; i < f->n_types; i++) {
                    Dwarf_Die st;
                    if (strcmp(name, f->types[i].name) != 0 || strip_type(&die, &st) != 0 ||
                        !is_complete_aggregate(&st))
                        continue;
                    Dwarf_Word size = (Dwarf_Word)dwarf_bytesize(&st);
                    if (!f->types[i].found) {
                        f->types[i].die = st;
                        f->types[i].size = size;
                        f->types[i].found = 1;
                    } else if (size != f->types[i].size) {
                        f->types[i].conflict = 1;
                    }
                }
            } while (dwarf_siblingof(&die, &die) == 0);
        }
        off = next;
    }
}

static int dwarf_open(struct dwarf_file *f, const char *path)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    f->fd = open(path, O_RDONLY);
    if (f->fd < 0)
        return -1;
    elf_version(EV_CURRENT);
    f->elf = elf_begin(f->fd, ELF_C_READ, NULL);
    if (f->elf == NULL)
        return -1;
    f->dwarf = dwarf_begin_elf(f->elf, DWARF_C_READ, NULL);
    if (f->dwarf == NULL)
        return -1;
    static const char *const names[] = {"_PyRuntimeState", "_is", "_ts", "_PyCFrame", "_gil_runtime_state",
                                        "_frame", "_PyInterpreterFrame", "PyCodeObject", "PyObject",
                                        "PyVarObject", "PyASCIIObject", "PyCompactUnicodeObject", "PyBytesObject",
                                        "_typeobject", "_heaptypeobject", "PyModuleObject", "PyDictObject",
                                        "_dictkeysobject", "PyDictKeyEntry", "PyDictUnicodeEntry", "_dictvalues",
                                        "_longobject", "PyTupleObject", "PyFloatObject", "PySetObject"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        f->types[f->n_types++].name = names[i];
    index_types(f);
    return 0;
}

static void dwarf_close(struct dwarf_file *f)
{
    if (f->dwarf != NULL)
        dwarf_end(f->dwarf);
    if (f->elf != NULL)
        elf_end(f->elf);
    if (f->fd >= 0)
        close(f->fd);
}

/* The type by name; NULL (and *why set) if missing or defined inconsistently. */
static Dwarf_Die *find_type(struct dwarf_file *f, const char *name, const char **why)
{
    for (int i = 0; i < f->n_types; i++) {
        if (strcmp(f->types[i].name, name) != 0)
            continue;
        if (!f->types[i].found) {
            *why = "no complete definition in DWARF";
            return NULL;
        }
        if (f->types[i].conflict) {
            *why = "defined with different sizes in different CUs";
            return NULL;
        }
        return &f->types[i].die;
    }
    *why = "not indexed by the test (add it to dwarf_open)";
    return NULL;
}

static int member_location(Dwarf_Die *member, Dwarf_Word *out)
{
    Dwarf_Attribute a;
    if (dwarf_attr(member, DW_AT_data_member_location, &a) == NULL) {
        *out = 0; /* union members */
        return 0;
    }
    if (dwarf_formudata(&a, out) == 0)
        return 0;
    Dwarf_Op *ops;
    size_t n;
    if (dwarf_getlocation(&a, &ops, &n) == 0 && n == 1 && ops[0].atom == DW_OP_plus_uconst) {
        *out = ops[0].number;
        return 0;
    }
    return -1;
}

/* Finds member `name` of aggregate `agg`, looking through anonymous struct/union members. */
static int find_member(Dwarf_Die *agg, const char *name, Dwarf_Word *off, Dwarf_Die *type)
{
    Dwarf_Die m;
    if (dwarf_child(agg, &m) != 0)
        return -1;
    do {
        if (dwarf_tag(&m) != DW_TAG_member)
            continue;
        Dwarf_Word loc;
        Dwarf_Attribute a;
        Dwarf_Die mtype, inner;
        if (member_location(&m, &loc) != 0 || dwarf_attr(&m, DW_AT_type, &a) == NULL ||
            dwarf_formref_die(&a, &mtype) == NULL)
            continue;
        const char *mname = dwarf_diename(&m);
        if (mname != NULL && strcmp(mname, name) == 0) {
            *off = loc;
            *type = mtype;
            return 0;
        }
        Dwarf_Word sub;
        if (mname == NULL && strip_type(&mtype, &inner) == 0 && is_complete_aggregate(&inner) &&
            find_member(&inner, name, &sub, type) == 0) {
            *off = loc + sub;
            return 0;
        }
    } while (dwarf_siblingof(&m, &m) == 0);
    return -1;
}

/* offsetof(type, path) for a dotted path; -1 if some component is missing. */
static int64_t path_offset(Dwarf_Die *agg, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    Dwarf_Die cur = *agg;
    int64_t total = 0;
    char *save = NULL;
    for (char *part = strtok_r(buf, ".", &save); part != NULL; part = strtok_r(NULL, ".", &save)) {
        Dwarf_Word off;
        Dwarf_Die mtype;
        if (!is_complete_aggregate(&cur) || find_member(&cur, part, &off, &mtype) != 0)
            return -1;
        total += (int64_t)off;
        if (strip_type(&mtype, &cur) != 0)
            return -1;
    }
    return total;
}

/* ---- ELF symbols ---- */

/* Copies up to cap bytes of the initialised data of symbol `name`; returns the count, -1 if absent. */
static long read_symbol(Elf *elf, const char *name, uint8_t *out, size_t cap)
{
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(elf, scn)) != NULL) {
        GElf_Shdr sh;
        if (gelf_getshdr(scn, &sh) == NULL || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
            continue;
        Elf_Data *syms = elf_getdata(scn, NULL);
        size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
        for (size_t i = 0; syms != NULL && i < n; i++) {
            GElf_Sym sym;
            const char *sname;
            if (gelf_getsym(syms, (int)i, &sym) == NULL || (sname = elf_strptr(elf, sh.sh_link, sym.st_name)) == NULL ||
                strcmp(sname, name) != 0 || sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE)
                continue;
            GElf_Shdr dsh;
            Elf_Scn *dscn = elf_getscn(elf, sym.st_shndx);
            Elf_Data *d;
            if (dscn == NULL || gelf_getshdr(dscn, &dsh) == NULL || dsh.sh_type == SHT_NOBITS ||
                (d = elf_rawdata(dscn, NULL)) == NULL || sym.st_value < dsh.sh_addr)
                return -1;
            size_t at = sym.st_value - dsh.sh_addr;
            size_t len = sym.st_size < cap ? sym.st_size : cap;
            if (at > d->d_size || len > d->d_size - at)
                return -1;
            memcpy(out, (const uint8_t *)d->d_buf + at, len);
            return (long)len;
        }
    }
    return -1;
}

/* ---- checks ---- */

struct ctx {
    struct dwarf_file *f;
    const char *label; /* e.g. "CPython 3.12 (/root/.pyenv/.../libpython3.12.so.1.0)" */
    int minor;
    const struct py_layout *layout;
    struct py_layout from_debug_offsets; /* 3.13: the layout under test lives here */
    int failures;
    int checked;
};

static void fail_one(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail_one(struct ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    print_error("FAIL %s: %s\n", c->label, msg);
    c->failures++;
}

#define field_index layout_field_index

/* Last used offset of a section + 8: the bytes the walker must read of it. */
static int32_t expected_read_size(const struct py_layout *l, const char *field)
{
    size_t prefix = (size_t)(strchr(field, '.') - field) + 1;
    int32_t last = -1;
    for (size_t i = 0; i < N_FIELDS; i++) {
        const char *n = layout_fields[i].name;
        if (strncmp(n, field, prefix) == 0 && strcmp(n + prefix, "size") != 0 && layout_get(l, i) > last)
            last = layout_get(l, i);
    }
    return last < 0 ? PY_NO_FIELD : last + 8;
}

static void check_rule(struct ctx *c, const struct rule *r, int32_t value)
{
    const char *why = NULL;
    Dwarf_Die *type = find_type(c->f, r->type, &why);
    c->checked++;
    if (type == NULL) {
        fail_one(c, "%s: type %s: %s", r->field, r->type, why);
        return;
    }
    int64_t size = dwarf_bytesize(type);
    if (r->kind == SIZEOF) {
        if (value != size)
            fail_one(c, "%s = %d but DWARF sizeof(%s) = %lld", r->field, value, r->type, (long long)size);
    } else if (r->kind == READ_SIZE) {
        int32_t want = expected_read_size(c->layout, r->field);
        if (value != want || value > size)
            fail_one(c, "%s = %d, want last used offset + 8 = %d, at most sizeof(%s) = %lld", r->field, value, want,
                     r->type, (long long)size);
    } else {
        int64_t off = path_offset(type, r->path);
        if (off < 0)
            fail_one(c, "%s = %d but DWARF %s has no member %s", r->field, value, r->type, r->path);
        else if (off != value)
            fail_one(c, "%s = %d but DWARF offsetof(%s, %s) = %lld", r->field, value, r->type, r->path,
                     (long long)off);
    }
}

/* Every layout field must match its rule for this version, or be PY_NO_FIELD if none applies. */
static void check_layout(struct ctx *c)
{
    for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++)
        if (field_index(rules[r].field) < 0)
            fail_one(c, "test bug: rule names unknown layout field %s", rules[r].field);
    for (size_t i = 0; i < N_FIELDS; i++) {
        const struct rule *match = NULL;
        for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++)
            if (strcmp(rules[r].field, layout_fields[i].name) == 0 && c->minor >= rules[r].min_minor &&
                c->minor <= rules[r].max_minor)
                match = &rules[r];
        int32_t value = layout_get(c->layout, i);
        if (match != NULL && value == PY_NO_FIELD)
            fail_one(c, "%s is PY_NO_FIELD but %s.%s should provide it", layout_fields[i].name, match->type,
                     match->path ? match->path : "(size)");
        else if (match != NULL)
            check_rule(c, match, value);
        else if (value != PY_NO_FIELD)
            fail_one(c, "%s = %d but this version has no such field (want PY_NO_FIELD)", layout_fields[i].name, value);
    }
    for (size_t r = 0; r < sizeof absent / sizeof absent[0]; r++) {
        const struct rule *a = &absent[r];
        const char *why;
        Dwarf_Die *type;
        if (c->minor < a->min_minor || c->minor > a->max_minor || (type = find_type(c->f, a->type, &why)) == NULL)
            continue;
        c->checked++;
        if (path_offset(type, a->path) >= 0)
            fail_one(c, "DWARF %s has a member %s, yet %s is PY_NO_FIELD", a->type, a->path, a->field);
    }
}

/* Py_Version (3.11+) as stored in the library, 0 if absent. */
static uint32_t library_version(struct dwarf_file *f)
{
    uint8_t b[8] = {0};
    long n = read_symbol(f->elf, "Py_Version", b, sizeof b);
    if (n < 4)
        return 0;
    uint32_t v;
    memcpy(&v, b, sizeof v); /* little-endian x86_64: the low 32 bits come first */
    return v;
}

static const char *pyenv_root(void)
{
    const char *r = getenv("PYENV_ROOT");
    return r != NULL && r[0] != '\0' ? r : "/root/.pyenv";
}

/* The pyenv builds' libpython3.<minor>{,m}.so.1.0 (GIL builds only). */
static void find_libraries(int minor, glob_t *g)
{
    char pat[512];
    memset(g, 0, sizeof *g);
    snprintf(pat, sizeof pat, "%s/versions/3.%d.*/lib/libpython3.%d.so.1.0", pyenv_root(), minor, minor);
    glob(pat, 0, NULL, g);
    snprintf(pat, sizeof pat, "%s/versions/3.%d.*/lib/libpython3.%dm.so.1.0", pyenv_root(), minor, minor);
    glob(pat, g->gl_pathc ? GLOB_APPEND : 0, NULL, g);
}

/* Runs fn on every pyenv build of 3.<minor>; a missing build is a failure. */
static void for_each_build(int minor, void (*fn)(struct ctx *))
{
    glob_t g;
    find_libraries(minor, &g);
    if (g.gl_pathc == 0) {
        globfree(&g);
        fail_msg("MISSING INTERPRETER: no pyenv build of CPython 3.%d under %s/versions/3.%d.*/lib "
                 "(libpython3.%d[m].so.1.0); the layout table for 3.%d cannot be proven",
                 minor, pyenv_root(), minor, minor, minor);
    }
    int failures = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct dwarf_file f;
        char label[600];
        snprintf(label, sizeof label, "CPython 3.%d (%s)", minor, g.gl_pathv[i]);
        if (dwarf_open(&f, g.gl_pathv[i]) != 0) {
            print_error("FAIL %s: cannot open ELF/DWARF: %s / %s\n", label, elf_errmsg(-1), dwarf_errmsg(-1));
            dwarf_close(&f);
            failures++;
            continue;
        }
        struct ctx c = {.f = &f, .label = label, .minor = minor};
        fn(&c);
        print_message("%s: %d checks, %d failures\n", label, c.checked, c.failures);
        failures += c.failures;
        dwarf_close(&f);
    }
    globfree(&g);
    if (failures != 0)
        fail_msg("CPython 3.%d: %d layout mismatch(es), listed above", minor, failures);
}

static void check_table(struct ctx *c)
{
    c->layout = py_layout_for_version(3, c->minor);
    if (c->layout == NULL) {
        fail_one(c, "py_layout_for_version(3, %d) returned NULL", c->minor);
        return;
    }
    check_layout(c);
    uint32_t hex = c->layout->version_hex, lib = library_version(c->f);
    if ((hex >> 16) != (0x0300u | (unsigned)c->minor))
        fail_one(c, "version_hex 0x%08x is not a 3.%d version", hex, c->minor);
    if (lib != 0 && (lib >> 16) != (hex >> 16))
        fail_one(c, "library Py_Version 0x%08x is another minor version than version_hex 0x%08x", lib, hex);
    if (lib != 0 && lib != hex)
        print_message("note %s: table taken from 0x%08x, this build is 0x%08x\n", c->label, hex, lib);
}

/* 3.13: the layout comes from the _Py_DebugOffsets stored at the start of _PyRuntime. */
static void check_debug_offsets(struct ctx *c)
{
    uint8_t buf[PY_DEBUG_OFFSETS_READ_SIZE];
    long n = read_symbol(c->f->elf, "_PyRuntime", buf, sizeof buf);
    if (n < 0) {
        fail_one(c, "no initialised _PyRuntime symbol in .symtab/.dynsym");
        return;
    }
    uint32_t hex = 0;
    if (!py_debug_offsets_present(buf, (size_t)n, &hex)) {
        fail_one(c, "_PyRuntime does not start with the \"%s\" cookie", PY_DEBUG_OFFSETS_COOKIE);
        return;
    }
    uint32_t lib = library_version(c->f);
    if (hex != lib)
        fail_one(c, "_Py_DebugOffsets.version 0x%08x != Py_Version 0x%08x", hex, lib);
    struct pa_error err = {0};
    if (py_layout_from_debug_offsets(buf, (size_t)n, &c->from_debug_offsets, &err) != PA_OK) {
        fail_one(c, "py_layout_from_debug_offsets: %s", err.message);
        return;
    }
    c->layout = &c->from_debug_offsets;
    if (c->layout->version_hex != hex)
        fail_one(c, "layout.version_hex 0x%08x != 0x%08x", c->layout->version_hex, hex);
    check_layout(c);
}

static void test_table(void **state)
{
    for_each_build(*(int *)*state, check_table);
}

static void test_3_13_debug_offsets(void **state)
{
    (void)state;
    for_each_build(13, check_debug_offsets);
}

static int minors[] = {6, 7, 8, 9, 10, 11, 12};

int main(void)
{
    const struct CMUnitTest tests[] = {
        {"layout_3_6_vs_dwarf", test_table, NULL, NULL, &minors[0]},
        {"layout_3_7_vs_dwarf", test_table, NULL, NULL, &minors[1]},
        {"layout_3_8_vs_dwarf", test_table, NULL, NULL, &minors[2]},
        {"layout_3_9_vs_dwarf", test_table, NULL, NULL, &minors[3]},
        {"layout_3_10_vs_dwarf", test_table, NULL, NULL, &minors[4]},
        {"layout_3_11_vs_dwarf", test_table, NULL, NULL, &minors[5]},
        {"layout_3_12_vs_dwarf", test_table, NULL, NULL, &minors[6]},
        cmocka_unit_test(test_3_13_debug_offsets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
