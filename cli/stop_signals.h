/* SIGINT, SIGTERM and SIGHUP all mean "stop and finish": one installer for the
 * commands that sample until told otherwise. */
#ifndef PYATTACH_STOP_SIGNALS_H
#define PYATTACH_STOP_SIGNALS_H

/* Installs handler for the three signals, without SA_RESTART, so a sampling sleep
 * or a wait for input wakes up when one arrives. */
void pa_install_stop_handlers(void (*handler)(int signo));

#endif
