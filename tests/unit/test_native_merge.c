/* Unit tests for the merge rule (unwind/merge.c): native stacks and Python stacks built
 * by hand, shaped as each CPython version lays them out, merged into one stack. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unwind/merge.h"

/* ---- building stacks: native frames by name, Python frames by name + entry flag ---- */

#define MAX 64

struct scenario {
    struct pa_native_pc pcs[MAX];
    struct pa_native_symbol syms[MAX];
    const struct pa_native_symbol *names[MAX];
    size_t native;
    struct py_code_info codes[MAX];
    struct py_stack *python;
    struct pa_frame out[MAX];
    struct pa_merge_ident idents[MAX];
    struct pa_merge_result result;
};

/* Native frames, innermost first: "py:NAME" is inside the interpreter's ELF, "ext:NAME"
 * in an extension module, "libc:NAME" in libc. */
static void native(struct scenario *s, const char *spec)
{
    struct pa_native_symbol *sym = &s->syms[s->native];
    const char *colon = strchr(spec, ':');
    static const char *modules[] = {"libpython3.11.so.1.0", "native_ext.so", "libc.so.6"};
    sym->module = strncmp(spec, "py:", 3) == 0 ? modules[0] : strncmp(spec, "ext:", 4) == 0 ? modules[1] : modules[2];
    sym->interpreter = strncmp(spec, "py:", 3) == 0;
    sym->function = colon + 1;
    s->pcs[s->native] = (struct pa_native_pc){
        .pc = 0x1000 + s->native, .sp = 0x7ff000 + 64 * s->native, .cfa = 0x7ff000 + 64 * (s->native + 1)};
    sym->start = 0x1000 + 0x100 * s->native;
    s->names[s->native] = sym;
    s->native++;
}

/* Python frames, innermost first: "*name" is an entry frame. */
static void python(struct scenario *s, const char *spec)
{
    struct py_stack *py = s->python;
    struct py_code_info *code = &s->codes[py->depth];
    bool entry = spec[0] == '*';
    memset(code, 0, sizeof *code);
    code->qualname = (char *)(entry ? spec + 1 : spec); /* never written through */
    code->name = code->qualname;
    code->filename = "app.py";
    code->first_line = 10 + (int)py->depth;
    struct py_frame *f = &py->frames[py->depth++];
    memset(f, 0, sizeof *f);
    f->code = code;
    f->line = 100 + (int)py->depth;
    f->call_id = 0xabc0 + py->depth;
    f->is_entry = entry;
}

static int setup(void **state)
{
    struct scenario *s = calloc(1, sizeof *s);
    s->python = py_stack_new(PY_DEFAULT_MAX_DEPTH);
    *state = s;
    return s && s->python ? 0 : -1;
}

static int teardown(void **state)
{
    struct scenario *s = *state;
    free(s->python);
    free(s);
    return 0;
}

static void merge(struct scenario *s, bool native_all, bool truncated)
{
    struct pa_merge_input in = {.pcs = s->pcs,
                                .symbols = s->names,
                                .native_count = s->native,
                                .native_truncated = truncated,
                                .python = s->python,
                                .native_all = native_all,
                                .idents = s->idents};
    pa_merge_stacks(&in, s->out, MAX, &s->result);
}

/* The merged stack as "f1 f2 ...", innermost first; native frames as "function@module". */
static void expect(const struct scenario *s, const char *want)
{
    char got[2048] = "";
    for (size_t i = 0; i < s->result.depth; i++) {
        const struct pa_frame *f = &s->out[i];
        if (i)
            strcat(got, " ");
        strcat(got, f->function);
        if (strcmp(f->filename, "app.py") != 0) {
            strcat(got, "@");
            strcat(got, f->filename);
        }
    }
    assert_string_equal(got, want);
}

/* The Python frame at index i (an entry frame) has its entry frame inside native frame n's
 * part of the C stack, as 3.12+'s _PyEval_EvalFrameDefault keeps it. */
static void entry_on_c_stack_of(struct scenario *s, size_t i, size_t n)
{
    s->python->frames[i].entry_frame_addr = s->pcs[n].sp + 16;
}

/* ---- the rule per version ---- */

/* <= 3.10: each eval frame runs exactly one Python frame (all are entry frames). */
static void one_frame_per_eval_loop(void **state)
{
    struct scenario *s = *state;
    native(s, "ext:spin");
    native(s, "py:cfunction_call");
    native(s, "py:_PyEval_EvalFrameDefault");
    native(s, "py:_PyFunction_Vectorcall");
    native(s, "py:_PyEval_EvalFrameDefault");
    native(s, "py:PyObject_Call");
    native(s, "ext:call_python");
    native(s, "py:_PyEval_EvalFrameDefault");
    native(s, "py:PyEval_EvalFrameEx"); /* 3.6's wrapper: plumbing, not a second frame */
    native(s, "py:_PyEval_EvalFrameDefault");
    native(s, "py:Py_RunMain");
    native(s, "libc:__libc_start_main");
    python(s, "*level3");
    python(s, "*level2");
    python(s, "*level1");
    python(s, "*<module>");
    merge(s, false, false);
    expect(s, "spin@native_ext.so level3 level2 call_python@native_ext.so level1 <module>");
    assert_false(s->result.incomplete);
    assert_int_equal(s->result.eval_frames, 4);
}

/* 3.11+: Python-to-Python calls stay inside one eval frame, which takes the frames up
 * to and including the next entry frame. */
static void eval_frame_takes_up_to_entry(void **state)
{
    struct scenario *s = *state;
    native(s, "libc:__memcpy_avx");
    native(s, "ext:spin");
    native(s, "py:_PyEval_EvalFrameDefault");
    native(s, "py:_PyFunction_Vectorcall");
    native(s, "ext:call_python");
    native(s, "py:_PyEval_EvalFrameDefault");
    native(s, "py:main");
    python(s, "inner");
    python(s, "*callback");
    python(s, "level2");
    python(s, "level1");
    python(s, "*<module>");
    merge(s, false, false);
    expect(s, "__memcpy_avx@libc.so.6 spin@native_ext.so inner callback call_python@native_ext.so "
              "level2 level1 <module>");
    assert_false(s->result.incomplete);
    /* Python frames keep their own call ids; native frames get one. */
    assert_int_equal(s->out[2].call_id, 0xabc1);
    assert_int_not_equal(s->out[0].call_id, 0);
    assert_int_not_equal(s->out[0].call_id, s->out[1].call_id);
}

static void native_all_keeps_plumbing(void **state)
{
    struct scenario *s = *state;
    native(s, "ext:spin");
    native(s, "py:cfunction_call");
    native(s, "py:_PyEval_EvalFrameDefault");
    native(s, "py:main");
    python(s, "f");
    python(s, "*<module>");
    merge(s, true, false);
    expect(s, "spin@native_ext.so cfunction_call@libpython3.11.so.1.0 f <module> main@libpython3.11.so.1.0");
    assert_false(s->result.incomplete);
}

/* GCC's split-off cold part of the eval loop is still the eval loop; a lookalike name in
 * another module is not. */
static void eval_frame_names(void **state)
{
    (void)state;
    struct pa_native_symbol sym = {.module = "python3.11", .interpreter = true};
    sym.function = "_PyEval_EvalFrameDefault";
    assert_true(pa_merge_is_eval_frame(&sym));
    sym.function = "_PyEval_EvalFrameDefault.cold";
    assert_true(pa_merge_is_eval_frame(&sym));
    sym.function = "_PyEval_EvalFrameDefaultX";
    assert_false(pa_merge_is_eval_frame(&sym));
    sym.function = "PyEval_EvalFrameEx";
    assert_false(pa_merge_is_eval_frame(&sym));
    sym.function = "_PyEval_EvalFrameDefault";
    sym.interpreter = false;
    assert_false(pa_merge_is_eval_frame(&sym));
}

/* 3.14+ built with --with-tail-call-interp: each opcode handler is a function, with an
 * LTO suffix in 3.14 and none in 3.15; only in the interpreter's own ELF. */
static void tail_call_names(void **state)
{
    (void)state;
    struct pa_native_symbol sym = {.module = "libpython3.14.so.1.0", .interpreter = true};
    sym.function = "_TAIL_CALL_BINARY_OP.llvm.12345678901234567";
    assert_true(pa_merge_is_eval_frame(&sym));
    sym.function = "_TAIL_CALL_BINARY_OP";
    assert_true(pa_merge_is_eval_frame(&sym));
    sym.function = "_TAIL_CALL_error";
    assert_true(pa_merge_is_eval_frame(&sym));
    sym.function = "_TAIL_CALL_";
    assert_false(pa_merge_is_eval_frame(&sym));
    sym.function = "TAIL_CALL_BINARY_OP";
    assert_false(pa_merge_is_eval_frame(&sym));
    sym.function = "_TAIL_CALL_BINARY_OP";
    sym.module = "native_ext.so";
    sym.interpreter = false;
    assert_false(pa_merge_is_eval_frame(&sym));
}

/* 3.14: the handler running the opcode sits right inside _PyEval_EvalFrameDefault; both
 * are one eval call, for one entry frame. --native-all keeps the handler, inside it. */
static void tail_call_frames_are_one_eval_call(void **state)
{
    struct scenario *s = *state;
    native(s, "ext:matrix_add");
    native(s, "py:_TAIL_CALL_BINARY_OP.llvm.123");
    native(s, "py:_PyEval_EvalFrameDefault");
    native(s, "py:PyEval_EvalCode");
    native(s, "py:main");
    python(s, "compute");
    python(s, "*<module>");
    merge(s, false, false);
    expect(s, "matrix_add@native_ext.so compute <module>");
    assert_false(s->result.incomplete);
    assert_int_equal(s->result.eval_frames, 2);
    assert_int_equal(s->result.eval_calls, 1);
    assert_int_equal(s->result.entry_frames, 1);
    merge(s, true, false);
    expect(s, "matrix_add@native_ext.so _TAIL_CALL_BINARY_OP.llvm.123@libpython3.11.so.1.0 compute <module> "
              "PyEval_EvalCode@libpython3.11.so.1.0 main@libpython3.11.so.1.0");
    assert_false(s->result.incomplete);
}

/* 3.15 (no suffix), Python -> C -> Python: the extension frame between the two eval
 * calls' Python frames; several handler frames in a row are still one eval call. */
static void tail_calls_python_c_python(void **state)
{
    struct scenario *s = *state;
    native(s, "ext:spin");
    native(s, "py:_TAIL_CALL_CALL_BUILTIN_FAST");
    native(s, "py:_PyEval_EvalFrameDefault");
    native(s, "py:_PyFunction_Vectorcall");
    native(s, "ext:call_python");
    native(s, "py:_TAIL_CALL_CALL");
    native(s, "py:_TAIL_CALL_error");
    native(s, "py:_PyEval_EvalFrameDefault");
    native(s, "py:Py_RunMain");
    native(s, "libc:__libc_start_main");
    python(s, "inner");
    python(s, "*callback");
    python(s, "level2");
    python(s, "level1");
    python(s, "*<module>");
    merge(s, false, false);
    expect(s, "spin@native_ext.so inner callback call_python@native_ext.so level2 level1 <module>");
    assert_false(s->result.incomplete);
    assert_false(s->result.mismatch);
    assert_int_equal(s->result.eval_calls, 2);
}

/* Two _PyEval_EvalFrameDefault frames are two eval calls even when adjacent (the C
 * between them compiled to jumps): each takes its own entry frame. */
static void adjacent_eval_functions_are_two_calls(void **state)
{
    struct scenario *s = *state;
    native(s, "py:_TAIL_CALL_LOAD_ATTR.llvm.7");
    native(s, "py:_PyEval_EvalFrameDefault");
    native(s, "py:_TAIL_CALL_CALL.llvm.8");
    native(s, "py:_PyEval_EvalFrameDefault");
    python(s, "getter");
    python(s, "*wrapper");
    python(s, "*<module>");
    merge(s, false, false);
    expect(s, "getter wrapper <module>");
    assert_false(s->result.incomplete);
    assert_int_equal(s->result.eval_calls, 2);
}

/* ---- what cannot be placed is not invented ---- */

/* The native unwind stopped early: the Python frames no eval frame claimed are appended
 * outermost, and the sample says it is incomplete. */
static void unplaced_python_frames(void **state)
{
    struct scenario *s = *state;
    native(s, "ext:spin");
    native(s, "py:_PyEval_EvalFrameDefault");
    python(s, "*f");
    python(s, "*g");
    python(s, "*<module>");
    merge(s, false, true);
    expect(s, "spin@native_ext.so f g <module>");
    assert_true(s->result.incomplete);
    assert_int_equal(s->result.unplaced, 2);
}

/* An eval call with no Python frame left from a complete walk (caught between the C call
 * and the frame's push): which eval call is the extra one is unknown, so the Python
 * frames alone, marked incomplete. */
static void eval_frame_without_python(void **state)
{
    struct scenario *s = *state;
    native(s, "py:_PyEval_EvalFrameDefault");
    native(s, "ext:call_python");
    native(s, "py:_PyEval_EvalFrameDefault");
    python(s, "*<module>");
    merge(s, false, false);
    expect(s, "<module>");
    assert_true(s->result.incomplete);
    assert_true(s->result.mismatch);
}

/* Two eval calls, one entry frame, both walks complete: no native frame is placed by
 * guess, not even with --native-all. Python frames keep their call ids. */
static void tail_call_mismatch_gives_python_stack(void **state)
{
    struct scenario *s = *state;
    native(s, "ext:spin");
    native(s, "py:_TAIL_CALL_CALL.llvm.9");
    native(s, "py:_PyEval_EvalFrameDefault");
    native(s, "py:_PyFunction_Vectorcall");
    native(s, "ext:call_python");
    native(s, "py:_TAIL_CALL_CALL.llvm.9");
    native(s, "py:_PyEval_EvalFrameDefault");
    native(s, "py:main");
    python(s, "inner");
    python(s, "level1");
    python(s, "*<module>");
    merge(s, false, false);
    expect(s, "inner level1 <module>");
    assert_true(s->result.incomplete);
    assert_true(s->result.mismatch);
    assert_int_equal(s->result.eval_calls, 2);
    assert_int_equal(s->result.entry_frames, 1);
    assert_int_equal(s->out[0].call_id, 0xabc1);
    merge(s, true, false);
    expect(s, "inner level1 <module>");
    assert_true(s->result.mismatch);
}

/* Python frames left over although the unwind was complete: an eval frame went
 * unrecognised somewhere, so where they belong is a guess. */
static void leftover_python_frames_after_complete_unwind(void **state)
{
    struct scenario *s = *state;
    native(s, "ext:spin");
    native(s, "py:_PyEval_EvalFrameDefault");
    native(s, "py:main");
    python(s, "*f");
    python(s, "*<module>");
    merge(s, false, false);
    expect(s, "f <module>");
    assert_true(s->result.incomplete);
    assert_true(s->result.mismatch);
}

/* The Python walk stopped early: the outer eval calls have no Python frames, which is no
 * mismatch; the inner ones merge as usual. */
static void python_walk_stopped_early(void **state)
{
    struct scenario *s = *state;
    native(s, "ext:spin");
    native(s, "py:_TAIL_CALL_CALL_BUILTIN_O");
    native(s, "py:_PyEval_EvalFrameDefault");
    native(s, "ext:call_python");
    native(s, "py:_PyEval_EvalFrameDefault");
    native(s, "ext:outer_c");
    native(s, "py:_PyEval_EvalFrameDefault");
    python(s, "inner");
    python(s, "*callback");
    python(s, "level2"); /* the walk stopped here, before level2's entry frame */
    s->python->incomplete = true;
    merge(s, false, false);
    expect(s, "spin@native_ext.so inner callback call_python@native_ext.so level2 outer_c@native_ext.so");
    assert_true(s->result.incomplete);
    assert_false(s->result.mismatch);
}

static void no_native_frames(void **state)
{
    struct scenario *s = *state;
    python(s, "*f");
    merge(s, false, true);
    expect(s, "f");
    assert_true(s->result.incomplete);
}

static void depth_cap(void **state)
{
    struct scenario *s = *state;
    native(s, "ext:spin");
    native(s, "py:_PyEval_EvalFrameDefault");
    python(s, "*f");
    struct pa_merge_input in = {.pcs = s->pcs, .symbols = s->names, .native_count = s->native,
                                .python = s->python, .idents = s->idents};
    pa_merge_stacks(&in, s->out, 1, &s->result);
    assert_int_equal(s->result.depth, 1);
    assert_true(s->result.incomplete);
}

/* ---- process and thread start frames: plumbing at the outer end only ---- */

static void start_frames_dropped_outermost(void **state)
{
    struct scenario *s = *state;
    native(s, "libc:clone"); /* os.fork() -> clone: a call, not the thread's start */
    native(s, "py:_PyEval_EvalFrameDefault");
    native(s, "py:thread_run");
    native(s, "libc:start_thread");
    native(s, "libc:clone3");
    python(s, "worker");
    python(s, "*_bootstrap");
    merge(s, false, false);
    expect(s, "clone@libc.so.6 worker _bootstrap");
    assert_false(s->result.incomplete);
}

static void start_frames_and_unplaced_frames(void **state)
{
    struct scenario *s = *state;
    native(s, "libc:__libc_start_call_main");
    native(s, "libc:__libc_start_main");
    native(s, "py:_start");
    python(s, "*<module>");
    merge(s, false, true);
    /* The unwind missed the eval loop: still rooted at <module>, like a complete sample. */
    expect(s, "<module>");
    assert_true(s->result.incomplete);
}

static void native_all_keeps_start_frames(void **state)
{
    struct scenario *s = *state;
    native(s, "py:_PyEval_EvalFrameDefault");
    native(s, "libc:__libc_start_call_main");
    native(s, "libc:__libc_start_main");
    python(s, "*<module>");
    merge(s, true, false);
    expect(s, "<module> __libc_start_call_main@libc.so.6 __libc_start_main@libc.so.6");
}

/* ---- native call ids ---- */

static uint64_t leaf_id(struct scenario *s)
{
    merge(s, false, false);
    return s->out[0].call_id;
}

/* The innermost frame's SP moves within one activation; its CFA does not. A new CFA or
 * a new instruction in the calling Python frame is a new call. */
static void native_call_ids(void **state)
{
    struct scenario *s = *state;
    native(s, "libc:clock_gettime");
    native(s, "py:_PyEval_EvalFrameDefault");
    python(s, "*spin");
    uint64_t first = leaf_id(s);
    assert_int_not_equal(first, 0);
    s->pcs[0].sp -= 16;
    s->pcs[0].pc += 4;
    assert_int_equal(leaf_id(s), first);
    s->pcs[0].cfa += 32;
    assert_int_not_equal(leaf_id(s), first);
    s->pcs[0].cfa -= 32;
    s->python->frames[0].instr_offset += 2;
    assert_int_not_equal(leaf_id(s), first);
    s->python->frames[0].instr_offset -= 2;
    assert_int_equal(leaf_id(s), first);
    s->syms[0].start += 0x40; /* another function at the same CFA */
    assert_int_not_equal(leaf_id(s), first);
}

/* Debian's stripped 3.14/3.15: the eval loop runs in "_PyEval_EvalFrameDefault.cold",
 * whose name is gone; the frames that hold the entry frames are the eval calls. An
 * unnamed libc frame at the outer end is __libc_start_call_main. */
static void unnamed_eval_loop_found_by_its_entry_frame(void **state)
{
    struct scenario *s = *state;
    native(s, "ext:hot_loop");
    native(s, "py:0x1b61cd"); /* the C function's method wrapper: plumbing */
    native(s, "py:0x4e41a");  /* the eval loop (cold part) running level2 */
    native(s, "py:0x1c8c67");
    native(s, "ext:call_python");
    native(s, "py:0x173000"); /* the eval loop running level1, main, <module> */
    native(s, "py:PyEval_EvalCode");
    native(s, "libc:0x29c37"); /* __libc_start_call_main, stripped */
    native(s, "libc:__libc_start_main");
    native(s, "py:_start");
    python(s, "*level2");
    python(s, "level1");
    python(s, "main");
    python(s, "*<module>");
    entry_on_c_stack_of(s, 0, 2);
    entry_on_c_stack_of(s, 3, 5);
    merge(s, false, false);
    expect(s, "hot_loop@native_ext.so level2 call_python@native_ext.so level1 main <module>");
    assert_false(s->result.incomplete);
    assert_false(s->result.mismatch);
    assert_int_equal(s->result.eval_calls, 2);

    /* Without the entry frames' addresses nothing names the eval loop: a mismatch, never
     * a guess. */
    s->python->frames[0].entry_frame_addr = 0;
    s->python->frames[3].entry_frame_addr = 0;
    merge(s, false, false);
    expect(s, "level2 level1 main <module>");
    assert_true(s->result.mismatch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(one_frame_per_eval_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(eval_frame_takes_up_to_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(native_all_keeps_plumbing, setup, teardown),
        cmocka_unit_test(eval_frame_names),
        cmocka_unit_test(tail_call_names),
        cmocka_unit_test_setup_teardown(tail_call_frames_are_one_eval_call, setup, teardown),
        cmocka_unit_test_setup_teardown(tail_calls_python_c_python, setup, teardown),
        cmocka_unit_test_setup_teardown(adjacent_eval_functions_are_two_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(unplaced_python_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(eval_frame_without_python, setup, teardown),
        cmocka_unit_test_setup_teardown(tail_call_mismatch_gives_python_stack, setup, teardown),
        cmocka_unit_test_setup_teardown(leftover_python_frames_after_complete_unwind, setup, teardown),
        cmocka_unit_test_setup_teardown(python_walk_stopped_early, setup, teardown),
        cmocka_unit_test_setup_teardown(no_native_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(depth_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(start_frames_dropped_outermost, setup, teardown),
        cmocka_unit_test_setup_teardown(start_frames_and_unplaced_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(native_all_keeps_start_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(native_call_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(unnamed_eval_loop_found_by_its_entry_frame, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
