# `pyattach dump -p PID [--json]` against every interpreter: the stacks it prints
# must equal what the target's own sys._current_frames() saw (the READY truth).
import json
import re
import time
import unittest

import harness as h

FRAME_KEYS = ("function", "qualname", "file", "line", "first_line")
STATES = ("running", "idle")

HEADER_RE = re.compile(r"^Process (\d+): (.*?)\s+\(CPython (\d+\.\d+\.\d+)\)$")
THREAD_RE = re.compile(r'^Thread (\d+)(?: "(.*)")? \((running|idle)(, holds GIL)?\)$')
FRAME_RE = re.compile(r"^    (\S.*?) \((.+):(\d+)\)$")


def setUpModule():
    h.require_interpreters()
    h.pyattach_binary()


def expected_state(truth_thread):
    """(state, gil) the dump must show for a thread of the truth."""
    return ("running", True) if truth_thread["role"] == "busy" else ("idle", False)


class DumpTestCase(unittest.TestCase):
    maxDiff = None

    # ----- running and parsing ------------------------------------------------

    def dump_json(self, target, args=None):
        """Run `dump` with args (default: -p PID --json); the checked JSON document."""
        result = h.run_pyattach(["dump"] + (args or ["-p", target.pid, "--json"]))
        self.assert_success(result)
        try:
            doc = json.loads(result.stdout)
        except ValueError as e:
            self.fail("stdout of %s is not one JSON document (%s): %r" % (result.argv, e, result.stdout))
        self.check_schema(doc, target)
        return doc

    def dump_text(self, target):
        result = h.run_pyattach(["dump", "-p", target.pid])
        self.assert_success(result)
        return self.parse_text(result.stdout, target)

    def assert_success(self, result):
        self.assertEqual(result.rc, 0, "%s failed: stderr %r" % (result.argv, result.stderr))
        self.assertEqual(result.stderr, "", "%s wrote to stderr on success" % (result.argv,))

    def check_schema(self, doc, target):
        self.assertIsInstance(doc, dict)
        for key, kind in (("pid", int), ("command", str), ("version", str),
                          ("version_source", str), ("threads", list)):
            self.assertIn(key, doc)
            self.assertIs(type(doc[key]), kind, "type of %r" % key)
        self.assertEqual(doc["pid"], target.pid)
        self.assertEqual(doc["command"], h.command_line(target.pid))
        self.assertEqual(doc["version"], target.truth["version"])
        self.assertTrue(doc["version_source"].strip(), "version_source is empty")
        tids = []
        for thread in doc["threads"]:
            self.assertIs(type(thread.get("tid")), int, thread)
            self.assertTrue(thread["name"] is None or type(thread["name"]) is str, thread)
            self.assertIn(thread.get("state"), STATES, thread)
            self.assertIs(type(thread.get("gil")), bool, thread)
            self.assertIs(type(thread.get("incomplete")), bool, thread)
            self.assertIs(type(thread.get("frames")), list, thread)
            tids.append(thread["tid"])
            for frame in thread["frames"]:
                for key, kind in (("function", str), ("qualname", str), ("file", str),
                                  ("line", int), ("first_line", int)):
                    self.assertIs(type(frame.get(key)), kind, "%r in %r" % (key, frame))
                if version_tuple(doc["version"]) < (3, 11):
                    # No co_qualname before 3.11: qualname repeats the function name.
                    self.assertEqual(frame["qualname"], frame["function"], frame)
        self.assertEqual(len(tids), len(set(tids)), "duplicate tids: %r" % tids)
        self.assertLessEqual(sum(t["gil"] for t in doc["threads"]), 1, "several GIL holders")

    def parse_text(self, text, target):
        """The text form as {"header": (pid, command, version), "threads": [...]},
        each thread {"tid", "name", "state", "gil", "frames": [(qualname, file, line)]}.
        Every non-blank line must be a header, thread or frame line."""
        lines = text.splitlines()
        self.assertTrue(lines, "empty text dump")
        header = HEADER_RE.match(lines[0])
        self.assertIsNotNone(header, "bad header line %r" % lines[0])
        self.assertEqual(int(header.group(1)), target.pid)
        self.assertEqual(header.group(2), h.command_line(target.pid))
        self.assertEqual(header.group(3), target.truth["version"])
        threads = []
        for line in lines[1:]:
            if not line.strip():
                continue
            thread, frame = THREAD_RE.match(line), FRAME_RE.match(line)
            if thread:
                threads.append({"tid": int(thread.group(1)), "name": thread.group(2),
                                "state": thread.group(3), "gil": bool(thread.group(4)),
                                "frames": []})
            elif frame and threads:
                threads[-1]["frames"].append((frame.group(1), frame.group(2), int(frame.group(3))))
            else:
                self.fail("unexpected line in text dump: %r\n%s" % (line, text))
        return threads

    # ----- comparing with the truth ---------------------------------------------

    def check_json_threads(self, doc, truth):
        by_tid = dict((t["tid"], t) for t in doc["threads"])
        self.assertEqual(sorted(by_tid), sorted(t["tid"] for t in truth["threads"]),
                         "threads in the dump vs the target's threads")
        for want in truth["threads"]:
            got = by_tid[want["tid"]]
            state, gil = expected_state(want)
            with self.subTest(thread=want["name"]):
                # One comparison of everything, so a failure shows every wrong field.
                self.assertEqual(
                    {"name": got["name"], "state": got["state"], "gil": got["gil"],
                     "incomplete": got["incomplete"],
                     "frames": [dict((k, f[k]) for k in FRAME_KEYS) for f in got["frames"]]},
                    {"name": want["name"], "state": state, "gil": gil, "incomplete": False,
                     "frames": want["frames"]})

    def check_text_threads(self, threads, truth):
        by_tid = dict((t["tid"], t) for t in threads)
        self.assertEqual(len(by_tid), len(threads), "duplicate thread lines")
        self.assertEqual(sorted(by_tid), sorted(t["tid"] for t in truth["threads"]))
        for want in truth["threads"]:
            got = by_tid[want["tid"]]
            state, gil = expected_state(want)
            with self.subTest(thread=want["name"]):
                files = [f["file"] for f in want["frames"]]
                shown = [(qualname, widen_path(shown_file, files[i] if i < len(files) else ""), line)
                         for i, (qualname, shown_file, line) in enumerate(got["frames"])]
                self.assertEqual(
                    {"name": got["name"], "state": got["state"], "gil": got["gil"], "frames": shown},
                    {"name": want["name"], "state": state, "gil": gil,
                     "frames": [(f["qualname"], f["file"], f["line"]) for f in want["frames"]]})

    def assert_untouched(self, target, busy):
        """The target still runs, is not stopped and has no tracer left attached."""
        self.assertIsNone(target.proc.poll(), "target exited")
        self.assertEqual(h.tracer_pid(target.pid), 0, "a tracer is still attached")
        for task in target.truth["threads"]:
            with open("/proc/%d/task/%d/stat" % (target.pid, task["tid"]), "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0].decode()
            self.assertNotIn(state, "tTZX", "thread %r is in state %s" % (task["name"], state))
        if busy:
            before = h.proc_cpu_ticks(target.pid)
            time.sleep(0.5)
            self.assertGreater(h.proc_cpu_ticks(target.pid), before, "busy target stopped running")


def widen_path(shown, full):
    """The text form may shorten a path, but only to a suffix of it starting after a
    "/": such a suffix stands for the full path, anything else stays as shown."""
    return full if shown == full or full.endswith("/" + shown) else shown


def version_tuple(text):
    return tuple(int(part) for part in text.split("."))


class ChainTest(DumpTestCase):
    """One thread through module, method, nested function, lambda, generator,
    coroutine and non-ASCII functions (tests/targets/chain_target.py)."""

    def check_chain(self, python, busy):
        args = ["--busy"] if busy else []
        with h.start_target(python, "chain_target.py", *args) as target:
            truth = target.truth
            self.assertEqual(len(truth["threads"]), 1)
            self.assertEqual(truth["threads"][0]["tid"], target.pid)
            self.assertEqual(len(truth["threads"][0]["frames"]), 8, "target's own chain changed")
            with self.subTest(form="json"):
                self.check_json_threads(self.dump_json(target), truth)
            with self.subTest(form="text"):
                self.check_text_threads(self.dump_text(target), truth)
            self.assert_untouched(target, busy)

    def test_chain_blocked(self):
        h.for_each_interpreter(self, lambda label, python: self.check_chain(python, busy=False))

    def test_chain_busy(self):
        h.for_each_interpreter(self, lambda label, python: self.check_chain(python, busy=True))

    def test_option_spellings(self):
        """--pid and options in any order mean the same."""
        def check(label, python):
            with h.start_target(python, "chain_target.py") as target:
                for extra in (["--pid", target.pid, "--json"], ["--json", "-p", target.pid],
                              ["--json", "--pid=%d" % target.pid]):
                    with self.subTest(args=extra):
                        self.check_json_threads(self.dump_json(target, extra), target.truth)
        h.for_each_interpreter(self, check, h.INTERPRETERS[-2:])


class ThreadsTest(DumpTestCase):
    """Main thread plus seven named threads, one busy (tests/targets/threads_target.py)."""

    def test_threads(self):
        def check(label, python):
            with h.start_target(python, "threads_target.py") as target:
                truth = target.truth
                self.assertEqual(len(truth["threads"]), 8)
                self.assertEqual(sum(t["role"] == "busy" for t in truth["threads"]), 1)
                with self.subTest(form="json"):
                    doc = self.dump_json(target)
                    self.assertGreaterEqual(len(doc["threads"]), 5)
                    self.check_json_threads(doc, truth)
                with self.subTest(form="text"):
                    self.check_text_threads(self.dump_text(target), truth)
                self.assert_untouched(target, busy=True)
        h.for_each_interpreter(self, check)

    def test_repeated_dumps_agree(self):
        """Dumping the same quiet target three times gives the same stacks."""
        def check(label, python):
            with h.start_target(python, "threads_target.py") as target:
                for _ in range(3):
                    self.check_json_threads(self.dump_json(target), target.truth)
                self.assert_untouched(target, busy=True)
        h.for_each_interpreter(self, check, [h.INTERPRETERS[0], h.INTERPRETERS[-1]])


if __name__ == "__main__":
    unittest.main()
