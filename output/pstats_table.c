/* pstats' report printer, ported from Lib/pstats.py (identical from 3.6 to 3.13):
 * print_stats/print_callers/print_callees, sort_stats keys and abbreviations,
 * eval_print_amount restrictions. Widths count code points, as Python's ljust does. */
#include "output/pstats_table.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "output/json.h"

/* ------------------------------------------------------------ sort keys */

/* Fields of pstats' stats_list tuples: (cc, nc, tt, ct, file, line, name, stdname). */
enum field { F_CC, F_NC, F_TT, F_CT, F_FILE, F_LINE, F_NAME, F_STD };

struct sort_def {
    const char *word;
    int nfields;
    int fields[3][2]; /* field, direction (-1 descending) */
    const char *description;
};

/* sort_arg_dict_default, in its order (the order matters for abbreviations). */
static const struct sort_def SORT_DEFS[] = {
    {"calls", 1, {{F_NC, -1}}, "call count"},
    {"ncalls", 1, {{F_NC, -1}}, "call count"},
    {"cumtime", 1, {{F_CT, -1}}, "cumulative time"},
    {"cumulative", 1, {{F_CT, -1}}, "cumulative time"},
    {"filename", 1, {{F_FILE, 1}}, "file name"},
    {"line", 1, {{F_LINE, 1}}, "line number"},
    {"module", 1, {{F_FILE, 1}}, "file name"},
    {"name", 1, {{F_NAME, 1}}, "function name"},
    {"nfl", 3, {{F_NAME, 1}, {F_FILE, 1}, {F_LINE, 1}}, "name/file/line"},
    {"pcalls", 1, {{F_CC, -1}}, "primitive call count"},
    {"stdname", 1, {{F_STD, 1}}, "standard name"},
    {"time", 1, {{F_TT, -1}}, "internal time"},
    {"tottime", 1, {{F_TT, -1}}, "internal time"},
};
#define NSORT_DEFS (sizeof SORT_DEFS / sizeof SORT_DEFS[0])

/* get_sort_arg_defs(): each key adds its prefixes, longest first, until it meets one
 * already taken; prefixes met twice are dropped. So "cu" means cumtime, "c" nothing. */
static const struct sort_def *sort_lookup(const char *word)
{
    struct fragment {
        const char *word;
        size_t len;
        int def;
        bool bad;
    } frags[128];
    size_t n = 0;
    for (size_t d = 0; d < NSORT_DEFS; d++) {
        for (size_t len = strlen(SORT_DEFS[d].word); len > 0; len--) {
            size_t i;
            for (i = 0; i < n; i++) {
                if (frags[i].len == len && strncmp(frags[i].word, SORT_DEFS[d].word, len) == 0)
                    break;
            }
            if (i < n) {
                frags[i].bad = true;
                break;
            }
            frags[n++] = (struct fragment){SORT_DEFS[d].word, len, (int)d, false};
        }
    }
    size_t wlen = strlen(word);
    for (size_t i = 0; i < n; i++) {
        if (!frags[i].bad && frags[i].len == wlen && strncmp(frags[i].word, word, wlen) == 0)
            return &SORT_DEFS[frags[i].def];
    }
    return NULL;
}

bool pa_table_sort_key_known(const char *word)
{
    return sort_lookup(word) != NULL;
}

/* ------------------------------------------------------------ the table */

struct table {
    const struct pa_profile *p;
    char **std;          /* func_std_string() of every function */
    size_t *std_width;   /* its length in code points */
    uint32_t *list;      /* functions with stats, in listing order */
    size_t nlist, nstats;
    size_t max_name_len;
    bool sorted;
    char sort_type[256];
    int fields[3 * 16][2];
    int nfields;
    FILE *out;
};

static size_t code_points(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static int compare_strings(const struct pa_profile *p, uint32_t a, uint32_t b)
{
    size_t la = pa_strtab_len(&p->strings, a), lb = pa_strtab_len(&p->strings, b);
    int c = memcmp(pa_strtab_text(&p->strings, a), pa_strtab_text(&p->strings, b),
                   la < lb ? la : lb);
    if (c != 0)
        return c;
    return la < lb ? -1 : la > lb;
}

#define CMP(x, y) ((x) < (y) ? -1 : (x) > (y))

static int compare_field(const struct table *t, int field, uint32_t a, uint32_t b)
{
    const struct pa_pfunc *fa = &t->p->funcs[a], *fb = &t->p->funcs[b];
    switch (field) {
    case F_CC: return CMP(fa->cc, fb->cc);
    case F_NC: return CMP(fa->nc, fb->nc);
    case F_TT: return CMP(fa->tt, fb->tt);
    case F_CT: return CMP(fa->ct, fb->ct);
    case F_FILE: return compare_strings(t->p, fa->file, fb->file);
    case F_LINE: return CMP(fa->line, fb->line);
    case F_NAME: return compare_strings(t->p, fa->name, fb->name);
    default: return strcmp(t->std[a], t->std[b]);
    }
}

/* TupleComp over the chosen fields; ties keep the dict's order (Python's sort is stable). */
static int compare_rows(const void *x, const void *y, void *ctx)
{
    const struct table *t = ctx;
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    for (int i = 0; i < t->nfields; i++) {
        int c = compare_field(t, t->fields[i][0], a, b);
        if (c != 0)
            return c * t->fields[i][1];
    }
    return CMP(a, b);
}

/* Callers and callees are printed in sorted(call_dict.keys()) order: (file, line, name). */
static int compare_keys(const void *x, const void *y, void *ctx)
{
    const struct pa_profile *p = ctx;
    const struct pa_pfunc *a = &p->funcs[*(const uint32_t *)x], *b = &p->funcs[*(const uint32_t *)y];
    int c = compare_strings(p, a->file, b->file);
    if (c == 0)
        c = CMP(a->line, b->line);
    if (c == 0)
        c = compare_strings(p, a->name, b->name);
    return c;
}

static void table_free(struct table *t)
{
    if (t->std != NULL) {
        for (uint32_t i = 0; i < t->p->nfuncs; i++)
            free(t->std[i]);
    }
    free(t->std);
    free(t->std_width);
    free(t->list);
}

static enum pa_status table_init(struct table *t, const struct pa_profile *p,
                                 const struct pa_table_request *req, FILE *out, struct pa_error *err)
{
    memset(t, 0, sizeof *t);
    t->p = p;
    t->out = out;
    size_t n = p->nfuncs ? p->nfuncs : 1;
    t->std = calloc(n, sizeof *t->std);
    t->std_width = calloc(n, sizeof *t->std_width);
    t->list = calloc(n, sizeof *t->list);
    if (t->std == NULL || t->std_width == NULL || t->list == NULL)
        return pa_fail(err, PA_E_NOMEM, "out of memory printing the profile");
    for (uint32_t i = 0; i < p->nfuncs; i++) {
        size_t len = pa_profile_std_string(p, i, NULL, 0);
        t->std[i] = malloc(len + 1);
        if (t->std[i] == NULL)
            return pa_fail(err, PA_E_NOMEM, "out of memory printing the profile");
        pa_profile_std_string(p, i, t->std[i], len + 1);
        t->std_width[i] = code_points(t->std[i]);
        if (p->funcs[i].has_stats) {
            t->list[t->nstats++] = i;
            if (t->std_width[i] > t->max_name_len)
                t->max_name_len = t->std_width[i];
        }
    }
    t->nlist = t->nstats;
    const char *connector = "";
    for (size_t k = 0; k < req->nsort_keys; k++) {
        const struct sort_def *def = sort_lookup(req->sort_keys[k]);
        if (def == NULL)
            return pa_fail(err, PA_E_USAGE, "unknown sort key '%s'", req->sort_keys[k]);
        for (int i = 0; i < def->nfields && t->nfields < (int)(sizeof t->fields / sizeof t->fields[0]);
             i++) {
            t->fields[t->nfields][0] = def->fields[i][0];
            t->fields[t->nfields][1] = def->fields[i][1];
            t->nfields++;
        }
        size_t used = strlen(t->sort_type);
        snprintf(t->sort_type + used, sizeof t->sort_type - used, "%s%s", connector, def->description);
        connector = ", ";
        t->sorted = true;
    }
    return PA_OK;
}

/* ------------------------------------------------------------ printing */

static void pad(FILE *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fputc(' ', out);
}

/* str.ljust(width) */
static void print_ljust(const struct table *t, uint32_t func, size_t width)
{
    fputs(t->std[func], t->out);
    if (t->std_width[func] < width)
        pad(t->out, width - t->std_width[func]);
}

/* "%8.3f", pstats' f8() */
static void f8(FILE *out, double x)
{
    fprintf(out, "%8.3f", x);
}

/* Python's repr() of a str, for the "List reduced" line: ASCII escapes as CPython writes
 * them; other characters are passed through (CPython would also escape unprintable ones). */
static void print_repr_str(FILE *out, const char *s)
{
    char quote = strchr(s, '\'') != NULL && strchr(s, '"') == NULL ? '"' : '\'';
    fputc(quote, out);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '\\' || *c == (unsigned char)quote)
            fprintf(out, "\\%c", *c);
        else if (*c == '\n')
            fputs("\\n", out);
        else if (*c == '\r')
            fputs("\\r", out);
        else if (*c == '\t')
            fputs("\\t", out);
        else if (*c < 0x20 || *c == 0x7f)
            fprintf(out, "\\x%02x", *c);
        else
            fputc(*c, out);
    }
    fputc(quote, out);
}

/* Python's repr() of a float: the shortest text that reads back, "0.0" not "0". */
static void format_float_repr(char *buf, size_t size, double x)
{
    pa_format_shortest(buf, size, x);
    if (strpbrk(buf, ".einf") == NULL)
        snprintf(buf + strlen(buf), size - strlen(buf), ".0");
}

/* eval_print_amount() for each selection, adding its lines to the message. */
static void apply_selections(struct table *t, const struct pa_table_request *req, FILE *msg_out)
{
    for (size_t s = 0; s < req->nselections; s++) {
        const struct pa_table_selection *sel = &req->selections[s];
        size_t before = t->nlist, after = before;
        if (sel->kind == PA_SELECT_REGEX) {
            after = 0;
            for (size_t i = 0; i < before; i++) {
                if (regexec(sel->regex, t->std[t->list[i]], 0, NULL, 0) == 0)
                    t->list[after++] = t->list[i];
            }
        } else if (sel->kind == PA_SELECT_FRACTION) {
            if (sel->fraction >= 0.0 && sel->fraction < 1.0)
                after = (size_t)((double)before * sel->fraction + .5);
        } else if (sel->count >= 0 && (unsigned long long)sel->count < before) {
            after = (size_t)sel->count;
        }
        t->nlist = after;
        if (after == before)
            continue;
        fprintf(msg_out, "   List reduced from %zu to %zu due to restriction <", before, after);
        if (sel->kind == PA_SELECT_REGEX) {
            print_repr_str(msg_out, sel->pattern);
        } else if (sel->kind == PA_SELECT_FRACTION) {
            char buf[64];
            format_float_repr(buf, sizeof buf, sel->fraction);
            fputs(buf, msg_out);
        } else {
            fprintf(msg_out, "%lld", sel->count);
        }
        fputs(">\n", msg_out);
    }
}

/* get_print_list(): restricts t->list, prints the message, returns the name width
 * (0 with nothing to list). */
static size_t print_list_header(struct table *t, const struct pa_table_request *req)
{
    /* the list is rebuilt for every report, as pstats starts again from fcn_list */
    t->nlist = 0;
    for (uint32_t i = 0; i < t->p->nfuncs; i++) {
        if (t->p->funcs[i].has_stats)
            t->list[t->nlist++] = i;
    }
    if (t->sorted)
        qsort_r(t->list, t->nlist, sizeof *t->list, compare_rows, t);

    char *msg = NULL;
    size_t msg_len = 0;
    FILE *msg_out = open_memstream(&msg, &msg_len);
    if (msg_out == NULL)
        return 0;
    if (t->sorted)
        fprintf(msg_out, "   Ordered by: %s\n", t->sort_type);
    else
        fputs("   Random listing order was used\n", msg_out);
    apply_selections(t, req, msg_out);
    fclose(msg_out);
    size_t width = 0;
    if (t->nlist > 0) {
        fputs(msg, t->out);
        fputc('\n', t->out);
        width = t->max_name_len;
        if (t->nlist < t->nstats) {
            width = 0;
            for (size_t i = 0; i < t->nlist; i++) {
                if (t->std_width[t->list[i]] > width)
                    width = t->std_width[t->list[i]];
            }
        }
        width += 2;
    }
    free(msg);
    return width;
}

static void print_line(const struct table *t, uint32_t func)
{
    const struct pa_pfunc *f = &t->p->funcs[func];
    char calls[64];
    if (f->nc != f->cc)
        snprintf(calls, sizeof calls, "%" PRId64 "/%" PRId64, f->nc, f->cc);
    else
        snprintf(calls, sizeof calls, "%" PRId64, f->nc);
    fprintf(t->out, "%9s ", calls);
    f8(t->out, f->tt);
    fputc(' ', t->out);
    if (f->nc == 0)
        pad(t->out, 8);
    else
        f8(t->out, f->tt / (double)f->nc);
    fputc(' ', t->out);
    f8(t->out, f->ct);
    fputc(' ', t->out);
    if (f->cc == 0)
        pad(t->out, 8);
    else
        f8(t->out, f->ct / (double)f->cc);
    fprintf(t->out, " %s\n", t->std[func]);
}

static void print_stats(struct table *t, const struct pa_table_request *req)
{
    const struct pa_profile *p = t->p;
    int64_t total_calls = 0, prim_calls = 0;
    double total_tt = 0;
    for (uint32_t i = 0; i < p->nfuncs; i++) {
        if (!p->funcs[i].has_stats)
            continue;
        total_calls += p->funcs[i].nc;
        prim_calls += p->funcs[i].cc;
        total_tt += p->funcs[i].tt;
    }
    if (req->source_line != NULL)
        fprintf(t->out, "%s\n\n", req->source_line);
    /* print(indent, total_calls, "function calls", end=' '): 8 spaces, then sep ' ' */
    fprintf(t->out, "         %" PRId64 " function calls ", total_calls);
    if (total_calls != prim_calls)
        fprintf(t->out, "(%" PRId64 " primitive calls) ", prim_calls);
    fprintf(t->out, "in %.3f seconds\n\n", total_tt);
    if (print_list_header(t, req) == 0)
        return;
    fputs("   ncalls  tottime  percall  cumtime  percall filename:lineno(function)\n", t->out);
    for (size_t i = 0; i < t->nlist; i++)
        print_line(t, t->list[i]);
    fputs("\n\n", t->out);
}

/* print_call_heading(): the sub-header only when the first callers dict holds tuples. */
static void print_call_heading(const struct table *t, size_t width, const char *title)
{
    fputs("Function ", t->out);
    if (width > 9)
        pad(t->out, width - 9);
    fprintf(t->out, "%s\n", title);
    for (uint32_t i = 0; i < t->p->nfuncs; i++) {
        const struct pa_pfunc *f = &t->p->funcs[i];
        if (!f->has_stats || f->callers_head == PA_INDEX_NONE)
            continue;
        if (!t->p->callers_are_counts) {
            pad(t->out, width);
            fputs("    ncalls  tottime  cumtime\n", t->out);
        }
        break;
    }
}

/* print_call_line(): `others` are the callers (or callees) of func, `edges` the matching
 * edges, sorted by the other function's key. */
static void print_call_line(const struct table *t, size_t width, uint32_t func, const char *arrow,
                            const uint32_t *others, const uint32_t *edges, size_t n)
{
    print_ljust(t, func, width);
    fprintf(t->out, "%s ", arrow);
    if (n == 0) {
        fputc('\n', t->out);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const struct pa_pedge *e = &t->p->edges[edges[i]];
        const char *name = t->std[others[i]];
        if (t->p->callers_are_counts) {
            if (i > 0)
                pad(t->out, width + 3);
            fprintf(t->out, "%s(%" PRId64 ") ", name, e->nc);
            f8(t->out, t->p->funcs[others[i]].ct);
            fputc('\n', t->out);
            continue;
        }
        if (i > 0)
            pad(t->out, width + 1);
        char calls[64];
        if (e->nc != e->cc)
            snprintf(calls, sizeof calls, "%" PRId64 "/%" PRId64, e->nc, e->cc);
        else
            snprintf(calls, sizeof calls, "%" PRId64, e->nc);
        fprintf(t->out, "%*s ", i > 0 ? 9 : 7, calls);
        f8(t->out, e->tt);
        fputc(' ', t->out);
        f8(t->out, e->ct);
        fprintf(t->out, "  %s\n", name);
    }
}

struct edge_ref {
    uint32_t other, edge;
};

static int compare_edge_refs(const void *x, const void *y, void *ctx)
{
    return compare_keys(&((const struct edge_ref *)x)->other, &((const struct edge_ref *)y)->other,
                        ctx);
}

/* Edges grouped by caller (calc_callees()): by_caller[start[f] .. start[f + 1]). */
struct callee_index {
    uint32_t *start;
    uint32_t *by_caller;
};

static bool callee_index_build(const struct pa_profile *p, struct callee_index *ci)
{
    ci->start = calloc((size_t)p->nfuncs + 1, sizeof *ci->start);
    ci->by_caller = malloc((p->nedges ? p->nedges : 1) * sizeof *ci->by_caller);
    if (ci->start == NULL || ci->by_caller == NULL)
        return false;
    for (uint32_t e = 0; e < p->nedges; e++)
        ci->start[p->edges[e].caller + 1]++;
    for (uint32_t f = 0; f < p->nfuncs; f++)
        ci->start[f + 1] += ci->start[f];
    uint32_t *next = malloc(((size_t)p->nfuncs + 1) * sizeof *next);
    if (next == NULL)
        return false;
    memcpy(next, ci->start, ((size_t)p->nfuncs + 1) * sizeof *next);
    for (uint32_t e = 0; e < p->nedges; e++)
        ci->by_caller[next[p->edges[e].caller]++] = e;
    free(next);
    return true;
}

/* Collects func's callers (ci == NULL) or callees, sorted by key. */
static size_t collect(const struct table *t, uint32_t func, const struct callee_index *ci,
                      struct edge_ref *refs)
{
    const struct pa_profile *p = t->p;
    size_t n = 0;
    if (ci == NULL) {
        for (uint32_t e = p->funcs[func].callers_head; e != PA_INDEX_NONE; e = p->edges[e].next)
            refs[n++] = (struct edge_ref){p->edges[e].caller, e};
    } else {
        for (uint32_t i = ci->start[func]; i < ci->start[func + 1]; i++) {
            uint32_t e = ci->by_caller[i];
            if (p->funcs[p->edges[e].callee].has_stats)
                refs[n++] = (struct edge_ref){p->edges[e].callee, e};
        }
    }
    qsort_r(refs, n, sizeof *refs, compare_edge_refs, (void *)p);
    return n;
}

static enum pa_status print_calls(struct table *t, const struct pa_table_request *req, bool callees,
                                  struct pa_error *err)
{
    size_t width = print_list_header(t, req);
    if (width == 0)
        return PA_OK;
    size_t cap = t->p->nedges ? t->p->nedges : 1;
    struct callee_index ci = {NULL, NULL};
    struct edge_ref *refs = malloc(cap * sizeof *refs);
    uint32_t *others = malloc(cap * sizeof *others), *edges = malloc(cap * sizeof *edges);
    enum pa_status st = PA_OK;
    if (refs == NULL || others == NULL || edges == NULL || (callees && !callee_index_build(t->p, &ci))) {
        st = pa_fail(err, PA_E_NOMEM, "out of memory printing the profile");
        goto out;
    }
    print_call_heading(t, width, callees ? "called..." : "was called by...");
    for (size_t i = 0; i < t->nlist; i++) {
        size_t n = collect(t, t->list[i], callees ? &ci : NULL, refs);
        for (size_t k = 0; k < n; k++) {
            others[k] = refs[k].other;
            edges[k] = refs[k].edge;
        }
        print_call_line(t, width, t->list[i], callees ? "->" : "<-", others, edges, n);
    }
    fputs("\n\n", t->out);
out:
    free(ci.start);
    free(ci.by_caller);
    free(refs);
    free(others);
    free(edges);
    return st;
}

enum pa_status pa_table_print(const struct pa_profile *profile, const struct pa_table_request *req,
                              FILE *out, struct pa_error *err)
{
    struct table t;
    enum pa_status st = table_init(&t, profile, req, out, err);
    if (st == PA_OK && req->print_stats)
        print_stats(&t, req);
    if (st == PA_OK && req->print_callers)
        st = print_calls(&t, req, false, err);
    if (st == PA_OK && req->print_callees)
        st = print_calls(&t, req, true, err);
    table_free(&t);
    if (st == PA_OK && (fflush(out) != 0 || ferror(out)))
        st = pa_fail(err, PA_E_OUTPUT, "cannot write the report: %s", strerror(errno));
    return st;
}
