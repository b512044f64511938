/* pyattach: dispatch to a subcommand; with none, `pyattach -p PID ...` records. */
#include <stdio.h>
#include <string.h>

#include "attach/access_check.h"
#include "cli/commands.h"

static const char usage[] =
    "usage: pyattach -p PID [-d SECONDS] [-o FILE] [options]   (the same as: pyattach record ...)\n"
    "       pyattach record [options] -o FILE -- COMMAND [ARGS...]\n"
    "       pyattach top -p PID [options]\n"
    "       pyattach dump -p PID [--json]\n"
    "       pyattach view FILE.prof [-s SORT] [-n N]\n"
    "Run 'pyattach --help' for every command and option, 'pyattach --version' for the version.\n";

int main(int argc, char **argv)
{
    pa_access_init(); /* with a capability and not root: only the user's own processes */
    if (argc < 2) {
        fputs(usage, stderr);
        return 1; /* a person typed just "pyattach": show them the way */
    }
    const char *command = argv[1];
    if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0)
        return pa_cmd_help();
    if (strcmp(command, "--version") == 0 || strcmp(command, "-V") == 0)
        return pa_cmd_version();
    if (strcmp(command, "dump") == 0)
        return pa_cmd_dump(argc - 1, argv + 1);
    if (strcmp(command, "record") == 0)
        return pa_cmd_record(argc - 1, argv + 1);
    if (strcmp(command, "top") == 0)
        return pa_cmd_top(argc - 1, argv + 1);
    if (strcmp(command, "view") == 0)
        return pa_cmd_view(argc - 1, argv + 1);
    if (command[0] == '-') {
        argv[0] = "record";
        return pa_cmd_record(argc, argv);
    }
    fprintf(stderr, "pyattach: unknown command '%s' (see 'pyattach --help')\n", command);
    return 1;
}
