/* Unit tests for output/profile_aggregate.c: the cProfile numbers that samples turn
 * into — tottime at the leaf, cumtime once per sample under recursion, caller edges,
 * and call counts from call ids (a call seen in consecutive samples counts once). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "output/profile_aggregate.h"

/* A frame written root-first in the tests: function name and call id; every function
 * lives in "app.py" at a first line derived from its name. */
struct f {
    const char *name;
    uint64_t call;
};

static int first_line(const char *name)
{
    int line = 1;
    for (const char *c = name; *c; c++)
        line = (line * 31 + *c) % 997;
    return line + 1;
}

/* Adds one sample; frames given root first, as one reads a stack. */
static void add(struct pa_aggregate *agg, int tid, double weight, bool incomplete,
                const struct f *frames, size_t depth)
{
    struct pa_frame *fr = calloc(depth ? depth : 1, sizeof *fr);
    assert_non_null(fr);
    for (size_t i = 0; i < depth; i++) {
        const struct f *src = &frames[depth - 1 - i]; /* frames[0] is the leaf */
        bool builtin = src->name[0] == '<';
        fr[i] = (struct pa_frame){
            .filename = builtin ? "~" : "app.py",
            .function = src->name,
            .first_line = builtin ? 0 : first_line(src->name),
            .line = 0,
            .call_id = src->call,
        };
    }
    struct pa_stack stack = {.pid = 1, .tid = tid, .weight = weight, .incomplete = incomplete,
                             .depth = depth, .frames = fr};
    struct pa_error err;
    assert_int_equal(pa_aggregate_add(agg, &stack, &err), PA_OK);
    free(fr);
}

#define ADD(agg, tid, w, ...)                                                           \
    do {                                                                                \
        const struct f frames_[] = {__VA_ARGS__};                                       \
        add(agg, tid, w, false, frames_, sizeof frames_ / sizeof frames_[0]);           \
    } while (0)

static const struct pa_pfunc *fn(const struct pa_aggregate *agg, const char *name)
{
    const struct pa_profile *p = &agg->profile;
    for (uint32_t i = 0; i < p->nfuncs; i++) {
        if (strcmp(pa_strtab_text(&p->strings, p->funcs[i].name), name) == 0)
            return &p->funcs[i];
    }
    fail_msg("no function %s", name);
    return NULL;
}

static const struct pa_pedge *edge(const struct pa_aggregate *agg, const char *caller,
                                   const char *callee)
{
    const struct pa_profile *p = &agg->profile;
    for (uint32_t i = 0; i < p->nedges; i++) {
        const struct pa_pedge *e = &p->edges[i];
        if (strcmp(pa_strtab_text(&p->strings, p->funcs[e->caller].name), caller) == 0 &&
            strcmp(pa_strtab_text(&p->strings, p->funcs[e->callee].name), callee) == 0)
            return e;
    }
    fail_msg("no edge %s -> %s", caller, callee);
    return NULL;
}

static void assert_func(const struct pa_aggregate *agg, const char *name, int64_t nc, int64_t cc,
                        double tt, double ct)
{
    const struct pa_pfunc *f = fn(agg, name);
    if (f->nc != nc || f->cc != cc)
        fail_msg("%s: calls %lld/%lld, expected %lld/%lld", name, (long long)f->nc,
                 (long long)f->cc, (long long)nc, (long long)cc);
    assert_float_equal(f->tt, tt, 1e-12);
    assert_float_equal(f->ct, ct, 1e-12);
    assert_true(f->has_stats);
}

static void assert_edge(const struct pa_aggregate *agg, const char *caller, const char *callee,
                        int64_t nc, int64_t cc, double tt, double ct)
{
    const struct pa_pedge *e = edge(agg, caller, callee);
    if (e->nc != nc || e->cc != cc)
        fail_msg("%s -> %s: calls %lld/%lld, expected %lld/%lld", caller, callee,
                 (long long)e->nc, (long long)e->cc, (long long)nc, (long long)cc);
    assert_float_equal(e->tt, tt, 1e-12);
    assert_float_equal(e->ct, ct, 1e-12);
}

static int setup(void **state)
{
    struct pa_aggregate *agg = malloc(sizeof *agg);
    pa_aggregate_init(agg);
    *state = agg;
    return 0;
}

static int teardown(void **state)
{
    pa_aggregate_free(*state);
    free(*state);
    return 0;
}

/* main -> a -> b -> a -> b in one sample: cumtime once per function and per edge,
 * one primitive call each and one recursive call each. */
static void recursion_counted_once(void **state)
{
    struct pa_aggregate *agg = *state;
    ADD(agg, 1, 0.25, {"main", 1}, {"a", 2}, {"b", 3}, {"a", 4}, {"b", 5});
    assert_func(agg, "main", 1, 1, 0, 0.25);
    assert_func(agg, "a", 2, 1, 0, 0.25);
    assert_func(agg, "b", 2, 1, 0.25, 0.25);
    assert_edge(agg, "main", "a", 1, 1, 0, 0.25);
    assert_edge(agg, "a", "b", 2, 1, 0.25, 0.25); /* the inner a->b is a recursive edge call */
    assert_edge(agg, "b", "a", 1, 1, 0, 0.25);
    assert_int_equal(agg->profile.nedges, 3);
    assert_null(agg->profile.funcs[0].callers_head == PA_INDEX_NONE ? NULL : "main has callers");
}

/* Direct recursion f -> f -> f: cProfile prints "3/1" and counts cumtime once. */
static void direct_recursion(void **state)
{
    struct pa_aggregate *agg = *state;
    ADD(agg, 1, 1.0, {"main", 1}, {"f", 2}, {"f", 3}, {"f", 4});
    ADD(agg, 1, 1.0, {"main", 1}, {"f", 2}, {"f", 3});
    assert_func(agg, "f", 3, 1, 2.0, 2.0);
    assert_edge(agg, "main", "f", 1, 1, 0, 2.0);
    assert_edge(agg, "f", "f", 2, 1, 2.0, 2.0);
}

/* The same call in consecutive samples counts once; the time adds up. */
static void same_call_counted_once(void **state)
{
    struct pa_aggregate *agg = *state;
    for (int i = 0; i < 10; i++)
        ADD(agg, 1, 0.01, {"main", 1}, {"work", 2});
    assert_func(agg, "main", 1, 1, 0, 0.1);
    assert_func(agg, "work", 1, 1, 0.1, 0.1);
    assert_edge(agg, "main", "work", 1, 1, 0.1, 0.1);
    assert_int_equal(agg->samples, 10);
}

/* A new call id is a new call; so is everything it called, even if a callee's id
 * happens to equal the previous sample's at that depth. */
static void new_call_id_counts_again(void **state)
{
    struct pa_aggregate *agg = *state;
    ADD(agg, 1, 0.01, {"main", 1}, {"work", 2}, {"leaf", 3});
    ADD(agg, 1, 0.01, {"main", 1}, {"work", 2}, {"leaf", 4});
    ADD(agg, 1, 0.01, {"main", 1}, {"work", 5}, {"leaf", 4});
    ADD(agg, 1, 0.01, {"main", 1}, {"work", 5});
    ADD(agg, 1, 0.01, {"main", 1}, {"work", 5}, {"leaf", 4}); /* leaf 4 ended in between */
    assert_func(agg, "main", 1, 1, 0, 0.05);
    assert_func(agg, "work", 2, 2, 0.01, 0.05);
    assert_func(agg, "leaf", 4, 4, 0.04, 0.04);
    assert_edge(agg, "work", "leaf", 4, 4, 0.04, 0.04);
    assert_edge(agg, "main", "work", 2, 2, 0.01, 0.05);
}

/* A call id that moved to another depth is not the same call. */
static void same_id_other_depth_is_new(void **state)
{
    struct pa_aggregate *agg = *state;
    ADD(agg, 1, 1, {"main", 1}, {"x", 2});
    ADD(agg, 1, 1, {"main", 1}, {"y", 3}, {"x", 2});
    assert_func(agg, "x", 2, 2, 2, 2);
    assert_func(agg, "y", 1, 1, 0, 1);
}

/* A call id seen again at the same depth but on another function is a new call (the
 * aggregation reuses the last sample's lookups only for the same function). */
static void reused_id_other_function_is_new(void **state)
{
    struct pa_aggregate *agg = *state;
    ADD(agg, 1, 1, {"main", 1}, {"x", 2});
    ADD(agg, 1, 1, {"main", 1}, {"y", 2});
    ADD(agg, 1, 1, {"main", 1}, {"y", 2});
    assert_func(agg, "x", 1, 1, 1, 1);
    assert_func(agg, "y", 1, 1, 2, 2);
    assert_edge(agg, "main", "y", 1, 1, 2, 2);
}

/* The per-sample marks are 32 bits; when they wrap, counting goes on unchanged. */
static void stamp_wrap(void **state)
{
    struct pa_aggregate *agg = *state;
    ADD(agg, 1, 1, {"main", 1}, {"f", 2}, {"f", 3});
    agg->stamp = UINT32_MAX - 2;
    for (int i = 0; i < 6; i++)
        ADD(agg, 1, 1, {"main", 1}, {"f", 2}, {"f", 3});
    assert_true(agg->stamp < 10);
    assert_int_equal(agg->samples, 7);
    assert_func(agg, "main", 1, 1, 0, 7);
    assert_func(agg, "f", 2, 1, 7, 7);
    assert_edge(agg, "f", "f", 1, 1, 7, 7);
}

/* Each thread has its own previous sample; interleaving threads changes nothing. */
static void threads_are_separate(void **state)
{
    struct pa_aggregate *agg = *state;
    ADD(agg, 1, 1, {"main", 1}, {"work", 2});
    ADD(agg, 2, 1, {"main", 1}, {"work", 2}); /* same ids, other thread: new calls */
    ADD(agg, 1, 1, {"main", 1}, {"work", 2}); /* thread 1 continues */
    ADD(agg, 2, 1, {"main", 1}, {"other", 3});
    assert_func(agg, "main", 2, 2, 0, 4);
    assert_func(agg, "work", 2, 2, 3, 3);
    assert_func(agg, "other", 1, 1, 1, 1);
    assert_int_equal(agg->nthreads, 2);
}

/* An empty stack (the thread ran no Python) ends every call of that thread. */
static void empty_stack_ends_calls(void **state)
{
    struct pa_aggregate *agg = *state;
    ADD(agg, 1, 1, {"main", 1});
    add(agg, 1, 1, false, NULL, 0);
    ADD(agg, 1, 1, {"main", 1});
    assert_func(agg, "main", 2, 2, 2, 2);
    assert_int_equal(agg->profile.nfuncs, 1);
}

/* An incomplete stack (root side missing) adds its time but no calls, and the next
 * complete sample is compared with the last complete one: a torn read in the middle
 * of a call does not count the call twice. */
static void incomplete_stack_counts_no_calls(void **state)
{
    struct pa_aggregate *agg = *state;
    ADD(agg, 1, 1, {"main", 1}, {"a", 2}, {"b", 3});
    const struct f cut[] = {{"a", 77}, {"b", 78}};
    add(agg, 1, 1, true, cut, 2);
    const struct f cut2[] = {{"a", 77}, {"c", 79}};
    add(agg, 1, 1, true, cut2, 2);
    ADD(agg, 1, 1, {"main", 1}, {"a", 2}, {"b", 3});
    ADD(agg, 1, 1, {"main", 1}, {"a", 2}, {"c", 9});
    assert_func(agg, "main", 1, 1, 0, 3);
    assert_func(agg, "a", 1, 1, 0, 5);
    assert_func(agg, "b", 1, 1, 3, 3);
    assert_func(agg, "c", 1, 1, 2, 2);
    assert_edge(agg, "a", "c", 1, 1, 2, 2);
}

/* tottime over all functions adds up to the recorded time; cumtime of the root too;
 * built-ins are keyed ("~", 0, name). */
static void sums_and_keys(void **state)
{
    struct pa_aggregate *agg = *state;
    double total = 0;
    for (int i = 0; i < 100; i++) {
        double w = 0.001 * (1 + i % 7);
        total += w;
        if (i % 3 == 0)
            ADD(agg, 1, w, {"main", 1}, {"loop", 2}, {"<built-in method time.sleep>", 100 + i});
        else if (i % 3 == 1)
            ADD(agg, 1, w, {"main", 1}, {"loop", 2}, {"calc", 200 + i});
        else
            ADD(agg, 1, w, {"main", 1}, {"loop", 2});
    }
    double tt = 0;
    for (uint32_t i = 0; i < agg->profile.nfuncs; i++)
        tt += agg->profile.funcs[i].tt;
    assert_float_equal(tt, total, 1e-12);
    assert_float_equal(fn(agg, "main")->ct, total, 1e-12);
    assert_float_equal(fn(agg, "loop")->ct, total, 1e-12);
    const struct pa_pfunc *sleep = fn(agg, "<built-in method time.sleep>");
    assert_string_equal(pa_strtab_text(&agg->profile.strings, sleep->file), "~");
    assert_int_equal(sleep->line, 0);
    assert_int_equal(sleep->nc, 34);
    assert_int_equal(fn(agg, "calc")->nc, 33);
    assert_int_equal(fn(agg, "loop")->nc, 1);
}

/* Thousands of distinct stacks: memory stays proportional to functions and edges,
 * not to samples. */
static void memory_does_not_grow_with_samples(void **state)
{
    struct pa_aggregate *agg = *state;
    char names[50][16];
    for (int i = 0; i < 50; i++)
        snprintf(names[i], sizeof names[i], "fn%d", i);
    struct f frames[20];
    size_t after_warmup = 0;
    for (int s = 0; s < 200000; s++) {
        unsigned x = (unsigned)s * 2654435761u;
        size_t depth = 2 + x % 18;
        for (size_t d = 0; d < depth; d++)
            frames[d] = (struct f){names[(x >> (d % 16)) % 50], (uint64_t)s / 3 * 100 + d};
        add(agg, s % 4, 0.001, false, frames, depth);
        if (s == 20000)
            after_warmup = pa_aggregate_bytes(agg);
    }
    assert_true(pa_aggregate_bytes(agg) == after_warmup);
    assert_true(after_warmup < 1u << 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(recursion_counted_once, setup, teardown),
        cmocka_unit_test_setup_teardown(direct_recursion, setup, teardown),
        cmocka_unit_test_setup_teardown(same_call_counted_once, setup, teardown),
        cmocka_unit_test_setup_teardown(new_call_id_counts_again, setup, teardown),
        cmocka_unit_test_setup_teardown(same_id_other_depth_is_new, setup, teardown),
        cmocka_unit_test_setup_teardown(reused_id_other_function_is_new, setup, teardown),
        cmocka_unit_test_setup_teardown(stamp_wrap, setup, teardown),
        cmocka_unit_test_setup_teardown(threads_are_separate, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_stack_ends_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(incomplete_stack_counts_no_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(sums_and_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(memory_does_not_grow_with_samples, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
