/* Unit tests for sampler/pending_stacks.c: stacks held until their target is confirmed
 * come back whole and in order, the thread label is a copy (the sampler's table it
 * comes from moves), and clearing keeps nothing but the memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sampler/pending_stacks.h"

static struct pa_stack stack_of(struct pa_frame *frames, size_t depth, int tid, double timestamp)
{
    return (struct pa_stack){.pid = 42,
                             .tid = tid,
                             .weight = 1e-5,
                             .timestamp = timestamp,
                             .incomplete = tid % 2 == 1,
                             .depth = depth,
                             .frames = frames};
}

static void stacks_come_back_in_order_with_their_frames(void **state)
{
    (void)state;
    struct pa_pending_stacks pending = {0};
    assert_false(pa_pending_stacks_any(&pending));
    struct pa_frame frames[64];
    char label[96];
    /* Enough stacks and frames to grow both arrays several times. */
    for (int i = 0; i < 1000; i++) {
        size_t depth = (size_t)(i % 64);
        for (size_t d = 0; d < depth; d++)
            frames[d] = (struct pa_frame){.filename = "app.py", .function = "f", .first_line = i, .line = (int)d,
                                          .call_id = (uint64_t)(i * 100 + (int)d)};
        snprintf(label, sizeof label, "<thread %d>", i);
        struct pa_stack stack = stack_of(frames, depth, i, i * 1e-5);
        assert_true(pa_pending_stacks_add(&pending, &stack, i % 3 ? label : NULL));
        memset(frames, 0xff, sizeof frames); /* the caller's scratch is reused */
        memset(label, 'x', sizeof label - 1);
    }
    assert_int_equal(pending.count, 1000);
    for (int i = 0; i < 1000; i++) {
        struct pa_stack stack = pa_pending_stacks_get(&pending, (size_t)i);
        assert_int_equal(stack.pid, 42);
        assert_int_equal(stack.tid, i);
        assert_int_equal(stack.depth, (size_t)(i % 64));
        assert_true(stack.timestamp == i * 1e-5);
        assert_int_equal(stack.incomplete, i % 2 == 1);
        for (size_t d = 0; d < stack.depth; d++) {
            assert_int_equal(stack.frames[d].first_line, i);
            assert_int_equal(stack.frames[d].line, (int)d);
            assert_int_equal(stack.frames[d].call_id, (uint64_t)(i * 100 + (int)d));
        }
        char expected[96] = "";
        if (i % 3)
            snprintf(expected, sizeof expected, "<thread %d>", i);
        assert_string_equal(pa_pending_stacks_label(&pending, (size_t)i), expected);
    }
    pa_pending_stacks_free(&pending);
}

static void clear_forgets_stacks_and_counters(void **state)
{
    (void)state;
    struct pa_pending_stacks pending = {0};
    assert_false(pa_pending_stacks_any(&pending));
    struct pa_frame frame = {.filename = "a.py", .function = "g", .first_line = 1, .line = 2, .call_id = 3};
    struct pa_stack stack = stack_of(&frame, 1, 7, 0.5);
    assert_true(pa_pending_stacks_add(&pending, &stack, "<thread 7>"));
    pending.samples = 3;
    pending.idle = 1;
    pending.errors = 1;
    assert_true(pa_pending_stacks_any(&pending));
    pa_pending_stacks_clear(&pending);
    assert_false(pa_pending_stacks_any(&pending));
    assert_int_equal(pending.count, 0);
    assert_int_equal(pending.samples + pending.idle + pending.errors, 0);
    assert_true(pa_pending_stacks_add(&pending, &stack, NULL));
    assert_int_equal(pending.count, 1);
    assert_int_equal(pa_pending_stacks_get(&pending, 0).frames[0].call_id, 3);
    assert_string_equal(pa_pending_stacks_label(&pending, 0), "");
    pa_pending_stacks_free(&pending);
    assert_null(pending.stacks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stacks_come_back_in_order_with_their_frames),
        cmocka_unit_test(clear_forgets_stacks_and_counters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
