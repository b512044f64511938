/* top's endpoints view (key R) past --by-request's cap on labels: the line that says how
 * many labels went into <other requests>, under the rows, in a plain snapshot and on a
 * screen of any height (the help line stays last, nothing drawn past it); no such line
 * while nothing was folded, nor in the other views. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/top/top_render.h"
#include "sampler/request_roots.h"

#define MAX_LINES 400

struct screen {
    char *text[MAX_LINES];
    int y[MAX_LINES];
    size_t count;
};

static void put(void *user, int y, const char *text, enum top_style style)
{
    (void)style;
    struct screen *s = user;
    assert_true(s->count < MAX_LINES);
    s->y[s->count] = y;
    s->text[s->count++] = strdup(text);
}

static void screen_free(struct screen *s)
{
    for (size_t i = 0; i < s->count; i++)
        free(s->text[i]);
    s->count = 0;
}

/* Rows of request roots as the model makes them: PA_REQUEST_LABELS_MAX labels,
 * <other requests> and <no request>. */
static void make_snapshot(struct top_snapshot *snap, size_t folded)
{
    memset(snap, 0, sizeof *snap);
    snap->header.by_request = true;
    snap->header.requests_folded = folded;
    snprintf(snap->header.versions, sizeof snap->header.versions, "CPython 3.12.1");
    size_t n = PA_REQUEST_LABELS_MAX + 2;
    struct top_table *t = &snap->accumulated;
    t->rows = calloc(n, sizeof *t->rows);
    assert_non_null(t->rows);
    for (size_t i = 0; i < n; i++) {
        char name[64];
        if (i == 0)
            snprintf(name, sizeof name, "%s", PA_OTHER_REQUESTS);
        else if (i == 1)
            snprintf(name, sizeof name, "%s", PA_NO_REQUEST);
        else
            snprintf(name, sizeof name, "<GET /page-%zu/>", i);
        struct top_row *r = &t->rows[t->count++];
        r->function = strdup(name);
        r->file = strdup("~");
        r->total = r->own = i == 0 ? 50.0 : 1.0; /* <other requests>: fifty labels' time */
        r->calls = i == 1 ? 0 : 1;
        r->endpoint = true;
        t->weight += r->total;
    }
}

static void snapshot_free(struct top_snapshot *snap)
{
    for (size_t i = 0; i < snap->accumulated.count; i++) {
        free(snap->accumulated.rows[i].function);
        free(snap->accumulated.rows[i].file);
    }
    free(snap->accumulated.rows);
}

static const char *folded_line(size_t folded, char *out, size_t size)
{
    snprintf(out, size, "%zu request label%s folded into <other requests> (at most %d since top started)", folded,
             folded == 1 ? "" : "s", PA_REQUEST_LABELS_MAX);
    return out;
}

/* The index of the line that is exactly text, or -1. */
static int find(const struct screen *s, const char *text)
{
    for (size_t i = 0; i < s->count; i++)
        if (strcmp(s->text[i], text) == 0)
            return (int)i;
    return -1;
}

static void test_plain_snapshot(void **state)
{
    (void)state;
    struct top_snapshot snap;
    struct top_view view = {.endpoints = true, .sort = TOP_SORT_TOTAL};
    char want[160];
    size_t counts[] = {1, 50};
    for (size_t c = 0; c < 2; c++) {
        make_snapshot(&snap, counts[c]);
        struct screen s = {0};
        top_render(&snap, &view, 0, 0, 40, put, &s);
        /* Last, after the "... N more endpoints" line of a plain snapshot. */
        assert_int_equal(find(&s, folded_line(counts[c], want, sizeof want)), (int)s.count - 1);
        /* 40 rows for the table: the folded line, "... N more", and 38 endpoints */
        char more[64];
        snprintf(more, sizeof more, "... %d more endpoints", PA_REQUEST_LABELS_MAX + 2 - 38);
        assert_string_equal(s.text[s.count - 2], more);
        assert_int_equal(s.count, 4 + 38 + 2); /* title, figures, view, column titles first (no notice line) */
        for (size_t i = 4; i < 4 + 38; i++)
            assert_non_null(strstr(s.text[i], "<"));
        assert_non_null(strstr(s.text[4], PA_OTHER_REQUESTS)); /* the busiest row, first */
        screen_free(&s);
        snapshot_free(&snap);
    }
}

static void test_screen_keeps_its_height(void **state)
{
    (void)state;
    struct top_snapshot snap;
    struct top_view view = {.endpoints = true, .sort = TOP_SORT_TOTAL};
    char want[160];
    make_snapshot(&snap, 50);
    folded_line(50, want, sizeof want);
    for (size_t height = 7; height <= 40; height++) {
        struct screen s = {0};
        top_render(&snap, &view, 120, height, 0, put, &s);
        /* Every line on the screen, one per row, the help line last. */
        for (size_t i = 0; i < s.count; i++) {
            assert_in_range(s.y[i], 0, (int)height - 1);
            for (size_t j = 0; j < i; j++)
                if (s.y[i] == s.y[j])
                    fail_msg("height %zu: row %d drawn twice (%s / %s)", height, s.y[i], s.text[j], s.text[i]);
        }
        assert_int_equal(s.y[s.count - 1], (int)height - 1);
        assert_non_null(strstr(s.text[s.count - 1], "R:endpoints"));
        /* The folded line right above it, under as many rows as fit. */
        int at = find(&s, want);
        if (at < 0)
            fail_msg("height %zu: no folded line", height);
        assert_int_equal(s.y[at], (int)height - 2);
        size_t rows = height - 7; /* title, figures, view, notice, column titles, folded, help */
        if (rows > 0) {
            assert_non_null(strstr(s.text[5], PA_OTHER_REQUESTS)); /* the busiest row, first */
            assert_int_equal(s.y[at - 1], (int)height - 3);
            assert_non_null(strstr(s.text[at - 1], rows > 1 ? "<GET /page-" : PA_OTHER_REQUESTS));
        } else {
            assert_non_null(strstr(s.text[at - 1], "Endpoint")); /* the column titles */
        }
        screen_free(&s);
    }
    snapshot_free(&snap);
}

static void test_no_line_without_folding_or_elsewhere(void **state)
{
    (void)state;
    struct top_snapshot snap;
    make_snapshot(&snap, 0);
    struct top_view endpoints = {.endpoints = true}, functions = {0}, threads = {.threads = true};
    struct screen s = {0};
    top_render(&snap, &endpoints, 0, 0, 40, put, &s);
    top_render(&snap, &endpoints, 120, 30, 0, put, &s);
    for (size_t i = 0; i < s.count; i++)
        assert_null(strstr(s.text[i], "folded"));
    screen_free(&s);
    snapshot_free(&snap);
    make_snapshot(&snap, 50);
    top_render(&snap, &functions, 0, 0, 40, put, &s);
    top_render(&snap, &threads, 120, 30, 0, put, &s);
    for (size_t i = 0; i < s.count; i++)
        assert_null(strstr(s.text[i], "folded"));
    screen_free(&s);
    snapshot_free(&snap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_snapshot),
        cmocka_unit_test(test_screen_keeps_its_height),
        cmocka_unit_test(test_no_line_without_folding_or_elsewhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
