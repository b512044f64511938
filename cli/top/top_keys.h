/* top's view state and its keys: each handler changes what is shown and returns what
 * the main loop must do next, so input, sampling and drawing stay apart (as in htop). */
#ifndef PYATTACH_TOP_KEYS_H
#define PYATTACH_TOP_KEYS_H

#include <stdbool.h>

#include "cli/top/top_snapshot.h"

struct top_view {
    enum top_sort sort;
    char filter[64];
    bool editing_filter;  /* `/` typed: keys go to the filter until Enter or Esc */
    bool paused;          /* the display is frozen; sampling continues */
    bool interval;        /* last-interval figures instead of accumulated ones */
    bool threads;         /* one row per thread */
    bool endpoints;       /* one row per --by-request endpoint (R) */
    bool exited;          /* the targets are gone: any key quits */
    char message[200];    /* a one-line notice: file saved, mode changed, ... */
};

enum top_action {
    TOP_NOTHING,   /* not a key of ours */
    TOP_REDRAW,    /* the view changed: draw the snapshot again */
    TOP_QUIT,
    TOP_RESET,     /* forget the totals */
    TOP_SAVE,      /* write the accumulated profile */
    TOP_SAVE_HTML, /* the same, and the HTML viewer of it */
    TOP_NEXT_MODE, /* wall -> cpu -> gil -> wall */
    TOP_RESIZE,    /* the terminal changed size */
};

enum top_action top_view_key(struct top_view *view, int key);

#endif
