# --native against every interpreter: a C extension built at test time with each
# interpreter's own headers (tests/native_ext) must show up as Python -> C -> Python,
# in order, with the right names, in `dump --native` and in a .prof loaded by pstats;
# sqlite3/hashlib time must land in their C libraries under the calling Python
# function; and a SIGKILLed pyattach must never leave the target stopped.
import json
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import harness as h

NATIVE_EXT = os.path.normpath(os.path.join(h.HERE, "..", "native_ext"))
sys.path.insert(0, NATIVE_EXT)
import build  # noqa: E402  (tests/native_ext/build.py)

NATIVE_TARGET = os.path.join(NATIVE_EXT, "native_target.py")
LIB_TARGET = os.path.join(NATIVE_EXT, "lib_target.py")

# Innermost first, from the hot C loop out to the module: (function, file) where file
# None stands for the extension's shared object.
EXPECTED = [("native_ext_hot_loop", None), ("native_ext_spin", None), ("level2", NATIVE_TARGET),
            ("native_ext_call_python", None), ("level1", NATIVE_TARGET), ("main", NATIVE_TARGET),
            ("<module>", NATIVE_TARGET)]


def setUpModule():
    h.require_interpreters()
    h.pyattach_binary()


class NativeTargetMixin(object):
    def build_ext(self, python):
        directory = tempfile.mkdtemp(prefix="pyattach-native-")
        self.addCleanup(subprocess.call, ["rm", "-rf", directory])
        return directory, os.path.basename(build.build(python, directory))

    def start(self, python, script, *args):
        target = h.Target([python, script] + list(args))
        target.__enter__()
        self.addCleanup(target.kill)
        time.sleep(0.3)  # READY is printed just before the last C call starts
        return target


class PythonCPythonTest(NativeTargetMixin, unittest.TestCase):
    maxDiff = None

    def expected(self, ext_name):
        return [(f, ext_name if file is None else file) for f, file in EXPECTED]

    def check_dump(self, label, python):
        directory, ext_name = self.build_ext(python)
        target = self.start(python, NATIVE_TARGET, directory)
        want = self.expected(ext_name)
        result = h.run_pyattach(["dump", "-p", target.pid, "--native", "--json"])
        self.assertEqual(result.rc, 0, result.stderr)
        doc = json.loads(result.stdout)
        thread = [t for t in doc["threads"] if t["tid"] == target.truth["tid"]][0]
        frames = [(f["function"], f["file"]) for f in thread["frames"]]
        names = [f for f, _ in frames]
        self.assertIn("native_ext_hot_loop", names, frames)
        at = names.index("native_ext_hot_loop")
        self.assertEqual(frames[at:at + len(want)], want, "merged stack of %s: %r" % (label, frames))
        for f in thread["frames"][:at]:  # only C frames (clock_gettime, vdso) inside the hot loop
            self.assertTrue(f["native"], thread["frames"])
        for f in thread["frames"][at + len(want):]:  # only C frames (libc start) outside <module>
            self.assertTrue(f["native"], thread["frames"])
            self.assertNotEqual(f["function"], "_PyEval_EvalFrameDefault")
        self.assertFalse(thread["incomplete"], thread)
        # The text form shows the same frames.
        text = h.run_pyattach(["dump", "-p", target.pid, "--native"])
        self.assertEqual(text.rc, 0, text.stderr)
        self.assertIn("    native_ext_hot_loop (%s:0)\n    native_ext_spin (%s:0)\n    level2 (%s:" %
                      (ext_name, ext_name, NATIVE_TARGET), text.stdout)

    def test_dump_every_interpreter(self):
        h.for_each_interpreter(self, self.check_dump)

    def check_pstats(self, label, python):
        directory, ext_name = self.build_ext(python)
        target = self.start(python, NATIVE_TARGET, directory)
        out = os.path.join(directory, "x.prof")
        result = h.run_pyattach(["-p", target.pid, "-d", "1.5", "--native", "-o", out])
        self.assertEqual(result.rc, 0, result.stderr)
        self.assertIn("--native stops each sampled thread briefly", result.stderr)
        stats = pstats.Stats(out).stats
        by_name = {}
        for key in stats:
            by_name.setdefault(key[2], []).append(key)
        keys = []
        for function, file in self.expected(ext_name):
            found = [k for k in by_name.get(function, []) if k[0] == file]
            self.assertEqual(len(found), 1, "%s: no single key for %s in %s: %r"
                             % (label, function, file, sorted(stats)))
            keys.append(found[0])
            if file == ext_name:
                self.assertEqual(found[0][1], 0, found[0])  # native: line 0, like cProfile's built-ins
        hot = stats[keys[0]]
        total = sum(s[2] for s in stats.values())
        self.assertGreater(hot[2], 0.5 * total, "%s: the hot C loop has %.3f of %.3f s tottime" %
                           (label, hot[2], total))
        for inner, outer in zip(keys, keys[1:]):
            self.assertIn(outer, stats[inner][4], "%s: %r not called by %r" % (label, inner, outer))

    def test_pstats_every_interpreter(self):
        h.for_each_interpreter(self, self.check_pstats)


class LibraryTest(NativeTargetMixin, unittest.TestCase):
    def check_libraries(self, label, python):
        target = self.start(python, LIB_TARGET)
        with tempfile.TemporaryDirectory() as directory:
            out = os.path.join(directory, "x.folded")
            result = h.run_pyattach(["-p", target.pid, "-d", "2", "--native", "-q", "-o", out])
            self.assertEqual(result.rc, 0, result.stderr)
            with open(out) as f:
                lines = [line.rsplit(" ", 1)[0].split(";") for line in f.read().splitlines()]
        for caller, library in (("sql_work", "libsqlite3"), ("hash_work", "libcrypto")):
            under = 0
            for frames in lines:
                at = [i for i, fr in enumerate(frames) if fr.startswith(caller + " (")]
                if not at:
                    continue
                below = frames[at[-1] + 1:]
                # Between the Python caller and the library: only C frames, no Python.
                lib = [i for i, fr in enumerate(below) if ("(%s" % library) in fr]
                if lib and all(":0)" in fr for fr in below[:lib[0]]):
                    under += 1
            self.assertGreater(under, 0, "%s: no stack with %s C functions under %s:\n%s" %
                               (label, library, caller, "\n".join(";".join(l) for l in lines[:20])))

    def test_sqlite_hashlib(self):
        h.for_each_interpreter(self, self.check_libraries,
                               [(l, p) for l, p in h.INTERPRETERS if l in ("debian-3.11", "3.12.1", "3.9.18")])


class NeverLeftStoppedTest(NativeTargetMixin, unittest.TestCase):
    def test_sigkill_during_native_run(self):
        python = h.interpreter_by_label("3.12.1")
        directory, _ = self.build_ext(python)
        target = self.start(python, NATIVE_TARGET, directory)
        for attempt in range(8):
            proc = subprocess.Popen([h.pyattach_binary(), "-p", str(target.pid), "-r", "2000", "--native", "-q",
                                     "-o", os.path.join(directory, "k.prof")],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.3 + 0.037 * attempt)  # land at different points of the sample loop
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            before = h.proc_cpu_ticks(target.pid)
            deadline = time.monotonic() + 0.5
            while time.monotonic() < deadline:
                self.assertNotIn(h.proc_state(target.pid), ("t", "T"), "attempt %d: target left stopped" % attempt)
                time.sleep(0.02)
            self.assertEqual(h.tracer_pid(target.pid), 0, "attempt %d: still traced" % attempt)
            self.assertGreater(h.proc_cpu_ticks(target.pid), before, "attempt %d: target made no progress" % attempt)
            self.assertIsNone(target.proc.poll())


if __name__ == "__main__":
    unittest.main()
