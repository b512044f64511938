/* pyattach --help: every command and every option the binary accepts, in one screen
 * or two. Each command's own --help (cli/options.c, dump.c, view.c) stays the short
 * form; tests/integration/test_cli_help.py checks that this page names every option
 * the parsers know and nothing they refuse (pprof and --every came with issue 15's
 * item 5, written beside it: check them against the final behaviour). */
#include <stdio.h>

#include "cli/commands.h"

static const char HELP[] =
    "usage:\n"
    "  pyattach -p PID[,PID...] [-d SEC] [-o FILE] [options]     record running processes\n"
    "  pyattach record [options] [-o FILE] -- COMMAND [ARGS...]  start COMMAND, record until it exits\n"
    "  pyattach top -p PID [options]                             live table of where the time goes\n"
    "  pyattach dump -p PID [--json] [--native | --native-all] [--max-depth N]\n"
    "                                                            every thread's stack, once\n"
    "  pyattach view FILE.prof [-s KEY]... [-n N] [--callers | --callees] [--html OUT] [REGEX]...\n"
    "                                                            a saved profile, as pstats prints it\n"
    "  pyattach --version | -V                                   the version, the CPython versions read\n"
    "  pyattach --help | -h                                      this page\n"
    "  pyattach COMMAND --help                                   one command's usage\n"
    "\n"
    "Reads a CPython process from outside (pyattach --version lists the versions): the target is\n"
    "never stopped, imported into or restarted, unless --blocking or --native is given.\n"
    "\n"
    "record (pyattach -p PID ... is pyattach record -p PID ...):\n"
    "  -p, --pid PID[,PID...]  processes to record; -p may be repeated\n"
    "  -d, --duration SEC      stop after SEC seconds (fractions allowed); default: until Ctrl-C,\n"
    "                          SIGTERM, SIGHUP or the targets exit\n"
    "  -o, --output FILE       the format comes from the extension: .prof .pstats (pstats, as cProfile\n"
    "                          writes it), .txt (cProfile's table), .folded .collapsed (collapsed\n"
    "                          stacks), .json (speedscope), .pb.gz .pprof (pprof: go tool pprof,\n"
    "                          Pyroscope, Parca). In FILE: %p the PID (one file per process), %t UTC\n"
    "                          start time, %h host name, %% a percent sign. Without -o the table is\n"
    "                          printed on stdout\n"
    "  -f, --format NAME       pstats | text | collapsed | speedscope | pprof (overrides the extension)\n"
    "  -r, --rate HZ           samples per second (default 100, at most 100000)\n"
    "  -m, --mode MODE         wall (default: every thread, as cProfile) | cpu (threads on a CPU)\n"
    "                          | gil (the thread holding the GIL)\n"
    "  -s, --subprocesses      follow descendants: gunicorn and uwsgi workers, runserver's child\n"
    "      --threads           a root frame per thread: <thread TID \"NAME\">\n"
    "      --every SEC         keep recording, each SEC-long interval to a file of its own (-o with\n"
    "                          %t in the name: the interval's start), the last partial one on stop\n"
    "      --max-depth N       Python frames kept per stack (default 2048, 1 to 100000); a deeper\n"
    "                          stack keeps its innermost N under a <truncated> root, counted apart\n"
    "      --native            C frames interleaved with the Python frames (stops each thread\n"
    "                          briefly with ptrace while its stack is read)\n"
    "      --native-all        --native, keeping the interpreter's own C frames too\n"
    "      --blocking          stop the threads with ptrace while a sample is read (exact stacks)\n"
    "      --nonblocking       never stop the target (the default)\n"
    "  -q, --quiet             print nothing on success (errors still print)\n"
    "\n"
    "top: -p -d -r -m -s -q --threads --max-depth --native --native-all --blocking --nonblocking as\n"
    "     above, and\n"
    "      --delay SEC         seconds between refreshes (default 1, at least 0.05)\n"
    "      --once              print one plain-text snapshot and exit\n"
    "\n"
    "dump:\n"
    "  -p, --pid PID           the process\n"
    "      --json              one JSON object: every thread, its state and its frames\n"
    "      --native            C frames too (stops each thread briefly)\n"
    "      --native-all        --native, keeping the interpreter's own C frames too\n"
    "      --max-depth N       Python frames shown per stack (default 2048); then how many more\n"
    "\n"
    "view (a pstats file, written by pyattach or by cProfile, or a pprof file pyattach wrote):\n"
    "  -s, --sort KEY          pstats' sort keys: cumulative (default), tottime, calls, ncalls, name,\n"
    "                          file, line, ... (unique abbreviations too); repeat for secondary keys\n"
    "  -n, --limit N           the first N rows, or that share of them for 0 <= N < 1\n"
    "      --callers           who called each row (pstats' print_callers)\n"
    "      --callees           what each row called (pstats' print_callees)\n"
    "      --html OUT          write the HTML viewer of the file to OUT instead\n"
    "  REGEX                   keep the rows whose file:line(function) matches; repeatable\n"
    "\n"
    "Exit status: 0 success, 1 usage error, 2 target error (no such process, not CPython,\n"
    "unsupported version, permission denied), 3 output error (cannot write the file), 130 a\n"
    "second Ctrl-C. Reading another user's process needs root or CAP_SYS_PTRACE.\n"
    "The manual: man pyattach.\n";

int pa_cmd_help(void)
{
    fputs(HELP, stdout);
    return 0;
}
