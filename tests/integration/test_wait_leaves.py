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
#  - `top --once` shows the wait rows too;
#  - speedscope, the text table, pprof and the html page (one short recording of the
#    alternating target each): the waits of its sleeping and receiving phases are
#    innermost frames keyed as each format keys cProfile's built-ins, named after the
#    system calls strace sees the target block in.
import gzip
import os
import json
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import harness
from test_html_viewer import page_data
from test_pprof import _fields, decode_pprof, view_rows
from test_record import load_stats, read_totals

RATE = 97         # Hz: not a divisor of the target's 80 ms cycle, so samples do not phase-lock
TOLERANCE = 0.03  # shares, as the issue asks
GIL_TOLERANCE = 0.05
DURATION = 4
FORMAT_SECONDS = 2  # one recording per format
FORMAT_INTERPRETERS = ("3.6.15", "3.8.18", "debian-3.11", "debian-3.15")


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


def blocking_syscalls(pid, seconds=1.0):
    """The system calls the target blocks in, as strace names them: those of its calls
    that took a millisecond or more on average (wall clock, strace -c -w) while it ran
    `seconds`. An account of what the kernel says, independent of pyattach's table."""
    proc = subprocess.Popen(["strace", "-qq", "-c", "-w", "-p", str(pid)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(seconds)
    proc.send_signal(signal.SIGINT)  # strace detaches and prints its summary
    err = proc.communicate(timeout=30)[1].decode()
    names = set()
    for line in err.splitlines():
        fields = line.split()
        # % time, seconds, usecs/call, calls, [errors,] syscall
        if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total" and int(fields[2]) >= 1000:
            names.add(fields[-1])
    # strace ends by SIGINT itself once it has printed the summary (status -SIGINT)
    if proc.returncode not in (0, -signal.SIGINT) or not names:
        raise AssertionError("strace -c -w -p %d (rc %d) saw no blocking call:\n%s" % (pid, proc.returncode, err))
    return names


# ---------------------------------------------------------------- stacks of each format
# Each reader gives [(frames, weight)], frames outermost first as (name, keyed_as_builtin),
# keyed_as_builtin: the frame has the key cProfile gives its built-ins, as the format
# writes it.

def speedscope_stacks(path):
    """No file and no line: how the speedscope writer keys file ~, line 0."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    frames = [(fr["name"], "file" not in fr and "line" not in fr) for fr in doc["shared"]["frames"]]
    stacks = []
    for profile in doc["profiles"]:
        for sample, weight in zip(profile["samples"], profile["weights"]):
            stacks.append(([frames[i] for i in sample], weight))
    return stacks


def pprof_stacks(path):
    """pprof's locations are leaf first; a built-in has an empty file name, start line
    0 and a location line 0. decode_pprof (test_pprof) leaves the locations out: they
    are read here with the same field reader."""
    decoded = decode_pprof(path)
    strings, functions = decoded["strings"], decoded["functions"]
    with open(path, "rb") as f:
        data = gzip.decompress(f.read())
    locations = {}
    for number, _, value in _fields(data):
        if number == 4:  # Location: id 1, line 4 (function_id 1, line 2)
            fields = list(_fields(value))
            loc_id = [v for n, _, v in fields if n == 1][0]
            lines = [dict((k, x) for k, _, x in _fields(v)) for n, _, v in fields if n == 4]
            if len(lines) != 1:
                raise AssertionError("location %d has %d lines" % (loc_id, len(lines)))
            fn = functions[lines[0][1]]
            keyed = strings[fn.get(4, 0)] == "" and fn.get(5, 0) == 0 and lines[0].get(2, 0) == 0
            locations[loc_id] = (strings[fn[2]], keyed)
    return [([locations[i] for i in reversed(sample["locations"])], sample["values"][0])
            for sample in decoded["samples"]]


def html_stacks(path):
    """The page's call tree: nodes (func, parent, self, total, calls) and funcs (file,
    line, name, ...); file "~" and line 0 as in pstats. A node's own time is a stack."""
    data = page_data(path)
    strings, funcs, nodes = data["strings"], data["funcs"], data["nodes"]

    def frame(f):
        return strings[funcs[8 * f + 2]], strings[funcs[8 * f]] == "~" and funcs[8 * f + 1] == 0

    stacks = []
    for i in range(1, len(nodes) // 5):
        if nodes[5 * i + 2] == 0:
            continue
        frames, n = [], i
        while n > 0:
            frames.append(frame(nodes[5 * n]))
            n = nodes[5 * n + 1]
        stacks.append((frames[::-1], nodes[5 * i + 2]))
    # a node below a wait is no stack of its own if it took no time: name it anyway
    for i in range(1, len(nodes) // 5):
        parent = nodes[5 * i + 1]
        if parent > 0 and frame(nodes[5 * parent])[0].startswith("<wait"):
            raise AssertionError("%s: %s is called from %s" % (path, frame(nodes[5 * i])[0],
                                                               frame(nodes[5 * parent])[0]))
    return stacks


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

    def check_stacks(self, label, fmt, stacks, blocking):
        """Waits are innermost, keyed as built-ins, named after a blocking system call,
        and hold most of the sleeping and receiving phases (each is 20 ms in the kernel
        against microseconds of its own Python)."""
        detail = "%s, %s (strace: %s)" % (label, fmt, sorted(blocking))
        phases = {"sleeping": [0, {}], "receiving": [0, {}]}
        for frames, weight in stacks:
            names = [name for name, _ in frames]
            for depth, (name, keyed) in enumerate(frames):
                if not name.startswith("<wait"):
                    continue
                self.assertEqual(depth, len(frames) - 1, "%s: a wait that is not innermost: %s" % (detail, names))
                self.assertTrue(keyed, "%s: %s is not keyed as a built-in" % (detail, name))
            for phase, (total, waits) in phases.items():
                if phase not in names:
                    continue
                phases[phase][0] += weight
                if names[-1].startswith("<wait") and names[-2] == phase:
                    waits[names[-1]] = waits.get(names[-1], 0) + weight
        shown = {phase: (total, sorted(waits.items())) for phase, (total, waits) in phases.items()}
        for phase, (total, waits) in phases.items():
            self.assertGreater(total, 0, "%s: no %s: %s" % (detail, phase, shown))
            self.assertGreaterEqual(sum(waits.values()), 0.8 * total, "%s: %s" % (detail, shown))
            self.assertLessEqual(set(name[len("<wait "):-1] for name in waits), blocking, "%s: %s" % (detail, shown))

    def test_every_format_has_the_wait_leaves(self):
        def check(label, python):
            paths = dict((ext, os.path.join(self.tmp, "%s.%s" % (label, ext)))
                         for ext in ("speedscope.json", "txt", "pb.gz", "html"))
            with harness.start_target(python, "alternating_target.py") as target:
                blocking = blocking_syscalls(target.pid)
                for path in paths.values():
                    r = harness.run_pyattach(["-p", target.pid, "-d", FORMAT_SECONDS, "-r", RATE, "-q", "-o", path])
                    self.assertEqual(r.rc, 0, "%s: %s" % (path, r.stderr))
            self.check_stacks(label, "speedscope", speedscope_stacks(paths["speedscope.json"]), blocking)
            self.check_stacks(label, "pprof", pprof_stacks(paths["pb.gz"]), blocking)
            self.check_stacks(label, "html", html_stacks(paths["html"]), blocking)
            # The table has no stacks: a wait is a row of its own as cProfile prints a
            # built-in ({wait poll} for ~:0(<wait poll>)), a leaf (its cumtime is its
            # tottime), and the phases keep only their own time.
            with open(paths["txt"], encoding="utf-8") as f:
                rows, total = view_rows(f.read())
            waits = dict((name, row) for name, row in rows.items() if name.startswith("{wait "))
            detail = "%s, txt (strace: %s): %s" % (label, sorted(blocking), sorted(rows.items()))
            self.assertTrue(waits, detail)
            for name, (tottime, cumtime) in waits.items():
                self.assertIn(name[len("{wait "):-1], blocking, detail)
                self.assertEqual(tottime, cumtime, detail)
            self.assertGreaterEqual(sum(tt for tt, _ in waits.values()), 0.3 * total, detail)
            for phase in ("sleeping", "receiving"):
                tottime, cumtime = rows[phase]
                self.assertGreater(cumtime, 0.1 * total, detail)
                self.assertLessEqual(tottime, 0.2 * cumtime, detail)

        # The leaf is the sampler's, the same frame for every writer, and
        # test_waits_are_leaves_of_their_own checks it on every interpreter; here the
        # formats are checked on the oldest, a pselect6 one (3.8), the static stripped
        # 3.11 and the newest, to keep the suite's time (9 s each) in bounds.
        harness.for_each_interpreter(self, check, [i for i in harness.INTERPRETERS if i[0] in FORMAT_INTERPRETERS])


if __name__ == "__main__":
    unittest.main()
