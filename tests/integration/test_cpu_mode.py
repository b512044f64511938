# -m cpu credits the stack that was on a CPU at the sample, on every interpreter: on a
# target that alternates 40 ms of work with 20 ms in time.sleep and 20 ms in
# socket.recv (tests/targets/alternating_target.py, which measures its own CPU time per
# phase), the waiting phases get at most 1 % of the profile and the computing
# function's share is the thread's measured CPU share within 3 points. The same for
# `top -m cpu --once` (the plain snapshot). And a runnable thread waiting for a CPU is
# not credited as running: a spinning target sharing one CPU with a busy loop is
# credited its own CPU time, about half its wall time.
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import harness
from test_record import load_stats, read_totals

DURATION = 8
OFF_CPU = ("sleeping", "receiving")
MAX_OFF_CPU = 0.01  # share of the profile
TOLERANCE = 0.03    # compute's share against the measured one
# What the profile's shares are made of is the CPU the samples credit, and the waiting
# phases are not among it (MAX_OFF_CPU). Their own CPU W (entering and leaving the
# system calls: 0.5-1 % of the thread's CPU on a quiet machine, 3 % under the sanitized
# suite's load) is dropped at the next sample that finds the thread asleep, or credited
# with the stack a sample finds running after the wake-up (compute's, nearly always).
# So the measured counterpart of compute's share is compute's CPU over the thread's CPU
# outside the waiting phases, C / (T - W); either fate of W moves the profile's share
# from it by at most W times the loop's own small share (< 0.1 point). Against the
# thread's whole CPU, C / T, the profile must read higher by about W: no rule can give
# the waiting phases their W and keep them under MAX_OFF_CPU.
# top's plain rows: %Own %Total OwnTime TotalTime Calls Function File:Line
TOP_ROW = re.compile(r"^\s*([\d.]+)\s+([\d.]+)\s+[\d.]+\s+[\d.]+\s+\d+\s+(\S+)\s+\S+:\d+\s*$")
TOP_ROW_TIMES = re.compile(r"^\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+\d+\s+(\S+)\s+\S+:\d+\s*$")

# The shared CPU: a spinning target and a busy loop pinned to one CPU each get about
# half of it (0.41-0.50 measured, pyattach itself running there at times), so the
# target is runnable, not running, half of its wall time. What cpu mode credits is its
# CPU time over the recording: the thread's CPU share (schedstat's time on a CPU over
# the wall time around pyattach's run) times the seconds pyattach sampled. pyattach runs
# on the other CPUs: the ASan build's start and end, had they taken the shared CPU,
# lowered the share around the run below the one while sampling (top credited 1.033 and
# 1.050 of it). Measured on 3.12.1 at 100 and 1000 Hz: the profile held 1.000-1.007 of it. Crediting the
# runnable time as well would give twice as much; CONTENDED_TOLERANCE (relative)
# leaves room for the time pyattach lost and for a scheduler share that drifts.
CONTENDED_TOLERANCE = 0.05
CONTENDED_MAX_SHARE = 0.75  # the target's CPU share must show that it really waited
SAMPLED = re.compile(r" in ([\d.]+) s")
TOP_ELAPSED = re.compile(r"^Functions, accumulated over ([\d.]+) s", re.M)


def thread_cpu_ns(pid):
    """The main thread's time on a CPU: the first field of its schedstat."""
    with open("/proc/%d/task/%d/schedstat" % (pid, pid)) as f:
        return int(f.read().split()[0])


# Whether a thread waits for a CPU is read from the kernel (its run state and schedstat),
# the same for every CPython; the crediting of the stack itself is proven on all of them
# by the tests above. The contended cases (8 s each) run on the oldest, the static
# stripped 3.11, a shared-libpython build and the newest.
CONTENDED_INTERPRETERS = [i for i in harness.INTERPRETERS if i[0] in ("3.6.15", "debian-3.11", "3.12.1", "debian-3.15")]


class SharedCpu(object):
    """A spinning target (chain_target.py --busy) and a busy loop we start, both pinned
    to the same CPU; measure() runs a command and gives the target's CPU share over it."""

    def __init__(self, python):
        cpus = os.sched_getaffinity(0)
        if len(cpus) < 2:
            raise AssertionError("the shared-CPU check needs 2 CPUs, one for pyattach; have %r" % sorted(cpus))
        self.cpu = max(cpus)
        self.others = cpus - {self.cpu}
        self.python = python

    def __enter__(self):
        cpu = self.cpu
        self.loop = subprocess.Popen(["/usr/bin/python3", "-c", "while True: pass"], stdin=subprocess.DEVNULL,
                                     preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))
        try:
            self.target = harness.start_target(self.python, "chain_target.py", "--busy").__enter__()
        except BaseException:
            self.stop_loop()
            raise
        for tid in os.listdir("/proc/%d/task" % self.target.pid):
            os.sched_setaffinity(int(tid), {cpu})
        return self

    def stop_loop(self):
        self.loop.kill()  # by PID: the busy loop we started
        self.loop.wait()

    def __exit__(self, *exc):
        self.target.__exit__(*exc)
        self.stop_loop()
        return False

    def measure(self, args):
        """pyattach's result and the target's CPU share over its run; pyattach (our
        child: it inherits our affinity) runs off the shared CPU."""
        mine = os.sched_getaffinity(0)
        os.sched_setaffinity(0, self.others)
        try:
            cpu, wall = thread_cpu_ns(self.target.pid), time.monotonic()
            r = harness.run_pyattach(args)
            share = (thread_cpu_ns(self.target.pid) - cpu) / 1e9 / (time.monotonic() - wall)
        finally:
            os.sched_setaffinity(0, mine)
        return r, share


def measured_shares(before, after):
    """The thread's CPU time between two TOTALS: compute's share of what it ran
    outside the waiting phases, the waiting phases' share of all it ran, and their
    share of the wall time (that they really waited)."""
    def delta(phase, field):
        return after["phases"][phase][field] - before["phases"][phase][field]
    cpu = after["cpu"] - before["cpu"]
    wall = after["wall"] - before["wall"]
    waiting_cpu = sum(delta(p, "cpu") for p in OFF_CPU)
    return (delta("compute", "cpu") / (cpu - waiting_cpu), waiting_cpu / cpu,
            sum(delta(p, "wall") for p in OFF_CPU) / wall)


def assert_compute_share(test, share, truth, detail):
    test.assertLessEqual(abs(share - truth), TOLERANCE, detail)


class CpuMode(unittest.TestCase):
    def setUp(self):
        harness.require_interpreters()
        self.tmp = tempfile.mkdtemp(prefix="pyattach-cpu-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def check_truth(self, label, waited):
        # On a loaded machine the phases stretch, but the target must really wait.
        self.assertGreater(waited, 0.25, "%s: the target hardly waited (%.2f of its wall time)" % (label, waited))

    def test_record_credits_only_the_running_stack(self):
        def check(label, python):
            out = os.path.join(self.tmp, "%s.prof" % label)
            with harness.start_target(python, "alternating_target.py") as target:
                time.sleep(0.3)
                before = read_totals(target)
                r = harness.run_pyattach(["-p", target.pid, "-m", "cpu", "-d", DURATION, "-q", "-o", out])
                after = read_totals(target)
            self.assertEqual(r.rc, 0, r.stderr)
            compute_truth, waiting_cpu, waited = measured_shares(before, after)
            self.check_truth(label, waited)
            stats = load_stats(out)
            total = sum(value[2] for value in stats.values())  # tottime: each sample once
            cumulative = {}
            for key, value in stats.items():
                cumulative[key[2]] = cumulative.get(key[2], 0.0) + value[3]
            self.assertGreater(total, 1.0, "%s: %.2f s in the profile" % (label, total))
            off = sum(cumulative.get(name, 0.0) for name in OFF_CPU) / total
            compute = cumulative.get("compute", 0.0) / total
            detail = "%s: compute %.3f (measured %.3f outside the waiting phases, whose CPU was %.3f), " \
                     "waiting %.4f of %.2f s; %r" % (
                label, compute, compute_truth, waiting_cpu, off, total, sorted(cumulative.items()))
            self.assertLessEqual(off, MAX_OFF_CPU, detail)
            assert_compute_share(self, compute, compute_truth, detail)

        harness.for_each_interpreter(self, check)

    def test_top_snapshot_credits_only_the_running_stack(self):
        def check(label, python):
            with harness.start_target(python, "alternating_target.py") as target:
                time.sleep(0.3)
                before = read_totals(target)
                r = harness.run_pyattach(["top", "-p", target.pid, "-m", "cpu", "-r", "500", "--once",
                                          "--delay", "3"])
                after = read_totals(target)
            self.assertEqual(r.rc, 0, r.stderr)
            compute_truth, waiting_cpu, waited = measured_shares(before, after)
            self.check_truth(label, waited)
            total = {}
            for m in map(TOP_ROW.match, r.stdout.splitlines()):
                if m:
                    total[m.group(3)] = float(m.group(2)) / 100
            detail = "%s: measured compute %.3f outside the waiting phases, whose CPU was %.3f; top:\n%s" % (
                label, compute_truth, waiting_cpu, r.stdout)
            self.assertIn("compute", total, detail)
            self.assertLessEqual(sum(total.get(name, 0.0) for name in OFF_CPU), MAX_OFF_CPU, detail)
            assert_compute_share(self, total["compute"], compute_truth, detail)

        harness.for_each_interpreter(self, check)

    def check_contended(self, label, share, credited, sampled, output):
        expected = share * sampled
        detail = "%s: %.3f s credited of %.2f s sampled; the thread's CPU share %.3f, so %.3f s expected\n%s" % (
            label, credited, sampled, share, expected, output)
        self.assertLess(share, CONTENDED_MAX_SHARE, "the target did not wait for its CPU; " + detail)
        self.assertLessEqual(abs(credited - expected), CONTENDED_TOLERANCE * expected, detail)

    def test_record_credits_a_runnable_thread_only_its_cpu_time(self):
        def check(label, python):
            out = os.path.join(self.tmp, "%s.prof" % label)
            with SharedCpu(python) as shared:
                time.sleep(0.3)
                r, share = shared.measure(["-p", shared.target.pid, "-m", "cpu", "-r", "1000", "-d", 4, "-o", out])
            self.assertEqual(r.rc, 0, r.stderr)
            sampled = SAMPLED.search(r.stderr)
            self.assertIsNotNone(sampled, r.stderr)
            credited = sum(value[2] for value in load_stats(out).values())  # tottime: each sample once
            self.check_contended(label, share, credited, float(sampled.group(1)), r.stderr)

        harness.for_each_interpreter(self, check, CONTENDED_INTERPRETERS)

    def test_top_snapshot_credits_a_runnable_thread_only_its_cpu_time(self):
        def check(label, python):
            with SharedCpu(python) as shared:
                time.sleep(0.3)
                r, share = shared.measure(["top", "-p", shared.target.pid, "-m", "cpu", "-r", "500", "--once",
                                           "--delay", "3"])
            self.assertEqual(r.rc, 0, r.stderr)
            elapsed = TOP_ELAPSED.search(r.stdout)
            self.assertIsNotNone(elapsed, r.stdout)
            # The outermost function's TotalTime holds every sample credited.
            totals = [float(m.group(4)) for m in map(TOP_ROW_TIMES.match, r.stdout.splitlines()) if m]
            self.assertTrue(totals, r.stdout)
            self.check_contended(label, share, max(totals), float(elapsed.group(1)), r.stdout)

        harness.for_each_interpreter(self, check, CONTENDED_INTERPRETERS)


if __name__ == "__main__":
    unittest.main()
