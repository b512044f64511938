/* The HTML viewer page and the JSON parts shared by its producers (writer_html.c for
 * recordings, pa_html_write_profile for pstats files). */
#include "output/html_page.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "output/json.h"

/* Generated from viewer/ at build time (cmake/embed_viewer.cmake). */
extern const char pa_viewer_css[], pa_viewer_body[], pa_viewer_js[];

/* No request leaves the page: everything is inline, and the policy says so to the
 * browser too (no fetch, no image, font or frame from anywhere). */
#define CSP "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

/* The data as zlib-deflated, base64-encoded JSON (viewer/app.js inflates it with the
 * browser's DecompressionStream): a long recording's JSON is mostly digits and source
 * text, which deflate shrinks 3-6 times (bench/bench_viewer.py). NULL when memory for
 * the copy is short: the caller writes the JSON as it is. */
static unsigned char *deflated(const char *json, size_t len, size_t *out_len)
{
    uLongf bound = compressBound((uLong)len);
    unsigned char *z = malloc(bound);
    if (z == NULL || compress2(z, &bound, (const Bytef *)json, (uLong)len, 6) != Z_OK) {
        free(z);
        return NULL;
    }
    *out_len = bound;
    return z;
}

static void base64_to(FILE *out, const unsigned char *data, size_t len)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char line[4 * 1024 + 1];
    size_t used = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (i + 1 < len ? (uint32_t)data[i + 1] << 8 : 0) |
                     (i + 2 < len ? data[i + 2] : 0);
        line[used++] = digits[v >> 18 & 63];
        line[used++] = digits[v >> 12 & 63];
        line[used++] = i + 1 < len ? digits[v >> 6 & 63] : '=';
        line[used++] = i + 2 < len ? digits[v & 63] : '=';
        if (used == sizeof line - 1) {
            fwrite(line, 1, used, out);
            used = 0;
        }
    }
    fwrite(line, 1, used, out);
}

/* The data element: deflated when there is memory for it, plain JSON otherwise (both
 * open in the page; a profile is never lost to compression). */
static void write_data_element(FILE *out, void (*write_data)(FILE *out, const void *ctx), const void *ctx)
{
    char *json = NULL;
    size_t json_len = 0, z_len = 0;
    FILE *mem = open_memstream(&json, &json_len);
    unsigned char *z = NULL;
    bool have_json = false;
    if (mem != NULL) {
        write_data(mem, ctx);
        have_json = fclose(mem) == 0;
        if (have_json)
            z = deflated(json, json_len, &z_len);
    }
    if (z != NULL) {
        fputs("<script type=\"application/octet-stream\" id=\"pyattach-data\" data-encoding=\"deflate-base64\">", out);
        base64_to(out, z, z_len);
    } else {
        fputs("<script type=\"application/json\" id=\"pyattach-data\">", out);
        if (have_json)
            fwrite(json, 1, json_len, out);
        else
            write_data(out, ctx);
    }
    fputs("</script>\n", out);
    free(z);
    free(json);
}

enum pa_status pa_html_write_page(FILE *out, const char *title, void (*write_data)(FILE *out, const void *ctx),
                                  const void *ctx, struct pa_error *err)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"" CSP "\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"color-scheme\" content=\"light dark\">\n<title>pyattach: ",
          out);
    for (const char *c = title; *c; c++) { /* text content: escape what HTML would read */
        if (*c == '<')
            fputs("&lt;", out);
        else if (*c == '&')
            fputs("&amp;", out);
        else
            fputc(*c, out);
    }
    fputs("</title>\n<style>\n", out);
    fputs(pa_viewer_css, out);
    fputs("</style></head><body>\n", out);
    fputs(pa_viewer_body, out);
    write_data_element(out, write_data, ctx);
    fputs("<script>\n", out);
    fputs(pa_viewer_js, out);
    fputs("</script>\n</body></html>\n", out);
    if (fflush(out) != 0 || ferror(out))
        return pa_fail(err, PA_E_OUTPUT, "cannot write the HTML viewer: %s", strerror(errno));
    return PA_OK;
}

/* A time in seconds with 12 significant digits: below a nanosecond for anything under
 * 1000 s, the page shows 4; the digits beyond are the noise of summing sample weights,
 * which compresses badly (a 10-minute recording's page: ~8 % smaller). */
static void json_time(FILE *out, double seconds)
{
    fprintf(out, "%.12g", isfinite(seconds) ? seconds : 0.0);
}

void pa_html_json_profile(FILE *out, const struct pa_profile *profile)
{
    fputs("\"strings\":[", out);
    for (uint32_t i = 0; i < profile->strings.count; i++) {
        if (i)
            fputc(',', out);
        pa_json_string_in_html(out, pa_strtab_text(&profile->strings, i), pa_strtab_len(&profile->strings, i));
    }
    fputs("],\n\"funcs\":[", out);
    for (uint32_t i = 0; i < profile->nfuncs; i++) {
        const struct pa_pfunc *f = &profile->funcs[i];
        fprintf(out, "%s%u,%lld,%u,%d,%lld,%lld,", i ? ",\n" : "", f->file, (long long)f->line, f->name,
                f->has_stats ? 1 : 0, (long long)f->nc, (long long)f->cc);
        json_time(out, f->tt);
        fputc(',', out);
        json_time(out, f->ct);
    }
    fputs("],\n\"edges\":[", out);
    for (uint32_t i = 0; i < profile->nedges; i++) {
        const struct pa_pedge *e = &profile->edges[i];
        fprintf(out, "%s%u,%u,%lld,%lld,", i ? ",\n" : "", e->caller, e->callee, (long long)e->nc, (long long)e->cc);
        json_time(out, e->tt);
        fputc(',', out);
        json_time(out, e->ct);
    }
    fputc(']', out);
}

static void json_field(FILE *out, const char *name, const char *value)
{
    fprintf(out, ",\"%s\":", name);
    pa_json_string_in_html(out, value, strlen(value));
}

void pa_html_json_info(FILE *out, const struct pa_recording_info *info, uint64_t samples, const char *file)
{
    fprintf(out, "\"info\":{\"samples\":%llu", (unsigned long long)samples);
    if (info != NULL) {
        if (info->mode)
            json_field(out, "mode", info->mode);
        if (info->program)
            json_field(out, "program", info->program);
        fputs(",\"interval\":", out);
        pa_json_number(out, info->interval);
        fputs(",\"start\":", out);
        pa_json_number(out, info->start);
        fputs(",\"duration\":", out);
        pa_json_number(out, info->duration);
    }
    if (file)
        json_field(out, "file", file);
    fputc('}', out);
}

struct profile_page {
    const struct pa_profile *profile;
    const char *file;
};

static void write_profile_data(FILE *out, const void *ctx)
{
    const struct profile_page *page = ctx;
    fprintf(out, "{\"format\":\"pyattach-viewer\",\"version\":1,\"source\":\"pstats\",\"tick\":%g,\n", PA_HTML_TICK);
    pa_html_json_info(out, NULL, 0, page->file);
    fputs(",\n", out);
    pa_html_json_profile(out, page->profile);
    fputs("}\n", out);
}

enum pa_status pa_html_write_profile(const struct pa_profile *profile, const char *file, FILE *out,
                                     struct pa_error *err)
{
    struct profile_page page = {profile, file};
    return pa_html_write_page(out, file ? file : "profile", write_profile_data, &page, err);
}
