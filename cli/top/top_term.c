/* Curses for top, and restoring the terminal on every way out. The crash path cannot
 * call curses (not async-signal-safe): it writes the terminal's own "leave the
 * alternate screen" and "show the cursor" strings, saved at start, and puts back
 * the saved termios, then lets the signal do what it would have done. */
#include "cli/top/top_term.h"

#include <curses.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>

#include "cli/top/top_render.h"

static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
#define NCRASH (sizeof crash_signals / sizeof crash_signals[0])

/* The one state a signal handler or atexit may need: what to put back. */
static struct {
    volatile sig_atomic_t active;
    bool atexit_registered;
    struct termios saved;
    bool saved_ok;
    char leave[128]; /* rmcup + cnorm + sgr0 */
    size_t leave_len;
    struct sigaction old[NCRASH];
    SCREEN *screen;
} term;

static void restore_raw(void)
{
    if (term.leave_len && write(STDOUT_FILENO, term.leave, term.leave_len) < 0) {
        /* nothing better to do on the way down */
    }
    if (term.saved_ok)
        tcsetattr(STDIN_FILENO, TCSANOW, &term.saved);
}

static void on_crash(int signo)
{
    if (term.active) {
        term.active = 0;
        restore_raw();
    }
    for (size_t i = 0; i < NCRASH; i++)
        if (crash_signals[i] == signo)
            sigaction(signo, &term.old[i], NULL);
    raise(signo); /* delivered by the old action once this handler returns */
}

static void at_exit(void)
{
    top_term_close();
}

static void append_cap(const char *name)
{
    char *cap = tigetstr((char *)name);
    if (cap == NULL || cap == (char *)-1)
        return;
    size_t len = strlen(cap);
    if (term.leave_len + len < sizeof term.leave) {
        memcpy(term.leave + term.leave_len, cap, len);
        term.leave_len += len;
    }
}

bool top_term_open(void)
{
    term.saved_ok = tcgetattr(STDIN_FILENO, &term.saved) == 0;
    term.screen = newterm(NULL, stdout, stdin);
    if (term.screen == NULL)
        return false;
    term.leave_len = 0;
    append_cap("sgr0");
    append_cap("cnorm");
    append_cap("rmcup");
    cbreak(); /* Ctrl-C stays a signal */
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_crash;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NCRASH; i++)
        sigaction(crash_signals[i], &sa, &term.old[i]);
    if (!term.atexit_registered)
        term.atexit_registered = atexit(at_exit) == 0;
    term.active = 1;
    return true;
}

void top_term_close(void)
{
    if (!term.active)
        return;
    term.active = 0;
    curs_set(1);
    endwin();
    for (size_t i = 0; i < NCRASH; i++)
        sigaction(crash_signals[i], &term.old[i], NULL);
    delscreen(term.screen);
    term.screen = NULL;
    fflush(stdout);
}

static void put(void *user, int y, const char *text, enum top_style style)
{
    (void)user;
    if (y < 0 || y >= LINES)
        return;
    attr_t attr = style == TOP_TITLE || style == TOP_BAR ? A_REVERSE : style == TOP_NOTICE ? A_BOLD : A_NORMAL;
    attrset(attr);
    /* the last cell of the last line would scroll the screen: stop before it */
    int room = y == LINES - 1 ? COLS - 1 : COLS;
    mvaddnstr(y, 0, text, room);
    attrset(A_NORMAL);
}

void top_term_draw(const struct top_snapshot *snap, const struct top_view *view)
{
    erase();
    if (COLS > 0 && LINES > 0)
        top_render(snap, view, (size_t)COLS, (size_t)LINES, 0, put, NULL);
    refresh();
}

int top_term_key(void)
{
    int key = getch();
    return key == ERR ? -1 : key;
}
