/* Error status helpers: one message per failure, set where it happens. */
#include "attach/error.h"

#include <stdio.h>
#include <string.h>

enum pa_status pa_fail(struct pa_error *err, enum pa_status status, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        err->status = status;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return status;
}

void pa_error_clear(struct pa_error *err)
{
    err->status = PA_OK;
    err->message[0] = '\0';
}

int pa_status_exit_code(enum pa_status status)
{
    switch (status) {
    case PA_OK:
        return 0;
    case PA_E_USAGE:
        return 1;
    case PA_E_OUTPUT:
        return 3;
    case PA_E_NO_PROCESS:
    case PA_E_PERMISSION:
    case PA_E_NOT_PYTHON:
    case PA_E_UNSUPPORTED:
    case PA_E_READ:
    case PA_E_CORRUPT:
        return 2;
    case PA_E_NOMEM:
    case PA_E_INTERNAL:
        break;
    }
    return 2;
}
