/* Listing thread states: interpreters -> thread states, with TIDs and the GIL holder. */
#include "python_frames/stack_walk.h"

#include <string.h>


static uint64_t field_u64(const uint8_t *buf, int32_t offset)
{
    uint64_t value = 0;
    if (offset >= 0)
        memcpy(&value, buf + offset, sizeof value);
    return value;
}

static enum pa_status first_interpreter(const struct py_walker *w, uint64_t *interp, struct pa_error *err)
{
    const struct py_runtime *rt = w->runtime;
    if (rt->layout.runtime_model == PY_RUNTIME_INTERP_HEAD_SYMBOL)
        return pa_read_u64(w->reader, rt->interp_head_addr, interp, err);
    return pa_read_u64(w->reader, rt->runtime_addr + (uint64_t)rt->layout.runtime_state.interpreters_head,
                       interp, err);
}

/* Where the interpreter's struct _gil_runtime_state lies, or 0 if unknown: embedded in
 * _PyRuntime in 3.7 - 3.11, pointed to by interp->ceval.gil from 3.12. 3.6 keeps its
 * GIL in separate statics (py_runtime.gil_statics). */
static uint64_t gil_state(const struct py_walker *w, uint64_t interp)
{
    const struct py_runtime *rt = w->runtime;
    const struct py_layout *l = &rt->layout;
    uint64_t gil = 0;
    switch (l->gil_model) {
    case PY_GIL_TSTATE_CURRENT_SYMBOL:
        break;
    case PY_GIL_RUNTIME_TSTATE_CURRENT:
        if (l->runtime_state.ceval_gil >= 0)
            gil = rt->runtime_addr + (uint64_t)l->runtime_state.ceval_gil;
        break;
    case PY_GIL_INTERP_GIL_HOLDER:
        if (pa_read_u64(w->reader, interp + (uint64_t)l->interpreter_state.ceval_gil, &gil, NULL) != PA_OK)
            gil = 0;
        break;
    }
    return gil;
}

/* The thread state holding the GIL in this interpreter, or 0 if none. */
static uint64_t gil_holder(const struct py_walker *w, uint64_t gil)
{
    const struct py_runtime *rt = w->runtime;
    const struct py_layout *l = &rt->layout;
    uint64_t holder = 0;
    switch (l->gil_model) {
    case PY_GIL_TSTATE_CURRENT_SYMBOL:
        pa_read_u64(w->reader, rt->tstate_current_addr, &holder, NULL);
        break;
    case PY_GIL_RUNTIME_TSTATE_CURRENT:
        pa_read_u64(w->reader, rt->runtime_addr + (uint64_t)l->runtime_state.gilstate_tstate_current,
                    &holder, NULL);
        break;
    case PY_GIL_INTERP_GIL_HOLDER: {
        /* 3.12+: last_holder keeps its value after the GIL is dropped, so only a
         * locked GIL names a holder. */
        int32_t locked = 0;
        if (gil == 0 ||
            pa_read(w->reader, gil + (uint64_t)l->gil_runtime_state.locked, &locked, sizeof locked, NULL) != PA_OK ||
            !locked ||
            pa_read_u64(w->reader, gil + (uint64_t)l->gil_runtime_state.last_holder, &holder, NULL) != PA_OK)
            holder = 0;
        break;
    }
    }
    return holder;
}

bool py_thread_futex_is_gil(const struct py_walker *w, const struct py_thread *t, uint64_t addr)
{
    const struct py_runtime *rt = w->runtime;
    int32_t size = rt->layout.gil_runtime_state.size;
    if (t->gil_addr != 0 && size > 0)
        return addr >= t->gil_addr && addr - t->gil_addr < (uint64_t)size;
    for (size_t i = 0; i < PY_GIL_STATICS; i++)
        if (rt->gil_statics[i] != 0 && addr >= rt->gil_statics[i] && addr - rt->gil_statics[i] < PY_GIL_STATIC_SIZE)
            return true;
    return false;
}

static uint64_t current_frame(const struct py_walker *w, const uint8_t *tstate)
{
    const struct py_layout *l = &w->runtime->layout;
    if (l->thread_state.cframe < 0)
        return field_u64(tstate, l->thread_state.current_frame);
    /* 3.11, 3.12: the frame hangs off the thread's current _PyCFrame. */
    uint64_t cframe = field_u64(tstate, l->thread_state.cframe), frame = 0;
    if (cframe == 0 || pa_read_u64(w->reader, cframe + (uint64_t)l->cframe.current_frame, &frame, NULL) != PA_OK)
        return 0;
    return frame;
}

static pid_t thread_tid(const struct py_walker *w, const uint8_t *tstate, uint64_t pthread_id)
{
    const struct py_runtime *rt = w->runtime;
    if (rt->layout.thread_state.native_thread_id >= 0)
        return (pid_t)field_u64(tstate, rt->layout.thread_state.native_thread_id);
    /* <= 3.7: only the pthread_t is kept; glibc stores the TID inside it. */
    int32_t tid = 0;
    if (rt->pthread_tid_offset < 0 || pthread_id == 0 ||
        pa_read(w->reader, pthread_id + (uint64_t)rt->pthread_tid_offset, &tid, sizeof tid, NULL) != PA_OK)
        return 0;
    return (pid_t)tid;
}

static enum pa_status add_threads_of(const struct py_walker *w, uint64_t interp, struct py_thread *threads,
                                     size_t max, size_t *count, struct pa_error *err)
{
    const struct py_layout *l = &w->runtime->layout;
    uint64_t tstate_addr = 0;
    enum pa_status status =
        pa_read_u64(w->reader, interp + (uint64_t)l->interpreter_state.threads_head, &tstate_addr, err);
    uint64_t gil = gil_state(w, interp);
    uint64_t holder = gil_holder(w, gil);
    size_t size = py_layout_thread_state_read_size(l);
    size_t first = *count;
    while (status == PA_OK && tstate_addr != 0) {
        if (*count == max)
            return pa_fail(err, PA_E_CORRUPT, "more than %zu thread states (a cycle?)", max);
        for (size_t i = first; i < *count; i++)
            if (threads[i].tstate_addr == tstate_addr)
                return pa_fail(err, PA_E_CORRUPT, "thread state list loops at 0x%llx",
                               (unsigned long long)tstate_addr);
        uint8_t tstate[PY_THREAD_STATE_READ_MAX];
        status = pa_read(w->reader, tstate_addr, tstate, size, err);
        if (status != PA_OK)
            break;
        struct py_thread *t = &threads[(*count)++];
        memset(t, 0, sizeof *t);
        t->tstate_addr = tstate_addr;
        t->interp_addr = interp;
        t->pthread_id = field_u64(tstate, l->thread_state.thread_id);
        t->tid = thread_tid(w, tstate, t->pthread_id);
        t->holds_gil = holder != 0 && holder == tstate_addr;
        t->gil_addr = gil;
        t->frame_addr = current_frame(w, tstate);
        t->base_frame_addr = field_u64(tstate, l->thread_state.base_frame);
        tstate_addr = field_u64(tstate, l->thread_state.next);
    }
    return status;
}

enum pa_status py_list_threads(const struct py_walker *w, struct py_thread *threads, size_t max,
                               size_t *count, struct pa_error *err)
{
    const struct py_layout *l = &w->runtime->layout;
    uint64_t interp = 0, generations = 0;
    *count = 0;
    enum pa_status status = first_interpreter(w, &interp, err);
    for (int n = 0; status == PA_OK && interp != 0; n++) {
        if (n == PY_MAX_INTERPRETERS)
            return pa_fail(err, PA_E_CORRUPT, "more than %d interpreters (a cycle?)", PY_MAX_INTERPRETERS);
        uint64_t generation = 0;
        if (l->interpreter_state.code_object_generation >= 0 &&
            pa_read_u64(w->reader, interp + (uint64_t)l->interpreter_state.code_object_generation, &generation,
                        NULL) == PA_OK)
            generations += generation;
        status = add_threads_of(w, interp, threads, max, count, err);
        if (status == PA_OK)
            status = pa_read_u64(w->reader, interp + (uint64_t)l->interpreter_state.next, &interp, err);
    }
    if (status == PA_OK && l->interpreter_state.code_object_generation >= 0)
        py_code_cache_note_generation(w->codes, w->runtime, w->reader, generations);
    return status;
}

enum pa_status py_thread_reread_frame(const struct py_walker *w, struct py_thread *t, struct pa_error *err)
{
    const struct py_layout *l = &w->runtime->layout;
    size_t size = py_layout_thread_state_read_size(l);
    uint8_t tstate[PY_THREAD_STATE_READ_MAX];
    enum pa_status status = pa_read(w->reader, t->tstate_addr, tstate, size, err);
    if (status == PA_OK) {
        t->frame_addr = current_frame(w, tstate);
        t->base_frame_addr = field_u64(tstate, l->thread_state.base_frame);
    }
    return status;
}
