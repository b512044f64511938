/* Writing JSON strings: quotes, backslashes and control characters escaped; UTF-8 kept. */
#ifndef PYATTACH_JSON_PRINT_H
#define PYATTACH_JSON_PRINT_H

#include <stdio.h>

void pa_json_string(FILE *out, const char *s);

#endif
