/* Unit tests for output/pstats_table.c: for one profile, written to a .prof file, the
 * report must be the very text /usr/bin/python3's pstats prints for that file —
 * print_stats, print_callers, print_callees, every sort key, restrictions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "output/profile_aggregate.h"
#include "output/pstats_file.h"
#include "output/pstats_table.h"
#include "output/writer.h"

#define PYTHON "/usr/bin/python3"

/* pstats with no file header (files = []), the selections typed on the command line:
 * i:N (count), f:X (fraction), s:REGEX. */
static const char PSTATS_SCRIPT[] =
    "import io, pstats, sys\n"
    "path, mode, sort = sys.argv[1:4]\n"
    "amount = []\n"
    "for a in sys.argv[4:]:\n"
    "    kind, value = a.split(':', 1)\n"
    "    amount.append({'i': int, 'f': float, 's': str}[kind](value))\n"
    "out = io.StringIO()\n"
    "s = pstats.Stats(path, stream=out)\n"
    "s.files = []\n"
    "if sort:\n"
    "    s.sort_stats(*sort.split(','))\n"
    "getattr(s, mode)(*amount)\n"
    "sys.stdout.write(out.getvalue())\n";

struct fixture {
    char prof[64];
    char script[64];
    struct pa_aggregate agg;
};

static const char *const FILES[] = {"/srv/app/main.py", "/srv/app/b.py", "/srv/app/c.py",
                                    "/usr/lib/python3/json/decoder.py", "caf\xc3\xa9.py"};
static const char *const NAMES[] = {"run", "handle", "parse", "decode", "fib", "<lambda>",
                                    "\xcf\x83_calc", "\xe5\x87\xbd\xe6\x95\xb0", "Klass.method",
                                    "<listcomp>", "a", "zz_last"};
static const char *const BUILTINS[] = {"<built-in method time.sleep>",
                                       "<method 'append' of 'list' objects>", "len", "<>"};

static uint64_t next(uint64_t *x)
{
    *x = *x * 6364136223846793005ull + 1442695040888963407ull;
    return *x >> 33;
}

typedef void (*add_fn)(void *ctx, const struct pa_stack *stack);

static void add_to_aggregate(void *ctx, const struct pa_stack *stack)
{
    struct pa_error err;
    assert_int_equal(pa_aggregate_add(ctx, stack, &err), PA_OK);
}

static void add_to_writer(void *ctx, const struct pa_stack *stack)
{
    struct pa_writer *w = ctx;
    struct pa_error err;
    assert_int_equal(pa_writer_ops_for(PA_FORMAT_TEXT)->add(w, stack, &err), PA_OK);
}

/* About 40 functions: recursion (nc/cc), ties, built-ins, UTF-8 names, one long name. */
static void build_profile(add_fn add, void *ctx)
{
    uint64_t rnd = 42;
    struct pa_frame frames[16];
    uint64_t call = 1;
    for (int s = 0; s < 3000; s++) {
        size_t depth = 1 + next(&rnd) % 12;
        for (size_t d = 0; d < depth; d++) {
            size_t i = depth - 1 - d; /* frames[0] is the leaf */
            uint64_t r = next(&rnd);
            bool builtin = d + 1 == depth && r % 5 == 0;
            if (d == 0) {
                frames[i] = (struct pa_frame){.filename = FILES[0], .function = "<module>",
                                              .first_line = 1, .call_id = 1};
                continue;
            }
            if (builtin) {
                frames[i] = (struct pa_frame){.filename = "~", .function = BUILTINS[r % 4],
                                              .first_line = 0};
            } else {
                size_t n = r % 12;
                frames[i] = (struct pa_frame){.filename = FILES[n % 5], .function = NAMES[n],
                                              .first_line = (int)(n * 37 % 500) + 1};
            }
            frames[i].call_id = (r % 3 == 0) ? call++ : 1000000 + d * 100 + r % 3;
        }
        struct pa_stack stack = {.pid = 1, .tid = 1 + s % 2, .weight = 0.0005 * (1 + s % 4),
                                 .depth = depth, .frames = frames};
        add(ctx, &stack);
    }
    static const struct pa_frame longest[] = {
        {.filename = "/a/very/long/path/to/a/package/with/a/deep/tree/module_with_long_name.py",
         .function = "a_function_with_a_rather_long_name_for_width_tests", .first_line = 9999,
         .call_id = 5},
        {.filename = "/srv/app/main.py", .function = "<module>", .first_line = 1, .call_id = 1},
    };
    struct pa_stack stack = {.pid = 1, .tid = 9, .weight = 0.25, .depth = 2, .frames = longest};
    add(ctx, &stack);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    pa_aggregate_init(&fx->agg);
    build_profile(add_to_aggregate, &fx->agg);
    strcpy(fx->prof, "/tmp/pa_test_table_XXXXXX");
    int fd = mkstemp(fx->prof);
    FILE *f = fdopen(fd, "wb");
    struct pa_error err;
    assert_int_equal(pa_pstats_write(&fx->agg.profile, f, &err), PA_OK);
    fclose(f);
    strcpy(fx->script, "/tmp/pa_test_table_py_XXXXXX");
    fd = mkstemp(fx->script);
    f = fdopen(fd, "w");
    fputs(PSTATS_SCRIPT, f);
    fclose(f);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    unlink(fx->prof);
    unlink(fx->script);
    pa_aggregate_free(&fx->agg);
    free(fx);
    return 0;
}

static char *read_all(FILE *f)
{
    size_t cap = 1 << 16, len = 0, n;
    char *out = malloc(cap);
    while ((n = fread(out + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap)
            out = realloc(out, cap *= 2);
    }
    out[len] = '\0';
    return out;
}

/* Appends ' quoted ' text for sh. */
static int shell_quote(char *out, size_t size, const char *text)
{
    int n = snprintf(out, size, " '");
    for (const char *c = text; *c; c++)
        n += *c == '\'' ? snprintf(out + n, size - (size_t)n, "'\\''")
                        : snprintf(out + n, size - (size_t)n, "%c", *c);
    return n + snprintf(out + n, size - (size_t)n, "'");
}

/* What pstats prints; args are the selections as "i:5", "f:0.5", "s:re". */
static char *pstats_output(const struct fixture *fx, const char *mode, const char *sort,
                           const char *const *args, size_t nargs)
{
    char cmd[1024];
    int n = snprintf(cmd, sizeof cmd, PYTHON " %s %s %s '%s'", fx->script, fx->prof, mode, sort);
    for (size_t i = 0; i < nargs; i++)
        n += shell_quote(cmd + n, sizeof cmd - (size_t)n, args[i]);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *out = read_all(p);
    assert_int_equal(pclose(p), 0);
    return out;
}

/* Our report of the profile as loaded back from the file (as `view` does). */
static char *our_output(const struct fixture *fx, const char *mode, const char *sort,
                        const char *const *args, size_t nargs)
{
    struct pa_profile loaded;
    pa_profile_init(&loaded);
    struct pa_error err;
    assert_int_equal(pa_pstats_load_file(fx->prof, &loaded, &err), PA_OK);
    const char *keys[8];
    size_t nkeys = 0;
    char sort_copy[128];
    snprintf(sort_copy, sizeof sort_copy, "%s", sort);
    for (char *save, *k = strtok_r(sort_copy, ",", &save); k; k = strtok_r(NULL, ",", &save))
        keys[nkeys++] = k;
    struct pa_table_selection sel[8];
    regex_t re[8];
    size_t nre = 0;
    for (size_t i = 0; i < nargs; i++) {
        const char *v = args[i] + 2;
        if (args[i][0] == 'i') {
            sel[i] = (struct pa_table_selection){.kind = PA_SELECT_COUNT, .count = atoll(v)};
        } else if (args[i][0] == 'f') {
            sel[i] = (struct pa_table_selection){.kind = PA_SELECT_FRACTION, .fraction = atof(v)};
        } else {
            assert_int_equal(regcomp(&re[nre], v, REG_EXTENDED | REG_NOSUB), 0);
            sel[i] = (struct pa_table_selection){.kind = PA_SELECT_REGEX, .regex = &re[nre++],
                                                 .pattern = v};
        }
    }
    struct pa_table_request req = {
        .sort_keys = keys, .nsort_keys = nkeys, .selections = sel, .nselections = nargs,
        .print_stats = strcmp(mode, "print_stats") == 0,
        .print_callers = strcmp(mode, "print_callers") == 0,
        .print_callees = strcmp(mode, "print_callees") == 0,
    };
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    assert_int_equal(pa_table_print(&loaded, &req, mem, &err), PA_OK);
    fclose(mem);
    for (size_t i = 0; i < nre; i++)
        regfree(&re[i]);
    pa_profile_free(&loaded);
    return text;
}

static void assert_same_text(const char *ours, const char *theirs, const char *what)
{
    if (strcmp(ours, theirs) == 0)
        return;
    size_t line = 1;
    const char *a = ours, *b = theirs;
    while (*a && *a == *b) {
        if (*a == '\n')
            line++;
        a++;
        b++;
    }
    fail_msg("%s: line %zu differs\n--- ours:\n%.300s\n--- pstats:\n%.300s", what, line,
             a - (a > ours ? 1 : 0), b - (b > theirs ? 1 : 0));
}

static void compare(const struct fixture *fx, const char *mode, const char *sort,
                    const char *const *args, size_t nargs)
{
    char *theirs = pstats_output(fx, mode, sort, args, nargs);
    char *ours = our_output(fx, mode, sort, args, nargs);
    char what[256];
    snprintf(what, sizeof what, "%s sort=%s (%zu restrictions)", mode, sort, nargs);
    assert_true(strlen(theirs) > 20);
    assert_same_text(ours, theirs, what);
    free(theirs);
    free(ours);
}

#define COMPARE(fx, mode, sort, ...)                                                   \
    do {                                                                               \
        const char *const args_[] = {"" __VA_ARGS__};                                  \
        size_t n_ = sizeof args_ / sizeof args_[0];                                    \
        compare(fx, mode, sort, args_[0][0] ? args_ : NULL, args_[0][0] ? n_ : 0);     \
    } while (0)

static void every_sort_key(void **state)
{
    static const char *const keys[] = {
        "calls", "ncalls", "cumtime", "cumulative", "filename", "module", "line", "name",
        "nfl", "pcalls", "stdname", "time", "tottime",
        "cu", "cumu", "tim", "std", "file", "p", "nf", /* abbreviations */
        "name,line", "time,cumulative,stdname", "calls,filename,line",
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        COMPARE(*state, "print_stats", keys[i]);
}

static void unsorted_and_restrictions(void **state)
{
    COMPARE(*state, "print_stats", "");
    COMPARE(*state, "print_stats", "cumulative", "i:5");
    COMPARE(*state, "print_stats", "cumulative", "i:0");
    COMPARE(*state, "print_stats", "cumulative", "i:100000");
    COMPARE(*state, "print_stats", "time", "f:0.25");
    COMPARE(*state, "print_stats", "time", "f:0.1", "i:2");
    COMPARE(*state, "print_stats", "name", "s:app/(b|c)\\.py");
    COMPARE(*state, "print_stats", "name", "s:fib", "i:1");
    COMPARE(*state, "print_stats", "name", "s:^\\{");
    COMPARE(*state, "print_stats", "name", "s:it's");
    COMPARE(*state, "print_stats", "name", "s:'append'");
    COMPARE(*state, "print_stats", "name", "s:\"a\"|'");
    COMPARE(*state, "print_stats", "name", "s:nothing matches this");
}

static void callers_and_callees(void **state)
{
    COMPARE(*state, "print_callers", "cumulative");
    COMPARE(*state, "print_callees", "cumulative");
    COMPARE(*state, "print_callers", "stdname", "s:main");
    COMPARE(*state, "print_callees", "time", "i:7");
    COMPARE(*state, "print_callers", "");
}

/* The text writer, fed the same samples, prints what
 * sort_stats("cumulative").print_stats() prints for the .prof written from them. */
static void text_writer_matches(void **state)
{
    struct fixture *fx = *state;
    const struct pa_writer_ops *ops = pa_writer_ops_for(PA_FORMAT_TEXT);
    assert_string_equal(ops->name, "text");
    struct pa_writer *w = ops->create();
    assert_non_null(w);
    build_profile(add_to_writer, w);
    char *ours = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&ours, &len);
    struct pa_error err;
    assert_int_equal(ops->write(w, mem, &err), PA_OK);
    fclose(mem);
    ops->destroy(w);
    char *theirs = pstats_output(fx, "print_stats", "cumulative", NULL, 0);
    assert_same_text(ours, theirs, "text writer");
    free(ours);
    free(theirs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(every_sort_key, setup, teardown),
        cmocka_unit_test_setup_teardown(unsorted_and_restrictions, setup, teardown),
        cmocka_unit_test_setup_teardown(callers_and_callees, setup, teardown),
        cmocka_unit_test_setup_teardown(text_writer_matches, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
