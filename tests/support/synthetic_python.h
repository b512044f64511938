/* A synthetic CPython process for tests and fuzzers: runtime, interpreters, thread
 * states, frames, code objects and str/bytes objects laid out in a fake_memory by the
 * offsets and models of one struct py_layout only, so one builder serves 3.6 - 3.13. */
#ifndef PYATTACH_SYNTHETIC_PYTHON_H
#define PYATTACH_SYNTHETIC_PYTHON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "attach/error.h"
#include "python_frames/code_cache.h"
#include "python_frames/runtime.h"
#include "python_frames/stack_walk.h"
#include "tests/support/fake_memory.h"

/* The minor versions of 3.x the builder knows (3.13 through _Py_DebugOffsets). */
#define SYNTH_VERSION_COUNT 8
extern const int synth_minor_versions[SYNTH_VERSION_COUNT];

/* glibc x86-64's offset of the TID in struct pthread, used for the fake pthreads of
 * versions without native_thread_id. */
#define SYNTH_PTHREAD_TID_OFFSET 720

/* Bytecode bytes given to every code object (3.11+: inline at co_code_adaptive). */
#define SYNTH_CODE_BYTES 512

#define SYNTH_MAX_CODES 64
#define SYNTH_MAX_INTERPS 8

struct synth_code_record {
    uint64_t addr;
    int nlocals;
};

struct synth_process {
    struct fake_memory memory;
    struct pa_reader reader;
    struct py_runtime runtime;
    char name[8];                 /* "3.11", for messages */
    uint64_t next_addr;           /* where the next object goes */
    uint64_t interps[SYNTH_MAX_INTERPS];
    size_t interp_count;
    uint64_t gils[SYNTH_MAX_INTERPS]; /* >= 3.12: each interpreter's _gil_runtime_state */
    struct synth_code_record codes[SYNTH_MAX_CODES];
    size_t code_count;
};

/* Sets up the runtime of 3.minor (3.6 ... 3.13): its layout, _PyRuntime (3.13: with
 * a _Py_DebugOffsets image at its start that the layout is parsed from) or 3.6's
 * interp_head and _PyThreadState_Current, PyCode_Type, and one interpreter with no
 * threads. Fails only on an unknown version or a layout the reader refuses. */
enum pa_status synth_init(struct synth_process *p, int minor, struct pa_error *err);
void synth_free(struct synth_process *p);

/* The 584-byte _Py_DebugOffsets of CPython 3.13.0 (as read from the pyenv build's
 * _PyRuntime), for tests that corrupt it. */
#define SYNTH_DEBUG_OFFSETS_SIZE 584
void synth_debug_offsets_3_13(uint8_t out[SYNTH_DEBUG_OFFSETS_SIZE]);

/* A new zeroed region of size bytes, with an unmapped gap after it. */
uint64_t synth_alloc(struct synth_process *p, size_t size);

/* A PEP 393 compact str holding the UTF-8 text: kind 1 (ASCII or Latin-1), 2 or 4,
 * chosen by the largest code point, as CPython does. */
uint64_t synth_str(struct synth_process *p, const char *utf8);
uint64_t synth_bytes(struct synth_process *p, const void *data, size_t len);

/* A line table in the layout's model that gives first_line to every instruction
 * before byte offset line_offset and `line` to those from it up to code_size. */
size_t synth_linetable(enum py_linetable_model model, int first_line, int line_offset, int line,
                       int code_size, uint8_t *out, size_t capacity);

struct synth_code_spec {
    const char *filename, *name, *qualname; /* qualname: 3.11+ only */
    int first_line;
    int line_offset; /* instructions from this byte offset on are on `line` */
    int line;
    int nlocals;
};
uint64_t synth_code(struct synth_process *p, const struct synth_code_spec *spec);

/* A frame running code at byte offset instr_offset (negative: not started), whose
 * caller is previous; its fast locals are zero. */
uint64_t synth_frame(struct synth_process *p, uint64_t code, int instr_offset, uint64_t previous);
/* >= 3.12: an entry frame owned by the C stack, whose code is `code`. */
uint64_t synth_cstack_frame(struct synth_process *p, uint64_t code, uint64_t previous);
void synth_frame_set_previous(struct synth_process *p, uint64_t frame, uint64_t previous);
void synth_frame_set_code(struct synth_process *p, uint64_t frame, uint64_t code);
void synth_frame_set_instr(struct synth_process *p, uint64_t frame, uint64_t code, int instr_offset);
void synth_frame_set_local(struct synth_process *p, uint64_t frame, int index, uint64_t value);
/* 3.11: the frame's is_entry byte (other versions have no such field: no-op). */
void synth_frame_set_is_entry(struct synth_process *p, uint64_t frame, int is_entry);

/* A new interpreter appended to the interpreter list. */
uint64_t synth_interpreter(struct synth_process *p);

/* A thread state pushed at the head of interp's list (as CPython does), with kernel
 * TID tid (native_thread_id, or inside a fake struct pthread) and innermost frame
 * `frame` (3.11/3.12: through a _PyCFrame). */
uint64_t synth_thread(struct synth_process *p, uint64_t interp, pid_t tid, uint64_t frame);
void synth_thread_set_frame(struct synth_process *p, uint64_t tstate, uint64_t frame);
/* 3.11/3.12: the _PyCFrame the thread state points to (0 otherwise). */
uint64_t synth_thread_cframe(struct synth_process *p, uint64_t tstate);

/* Makes tstate the GIL holder of interp (0: the GIL is released), per gil_model. */
void synth_set_gil_holder(struct synth_process *p, uint64_t interp, uint64_t tstate);

/* A walker over this process with the given cache. */
struct py_walker synth_walker(struct synth_process *p, struct py_code_cache *codes);

#endif
