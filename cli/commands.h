/* The subcommands: each takes its own argv (argv[0] is the subcommand's name) and
 * returns the process exit status of the CLI contract (0, 1, 2 or 3). */
#ifndef PYATTACH_COMMANDS_H
#define PYATTACH_COMMANDS_H

int pa_cmd_dump(int argc, char **argv);
int pa_cmd_record(int argc, char **argv);
int pa_cmd_top(int argc, char **argv);
int pa_cmd_view(int argc, char **argv);
int pa_cmd_version(void); /* --version, -V */
int pa_cmd_help(void);    /* --help, -h: every command and option */

/* Prints "pyattach: <message>" as one line on stderr. */
void pa_print_error(const char *message);

#endif
