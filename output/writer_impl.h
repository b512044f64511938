/* What every writer implementation shares: its struct starts with struct pa_writer,
 * and the registry in writer.c knows each format's ops. */
#ifndef PYATTACH_WRITER_IMPL_H
#define PYATTACH_WRITER_IMPL_H

#include "output/writer.h"

struct pa_writer {
    const struct pa_writer_ops *ops;
};

extern const struct pa_writer_ops pa_pstats_writer_ops;
extern const struct pa_writer_ops pa_text_writer_ops;
extern const struct pa_writer_ops pa_collapsed_writer_ops;
extern const struct pa_writer_ops pa_speedscope_writer_ops;
extern const struct pa_writer_ops pa_pprof_writer_ops;
extern const struct pa_writer_ops pa_html_writer_ops;

#endif
