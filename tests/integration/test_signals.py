# `pyattach -p PID -o FILE` under signals and a vanishing target, on real targets:
# SIGINT/SIGTERM/SIGHUP stop sampling and write a complete profile (exit 0); a second
# SIGINT leaves at once with no partial or temporary file; a target that exits ends
# the run within a second with what was sampled; --blocking never leaves the target
# stopped, not even when pyattach is killed with SIGKILL at a random moment or while it
# holds a thread stopped. Each time bound is judged from the event it follows (the
# signal sent, the target's exit seen through a pidfd) to pyattach's own exit (its
# pidfd), never from a poll that a busy machine can make late or miss.
import os
import pstats
import random
import re
import select
import signal
import subprocess
import tempfile
import time
import unittest

import harness as h

PYTHON = h.interpreter_by_label("3.12.1")
SETTLE = 1.0  # seconds a background pyattach gets to attach and take samples


def setUpModule():
    h.require_interpreters()
    h.pyattach_binary()


def start_pyattach(args):
    argv = [h.pyattach_binary()] + [str(a) for a in args]
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def exit_time(proc, timeout):
    """When proc exited (time.monotonic(), as the test saw it through a pidfd, which is
    readable once the process has exited, reaped or not), or None if it still runs
    after timeout seconds. The exit itself, not the end of reading its output."""
    fd = os.pidfd_open(proc.pid)
    try:
        return time.monotonic() if select.select([fd], [], [], timeout)[0] else None
    finally:
        os.close(fd)


def target_exit_time(target, pidfd, timeout):
    """When the target exited (time.monotonic()), or None after timeout: the earlier of
    its pidfd turning readable and the end of its stdout, both events that cannot be
    missed. Under --blocking a thread that pyattach holds seized when the process exits
    stays a zombie until pyattach reaps it, and the pidfd waits for that (it is readable
    once the whole thread group is gone); the stdout pipe closes before, when the last
    thread drops the file table, whatever pyattach does. Reads and drops what the
    target still prints."""
    out = target.proc.stdout.fileno()
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        ready = select.select([pidfd, out], [], [], max(left, 0))[0]
        if not ready:
            return None
        if pidfd in ready or not os.read(out, 65536):
            return time.monotonic()


def finish(proc, timeout=h.RUN_TIMEOUT):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("pyattach %d did not finish within %.0fs" % (proc.pid, timeout))
    return h.Result(proc.returncode, out.decode("utf-8"), err.decode("utf-8"), proc.args)


def load_functions(path):
    """The function names of a pstats file, loaded the way cProfile users do."""
    stats = pstats.Stats(path)
    return {func for (_, _, func) in stats.stats}, stats


def signal_pending(pid, signo):
    """Whether signo is still pending (not yet handled) for the process."""
    mask = 1 << (signo - 1)
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(("SigPnd:", "ShdPnd:")) and int(line.split()[1], 16) & mask:
                return True
    return False


def thread_states(pid):
    """The state letters of every thread of pid ('' for a thread that just left)."""
    states = []
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid), "rb") as f:
                stat = f.read()
        except FileNotFoundError:
            continue
        states.append(stat[stat.rindex(b")") + 2:].split()[0].decode())
    return "".join(states)


def assert_running(testcase, target, what):
    """The target is alive, not stopped or traced, and still burning CPU."""
    testcase.assertIsNone(target.proc.poll(), "%s: the target died" % what)
    before = h.proc_cpu_ticks(target.pid)
    deadline = time.monotonic() + 5.0
    while h.proc_cpu_ticks(target.pid) <= before:
        state = h.proc_state(target.pid)
        testcase.assertNotIn(state, ("t", "T"), "%s: the target is left stopped" % what)
        if time.monotonic() > deadline:
            raise AssertionError("%s: the target makes no progress (state %s)" % (what, state))
        time.sleep(0.02)
    testcase.assertNotIn(h.proc_state(target.pid), ("t", "T"), what)
    testcase.assertEqual(h.tracer_pid(target.pid), 0, "%s: the target is still traced" % what)
    states = thread_states(target.pid)
    testcase.assertFalse("t" in states or "T" in states, "%s: a thread is left stopped: %s" % (what, states))


def all_stopped(pid):
    """Whether every thread of pid is in a job-control stop (T), a state that lasts
    until SIGCONT: polling for it can be late but cannot miss it."""
    states = thread_states(pid)
    return bool(states) and set(states) == {"T"}


def catch_a_stopped_thread(proc, target, rng, tries=50):
    """Leave pyattach (--blocking) frozen at a moment when it holds a thread of the
    target stopped, and say whether that was reached. A poll of the target's states
    alone races the stop (a few µs per sample) and the kill after it; so pyattach is
    frozen first (SIGSTOP), and only then are the target's threads looked at: a thread
    it stopped stays stopped while it is frozen, so what is seen still holds when the
    SIGKILL lands. Not caught: pyattach runs on (SIGCONT) a random moment, once more."""
    for _ in range(tries):
        proc.send_signal(signal.SIGSTOP)
        deadline = time.monotonic() + 5.0
        while not all_stopped(proc.pid):
            if time.monotonic() > deadline:
                raise AssertionError("pyattach %d did not stop on SIGSTOP: %s" % (proc.pid, thread_states(proc.pid)))
            time.sleep(0.001)
        if "t" in thread_states(target.pid):
            return True
        proc.send_signal(signal.SIGCONT)
        time.sleep(rng.uniform(0.0, 0.003))
    return False


class StopSignals(unittest.TestCase):
    def test_each_stop_signal_writes_a_complete_profile(self):
        with tempfile.TemporaryDirectory() as tmp, h.start_target(PYTHON, "prod_busy.py") as target:
            for signo in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                with self.subTest(signal=signo.name):
                    out = os.path.join(tmp, "%s.prof" % signo.name)
                    proc = start_pyattach(["-p", target.pid, "-o", out])  # no -d: until a signal
                    time.sleep(SETTLE)
                    sent = time.monotonic()
                    proc.send_signal(signo)
                    ended = exit_time(proc, 10)
                    result = finish(proc)
                    self.assertIsNotNone(ended, "pyattach still ran 10 s after %s" % signo.name)
                    self.assertLess(ended - sent, 2.0, "slow to stop after %s" % signo.name)
                    self.assertEqual(result.rc, 0, result.stderr)
                    functions, stats = load_functions(out)
                    self.assertIn("busy_leaf", functions)
                    self.assertIn("busy_outer", functions)
                    self.assertGreater(stats.total_tt, 0.5, "what was sampled before the signal")
                    assert_running(self, target, signo.name)
            self.assertEqual([n for n in os.listdir(tmp) if n.startswith(".")], [], "temporary files left")

    def test_sigterm_mid_run_every_interpreter(self):
        def check(label, python):
            with tempfile.TemporaryDirectory() as tmp, h.start_target(python, "prod_busy.py") as target:
                out = os.path.join(tmp, "out.prof")
                proc = start_pyattach(["-p", target.pid, "-d", 60, "-o", out])
                time.sleep(SETTLE)
                proc.send_signal(signal.SIGTERM)
                result = finish(proc, timeout=10)
                self.assertEqual(result.rc, 0, result.stderr)
                self.assertIn("busy_leaf", load_functions(out)[0])
                self.assertEqual(os.listdir(tmp), ["out.prof"])
                assert_running(self, target, label)
        h.for_each_interpreter(self, check)

    def test_second_sigint_exits_at_once_without_partial_file(self):
        """Two SIGINTs, the second once the first was handled (while the profile is
        being written): either the run finished first (exit 0, new complete file) or
        it left at once (exit 130) and the path holds a complete profile: the previous
        one, or the new one if the rename was done; never a partial file, never a
        temporary file. The big profile of prod_wide.py makes the write long enough
        for the second signal to land in it, which must happen at least once."""
        outcomes = {0: 0, 130: 0}
        interrupted = 0  # exits at 130 that left the previous profile in place
        with tempfile.TemporaryDirectory() as tmp, h.start_target(PYTHON, "prod_wide.py") as target:
            out = os.path.join(tmp, "out.prof")
            first = h.run_pyattach(["-p", target.pid, "-d", 0.3, "-o", out])
            self.assertEqual(first.rc, 0, first.stderr)
            previous = open(out, "rb").read()
            for attempt in range(20):
                with self.subTest(attempt=attempt):
                    proc = start_pyattach(["-p", target.pid, "-o", out])
                    time.sleep(0.6)
                    proc.send_signal(signal.SIGINT)
                    # Not pending any more is a state that lasts (handled, nothing sends
                    # another): this loop cannot miss it, only see it late.
                    while proc.poll() is None and signal_pending(proc.pid, signal.SIGINT):
                        pass
                    sent = time.monotonic()
                    proc.send_signal(signal.SIGINT)  # nothing if it has exited meanwhile
                    # Judged from the signal to the exit itself (its pidfd), not to
                    # the end of reading its output; the 0.5 s is the bound of "at once".
                    ended = exit_time(proc, 10)
                    result = finish(proc)
                    self.assertIsNotNone(ended, "pyattach still ran 10 s after the second SIGINT")
                    self.assertLess(ended - sent, 0.5, "the second SIGINT must end it at once")
                    self.assertIn(result.rc, (0, 130), result.stderr)
                    outcomes[result.rc] += 1
                    self.assertEqual(os.listdir(tmp), ["out.prof"], "temporary or partial file left")
                    data = open(out, "rb").read()
                    # Loadable: the previous profile or a new complete one (the second
                    # SIGINT may land just after the rename), never a torn one.
                    self.assertIn("wide_function_number_0000_with_a_long_name", load_functions(out)[0])
                    if result.rc == 130 and data == previous:
                        interrupted += 1
                    previous = data
            assert_running(self, target, "after the SIGINTs")
        self.assertGreater(interrupted, 0, "the second SIGINT never interrupted a run: %r" % outcomes)

    def test_second_sigint_while_sampling_leaves_no_file(self):
        """Two SIGINTs close together with no previous profile: no file at all, or a
        complete one; never a temporary file."""
        with tempfile.TemporaryDirectory() as tmp, h.start_target(PYTHON, "prod_busy.py") as target:
            for attempt in range(5):
                out = os.path.join(tmp, "run%d.prof" % attempt)
                proc = start_pyattach(["-p", target.pid, "-o", out])
                time.sleep(0.5)
                proc.send_signal(signal.SIGINT)
                proc.send_signal(signal.SIGINT)
                result = finish(proc, timeout=5)
                self.assertIn(result.rc, (0, 130), result.stderr)
                if result.rc == 0:
                    self.assertIn("busy_leaf", load_functions(out)[0])
                else:
                    self.assertFalse(os.path.exists(out))
                self.assertEqual([n for n in os.listdir(tmp) if n.startswith(".")], [])
            assert_running(self, target, "after the SIGINTs")


class TargetExits(unittest.TestCase):
    def test_target_exit_ends_the_run_promptly(self):
        """The target leaves after ~1.5 s of a 60 s run (its parent, this test, does
        not reap it at once: it is a zombie for a while, as under a busy parent)."""
        with tempfile.TemporaryDirectory() as tmp, \
                h.start_target(PYTHON, "prod_busy.py", "--exit-after", "1.5") as target:
            out = os.path.join(tmp, "out.prof")
            target_fd = os.pidfd_open(target.pid)
            proc = start_pyattach(["-p", target.pid, "-d", 60, "-o", out])
            pyattach_fd = os.pidfd_open(proc.pid)
            try:
                # The exit itself, not a poll of the target's state that a busy
                # machine can miss: a pidfd is readable once its process has exited
                # (zombie or not); then pyattach's own exit is awaited the same way.
                exited_in_time = select.select([target_fd], [], [], 30)[0]
                exited = time.monotonic()
                ended_in_time = select.select([pyattach_fd], [], [], 5)[0]
                ended = time.monotonic()
            finally:
                os.close(target_fd)
                os.close(pyattach_fd)
            result = finish(proc, timeout=5)
            self.assertTrue(exited_in_time, "the target did not exit within 30 s")
            self.assertTrue(ended_in_time, "pyattach still ran 5 s after the target's exit")
            self.assertLess(ended - exited, 1.0, "the run must end within 1 s of the target's exit")
            self.assertEqual(result.rc, 0, result.stderr)
            self.assertRegex(result.stderr, r"pyattach: PID %d .*\(exited\)" % target.pid)
            functions, stats = load_functions(out)
            self.assertIn("busy_leaf", functions)
            self.assertGreater(stats.total_tt, 0.8)
            self.assertEqual(os.listdir(tmp), ["out.prof"])


class Blocking(unittest.TestCase):
    def test_blocking_run_gives_exact_stacks_and_resumes(self):
        with tempfile.TemporaryDirectory() as tmp, \
                h.start_target(PYTHON, "prod_busy.py", "--threads", "2") as target:
            out = os.path.join(tmp, "out.prof")
            result = h.run_pyattach(["-p", target.pid, "-d", 1, "--blocking", "-o", out])
            self.assertEqual(result.rc, 0, result.stderr)
            functions, stats = load_functions(out)
            self.assertIn("busy_leaf", functions)
            self.assertIn("spinner", functions)
            summary = re.search(r"(\d+) samples, (\d+) with Python frames, \d+ idle, (\d+) failed", result.stderr)
            self.assertIsNotNone(summary, result.stderr)
            self.assertEqual(int(summary.group(3)), 0, "a stopped thread never gives a torn stack")
            assert_running(self, target, "after a normal --blocking run")

    def test_sigkill_of_blocking_pyattach_leaves_target_running(self):
        rng = random.Random(int(os.environ.get("PYATTACH_SEED", "5")))
        with tempfile.TemporaryDirectory() as tmp, \
                h.start_target(PYTHON, "prod_busy.py", "--threads", "3") as target:
            killed_while_stopped = 0
            for attempt in range(20):
                with self.subTest(attempt=attempt):
                    proc = start_pyattach(["-p", target.pid, "-r", 1000, "--blocking",
                                           "-o", os.path.join(tmp, "k%d.prof" % attempt)])
                    time.sleep(rng.uniform(0.05, 0.6))
                    if proc.poll() is not None:
                        result = finish(proc)
                        self.fail("pyattach --blocking ended early: rc %d %s" % (result.rc, result.stderr))
                    seen = catch_a_stopped_thread(proc, target, rng)
                    proc.kill()
                    proc.wait()
                    proc.stdout.close()
                    proc.stderr.close()
                    killed_while_stopped += seen
                    assert_running(self, target, "SIGKILL attempt %d" % attempt)
        self.assertGreater(killed_while_stopped, 0, "never killed while a thread was stopped (20 attempts)")

    def test_sigterm_of_blocking_pyattach_writes_and_resumes(self):
        with tempfile.TemporaryDirectory() as tmp, \
                h.start_target(PYTHON, "prod_busy.py", "--threads", "2") as target:
            for signo in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                with self.subTest(signal=signo.name):
                    out = os.path.join(tmp, "%s.prof" % signo.name)
                    proc = start_pyattach(["-p", target.pid, "-r", 1000, "--blocking", "-o", out])
                    time.sleep(SETTLE)
                    proc.send_signal(signo)
                    result = finish(proc)
                    self.assertEqual(result.rc, 0, result.stderr)
                    self.assertIn("busy_leaf", load_functions(out)[0])
                    assert_running(self, target, signo.name)

    def test_blocking_target_exit_mid_run(self):
        with tempfile.TemporaryDirectory() as tmp, \
                h.start_target(PYTHON, "prod_busy.py", "--exit-after", "1", "--threads", "2") as target:
            out = os.path.join(tmp, "out.prof")
            target_fd = os.pidfd_open(target.pid)
            proc = start_pyattach(["-p", target.pid, "-d", 30, "--blocking", "-o", out])
            try:
                exited = target_exit_time(target, target_fd, 30)
            finally:
                os.close(target_fd)
            ended = exit_time(proc, 5)
            result = finish(proc, timeout=5)
            self.assertIsNotNone(exited, "the target did not exit within 30 s")
            self.assertIsNotNone(ended, "pyattach still ran 5 s after the target's exit")
            self.assertLess(ended - exited, 1.0, "the run must end within 1 s of the target's exit")
            self.assertEqual(result.rc, 0, result.stderr)
            self.assertRegex(result.stderr, r"pyattach: PID %d .*\(exited\)" % target.pid)
            self.assertIn("busy_leaf", load_functions(out)[0])


if __name__ == "__main__":
    unittest.main()
