/* top's terminal: curses on and off, and the promise that the terminal comes back
 * however top ends (q, signals, exit(), a crash). */
#ifndef PYATTACH_TOP_TERM_H
#define PYATTACH_TOP_TERM_H

#include <stdbool.h>

#include "cli/top/top_keys.h"
#include "cli/top/top_snapshot.h"

/* Starts curses on the terminal of stdin/stdout; false (with nothing changed) if
 * it cannot. Installs the crash-path handlers and an atexit restore. */
bool top_term_open(void);

/* Ends curses and restores the terminal; safe to call twice. */
void top_term_close(void);

/* Draws the snapshot as the view says, at the terminal's current size. */
void top_term_draw(const struct top_snapshot *snap, const struct top_view *view);

/* The next key, or -1 when none is waiting (never blocks). */
int top_term_key(void);

#endif
