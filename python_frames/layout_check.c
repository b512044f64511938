/* Read sizes under a layout, and the check that its fields lie inside them. */
#include "python_frames/layout.h"

static size_t capped(int32_t size, size_t cap)
{
    return size > 0 && (size_t)size < cap ? (size_t)size : cap;
}

size_t py_layout_thread_state_read_size(const struct py_layout *l)
{
    return capped(l->thread_state.size, PY_THREAD_STATE_READ_MAX);
}

size_t py_layout_code_read_size(const struct py_layout *l)
{
    return capped(l->code_object.size, PY_CODE_READ_MAX);
}

struct field {
    const char *name;
    int32_t offset;
    size_t width;
};

static enum pa_status check_fields(const char *what, size_t read, const struct field *fields, size_t count,
                        struct pa_error *err)
{
    for (size_t i = 0; i < count; i++) {
        if (fields[i].offset == PY_NO_FIELD)
            continue;
        if (fields[i].offset < 0 || (size_t)fields[i].offset + fields[i].width > read)
            return pa_fail(err, PA_E_UNSUPPORTED, "layout field %s.%s at offset %d lies outside the %zu bytes "
                           "pyattach reads", what, fields[i].name, (int)fields[i].offset, read);
    }
    return PA_OK;
}

#define FIELD(section, member, width) {#member, l->section.member, width}
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

enum pa_status py_layout_check(const struct py_layout *l, struct pa_error *err)
{
    if (l->interpreter_frame.size <= 0 || l->interpreter_frame.size > PY_FRAME_READ_MAX)
        return pa_fail(err, PA_E_UNSUPPORTED, "frame size %d out of range", (int)l->interpreter_frame.size);
    const struct field frame[] = {
        FIELD(interpreter_frame, previous, 8), FIELD(interpreter_frame, executable, 8),
        FIELD(interpreter_frame, instr, 8),    FIELD(interpreter_frame, owner, 1),
        FIELD(interpreter_frame, is_entry, 1),
    };
    const struct field thread[] = {
        FIELD(thread_state, next, 8),      FIELD(thread_state, interp, 8),
        FIELD(thread_state, current_frame, 8), FIELD(thread_state, cframe, 8),
        FIELD(thread_state, thread_id, 8), FIELD(thread_state, native_thread_id, 8),
        FIELD(thread_state, base_frame, 8),
    };
    const struct field code[] = {
        FIELD(code_object, filename, 8),    FIELD(code_object, name, 8),
        FIELD(code_object, qualname, 8),    FIELD(code_object, firstlineno, 4),
        FIELD(code_object, linetable, 8),   FIELD(code_object, nlocals, 4),
        FIELD(code_object, localsplusnames, 8), FIELD(object, ob_type, 8),
        FIELD(code_object, varnames, 8),    FIELD(code_object, cellvars, 8),
        FIELD(code_object, freevars, 8),    FIELD(code_object, localspluskinds, 8),
    };
    enum pa_status status = check_fields("interpreter_frame", (size_t)l->interpreter_frame.size, frame, COUNT(frame), err);
    if (status == PA_OK)
        status = check_fields("thread_state", py_layout_thread_state_read_size(l), thread, COUNT(thread), err);
    if (status == PA_OK)
        status = check_fields("code_object", py_layout_code_read_size(l), code, COUNT(code), err);
    return status;
}
