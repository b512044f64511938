/* Finding CPython in a target: which mapped ELF holds the interpreter, its version
 * (and which rung of the ladder told us), its layout, and the runtime's addresses.
 * Resolved once at attach; everything after reads through this. */
#ifndef PYATTACH_RUNTIME_H
#define PYATTACH_RUNTIME_H

#include <limits.h>
#include <stdint.h>

#include "attach/error.h"
#include "attach/target.h"
#include "python_frames/layout.h"

/* 3.6 keeps its GIL in four statics, each a pthread mutex (40 bytes) or condition
 * variable (48) on x86-64 glibc. */
#define PY_GIL_STATICS 4
#define PY_GIL_STATIC_SIZE 48u

struct py_runtime {
    struct py_layout layout;      /* a copy of the built-in table, or filled from _Py_DebugOffsets */
    int major, minor, micro;      /* micro is -1 when no rung told it */
    char version_source[96];      /* e.g. "_Py_DebugOffsets", "Py_Version symbol", "file name libpython3.9.so.1.0" */
    char binary[PATH_MAX];        /* the mapped file holding the interpreter, as the target names it */
    uint64_t runtime_addr;        /* &_PyRuntime (3.7+) */
    uint64_t interp_head_addr;    /* &interp_head (3.6) */
    uint64_t tstate_current_addr; /* &_PyThreadState_Current (3.6) */
    uint64_t gil_statics[PY_GIL_STATICS]; /* 3.6: &gil_mutex, &gil_cond, &switch_mutex, &switch_cond
                                           * (ceval_gil.h's statics, .symtab only); 0 if unknown */
    uint64_t code_type_addr;      /* &PyCode_Type, to check that a frame's code is a code object; 0 if unknown */
    uint64_t none_addr;           /* &_Py_NoneStruct: an entry frame's f_executable (3.14+); 0 if unknown */
    int32_t pthread_tid_offset;   /* glibc's TID in struct pthread, for versions without native_thread_id */
};

/* PA_E_NOT_PYTHON names the files examined; PA_E_UNSUPPORTED names the version. */
enum pa_status py_runtime_locate(struct pa_target *target, struct py_runtime *runtime,
                                 struct pa_error *err);

/* "3.11.2", or "3.9" when the micro version is unknown. */
void py_runtime_version_string(const struct py_runtime *runtime, char *out, size_t size);

#endif
