/* The output format registry: format names (-f), file extensions (-o) and the ops
 * of each format. */
#include "output/writer_impl.h"

#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    enum pa_format format;
} NAMES[] = {
    {"pstats", PA_FORMAT_PSTATS},
    {"text", PA_FORMAT_TEXT},
    {"collapsed", PA_FORMAT_COLLAPSED},
    {"speedscope", PA_FORMAT_SPEEDSCOPE},
    {"pprof", PA_FORMAT_PPROF},
    {"html", PA_FORMAT_HTML},
};

/* Extensions from the CLI contract. */
static const struct {
    const char *suffix;
    int format; /* -1: reserved */
} SUFFIXES[] = {
    {".prof", PA_FORMAT_PSTATS},     {".pstats", PA_FORMAT_PSTATS},
    {".txt", PA_FORMAT_TEXT},        {".folded", PA_FORMAT_COLLAPSED},
    {".collapsed", PA_FORMAT_COLLAPSED}, {".json", PA_FORMAT_SPEEDSCOPE},
    {".html", PA_FORMAT_HTML},                  {".pb.gz", PA_FORMAT_PPROF},
    {".pprof", PA_FORMAT_PPROF},
};

const struct pa_writer_ops *pa_writer_ops_for(enum pa_format format)
{
    switch (format) {
    case PA_FORMAT_PSTATS:
        return &pa_pstats_writer_ops;
    case PA_FORMAT_TEXT:
        return &pa_text_writer_ops;
    case PA_FORMAT_COLLAPSED:
        return &pa_collapsed_writer_ops;
    case PA_FORMAT_SPEEDSCOPE:
        return &pa_speedscope_writer_ops;
    case PA_FORMAT_PPROF:
        return &pa_pprof_writer_ops;
    case PA_FORMAT_HTML:
        return &pa_html_writer_ops;
    }
    return NULL;
}

int pa_format_from_name(const char *name, enum pa_format *out)
{
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++) {
        if (strcmp(name, NAMES[i].name) == 0) {
            *out = NAMES[i].format;
            return 0;
        }
    }
    return -1;
}

int pa_format_from_filename(const char *path, enum pa_format *out)
{
    size_t len = strlen(path);
    for (size_t i = 0; i < sizeof SUFFIXES / sizeof SUFFIXES[0]; i++) {
        size_t n = strlen(SUFFIXES[i].suffix);
        if (len > n && strcasecmp(path + len - n, SUFFIXES[i].suffix) == 0) {
            if (SUFFIXES[i].format < 0)
                return -1;
            *out = (enum pa_format)SUFFIXES[i].format;
            return 0;
        }
    }
    *out = PA_FORMAT_PSTATS; /* no known extension: cProfile's format, the default */
    return 0;
}
