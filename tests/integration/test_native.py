# --native against every interpreter: a C extension built at test time with each
# interpreter's own headers (tests/native_ext) must show up as Python -> C -> Python,
# in order, with the right names, in `dump --native` and in a .prof loaded by pstats;
# sqlite3/hashlib time must land in their C libraries under the calling Python
# function; and a SIGKILLed pyattach must never leave the target stopped. On every
# interpreter, with --native and with --native --blocking: fewer than 2 % failed
# samples on a loop that lives in clock_gettime (the vDSO) and on the C extension,
# one root per process in the .prof, native frames with ncalls > 0, and vDSO frames
# named "[vdso]" (__vdso_clock_gettime, called by libc's clock_gettime).
# Native frames' source lines (the extension is built with -g): in collapsed, speedscope,
# the html page and dump (text and --json), each a line addr2line gives for some
# address of the function; the .prof keeps its (module, 0, symbol) keys. A target that
# dlcloses a library and loads another at the same address is named right before and
# after the switch.
import collections
import json
import os
import pstats
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import browser
import harness as h

NATIVE_EXT = os.path.normpath(os.path.join(h.HERE, "..", "native_ext"))
sys.path.insert(0, NATIVE_EXT)
import build  # noqa: E402  (tests/native_ext/build.py)

NATIVE_TARGET = os.path.join(NATIVE_EXT, "native_target.py")
LIB_TARGET = os.path.join(NATIVE_EXT, "lib_target.py")
CLOCK_TARGET = os.path.join(NATIVE_EXT, "clock_target.py")
MAX_FAILED_SHARE = 0.02
SWAP_TARGET = os.path.join(NATIVE_EXT, "swap_target.py")
SUMMARY = re.compile(r"(\d+) samples, (\d+) with Python frames, (\d+) idle, (\d+) failed")


def failed_share(testcase, label, stderr):
    """failed / samples from pyattach's summary line, which must be there."""
    m = SUMMARY.search(stderr)
    testcase.assertIsNotNone(m, "%s: no summary line in %r" % (label, stderr))
    samples, failed = int(m.group(1)), int(m.group(4))
    testcase.assertGreaterEqual(samples, 10, "%s: too few samples to judge: %r" % (label, stderr))
    return failed / float(samples)


def check_profile_shape(testcase, label, stats, root_name):
    """One root (the <module> of the target); every native frame called at least once."""
    roots = [k for k, v in stats.items() if not v[4]]
    testcase.assertEqual([k[2] for k in roots], [root_name],
                         "%s: roots %r (want one, %s)" % (label, roots, root_name))
    native = [k for k in stats if k[1] == 0 and k[0] != "~"]
    testcase.assertTrue(native, "%s: no native frames in %r" % (label, sorted(stats)))
    for k in native:
        testcase.assertGreater(stats[k][1], 0, "%s: ncalls of native %r is %r" % (label, k, stats[k][:2]))

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
        return directory, os.path.basename(build.build(python, directory, h.distro_root(python)))

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
        source = os.path.join(NATIVE_EXT, "native_ext.c")
        self.assertRegex(text.stdout, r"    native_ext_hot_loop \(%s:\d+\)\n    native_ext_spin \(%s:\d+\)\n    level2 \(%s:"
                         % (re.escape(source), re.escape(source), re.escape(NATIVE_TARGET)))

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
        self.assertLess(failed_share(self, label, result.stderr), MAX_FAILED_SHARE, result.stderr)
        check_profile_shape(self, label, stats, "<module>")
        hot = stats[keys[0]]
        total = sum(s[2] for s in stats.values())
        self.assertGreater(hot[2], 0.5 * total, "%s: the hot C loop has %.3f of %.3f s tottime" %
                           (label, hot[2], total))
        for inner, outer in zip(keys, keys[1:]):
            self.assertIn(outer, stats[inner][4], "%s: %r not called by %r" % (label, inner, outer))

    def test_pstats_every_interpreter(self):
        h.for_each_interpreter(self, self.check_pstats)


class VdsoTest(NativeTargetMixin, unittest.TestCase):
    """A thread stopped inside clock_gettime is unwound through the vDSO into the eval loop."""

    def check_vdso_frames(self, label, keys):
        vdso = [k for k in keys if k[0].startswith("[vdso")]
        self.assertTrue(vdso, "%s: no vDSO frame in %r" % (label, sorted(keys)))
        for k in vdso:
            self.assertEqual(k[0], "[vdso]", "%s: %r" % (label, k))
            # Named by symbol, or by a function start inside the vDSO's few pages.
            self.assertTrue(k[2].startswith("__vdso_") or int(k[2], 16) < 0x10000, "%s: %r" % (label, k))
        self.assertIn(("[vdso]", 0, "__vdso_clock_gettime"), vdso, label)

    def check_clock_loop(self, label, python):
        target = self.start(python, CLOCK_TARGET)
        with tempfile.TemporaryDirectory() as directory:
            out = os.path.join(directory, "x.prof")
            result = h.run_pyattach(["-p", target.pid, "-d", "2", "--native", "-o", out])
            self.assertEqual(result.rc, 0, result.stderr)
            self.assertLess(failed_share(self, label, result.stderr), MAX_FAILED_SHARE, result.stderr)
            stats = pstats.Stats(out).stats
        check_profile_shape(self, label, stats, "<module>")
        self.check_vdso_frames(label, stats)
        gettime = [k for k in stats if k[2] == "__vdso_clock_gettime"][0]
        callers = stats[gettime][4]
        self.assertIn(("libc.so.6", 0, "clock_gettime"), callers, "%s: %r" % (label, callers))
        # Nothing but real frames: no address-named frame outside the vDSO (garbage
        # from a failed unwind looked like ld-linux-x86-64.so.2:0(0xf259688207)).
        for k in stats:
            if k[1] == 0 and k[0] != "[vdso]":
                self.assertFalse(k[2].startswith("0x"), "%s: %r" % (label, k))
        # clock_gettime is called from poll() (C functions of the interpreter between
        # them are plumbing), and poll() from a, b and c.
        poll = [k for k in stats if k[2] == "poll" and k[0] == CLOCK_TARGET]
        self.assertEqual(len(poll), 1, sorted(stats))
        self.assertIn(poll[0], stats[("libc.so.6", 0, "clock_gettime")][4], label)
        self.assertEqual(sorted(k[2] for k in stats[poll[0]][4]), ["a", "b", "c"], label)

    def test_clock_loop_every_interpreter(self):
        h.for_each_interpreter(self, self.check_clock_loop)

    def check_blocking(self, label, python):
        target = self.start(python, CLOCK_TARGET)
        with tempfile.TemporaryDirectory() as directory:
            out = os.path.join(directory, "x.folded")
            result = h.run_pyattach(["-p", target.pid, "-d", "1.5", "--native", "--blocking", "-o", out])
            self.assertEqual(result.rc, 0, result.stderr)
            self.assertLess(failed_share(self, label, result.stderr), MAX_FAILED_SHARE, result.stderr)
            with open(out) as f:
                stacks = [line.rsplit(" ", 1)[0].split(";") for line in f.read().splitlines()]
        self.assertEqual({s[0].split(" (")[0] for s in stacks}, {"<module>"}, "%s: roots" % label)
        in_vdso = [s for s in stacks if any(fr.startswith("__vdso_clock_gettime ([vdso]:") for fr in s)]
        self.assertTrue(in_vdso, "%s: no stack in the vDSO:\n%s" % (label, "\n".join(";".join(s) for s in stacks)))
        self.assertEqual(h.tracer_pid(target.pid), 0, "%s: still traced" % label)

    def test_native_blocking_every_interpreter(self):
        h.for_each_interpreter(self, self.check_blocking)


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
                # Between the Python caller and the library: only C frames, no Python (a
                # C frame shows its module and 0, or its C source's file:line).
                lib = [i for i, fr in enumerate(below) if ("(%s" % library) in fr]
                if lib and not any(re.search(r"\.py:\d+\)$", fr) for fr in below[:lib[0]]):
                    under += 1
            self.assertGreater(under, 0, "%s: no stack with %s C functions under %s:\n%s" %
                               (label, library, caller, "\n".join(";".join(l) for l in lines[:20])))

    def test_sqlite_hashlib(self):
        h.for_each_interpreter(self, self.check_libraries,
                               [(l, p) for l, p in h.INTERPRETERS if l in ("debian-3.11", "3.12.1", "3.9.18")])


def addr2line_lines(shared_object, function, source):
    """The lines of `source` that addr2line gives for the addresses of `function` in
    shared_object (its extent from nm -S): the ground truth for native frames' lines."""
    nm = subprocess.check_output(["nm", "-S", shared_object]).decode()
    found = [l.split() for l in nm.splitlines() if l.split()[-1:] == [function] and len(l.split()) == 4]
    if not found:
        raise AssertionError("nm finds no %s in %s:\n%s" % (function, shared_object, nm))
    start, size = int(found[0][0], 16), int(found[0][1], 16)
    out = subprocess.check_output(["addr2line", "-e", shared_object] +
                                  ["%x" % a for a in range(start, start + size)]).decode()
    lines = set()
    for line in out.splitlines():
        m = re.match(r"(.*):(\d+)", line)
        if m and m.group(1) == source:
            lines.add(int(m.group(2)))
    if not lines:
        raise AssertionError("addr2line gives no line of %s for %s:\n%s" % (source, function, out[:2000]))
    return lines


def thread_frames_text(stdout, tid):
    """The frames `dump` prints in text for thread tid, innermost first, each as
    (function, "file:line" as printed); the thread must be there."""
    blocks = re.split(r"^(?=Thread \d+)", stdout, flags=re.M)
    mine = [b for b in blocks if re.match(r"Thread %d\b" % tid, b)]
    if len(mine) != 1:
        raise AssertionError("no single block of thread %d in dump's text:\n%s" % (tid, stdout))
    return re.findall(r"^    (\S.*) \((.*)\)$", mine[0], flags=re.M)


class NativeLinesTest(NativeTargetMixin, unittest.TestCase):
    """Native frames of a module with debug info get file:line in collapsed, speedscope,
    the html page and dump; the lines are ones addr2line gives for the function."""

    SOURCE = os.path.join(NATIVE_EXT, "native_ext.c")

    def record(self, target, directory, name):
        out = os.path.join(directory, name)
        result = h.run_pyattach(["-p", target.pid, "-d", "1", "--native", "-q", "-o", out])
        self.assertEqual(result.rc, 0, result.stderr)
        return out

    def check_line(self, label, where, function, file, line, truth):
        self.assertEqual(file, self.SOURCE, "%s, %s: %s's file" % (label, where, function))
        self.assertIn(line, truth[function], "%s, %s: %s at line %d, addr2line says %r"
                      % (label, where, function, line, sorted(truth[function])))

    def check_lines(self, label, python):
        directory, ext_name = self.build_ext(python)
        truth = {f: addr2line_lines(os.path.join(directory, ext_name), f, self.SOURCE)
                 for f in ("native_ext_hot_loop", "native_ext_spin", "native_ext_call_python")}
        target = self.start(python, NATIVE_TARGET, directory)

        with open(self.record(target, directory, "x.folded")) as f:
            frames = [fr for line in f.read().splitlines() for fr in line.rsplit(" ", 1)[0].split(";")]
        seen = set()
        for fr in frames:
            m = re.match(r"(native_ext_\w+) \((.*):(\d+)\)$", fr)
            if m:
                self.check_line(label, "collapsed", m.group(1), m.group(2), int(m.group(3)), truth)
                seen.add(m.group(1))
        self.assertEqual(seen, set(truth), "%s: collapsed frames %r" % (label, sorted(set(frames))))

        with open(self.record(target, directory, "x.speedscope.json")) as f:
            shared = json.load(f)["shared"]["frames"]
        native = [fr for fr in shared if fr["name"] in truth]
        self.assertEqual({fr["name"] for fr in native}, set(truth), "%s: speedscope frames %r" % (label, shared))
        for fr in native:
            self.check_line(label, "speedscope", fr["name"], fr.get("file"), fr.get("line"), truth)

        with open(self.record(target, directory, "x.html")) as f:
            data = browser.page_data(f.read())
        strings, funcs, rows = data["strings"], data["funcs"], data["native_lines"]
        names = [strings[funcs[i + 2]] for i in range(0, len(funcs), 8)]  # FUNC_FIELDS of viewer/model.js
        files = [strings[funcs[i]] for i in range(0, len(funcs), 8)]
        in_page = set()
        for i in range(0, len(rows), 5):
            name, module = names[rows[i]], files[rows[i]]
            # Only C functions have lines here: never a synthetic frame (<wait ...>) or a
            # Python function. A C function of the interpreter or libc that a slow (ASan)
            # run happens to sample, such as 3.15's `now`, has no addr2line truth here.
            self.assertFalse(name.startswith("<") or module.endswith(".py"),
                             "%s: html native_lines give %s (%s) lines" % (label, name, module))
            if name not in truth:
                continue
            self.check_line(label, "html", name, strings[rows[i + 1]], rows[i + 2], truth)
            in_page.add(name)
        self.assertEqual(in_page, set(truth), "%s: html native_lines %r" % (label, rows))
        self.assertIn(str(strings.index(self.SOURCE)), data["sources"], "%s: C source not in the page" % label)

        result = h.run_pyattach(["dump", "-p", target.pid, "--native", "--json"])
        self.assertEqual(result.rc, 0, result.stderr)
        thread = [t for t in json.loads(result.stdout)["threads"] if t["tid"] == target.truth["tid"]][0]
        dumped = [f for f in thread["frames"] if f["function"] in truth]
        self.assertEqual({f["function"] for f in dumped}, set(truth), thread)
        for f in dumped:
            self.assertEqual(f["file"], ext_name, f)  # the key stays the module
            self.check_line(label, "dump --json", f["function"], f["source_file"], f["source_line"], truth)

        # The text form prints the source file:line in place of the module and 0.
        text = h.run_pyattach(["dump", "-p", target.pid, "--native"])
        self.assertEqual(text.rc, 0, text.stderr)
        frames = thread_frames_text(text.stdout, target.truth["tid"])
        printed = [(name, where) for name, where in frames if name in truth]
        self.assertEqual({name for name, _ in printed}, set(truth), "%s: dump --native:\n%s" % (label, text.stdout))
        for name, where in printed:
            m = re.match(r"(.*):(\d+)$", where)
            self.assertIsNotNone(m, "%s: dump --native prints %s (%s)" % (label, name, where))
            self.check_line(label, "dump --native", name, m.group(1), int(m.group(2)), truth)

    def test_lines_every_interpreter(self):
        h.for_each_interpreter(self, self.check_lines)


SWAP_SOURCE = """/* one of two libraries that differ only in this function's name */
__attribute__((noinline)) void swap_%s_spin(long n)
{
    volatile long acc = 0;
    for (long i = 0; i < n; i++)
        acc += i;
}
"""


class SwappedLibraryTest(NativeTargetMixin, unittest.TestCase):
    """A library dlclosed and another loaded at the same address (same size, other
    names): the samples before the switch name the first, those after the second, each
    with its own source lines. Before the fix every sample named the first."""

    def build_libraries(self, directory):
        for name in ("alpha", "omega"):
            source = os.path.join(directory, "swap_%s.c" % name)
            with open(source, "w") as f:
                f.write(SWAP_SOURCE % name)
            # No libc: the library loads in any root the interpreter runs in.
            subprocess.check_call(["cc", "-shared", "-fPIC", "-O1", "-g", "-nostdlib", source, "-o",
                                   os.path.join(directory, "libswap_%s.so" % name)])

    def check_swap(self, label, python):
        directory = tempfile.mkdtemp(prefix="pyattach-swap-")
        self.addCleanup(subprocess.call, ["rm", "-rf", directory])
        self.build_libraries(directory)
        target = self.start(python, SWAP_TARGET, directory)
        out = os.path.join(directory, "x.folded")
        proc = subprocess.Popen([h.pyattach_binary(), "-p", str(target.pid), "-d", "5", "--native", "-q",
                                 "-o", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        time.sleep(2.0)  # alpha is sampled for a while (re-read of the maps: every 0.5 s)
        with open(os.path.join(directory, "go"), "w"):
            pass
        switched = os.path.join(directory, "switched")
        deadline = time.monotonic() + 30
        while not os.path.exists(switched):
            self.assertLess(time.monotonic(), deadline, "%s: the target never switched libraries" % label)
            time.sleep(0.05)
        with open(switched) as f:
            where = json.load(f)
        self.assertEqual(where["alpha"], where["omega"],
                         "%s: the loader put omega elsewhere than alpha: nothing is tested" % label)
        stdout, stderr = proc.communicate(timeout=h.RUN_TIMEOUT)
        self.assertEqual(proc.returncode, 0, stderr)
        counts = {"alpha": 0, "omega": 0}
        tails = collections.Counter()  # for the message: what the samples ended in
        with open(out) as f:
            for line in f.read().splitlines():
                stack, count = line.rsplit(" ", 1)
                tails[";".join(stack.split(";")[-3:])] += int(count)
                for fr in stack.split(";"):
                    m = re.match(r"swap_(alpha|omega)_spin \((.*)\)$", fr)
                    if m:
                        self.assertRegex(m.group(2), r"^%s:\d+$" % re.escape(
                            os.path.join(directory, "swap_%s.c" % m.group(1))), "%s: %s" % (label, fr))
                        counts[m.group(1)] += int(count)
        # Counts are not judged (a loaded machine stalls the sampling): the names are.
        self.assertGreater(counts["alpha"], 0, "%s: %r" % (label, counts))
        self.assertGreater(counts["omega"], 0, "%s: %r (after the switch, named as before?); stacks ended in %r"
                           % (label, counts, tails.most_common(6)))

    def test_swap_every_interpreter(self):
        h.for_each_interpreter(self, self.check_swap)


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
