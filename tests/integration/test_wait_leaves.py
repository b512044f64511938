# Wall mode shows waiting as waiting: a sample of a thread that is off a CPU gets an
# innermost `<wait SYSCALL>` frame (file ~, line 0, as cProfile keys its built-ins),
# `<wait GIL>` when the futex it sleeps on is its interpreter's GIL. On every
# interpreter:
#  - four CPU-bound threads on this 2-CPU machine: `<wait GIL>` holds the share of
#    their wall time they really waited, from each thread's own CPU and run-queue time
#    (/proc/PID/task/TID/schedstat) around the recording;
#  - the alternating target of test_cpu_mode (40 ms compute, 20 ms time.sleep, 20 ms
#    socket.recv, measuring itself): the wait leaves hold the waiting phases' share,
#    compute keeps its share as its own time, and each wait is one call for ncalls;
#  - `top --once` shows the wait rows too.
import os
import shutil
import tempfile
import time
import unittest

import harness
from test_record import load_stats, read_totals

RATE = 97         # Hz: not a divisor of the target's 80 ms cycle, so samples do not phase-lock
TOLERANCE = 0.03  # shares, as the issue asks
GIL_TOLERANCE = 0.05
DURATION = 4


def schedstat(pid, tid):
    """(ns on a CPU, ns runnable waiting for one) of a thread so far."""
    with open("/proc/%d/task/%d/schedstat" % (pid, tid)) as f:
        on_cpu, waiting = f.read().split()[:2]
    return int(on_cpu), int(waiting)


def stolen_ns():
    """Time the hypervisor ran something else on this VM's CPUs, all CPUs summed
    (/proc/stat's eighth field, in USER_HZ ticks)."""
    with open("/proc/stat") as f:
        fields = f.readline().split()
    return int(fields[8]) * 1e9 / os.sysconf("SC_CLK_TCK")


def is_wait(key):
    return key[0] == "~" and key[2].startswith("<wait")


class WaitLeaves(unittest.TestCase):
    def setUp(self):
        harness.require_interpreters()
        self.tmp = tempfile.mkdtemp(prefix="pyattach-wait-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_gil_wait_holds_what_the_threads_waited(self):
        def check(label, python):
            out = os.path.join(self.tmp, "%s.folded" % label)
            with harness.start_target(python, "gil_threads_target.py") as target:
                workers = target.truth["workers"]
                before = [schedstat(target.pid, tid) for tid in workers]
                stolen_before, start = stolen_ns(), time.monotonic()
                r = harness.run_pyattach(["-p", target.pid, "-d", DURATION - 1, "-r", RATE, "-q", "-o", out])
                after = [schedstat(target.pid, tid) for tid in workers]
                wall, stolen = (time.monotonic() - start) * 1e9, stolen_ns() - stolen_before
            self.assertEqual(r.rc, 0, r.stderr)
            # Waited for the GIL: neither on a CPU nor runnable waiting for one.
            truth = sum(1 - (a[0] - b[0] + a[1] - b[1]) / wall for a, b in zip(after, before)) / len(workers)
            # The kernel's CPU clock leaves out time the hypervisor stole from a VM's
            # CPU while a thread was on it (steal time, CONFIG_PARAVIRT_TIME_ACCOUNTING):
            # that time is in neither schedstat field, so the truth above counts it as
            # waiting although the thread held the GIL. These VMs steal 4-5 % on average,
            # in bursts; the likely cause of CI runs where <wait GIL> came 0.09 under the
            # truth on three interpreters in a row and passed when rerun (the message
            # prints the steal, so a failure says). At most all the steal of the window
            # hit the workers: the truth lies at most that far lower.
            stolen_share = stolen / wall / len(workers)
            samples = gil = 0
            with open(out, encoding="utf-8") as f:
                for line in f:
                    stack, count = line.rsplit(" ", 1)
                    if ";spin " in stack or stack.startswith("spin "):
                        samples += int(count)
                        gil += int(count) if stack.endswith(";<wait GIL>") else 0
            detail = "%s: <wait GIL> %.3f of %d worker samples, measured waiting %.3f (at most %.3f of it stolen)" % (
                label, gil / max(samples, 1), samples, truth, stolen_share)
            self.assertGreater(samples, 100 * len(workers), detail)
            self.assertGreater(truth, 0.4, "the workers hardly waited: " + detail)
            self.assertLessEqual(gil / samples, truth + GIL_TOLERANCE, detail)
            self.assertGreaterEqual(gil / samples, truth - stolen_share - GIL_TOLERANCE, detail)

        harness.for_each_interpreter(self, check)

    def test_waits_are_leaves_of_their_own(self):
        def check(label, python):
            out = os.path.join(self.tmp, "%s.prof" % label)
            with harness.start_target(python, "alternating_target.py") as target:
                time.sleep(0.3)
                before, sched_before = read_totals(target), schedstat(target.pid, target.pid)
                r = harness.run_pyattach(["-p", target.pid, "-d", DURATION, "-r", RATE, "-q", "-o", out])
                after, sched_after = read_totals(target), schedstat(target.pid, target.pid)
                top = harness.run_pyattach(["top", "-p", target.pid, "--once", "--delay", "1"])
            self.assertEqual(r.rc, 0, r.stderr)
            wall = after["wall"] - before["wall"]

            def phase(name, field="wall"):
                return after["phases"][name][field] - before["phases"][name][field]

            stats = load_stats(out)
            total = sum(value[2] for value in stats.values())
            waits = {key: value for key, value in stats.items() if is_wait(key)}
            compute = [value for key, value in stats.items() if key[2] == "compute"]
            detail = "%s: %s" % (label, sorted((key[2], round(value[2] / total, 3)) for key, value in stats.items()))
            self.assertTrue(waits, detail)
            for key in waits:
                self.assertEqual(key[1], 0, detail)
            # A thread woken from its sleep may wait for a CPU before it runs on: the
            # kernel counts that as runnable (schedstat's second field), and so does the
            # wait leaf (no leaf while runnable), but the target's phase clock counts it
            # as part of the sleep. On a quiet machine it is a fraction of a point.
            runnable = (sched_after[1] - sched_before[1]) / 1e9 / wall
            waited = (phase("sleeping") + phase("receiving")) / wall
            wait_share = sum(v[2] for v in waits.values()) / total
            detail += "; waited %.3f, runnable %.3f" % (waited, runnable)
            self.assertLessEqual(wait_share, waited + TOLERANCE, detail)
            self.assertGreaterEqual(wait_share, waited - runnable - TOLERANCE, detail)
            self.assertEqual(len(compute), 1, detail)
            self.assertLessEqual(abs(compute[0][2] / total - phase("compute") / wall), TOLERANCE,
                                 "compute ran %.3f; %s" % (phase("compute") / wall, detail))
            # Each sleep is one call of its wait leaf: compute ran in between.
            slept = phase("sleeping", "calls")
            calls = sum(value[4][key][0] for value in waits.values() for key in value[4] if key[2] == "sleeping")
            self.assertLessEqual(abs(calls - slept), 0.1 * slept,
                                 "%s: %d calls of the wait under sleeping, %d sleeps" % (label, calls, slept))
            self.assertEqual(top.rc, 0, top.stderr)
            self.assertIn("<wait ", top.stdout, "%s: top shows no wait row:\n%s" % (label, top.stdout))

        harness.for_each_interpreter(self, check)


if __name__ == "__main__":
    unittest.main()
