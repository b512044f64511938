/* Installing the stop-signal handlers. */
#include "cli/stop_signals.h"

#include <signal.h>
#include <string.h>

void pa_install_stop_handlers(void (*handler)(int signo))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}
