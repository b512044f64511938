/* The text writer (-f text, .txt): the table cProfile prints, from the same
 * aggregation as the pstats writer and the same printer as `pyattach view`. */
#include <stdlib.h>

#include "output/profile_aggregate.h"
#include "output/pstats_table.h"
#include "output/writer_impl.h"

struct text_writer {
    struct pa_writer base;
    struct pa_aggregate agg;
};

static struct pa_writer *create(void)
{
    struct text_writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->base.ops = &pa_text_writer_ops;
    pa_aggregate_init(&w->agg);
    return &w->base;
}

static enum pa_status add(struct pa_writer *writer, const struct pa_stack *stack,
                          struct pa_error *err)
{
    return pa_aggregate_add(&((struct text_writer *)writer)->agg, stack, err);
}

static enum pa_status write_out(struct pa_writer *writer, FILE *out, struct pa_error *err)
{
    /* what Stats(profile).sort_stats("cumulative").print_stats() prints */
    static const char *const sort_keys[] = {"cumulative"};
    struct pa_table_request req = {
        .sort_keys = sort_keys,
        .nsort_keys = 1,
        .print_stats = true,
    };
    return pa_table_print(&((struct text_writer *)writer)->agg.profile, &req, out, err);
}

static void destroy(struct pa_writer *writer)
{
    if (writer == NULL)
        return;
    pa_aggregate_free(&((struct text_writer *)writer)->agg);
    free(writer);
}

const struct pa_writer_ops pa_text_writer_ops = {
    .name = "text",
    .create = create,
    .add = add,
    .write = write_out,
    .destroy = destroy,
};
