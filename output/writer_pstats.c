/* The pstats writer (-f pstats, .prof): aggregates samples into cProfile's model and
 * writes the marshalled stats dict, loadable by pstats.Stats and its tools. */
#include <stdlib.h>

#include "output/profile_aggregate.h"
#include "output/pstats_file.h"
#include "output/writer_impl.h"

struct pstats_writer {
    struct pa_writer base;
    struct pa_aggregate agg;
};

static struct pa_writer *create(void)
{
    struct pstats_writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->base.ops = &pa_pstats_writer_ops;
    pa_aggregate_init(&w->agg);
    return &w->base;
}

static enum pa_status add(struct pa_writer *writer, const struct pa_stack *stack,
                          struct pa_error *err)
{
    return pa_aggregate_add(&((struct pstats_writer *)writer)->agg, stack, err);
}

static enum pa_status write_out(struct pa_writer *writer, FILE *out, struct pa_error *err)
{
    return pa_pstats_write(&((struct pstats_writer *)writer)->agg.profile, out, err);
}

static void destroy(struct pa_writer *writer)
{
    if (writer == NULL)
        return;
    pa_aggregate_free(&((struct pstats_writer *)writer)->agg);
    free(writer);
}

const struct pa_writer_ops pa_pstats_writer_ops = {
    .name = "pstats",
    .create = create,
    .add = add,
    .write = write_out,
    .destroy = destroy,
};
