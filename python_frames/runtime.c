/* Locating CPython in a target: the interpreter's ELF, its version, its layout. */
#include "python_frames/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach/elf_image.h"
#include "attach/pthread_tid.h"
#include "python_frames/debug_offsets.h"
#include "python_frames/version.h"

/* Symbols that mark the file holding the interpreter's state. */
struct runtime_symbols {
    uint64_t runtime, interp_head, tstate_current, py_version, code_type, none;
    uint64_t gil_statics[PY_GIL_STATICS];
    bool has_runtime, has_interp_head, has_tstate_current, has_py_version, has_code_type, has_none;
};

static bool find_runtime_symbols(const struct pa_elf_image *image, struct runtime_symbols *syms)
{
    memset(syms, 0, sizeof *syms);
    syms->has_runtime = pa_elf_symbol(image, "_PyRuntime", &syms->runtime, NULL) ||
                        pa_elf_section(image, ".PyRuntime", &syms->runtime, NULL);
    /* 3.6 has no _PyRuntime: interp_head is static (in .symtab only), while
     * _PyThreadState_Current is exported. */
    syms->has_interp_head = pa_elf_symbol(image, "interp_head", &syms->interp_head, NULL);
    syms->has_tstate_current = pa_elf_symbol(image, "_PyThreadState_Current", &syms->tstate_current, NULL);
    static const char *const gil_names[PY_GIL_STATICS] = {"gil_mutex", "gil_cond", "switch_mutex", "switch_cond"};
    for (size_t i = 0; i < PY_GIL_STATICS && syms->has_interp_head; i++)
        if (!pa_elf_symbol(image, gil_names[i], &syms->gil_statics[i], NULL))
            syms->gil_statics[i] = 0;
    syms->has_py_version = pa_elf_symbol(image, "Py_Version", &syms->py_version, NULL);
    syms->has_code_type = pa_elf_symbol(image, "PyCode_Type", &syms->code_type, NULL);
    syms->has_none = pa_elf_symbol(image, "_Py_NoneStruct", &syms->none, NULL);
    return syms->has_runtime || syms->has_interp_head || syms->has_tstate_current;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Candidate files in the order worth trying: libpython, the executable, anything
 * named like python or uwsgi (its python plugin), then every other mapped file. */
static int candidate_rank(const char *path, const char *exe)
{
    const char *base = base_name(path);
    if (strncmp(base, "libpython", 9) == 0)
        return 0;
    if (strcmp(path, exe) == 0)
        return 1;
    if (strstr(base, "python") || strstr(base, "uwsgi"))
        return 2;
    return 3;
}

static bool already_listed(const struct pa_maps *maps, size_t index)
{
    for (size_t i = 0; i < index; i++)
        if (strcmp(maps->items[i].path, maps->items[index].path) == 0)
            return true;
    return false;
}

/* Opens the mapped file that holds the interpreter (read from the host through
 * /proc/PID/root) and names it in `mapped_as` as the target sees it. */
static enum pa_status open_interpreter_file(struct pa_target *target, struct pa_elf_image *image,
                                            struct runtime_symbols *syms, char *mapped_as, size_t size,
                                            struct pa_error *err)
{
    const struct pa_maps *maps = &target->maps;
    for (int rank = 0; rank <= 3; rank++) {
        for (size_t i = 0; i < maps->count; i++) {
            const char *path = maps->items[i].path;
            if (path[0] != '/' || already_listed(maps, i) ||
                candidate_rank(path, target->process.exe) != rank)
                continue;
            char host_path[PATH_MAX + 32];
            pa_process_host_path(target->process.pid, path, host_path, sizeof host_path);
            if (pa_elf_open(host_path, image, NULL) != PA_OK)
                continue;
            if (find_runtime_symbols(image, syms) && pa_elf_compute_bias(image, maps, path, err) == PA_OK) {
                snprintf(mapped_as, size, "%s", path);
                return PA_OK;
            }
            pa_elf_close(image);
        }
    }
    return pa_fail(err, PA_E_NOT_PYTHON,
                   "PID %d is not a CPython process: no mapped file defines _PyRuntime or interp_head "
                   "(examined %s and its libraries)", (int)target->process.pid, target->process.exe);
}

static void set_version(struct py_runtime *rt, const struct py_version *v, const char *source)
{
    rt->major = v->major;
    rt->minor = v->minor;
    rt->micro = v->micro;
    snprintf(rt->version_source, sizeof rt->version_source, "%s", source);
}

/* The ladder: _Py_DebugOffsets cookie, Py_Version, file name, version string. */
static bool detect_version(struct pa_target *target, const struct pa_elf_image *image,
                           const struct runtime_symbols *syms, struct py_runtime *rt,
                           uint8_t *debug_offsets, bool *has_debug_offsets)
{
    struct py_version v;
    uint32_t hex;
    *has_debug_offsets = false;
    if (rt->runtime_addr &&
        pa_read(&target->reader, rt->runtime_addr, debug_offsets, PY_DEBUG_OFFSETS_READ_SIZE, NULL) == PA_OK &&
        py_debug_offsets_present(debug_offsets, PY_DEBUG_OFFSETS_READ_SIZE, &hex) &&
        py_version_from_hex(hex, &v)) {
        *has_debug_offsets = true;
        set_version(rt, &v, "_Py_DebugOffsets");
        return true;
    }
    uint64_t value = 0;
    if (syms->has_py_version &&
        (pa_elf_read_vaddr(image, syms->py_version, &value, sizeof value) ||
         pa_read_u64(&target->reader, syms->py_version + image->load_bias, &value, NULL) == PA_OK) &&
        py_version_from_hex((uint32_t)value, &v)) {
        set_version(rt, &v, "Py_Version symbol");
        return true;
    }
    char source[96];
    if (py_version_from_filename(rt->binary, &v) ||
        py_version_from_filename(target->process.exe, &v)) {
        struct py_version literal;
        if (py_version_from_rodata(image, &literal) && literal.major == v.major && literal.minor == v.minor)
            v.micro = literal.micro;
        snprintf(source, sizeof source, "file name %.80s", base_name(rt->binary));
        set_version(rt, &v, source);
        return true;
    }
    if (py_version_from_rodata(image, &v)) {
        set_version(rt, &v, "version string in the binary");
        return true;
    }
    return false;
}

static enum pa_status choose_layout(struct py_runtime *rt, const uint8_t *debug_offsets,
                                    bool has_debug_offsets, struct pa_error *err)
{
    char version[32];
    py_runtime_version_string(rt, version, sizeof version);
    if (has_debug_offsets)
        return py_layout_from_debug_offsets(debug_offsets, PY_DEBUG_OFFSETS_READ_SIZE, &rt->layout, err);
    const struct py_layout *table = py_layout_for_version(rt->major, rt->minor);
    if (table == NULL)
        return pa_fail(err, PA_E_UNSUPPORTED,
                       "CPython %s (from %s) is not supported: pyattach reads 3.6 to 3.12, and 3.13 to 3.15 "
                       "through _Py_DebugOffsets", version, rt->version_source);
    rt->layout = *table;
    return PA_OK;
}

enum pa_status py_runtime_locate(struct pa_target *target, struct py_runtime *rt, struct pa_error *err)
{
    memset(rt, 0, sizeof *rt);
    struct pa_elf_image image;
    struct runtime_symbols syms;
    enum pa_status status = open_interpreter_file(target, &image, &syms, rt->binary, sizeof rt->binary, err);
    if (status != PA_OK)
        return status;

    if (syms.has_runtime)
        rt->runtime_addr = syms.runtime + image.load_bias;
    if (syms.has_interp_head)
        rt->interp_head_addr = syms.interp_head + image.load_bias;
    if (syms.has_tstate_current)
        rt->tstate_current_addr = syms.tstate_current + image.load_bias;
    for (size_t i = 0; i < PY_GIL_STATICS; i++)
        if (syms.gil_statics[i] != 0)
            rt->gil_statics[i] = syms.gil_statics[i] + image.load_bias;
    if (syms.has_code_type)
        rt->code_type_addr = syms.code_type + image.load_bias;
    if (syms.has_none)
        rt->none_addr = syms.none + image.load_bias;

    uint8_t *debug_offsets = malloc(PY_DEBUG_OFFSETS_READ_SIZE);
    bool has_debug_offsets = false;
    if (debug_offsets == NULL) {
        pa_elf_close(&image);
        return pa_fail(err, PA_E_NOMEM, "out of memory");
    }
    if (!detect_version(target, &image, &syms, rt, debug_offsets, &has_debug_offsets))
        status = pa_fail(err, PA_E_UNSUPPORTED, "cannot tell the CPython version of %s (PID %d)",
                         rt->binary, (int)target->process.pid);
    else
        status = choose_layout(rt, debug_offsets, has_debug_offsets, err);
    free(debug_offsets);
    pa_elf_close(&image);
    if (status != PA_OK)
        return status;

    if (rt->layout.runtime_model == PY_RUNTIME_PYRUNTIME && rt->runtime_addr == 0)
        return pa_fail(err, PA_E_NOT_PYTHON, "%s has no _PyRuntime symbol", rt->binary);
    if (rt->layout.runtime_model == PY_RUNTIME_INTERP_HEAD_SYMBOL && rt->interp_head_addr == 0)
        return pa_fail(err, PA_E_UNSUPPORTED,
                       "CPython %d.%d in %s: interp_head is not in its symbol table (stripped?)",
                       rt->major, rt->minor, rt->binary);
    rt->pthread_tid_offset = rt->layout.thread_state.native_thread_id == PY_NO_FIELD
                                 ? pa_pthread_tid_offset()
                                 : -1;
    return PA_OK;
}

void py_runtime_version_string(const struct py_runtime *rt, char *out, size_t size)
{
    if (rt->micro >= 0)
        snprintf(out, size, "%d.%d.%d", rt->major, rt->minor, rt->micro);
    else
        snprintf(out, size, "%d.%d", rt->major, rt->minor);
}
