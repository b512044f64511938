/* The shape of one CPython version's structures, as data: byte offsets named after
 * the CPython struct and field they come from (like 3.13's _Py_DebugOffsets), plus a
 * few "model" enums where versions differ in kind rather than in offsets.
 * The walker only ever asks this table; no other file knows a CPython version. */
#ifndef PYATTACH_LAYOUT_H
#define PYATTACH_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "attach/error.h"

#define PY_NO_FIELD (-1) /* the field does not exist in this version */

/* How a thread's frames are chained. */
enum py_frame_model {
    PY_FRAMES_OBJECTS,      /* <= 3.10: PyFrameObject, linked by f_back */
    PY_FRAMES_INTERPRETER,  /* >= 3.11: _PyInterpreterFrame, linked by previous */
};

/* What the frame's instruction field holds, and how it becomes a byte offset into co_code. */
enum py_instr_model {
    PY_INSTR_LASTI_BYTES,       /* <= 3.9: int f_lasti, byte offset */
    PY_INSTR_LASTI_UNITS,       /* 3.10: int f_lasti, index in 2-byte code units */
    PY_INSTR_PREV_INSTR_PTR,    /* 3.11, 3.12: _Py_CODEUNIT *prev_instr, the last instruction started */
    PY_INSTR_INSTR_PTR,         /* >= 3.13: _Py_CODEUNIT *instr_ptr, the instruction executing / next */
};

/* Which line table the code object carries. */
enum py_linetable_model {
    PY_LINES_LNOTAB,    /* <= 3.9: co_lnotab, (byte incr, line incr) pairs */
    PY_LINES_LINETABLE, /* 3.10: co_linetable, (byte delta, line delta) PEP 626 */
    PY_LINES_LOCATIONS, /* >= 3.11: co_linetable, PEP 657 location table */
};

/* Where the thread holding the GIL can be seen. */
enum py_gil_model {
    PY_GIL_TSTATE_CURRENT_SYMBOL, /* 3.6: the exported _PyThreadState_Current */
    PY_GIL_RUNTIME_TSTATE_CURRENT,/* 3.7 - 3.11: _PyRuntime.gilstate.tstate_current */
    PY_GIL_INTERP_GIL_HOLDER,     /* >= 3.12: interp->ceval.gil -> {locked, last_holder} */
};

/* Where the list of interpreters starts. */
enum py_runtime_model {
    PY_RUNTIME_INTERP_HEAD_SYMBOL, /* 3.6: the static interp_head (in .symtab only) */
    PY_RUNTIME_PYRUNTIME,          /* >= 3.7: _PyRuntime.interpreters.head */
};

/* Where an instance of a Python class keeps its attributes (read for a Thread's _name). */
enum py_instance_dict_model {
    PY_INSTANCE_DICT_TP_DICTOFFSET, /* <= 3.10: the dict pointer is at obj + type->tp_dictoffset */
    PY_INSTANCE_DICT_MANAGED,       /* 3.11: Py_TPFLAGS_MANAGED_DICT: PyDictValues * at obj - 4 words
                                     * (keys: the type's ht_cached_keys), else the dict at obj - 3 words */
    PY_INSTANCE_DICT_OR_VALUES,     /* 3.12: one word at obj - 3 words: PyDictValues * - 1 (low bit
                                     * set), or the dict */
    PY_INSTANCE_INLINE_VALUES,      /* >= 3.13: the dict at obj - 3 words if materialised, else
                                     * (Py_TPFLAGS_INLINE_VALUES) PyDictValues at obj + tp_basicsize */
};

/* What a frame's f_executable (and its fast locals) hold. */
enum py_ref_model {
    PY_REFS_POINTERS, /* <= 3.13: PyObject * */
    PY_REFS_TAGGED,   /* >= 3.14: _PyStackRef, a PyObject * with tag bits in its low 2 bits
                       * (Py_TAG_BITS: 3 in GIL builds; NULL is Py_TAG_REFCNT alone) */
};
#define PY_STACKREF_TAG_BITS UINT64_C(3)

struct py_layout {
    uint32_t version_hex;  /* PY_VERSION_HEX this table was taken from, e.g. 0x030b07f0 */
    enum py_runtime_model runtime_model;
    enum py_frame_model frame_model;
    enum py_instr_model instr_model;
    enum py_linetable_model linetable_model;
    enum py_gil_model gil_model;
    enum py_instance_dict_model instance_dict_model;
    enum py_ref_model ref_model;

    struct {               /* _PyRuntimeState */
        int32_t size;                    /* bytes to read from its start to reach every field below */
        int32_t interpreters_head;       /* interpreters.head */
        int32_t gilstate_tstate_current; /* gilstate.tstate_current (3.7 - 3.11) */
        int32_t ceval_gil;               /* ceval.gil, the struct _gil_runtime_state itself (3.7 - 3.11):
                                          * only its address is used (wall mode's <wait GIL>) */
    } runtime_state;

    struct {               /* PyInterpreterState */
        int32_t size;
        int32_t next;
        int32_t threads_head;  /* tstate_head (<= 3.10), threads.head (>= 3.11) */
        int32_t ceval_gil;     /* ceval.gil, a struct _gil_runtime_state * (>= 3.12) */
        int32_t modules;       /* modules (<= 3.11), imports.modules (>= 3.12): sys.modules, a dict */
        int32_t code_object_generation; /* _code_object_generation (>= 3.14): advanced whenever a
                                         * code object is freed */
    } interpreter_state;

    struct {               /* PyThreadState */
        int32_t size;
        int32_t next;
        int32_t interp;
        int32_t current_frame;    /* frame (<= 3.10), current_frame (>= 3.13); PY_NO_FIELD when via cframe */
        int32_t cframe;           /* cframe, a _PyCFrame * (3.11, 3.12) */
        int32_t thread_id;        /* pthread_t */
        int32_t native_thread_id; /* the kernel TID (>= 3.8) */
        int32_t base_frame;       /* base_frame (>= 3.15): the sentinel frame every complete walk
                                   * ends at */
    } thread_state;

    struct {               /* _PyCFrame (3.11, 3.12) */
        int32_t current_frame;
    } cframe;

    struct {               /* struct _gil_runtime_state */
        int32_t locked;      /* >= 3.12 */
        int32_t last_holder; /* >= 3.12 */
        int32_t size;        /* >= 3.7: its cond, mutex, switch_cond and switch_mutex, the futexes a
                              * thread waiting for the GIL sleeps on, all lie inside it */
    } gil_runtime_state;

    struct {               /* PyFrameObject (<= 3.10) or _PyInterpreterFrame (>= 3.11) */
        int32_t size;
        int32_t previous;   /* f_back / previous */
        int32_t executable; /* f_code / f_executable */
        int32_t instr;      /* f_lasti / prev_instr / instr_ptr, read per instr_model */
        int32_t owner;      /* owner (>= 3.11); frames owned by the C stack are skipped */
        int32_t is_entry;   /* is_entry (3.11 only, one byte): the eval loop's C call began here */
        int32_t localsplus; /* f_localsplus / localsplus */
    } interpreter_frame;

    struct {               /* PyCodeObject */
        int32_t size;
        int32_t filename;
        int32_t name;
        int32_t qualname;     /* >= 3.11 */
        int32_t firstlineno;
        int32_t linetable;    /* co_lnotab (<= 3.9), co_linetable (>= 3.10): a bytes object */
        int32_t code_adaptive;/* co_code_adaptive (>= 3.11): bytecode inline in the code object */
        int32_t nlocals;      /* co_nlocals (<= 3.10), co_nlocalsplus (3.11, 3.12): an int */
        int32_t localsplusnames; /* co_localsplusnames (>= 3.11), a tuple: its size when nlocals is absent */
        /* The names of the fast locals (python_frames/frame_locals.c): <= 3.10 three
         * tuples, in f_localsplus order (co_nlocals locals, then cells, then free
         * variables); >= 3.11 co_localsplusnames with a kind byte each (a bytes object). */
        int32_t varnames;        /* co_varnames (<= 3.10) */
        int32_t cellvars;        /* co_cellvars (<= 3.10) */
        int32_t freevars;        /* co_freevars (<= 3.10) */
        int32_t localspluskinds; /* co_localspluskinds (>= 3.11) */
    } code_object;

    struct {               /* PyObject / PyVarObject */
        int32_t ob_type;
        int32_t ob_size;
    } object;

    struct {               /* PyASCIIObject / PyCompactUnicodeObject (PEP 393) */
        int32_t length;
        int32_t state;
        int32_t ascii_size;   /* sizeof(PyASCIIObject): compact ASCII data follows it */
        int32_t compact_size; /* sizeof(PyCompactUnicodeObject): other compact data follows it */
    } unicode_object;

    /* Read only to show local values (dump --locals): 3.13+ from _Py_DebugOffsets. */
    struct {               /* PyTupleObject (3.14 put ob_hash before ob_item) */
        int32_t ob_item;
    } tuple_object;

    struct {               /* PyFloatObject */
        int32_t ob_fval;
    } float_object;

    struct {               /* PySetObject */
        int32_t used;
    } set_object;

    struct {               /* PyBytesObject */
        int32_t ob_sval;
    } bytes_object;

    /* The rest is only read to name threads (thread_names.c, remote_dict.c). */
    struct {               /* PyTypeObject, and PyHeapTypeObject for ht_cached_keys */
        int32_t tp_name;        /* a const char * (dump --locals: type names) */
        int32_t tp_basicsize;
        int32_t tp_flags;
        int32_t tp_dictoffset;
        int32_t ht_cached_keys; /* the keys shared by managed-dict values (>= 3.11) */
    } type_object;

    struct {               /* PyModuleObject */
        int32_t md_dict;
    } module_object;

    struct {               /* PyDictObject */
        int32_t ma_keys;
        int32_t ma_values;  /* PyObject ** (<= 3.10), PyDictValues * (>= 3.11); NULL: not split */
    } dict_object;

    struct {               /* PyDictKeysObject (struct _dictkeysobject) */
        int32_t dk_size;             /* Py_ssize_t (<= 3.10) */
        int32_t dk_log2_size;        /* uint8_t (>= 3.11) */
        int32_t dk_log2_index_bytes; /* uint8_t (>= 3.11) */
        int32_t dk_kind;             /* uint8_t (>= 3.11): 0 general, 1 unicode, 2 split */
        int32_t dk_nentries;         /* Py_ssize_t: entries in use, deleted ones included */
        int32_t dk_indices;          /* the hash index; the entries follow it */
    } dict_keys_object;

    struct {               /* PyDictKeyEntry */
        int32_t size;
        int32_t me_hash;
        int32_t me_key;
        int32_t me_value;
    } dict_key_entry;

    struct {               /* PyDictUnicodeEntry (>= 3.11): str-keyed entries carry no hash */
        int32_t size;
        int32_t me_key;
        int32_t me_value;
    } dict_unicode_entry;

    struct {               /* PyDictValues (>= 3.11) */
        int32_t values;
    } dict_values;

    struct {               /* PyLongObject */
        int32_t lv_tag;    /* long_value.lv_tag (>= 3.12): digit count << 3 | sign; before, ob_size */
        int32_t ob_digit;  /* ob_digit (<= 3.11), long_value.ob_digit (>= 3.12) */
    } long_object;
};

/* Fields that have not moved from 3.6 to 3.15 (x86_64 GIL builds): read only to show a
 * local's value (python_frames/object_repr.c, frame_locals.c). No _Py_DebugOffsets
 * describes them. */
#define PY_DICT_MA_USED 16   /* PyDictObject.ma_used */
#define PY_CELL_OB_REF 16    /* PyCellObject.ob_ref */

/* The most the walker reads of one struct at a time; a layout whose fields lie
 * further in is refused by py_layout_check (remote data never widens a read). */
#define PY_THREAD_STATE_READ_MAX 1024
#define PY_FRAME_READ_MAX 1024
#define PY_CODE_READ_MAX 512

/* How many bytes of a thread state / code object the walker reads under this layout. */
size_t py_layout_thread_state_read_size(const struct py_layout *layout);
size_t py_layout_code_read_size(const struct py_layout *layout);

/* Checks that every field the walker uses lies inside what it reads (the frame head,
 * the thread state and code object read sizes above). The built-in tables pass by
 * construction; a layout taken from the target's memory must pass before use. */
enum pa_status py_layout_check(const struct py_layout *layout, struct pa_error *err);

/* Frames with an owner from this value up are no Python frames: the entry frame each C
 * call of the eval loop pushes (3.12, 3.13: FRAME_OWNED_BY_CSTACK = 3; 3.14, 3.15:
 * FRAME_OWNED_BY_INTERPRETER = 3, with CSTACK = 4 in 3.14) and 3.15's sentinel base
 * frame (INTERPRETER too). */
#define PY_FRAME_OWNED_BY_INTERPRETER 3

/* The built-in table for major.minor (3.6 ... 3.12), or NULL. 3.13+ takes its layout
 * from the target's own _Py_DebugOffsets instead (see debug_offsets.h). */
const struct py_layout *py_layout_for_version(int major, int minor);

#endif
