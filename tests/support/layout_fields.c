/* The named fields of struct py_layout (see layout_fields.h). */
#include "tests/support/layout_fields.h"

#include <string.h>

#define PL(f) {#f, offsetof(struct py_layout, f)}
const struct layout_field layout_fields[] = {
    PL(runtime_state.size), PL(runtime_state.interpreters_head), PL(runtime_state.gilstate_tstate_current),
    PL(runtime_state.ceval_gil),
    PL(interpreter_state.size), PL(interpreter_state.next), PL(interpreter_state.threads_head),
    PL(interpreter_state.ceval_gil), PL(interpreter_state.code_object_generation),
    PL(thread_state.size), PL(thread_state.next), PL(thread_state.interp), PL(thread_state.current_frame),
    PL(thread_state.cframe), PL(thread_state.thread_id), PL(thread_state.native_thread_id),
    PL(thread_state.base_frame),
    PL(cframe.current_frame), PL(gil_runtime_state.locked), PL(gil_runtime_state.last_holder), PL(gil_runtime_state.size),
    PL(interpreter_frame.size), PL(interpreter_frame.previous), PL(interpreter_frame.executable),
    PL(interpreter_frame.instr), PL(interpreter_frame.owner), PL(interpreter_frame.localsplus),
    PL(interpreter_frame.is_entry),
    PL(code_object.size), PL(code_object.filename), PL(code_object.name), PL(code_object.qualname),
    PL(code_object.firstlineno), PL(code_object.linetable), PL(code_object.code_adaptive),
    PL(code_object.nlocals), PL(code_object.localsplusnames), PL(code_object.localspluskinds),
    PL(code_object.varnames), PL(code_object.cellvars), PL(code_object.freevars),
    PL(type_object.tp_name), PL(tuple_object.ob_item), PL(float_object.ob_fval), PL(set_object.used),
    PL(object.ob_type), PL(object.ob_size),
    PL(unicode_object.length), PL(unicode_object.state), PL(unicode_object.ascii_size),
    PL(unicode_object.compact_size), PL(bytes_object.ob_sval),
    PL(interpreter_state.modules), PL(type_object.tp_basicsize), PL(type_object.tp_flags),
    PL(type_object.tp_dictoffset), PL(type_object.ht_cached_keys), PL(module_object.md_dict),
    PL(dict_object.ma_keys), PL(dict_object.ma_values), PL(dict_keys_object.dk_size),
    PL(dict_keys_object.dk_log2_size), PL(dict_keys_object.dk_log2_index_bytes), PL(dict_keys_object.dk_kind),
    PL(dict_keys_object.dk_nentries), PL(dict_keys_object.dk_indices), PL(dict_key_entry.size),
    PL(dict_key_entry.me_hash), PL(dict_key_entry.me_key), PL(dict_key_entry.me_value),
    PL(dict_unicode_entry.size), PL(dict_unicode_entry.me_key), PL(dict_unicode_entry.me_value),
    PL(dict_values.values), PL(long_object.lv_tag), PL(long_object.ob_digit),
};
const size_t layout_field_count = sizeof layout_fields / sizeof layout_fields[0];

int32_t layout_field_get(const struct py_layout *l, size_t i)
{
    int32_t v;
    memcpy(&v, (const char *)l + layout_fields[i].at, sizeof v);
    return v;
}

int layout_field_index(const char *name)
{
    for (size_t i = 0; i < layout_field_count; i++)
        if (strcmp(layout_fields[i].name, name) == 0)
            return (int)i;
    return -1;
}
