# `pyattach top`: the live screen, driven inside tmux (80x24, a shell that starts
# top, keys sent with send-keys, the screen read with capture-pane), and the plain
# snapshots it prints when stdout is not a terminal. The target's hot function
# changes when we send it SIGUSR1 (tests/targets/top_target.py).
#
# tmux runs its own server on a socket in a directory of ours (-S), removed at the
# end; we kill only that server's sessions and only processes we started.
import os
import pstats
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import browser
import harness

SCREEN_PYTHON = "3.12.1"  # the interpreter of the screen tests (the plain test runs all)
WAIT = 20.0               # seconds for the screen to show what we expect (ASan builds are slow)
PROMPT = "TOPTEST$"
# The function may be a synthetic "<wait GIL>" (a space inside, no File:Line).
ROW = re.compile(r"^\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+[kM]?)\s+(<[^>]*>|\S+)\s*(\S*)\s*$")
THREAD_ROW = re.compile(r"^\s*(\d+)\s+([\d.]+)\s+([\d.]+)\s+(\S+)\s+(.*)$")


def tmux_binary():
    path = shutil.which("tmux")
    if path is None:
        raise AssertionError("tmux is not installed: the screen tests need it (apt-get install tmux)")
    return path


_socket_dir = []


def tmux_socket():
    if not _socket_dir:
        _socket_dir.append(tempfile.mkdtemp(prefix="pyattach-test-top-tmux-"))
    return os.path.join(_socket_dir[0], "socket")


def tearDownModule():
    if _socket_dir:
        subprocess.call([tmux_binary(), "-S", tmux_socket(), "kill-server"], stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
        shutil.rmtree(_socket_dir[0], True)
        _socket_dir.clear()  # a later module in the same run (test_by_request) starts afresh


class Screen(object):
    """A tmux session running a plain shell, in a directory of our own."""

    count = 0

    def __init__(self, cwd, width=80, height=24):
        Screen.count += 1
        self.socket = tmux_socket()
        self.name = "top%d-%d" % (os.getpid(), Screen.count)
        self.tmux = tmux_binary()
        env = dict(os.environ, TERM="xterm")  # tmux's own TERM inside is "screen"/"tmux-256color"
        shell = "env PS1='%s ' HISTFILE=/dev/null bash --norc --noprofile" % PROMPT
        subprocess.check_call([self.tmux, "-S", self.socket, "new-session", "-d", "-x", str(width), "-y",
                               str(height), "-s", self.name, "-c", cwd, shell], env=env)
        self.wait_for(lambda lines: self.last_line(lines) == PROMPT, "the shell prompt")

    def run(self, *args):
        return subprocess.run([self.tmux, "-S", self.socket] + list(args), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True, check=True).stdout

    def send(self, *keys):
        self.run("send-keys", "-t", self.name, *keys)

    def type(self, text):
        self.run("send-keys", "-t", self.name, "-l", text)

    def lines(self):
        return self.run("capture-pane", "-p", "-t", self.name).split("\n")

    def text(self):
        return "\n".join(self.lines())

    def alternate_screen(self):
        return self.run("display-message", "-p", "-t", self.name, "#{alternate_on}").strip() == "1"

    def shell_pid(self):
        return int(self.run("display-message", "-p", "-t", self.name, "#{pane_pid}").strip())

    def resize(self, width, height):
        self.run("resize-window", "-t", self.name, "-x", str(width), "-y", str(height))

    @staticmethod
    def last_line(lines):
        filled = [line.rstrip() for line in lines if line.strip()]
        return filled[-1] if filled else ""

    def wait_for(self, predicate, what, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while True:
            lines = self.lines()
            if predicate(lines):
                return lines
            if time.monotonic() > deadline:
                raise AssertionError("the screen never showed %s; it shows:\n%s" % (what, "\n".join(lines)))
            time.sleep(0.1)

    def kill(self):
        subprocess.call([self.tmux, "-S", self.socket, "kill-session", "-t", self.name],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def table(lines):
    """The function rows under the column titles: (own%, total%, calls, function, file)."""
    rows, inside = [], False
    for line in lines:
        if line.lstrip().startswith("%Own"):
            inside = True
            continue
        m = ROW.match(line) if inside else None
        if m:
            rows.append((float(m.group(1)), float(m.group(2)), m.group(5), m.group(6), m.group(7)))
    return rows


def first_function(lines, python_only=True):
    """The first row's function; python_only skips wall mode's <wait ...> rows (the
    two threads of top_target.py wait for the GIL about as long as they run)."""
    rows = [row for row in table(lines) if not (python_only and row[3].startswith("<wait "))]
    return rows[0][3] if rows else None


def child_pids(pid):
    """Processes whose parent is pid (the shell's: the pyattach we typed)."""
    found = []
    for task in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/children" % (pid, task)) as f:
            found += [int(p) for p in f.read().split()]
    return found


class TopScreenTest(unittest.TestCase):
    """pyattach top in an 80x24 tmux pane against top_target.py."""

    def setUp(self):
        self.binary = harness.pyattach_binary()
        python = harness.interpreter_by_label(SCREEN_PYTHON)
        harness.require_interpreters([(SCREEN_PYTHON, python)])
        self.dir = tempfile.mkdtemp(prefix="pyattach-top-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.target = harness.start_target(python, "top_target.py").__enter__()
        self.addCleanup(self.target.kill)
        self.screen = Screen(self.dir)
        self.addCleanup(self.screen.kill)
        self.start_top()

    def start_top(self):
        self.screen.type("%s top -p %d" % (self.binary, self.target.pid))
        self.screen.send("Enter")
        self.wait_first("crunch_alpha")
        self.assertTrue(self.screen.alternate_screen(), "top should draw on the alternate screen")

    def wait_first(self, function):
        return self.screen.wait_for(lambda lines: first_function(lines) == function,
                                    "%s on the first row" % function)

    def wait_text(self, needle):
        return self.screen.wait_for(lambda lines: needle in "\n".join(lines), repr(needle))

    def assert_back_at_prompt(self):
        lines = self.screen.wait_for(lambda lines: Screen.last_line(lines) == PROMPT, "the shell prompt again")
        self.assertFalse(self.screen.alternate_screen(), "the terminal was left on the alternate screen")
        self.assertNotIn("%Own", "\n".join(lines), "the table was left on the shell's screen")
        deadline = time.monotonic() + WAIT
        while child_pids(self.screen.shell_pid()) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(child_pids(self.screen.shell_pid()), [], "pyattach is still running")

    def test_layout_fits_80x24(self):
        lines = self.screen.lines()
        self.assertTrue(lines[0].startswith("pyattach top - CPython 3.12.1 - PID %d" % self.target.pid), lines[0])
        self.assertRegex(lines[1], r"Samples [\d.]+/s  Mode wall  Threads \d+ active \d+ idle  GIL \d+%  Errors \d+")
        self.assertIn("1-4:sort", lines[23], "the help line is the last line")
        for line in lines:
            self.assertLessEqual(len(line.rstrip()), 80)
        self.assertIn("top_target.py:", "\n".join(lines), "script files are shown relative to the script's directory")
        self.assertNotIn("/work/", "\n".join(lines[3:]))

    def test_hot_function_follows_the_target(self):
        # crunch_alpha has most of the Python functions' own time; the <wait GIL> row
        # (the two threads wait for the GIL about as long as they run) is set aside.
        rows = [row for row in table(self.screen.lines()) if not row[3].startswith("<wait ")]
        self.assertEqual(rows[0][3], "crunch_alpha", rows)
        self.assertGreater(rows[0][0], 0.5 * sum(row[0] for row in rows), rows)
        self.screen.send("a")
        self.wait_text("last interval of")
        os.kill(self.target.pid, signal.SIGUSR1)  # the target moves on to crunch_beta
        # a whole interval after the switch: crunch_beta alone, with most of the time
        lines = self.screen.wait_for(lambda lines: first_function(lines) == "crunch_beta" and
                                     "crunch_alpha" not in [r[3] for r in table(lines)], "crunch_beta alone")
        rows = [row for row in table(lines) if not row[3].startswith("<wait ")]
        self.assertGreater(rows[0][0], 0.5 * sum(row[0] for row in rows), "\n".join(lines))
        self.screen.send("a")
        self.wait_text("accumulated over")

    def test_sort_keys_reorder(self):
        self.screen.send("3")
        # the most calls among Python functions: a short call between every burst (the
        # <wait GIL> row, the two threads' waits for the GIL, may have more)
        lines = self.screen.wait_for(lambda lines: first_function(lines) == "step",
                                     "step first among Python functions")
        self.assertIn("Sort Calls", "\n".join(lines))
        self.screen.send("2")
        lines = self.wait_text("Sort %Total")
        lines = self.screen.wait_for(lambda lines: table(lines) and table(lines)[0][1] == 100.0, "100% total first")
        totals = [row[1] for row in table(lines)]
        self.assertEqual(totals, sorted(totals, reverse=True))
        names = [row[3] for row in table(lines)]
        self.assertIn("run_phases", names[:2])  # on every stack of both threads, as crunch_alpha is
        self.assertLess(names.index("<module>"), names.index("step"))
        self.screen.send("4")
        lines = self.wait_first("<module>")
        names = [row[3] for row in table(lines) if "..." not in row[3]]  # shortened names sort as the full ones
        self.assertEqual(names, sorted(names))
        self.screen.send("1")
        self.wait_first("crunch_alpha")

    def test_filter(self):
        self.screen.send("/")
        self.screen.type("step")
        self.screen.send("Enter")
        lines = self.screen.wait_for(lambda lines: [r[3] for r in table(lines)] == ["step"], "only step()")
        self.assertIn("Filter: step", "\n".join(lines))
        self.screen.send("/")
        self.screen.type("threading")  # a file name filters too
        self.screen.send("Enter")
        lines = self.screen.wait_for(lambda lines: table(lines) and all("threading" in r[4] for r in table(lines)),
                                     "only threading.py rows")
        self.assertIn("Thread.run", [r[3] for r in table(lines)])
        self.screen.send("Escape")
        self.wait_first("crunch_alpha")
        self.assertGreater(len(table(self.screen.lines())), 4)

    def test_pause_freezes_the_display(self):
        self.screen.send("p")
        frozen = self.wait_text("[PAUSED]")
        time.sleep(2.5)  # two refreshes
        self.assertEqual(self.screen.lines(), frozen)
        self.screen.send("p")
        self.screen.wait_for(lambda lines: "[PAUSED]" not in "\n".join(lines) and table(lines) != table(frozen),
                             "new figures after unpausing")

    def test_save_writes_a_loadable_profile(self):
        self.screen.send("s")
        lines = self.wait_text("Saved ")
        name = re.search(r"Saved (\S+\.prof)", "\n".join(lines)).group(1)
        self.assertRegex(name, r"^pyattach-top-%d-\d{8}T\d{6}Z\.prof$" % self.target.pid)
        stats = pstats.Stats(os.path.join(self.dir, name))
        by_name = dict((key[2], value) for key, value in stats.stats.items())
        self.assertIn("crunch_alpha", by_name)
        self.assertIn("step", by_name)
        self.assertGreater(by_name["crunch_alpha"][2], 0.5)  # tottime, seconds
        self.assertGreater(by_name["crunch_alpha"][2], by_name["step"][2])
        self.assertEqual([f for f in os.listdir(self.dir) if f.startswith(".")], [], "a temporary file was left")

    def test_capital_s_saves_the_viewer_too(self):
        self.screen.send("S")
        lines = self.wait_text("Saved ")
        match = re.search(r"Saved (\S+)\.prof and \.html", "\n".join(lines))
        self.assertIsNotNone(match, lines)
        prof, page = match.group(1) + ".prof", match.group(1) + ".html"
        self.assertRegex(page, r"^pyattach-top-%d-\d{8}T\d{6}Z\.html$" % self.target.pid)
        pstats.Stats(os.path.join(self.dir, prof))
        with open(os.path.join(self.dir, page), encoding="utf-8") as f:
            html = f.read()
        data = browser.page_data(html)
        self.assertEqual(data["source"], "recording")
        names = data["strings"]
        funcs = data["funcs"]
        # the true tree: crunch_alpha under a <thread ...> root, with time
        nodes = data["nodes"]
        root_names = set()
        alpha = 0
        for i in range(1, len(nodes) // 5):
            func, parent = nodes[5 * i], nodes[5 * i + 1]
            name = names[funcs[8 * func + 2]]
            if parent == 0:
                root_names.add(name.split(" ")[0])
            if name == "crunch_alpha":
                alpha += nodes[5 * i + 3] * data["tick"]
        self.assertEqual(root_names, {"<thread"})
        self.assertGreater(alpha, 0.5)
        self.assertEqual([f for f in os.listdir(self.dir) if f.startswith(".")], [], "a temporary file was left")

    def test_reset_mode_and_thread_view(self):
        self.screen.send("m")
        lines = self.wait_text("Mode cpu: totals reset")
        self.assertIn("Mode cpu", lines[1])
        self.screen.send("m")
        self.wait_text("Mode gil: totals reset")
        self.wait_first("crunch_alpha")
        self.screen.send("m")
        self.wait_text("Mode wall: totals reset")
        self.screen.send("r")
        self.wait_text("Totals reset")
        self.screen.send("t")
        lines = self.screen.wait_for(
            lambda lines: sorted(THREAD_ROW.match(l).group(4) for l in lines[5:] if THREAD_ROW.match(l))
            == ["MainThread", "worker"], "a row for each thread")
        tids = [int(THREAD_ROW.match(l).group(1)) for l in lines[5:] if THREAD_ROW.match(l)]
        self.assertIn(self.target.pid, tids)

    def test_resize_redraws(self):
        self.screen.resize(120, 30)
        lines = self.screen.wait_for(lambda lines: len(lines) >= 30 and "1-4:sort" in lines[29], "the help line at 30")
        self.assertTrue(any(len(l.rstrip()) > 80 for l in lines), "the wider screen is used")
        self.screen.resize(60, 15)
        lines = self.screen.wait_for(lambda lines: "1-4:sort" in lines[14], "the help line at 15")
        for line in lines:
            self.assertLessEqual(len(line.rstrip()), 60)

    def test_q_restores_the_terminal(self):
        self.screen.send("q")
        self.assert_back_at_prompt()

    def test_ctrl_c_sigterm_and_a_crash_restore_the_terminal(self):
        self.screen.send("C-c")
        self.assert_back_at_prompt()
        for signo in (signal.SIGTERM, signal.SIGSEGV):
            self.start_top()
            (pid,) = child_pids(self.screen.shell_pid())  # the pyattach our shell started
            os.kill(pid, signo)
            self.assert_back_at_prompt()

    def test_target_exit_keeps_the_figures_until_a_key(self):
        self.target.kill()
        lines = self.wait_text("The target exited; press any key to quit")
        self.assertIn("crunch_alpha", [r[3] for r in table(lines)])
        time.sleep(1.5)
        self.assertIn("press any key", self.screen.text(), "top must wait for a key")
        self.screen.send("x")
        self.assert_back_at_prompt()


class TopPlainTest(unittest.TestCase):
    """stdout not a terminal: one plain snapshot per interval."""

    def test_once_prints_one_snapshot(self):
        binary = harness.pyattach_binary()
        harness.require_interpreters()

        def check(label, python):
            with harness.start_target(python, "top_target.py") as target:
                shell = "'%s' top -p %d --once --delay 1 | cat" % (binary, target.pid)
                started = time.monotonic()
                out = subprocess.run(shell, shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     universal_newlines=True, timeout=harness.RUN_TIMEOUT)
                elapsed = time.monotonic() - started
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertNotIn("\x1b", out.stdout, "no terminal escapes in plain output")
            lines = out.stdout.splitlines()
            self.assertEqual(sum(l.startswith("pyattach top - CPython") for l in lines), 1, out.stdout)
            self.assertIn("PID %d" % target.pid, lines[0])
            self.assertIn("Functions, accumulated over", out.stdout)
            self.assertEqual(first_function(lines), "crunch_alpha", out.stdout)
            files = [r[4] for r in table(lines) if r[3] == "crunch_alpha"]
            self.assertRegex(files[0], r"^top_target\.py:\d+$")
            self.assertLess(elapsed, 30.0)

        harness.for_each_interpreter(self, check)

    def test_piped_output_every_interval(self):
        binary = harness.pyattach_binary()
        python = harness.interpreter_by_label(SCREEN_PYTHON)
        with harness.start_target(python, "top_target.py") as target:
            with tempfile.TemporaryFile() as out:
                proc = subprocess.Popen([binary, "top", "-p", str(target.pid), "--delay", "0.5"], stdout=out,
                                        stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
                try:
                    time.sleep(1.8)
                    os.kill(target.pid, signal.SIGUSR1)  # crunch_beta from now on
                    time.sleep(1.7)
                    proc.send_signal(signal.SIGTERM)
                    _, err = proc.communicate(timeout=harness.RUN_TIMEOUT)
                finally:
                    if proc.poll() is None:
                        proc.kill()
                        proc.wait()
                self.assertEqual(proc.returncode, 0, err)
                out.seek(0)
                text = out.read().decode()
        snapshots = [s for s in text.split("\n\n") if s.strip()]
        self.assertGreaterEqual(len(snapshots), 4, text)
        spans = [float(re.search(r"accumulated over ([\d.]+) s", s).group(1)) for s in snapshots]
        self.assertEqual(spans, sorted(spans))
        self.assertEqual(first_function(snapshots[0].splitlines()), "crunch_alpha")
        functions = [r[3] for r in table(snapshots[-1].splitlines())]
        self.assertIn("crunch_beta", functions)


if __name__ == "__main__":
    unittest.main()
