/* `pyattach view FILE.prof ...`: a saved pstats dump (ours or cProfile's), or a pprof
 * profile pyattach wrote, printed as pstats prints it. */
#ifndef PYATTACH_CLI_VIEW_H
#define PYATTACH_CLI_VIEW_H

/* argv[0] is "view". Returns the exit status: 0 ok, 1 usage error or an input file
 * that cannot be read or is not a pstats dump or pprof profile, 3 when stdout cannot be
 * written. */
int pa_cmd_view(int argc, char **argv);

#endif
