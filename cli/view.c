/* The view subcommand: parses its arguments, loads the dump and hands it to the
 * same table printer as the text writer (output/pstats_table.c). */
#include "cli/view.h"

#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "attach/error.h"
#include "cli/output_file.h"
#include "output/html_page.h"
#include "output/pprof.h"
#include "output/profile.h"
#include "output/pstats_file.h"
#include "output/pstats_table.h"
#include "output/writer_impl.h"

#define USAGE "pyattach view FILE.prof|FILE.pb.gz [-s SORT]... [-n N] [--callers] [--callees] [--html OUT] [REGEX]..."

static const char HELP[] =
    "usage: " USAGE "\n"
    "\n"
    "Prints a pstats dump (written by pyattach or by cProfile) as pstats' print_stats does.\n"
    "A pprof profile (.pb.gz, .pprof; gzip'ed or not) is shown the same way; pprof keeps no\n"
    "call counts, so there ncalls counts the samples a function was on the stack in.\n"
    "\n"
    "  -s, --sort SORT   sort key, as pstats.Stats.sort_stats(): calls, cumulative, cumtime,\n"
    "                    file, filename, module, ncalls, pcalls, line, name, nfl, stdname,\n"
    "                    time, tottime (unique abbreviations too); repeat for secondary keys.\n"
    "                    Default: cumulative\n"
    "  -n, --limit N     print the first N rows (a fraction 0 <= N < 1: that share of them)\n"
    "      --callers     print the callers of each row (print_callers) instead\n"
    "      --callees     print the callees of each row (print_callees) instead\n"
    "      --html OUT    write the HTML viewer (icicle, sunburst, table, callers/callees) to\n"
    "                    OUT instead of printing; a pstats file has no call tree, so the chart\n"
    "                    is unrolled from caller/callee totals as snakeviz does (the page says so)\n"
    "  REGEX             keep rows whose file:line(function) matches (POSIX extended regex,\n"
    "                    searched like re.search); restrictions apply in command-line order\n";

#define MAX_ITEMS 64

struct view_args {
    const char *path;
    const char *html;     /* --html OUT */
    const char *sort_keys[MAX_ITEMS];
    size_t nsort_keys;
    struct pa_table_selection selections[MAX_ITEMS];
    regex_t regexes[MAX_ITEMS];
    size_t nselections, nregexes;
    bool callers, callees, help;
};

static int usage_error(const char *fmt, const char *arg)
{
    fputs("pyattach view: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (usage: " USAGE ")\n", stderr);
    return 1;
}

static int add_limit(struct view_args *a, const char *text)
{
    if (a->nselections == MAX_ITEMS)
        return usage_error("too many restrictions at '%s'", text);
    struct pa_table_selection *sel = &a->selections[a->nselections];
    char *end;
    if (strpbrk(text, ".eE") != NULL) {
        sel->kind = PA_SELECT_FRACTION;
        sel->fraction = strtod(text, &end);
        if (end == text || *end != '\0' || !(sel->fraction >= 0))
            return usage_error("-n wants a row count or a fraction, not '%s'", text);
    } else {
        sel->kind = PA_SELECT_COUNT;
        sel->count = strtoll(text, &end, 10);
        if (end == text || *end != '\0' || sel->count < 0)
            return usage_error("-n wants a row count or a fraction, not '%s'", text);
    }
    a->nselections++;
    return 0;
}

static int add_regex(struct view_args *a, const char *pattern)
{
    if (a->nselections == MAX_ITEMS)
        return usage_error("too many restrictions at '%s'", pattern);
    regex_t *re = &a->regexes[a->nregexes];
    int rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char why[256];
        regerror(rc, re, why, sizeof why);
        fprintf(stderr, "pyattach view: invalid regular expression '%s': %s\n", pattern, why);
        return 1;
    }
    a->nregexes++;
    a->selections[a->nselections++] = (struct pa_table_selection){
        .kind = PA_SELECT_REGEX, .regex = re, .pattern = pattern};
    return 0;
}

static int add_sort(struct view_args *a, const char *key)
{
    if (!pa_table_sort_key_known(key))
        return usage_error("unknown sort key '%s'", key);
    if (a->nsort_keys == MAX_ITEMS)
        return usage_error("too many sort keys at '%s'", key);
    a->sort_keys[a->nsort_keys++] = key;
    return 0;
}

/* The value of an option given as "-x VALUE", "-xVALUE", "--long VALUE" or "--long=VALUE". */
static const char *option_value(int argc, char **argv, int *i, const char *shortopt,
                                const char *longopt, bool *matched)
{
    const char *arg = argv[*i];
    size_t llen = strlen(longopt);
    *matched = true;
    if (strcmp(arg, shortopt) == 0 || strcmp(arg, longopt) == 0)
        return *i + 1 < argc ? argv[++*i] : NULL;
    if (strncmp(arg, shortopt, 2) == 0 && arg[2] != '\0')
        return arg + 2;
    if (strncmp(arg, longopt, llen) == 0 && arg[llen] == '=')
        return arg + llen + 1;
    *matched = false;
    return NULL;
}

static int parse_args(int argc, char **argv, struct view_args *a)
{
    bool options = true;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        bool matched;
        int rc = 0;
        if (options && arg[0] == '-' && arg[1] != '\0') {
            if (strcmp(arg, "--") == 0) {
                options = false;
                continue;
            }
            if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
                a->help = true;
                continue;
            }
            if (strcmp(arg, "--callers") == 0) {
                a->callers = true;
                continue;
            }
            if (strcmp(arg, "--callees") == 0) {
                a->callees = true;
                continue;
            }
            const char *v = option_value(argc, argv, &i, "-s", "--sort", &matched);
            if (matched) {
                rc = v ? add_sort(a, v) : usage_error("%s needs a sort key", arg);
                if (rc != 0)
                    return rc;
                continue;
            }
            if (strcmp(arg, "--html") == 0 || strncmp(arg, "--html=", 7) == 0) {
                a->html = arg[6] == '=' ? arg + 7 : i + 1 < argc ? argv[++i] : NULL;
                if (a->html == NULL || a->html[0] == '\0')
                    return usage_error("%s needs an output file", arg);
                continue;
            }
            v = option_value(argc, argv, &i, "-n", "--limit", &matched);
            if (matched) {
                rc = v ? add_limit(a, v) : usage_error("%s needs a number", arg);
                if (rc != 0)
                    return rc;
                continue;
            }
            return usage_error("unknown option '%s'", arg);
        }
        if (a->path == NULL)
            a->path = arg;
        else if ((rc = add_regex(a, arg)) != 0)
            return rc;
    }
    if (a->path == NULL && !a->help)
        return usage_error("%s", "missing FILE.prof");
    return 0;
}

/* pstats' first line for a loaded file: time.ctime(st_mtime) + "    " + path. */
static void source_line(const char *path, char *buf, size_t size)
{
    struct stat st;
    struct tm tm;
    char when[64];
    if (stat(path, &st) != 0 || localtime_r(&st.st_mtime, &tm) == NULL ||
        strftime(when, sizeof when, "%a %b %e %H:%M:%S %Y", &tm) == 0) {
        snprintf(buf, size, "%s", path);
        return;
    }
    snprintf(buf, size, "%s    %s", when, path);
}

/* The viewer page of a loaded profile, written atomically as record writes its files. */
struct page_writer {
    struct pa_writer base;
    const struct pa_profile *profile;
    const char *source;
};

static enum pa_status write_page(struct pa_writer *writer, FILE *out, struct pa_error *err)
{
    const struct page_writer *w = (const struct page_writer *)writer;
    return pa_html_write_profile(w->profile, w->source, out, err);
}

static const struct pa_writer_ops page_ops = {.name = "html", .write = write_page};

int pa_cmd_view(int argc, char **argv)
{
    struct view_args a;
    memset(&a, 0, sizeof a);
    int rc = parse_args(argc, argv, &a);
    if (rc == 0 && a.help) {
        fputs(HELP, stdout);
    } else if (rc == 0) {
        struct pa_profile profile;
        struct pa_error err;
        pa_error_clear(&err);
        pa_profile_init(&profile);
        bool pprof = pa_pprof_file_is_pprof(a.path);
        enum pa_status st = pprof ? pa_pprof_load_file(a.path, &profile, &err)
                                  : pa_pstats_load_file(a.path, &profile, &err);
        if (st == PA_OK && a.html != NULL) {
            struct page_writer writer = {{&page_ops}, &profile, a.path};
            st = pa_output_write_atomic(a.html, &page_ops, &writer.base, &err);
            if (st == PA_OK)
                fprintf(stderr, "pyattach: wrote %s\n", a.html);
        } else if (st == PA_OK) {
            static const char *const default_sort[] = {"cumulative"};
            char line[4300];
            source_line(a.path, line, sizeof line);
            if (pprof) /* under the file's line, where pstats names what it loaded */
                snprintf(line + strlen(line), sizeof line - strlen(line),
                         "\npprof profile: ncalls counts samples (pprof keeps no call counts)");
            struct pa_table_request req = {
                .sort_keys = a.nsort_keys ? a.sort_keys : default_sort,
                .nsort_keys = a.nsort_keys ? a.nsort_keys : 1,
                .selections = a.selections,
                .nselections = a.nselections,
                .source_line = line,
                .print_stats = !a.callers && !a.callees,
                .print_callers = a.callers,
                .print_callees = a.callees,
            };
            st = pa_table_print(&profile, &req, stdout, &err);
        }
        if (st != PA_OK) {
            fprintf(stderr, "pyattach view: %s\n", err.message);
            rc = st == PA_E_OUTPUT ? 3 : 1;
        }
        pa_profile_free(&profile);
    }
    for (size_t i = 0; i < a.nregexes; i++)
        regfree(&a.regexes[i]);
    return rc;
}
