# Sampling modes and process trees on every interpreter: -m gil samples only the GIL
# holder, -m wall every thread; --threads gives <thread> roots; -s follows a
# multiprocessing.Pool's workers and a chain of short-lived subprocess children.
#
# Targets run in a session of their own: stopping one kills its process group, which
# holds exactly the processes it started (pool workers, children).
import collections
import json
import os
import subprocess
import tempfile
import time
import unittest

from harness import INTERPRETERS, Target, for_each_interpreter, require_interpreters, run_pyattach, \
    script_path
from test_servers import PROCESS_ROOT, THREAD_ROOT, folded_function, read_folded, summary_lines

SECONDS = 2

# Three threads: one computing in Python (holds the GIL nearly always), one asleep,
# one in SQLite's C code with the GIL released. Python 3.6 syntax.
GIL_TARGET = r'''
import sqlite3, sys, threading, time
def python_burner():
    while True:
        total = 0
        for i in range(100000):
            total += i * i % 7
def sleeper():
    while True:
        time.sleep(0.5)
def sqlite_cruncher():
    db = sqlite3.connect(":memory:")
    while True:
        db.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) "
                   "SELECT sum(x) FROM c").fetchone()
for f in (python_burner, sleeper, sqlite_cruncher):
    threading.Thread(target=f, name=f.__name__, daemon=True).start()
sys.stdout.write("READY {}\n")
sys.stdout.flush()
while True:
    time.sleep(1)
'''


# Three threads parked in one call each, the main thread asleep: with --threads,
# each thread's root and every frame below it is one call for the whole recording.
PARKED_TARGET = r'''
import sys, threading, time
def parked():
    while True:
        time.sleep(1)
for i in range(3):
    threading.Thread(target=parked, name="parked-%d" % i, daemon=True).start()
sys.stdout.write("READY {}\n")
sys.stdout.flush()
while True:
    time.sleep(1)
'''

# ncalls of every function in a pstats file, keyed by function name.
NCALLS_BY_NAME = r'''
import collections, json, pstats, sys
calls = collections.Counter()
for (_, _, name), (cc, nc, tt, ct, callers) in pstats.Stats(sys.argv[1]).stats.items():
    calls[name] += nc
print(json.dumps(calls))
'''


def Group(argv):
    """A target in a session of its own; everything in its process group is killed."""
    return Target(argv, own_session=True)


def record(args):
    r = run_pyattach(args)
    if r.rc != 0:
        raise AssertionError("%s exited %d:\n%s" % (r.argv, r.rc, r.stderr))
    return r


def thread_counts(stacks):
    """{thread function: samples} by the outermost function of each thread."""
    counts = collections.Counter()
    for frames, count in stacks:
        names = [folded_function(f) for f in frames]
        for name in ("python_burner", "sleeper", "sqlite_cruncher"):
            if name in names:
                counts[name] += count
    return counts


def per_pid_cmdline(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return f.read().replace(b"\0", b" ").decode("utf-8", "replace")


class TestModes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_interpreters()

    def test_gil_mode_samples_only_the_holder(self):
        def check(label, python):
            with tempfile.TemporaryDirectory() as tmp, Group([python, "-c", GIL_TARGET]) as target:
                time.sleep(0.3)
                gil = os.path.join(tmp, "gil.folded")
                wall = os.path.join(tmp, "wall.folded")
                r = record(["-p", target.pid, "-d", SECONDS, "-m", "gil", "--threads", "-o", gil])
                record(["-p", target.pid, "-d", SECONDS, "--threads", "-o", wall])
                samples = summary_lines(r.stderr)[target.pid][0]
                gil_stacks, wall_stacks = read_folded(gil), read_folded(wall)
                g, w = thread_counts(gil_stacks), thread_counts(wall_stacks)
                # Wall: every thread at every sample, the sleeper included.
                for name in ("python_burner", "sleeper", "sqlite_cruncher"):
                    self.assertGreater(w[name], SECONDS * 100 * 0.5, "%s: wall mode %r" % (name, dict(w)))
                # GIL: at most one thread per sample, and it is the one computing in Python.
                self.assertLessEqual(samples, SECONDS * 100 * 1.1, "more than one GIL holder per sample")
                # The sleeper takes the GIL for a moment each time it wakes: a sample may
                # catch it there, but only rarely.
                self.assertLessEqual(g["sleeper"], max(2, 0.02 * samples),
                                     "the sleeping thread sampled in gil mode: %r" % dict(g))
                self.assertGreater(g["python_burner"], 0.6 * sum(g.values()), "gil mode: %r" % dict(g))
                self.assertLess(g["sqlite_cruncher"], 0.2 * sum(g.values()), "gil mode: %r" % dict(g))
                # --threads: every collapsed line starts with the thread's root.
                for frames, _ in gil_stacks + wall_stacks:
                    self.assertTrue(THREAD_ROOT.match(frames[0]), frames[:2])

        for_each_interpreter(self, check)

    def test_roots_are_one_call_each_at_any_rate(self):
        """The synthetic roots are one everlasting call: a root seen anew in every
        sample would make every frame below it a new call too. Above 2 kHz stacks are
        held for the liveness check (sampler/pending_stacks.h) and the root labels are
        copies, so this runs at 100 Hz and 5 kHz, two targets (process roots) and
        --threads."""
        python = dict(INTERPRETERS)["3.12.1"]
        with tempfile.TemporaryDirectory() as tmp, Group([python, "-c", PARKED_TARGET]) as a, \
                Group([python, "-c", PARKED_TARGET]) as b:
            for rate in (100, 5000):
                out = os.path.join(tmp, "roots%d.prof" % rate)
                record(["-p", a.pid, "-p", b.pid, "--threads", "-r", rate, "-d", 1, "-o", out])
                calls = json.loads(subprocess.run(["/usr/bin/python3", "-c", NCALLS_BY_NAME, out], check=True,
                                                  stdout=subprocess.PIPE).stdout.decode())
                roots = {name: n for name, n in calls.items() if name.startswith("<")}
                # Calls are told apart per thread: a process root counts once for each
                # of its four threads, a thread root once.
                processes = [n for name, n in roots.items() if name.startswith("<process")]
                threads = [n for name, n in roots.items() if name.startswith("<thread")]
                self.assertEqual(processes, [4, 4], "rate %d: %r" % (rate, roots))
                self.assertEqual(threads, [1] * 8, "rate %d: %r" % (rate, roots))
                self.assertEqual(calls["parked"], 6, "rate %d: %r" % (rate, calls))
                self.assertEqual(calls["<module>"], 2, "rate %d: %r" % (rate, calls))

    def test_multiprocessing_pool(self):
        def check(label, python):
            with tempfile.TemporaryDirectory() as tmp, Group([python, script_path("mp_target.py")]) as target:
                out = os.path.join(tmp, "pool.folded")
                r = record(["-p", target.pid, "-s", "-d", SECONDS, "-o", out])
                per_pid = collections.defaultdict(collections.Counter)
                for frames, count in read_folded(out):
                    pid = int(PROCESS_ROOT.match(frames[0]).group(1))
                    for name in set(folded_function(f) for f in frames):
                        per_pid[pid][name] += count
                workers = target.truth["workers"]
                for pid in workers:
                    self.assertGreater(per_pid[pid]["mp_work"], 0, "pool worker %d: %r" % (pid, dict(per_pid)))
                self.assertEqual(per_pid[target.pid]["mp_work"], 0)
                self.assertGreater(per_pid[target.pid]["wait_for_results"], SECONDS * 100 * 0.5)
                summary = summary_lines(r.stderr)
                # 3.14+ starts pool workers from a forkserver by default: it and the
                # resource tracker are Python descendants too, and are followed.
                helpers = sorted(set(summary) - set([target.pid] + workers))
                for pid in helpers:
                    self.assertRegex(per_pid_cmdline(pid), r"forkserver|resource_tracker", r.stderr)
                self.assertEqual(sorted(set(summary) - set(helpers)), sorted([target.pid] + workers), r.stderr)

        for_each_interpreter(self, check)

    def test_subprocess_children_come_and_go(self):
        def check(label, python):
            with tempfile.TemporaryDirectory() as tmp, Group([python, script_path("subprocess_target.py")]) as target:
                out = os.path.join(tmp, "children.folded")
                r = record(["-p", target.pid, "-s", "-d", 3, "-o", out])
                per_pid = collections.defaultdict(collections.Counter)
                for frames, count in read_folded(out):
                    pid = int(PROCESS_ROOT.match(frames[0]).group(1))
                    for name in set(folded_function(f) for f in frames):
                        per_pid[pid][name] += count
                children = [pid for pid in per_pid if pid != target.pid]
                # Children live 0.8 s each (plus their start): at least two in 3 s seen
                # in child_work (the last one may still be starting when the recording
                # ends), every one under its own root, gone without an error.
                working = [pid for pid in children if per_pid[pid]["child_work"] > 0]
                self.assertGreaterEqual(len(working), 2, "children followed: %r\n%s" % (dict(per_pid), r.stderr))
                for pid in children:
                    self.assertEqual(per_pid[pid]["run_children"], 0, "child %d holds the parent's stacks" % pid)
                self.assertEqual(per_pid[target.pid]["child_work"], 0)
                self.assertGreater(per_pid[target.pid]["run_children"], 3 * 100 * 0.5)
                summary = summary_lines(r.stderr)
                self.assertTrue(any(summary[pid][4] for pid in children), "no child reported as exited")

        for_each_interpreter(self, check)


if __name__ == "__main__":
    unittest.main()
