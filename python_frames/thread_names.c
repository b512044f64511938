/* Thread names: the threading module's own record of the thread, read from the
 * target's memory, with what the kernel knows as the fallback. */
#include "python_frames/thread_names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "python_frames/instance_attr.h"
#include "python_frames/pystring.h"
#include "python_frames/remote_dict.h"

/* Copies UTF-8 text into out, cutting before a character that would not fit. */
static void copy_utf8(const char *text, char *out, size_t size)
{
    size_t n = strlen(text);
    if (n >= size) {
        n = size - 1;
        while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80) /* text[n] continues a character */
            n--;
    }
    memcpy(out, text, n);
    out[n] = '\0';
}

enum pa_status py_threading_name(struct pa_reader *r, const struct py_layout *l, uint64_t interp,
                                 uint64_t pthread_id, char *out, size_t size, bool *found, struct pa_error *err)
{
    *found = false;
    if (size == 0 || l->interpreter_state.modules < 0 || l->module_object.md_dict < 0)
        return pa_fail(err, PA_E_UNSUPPORTED, "thread names cannot be read in this layout");
    /* threading keeps `_active = {}  # maps thread id to Thread object` (3.6 - 3.15),
     * keyed by get_ident(), i.e. the pthread_t in the thread state; Thread.name is a
     * property over the instance attribute _name. */
    uint64_t modules = 0, threading = 0, globals = 0, active = 0, thread = 0, name = 0;
    enum pa_status st = pa_read_u64(r, interp + (uint64_t)l->interpreter_state.modules, &modules, err);
    if (st == PA_OK && modules != 0)
        st = py_dict_get_str(r, l, modules, "threading", &threading, err);
    if (st == PA_OK && threading != 0)
        st = pa_read_u64(r, threading + (uint64_t)l->module_object.md_dict, &globals, err);
    if (st == PA_OK && globals != 0)
        st = py_dict_get_str(r, l, globals, "_active", &active, err);
    if (st == PA_OK && active != 0)
        st = py_dict_get_u64(r, l, active, pthread_id, &thread, err);
    if (st == PA_OK && thread != 0)
        st = py_object_get_attr(r, l, thread, "_name", &name, err);
    if (st != PA_OK || name == 0)
        return st;
    char *text = NULL;
    if ((st = py_read_string(r, l, name, &text, err)) != PA_OK)
        return st;
    copy_utf8(text, out, size);
    free(text);
    *found = true;
    return PA_OK;
}

bool py_thread_name(const struct py_process *p, const struct py_thread *t, char *out, size_t size)
{
    bool found = false;
    if (size == 0)
        return false;
    if (t->pthread_id != 0 &&
        py_threading_name(p->walker.reader, &p->runtime.layout, t->interp_addr, t->pthread_id, out, size, &found,
                          NULL) == PA_OK &&
        found)
        return true;
    /* Not a threading.Thread (or unreadable): what pyattach can tell otherwise. */
    pid_t pid = p->target.process.pid;
    if (t->tid == pid) {
        snprintf(out, size, "MainThread");
        return true;
    }
    char process_comm[32], thread_comm[32];
    if (t->tid <= 0 || !pa_thread_comm(pid, pid, process_comm, sizeof process_comm) ||
        !pa_thread_comm(pid, t->tid, thread_comm, sizeof thread_comm) || strcmp(process_comm, thread_comm) == 0)
        return false;
    snprintf(out, size, "%s", thread_comm);
    return true;
}
