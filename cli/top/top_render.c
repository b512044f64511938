/* The text of top's screen; top_screen.c puts it on the terminal, top.c prints it
 * plain when stdout is not one. */
#include "cli/top/top_render.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/top/top_names.h"
#include "sampler/request_roots.h"

#define LINE 2048
#define HEADER_LINES 4 /* title, figures, view, notice */
#define NUMBERS_WIDTH 38 /* "%5.1f %6.1f %7.2f %9.2f %6s " */
#define HELP "1-4:sort /:filter p:pause r:reset a:interval m:mode t:threads R:endpoints s:save S:+html q:quit"

struct out {
    top_put_line put;
    void *user;
    size_t width; /* 0: no limit */
    int y;
};

static void emit(struct out *o, enum top_style style, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void emit(struct out *o, enum top_style style, const char *fmt, ...)
{
    char line[LINE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (o->width) {
        /* never wrapped: cut, or padded so a reverse-video bar spans the screen */
        size_t len = strlen(line), w = o->width < sizeof line ? o->width : sizeof line - 1;
        if (len > w)
            line[w] = '\0';
        else if (style == TOP_TITLE || style == TOP_BAR) {
            memset(line + len, ' ', w - len);
            line[w] = '\0';
        }
    }
    o->put(o->user, o->y++, line, style);
}

static void title(struct out *o, const struct top_header *h)
{
    emit(o, TOP_PLAIN, "pyattach top - %s - %s", h->versions, h->targets);
    char gil[16] = "n/a";
    if (h->gil_known)
        snprintf(gil, sizeof gil, "%.0f%%", h->gil * 100);
    emit(o, TOP_PLAIN, "Samples %.1f/s  Mode %s  Threads %u active %u idle  GIL %s  Errors %llu", h->rate,
         pa_mode_name(h->mode), h->active, h->idle, gil, (unsigned long long)h->errors);
}

static void view_line(struct out *o, const struct top_snapshot *s, const struct top_view *v)
{
    char filter[96] = "";
    if (v->editing_filter)
        snprintf(filter, sizeof filter, "  Filter: %s_", v->filter);
    else if (v->filter[0])
        snprintf(filter, sizeof filter, "  Filter: %s", v->filter);
    emit(o, TOP_PLAIN, "%s, %s %.1f s  Sort %s%s%s", v->threads ? "Threads" : v->endpoints ? "Endpoints" : "Functions",
         v->interval ? "last interval of" : "accumulated over",
         v->interval ? s->header.interval : s->header.elapsed,
         v->threads ? "%Time" : top_sort_name(v->sort, v->endpoints), filter, v->paused ? "  [PAUSED]" : "");
}

static void format_calls(int64_t calls, char *out, size_t size)
{
    if (calls < 1000000)
        snprintf(out, size, "%lld", (long long)calls);
    else if (calls < 1000000000)
        snprintf(out, size, "%lldk", (long long)(calls / 1000));
    else
        snprintf(out, size, "%lldM", (long long)(calls / 1000000));
}

/* Directories a name is shown relative to: the main script's (sys.path[0] when
 * running a script: the directory of the busiest <module> row) and the target's
 * working directory (sys.path[0] with -m and -c). */
struct dirs {
    char script[512];
    const char *list[2];
    size_t n;
};

static void find_dirs(const struct top_table *t, const struct top_header *h, struct dirs *d)
{
    d->n = 0;
    const struct top_row *main_row = NULL;
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(t->rows[i].function, "<module>") == 0 && t->rows[i].file[0] == '/' &&
            (main_row == NULL || t->rows[i].total > main_row->total))
            main_row = &t->rows[i];
    if (main_row) {
        snprintf(d->script, sizeof d->script, "%s", main_row->file);
        char *slash = strrchr(d->script, '/');
        if (slash && slash != d->script) {
            *slash = '\0';
            d->list[d->n++] = d->script;
        }
    }
    if (h->cwd[0])
        d->list[d->n++] = h->cwd;
}

/* "file:line" in at most width characters (0: no limit), the line number kept whole. */
static void where(const char *file, long long line, const struct dirs *d, size_t width, char *out, size_t size)
{
    if (strcmp(file, "~") == 0) {
        out[0] = '\0'; /* built-in or synthetic: pstats shows the bare name */
        return;
    }
    char number[24], path[LINE];
    int n = snprintf(number, sizeof number, ":%lld", line);
    const char *shown = top_relative_path(file, d->list, d->n);
    if (width > (size_t)n)
        top_fit(shown, width - (size_t)n, path, sizeof path);
    else
        snprintf(path, sizeof path, "%s", width ? "" : shown);
    /* Cut the path, never the line number, if the two overflow the buffer. */
    size_t keep = strnlen(path, size > (size_t)n + 1 ? size - (size_t)n - 1 : 0);
    memcpy(out, path, keep);
    memcpy(out + keep, number, (size_t)n + 1 <= size - keep ? (size_t)n + 1 : 0);
    if ((size_t)n + 1 > size - keep)
        out[keep] = '\0';
}

static void function_rows(struct out *o, const struct top_snapshot *s, const struct top_view *v, size_t room)
{
    const struct top_table *t = v->interval ? &s->interval : &s->accumulated;
    size_t *order = malloc((t->count ? t->count : 1) * sizeof *order);
    if (order == NULL)
        return;
    struct dirs dirs;
    find_dirs(&s->accumulated, &s->header, &dirs);
    size_t total = top_table_select(t, v->sort, false, v->filter, order, t->count);
    size_t shown = total < room ? total : room;
    if (o->width == 0 && total > room)
        shown = room - 1;
    /* the function column as wide as its longest name, at most half of what is left */
    size_t rest = o->width > NUMBERS_WIDTH + 20 ? o->width - NUMBERS_WIDTH : 20, fw = 8;
    for (size_t i = 0; i < shown; i++) {
        size_t len = strlen(t->rows[order[i]].function);
        fw = len > fw ? len : fw;
    }
    if (o->width && fw > rest / 2)
        fw = rest / 2;
    emit(o, TOP_BAR, " %%Own %%Total OwnTime TotalTime  Calls %-*s %s", (int)fw, "Function", "File:Line");
    double weight = t->weight > 0 ? t->weight : 1;
    for (size_t i = 0; i < shown; i++) {
        const struct top_row *r = &t->rows[order[i]];
        char calls[24], file[LINE], fn[LINE];
        format_calls(r->calls, calls, sizeof calls);
        where(r->file, (long long)r->line, &dirs, o->width ? rest - fw - 1 : 0, file, sizeof file);
        if (o->width)
            top_fit(r->function, fw, fn, sizeof fn);
        else
            snprintf(fn, sizeof fn, "%s", r->function);
        emit(o, TOP_PLAIN, "%5.1f %6.1f %7.2f %9.2f %6s %-*s %s", 100 * r->own / weight, 100 * r->total / weight,
             r->own, r->total, calls, (int)fw, fn, file);
    }
    if (o->width == 0 && total > shown)
        emit(o, TOP_PLAIN, "... %zu more functions", total - shown);
    if (total == 0)
        emit(o, TOP_PLAIN, "%s", t->count ? "(no function matches the filter)" : "(no Python frames sampled yet)");
    free(order);
}

/* R: one row per --by-request root. Requests are the distinct handler calls seen
 * (ncalls' rule); <no request> has none. Past the cap on labels, a last line says how
 * many went into <other requests>: that row alone cannot tell one busy endpoint from
 * fifty. */
static void endpoint_rows(struct out *o, const struct top_snapshot *s, const struct top_view *v, size_t room)
{
    const struct top_table *t = v->interval ? &s->interval : &s->accumulated;
    emit(o, TOP_BAR, " %%Time    Time(s) Requests  ms/Req  Endpoint");
    if (!s->header.by_request) {
        emit(o, TOP_PLAIN, "(no endpoints: start top with --by-request)");
        return;
    }
    size_t folded = s->header.requests_folded;
    if (folded > 0 && room > (o->width ? 0 : 1))
        room--; /* the folded line's, under the rows (a plain snapshot keeps one for "... N more") */
    size_t *order = malloc((t->count ? t->count : 1) * sizeof *order);
    if (order == NULL)
        return;
    size_t total = top_table_select(t, v->sort, true, v->filter, order, t->count);
    size_t shown = total < room ? total : room;
    if (o->width == 0 && total > room)
        shown = room - 1;
    double weight = t->weight > 0 ? t->weight : 1;
    for (size_t i = 0; i < shown; i++) {
        const struct top_row *r = &t->rows[order[i]];
        char calls[24] = "-", per[24] = "-";
        if (strcmp(r->function, "<no request>") != 0) {
            format_calls(r->calls, calls, sizeof calls);
            snprintf(per, sizeof per, "%.1f", 1000 * top_row_per_call(r));
        }
        emit(o, TOP_PLAIN, "%6.1f %10.2f %8s %7s  %s", 100 * r->total / weight, r->total, calls, per, r->function);
    }
    if (o->width == 0 && total > shown)
        emit(o, TOP_PLAIN, "... %zu more endpoints", total - shown);
    if (total == 0)
        emit(o, TOP_PLAIN, "%s", t->count ? "(no endpoint matches the filter)" : "(no samples yet)");
    if (folded > 0)
        emit(o, TOP_PLAIN, "%zu request label%s folded into " PA_OTHER_REQUESTS " (at most %d since top started)",
             folded, folded == 1 ? "" : "s", PA_REQUEST_LABELS_MAX);
    free(order);
}

static void thread_rows(struct out *o, const struct top_snapshot *s, const struct top_view *v, size_t room)
{
    const struct top_table *t = v->interval ? &s->interval : &s->accumulated;
    double weight = t->weight > 0 ? t->weight : 1;
    size_t rest = o->width > 60 ? o->width - 50 : 30;
    struct dirs dirs;
    find_dirs(&s->accumulated, &s->header, &dirs);
    emit(o, TOP_BAR, "    TID   %%Time    Time(s)  %-20s Running now", "Thread");
    for (size_t i = 0; i < s->nthreads && i < room; i++) {
        const struct top_thread_row *r = &s->threads[i];
        double time = v->interval ? r->interval : r->time;
        char name[32], now[LINE], fitted[LINE];
        top_fit(r->label, 20, name, sizeof name);
        char file[LINE];
        where(r->leaf_file, r->leaf_line, &dirs, 0, file, sizeof file);
        snprintf(now, sizeof now, "%.255s %.1700s", r->leaf, file);
        top_fit(now, o->width ? rest : sizeof fitted - 1, fitted, sizeof fitted);
        emit(o, TOP_PLAIN, "%7d %7.1f %10.2f  %-20s %s", r->tid, 100 * time / weight, time, name, fitted);
    }
    if (s->nthreads == 0)
        emit(o, TOP_PLAIN, "(no thread with Python frames sampled yet)");
}

void top_render(const struct top_snapshot *snap, const struct top_view *view, size_t width, size_t height,
                size_t max_plain_rows, top_put_line put, void *user)
{
    struct out o = {put, user, width, 0};
    title(&o, &snap->header);
    view_line(&o, snap, view);
    if (width)
        emit(&o, view->message[0] ? TOP_NOTICE : TOP_PLAIN, "%s", view->message);
    size_t room = max_plain_rows ? max_plain_rows : 1;
    if (width)
        room = height > HEADER_LINES + 2 ? height - HEADER_LINES - 2 : 0;
    if (view->threads)
        thread_rows(&o, snap, view, room);
    else if (view->endpoints)
        endpoint_rows(&o, snap, view, room);
    else
        function_rows(&o, snap, view, room);
    if (width && height > 0) {
        o.y = (int)height - 1;
        emit(&o, TOP_TITLE, "%s", HELP);
    }
}
