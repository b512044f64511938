/* Error status and message shared by every layer: a function that fails sets the
 * message once, where the failure happens, and returns the status; callers pass it up. */
#ifndef PYATTACH_ERROR_H
#define PYATTACH_ERROR_H

#include <stdarg.h>

enum pa_status {
    PA_OK = 0,
    PA_E_USAGE,        /* bad command line                              -> exit 1 */
    PA_E_NO_PROCESS,   /* no such pid, or it exited                     -> exit 2 */
    PA_E_PERMISSION,   /* ptrace / process_vm_readv refused             -> exit 2 */
    PA_E_NOT_PYTHON,   /* no CPython runtime found in the target        -> exit 2 */
    PA_E_UNSUPPORTED,  /* CPython version we have no layout for         -> exit 2 */
    PA_E_READ,         /* remote memory unreadable (unmapped, torn)     -> sample error */
    PA_E_CORRUPT,      /* remote data inconsistent (cycle, bad size)    -> sample error */
    PA_E_OUTPUT,       /* cannot write the output                       -> exit 3 */
    PA_E_NOMEM,
    PA_E_INTERNAL,
};

struct pa_error {
    enum pa_status status;
    char message[512];
};

/* Sets status and message (printf-style) and returns the status, so callers can
 * write `return pa_fail(err, PA_E_READ, "...", ...);`. A NULL err is allowed. */
enum pa_status pa_fail(struct pa_error *err, enum pa_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void pa_error_clear(struct pa_error *err);

/* The process exit status the CLI contract gives this status (0, 1, 2 or 3). */
int pa_status_exit_code(enum pa_status status);

#endif
