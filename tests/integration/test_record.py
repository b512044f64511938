# `pyattach -p PID -d SEC -o FILE` and `pyattach record -- COMMAND`: the numbers in
# the profile against what the workload measured itself, on every interpreter.
import json
import marshal
import os
import select
import shutil
import signal
import tempfile
import time
import unittest

import harness

DURATION = 8.0  # 40 calls of each function: 5 % is 2 calls


def read_totals(target):
    """Ask the shares target for its own measurements (SIGUSR1 -> one TOTALS line)."""
    os.kill(target.pid, signal.SIGUSR1)
    fd = target.proc.stdout.fileno()
    data = b""
    deadline = time.monotonic() + 10
    while b"\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise AssertionError("no TOTALS line from the target")
        data += os.read(fd, 65536)
    line = data.split(b"\n", 1)[0].decode()
    assert line.startswith("TOTALS "), line
    return json.loads(line[len("TOTALS "):])


def load_stats(path):
    with open(path, "rb") as f:
        return marshal.load(f)


def by_name(stats, name):
    found = [(key, value) for key, value in stats.items() if key[2] == name]
    if len(found) != 1:
        raise AssertionError("expected one entry named %r, found %r" % (name, [k for k, _ in found]))
    return found[0]


class RecordAccuracy(unittest.TestCase):
    def setUp(self):
        harness.require_interpreters()
        self.tmp = tempfile.mkdtemp(prefix="pyattach-record-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def record_shares(self, python):
        out = os.path.join(self.tmp, "shares-%d.prof" % time.monotonic_ns())
        with harness.start_target(python, "shares_target.py") as target:
            time.sleep(0.3)  # past the first iteration
            before = read_totals(target)
            result = harness.run_pyattach(["-p", target.pid, "-d", DURATION, "-o", out])
            after = read_totals(target)
            self.assertEqual(harness.proc_state(target.pid) in "tT", False)
        self.assertEqual(result.rc, 0, result.stderr)
        return load_stats(out), before, after, result

    def test_shares_calls_and_duration(self):
        def check(label, python):
            stats, before, after, result = self.record_shares(python)
            names = ("share_20", "share_30", "share_50")
            spent = {n: after["spent"][n] - before["spent"][n] for n in names}
            calls = {n: after["calls"][n] - before["calls"][n] for n in names}
            cum = {n: by_name(stats, n)[1][3] for n in names}
            total_spent, total_cum = sum(spent.values()), sum(cum.values())
            for n in names:
                measured, profiled = spent[n] / total_spent, cum[n] / total_cum
                self.assertAlmostEqual(profiled, measured, delta=0.03,
                                       msg="%s: %s share %.3f, measured %.3f" % (label, n, profiled, measured))
                ncalls = by_name(stats, n)[1][1]
                self.assertLessEqual(abs(ncalls - calls[n]), max(1.0, 0.05 * calls[n]),
                                     msg="%s: %s ncalls %d, the workload made %d calls" % (label, n, ncalls, calls[n]))
            root_key, root = by_name(stats, "<module>")
            self.assertAlmostEqual(root[3], DURATION, delta=0.05 * DURATION,
                                   msg="%s: root cumtime %.3f for %.1f s" % (label, root[3], DURATION))
            self.assertRegex(result.stderr, r"pyattach: PID \d+ \(CPython 3\.\d+(\.\d+)?\): \d+ samples")
        harness.for_each_interpreter(self, check)

    def test_pstats_shape(self):
        stats, _, _, _ = self.record_shares(harness.interpreter_by_label("3.12.1"))
        for key, value in stats.items():
            self.assertIsInstance(key, tuple)
            self.assertEqual(len(key), 3)
            cc, nc, tt, ct, callers = value
            self.assertLessEqual(tt, ct + 1e-9)
            for caller, edge in callers.items():
                self.assertIn(caller, stats, "every caller is a key of its own")
                self.assertIsInstance(edge, tuple)
                self.assertEqual(len(edge), 4)
        roots = [k for k, v in stats.items() if not v[4]]
        self.assertEqual(len(roots), 1, "a single root: %r" % roots)


class RecordCommand(unittest.TestCase):
    def setUp(self):
        harness.require_interpreters()
        self.tmp = tempfile.mkdtemp(prefix="pyattach-spawn-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_spawn_and_profile_until_exit(self):
        def check(label, python):
            out = os.path.join(self.tmp, "spawn-%s.prof" % label)
            result = harness.run_pyattach(["record", "-o", out, "--", python,
                                           harness.script_path("short_script.py")])
            self.assertEqual(result.rc, 0, result.stderr)
            stats = load_stats(out)
            key, value = by_name(stats, "spawned_work")
            self.assertGreater(value[3], 0.5, "%s: spawned_work cumtime %.3f" % (label, value[3]))
        harness.for_each_interpreter(self, check)

    def test_every_format_from_the_extension(self):
        python = harness.interpreter_by_label("3.11.7")
        with harness.start_target(python, "shares_target.py") as target:
            outputs = {}
            for ext in ("prof", "txt", "folded", "json"):
                path = os.path.join(self.tmp, "out.%s" % ext)
                result = harness.run_pyattach(["-p", target.pid, "-d", 1, "-o", path, "-q"])
                self.assertEqual(result.rc, 0, result.stderr)
                self.assertEqual(result.stderr, "", "-q prints nothing")
                with open(path, "rb") as f:
                    outputs[ext] = f.read()
        self.assertIn(b"function calls", outputs["txt"])
        self.assertIn(b"share_50", outputs["txt"])
        folded = outputs["folded"].decode().splitlines()
        self.assertTrue(folded and all(line.rsplit(" ", 1)[1].isdigit() for line in folded))
        stacks = [line.rsplit(" ", 1)[0].split(";") for line in folded]
        self.assertTrue(any("share_50" in s[-2] and "burn" in s[-1] for s in stacks if len(s) > 1),
                        "innermost last: burn called by share_50")
        self.assertTrue(all("<module>" in s[0] for s in stacks), "the root first")
        doc = json.loads(outputs["json"].decode())
        self.assertEqual(doc["$schema"], "https://www.speedscope.app/file-format-schema.json")

    def test_no_output_prints_the_table(self):
        python = harness.interpreter_by_label("3.11.7")
        with harness.start_target(python, "shares_target.py") as target:
            result = harness.run_pyattach(["-p", target.pid, "-d", 1])
        self.assertEqual(result.rc, 0, result.stderr)
        self.assertRegex(result.stdout, r"\d+ function calls .*in [\d.]+ seconds")
        self.assertIn("Ordered by:", result.stdout)

    def test_output_template(self):
        python = harness.interpreter_by_label("3.11.7")
        with harness.start_target(python, "shares_target.py") as target:
            template = os.path.join(self.tmp, "snap-%p-%t-%%.prof")
            result = harness.run_pyattach(["-p", target.pid, "-d", 0.5, "-o", template, "-q"])
            self.assertEqual(result.rc, 0, result.stderr)
            names = [n for n in os.listdir(self.tmp) if n.startswith("snap-%d-" % target.pid)]
        self.assertEqual(len(names), 1, names)
        self.assertRegex(names[0], r"^snap-\d+-\d{8}T\d{6}Z-%\.prof$")


if __name__ == "__main__":
    unittest.main()
