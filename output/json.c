/* JSON string escaping (RFC 8259) and shortest round-trip numbers. */
#include "output/json.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "output/utf8.h"

static void json_string(FILE *out, const char *s, size_t len, bool in_html)
{
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', out);
    for (size_t i = 0; i < len;) {
        unsigned char c = p[i];
        if (in_html && (c == '<' || c == '>' || c == '&')) {
            fprintf(out, "\\u%04x", c);
        } else if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc(c, out);
        } else if (c == '\n') {
            fputs("\\n", out);
        } else if (c == '\r') {
            fputs("\\r", out);
        } else if (c == '\t') {
            fputs("\\t", out);
        } else if (c == '\b') {
            fputs("\\b", out);
        } else if (c == '\f') {
            fputs("\\f", out);
        } else if (c < 0x20) {
            fprintf(out, "\\u%04x", c);
        } else if (c >= 0x80) {
            size_t n = pa_utf8_sequence(p + i, len - i, false);
            if (n == 0) {
                fputs("\xef\xbf\xbd", out);
                i++;
            } else {
                fwrite(p + i, 1, n, out);
                i += n;
            }
            continue;
        } else {
            fputc(c, out);
        }
        i++;
    }
    fputc('"', out);
}

void pa_json_string(FILE *out, const char *s, size_t len)
{
    json_string(out, s, len, false);
}

void pa_json_string_in_html(FILE *out, const char *s, size_t len)
{
    json_string(out, s, len, true);
}

void pa_format_shortest(char *buf, size_t size, double value)
{
    if (!isfinite(value))
        value = 0;
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(buf, size, "%.*g", precision, value);
        if (strtod(buf, NULL) == value)
            return;
    }
}

void pa_json_number(FILE *out, double value)
{
    char buf[40];
    pa_format_shortest(buf, sizeof buf, value);
    fputs(buf, out);
}
