/* Unit tests for sampler/sample_clock.c's policy, with made-up times: absolute deadlines
 * that never drift, short lags caught up, long stalls dropped with their phase kept,
 * weights that always add up to the time that passed. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sampler/sample_clock.h"

static void at_rate(struct pa_sample_clock *c, double rate)
{
    pa_sample_clock_start(c, rate);
    c->start = 1000.0;
    c->last = c->start;
    c->next = c->start + c->interval;
}

static void on_time_ticks_do_not_drift(void **state)
{
    (void)state;
    struct pa_sample_clock c;
    at_rate(&c, 100000);
    double total = 0;
    for (int i = 1; i <= 1000000; i++)
        total += pa_sample_clock_advance(&c, c.next + 2e-6); /* always 2 us late */
    assert_true(fabs(c.next - (1000.0 + 1000001 * 1e-5)) < 1e-6);
    assert_true(fabs(total - (10.0 + 2e-6)) < 1e-6);
    assert_int_equal(c.ticks, 1000000);
    assert_int_equal(c.missed, 0);
    assert_false(pa_sample_clock_behind(&c));
}

static void short_lag_is_caught_up(void **state)
{
    (void)state;
    struct pa_sample_clock c;
    at_rate(&c, 100000); /* 10 us */
    double deadline = c.next;
    /* 300 us late: 30 deadlines overrun, all kept. */
    double w = pa_sample_clock_advance(&c, deadline + 300e-6);
    assert_true(fabs(w - 310e-6) < 1e-9);
    assert_true(fabs(c.next - (deadline + 10e-6)) < 1e-12);
    assert_int_equal(c.missed, 0);
    /* Back to back (3 us each) until the schedule is met again. */
    double now = deadline + 300e-6;
    int caught = 0;
    while (c.next < now) {
        now += 3e-6;
        pa_sample_clock_advance(&c, now);
        caught++;
    }
    assert_true(caught >= 30 && caught <= 50);
    assert_int_equal(c.missed, 0);
}

static void long_stall_drops_deadlines_keeping_phase(void **state)
{
    (void)state;
    struct pa_sample_clock c;
    at_rate(&c, 100); /* 10 ms */
    double deadline = c.next;
    double w = pa_sample_clock_advance(&c, deadline + 35e-3);
    assert_true(fabs(w - 45e-3) < 1e-9); /* the weight covers the whole gap */
    assert_int_equal(c.missed, 3);
    assert_int_equal(c.stalls, 1);
    /* Next deadline is the first one after `now` on the original grid. */
    assert_true(fabs(c.next - (deadline + 40e-3)) < 1e-9);
    assert_true(fabs(c.worst_lag - 35e-3) < 1e-9);
}

static void behind_once_more_than_one_percent_is_missed(void **state)
{
    (void)state;
    struct pa_sample_clock c;
    at_rate(&c, 1000);
    for (int i = 0; i < 990; i++)
        pa_sample_clock_advance(&c, c.next);
    pa_sample_clock_advance(&c, c.next + 5.5e-3); /* under the limit: caught up */
    assert_int_equal(c.missed, 0);
    pa_sample_clock_advance(&c, c.next + 10.5e-3); /* 10 dropped of 1002 */
    assert_int_equal(c.missed, 10);
    assert_false(pa_sample_clock_behind(&c));
    pa_sample_clock_advance(&c, c.next + 20.5e-3); /* 30 dropped of 1023 */
    assert_int_equal(c.missed, 30);
    assert_true(pa_sample_clock_behind(&c));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(on_time_ticks_do_not_drift),
        cmocka_unit_test(short_lag_is_caught_up),
        cmocka_unit_test(long_stall_drops_deadlines_keeping_phase),
        cmocka_unit_test(behind_once_more_than_one_percent_is_missed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
