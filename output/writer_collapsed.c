/* The collapsed-stack writer (-f collapsed, .folded): one line per distinct stack,
 * "root;...;leaf COUNT", frames as "function (file:line)" like py-spy, COUNT in samples;
 * a native frame's file:line is its source's where known, else "(module:0)". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output/stack_trie.h"
#include "output/writer_impl.h"

struct collapsed_writer {
    struct pa_writer base;
    struct pa_stack_trie trie;
    struct pa_native_lines lines; /* lookup NULL: none given */
};

static struct pa_writer *create(void)
{
    struct collapsed_writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->base.ops = &pa_collapsed_writer_ops;
    pa_stack_trie_init(&w->trie);
    return &w->base;
}

static enum pa_status add(struct pa_writer *writer, const struct pa_stack *stack,
                          struct pa_error *err)
{
    uint32_t leaf;
    if (!pa_stack_trie_add(&((struct collapsed_writer *)writer)->trie, stack, &leaf))
        return pa_fail(err, PA_E_NOMEM, "out of memory collecting stacks");
    return PA_OK;
}

/* ';' separates frames and a newline ends the line: neither may appear in a name. */
static void put_text(FILE *out, const char *s)
{
    for (; *s; s++)
        fputc(*s == ';' || *s == '\n' || *s == '\r' ? '_' : *s, out);
}

static void put_frame(FILE *out, const struct pa_stack_trie *trie, uint32_t frame)
{
    const struct pa_tframe *f = &trie->frames[frame];
    const char *file = pa_strtab_text(&trie->strings, f->file);
    put_text(out, pa_strtab_text(&trie->strings, f->function));
    if (strcmp(file, "~") == 0)
        return; /* built-in / synthetic frames have no file, as in pstats */
    fputs(" (", out);
    put_text(out, file);
    fprintf(out, ":%d)", f->line);
}

static void describe(struct pa_writer *writer, const struct pa_recording_info *info)
{
    struct collapsed_writer *w = (struct collapsed_writer *)writer;
    w->lines = info->native_lines ? *info->native_lines : (struct pa_native_lines){0};
}

static enum pa_status write_out(struct pa_writer *writer, FILE *out, struct pa_error *err)
{
    struct collapsed_writer *w = (struct collapsed_writer *)writer;
    if (!pa_stack_trie_resolve(&w->trie, w->lines.lookup ? &w->lines : NULL, NULL))
        return pa_fail(err, PA_E_NOMEM, "out of memory writing stacks");
    const struct pa_stack_trie *trie = &w->trie;
    uint32_t *path = malloc((trie->max_depth ? trie->max_depth : 1) * sizeof *path);
    if (path == NULL)
        return pa_fail(err, PA_E_NOMEM, "out of memory writing stacks");
    for (uint32_t n = 0; n < trie->nnodes; n++) {
        if (trie->nodes[n].count == 0)
            continue;
        size_t depth = pa_stack_trie_path(trie, n, path, trie->max_depth);
        for (size_t i = 0; i < depth; i++) {
            if (i > 0)
                fputc(';', out);
            put_frame(out, trie, path[i]);
        }
        fprintf(out, " %llu\n", (unsigned long long)trie->nodes[n].count);
    }
    free(path);
    if (fflush(out) != 0 || ferror(out))
        return pa_fail(err, PA_E_OUTPUT, "cannot write the collapsed stacks: %s", strerror(errno));
    return PA_OK;
}

static void destroy(struct pa_writer *writer)
{
    if (writer == NULL)
        return;
    pa_stack_trie_free(&((struct collapsed_writer *)writer)->trie);
    free(writer);
}

const struct pa_writer_ops pa_collapsed_writer_ops = {
    .name = "collapsed",
    .create = create,
    .add = add,
    .write = write_out,
    .destroy = destroy,
    .describe = describe,
};
