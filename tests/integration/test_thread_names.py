# Thread names in `pyattach dump -p PID --json` against every interpreter: each
# thread must carry exactly the name the target's threading module gives it (read
# from the target's memory: sys.modules -> threading._active -> Thread._name), and
# threads threading does not know their kernel name.
import json
import unittest

import harness as h


def setUpModule():
    h.require_interpreters()
    h.pyattach_binary()


class ThreadNamesTestCase(unittest.TestCase):
    maxDiff = None

    def dump_names(self, target):
        """tid -> name as `dump --json` reports it."""
        result = h.run_pyattach(["dump", "-p", target.pid, "--json"])
        self.assertEqual(result.rc, 0, "%s failed: stderr %r" % (result.argv, result.stderr))
        doc = json.loads(result.stdout)
        return dict((t["tid"], t["name"]) for t in doc["threads"])

    def expected_names(self, target):
        """tid -> the Python name from the truth, or the kernel name the target
        recorded for threads the threading module has no entry for."""
        comm = target.truth.get("comm", {})
        names = {}
        for t in target.truth["threads"]:
            if t["name"] is not None:
                names[t["tid"]] = t["name"]
            else:
                self.assertIn(str(t["tid"]), comm, "truth has neither a name nor a comm for %r" % t)
                names[t["tid"]] = comm[str(t["tid"])]
        return names

    def check_target(self, python, script):
        with h.start_target(python, script) as target:
            want = self.expected_names(target)
            got = self.dump_names(target)
        self.assertEqual(got, want)
        return want

    def test_threads_target(self):
        """The shared threads target: main thread "MainThread", seven named workers
        (ASCII, Latin-1, CJK, non-BMP)."""
        def check(label, python):
            want = self.check_target(python, "threads_target.py")
            self.assertIn("MainThread", want.values())
            self.assertIn("\U0001F9F5-7", want.values())
        h.for_each_interpreter(self, check)

    def test_names_target(self):
        """Names stored every way: renamed main thread, default Thread-N, pool
        workers, renamed after start (kernel comm differs), a materialised
        __dict__, 50 extra attributes, non-ASCII, a _DummyThread, and a raw
        _thread thread that only has a kernel name."""
        def check(label, python):
            want = self.check_target(python, "names_target.py")
            names = set(want.values())
            for name in ("Hauptfaden-\u00df", "after-rename-\u00e9", "with-dict", "many-attrs",
                         "raw-comm", "\U0001F9F5\U0001F9F6-nonbmp"):
                self.assertIn(name, names)
            self.assertEqual(len([n for n in names if n.startswith("ThreadPoolExecutor-")]), 2, names)
            self.assertEqual(len([n for n in names if n.startswith("Dummy-")]), 1, names)
            self.assertEqual(len([n for n in names if n.startswith("Thread-")]), 1, names)
        h.for_each_interpreter(self, check)


if __name__ == "__main__":
    unittest.main()
