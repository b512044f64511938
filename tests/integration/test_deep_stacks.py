# Stacks deeper than the frame limit (issue 14, item 6): a recursion 5000 frames deep.
# With the default --max-depth the innermost frames are kept under a synthetic
# outermost <truncated> frame and counted as truncated, not failed; with --max-depth
# 6000 the whole stack is kept, rooted at <module>. Either way the summary's counts
# are what the profile holds.
import json
import os
import re
import shutil
import tempfile
import unittest

import harness as h

DEPTH = 5000          # deep_target.py's Python frames, <module> included
DEFAULT_LIMIT = 2048  # PY_DEFAULT_MAX_DEPTH
SUMMARY = re.compile(r"PID (\d+) \(CPython [^)]*\): (\d+) samples, (\d+) with Python frames, (\d+) idle, "
                     r"(\d+) failed(?:, \d+ truncated at --max-depth \d+)?, in [\d.]+ s( \(exited\))?$", re.M)
# The summary line's truncated count: (pid, truncated, samples, limit).
TRUNCATED = re.compile(r"PID (\d+) \(CPython [^)]*\): (\d+) samples, .*?, (\d+) truncated at --max-depth (\d+),")


def setUpModule():
    h.require_interpreters()
    h.pyattach_binary()


class DeepStacks(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pyattach-deep-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    # ----- helpers ------------------------------------------------------------

    def record(self, target, label, *extra):
        """Records 1 s into a .folded; (summary numbers, truncated line or None, stacks root first)."""
        out = os.path.join(self.dir, "%s%s.folded" % (label, "-".join(extra).replace("-", "_")))
        result = h.run_pyattach(["-p", target.pid, "-d", "1", "-r", "50", "-o", out] + list(extra))
        self.assertEqual(result.rc, 0, "%s: %s" % (result.argv, result.stderr))
        summary = SUMMARY.search(result.stderr)
        self.assertIsNotNone(summary, "no summary line in %r" % result.stderr)
        samples, with_frames, idle, failed = (int(summary.group(i)) for i in range(2, 6))
        self.assertEqual(samples, with_frames + idle + failed, result.stderr)
        stacks = []
        with open(out, encoding="utf-8") as f:
            for line in f.read().splitlines():
                frames, count = line.rsplit(" ", 1)
                stacks.append((frames.split(";"), int(count)))
        # Every figure of the summary is what the profile holds: one count per sample
        # with Python frames, none for failed or idle samples.
        self.assertEqual(sum(count for _, count in stacks), with_frames,
                         "the profile's samples differ from the summary's:\n%s" % result.stderr)
        self.assertGreater(with_frames, 10, result.stderr)
        self.assertEqual(failed, 0, result.stderr)
        truncated = TRUNCATED.search(result.stderr)
        return (samples, with_frames, idle, failed), truncated, stacks, result.stderr

    def dump_thread(self, target, *extra):
        result = h.run_pyattach(["dump", "-p", target.pid, "--json"] + list(extra))
        self.assertEqual(result.rc, 0, "%s: %s" % (result.argv, result.stderr))
        threads = json.loads(result.stdout)["threads"]
        self.assertEqual(len(threads), 1, result.stdout[:2000])
        return threads[0]

    # ----- the checks, on every interpreter -------------------------------------

    def check(self, label, python):
        with h.start_target(python, "deep_target.py", str(DEPTH)) as target:
            self.assertEqual(target.truth["depth"], DEPTH)

            # dump, default limit: the innermost frames, then how many more there are.
            thread = self.dump_thread(target)
            self.assertTrue(thread["truncated"] and thread["incomplete"], thread.get("truncated"))
            self.assertEqual(len(thread["frames"]), DEFAULT_LIMIT)
            self.assertEqual(thread["max_depth"], DEFAULT_LIMIT)
            self.assertEqual(thread["more_frames"], DEPTH - DEFAULT_LIMIT)
            self.assertTrue(all(f["function"] == "rec" for f in thread["frames"]))
            text = h.run_pyattach(["dump", "-p", target.pid])
            self.assertEqual(text.rc, 0, text.stderr)
            self.assertEqual(text.stdout.splitlines()[-1],
                             "    ... (%d more frames: truncated at --max-depth %d)"
                             % (DEPTH - DEFAULT_LIMIT, DEFAULT_LIMIT))

            # dump, --max-depth 6000: the whole stack, rooted at <module>.
            thread = self.dump_thread(target, "--max-depth", "6000")
            self.assertFalse(thread["truncated"] or thread["incomplete"])
            self.assertEqual(len(thread["frames"]), DEPTH)
            self.assertEqual(thread["frames"][-1]["function"], "<module>")

            # record, default limit, --threads: every sample truncated, none failed;
            # <thread> outermost, <truncated> just inside it, then DEFAULT_LIMIT frames.
            numbers, truncated, stacks, stderr = self.record(target, label, "--threads")
            samples, with_frames, idle, failed = numbers
            self.assertIsNotNone(truncated, "no truncated count in %r" % stderr)
            self.assertEqual(int(truncated.group(3)), with_frames, stderr)
            self.assertEqual(int(truncated.group(2)), samples, stderr)
            self.assertEqual(int(truncated.group(4)), DEFAULT_LIMIT, stderr)
            for frames, _ in stacks:
                self.assertTrue(frames[0].startswith("<thread %d" % target.pid), frames[:3])
                self.assertTrue(frames[1].startswith("<truncated>"), frames[:3])
                # plus a <wait ...> leaf when the thread was asleep at the sample (wall mode)
                frames = [f for f in frames if not f.startswith("<wait ")]
                self.assertEqual(len(frames), DEFAULT_LIMIT + 2)
                self.assertTrue(all(f.startswith("rec ") for f in frames[2:]), frames[2:4])

            # record, --max-depth 6000: whole stacks rooted at <module>, nothing truncated.
            numbers, truncated, stacks, stderr = self.record(target, label, "--max-depth", "6000")
            self.assertIsNone(truncated, stderr)
            for frames, _ in stacks:
                self.assertTrue(frames[0].startswith("<module> "), frames[:2])
                self.assertEqual(len([f for f in frames if not f.startswith("<wait ")]), DEPTH)

    def test_deep_stacks_every_interpreter(self):
        h.for_each_interpreter(self, self.check)


class MaxDepthOption(unittest.TestCase):
    """--max-depth outside 1..100000 is a usage error: exit 1, one line, nothing sampled."""

    def test_bad_values(self):
        for command in (["record", "-p", "1"], ["top", "-p", "1"], ["dump", "-p", "1"], ["-p", "1"]):
            for value in ("0", "-3", "100001", "abc", "", "12x"):
                with self.subTest(command=command[0], value=value):
                    result = h.run_pyattach(command + ["--max-depth", value])
                    self.assertEqual(result.rc, 1, result)
                    self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
                    self.assertIn("--max-depth", result.stderr)
                    self.assertEqual(result.stdout, "")


if __name__ == "__main__":
    unittest.main()
