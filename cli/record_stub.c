/* Placeholder until top lands: says so and fails. */
#include "cli/commands.h"

int pa_cmd_top(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    pa_print_error("top: not implemented yet");
    return 1;
}

