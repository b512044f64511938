/* The built-in struct layouts of CPython 3.6 ... 3.12 on x86_64, one table per minor
 * version, every offset taken from the pyenv builds' DWARF (tests/unit/test_layout_dwarf.c re-checks them). */
#include "python_frames/layout.h"

#include <stddef.h>

/* Conventions shared by every table:
 * - runtime_state.size and interpreter_state.size are "bytes to read from the start to
 *   cover every field we use" (last used offset + 8), not sizeof: _PyRuntimeState is
 *   166 KiB in 3.11 and PyInterpreterState 383 KiB in 3.12, and we never need their tails.
 * - Every other struct's size is its sizeof, except interpreter_frame.size, which is the
 *   offset of f_localsplus / localsplus: the fixed head of a frame (the slots after it
 *   are per-code, and a 3.11+ frame may end right there at the top of a data-stack chunk).
 * - code_object.size is sizeof(PyCodeObject); from 3.11 the object is variable-sized
 *   (bytecode inline at co_code_adaptive), sizeof is its fixed part.
 * - interpreter_frame.owner is a one-byte char field.
 * - The type/module/dict/long sections only serve thread names. ht_cached_keys exists
 *   in every version but is left out before 3.11: there a split instance dict is a real
 *   dict whose ma_keys points at the shared keys. The dict entry structs are the same
 *   in every version; 3.6 - 3.10 keys have dk_size, 3.11+ dk_log2_size/_index_bytes/kind.
 *   Debian's 3.11.2 headers give the same numbers as 3.11.7 for all of these (modules
 *   888, ht_cached_keys 872, tp_dictoffset 288; offsetof compiled against
 *   /usr/include/python3.11 with Py_BUILD_CORE). */

/* 3.6.15. No _PyRuntime: the interpreter list starts at the static interp_head (only
 * in .symtab), and the running thread is the exported _PyThreadState_Current.
 * thread_id is a long holding the pthread_t; there is no native thread id.
 * sizeof(PyThreadState) is 2272 because 3.6.x keeps a 255-slot _preserve_36_ABI_2 array. */
static const struct py_layout layout_3_6 = {
    .version_hex = 0x03060ff0,
    .runtime_model = PY_RUNTIME_INTERP_HEAD_SYMBOL,
    .frame_model = PY_FRAMES_OBJECTS,
    .instr_model = PY_INSTR_LASTI_BYTES,
    .linetable_model = PY_LINES_LNOTAB,
    .gil_model = PY_GIL_TSTATE_CURRENT_SYMBOL,
    .instance_dict_model = PY_INSTANCE_DICT_TP_DICTOFFSET,
    .runtime_state = {.size = PY_NO_FIELD, .interpreters_head = PY_NO_FIELD,
                      .gilstate_tstate_current = PY_NO_FIELD, .ceval_gil = PY_NO_FIELD},
    .interpreter_state = {.size = 24, .next = 0, .threads_head = 8, .ceval_gil = PY_NO_FIELD,
                          .modules = 16, .code_object_generation = PY_NO_FIELD},
    .thread_state = {.size = 2272, .next = 8, .interp = 16, .current_frame = 24,
                     .cframe = PY_NO_FIELD, .thread_id = 152, .native_thread_id = PY_NO_FIELD,
                     .base_frame = PY_NO_FIELD},
    .cframe = {.current_frame = PY_NO_FIELD},
    .gil_runtime_state = {.locked = PY_NO_FIELD, .last_holder = PY_NO_FIELD, .size = PY_NO_FIELD},
    .interpreter_frame = {.size = 376, .previous = 24, .executable = 32, .instr = 120,
                          .owner = PY_NO_FIELD, .is_entry = PY_NO_FIELD, .localsplus = 376},
    .code_object = {.size = 144, .filename = 96, .name = 104, .qualname = PY_NO_FIELD,
                    .firstlineno = 36, .linetable = 112, .code_adaptive = PY_NO_FIELD,
                    .nlocals = 24, .localsplusnames = PY_NO_FIELD,
                    .varnames = 64, .freevars = 72, .cellvars = 80, .localspluskinds = PY_NO_FIELD},
    .object = {.ob_type = 8, .ob_size = 16},
    .unicode_object = {.length = 16, .state = 32, .ascii_size = 48, .compact_size = 72},
    .bytes_object = {.ob_sval = 32},
    .tuple_object = {.ob_item = 24},
    .float_object = {.ob_fval = 16},
    .set_object = {.used = 24},
    .type_object = {.tp_name = 24, .tp_basicsize = 32, .tp_flags = 168, .tp_dictoffset = 288, .ht_cached_keys = PY_NO_FIELD},
    .module_object = {.md_dict = 16},
    .dict_object = {.ma_keys = 32, .ma_values = 40},
    .dict_keys_object = {.dk_size = 8, .dk_log2_size = PY_NO_FIELD, .dk_log2_index_bytes = PY_NO_FIELD,
                         .dk_kind = PY_NO_FIELD, .dk_nentries = 32, .dk_indices = 40},
    .dict_key_entry = {.size = 24, .me_hash = 0, .me_key = 8, .me_value = 16},
    .dict_unicode_entry = {.size = PY_NO_FIELD, .me_key = PY_NO_FIELD, .me_value = PY_NO_FIELD},
    .dict_values = {.values = PY_NO_FIELD},
    .long_object = {.lv_tag = PY_NO_FIELD, .ob_digit = 24},
};

/* 3.7.16. _PyRuntime appears; gilstate.tstate_current sits 1480 bytes in, after the
 * embedded GC and ceval state. PyInterpreterState grows id/id_refcount before modules,
 * but next and tstate_head stay at 0 and 8. f_lasti moves up (the f_exc_* trio is gone). */
static const struct py_layout layout_3_7 = {
    .version_hex = 0x030710f0,
    .runtime_model = PY_RUNTIME_PYRUNTIME,
    .frame_model = PY_FRAMES_OBJECTS,
    .instr_model = PY_INSTR_LASTI_BYTES,
    .linetable_model = PY_LINES_LNOTAB,
    .gil_model = PY_GIL_RUNTIME_TSTATE_CURRENT,
    .instance_dict_model = PY_INSTANCE_DICT_TP_DICTOFFSET,
    .runtime_state = {.size = 1488, .interpreters_head = 24, .gilstate_tstate_current = 1480,
                      .ceval_gil = 1264},
    .interpreter_state = {.size = 48, .next = 0, .threads_head = 8, .ceval_gil = PY_NO_FIELD,
                          .modules = 40, .code_object_generation = PY_NO_FIELD},
    .thread_state = {.size = 280, .next = 8, .interp = 16, .current_frame = 24,
                     .cframe = PY_NO_FIELD, .thread_id = 176, .native_thread_id = PY_NO_FIELD,
                     .base_frame = PY_NO_FIELD},
    .cframe = {.current_frame = PY_NO_FIELD},
    .gil_runtime_state = {.locked = PY_NO_FIELD, .last_holder = PY_NO_FIELD, .size = 208},
    .interpreter_frame = {.size = 360, .previous = 24, .executable = 32, .instr = 104,
                          .owner = PY_NO_FIELD, .is_entry = PY_NO_FIELD, .localsplus = 360},
    .code_object = {.size = 144, .filename = 96, .name = 104, .qualname = PY_NO_FIELD,
                    .firstlineno = 36, .linetable = 112, .code_adaptive = PY_NO_FIELD,
                    .nlocals = 24, .localsplusnames = PY_NO_FIELD,
                    .varnames = 64, .freevars = 72, .cellvars = 80, .localspluskinds = PY_NO_FIELD},
    .object = {.ob_type = 8, .ob_size = 16},
    .unicode_object = {.length = 16, .state = 32, .ascii_size = 48, .compact_size = 72},
    .bytes_object = {.ob_sval = 32},
    .tuple_object = {.ob_item = 24},
    .float_object = {.ob_fval = 16},
    .set_object = {.used = 24},
    .type_object = {.tp_name = 24, .tp_basicsize = 32, .tp_flags = 168, .tp_dictoffset = 288, .ht_cached_keys = PY_NO_FIELD},
    .module_object = {.md_dict = 16},
    .dict_object = {.ma_keys = 32, .ma_values = 40},
    .dict_keys_object = {.dk_size = 8, .dk_log2_size = PY_NO_FIELD, .dk_log2_index_bytes = PY_NO_FIELD,
                         .dk_kind = PY_NO_FIELD, .dk_nentries = 32, .dk_indices = 40},
    .dict_key_entry = {.size = 24, .me_hash = 0, .me_key = 8, .me_value = 16},
    .dict_unicode_entry = {.size = PY_NO_FIELD, .me_key = PY_NO_FIELD, .me_value = PY_NO_FIELD},
    .dict_values = {.values = PY_NO_FIELD},
    .long_object = {.lv_tag = PY_NO_FIELD, .ob_digit = 24},
};

/* 3.8.18. co_posonlyargcount shifts PyCodeObject by 8 (firstlineno 40, filename 104).
 * Despite threading.get_native_id() arriving in 3.8, PyThreadState has no
 * native_thread_id until 3.11: the kernel TID must come from elsewhere. */
static const struct py_layout layout_3_8 = {
    .version_hex = 0x030812f0,
    .runtime_model = PY_RUNTIME_PYRUNTIME,
    .frame_model = PY_FRAMES_OBJECTS,
    .instr_model = PY_INSTR_LASTI_BYTES,
    .linetable_model = PY_LINES_LNOTAB,
    .gil_model = PY_GIL_RUNTIME_TSTATE_CURRENT,
    .instance_dict_model = PY_INSTANCE_DICT_TP_DICTOFFSET,
    .runtime_state = {.size = 1376, .interpreters_head = 32, .gilstate_tstate_current = 1368,
                      .ceval_gil = 1152},
    .interpreter_state = {.size = 64, .next = 0, .threads_head = 8, .ceval_gil = PY_NO_FIELD,
                          .modules = 56, .code_object_generation = PY_NO_FIELD},
    .thread_state = {.size = 264, .next = 8, .interp = 16, .current_frame = 24,
                     .cframe = PY_NO_FIELD, .thread_id = 176, .native_thread_id = PY_NO_FIELD,
                     .base_frame = PY_NO_FIELD},
    .cframe = {.current_frame = PY_NO_FIELD},
    .gil_runtime_state = {.locked = PY_NO_FIELD, .last_holder = PY_NO_FIELD, .size = 208},
    .interpreter_frame = {.size = 360, .previous = 24, .executable = 32, .instr = 104,
                          .owner = PY_NO_FIELD, .is_entry = PY_NO_FIELD, .localsplus = 360},
    .code_object = {.size = 176, .filename = 104, .name = 112, .qualname = PY_NO_FIELD,
                    .firstlineno = 40, .linetable = 120, .code_adaptive = PY_NO_FIELD,
                    .nlocals = 28, .localsplusnames = PY_NO_FIELD,
                    .varnames = 72, .freevars = 80, .cellvars = 88, .localspluskinds = PY_NO_FIELD},
    .object = {.ob_type = 8, .ob_size = 16},
    .unicode_object = {.length = 16, .state = 32, .ascii_size = 48, .compact_size = 72},
    .bytes_object = {.ob_sval = 32},
    .tuple_object = {.ob_item = 24},
    .float_object = {.ob_fval = 16},
    .set_object = {.used = 24},
    .type_object = {.tp_name = 24, .tp_basicsize = 32, .tp_flags = 168, .tp_dictoffset = 288, .ht_cached_keys = PY_NO_FIELD},
    .module_object = {.md_dict = 16},
    .dict_object = {.ma_keys = 32, .ma_values = 40},
    .dict_keys_object = {.dk_size = 8, .dk_log2_size = PY_NO_FIELD, .dk_log2_index_bytes = PY_NO_FIELD,
                         .dk_kind = PY_NO_FIELD, .dk_nentries = 32, .dk_indices = 40},
    .dict_key_entry = {.size = 24, .me_hash = 0, .me_key = 8, .me_value = 16},
    .dict_unicode_entry = {.size = PY_NO_FIELD, .me_key = PY_NO_FIELD, .me_value = PY_NO_FIELD},
    .dict_values = {.values = PY_NO_FIELD},
    .long_object = {.lv_tag = PY_NO_FIELD, .ob_digit = 24},
};

/* 3.9.18. The GC state moved from _PyRuntime into the interpreter, so
 * gilstate.tstate_current drops from 1368 to 568. */
static const struct py_layout layout_3_9 = {
    .version_hex = 0x030912f0,
    .runtime_model = PY_RUNTIME_PYRUNTIME,
    .frame_model = PY_FRAMES_OBJECTS,
    .instr_model = PY_INSTR_LASTI_BYTES,
    .linetable_model = PY_LINES_LNOTAB,
    .gil_model = PY_GIL_RUNTIME_TSTATE_CURRENT,
    .instance_dict_model = PY_INSTANCE_DICT_TP_DICTOFFSET,
    .runtime_state = {.size = 576, .interpreters_head = 32, .gilstate_tstate_current = 568,
                      .ceval_gil = 352},
    .interpreter_state = {.size = 864, .next = 0, .threads_head = 8, .ceval_gil = PY_NO_FIELD,
                          .modules = 856, .code_object_generation = PY_NO_FIELD},
    .thread_state = {.size = 264, .next = 8, .interp = 16, .current_frame = 24,
                     .cframe = PY_NO_FIELD, .thread_id = 176, .native_thread_id = PY_NO_FIELD,
                     .base_frame = PY_NO_FIELD},
    .cframe = {.current_frame = PY_NO_FIELD},
    .gil_runtime_state = {.locked = PY_NO_FIELD, .last_holder = PY_NO_FIELD, .size = 208},
    .interpreter_frame = {.size = 360, .previous = 24, .executable = 32, .instr = 104,
                          .owner = PY_NO_FIELD, .is_entry = PY_NO_FIELD, .localsplus = 360},
    .code_object = {.size = 176, .filename = 104, .name = 112, .qualname = PY_NO_FIELD,
                    .firstlineno = 40, .linetable = 120, .code_adaptive = PY_NO_FIELD,
                    .nlocals = 28, .localsplusnames = PY_NO_FIELD,
                    .varnames = 72, .freevars = 80, .cellvars = 88, .localspluskinds = PY_NO_FIELD},
    .object = {.ob_type = 8, .ob_size = 16},
    .unicode_object = {.length = 16, .state = 32, .ascii_size = 48, .compact_size = 72},
    .bytes_object = {.ob_sval = 32},
    .tuple_object = {.ob_item = 24},
    .float_object = {.ob_fval = 16},
    .set_object = {.used = 24},
    .type_object = {.tp_name = 24, .tp_basicsize = 32, .tp_flags = 168, .tp_dictoffset = 288, .ht_cached_keys = PY_NO_FIELD},
    .module_object = {.md_dict = 16},
    .dict_object = {.ma_keys = 32, .ma_values = 40},
    .dict_keys_object = {.dk_size = 8, .dk_log2_size = PY_NO_FIELD, .dk_log2_index_bytes = PY_NO_FIELD,
                         .dk_kind = PY_NO_FIELD, .dk_nentries = 32, .dk_indices = 40},
    .dict_key_entry = {.size = 24, .me_hash = 0, .me_key = 8, .me_value = 16},
    .dict_unicode_entry = {.size = PY_NO_FIELD, .me_key = PY_NO_FIELD, .me_value = PY_NO_FIELD},
    .dict_values = {.values = PY_NO_FIELD},
    .long_object = {.lv_tag = PY_NO_FIELD, .ob_digit = 24},
};

/* 3.10.13. tstate->cframe exists (at 48) but only carries use_tracing; frames are still
 * reached through tstate->frame, so cframe is left out. f_lasti counts 2-byte code units
 * (PEP 626), and co_linetable replaces co_lnotab in the same slot (120). */
static const struct py_layout layout_3_10 = {
    .version_hex = 0x030a0df0,
    .runtime_model = PY_RUNTIME_PYRUNTIME,
    .frame_model = PY_FRAMES_OBJECTS,
    .instr_model = PY_INSTR_LASTI_UNITS,
    .linetable_model = PY_LINES_LINETABLE,
    .gil_model = PY_GIL_RUNTIME_TSTATE_CURRENT,
    .instance_dict_model = PY_INSTANCE_DICT_TP_DICTOFFSET,
    .runtime_state = {.size = 576, .interpreters_head = 32, .gilstate_tstate_current = 568,
                      .ceval_gil = 352},
    .interpreter_state = {.size = 864, .next = 0, .threads_head = 8, .ceval_gil = PY_NO_FIELD,
                          .modules = 856, .code_object_generation = PY_NO_FIELD},
    .thread_state = {.size = 280, .next = 8, .interp = 16, .current_frame = 24,
                     .cframe = PY_NO_FIELD, .thread_id = 176, .native_thread_id = PY_NO_FIELD,
                     .base_frame = PY_NO_FIELD},
    .cframe = {.current_frame = PY_NO_FIELD},
    .gil_runtime_state = {.locked = PY_NO_FIELD, .last_holder = PY_NO_FIELD, .size = 208},
    .interpreter_frame = {.size = 352, .previous = 24, .executable = 32, .instr = 96,
                          .owner = PY_NO_FIELD, .is_entry = PY_NO_FIELD, .localsplus = 352},
    .code_object = {.size = 176, .filename = 104, .name = 112, .qualname = PY_NO_FIELD,
                    .firstlineno = 40, .linetable = 120, .code_adaptive = PY_NO_FIELD,
                    .nlocals = 28, .localsplusnames = PY_NO_FIELD,
                    .varnames = 72, .freevars = 80, .cellvars = 88, .localspluskinds = PY_NO_FIELD},
    .object = {.ob_type = 8, .ob_size = 16},
    .unicode_object = {.length = 16, .state = 32, .ascii_size = 48, .compact_size = 72},
    .bytes_object = {.ob_sval = 32},
    .tuple_object = {.ob_item = 24},
    .float_object = {.ob_fval = 16},
    .set_object = {.used = 24},
    .type_object = {.tp_name = 24, .tp_basicsize = 32, .tp_flags = 168, .tp_dictoffset = 288, .ht_cached_keys = PY_NO_FIELD},
    .module_object = {.md_dict = 16},
    .dict_object = {.ma_keys = 32, .ma_values = 40},
    .dict_keys_object = {.dk_size = 8, .dk_log2_size = PY_NO_FIELD, .dk_log2_index_bytes = PY_NO_FIELD,
                         .dk_kind = PY_NO_FIELD, .dk_nentries = 32, .dk_indices = 40},
    .dict_key_entry = {.size = 24, .me_hash = 0, .me_key = 8, .me_value = 16},
    .dict_unicode_entry = {.size = PY_NO_FIELD, .me_key = PY_NO_FIELD, .me_value = PY_NO_FIELD},
    .dict_values = {.values = PY_NO_FIELD},
    .long_object = {.lv_tag = PY_NO_FIELD, .ob_digit = 24},
};

/* 3.11.7. Frames are _PyInterpreterFrame, reached via tstate->cframe->current_frame
 * (_PyCFrame starts with use_tracing, so current_frame is at 8, unlike 3.12's 0).
 * previous is at 48, not first. owner is at 69 (after is_entry at 68); 3.11 has no
 * FRAME_OWNED_BY_CSTACK, entry frames are marked by is_entry instead.
 * Debian's 3.11.2 (/usr/bin/python3.11, stripped) has the same layout: its headers
 * (libpython3.11-dev) differ from 3.11.7's in no struct used here, offsetof over them
 * gives identical numbers, its Py_Version reads 0x030b02f0 and its _PyRuntime symbol is
 * 0x28b20 = 166688 bytes, the same as 3.11.7's sizeof(_PyRuntimeState). */
static const struct py_layout layout_3_11 = {
    .version_hex = 0x030b07f0,
    .runtime_model = PY_RUNTIME_PYRUNTIME,
    .frame_model = PY_FRAMES_INTERPRETER,
    .instr_model = PY_INSTR_PREV_INSTR_PTR,
    .linetable_model = PY_LINES_LOCATIONS,
    .gil_model = PY_GIL_RUNTIME_TSTATE_CURRENT,
    .instance_dict_model = PY_INSTANCE_DICT_MANAGED,
    .runtime_state = {.size = 584, .interpreters_head = 40, .gilstate_tstate_current = 576,
                      .ceval_gil = 360},
    .interpreter_state = {.size = 896, .next = 0, .threads_head = 16, .ceval_gil = PY_NO_FIELD,
                          .modules = 888, .code_object_generation = PY_NO_FIELD},
    .thread_state = {.size = 360, .next = 8, .interp = 16, .current_frame = PY_NO_FIELD,
                     .cframe = 56, .thread_id = 152, .native_thread_id = 160,
                     .base_frame = PY_NO_FIELD},
    .cframe = {.current_frame = 8},
    .gil_runtime_state = {.locked = PY_NO_FIELD, .last_holder = PY_NO_FIELD, .size = 208},
    .interpreter_frame = {.size = 72, .previous = 48, .executable = 32, .instr = 56,
                          .owner = 69, .is_entry = 68, .localsplus = 72},
    .code_object = {.size = 192, .filename = 112, .name = 120, .qualname = 128,
                    .firstlineno = 72, .linetable = 136, .code_adaptive = 184,
                    .nlocals = 76, .localsplusnames = 96,
                    .varnames = PY_NO_FIELD, .freevars = PY_NO_FIELD, .cellvars = PY_NO_FIELD,
                    .localspluskinds = 104},
    .object = {.ob_type = 8, .ob_size = 16},
    .unicode_object = {.length = 16, .state = 32, .ascii_size = 48, .compact_size = 72},
    .bytes_object = {.ob_sval = 32},
    .tuple_object = {.ob_item = 24},
    .float_object = {.ob_fval = 16},
    .set_object = {.used = 24},
    .type_object = {.tp_name = 24, .tp_basicsize = 32, .tp_flags = 168, .tp_dictoffset = 288, .ht_cached_keys = 872},
    .module_object = {.md_dict = 16},
    .dict_object = {.ma_keys = 32, .ma_values = 40},
    .dict_keys_object = {.dk_size = PY_NO_FIELD, .dk_log2_size = 8, .dk_log2_index_bytes = 9,
                         .dk_kind = 10, .dk_nentries = 24, .dk_indices = 32},
    .dict_key_entry = {.size = 24, .me_hash = 0, .me_key = 8, .me_value = 16},
    .dict_unicode_entry = {.size = 16, .me_key = 0, .me_value = 8},
    .dict_values = {.values = 0},
    .long_object = {.lv_tag = PY_NO_FIELD, .ob_digit = 24},
};

/* 3.12.1. The GIL is per interpreter: interp->ceval.gil (at 384) points to a
 * _gil_runtime_state {last_holder at 8, locked at 16}, normally the interp's own _gil;
 * _PyRuntime.gilstate is gone. threads.head moves to 72. PyASCIIObject loses wstr
 * (48 -> 40 bytes) and PyCompactUnicodeObject wstr_length (72 -> 56).
 * co_firstlineno moves from 72 to 68: 3.11's two shorts before co_argcount
 * (co_warmup, _co_linearray_entry_size) are gone. */
static const struct py_layout layout_3_12 = {
    .version_hex = 0x030c01f0,
    .runtime_model = PY_RUNTIME_PYRUNTIME,
    .frame_model = PY_FRAMES_INTERPRETER,
    .instr_model = PY_INSTR_PREV_INSTR_PTR,
    .linetable_model = PY_LINES_LOCATIONS,
    .gil_model = PY_GIL_INTERP_GIL_HOLDER,
    .instance_dict_model = PY_INSTANCE_DICT_OR_VALUES,
    .runtime_state = {.size = 48, .interpreters_head = 40, .gilstate_tstate_current = PY_NO_FIELD,
                      .ceval_gil = PY_NO_FIELD},
    .interpreter_state = {.size = 952, .next = 0, .threads_head = 72, .ceval_gil = 384,
                          .modules = 944, .code_object_generation = PY_NO_FIELD},
    .thread_state = {.size = 288, .next = 8, .interp = 16, .current_frame = PY_NO_FIELD,
                     .cframe = 56, .thread_id = 136, .native_thread_id = 144,
                     .base_frame = PY_NO_FIELD},
    .cframe = {.current_frame = 0},
    .gil_runtime_state = {.locked = 16, .last_holder = 8, .size = 208},
    .interpreter_frame = {.size = 72, .previous = 8, .executable = 0, .instr = 56,
                          .owner = 70, .is_entry = PY_NO_FIELD, .localsplus = 72},
    .code_object = {.size = 200, .filename = 112, .name = 120, .qualname = 128,
                    .firstlineno = 68, .linetable = 136, .code_adaptive = 192,
                    .nlocals = 72, .localsplusnames = 96,
                    .varnames = PY_NO_FIELD, .freevars = PY_NO_FIELD, .cellvars = PY_NO_FIELD,
                    .localspluskinds = 104},
    .object = {.ob_type = 8, .ob_size = 16},
    .unicode_object = {.length = 16, .state = 32, .ascii_size = 40, .compact_size = 56},
    .bytes_object = {.ob_sval = 32},
    .tuple_object = {.ob_item = 24},
    .float_object = {.ob_fval = 16},
    .set_object = {.used = 24},
    .type_object = {.tp_name = 24, .tp_basicsize = 32, .tp_flags = 168, .tp_dictoffset = 288, .ht_cached_keys = 880},
    .module_object = {.md_dict = 16},
    .dict_object = {.ma_keys = 32, .ma_values = 40},
    .dict_keys_object = {.dk_size = PY_NO_FIELD, .dk_log2_size = 8, .dk_log2_index_bytes = 9,
                         .dk_kind = 10, .dk_nentries = 24, .dk_indices = 32},
    .dict_key_entry = {.size = 24, .me_hash = 0, .me_key = 8, .me_value = 16},
    .dict_unicode_entry = {.size = 16, .me_key = 0, .me_value = 8},
    .dict_values = {.values = 0},
    .long_object = {.lv_tag = 16, .ob_digit = 24},
};

const struct py_layout *py_layout_for_version(int major, int minor)
{
    if (major != 3)
        return NULL;
    switch (minor) {
    case 6: return &layout_3_6;
    case 7: return &layout_3_7;
    case 8: return &layout_3_8;
    case 9: return &layout_3_9;
    case 10: return &layout_3_10;
    case 11: return &layout_3_11;
    case 12: return &layout_3_12;
    default: return NULL;
    }
}
