/* The layouts of _Py_DebugOffsets itself, one list per CPython minor version: every
 * uint64 field after the 24-byte header (cookie, version, free_threaded), in the
 * header's declaration order (Include/internal/pycore_runtime.h in 3.13,
 * Include/internal/pycore_debug_offsets.h from 3.14). Field n lies at 24 + 8 * n.
 *
 * CPython inserts fields in the middle between minor versions (3.14:
 * interpreter_state.threads_main, a set_object section; 3.15: thread_state.base_frame,
 * an err_stackitem section, ...), so each minor version has its own list. Within a
 * minor version the table's layout stays put; the offsets it holds do not (py-spy's
 * hard-coded 3.14 offsets broke on 3.14.5), so every offset is read from the target.
 * tests/integration/test_debug_offsets_headers.py compiles a probe against each
 * version's own -dev headers and compares it with these lists, field by field. */
#ifndef PYATTACH_DEBUG_OFFSETS_TABLES_H
#define PYATTACH_DEBUG_OFFSETS_TABLES_H

/* X(section, field) for each field. */
#define PY_DEBUG_OFFSETS_3_13(X)                                                                    \
    X(runtime_state, size) X(runtime_state, finalizing) X(runtime_state, interpreters_head)          \
    X(interpreter_state, size) X(interpreter_state, id) X(interpreter_state, next)                    \
    X(interpreter_state, threads_head) X(interpreter_state, gc) X(interpreter_state, imports_modules) \
    X(interpreter_state, sysdict) X(interpreter_state, builtins) X(interpreter_state, ceval_gil)     \
    X(interpreter_state, gil_runtime_state) X(interpreter_state, gil_runtime_state_enabled)          \
    X(interpreter_state, gil_runtime_state_locked) X(interpreter_state, gil_runtime_state_holder)    \
    X(thread_state, size) X(thread_state, prev) X(thread_state, next) X(thread_state, interp)        \
    X(thread_state, current_frame) X(thread_state, thread_id) X(thread_state, native_thread_id)      \
    X(thread_state, datastack_chunk) X(thread_state, status)                                         \
    X(interpreter_frame, size) X(interpreter_frame, previous) X(interpreter_frame, executable)       \
    X(interpreter_frame, instr_ptr) X(interpreter_frame, localsplus) X(interpreter_frame, owner)     \
    X(code_object, size) X(code_object, filename) X(code_object, name) X(code_object, qualname)      \
    X(code_object, linetable) X(code_object, firstlineno) X(code_object, argcount)                   \
    X(code_object, localsplusnames) X(code_object, localspluskinds) X(code_object, co_code_adaptive) \
    X(pyobject, size) X(pyobject, ob_type)                                                           \
    X(type_object, size) X(type_object, tp_name) X(type_object, tp_repr) X(type_object, tp_flags)    \
    X(tuple_object, size) X(tuple_object, ob_item) X(tuple_object, ob_size)                          \
    X(list_object, size) X(list_object, ob_item) X(list_object, ob_size)                             \
    X(dict_object, size) X(dict_object, ma_keys) X(dict_object, ma_values)                           \
    X(float_object, size) X(float_object, ob_fval)                                                   \
    X(long_object, size) X(long_object, lv_tag) X(long_object, ob_digit)                             \
    X(bytes_object, size) X(bytes_object, ob_size) X(bytes_object, ob_sval)                          \
    X(unicode_object, size) X(unicode_object, state) X(unicode_object, length)                       \
    X(unicode_object, asciiobject_size)                                                              \
    X(gc, size) X(gc, collecting)

/* 3.14: threads_main inserted; code_object_generation, tlbc_generation, stackpointer,
 * tlbc_index, co_tlbc appended to their sections; set_object inserted before
 * dict_object; gen_object, llist_node, debugger_support (PEP 768) appended. */
#define PY_DEBUG_OFFSETS_3_14(X)                                                                    \
    X(runtime_state, size) X(runtime_state, finalizing) X(runtime_state, interpreters_head)          \
    X(interpreter_state, size) X(interpreter_state, id) X(interpreter_state, next)                    \
    X(interpreter_state, threads_head) X(interpreter_state, threads_main) X(interpreter_state, gc)   \
    X(interpreter_state, imports_modules) X(interpreter_state, sysdict)                              \
    X(interpreter_state, builtins) X(interpreter_state, ceval_gil)                                   \
    X(interpreter_state, gil_runtime_state) X(interpreter_state, gil_runtime_state_enabled)          \
    X(interpreter_state, gil_runtime_state_locked) X(interpreter_state, gil_runtime_state_holder)    \
    X(interpreter_state, code_object_generation) X(interpreter_state, tlbc_generation)               \
    X(thread_state, size) X(thread_state, prev) X(thread_state, next) X(thread_state, interp)        \
    X(thread_state, current_frame) X(thread_state, thread_id) X(thread_state, native_thread_id)      \
    X(thread_state, datastack_chunk) X(thread_state, status)                                         \
    X(interpreter_frame, size) X(interpreter_frame, previous) X(interpreter_frame, executable)       \
    X(interpreter_frame, instr_ptr) X(interpreter_frame, localsplus) X(interpreter_frame, owner)     \
    X(interpreter_frame, stackpointer) X(interpreter_frame, tlbc_index)                              \
    X(code_object, size) X(code_object, filename) X(code_object, name) X(code_object, qualname)      \
    X(code_object, linetable) X(code_object, firstlineno) X(code_object, argcount)                   \
    X(code_object, localsplusnames) X(code_object, localspluskinds) X(code_object, co_code_adaptive) \
    X(code_object, co_tlbc)                                                                          \
    X(pyobject, size) X(pyobject, ob_type)                                                           \
    X(type_object, size) X(type_object, tp_name) X(type_object, tp_repr) X(type_object, tp_flags)    \
    X(tuple_object, size) X(tuple_object, ob_item) X(tuple_object, ob_size)                          \
    X(list_object, size) X(list_object, ob_item) X(list_object, ob_size)                             \
    X(set_object, size) X(set_object, used) X(set_object, table) X(set_object, mask)                 \
    X(dict_object, size) X(dict_object, ma_keys) X(dict_object, ma_values)                           \
    X(float_object, size) X(float_object, ob_fval)                                                   \
    X(long_object, size) X(long_object, lv_tag) X(long_object, ob_digit)                             \
    X(bytes_object, size) X(bytes_object, ob_size) X(bytes_object, ob_sval)                          \
    X(unicode_object, size) X(unicode_object, state) X(unicode_object, length)                       \
    X(unicode_object, asciiobject_size)                                                              \
    X(gc, size) X(gc, collecting)                                                                    \
    X(gen_object, size) X(gen_object, gi_name) X(gen_object, gi_iframe) X(gen_object, gi_frame_state) \
    X(llist_node, next) X(llist_node, prev)                                                          \
    X(debugger_support, eval_breaker) X(debugger_support, remote_debugger_support)                   \
    X(debugger_support, remote_debugging_enabled) X(debugger_support, debugger_pending_call)         \
    X(debugger_support, debugger_script_path) X(debugger_support, debugger_script_path_size)

/* 3.15 (from 3.15.0b4: b4 inserted last_profiled_frame_seq): base_frame,
 * last_profiled_frame(_seq) inserted after current_frame; holds_gil, gil_requested,
 * current_exception, exc_state appended to thread_state; err_stackitem inserted
 * before interpreter_frame; tp_basicsize, tp_dictoffset appended to type_object;
 * heap_type_object inserted after it; compactunicodeobject_size and three gc fields
 * appended. */
#define PY_DEBUG_OFFSETS_3_15(X)                                                                    \
    X(runtime_state, size) X(runtime_state, finalizing) X(runtime_state, interpreters_head)          \
    X(interpreter_state, size) X(interpreter_state, id) X(interpreter_state, next)                    \
    X(interpreter_state, threads_head) X(interpreter_state, threads_main) X(interpreter_state, gc)   \
    X(interpreter_state, imports_modules) X(interpreter_state, sysdict)                              \
    X(interpreter_state, builtins) X(interpreter_state, ceval_gil)                                   \
    X(interpreter_state, gil_runtime_state) X(interpreter_state, gil_runtime_state_enabled)          \
    X(interpreter_state, gil_runtime_state_locked) X(interpreter_state, gil_runtime_state_holder)    \
    X(interpreter_state, code_object_generation) X(interpreter_state, tlbc_generation)               \
    X(thread_state, size) X(thread_state, prev) X(thread_state, next) X(thread_state, interp)        \
    X(thread_state, current_frame) X(thread_state, base_frame) X(thread_state, last_profiled_frame)  \
    X(thread_state, last_profiled_frame_seq) X(thread_state, thread_id)                              \
    X(thread_state, native_thread_id) X(thread_state, datastack_chunk) X(thread_state, status)       \
    X(thread_state, holds_gil) X(thread_state, gil_requested) X(thread_state, current_exception)     \
    X(thread_state, exc_state)                                                                       \
    X(err_stackitem, exc_value)                                                                      \
    X(interpreter_frame, size) X(interpreter_frame, previous) X(interpreter_frame, executable)       \
    X(interpreter_frame, instr_ptr) X(interpreter_frame, localsplus) X(interpreter_frame, owner)     \
    X(interpreter_frame, stackpointer) X(interpreter_frame, tlbc_index)                              \
    X(code_object, size) X(code_object, filename) X(code_object, name) X(code_object, qualname)      \
    X(code_object, linetable) X(code_object, firstlineno) X(code_object, argcount)                   \
    X(code_object, localsplusnames) X(code_object, localspluskinds) X(code_object, co_code_adaptive) \
    X(code_object, co_tlbc)                                                                          \
    X(pyobject, size) X(pyobject, ob_type)                                                           \
    X(type_object, size) X(type_object, tp_name) X(type_object, tp_repr) X(type_object, tp_flags)    \
    X(type_object, tp_basicsize) X(type_object, tp_dictoffset)                                       \
    X(heap_type_object, size) X(heap_type_object, ht_cached_keys)                                    \
    X(tuple_object, size) X(tuple_object, ob_item) X(tuple_object, ob_size)                          \
    X(list_object, size) X(list_object, ob_item) X(list_object, ob_size)                             \
    X(set_object, size) X(set_object, used) X(set_object, table) X(set_object, mask)                 \
    X(dict_object, size) X(dict_object, ma_keys) X(dict_object, ma_values)                           \
    X(float_object, size) X(float_object, ob_fval)                                                   \
    X(long_object, size) X(long_object, lv_tag) X(long_object, ob_digit)                             \
    X(bytes_object, size) X(bytes_object, ob_size) X(bytes_object, ob_sval)                          \
    X(unicode_object, size) X(unicode_object, state) X(unicode_object, length)                       \
    X(unicode_object, asciiobject_size) X(unicode_object, compactunicodeobject_size)                 \
    X(gc, size) X(gc, collecting) X(gc, frame) X(gc, generation_stats_size) X(gc, generation_stats)  \
    X(gen_object, size) X(gen_object, gi_name) X(gen_object, gi_iframe) X(gen_object, gi_frame_state) \
    X(llist_node, next) X(llist_node, prev)                                                          \
    X(debugger_support, eval_breaker) X(debugger_support, remote_debugger_support)                   \
    X(debugger_support, remote_debugging_enabled) X(debugger_support, debugger_pending_call)         \
    X(debugger_support, debugger_script_path) X(debugger_support, debugger_script_path_size)

#endif
