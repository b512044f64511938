/* A synthetic CPython process for tests and fuzzers: runtime, interpreters, thread
 * states, frames, code objects and str/bytes objects laid out in a fake_memory by the
 * offsets and models of one struct py_layout only, so one builder serves 3.6 - 3.15. */
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

/* The minor versions of 3.x the builder knows (3.13+ through _Py_DebugOffsets). */
#define SYNTH_VERSION_COUNT 10
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
    unsigned frames_made;         /* 3.14+: every other frame's f_executable is tagged */
};

/* Sets up the runtime of 3.minor (3.6 ... 3.15): its layout, _PyRuntime (3.13+: with
 * a _Py_DebugOffsets image at its start that the layout is parsed from) or 3.6's
 * interp_head and _PyThreadState_Current, PyCode_Type, _Py_NoneStruct
 * (runtime.none_addr), and one interpreter with no threads. Fails only on an unknown
 * version or a layout the reader refuses. */
enum pa_status synth_init(struct synth_process *p, int minor, struct pa_error *err);
void synth_free(struct synth_process *p);

/* Real _Py_DebugOffsets images, for tests that corrupt them: 3.13.0's (584 bytes, as
 * read from the pyenv build's _PyRuntime), 3.14.8's (760) and 3.15.0's (888, Debian's
 * builds). */
#define SYNTH_DEBUG_OFFSETS_SIZE 584 /* 3.13's */
#define SYNTH_DEBUG_OFFSETS_3_14_SIZE 760
#define SYNTH_DEBUG_OFFSETS_3_15_SIZE 888
#define SYNTH_DEBUG_OFFSETS_MAX_SIZE 888
void synth_debug_offsets_3_13(uint8_t out[SYNTH_DEBUG_OFFSETS_SIZE]);
void synth_debug_offsets_3_14(uint8_t out[SYNTH_DEBUG_OFFSETS_3_14_SIZE]);
void synth_debug_offsets_3_15(uint8_t out[SYNTH_DEBUG_OFFSETS_3_15_SIZE]);
/* The image synth_init gives 3.minor, copied to out: its size, or 0 when 3.minor has
 * none or it does not fit in capacity bytes. */
size_t synth_debug_offsets(int minor, uint8_t *out, size_t capacity);

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
 * caller is previous; its fast locals are zero. 3.14+: f_executable is a _PyStackRef,
 * tagged (code | Py_TAG_REFCNT, a deferred or immortal reference) in every other frame
 * built and untagged (a strong reference) in the rest, as both occur in CPython. */
uint64_t synth_frame(struct synth_process *p, uint64_t code, int instr_offset, uint64_t previous);
/* >= 3.12: an entry frame (owner 3: FRAME_OWNED_BY_CSTACK in 3.12 and 3.13,
 * FRAME_OWNED_BY_INTERPRETER from 3.14), whose code is `code`; 3.14+: None
 * (PyStackRef_None, tagged) whatever `code` is, as _PyEval_EvalFrameDefault's. */
uint64_t synth_cstack_frame(struct synth_process *p, uint64_t code, uint64_t previous);
void synth_frame_set_previous(struct synth_process *p, uint64_t frame, uint64_t previous);
/* 3.14+: the frame keeps the tag bits its f_executable had. */
void synth_frame_set_code(struct synth_process *p, uint64_t frame, uint64_t code);
/* f_executable / f_code exactly as given: tag bits, NULL, None, garbage. */
void synth_frame_set_executable(struct synth_process *p, uint64_t frame, uint64_t bits);
uint64_t synth_frame_executable(struct synth_process *p, uint64_t frame);
/* 3.11+: the frame's owner byte (no-op before). */
void synth_frame_set_owner(struct synth_process *p, uint64_t frame, int owner);
void synth_frame_set_instr(struct synth_process *p, uint64_t frame, uint64_t code, int instr_offset);
void synth_frame_set_local(struct synth_process *p, uint64_t frame, int index, uint64_t value);
/* 3.11: the frame's is_entry byte (other versions have no such field: no-op). */
void synth_frame_set_is_entry(struct synth_process *p, uint64_t frame, int is_entry);

/* A new interpreter appended to the interpreter list. */
uint64_t synth_interpreter(struct synth_process *p);
/* 3.14+: interp->_code_object_generation, which CPython advances whenever it frees a
 * code object (no-op before: the field does not exist). */
void synth_set_code_generation(struct synth_process *p, uint64_t interp, uint64_t generation);

/* A thread state pushed at the head of interp's list (as CPython does), with kernel
 * TID tid (native_thread_id, or inside a fake struct pthread) and innermost frame
 * `frame` (3.11/3.12: through a _PyCFrame). 3.15: with its base frame (owner 3,
 * previous and f_executable NULL) right after the struct, as _PyThreadStateImpl
 * embeds it, pointed to by tstate->base_frame. */
uint64_t synth_thread(struct synth_process *p, uint64_t interp, pid_t tid, uint64_t frame);
/* Makes frame the thread's innermost frame. 3.15: the chain from frame is made to end
 * at the thread's base frame, as CPython's always does: its outermost frame is linked
 * to the base frame, through a new entry frame unless it is one (owner >= 3). A chain
 * that loops, cannot be read or already ends at the base frame is left as it is. */
void synth_thread_set_frame(struct synth_process *p, uint64_t tstate, uint64_t frame);
/* 3.11/3.12: the _PyCFrame the thread state points to (0 otherwise). */
uint64_t synth_thread_cframe(struct synth_process *p, uint64_t tstate);
/* 3.15: the thread's base frame (0 before). */
uint64_t synth_thread_base_frame(struct synth_process *p, uint64_t tstate);

/* Makes tstate the GIL holder of interp (0: the GIL is released), per gil_model. */
void synth_set_gil_holder(struct synth_process *p, uint64_t interp, uint64_t tstate);

/* A walker over this process with the given cache. */
struct py_walker synth_walker(struct synth_process *p, struct py_code_cache *codes);

#endif
