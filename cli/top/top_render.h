/* Lays out top's screen as lines of text (header, column titles, rows, help line),
 * for the terminal (width x height) or as a plain snapshot (width 0: nothing cut). */
#ifndef PYATTACH_TOP_RENDER_H
#define PYATTACH_TOP_RENDER_H

#include <stddef.h>

#include "cli/top/top_keys.h"
#include "cli/top/top_snapshot.h"

enum top_style { TOP_PLAIN, TOP_TITLE, TOP_BAR, TOP_NOTICE };

/* Receives each line: its row on the screen (from 0), its text and its style. */
typedef void (*top_put_line)(void *user, int y, const char *text, enum top_style style);

/* width 0: plain text, no column is cut and at most max_plain_rows rows are listed
 * (then a "... N more" line); else exactly width columns and height lines at most,
 * the help line last. */
void top_render(const struct top_snapshot *snap, const struct top_view *view, size_t width, size_t height,
                size_t max_plain_rows, top_put_line put, void *user);

#endif
