/* The one way the CLI reports a failure: a single line on stderr. */
#include <stdio.h>

#include "cli/commands.h"

void pa_print_error(const char *message)
{
    fprintf(stderr, "pyattach: %s\n", message);
}
