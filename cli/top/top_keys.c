/* Keys of top: 1-4 / p r a m t R s S q, and the filter line editor. */
#include "cli/top/top_keys.h"

#include <curses.h>
#include <string.h>

#define KEY_CTRL_C 3
#define KEY_ESCAPE 27

static enum top_action edit_filter(struct top_view *v, int key)
{
    size_t len = strlen(v->filter);
    if (key == '\n' || key == '\r' || key == KEY_ENTER) {
        v->editing_filter = false;
    } else if (key == KEY_ESCAPE) {
        v->editing_filter = false;
        v->filter[0] = '\0';
    } else if (key == KEY_BACKSPACE || key == 127 || key == 8) {
        if (len > 0)
            v->filter[len - 1] = '\0';
    } else if (key >= 32 && key < 127 && len + 1 < sizeof v->filter) {
        v->filter[len] = (char)key;
        v->filter[len + 1] = '\0';
    } else {
        return TOP_NOTHING;
    }
    return TOP_REDRAW;
}

enum top_action top_view_key(struct top_view *v, int key)
{
    if (key == KEY_CTRL_C)
        return TOP_QUIT;
    if (key == KEY_RESIZE)
        return TOP_RESIZE;
    if (v->exited)
        return TOP_QUIT; /* "press any key" */
    if (v->editing_filter)
        return edit_filter(v, key);
    switch (key) {
    case 'q':
    case 'Q':
        return TOP_QUIT;
    case '1':
    case '2':
    case '3':
    case '4':
        v->sort = (enum top_sort)(key - '1');
        return TOP_REDRAW;
    case '/':
        v->editing_filter = true;
        v->filter[0] = '\0';
        return TOP_REDRAW;
    case KEY_ESCAPE:
        v->filter[0] = '\0';
        return TOP_REDRAW;
    case 'p':
        v->paused = !v->paused;
        return TOP_REDRAW;
    case 'a':
        v->interval = !v->interval;
        return TOP_REDRAW;
    case 't':
        v->threads = !v->threads;
        v->endpoints = false;
        return TOP_REDRAW;
    case 'R':
        v->endpoints = !v->endpoints;
        v->threads = false;
        return TOP_REDRAW;
    case 'r':
        return TOP_RESET;
    case 'm':
        return TOP_NEXT_MODE;
    case 's':
        return TOP_SAVE;
    case 'S':
        return TOP_SAVE_HTML;
    case 12: /* Ctrl-L */
        return TOP_RESIZE;
    default:
        return TOP_NOTHING;
    }
}
