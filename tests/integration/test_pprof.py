# pprof output (-o x.pb.gz) read by its real consumer, Debian's `go tool pprof` (golang-go),
# and by `pyattach view`; labels for -s / --threads; the sample types of each mode; and
# --every, which writes each interval of a long recording to its own file.
#
# Real targets on two interpreters (pyenv's 3.12.1 and Debian's 3.15 in its root). The
# protobuf is also decoded here, in Python, independently of the C code under test.
import calendar
import gzip
import json
import marshal
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import harness

GO = "/usr/bin/go"  # Debian's golang-go
SYSTEM_PYTHON = "/usr/bin/python3"
INTERPRETERS = [(label, harness.interpreter_by_label(label)) for label in ("3.12.1", "debian-3.15")]
SUMMARY = re.compile(r"(\d+) samples, (\d+) with Python frames, (\d+) idle, (\d+) failed")
TOP_ROW = re.compile(r"^\s*(\S+)\s+([\d.]+)%\s+([\d.]+)%\s+(\S+)\s+([\d.]+)%\s+(.+)$")


# ---------------------------------------------------------------- protobuf, by hand

def _varint(data, i):
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7f) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


def _fields(data):
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 2:
            n, i = _varint(data, i)
            value, i = data[i:i + n], i + n
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        elif wire == 5:
            value, i = data[i:i + 4], i + 4
        else:
            raise AssertionError("wire type %d at %d" % (wire, i))
        yield number, wire, value


def _repeated(wire, value):
    if wire == 0:
        return [value]
    out, i = [], 0
    while i < len(value):
        v, i = _varint(value, i)
        out.append(v)
    return out


def decode_pprof(path):
    """The parts of a gzip'ed perftools.profiles.Profile these tests look at."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != b"\x1f\x8b":
        raise AssertionError("%s is not gzip'ed" % path)
    data = gzip.decompress(raw)
    strings, types, samples, functions = [], [], [], {}
    top = {}
    for number, wire, value in _fields(data):
        if number == 6:
            strings.append(value.decode("utf-8"))
        elif number == 1:
            types.append(dict((n, v) for n, _, v in _fields(value)))
        elif number == 2:
            sample = {"locations": [], "values": [], "labels": []}
            for n, w, v in _fields(value):
                if n == 1:
                    sample["locations"] += _repeated(w, v)
                elif n == 2:
                    sample["values"] += _repeated(w, v)
                elif n == 3:
                    sample["labels"].append(dict((k, x) for k, _, x in _fields(v)))
            samples.append(sample)
        elif number == 5:
            fn = dict((n, v) for n, _, v in _fields(value))
            functions[fn[1]] = fn
        elif wire == 0:
            top[number] = value
    if not strings or strings[0] != "":
        raise AssertionError("%s: string_table[0] is %r" % (path, strings[:1]))
    return {"strings": strings, "types": [(strings[t.get(1, 0)], strings[t.get(2, 0)]) for t in types],
            "samples": samples, "functions": functions, "top": top}


# ---------------------------------------------------------------- helpers

def summary_counts(stderr):
    """(samples, with Python frames) summed over the summary's lines."""
    total = python = 0
    for m in SUMMARY.finditer(stderr):
        total += int(m.group(1))
        python += int(m.group(2))
    if total == 0:
        raise AssertionError("no summary line in %r" % stderr)
    return total, python


def view_rows(text):
    """pyattach view's table: {function name: (tottime, cumtime)} and the total seconds."""
    total = float(re.search(r"function calls.* in ([\d.]+) seconds", text).group(1))
    lines = text.splitlines()
    start = lines.index("   ncalls  tottime  percall  cumtime  percall filename:lineno(function)")
    rows = {}
    for line in lines[start + 1:]:
        if not line:
            break
        where = line[46:]
        m = re.search(r"\((.*)\)$", where)
        name = m.group(1) if m else where
        rows[name] = (float(line[10:18]), float(line[28:36]))
    return rows, total


def seconds_of(text):
    """A pprof -top quantity ('1.27s', '565.81ms', '900us', '0') in seconds."""
    m = re.match(r"^([\d.]+)(h|min|s|ms|us|µs|ns)?$", text)
    if m is None:
        raise AssertionError("cannot read %r as a time" % text)
    scale = {None: 1e-9, "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0}
    return float(m.group(1)) * scale[m.group(2)]


class Pprof(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        harness.require_interpreters(INTERPRETERS)
        if not os.access(GO, os.X_OK):
            raise AssertionError("%s is missing: apt-get install golang-go (.ci/install_deps.sh)" % GO)
        cls.gohome = tempfile.mkdtemp(prefix="pyattach-go-")
        env = dict(os.environ)
        # go wants a writable home and cache; nothing may touch the network
        env.update(HOME=cls.gohome, GOCACHE=os.path.join(cls.gohome, "cache"),
                   GOPATH=os.path.join(cls.gohome, "path"), GOTOOLCHAIN="local", GOPROXY="off",
                   GOFLAGS="", GONOSUMDB="*", GOTELEMETRY="off", PPROF_TMPDIR=cls.gohome)
        cls.goenv = env

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.gohome, True)

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pyattach-pprof-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def pprof(self, *args):
        r = subprocess.run([GO, "tool", "pprof"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=self.goenv, timeout=300)
        err = r.stderr.decode("utf-8", "replace")
        self.assertEqual(r.returncode, 0, "go tool pprof %s: %s" % (" ".join(args), err))
        # a profile without a (symbolized) mapping makes pprof say this; ours has one
        self.assertNotIn("Main binary filename not available", err)
        return r.stdout.decode("utf-8")

    def record(self, python, script, name, args=(), seconds=3.0, own_session=False):
        out = os.path.join(self.tmp, name)
        with harness.Target([python, harness.script_path(script)], own_session=own_session) as target:
            time.sleep(0.3)
            result = harness.run_pyattach(["-p", target.pid, "-d", seconds, "-o", out] + list(args))
        self.assertEqual(result.rc, 0, result.stderr)
        return out, target.pid, result

    # ------------------------------------------------------------ go tool pprof

    def test_go_pprof_agrees_with_view(self):
        """One recording: go tool pprof -top and pyattach view of the same .pb.gz give the
        same flat and cumulative shares (within 1 point) and the same total; -raw shows the
        sample types, period and locations; -traces shows the stacks leaf first."""
        def check(label, python):
            out, pid, result = self.record(python, "shares_target.py", "shares-%s.pb.gz" % label)
            self.assertIn("wrote %s" % out, result.stderr)
            decoded = decode_pprof(out)
            self.assertEqual(decoded["types"], [("samples", "count"), ("wall", "nanoseconds")])
            self.assertEqual(decoded["strings"][decoded["top"][14]], "wall")  # default_sample_type
            _, with_python = summary_counts(result.stderr)
            self.assertEqual(sum(s["values"][0] for s in decoded["samples"]), with_python)
            for fn in decoded["functions"].values():
                self.assertNotIn(3, fn, "system_name must stay empty")

            view = harness.run_pyattach(["view", out, "-s", "tottime"])
            self.assertEqual(view.rc, 0, view.stderr)
            self.assertEqual(view.stderr, "")
            self.assertIn("pprof profile: ncalls counts samples", view.stdout)
            rows, total = view_rows(view.stdout)

            top = self.pprof("-top", out)
            self.assertIn("Type: wall", top)
            self.assertRegex(top, r"(?m)^pyattach mode=wall rate=100Hz$")
            go_total = seconds_of(re.search(r"Total samples = (\S+)", top).group(1))
            self.assertAlmostEqual(go_total, total, delta=0.002 + 0.0005 * total)
            go = {}
            for line in top.splitlines():
                m = TOP_ROW.match(line)
                if m and m.group(1) != "flat":
                    go[m.group(6).strip()] = (float(m.group(2)), float(m.group(5)))
            for name in ("burn", "share_20", "share_30", "share_50", "main", "<module>"):
                self.assertIn(name, go, "%s: %s missing from go tool pprof -top:\n%s" % (label, name, top))
                self.assertIn(name, rows, "%s: %s missing from view:\n%s" % (label, name, view.stdout))
                flat, cum = go[name]
                tt, ct = rows[name]
                self.assertAlmostEqual(flat, 100.0 * tt / total, delta=1.0, msg="%s %s flat" % (label, name))
                self.assertAlmostEqual(cum, 100.0 * ct / total, delta=1.0, msg="%s %s cum" % (label, name))
            self.assertGreater(go["burn"][0], 95.0)  # where the time goes
            for name in ("share_20", "share_30", "share_50"):
                self.assertGreater(go[name][1], 5.0)

            raw = self.pprof("-raw", out)
            self.assertIn("PeriodType: wall nanoseconds", raw)
            self.assertIn("Period: 10000000", raw)
            self.assertRegex(raw, r"(?m)^samples/count wall/nanoseconds\[dflt\]$")
            self.assertRegex(raw, r"(?m)^Duration: [23]\.\d+")
            self.assertRegex(raw, r"(?m)^Time: 20\d\d-")
            # a location per (function, line): name file:line s=start_line
            self.assertRegex(raw, r"(?m)^\s+\d+: 0x0 M=1 burn \S*shares_target\.py:\d+ s=18\b")
            self.assertRegex(raw, r"(?m)^\s+\d+: 0x0 M=1 <module> \S*shares_target\.py:\d+ s=1\b")
            self.assertNotRegex(raw, r"\b(pid|tid|thread_name|process):\[")  # no -s, no --threads

            traces = self.pprof("-traces", out)
            blocks = [b for b in traces.split("-----------+") if "burn" in b]
            self.assertTrue(blocks, traces)
            frames = re.findall(r"(?m)^\s+(?:\S+\s+)?(\S+)$", blocks[0].split("\n", 1)[1])
            self.assertEqual(frames[0], "burn", blocks[0])  # leaf first
            self.assertEqual(frames[-1], "<module>", blocks[0])
        harness.for_each_interpreter(self, check, INTERPRETERS)

    def test_labels_for_processes_and_threads(self):
        """-s and --threads: each sample carries pid/process and tid/thread_name labels
        instead of the synthetic root frames; -tagfocus picks a process; view shows the
        roots again."""
        python = harness.interpreter_by_label("3.12.1")
        out, parent, result = self.record(python, "subprocess_target.py", "tree.pb.gz",
                                          ["-s", "--threads"], seconds=3.0, own_session=True)
        pids = set(int(p) for p in re.findall(r"PID (\d+) \(CPython", result.stderr))
        self.assertIn(parent, pids)
        self.assertGreater(len(pids), 1, result.stderr)
        decoded = decode_pprof(out)
        strings = decoded["strings"]
        seen_pids = set()
        for s in decoded["samples"]:
            labels = dict((strings[l[1]], l.get(3, strings[l.get(2, 0)])) for l in s["labels"])
            # a thread's name is known once its threading module says it (not while starting)
            self.assertIn(sorted(labels), (["pid", "process", "thread_name", "tid"], ["pid", "process", "tid"]))
            seen_pids.add(labels["pid"])
            self.assertIn("subprocess_target.py", labels["process"])
            if labels["pid"] == parent:
                self.assertEqual(labels.get("thread_name"), "MainThread")
        self.assertIn(parent, seen_pids)
        self.assertGreater(len(seen_pids), 1)
        for fn in decoded["functions"].values():
            self.assertFalse(re.match(r"<(process|thread)\b", strings[fn[2]]), strings[fn[2]])

        raw = self.pprof("-raw", out)
        self.assertRegex(raw, r"\bpid:\[%d\]" % parent)  # -raw: "pid:[4242] tid:[4250]"
        self.assertRegex(raw, r"\bthread_name:\[MainThread\]")
        self.assertRegex(raw, r"\btid:\[\d+\]")
        tags = self.pprof("-tags", out)
        for key in ("pid", "tid", "thread_name", "process"):
            self.assertRegex(tags, r"(?m)^\s*%s:" % key)
        parent_only = self.pprof("-top", "-tagfocus=pid=%d" % parent, out)
        self.assertIn("run_children", parent_only)
        self.assertNotIn("child_work", parent_only)
        children = self.pprof("-top", "-tagignore=pid=%d" % parent, out)
        self.assertIn("child_work", children)
        self.assertNotIn("run_children", children)

        view = harness.run_pyattach(["view", out])
        self.assertEqual(view.rc, 0, view.stderr)
        self.assertRegex(view.stdout, r"\{process %d: [^}]*subprocess_target\.py\}" % parent)
        self.assertRegex(view.stdout, r"\{thread \d+ \"MainThread\"\}")

    def test_sample_type_per_mode(self):
        """-m cpu writes cpu/nanoseconds, -m gil gil/nanoseconds, always after samples/count
        and as the default; -f pprof overrides any extension."""
        python = harness.interpreter_by_label("3.12.1")
        for mode in ("cpu", "gil"):
            with self.subTest(mode=mode):
                out, _, _ = self.record(python, "shares_target.py", "mode-%s.out" % mode,
                                        ["-m", mode, "-f", "pprof", "-r", "200"], seconds=1.0)
                decoded = decode_pprof(out)
                self.assertEqual(decoded["types"], [("samples", "count"), (mode, "nanoseconds")])
                raw = self.pprof("-raw", out)
                self.assertIn("PeriodType: %s nanoseconds" % mode, raw)
                self.assertIn("Period: 5000000", raw)
                self.assertRegex(raw, r"(?m)^samples/count %s/nanoseconds\[dflt\]$" % mode)
                top = self.pprof("-top", out)
                self.assertIn("Type: %s" % mode, top)
                self.assertRegex(top, r"(?m)^\s*\S+\s+[\d.]+%.*\bburn$")

    # ------------------------------------------------------------ view

    def test_view_refuses_broken_pprof_files(self):
        python = harness.interpreter_by_label("3.12.1")
        out, _, _ = self.record(python, "shares_target.py", "good.pb.gz", seconds=1.0)
        with open(out, "rb") as f:
            data = f.read()
        cases = []
        for name, content in (("truncated.pb.gz", data[:len(data) // 2]),
                              ("text.pb.gz", b"this is not a profile\n"),
                              ("gzip-text.pprof", gzip.compress(b"this is not a profile either\n")),
                              ("empty.pprof", b"")):
            path = os.path.join(self.tmp, name)
            with open(path, "wb") as f:
                f.write(content)
            cases.append(path)
        for path in cases:
            with self.subTest(path=os.path.basename(path)):
                r = harness.run_pyattach(["view", path])
                self.assertEqual(r.rc, 1, r.stderr)
                self.assertEqual(r.stdout, "")
                self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
                self.assertRegex(r.stderr, r"^pyattach view: .*%s: not a pprof profile" % re.escape(path))

    # ------------------------------------------------------------ --every

    def every(self, python, template, seconds, extra=(), script="shares_target.py", own_session=False):
        with harness.Target([python, harness.script_path(script)], own_session=own_session) as target:
            time.sleep(0.3)
            result = harness.run_pyattach(["-p", target.pid, "-d", seconds, "--every", 1,
                                           "-o", os.path.join(self.tmp, template)] + list(extra))
        self.assertEqual(result.rc, 0, result.stderr)
        written = re.findall(r"(?m)^pyattach: wrote (.+)$", result.stderr)
        return written, result, target.pid

    def test_every_writes_each_interval(self):
        """3.5 s with --every 1: four files named by their intervals' starts, one second
        apart, each complete in itself; their samples add up to the summary's."""
        python = harness.interpreter_by_label("3.12.1")
        for ext in ("prof", "pb.gz"):
            with self.subTest(format=ext):
                written, result, _ = self.every(python, "x.%t." + ext, 3.5)
                self.assertEqual(len(written), 4, result.stderr)
                self.assertEqual(len(set(written)), 4)
                self.assertEqual(sorted(os.listdir(self.tmp)), sorted(os.path.basename(w) for w in written))
                stamps = []
                for path in written:
                    m = re.match(r"^x\.(\d{8}T\d{6}Z)\.%s$" % re.escape(ext), os.path.basename(path))
                    self.assertIsNotNone(m, path)
                    stamps.append(calendar.timegm(time.strptime(m.group(1), "%Y%m%dT%H%M%SZ")))
                self.assertEqual([b - a for a, b in zip(stamps, stamps[1:])], [1.0, 1.0, 1.0], written)
                _, with_python = summary_counts(result.stderr)
                if ext == "prof":
                    script = ("import pstats, sys\n"
                              "for p in sys.argv[1:]:\n"
                              "    print(pstats.Stats(p).total_tt)\n")
                    r = subprocess.run([SYSTEM_PYTHON, "-c", script] + written,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
                    self.assertEqual(r.returncode, 0, r.stderr.decode())
                    totals = [float(x) for x in r.stdout.split()]
                    for t in totals[:3]:
                        self.assertAlmostEqual(t, 1.0, delta=0.25, msg=totals)
                    self.assertAlmostEqual(totals[3], 0.5, delta=0.25, msg=totals)
                    for path in written:  # each its own aggregate: ncalls restart
                        with open(path, "rb") as f:
                            stats = marshal.load(f)
                        ncalls = [v[1] for k, v in stats.items() if k[2] == "share_50"]
                        self.assertEqual(len(ncalls), 1)
                        self.assertLessEqual(ncalls[0], 8, path)  # one call every 200 ms: 5 a second
                else:
                    counts = [sum(s["values"][0] for s in decode_pprof(p)["samples"]) for p in written]
                    self.assertEqual(sum(counts), with_python, counts)
                    self.assertTrue(all(c > 0 for c in counts), counts)
                    durations = [decode_pprof(p)["top"][10] / 1e9 for p in written]
                    for d in durations[:3]:
                        self.assertAlmostEqual(d, 1.0, delta=0.05, msg=durations)
                    starts = [decode_pprof(p)["top"][9] / 1e9 for p in written]
                    self.assertEqual([round(b - a, 3) for a, b in zip(starts, starts[1:])], [1.0, 1.0, 1.0])
                for path in written:
                    os.unlink(path)

    def test_every_other_formats_and_processes(self):
        """Every format, and -s with a per-process (%p) template: one file per process per
        interval."""
        python = harness.interpreter_by_label("3.12.1")
        for ext in ("txt", "folded", "json"):
            with self.subTest(format=ext):
                written, result, _ = self.every(python, "f.%t." + ext, 2.3)
                self.assertEqual(len(written), 3, result.stderr)
                for path in written:
                    with open(path, encoding="utf-8") as f:
                        text = f.read()
                    if ext == "txt":
                        self.assertIn("function calls", text)
                    elif ext == "folded":
                        self.assertRegex(text, r"(?m)burn \(\S+shares_target\.py:\d+\) \d+$")
                    else:
                        self.assertTrue(json.loads(text)["profiles"])
        with self.subTest(subprocesses=True):
            written, result, parent = self.every(python, "p.%p.%t.folded", 2.3, ["-s"], script="subprocess_target.py",
                                                 own_session=True)
            by_pid = {}
            for path in written:
                m = re.match(r"^p\.(\d+)\.(\d{8}T\d{6}Z)\.folded$", os.path.basename(path))
                self.assertIsNotNone(m, path)
                by_pid.setdefault(int(m.group(1)), set()).add(m.group(2))
            self.assertEqual(len(by_pid.get(parent, ())), 3, written)
            self.assertGreater(len(by_pid), 1, written)  # children too

    def test_every_stops_on_sigterm_with_the_partial_interval(self):
        python = harness.interpreter_by_label("3.12.1")
        with harness.start_target(python, "shares_target.py") as target:
            proc = subprocess.Popen([harness.pyattach_binary(), "-p", str(target.pid), "--every", "1",
                                     "-o", os.path.join(self.tmp, "s.%t.pb.gz")],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            deadline = time.monotonic() + 60
            while len([n for n in os.listdir(self.tmp) if not n.startswith(".")]) < 2:  # two whole intervals
                self.assertLess(time.monotonic(), deadline, "no second interval's file within 60 s")
                self.assertIsNone(proc.poll())
                time.sleep(0.05)
            time.sleep(0.4)
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=60)
        err = err.decode()
        self.assertEqual(proc.returncode, 0, err)
        written = re.findall(r"(?m)^pyattach: wrote (.+)$", err)
        self.assertEqual(len(written), 3, err)  # the third one partial
        self.assertLess(decode_pprof(written[2])["top"][10], 0.9e9)
        _, with_python = summary_counts(err)
        self.assertEqual(sum(sum(s["values"][0] for s in decode_pprof(p)["samples"]) for p in written), with_python)

    def test_every_usage_errors(self):
        target = os.path.join(self.tmp, "x.prof")
        for args in (["--every", "1", "-o", target],            # no %t: each interval overwrites the last
                     ["--every", "1", "-o", os.path.join(self.tmp, "x.%%t.prof")],
                     ["--every", "1"],                            # no -o at all
                     ["--every", "0.5", "-o", os.path.join(self.tmp, "x.%t.prof")],
                     ["--every", "soon", "-o", os.path.join(self.tmp, "x.%t.prof")]):
            with self.subTest(args=args):
                r = harness.run_pyattach(["-p", os.getpid(), "-d", "1"] + args)
                self.assertEqual(r.rc, 1, r.stderr)
                self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
                self.assertRegex(r.stderr, r"^pyattach: record: --every needs")
        r = harness.run_pyattach(["top", "-p", os.getpid(), "--every", "1"])
        self.assertEqual(r.rc, 1, r.stderr)
        self.assertEqual(os.listdir(self.tmp), [])


if __name__ == "__main__":
    unittest.main()
