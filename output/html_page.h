/* The HTML viewer page: the embedded CSS, body and JavaScript (viewer/, built into the
 * binary) around a profile's data as JSON, and the JSON parts every producer shares
 * (string table, pstats functions and edges, recording info). */
#ifndef PYATTACH_HTML_PAGE_H
#define PYATTACH_HTML_PAGE_H

#include <stdint.h>
#include <stdio.h>

#include "attach/error.h"
#include "output/profile.h"
#include "output/writer.h"

/* Times of tree nodes and lines are written as integers of this many seconds. */
#define PA_HTML_TICK 1e-6

/* Writes the page: write_data(out, ctx) must write one JSON object (the format
 * viewer/model.js load() reads). PA_E_OUTPUT when writing fails. */
enum pa_status pa_html_write_page(FILE *out, const char *title, void (*write_data)(FILE *out, const void *ctx),
                                  const void *ctx, struct pa_error *err);

/* "strings":[...],"funcs":[...],"edges":[...] of a profile: every function as
 * file, line, name, has_stats, nc, cc, tt, ct; every edge as caller, callee, nc, cc, tt, ct. */
void pa_html_json_profile(FILE *out, const struct pa_profile *profile);

/* "info":{...}: what the page's header shows. info may be NULL. */
void pa_html_json_info(FILE *out, const struct pa_recording_info *info, uint64_t samples, const char *file);

/* A page from a pstats (or pprof) profile alone: no tree, the page unrolls one from
 * the caller/callee totals and says it is an approximation (`view --html`). */
enum pa_status pa_html_write_profile(const struct pa_profile *profile, const char *file, FILE *out,
                                     struct pa_error *err);

#endif
