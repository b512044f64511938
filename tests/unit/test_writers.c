/* Unit tests for the writers behind output/writer.h: the format registry, collapsed
 * and speedscope text for known stacks, the trie's per-thread path reuse, JSON escaping, native frames' source lines
 * resolved when written, repeatable writes, and write errors reported as PA_E_OUTPUT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "output/writer.h"

static void registry(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        enum pa_format format;
    } names[] = {{"pstats", PA_FORMAT_PSTATS}, {"text", PA_FORMAT_TEXT},
                 {"collapsed", PA_FORMAT_COLLAPSED}, {"speedscope", PA_FORMAT_SPEEDSCOPE},
                 {"pprof", PA_FORMAT_PPROF}, {"html", PA_FORMAT_HTML}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        enum pa_format f;
        assert_int_equal(pa_format_from_name(names[i].name, &f), 0);
        assert_int_equal(f, names[i].format);
        const struct pa_writer_ops *ops = pa_writer_ops_for(f);
        assert_non_null(ops);
        assert_string_equal(ops->name, names[i].name);
    }
    enum pa_format f;
    assert_int_not_equal(pa_format_from_name("PSTATS", &f), 0);
    assert_int_not_equal(pa_format_from_name("", &f), 0);

    static const struct {
        const char *path;
        int rc;
        enum pa_format format;
    } files[] = {
        {"out.prof", 0, PA_FORMAT_PSTATS},         {"/tmp/x.pstats", 0, PA_FORMAT_PSTATS},
        {"report.txt", 0, PA_FORMAT_TEXT},         {"a.folded", 0, PA_FORMAT_COLLAPSED},
        {"a.collapsed", 0, PA_FORMAT_COLLAPSED},   {"profile.json", 0, PA_FORMAT_SPEEDSCOPE},
        {"PROFILE.JSON", 0, PA_FORMAT_SPEEDSCOPE}, {"noext", 0, PA_FORMAT_PSTATS},
        {"dir.json/file", 0, PA_FORMAT_PSTATS},    {"x.html", 0, PA_FORMAT_HTML},
        {"x.pb.gz", 0, PA_FORMAT_PPROF},           {"x.pprof", 0, PA_FORMAT_PPROF},
        {"X.PB.GZ", 0, PA_FORMAT_PPROF},           {"x.gz", 0, PA_FORMAT_PSTATS},
        {"Out.HTML", 0, PA_FORMAT_HTML},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        enum pa_format got = (enum pa_format)99;
        int rc = pa_format_from_filename(files[i].path, &got);
        if ((rc == 0) != (files[i].rc == 0) || (rc == 0 && got != files[i].format))
            fail_msg("%s: rc %d format %d", files[i].path, rc, (int)got);
    }
}

struct fr {
    const char *file, *name;
    int first_line, line;
    uint64_t call;
};

/* Adds a sample given root first. */
static void add(const struct pa_writer_ops *ops, struct pa_writer *w, int tid, double weight,
                double timestamp, const struct fr *frames, size_t depth)
{
    struct pa_frame f[16];
    for (size_t i = 0; i < depth; i++) {
        const struct fr *s = &frames[depth - 1 - i];
        f[i] = (struct pa_frame){.filename = s->file, .function = s->name,
                                 .first_line = s->first_line, .line = s->line, .call_id = s->call};
    }
    struct pa_stack stack = {.pid = 7, .tid = tid, .weight = weight, .timestamp = timestamp,
                             .depth = depth, .frames = f};
    struct pa_error err;
    assert_int_equal(ops->add(w, &stack, &err), PA_OK);
}

#define ADD(ops, w, tid, weight, ts, ...)                                              \
    do {                                                                               \
        const struct fr frames_[] = {__VA_ARGS__};                                     \
        add(ops, w, tid, weight, ts, frames_, sizeof frames_ / sizeof frames_[0]);     \
    } while (0)

static char *write_bytes(const struct pa_writer_ops *ops, struct pa_writer *w, size_t *len)
{
    char *text = NULL;
    FILE *mem = open_memstream(&text, len);
    struct pa_error err;
    assert_int_equal(ops->write(w, mem, &err), PA_OK);
    fclose(mem);
    return text;
}

static char *write_to_string(const struct pa_writer_ops *ops, struct pa_writer *w)
{
    size_t len;
    char *text = write_bytes(ops, w, &len);
    assert_int_equal(strlen(text), len);
    return text;
}

/* A few samples on two threads, with a built-in leaf and a name needing escapes. */
static void feed(const struct pa_writer_ops *ops, struct pa_writer *w)
{
    const struct fr mod = {"app.py", "<module>", 1, 10, 1};
    const struct fr run = {"app.py", "run", 20, 22, 2};
    const struct fr run_other_line = {"app.py", "run", 20, 25, 2};
    const struct fr work = {"lib/w.py", "work", 5, 6, 3};
    const struct fr sleep = {"~", "<built-in method time.sleep>", 0, 0, 4};
    const struct fr odd = {"we\"ird\\.py", "tab\there;semi\nnl\x01\xff", 3, 0, 5};
    ADD(ops, w, 1, 0.01, 0.00, mod, run, work);
    ADD(ops, w, 1, 0.01, 0.01, mod, run, work);
    ADD(ops, w, 2, 0.02, 0.01, mod, run_other_line, sleep);
    ADD(ops, w, 1, 0.01, 0.02, mod, run);
    ADD(ops, w, 1, 0.01, 0.03, mod, run, work);
    ADD(ops, w, 2, 0.5, 0.03, odd);
    struct pa_stack empty = {.pid = 7, .tid = 3, .weight = 1, .depth = 0, .frames = NULL};
    struct pa_error err;
    assert_int_equal(ops->add(w, &empty, &err), PA_OK);
}

static void collapsed(void **state)
{
    (void)state;
    const struct pa_writer_ops *ops = pa_writer_ops_for(PA_FORMAT_COLLAPSED);
    struct pa_writer *w = ops->create();
    feed(ops, w);
    char *text = write_to_string(ops, w);
    assert_string_equal(text,
                        "<module> (app.py:10);run (app.py:22) 1\n"
                        "<module> (app.py:10);run (app.py:22);work (lib/w.py:6) 3\n"
                        "<module> (app.py:10);run (app.py:25);<built-in method time.sleep> 1\n"
                        "tab\there_semi_nl\x01\xff (we\"ird\\.py:3) 1\n");
    /* writing again gives the same text */
    char *again = write_to_string(ops, w);
    assert_string_equal(text, again);
    free(again);
    free(text);
    ops->destroy(w);
}

/* A thread's next stack reuses the path of its last one as far as the frames are
 * equal by content: a name buffer rewritten in place between samples (the sampler's
 * strings can be freed and their memory reused), a line that moved in a middle
 * frame, a shallower and a deeper stack, and another thread in between. */
static void recent_paths_compare_content(void **state)
{
    (void)state;
    const struct pa_writer_ops *ops = pa_writer_ops_for(PA_FORMAT_COLLAPSED);
    struct pa_writer *w = ops->create();
    char name[16] = "alpha";
    const struct fr mod = {"app.py", "<module>", 1, 10, 1};
    const struct fr mid = {"app.py", "mid", 20, 21, 2};
    const struct fr mid_moved = {"app.py", "mid", 20, 23, 2};
    const struct fr leaf = {"app.py", name, 30, 31, 3};
    ADD(ops, w, 1, 0.01, 0.00, mod, mid, leaf);
    strcpy(name, "beta");
    ADD(ops, w, 1, 0.01, 0.01, mod, mid, leaf);
    ADD(ops, w, 2, 0.01, 0.01, mod, leaf);
    ADD(ops, w, 1, 0.01, 0.02, mod, mid_moved, leaf);
    ADD(ops, w, 1, 0.01, 0.03, mod);
    ADD(ops, w, 1, 0.01, 0.04, mod, mid, leaf);
    char *text = write_to_string(ops, w);
    assert_string_equal(text,
                        "<module> (app.py:10) 1\n"
                        "<module> (app.py:10);mid (app.py:21);alpha (app.py:31) 1\n"
                        "<module> (app.py:10);mid (app.py:21);beta (app.py:31) 2\n"
                        "<module> (app.py:10);beta (app.py:31) 1\n"
                        "<module> (app.py:10);mid (app.py:23);beta (app.py:31) 1\n");
    free(text);
    ops->destroy(w);
}

static void speedscope(void **state)
{
    (void)state;
    const struct pa_writer_ops *ops = pa_writer_ops_for(PA_FORMAT_SPEEDSCOPE);
    struct pa_writer *w = ops->create();
    feed(ops, w);
    char *text = write_to_string(ops, w);
    assert_string_equal(
        text,
        "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\","
        "\"shared\":{\"frames\":["
        "{\"name\":\"<module>\",\"file\":\"app.py\",\"line\":10},"
        "{\"name\":\"run\",\"file\":\"app.py\",\"line\":22},"
        "{\"name\":\"work\",\"file\":\"lib/w.py\",\"line\":6},"
        "{\"name\":\"run\",\"file\":\"app.py\",\"line\":25},"
        "{\"name\":\"<built-in method time.sleep>\"},"
        "{\"name\":\"tab\\there;semi\\nnl\\u0001\xef\xbf\xbd\",\"file\":\"we\\\"ird\\\\.py\",\"line\":3}]},"
        "\"profiles\":["
        "{\"type\":\"sampled\",\"name\":\"pid 7, thread 1\",\"unit\":\"seconds\","
        "\"startValue\":0,\"endValue\":0.04,"
        "\"samples\":[[0,1,2],[0,1],[0,1,2]],\"weights\":[0.02,0.01,0.01]},"
        "{\"type\":\"sampled\",\"name\":\"pid 7, thread 2\",\"unit\":\"seconds\","
        "\"startValue\":0.01,\"endValue\":0.53,"
        "\"samples\":[[0,3,4],[5]],\"weights\":[0.02,0.5]}],"
        "\"name\":\"pyattach\",\"activeProfileIndex\":0,\"exporter\":\"pyattach\"}\n");
    free(text);
    ops->destroy(w);
}

/* Native PCs 1 and 2 lie on ext.c:40, 3 on ext.c:41, 4 has no debug info. */
static bool fake_lines(void *user, int pid, uint32_t native_id, const char **file, int *line)
{
    (*(int *)user)++;
    if (pid != 7 || native_id < 1 || native_id > 3)
        return false;
    *file = "/src/ext.c";
    *line = native_id == 3 ? 41 : 40;
    return true;
}

/* <module> calling ext.so's hot at PCs 1, 2 and 3, then its helper (PC 4). */
static void feed_native(const struct pa_writer_ops *ops, struct pa_writer *w)
{
    static const char *const names[] = {"hot", "hot", "hot", "helper"};
    for (uint32_t i = 0; i < 4; i++) {
        struct pa_frame f[2] = {
            {.filename = "ext.so", .function = names[i], .call_id = 2 + i / 3, .native_id = i + 1},
            {.filename = "app.py", .function = "<module>", .first_line = 1, .line = 10, .call_id = 1},
        };
        struct pa_stack stack = {.pid = 7, .tid = 1, .weight = 0.01, .timestamp = 0.01 * i, .depth = 2, .frames = f};
        struct pa_error err;
        assert_int_equal(ops->add(w, &stack, &err), PA_OK);
    }
}

static void native_lines(void **state)
{
    (void)state;
    int calls = 0;
    struct pa_native_lines lines = {.lookup = fake_lines, .user = &calls};
    struct pa_recording_info info = {.mode = "wall", .native_lines = &lines};

    const struct pa_writer_ops *ops = pa_writer_ops_for(PA_FORMAT_COLLAPSED);
    struct pa_writer *w = ops->create();
    feed_native(ops, w);
    ops->describe(w, &info);
    char *text = write_to_string(ops, w);
    /* PCs of one line merge; a PC without a line shows its module, as before. */
    assert_string_equal(text, "<module> (app.py:10);hot (/src/ext.c:40) 2\n"
                              "<module> (app.py:10);hot (/src/ext.c:41) 1\n"
                              "<module> (app.py:10);helper (ext.so:0) 1\n");
    assert_int_equal(calls, 4); /* once per PC */
    free(text);
    ops->destroy(w);

    /* No lookup given (not --native, or top's saves): native frames merge per function. */
    w = ops->create();
    feed_native(ops, w);
    text = write_to_string(ops, w);
    assert_string_equal(text, "<module> (app.py:10);hot (ext.so:0) 3\n<module> (app.py:10);helper (ext.so:0) 1\n");
    free(text);
    ops->destroy(w);

    ops = pa_writer_ops_for(PA_FORMAT_SPEEDSCOPE);
    w = ops->create();
    feed_native(ops, w);
    ops->describe(w, &info);
    text = write_to_string(ops, w);
    assert_string_equal(
        text,
        "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\","
        "\"shared\":{\"frames\":["
        "{\"name\":\"<module>\",\"file\":\"app.py\",\"line\":10},"
        "{\"name\":\"hot\",\"file\":\"/src/ext.c\",\"line\":40},"
        "{\"name\":\"hot\",\"file\":\"/src/ext.c\",\"line\":41},"
        "{\"name\":\"helper\",\"file\":\"ext.so\"}]},"
        "\"profiles\":["
        "{\"type\":\"sampled\",\"name\":\"pid 7, thread 1\",\"unit\":\"seconds\","
        "\"startValue\":0,\"endValue\":0.04,"
        "\"samples\":[[0,1],[0,1],[0,2],[0,3]],\"weights\":[0.01,0.01,0.01,0.01]}],"
        "\"name\":\"pyattach\",\"activeProfileIndex\":0,\"exporter\":\"pyattach\"}\n");
    /* Samples added after a write are resolved at the next one, onto the same frames. */
    feed_native(ops, w);
    char *again = write_to_string(ops, w);
    assert_non_null(strstr(again, "\"samples\":[[0,1],[0,1],[0,2],[0,3],[0,1],[0,1],[0,2],[0,3]]"));
    free(again);
    free(text);
    ops->destroy(w);
}

/* pstats and text: a second write gives the same bytes (live view saves). */
static void repeatable_writes(void **state)
{
    (void)state;
    for (enum pa_format f = PA_FORMAT_PSTATS; f <= PA_FORMAT_TEXT; f++) {
        const struct pa_writer_ops *ops = pa_writer_ops_for(f);
        struct pa_writer *w = ops->create();
        feed(ops, w);
        size_t la, lb, lc;
        char *a = write_bytes(ops, w, &la);
        feed(ops, w);
        feed(ops, w);
        char *b = write_bytes(ops, w, &lb);
        char *c = write_bytes(ops, w, &lc);
        assert_true(la != lb || memcmp(a, b, la) != 0);
        assert_int_equal(lb, lc);
        assert_memory_equal(b, c, lb);
        free(a);
        free(b);
        free(c);
        ops->destroy(w);
    }
}

static void empty_profiles(void **state)
{
    (void)state;
    static const char *const want[] = {
        "\xfb" "0", /* {} as marshal.dump writes it */
        "         0 function calls in 0.000 seconds\n\n",
        "",
        "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\","
        "\"shared\":{\"frames\":[]},\"profiles\":[],"
        "\"name\":\"pyattach\",\"activeProfileIndex\":0,\"exporter\":\"pyattach\"}\n",
    };
    for (enum pa_format f = PA_FORMAT_PSTATS; f <= PA_FORMAT_SPEEDSCOPE; f++) {
        const struct pa_writer_ops *ops = pa_writer_ops_for(f);
        struct pa_writer *w = ops->create();
        char *text = write_to_string(ops, w);
        assert_string_equal(text, want[f]);
        free(text);
        ops->destroy(w);
    }
}

static void write_errors(void **state)
{
    (void)state;
    for (enum pa_format f = PA_FORMAT_PSTATS; f <= PA_FORMAT_PPROF; f++) {
        const struct pa_writer_ops *ops = pa_writer_ops_for(f);
        struct pa_writer *w = ops->create();
        for (int i = 0; i < 200; i++)
            feed(ops, w);
        FILE *full = fopen("/dev/full", "w");
        assert_non_null(full);
        struct pa_error err;
        pa_error_clear(&err);
        assert_int_equal(ops->write(w, full, &err), PA_E_OUTPUT);
        assert_non_null(strstr(err.message, "No space left"));
        fclose(full);
        ops->destroy(w);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registry),
        cmocka_unit_test(collapsed),
        cmocka_unit_test(recent_paths_compare_content),
        cmocka_unit_test(speedscope),
        cmocka_unit_test(native_lines),
        cmocka_unit_test(repeatable_writes),
        cmocka_unit_test(empty_profiles),
        cmocka_unit_test(write_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
