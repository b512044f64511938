/* The cProfile text report: what pstats.Stats prints in print_stats(),
 * print_callers() and print_callees(), character for character. */
#ifndef PYATTACH_PSTATS_TABLE_H
#define PYATTACH_PSTATS_TABLE_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "attach/error.h"
#include "output/profile.h"

/* One restriction of print_stats(*amount), applied in order as pstats does. */
enum pa_table_select {
    PA_SELECT_COUNT,     /* the first N rows (print_stats(N)) */
    PA_SELECT_FRACTION,  /* a fraction 0 <= f < 1 of the rows (print_stats(.1)) */
    PA_SELECT_REGEX,     /* rows whose "file:line(name)" matches (print_stats('re')) */
};

struct pa_table_selection {
    enum pa_table_select kind;
    long long count;
    double fraction;
    const regex_t *regex; /* compiled by the caller (POSIX extended) */
    const char *pattern;  /* its text, for the "List reduced ..." line */
};

struct pa_table_request {
    const char *const *sort_keys;   /* pstats sort_stats() words (abbreviations allowed); */
    size_t nsort_keys;              /* none: file order ("Random listing order was used") */
    const struct pa_table_selection *selections;
    size_t nselections;
    const char *source_line;        /* pstats' "<ctime>    <path>" line, or NULL */
    bool print_stats, print_callers, print_callees;
};

/* Whether pstats' sort_stats() accepts the word (full key or unique abbreviation). */
bool pa_table_sort_key_known(const char *word);

/* Prints the report of the functions that have stats. PA_E_OUTPUT on a write error. */
enum pa_status pa_table_print(const struct pa_profile *profile, const struct pa_table_request *req,
                              FILE *out, struct pa_error *err);

#endif
