/* JSON text helpers for the speedscope writer: strings and numbers. */
#ifndef PYATTACH_JSON_H
#define PYATTACH_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Writes a quoted JSON string: quotes, backslashes and control characters escaped,
 * bytes that are not valid UTF-8 replaced by U+FFFD. */
void pa_json_string(FILE *out, const char *s, size_t len);

/* The same, with <, > and & escaped too (\u003c...), for JSON inside an HTML <script>
 * element, where "</script>" or "<!--" in a string would end or change the element. */
void pa_json_string_in_html(FILE *out, const char *s, size_t len);

/* Writes a finite double as the shortest decimal that reads back exactly
 * (non-finite values, which JSON cannot hold, as 0). */
void pa_json_number(FILE *out, double value);

/* The same shortest decimal into buf ("%.*g" with the least precision that round-trips). */
void pa_format_shortest(char *buf, size_t size, double value);

#endif
