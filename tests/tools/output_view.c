/* Test helper: `output_view FILE.prof [args]` runs the view subcommand exactly as
 * `pyattach view FILE.prof [args]` does, for tests that must not depend on cli/main.c. */
#include "cli/view.h"

int main(int argc, char **argv)
{
    static char view[] = "view";
    argv[0] = view;
    return pa_cmd_view(argc, argv);
}
