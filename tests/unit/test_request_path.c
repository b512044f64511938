/* Unit tests for py_request_fold_path: the ids in a URL path folded so that
 * --by-request's WSGI labels stay few. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "python_frames/request_label.h"

static void folds_to(const char *path, const char *want)
{
    char out[PY_REQUEST_LABEL_MAX];
    py_request_fold_path(path, out, sizeof out);
    assert_string_equal(out, want);
}

static void digit_runs(void **state)
{
    (void)state;
    folds_to("/orders/17/", "/orders/<int>/");
    folds_to("/orders/1/items/20000/", "/orders/<int>/items/<int>/");
    folds_to("/img-3.png", "/img-<int>.png");
    folds_to("/2024-01-31/report", "/<int>-<int>-<int>/report");
    folds_to("/orders/0017", "/orders/<int>");
}

static void digits_touching_letters_stay(void **state)
{
    (void)state;
    folds_to("/api/v2/users/", "/api/v2/users/");
    folds_to("/h264/x86_64/", "/h264/x86_<int>/");
    folds_to("/abc123xyz/", "/abc123xyz/");
    folds_to("/abc123def/", "/<hex>/"); /* 8+ hex digits, letters and digits: an id */
}

static void uuids(void **state)
{
    (void)state;
    folds_to("/u/6fa459ea-ee8a-3ca4-894e-db77e160355e/", "/u/<uuid>/");
    folds_to("/u/6FA459EA-EE8A-3CA4-894E-DB77E160355E", "/u/<uuid>");
    /* one hex digit short: not a UUID, and every digit run touches a letter */
    folds_to("/u/6fa459ea-ee8a-3ca4-894e-db77e160355", "/u/6fa459ea-ee8a-3ca4-894e-db77e160355");
}

static void hex_ids(void **state)
{
    (void)state;
    folds_to("/blob/3f2a9c1be07d/", "/blob/<hex>/");
    folds_to("/commit/0123456789abcdef0123456789abcdef01234567", "/commit/<hex>");
    folds_to("/word/deadbeef/", "/word/deadbeef/"); /* hex letters only: a word */
    folds_to("/short/ab12/", "/short/ab12/");      /* under 8 characters */
    folds_to("/n/12345678/", "/n/<int>/");         /* digits only: an int */
}

static void edges(void **state)
{
    (void)state;
    folds_to("", "");
    folds_to("/", "/");
    folds_to("//7//", "//<int>//");
    folds_to("no-slash-42", "no-slash-<int>");
}

static void output_is_bounded(void **state)
{
    (void)state;
    char path[1000], out[16];
    memset(path, '/', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    memset(out, 'x', sizeof out);
    py_request_fold_path(path, out, sizeof out);
    assert_int_equal(strlen(out), sizeof out - 1);
    py_request_fold_path("/1/2/3/4/5/6/7/", out, sizeof out);
    assert_int_equal(strlen(out), sizeof out - 1);
    assert_memory_equal(out, "/<int>/<int>/<i", sizeof out - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(digit_runs),   cmocka_unit_test(digits_touching_letters_stay),
        cmocka_unit_test(uuids),        cmocka_unit_test(hex_ids),
        cmocka_unit_test(edges),        cmocka_unit_test(output_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
