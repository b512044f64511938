# The output layer end to end: synthetic stacks go through tests/tools/output_feed (the
# real writers), and what comes out must be what cProfile's own tools read — pstats in
# every CPython 3.6-3.13 (byte-identical to their marshal.dumps of the same dict),
# Debian's pyprof2calltree, a snakeviz/gprof2dot-style walk — and `view` must print
# what pstats prints, for our files and for real cProfile dumps from every interpreter.
#
# The expected numbers come from a reference model of the aggregation rules written
# here in Python (see reference_stats), not from the C code under test.
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import unittest

import harness

BUILD = os.environ.get("PYATTACH_BUILD_DIR", "")
SANITIZED = os.environ.get("PYATTACH_SANITIZED", "0") in ("1", "ON", "TRUE", "true")
SYSTEM_PYTHON = "/usr/bin/python3"
PYPROF2CALLTREE = "/usr/bin/pyprof2calltree"

# pstats must load our files in all of these (Debian's 3.11 too).
PSTATS_INTERPRETERS = harness.INTERPRETERS
# Real cProfile dumps that `view` must read: the same, plus 2.7 (marshal version 2).
DUMP_INTERPRETERS = harness.INTERPRETERS + [harness.PYTHON27]


def tool(name):
    path = os.path.join(BUILD, name)
    if not os.access(path, os.X_OK):
        raise AssertionError("%s is not built (PYATTACH_BUILD_DIR=%r); build tests/tools/%s.c"
                             % (path, BUILD, name))
    return path


def run(argv, **kwargs):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=kwargs.pop("timeout", 600), **kwargs)


# ---------------------------------------------------------------- synthetic stacks

MODULE = ("/srv/app/main.py", 1, "<module>")
FUNCTIONS = [
    ("/srv/app/main.py", 10, "main"),
    ("/srv/app/handlers.py", 20, "handle"),
    ("/srv/app/handlers.py", 45, "Handler.dispatch"),
    ("/srv/app/parse.py", 3, "parse"),
    ("/srv/app/parse.py", 30, "tokenize"),
    ("/srv/app/fib.py", 1, "fib"),
    ("/srv/app/fib.py", 9, "<lambda>"),
    ("/srv/app/caf\u00e9.py", 7, "\u51fd\u6570_calc"),
    ("/srv/app/space dir/m.py", 300, "with space"),
    ("/usr/lib/python3.11/json/decoder.py", 332, "JSONDecoder.decode"),
    ("~", 0, "<built-in method time.sleep>"),
    ("~", 0, "<method 'append' of 'list' objects>"),
    ("~", 0, "len"),
]


class Sample(object):
    __slots__ = ("pid", "tid", "weight", "timestamp", "incomplete", "frames")

    def __init__(self, pid, tid, weight, timestamp, incomplete, frames):
        self.pid, self.tid, self.weight = pid, tid, weight
        self.timestamp, self.incomplete = timestamp, incomplete
        self.frames = frames  # root first: (call_id, first_line, line, file, function)


def generate_samples(seed, count, threads=3, incomplete=True, empty=True):
    """A program that evolves: each thread's stack pops and pushes a few frames between
    samples, so calls span several samples (same call ids), recursion happens (fib,
    handle), built-ins appear only as leaves; some samples are cut (incomplete) or empty."""
    rnd = random.Random(seed)
    next_id = [1000]

    def new_id():
        next_id[0] += 1
        return next_id[0]

    stacks = {tid: [(new_id(),) + MODULE] for tid in range(1, threads + 1)}
    samples = []
    t = 0.0
    for i in range(count):
        tid = rnd.randint(1, threads)
        stack = stacks[tid]
        if stack[-1][1] == "~" or (len(stack) > 1 and rnd.random() < 0.4):
            del stack[max(1, len(stack) - rnd.randint(1, 3)):]
        for _ in range(rnd.randint(0, 3)):
            if stack[-1][1] == "~" or len(stack) > 14:
                break
            fn = rnd.choice(FUNCTIONS)
            if fn[0] == "~" and rnd.random() < 0.5:
                continue
            stack.append((new_id(),) + fn)
        weight = rnd.choice([0.001, 0.002, 0.0015, 0.01])
        t += weight
        frames = [(cid, first, rnd.choice([first, first + 1, first + 2]) if first else 0, f, name)
                  for cid, f, first, name in stack]
        cut = incomplete and len(frames) >= 3 and rnd.random() < 0.03
        if cut:
            # the walk stopped early: root side missing; the sampler's ids chain from the
            # root, so a cut stack's ids differ from the complete one's
            frames = [(f[0] + 10 ** 9,) + f[1:] for f in frames[rnd.randint(1, len(frames) - 2):]]
        if empty and rnd.random() < 0.01:
            frames = []
        samples.append(Sample(7, tid, weight, t, cut, frames))
    return samples


def write_stacks(samples, path, cpython_minor=None):
    with open(path, "w", encoding="utf-8") as f:
        f.write("# synthetic stacks for test_output_formats.py\n")
        if cpython_minor is not None:  # sampled from 3.<minor>: marshalled as its cProfile would
            f.write("P %d\n" % cpython_minor)
        for s in samples:
            f.write("S %d %d %r %r%s\n" % (s.pid, s.tid, s.weight, s.timestamp,
                                           " incomplete" if s.incomplete else ""))
            for cid, first, line, file, name in s.frames:
                f.write("F\t%d\t%d\t%d\t%s\t%s\n" % (cid, first, line, file, name))


def reference_stats(samples):
    """The aggregation rules, independently: {key: [cc, nc, tt, ct, {caller: [nc, cc, tt, ct]}]}.
    tottime at the leaf; cumtime once per sample per function and per edge; a frame is a
    new call unless the thread's last complete sample had its call id at the same depth
    and all outer frames were the same calls; cc only when the function (edge) is not
    already further out on the stack; incomplete samples count time, never calls."""
    stats = {}
    previous = {}
    for s in samples:
        keys = [(f[3], f[1], f[4]) for f in s.frames]
        last = previous.get((s.pid, s.tid), [])
        continuing = True
        seen, seen_edges = set(), set()
        for d, (frame, key) in enumerate(zip(s.frames, keys)):
            entry = stats.setdefault(key, [0, 0, 0.0, 0.0, {}])
            continuing = continuing and d < len(last) and last[d] == frame[0]
            new = not s.incomplete and not continuing
            recursive = key in seen
            seen.add(key)
            leaf = d == len(keys) - 1
            if not recursive:
                entry[3] += s.weight
            if new:
                entry[1] += 1
                entry[0] += not recursive
            if leaf:
                entry[2] += s.weight
            if d == 0:
                continue
            edge = entry[4].setdefault(keys[d - 1], [0, 0, 0.0, 0.0])
            edge_recursive = (keys[d - 1], key) in seen_edges
            seen_edges.add((keys[d - 1], key))
            if not edge_recursive:
                edge[3] += s.weight
            if new:
                edge[0] += 1
                edge[1] += not edge_recursive
            if leaf:
                edge[2] += s.weight
        if not s.incomplete:
            previous[(s.pid, s.tid)] = [f[0] for f in s.frames]
    return stats


# Loads a .prof with pstats, checks its shape, and prints it as JSON (keys as lists),
# plus whether marshal.dumps of the same dict rebuilt with interned strings gives the
# file's bytes (what output/marshal.h promises), plus every report pstats prints.
PSTATS_PROBE = r'''
import io, json, marshal, pstats, sys
path = sys.argv[1]
data = open(path, 'rb').read()
st = pstats.Stats(path, stream=io.StringIO())
for key in ('calls', 'cumulative', 'filename', 'line', 'name', 'nfl', 'pcalls',
            'stdname', 'time', 'tottime'):
    st.sort_stats(key).print_stats()
st.print_callers(); st.print_callees()
keep = []
def S(s):
    s = sys.intern(s); keep.append(s); return s
def K(k):
    return (S(k[0]), int(str(k[1])), S(k[2]))
d = {}
for k, (cc, nc, tt, ct, callers) in st.stats.items():
    d[K(k)] = (int(str(cc)), int(str(nc)), float(repr(tt)), float(repr(ct)),
               dict((K(c), (int(str(v[0])), int(str(v[1])), float(repr(v[2])), float(repr(v[3]))))
                    for c, v in callers.items()))
out = {'version': '%d.%d.%d' % sys.version_info[:3], 'byte_identical': marshal.dumps(d) == data,
       'stats': [[list(k), [cc, nc, tt, ct], [[list(c), list(v)] for c, v in callers.items()]]
                 for k, (cc, nc, tt, ct, callers) in st.stats.items()]}
sys.stdout.write(json.dumps(out))
'''


def pstats_load(python, prof):
    r = run([python, "-c", PSTATS_PROBE, prof])
    if r.returncode != 0:
        raise AssertionError("%s could not load %s with pstats:\n%s"
                             % (python, prof, r.stderr.decode(errors="replace")))
    return json.loads(r.stdout.decode())


class OutputFormats(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        harness.require_interpreters(DUMP_INTERPRETERS)
        for path in (SYSTEM_PYTHON, PYPROF2CALLTREE):
            if not os.access(path, os.X_OK):
                raise AssertionError("%s is missing (Debian package)" % path)
        cls.feed = tool("output_feed")
        cls.view = tool("output_view")
        cls.tmp = tempfile.mkdtemp(prefix="pa_output_formats_")
        cls.samples = generate_samples(seed=1, count=4000)
        cls.stacks = os.path.join(cls.tmp, "stacks.txt")
        write_stacks(cls.samples, cls.stacks)
        cls.prof = cls.write_format("pstats", "out.prof")
        # 3.15's marshal shares ints up to 1024 (its small-int cache), not up to 256.
        stacks_315 = os.path.join(cls.tmp, "stacks-3.15.txt")
        write_stacks(cls.samples, stacks_315, cpython_minor=15)
        cls.prof_315 = cls.write_format("pstats", "out-3.15.prof", stacks_315)
        cls.expected = reference_stats(cls.samples)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def write_format(cls, fmt, name, stacks=None):
        out = os.path.join(cls.tmp, name)
        r = run([cls.feed, "-f", fmt, "-o", out, stacks or cls.stacks])
        if r.returncode != 0:
            raise AssertionError("output_feed -f %s failed: %s" % (fmt, r.stderr.decode()))
        return out

    def assert_stats_equal(self, loaded, expected, where):
        got = {}
        for key, (cc, nc, tt, ct), callers in loaded:
            got[tuple(key)] = (cc, nc, tt, ct, dict((tuple(c), v) for c, v in callers))
        self.assertEqual(sorted(got), sorted(expected), where + ": function keys")
        for key, (cc, nc, tt, ct, callers) in expected.items():
            g = got[key]
            self.assertEqual((g[0], g[1]), (cc, nc), "%s: %r calls" % (where, key))
            self.assertAlmostEqual(g[2], tt, places=9, msg="%s: %r tottime" % (where, key))
            self.assertAlmostEqual(g[3], ct, places=9, msg="%s: %r cumtime" % (where, key))
            self.assertEqual(sorted(g[4]), sorted(callers), "%s: %r callers" % (where, key))
            for caller, (enc, ecc, ett, ect) in callers.items():
                gnc, gcc, gtt, gct = g[4][caller]
                self.assertEqual((gnc, gcc), (enc, ecc), "%s: %r <- %r" % (where, key, caller))
                self.assertAlmostEqual(gtt, ett, places=9)
                self.assertAlmostEqual(gct, ect, places=9)

    # ------------------------------------------------------------ pstats

    def test_pstats_loads_in_every_cpython(self):
        """pstats.Stats loads the file, prints every report, and the data is the reference
        model's; re-dumping the same dict gives our bytes in every version."""
        def check(label, python):
            out = pstats_load(python, self.prof)
            if tuple(int(x) for x in out["version"].split(".")[:2]) >= (3, 15):
                out = pstats_load(python, self.prof_315)
            self.assert_stats_equal(out["stats"], self.expected, label)
            self.assertTrue(out["byte_identical"],
                            "%s: marshal.dumps of the same dict differs from our file" % label)
        harness.for_each_interpreter(self, check, PSTATS_INTERPRETERS)

    def test_reference_model_is_not_trivial(self):
        """The synthetic load exercises what the rules are about."""
        exp = self.expected
        self.assertTrue(any(v[1] != v[0] for v in exp.values()), "no recursion")
        self.assertTrue(any(v[1] > 1 for v in exp.values()), "no repeated calls")
        total_samples = sum(1 for s in self.samples if s.frames)
        self.assertLess(sum(v[1] for v in exp.values()), total_samples * 3,
                        "calls should be far fewer than frames sampled")
        self.assertTrue(any(s.incomplete for s in self.samples))
        self.assertTrue(any(not s.frames for s in self.samples))
        self.assertIn(("~", 0, "len"), exp)

    def test_snakeviz_gprof2dot_walk(self):
        """What snakeviz and gprof2dot rely on: callers are 4-tuples of numbers, every
        caller is a key, and the call graph has one root that carries all the time."""
        samples = generate_samples(seed=2, count=2000, incomplete=False, empty=False)
        stacks = os.path.join(self.tmp, "rooted.txt")
        write_stacks(samples, stacks)
        prof = self.write_format("pstats", "rooted.prof", stacks)
        walk = r'''
import pstats, sys
st = pstats.Stats(sys.argv[1])
roots = []
for func, (cc, nc, tt, ct, callers) in st.stats.items():
    assert isinstance(func, tuple) and len(func) == 3, func
    assert isinstance(cc, int) and isinstance(nc, int) and nc >= cc >= 0, func
    assert isinstance(tt, float) and isinstance(ct, float) and ct >= tt - 1e-12, func
    for caller, value in callers.items():
        assert caller in st.stats, ('caller not a key', caller)
        assert isinstance(value, tuple) and len(value) == 4, value
        assert all(isinstance(x, int) for x in value[:2]), value
        assert all(isinstance(x, float) for x in value[2:]), value
    if not callers:
        roots.append(func)
assert len(roots) == 1, roots
top = max(st.stats, key=lambda f: st.stats[f][3])
assert top == roots[0], (top, roots)
assert abs(st.stats[top][3] - st.total_tt) < 1e-9, (st.stats[top][3], st.total_tt)
print(roots[0][2])
'''
        r = run([SYSTEM_PYTHON, "-c", walk, prof])
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(r.stdout.decode().strip(), "<module>")

    def test_pyprof2calltree_converts(self):
        out = os.path.join(self.tmp, "out.callgrind")
        r = run([PYPROF2CALLTREE, "-i", self.prof, "-o", out])
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        with open(out, encoding="utf-8") as f:
            text = f.read()
        self.assertIn("events:", text)
        functions = set(re.findall(r"^fn=(?:\(\d+\) )?(.*)$", text, re.M))
        for file, line, name in self.expected:
            if file != "~":
                self.assertTrue(any(name in fn for fn in functions),
                                "%s missing from the callgrind file" % name)
        self.assertRegex(text, r"(?m)^cfn=")

    # ------------------------------------------------------------ view

    def pstats_report(self, python, prof, sort=("cumulative",), amount=(), mode="print_stats"):
        script = ("import pstats, sys\n"
                  "s = pstats.Stats(sys.argv[1])\n"
                  "s.sort_stats(*%r)\n"
                  "s.%s(*%r)\n" % (tuple(sort), mode, tuple(amount)))
        r = run([python, "-c", script, prof])
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        return r.stdout.decode("utf-8", errors="replace")

    def view_report(self, prof, args=(), view=None):
        r = run((view or [self.view]) + [prof] + list(args))
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(r.stderr, b"")
        return r.stdout.decode("utf-8", errors="replace")

    def test_view_prints_what_pstats_prints(self):
        cases = [
            ((), ("cumulative",), (), "print_stats"),
            (("-s", "time"), ("time",), (), "print_stats"),
            (("-s", "calls", "-s", "name"), ("calls", "name"), (), "print_stats"),
            (("-s", "tottime", "-n", "5"), ("tottime",), (5,), "print_stats"),
            (("-s", "nfl", "fib|parse"), ("nfl",), ("fib|parse",), "print_stats"),
            (("-s", "cumulative", "--callers", "-n", "8"), ("cumulative",), (8,), "print_callers"),
            (("-s", "pcalls", "--callees"), ("pcalls",), (), "print_callees"),
        ]
        for args, sort, amount, mode in cases:
            with self.subTest(args=args):
                ours = self.view_report(self.prof, args)
                theirs = self.pstats_report(SYSTEM_PYTHON, self.prof, sort, amount, mode)
                self.assertEqual(ours, theirs)

    def test_view_totals_match_the_data(self):
        """Each row of `view` shows the reference model's numbers for that function."""
        text = self.view_report(self.prof, ["-s", "stdname"])
        lines = text.splitlines()
        start = lines.index("   ncalls  tottime  percall  cumtime  percall filename:lineno(function)")
        rows = {}
        for line in lines[start + 1:]:
            if not line:
                break
            # print_line(): "%9s %8.3f %8s %8.3f %8s %s"
            calls = line[:9].strip().split("/")
            rows[line[46:]] = (int(calls[0]), int(calls[-1]), line[10:18].strip(), line[28:36].strip())
        self.assertEqual(len(rows), len(self.expected), text)
        for (file, line, name), (cc, nc, tt, ct, _) in self.expected.items():
            if (file, line) == ("~", 0):
                label = "{%s}" % name[1:-1] if name.startswith("<") and name.endswith(">") else name
            else:
                label = "%s:%d(%s)" % (file, line, name)
            self.assertIn(label, rows)
            self.assertEqual(rows[label], (nc, cc, "%.3f" % tt, "%.3f" % ct), label)

    def test_view_through_pyattach_binary(self):
        """`pyattach view` (cli/main.c dispatching to pa_cmd_view) is the same command."""
        binary = harness.pyattach_binary()
        ours = self.view_report(self.prof, ["-s", "time", "-n", "10"], view=[binary, "view"])
        self.assertEqual(ours, self.view_report(self.prof, ["-s", "time", "-n", "10"]))

    def test_view_reads_real_cprofile_dumps(self):
        """A real cProfile dump from each interpreter (2.7's is marshal version 2):
        `view` prints what that interpreter's own pstats prints."""
        workload = r'''
import cProfile, sys
class Klass(object):
    def method(self, n):
        return [len(str(i)) for i in range(n)]
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
def main():
    k = Klass()
    total = 0
    for i in range(30):
        total += fib(12) + sum(k.method(50)) + (lambda x: x * 2)(i)
    sorted(range(100), key=lambda x: -x)
    return total
cProfile.run('main()', sys.argv[1])
'''
        script = os.path.join(self.tmp, "workload.py")
        with open(script, "w") as f:
            f.write(workload)

        def check(label, python):
            prof = os.path.join(self.tmp, "real-%s.prof" % label)
            r = run([python, script, prof])
            self.assertEqual(r.returncode, 0, r.stderr.decode())
            # 2.7's dict order is its hash order, so use total orders there
            sorts = [("stdname",), ("cumulative", "stdname"), ("time", "nfl")]
            if not label.startswith("2."):
                sorts.insert(0, ("cumulative",))
            for sort in sorts:
                args = [a for k in sort for a in ("-s", k)]
                self.assertEqual(self.view_report(prof, args),
                                 self.pstats_report(python, prof, sort), "%s %s" % (label, sort))
            sort = ("cumulative", "stdname")
            args = ["-s", "cumulative", "-s", "stdname"]
            # Python 2's print statement drops the space before a newline ("<- \n" in 3.x):
            # view prints what Python 3 prints, so compare 2.7 without trailing spaces
            norm = (lambda t: re.sub(r" +\n", "\n", t)) if label.startswith("2.") else (lambda t: t)
            self.assertEqual(norm(self.view_report(prof, args + ["--callers", "fib|method"])),
                             self.pstats_report(python, prof, sort, ("fib|method",), "print_callers"))
            self.assertEqual(norm(self.view_report(prof, args + ["--callees", "-n", "4"])),
                             self.pstats_report(python, prof, sort, (4,), "print_callees"))
        harness.for_each_interpreter(self, check, DUMP_INTERPRETERS)

    def test_view_errors(self):
        empty = os.path.join(self.tmp, "empty.prof")
        open(empty, "wb").close()
        text = os.path.join(self.tmp, "text.prof")
        with open(text, "w") as f:
            f.write("this is not a profile\n")
        truncated = os.path.join(self.tmp, "truncated.prof")
        with open(self.prof, "rb") as f:
            data = f.read()
        with open(truncated, "wb") as f:
            f.write(data[:len(data) // 2])
        not_stats = os.path.join(self.tmp, "list.prof")
        r = run([SYSTEM_PYTHON, "-c", "import marshal,sys; open(sys.argv[1],'wb').write(marshal.dumps([1,2]))",
                 not_stats])
        self.assertEqual(r.returncode, 0)
        cases = [
            ([os.path.join(self.tmp, "missing.prof")], "cannot open .*missing.prof: No such file"),
            ([self.tmp], "cannot read .*Is a directory"),
            ([empty], "empty.prof: bad marshal data"),
            ([text], "text.prof: bad marshal data"),
            ([truncated], "truncated.prof: bad marshal data"),
            ([not_stats], "list.prof: not a pstats dump"),
            ([], "missing FILE.prof"),
            ([self.prof, "-s", "bogus"], "unknown sort key 'bogus'"),
            ([self.prof, "-s", "c"], "unknown sort key 'c'"),  # ambiguous in pstats too
            ([self.prof, "-s"], "-s needs a sort key"),
            ([self.prof, "-n", "-3"], "-n wants a row count"),
            ([self.prof, "-n", "x"], "-n wants a row count"),
            ([self.prof, "--frobnicate"], "unknown option '--frobnicate'"),
            ([self.prof, "("], "invalid regular expression '\\('"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                r = run([self.view] + args)
                self.assertEqual(r.returncode, 1, r.stderr)
                err = r.stderr.decode()
                self.assertEqual(err.count("\n"), 1, err)
                self.assertRegex(err, "^pyattach view: ")
                self.assertRegex(err, message)
                self.assertEqual(r.stdout, b"")
        r = run([self.view, "--help"])
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"usage: pyattach view", r.stdout)
        with open("/dev/full", "w") as full:
            r = subprocess.run([self.view, self.prof], stdout=full, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn(b"No space left", r.stderr)

    # ------------------------------------------------------------ collapsed, speedscope

    @staticmethod
    def frame_label(frame, collapsed):
        cid, first, line, file, name = frame
        if collapsed:
            name = re.sub(r"[;\r\n]", "_", name)
            file = re.sub(r"[;\r\n]", "_", file)
        if file == "~":
            return name
        return "%s (%s:%d)" % (name, file, line or first)

    def test_collapsed(self):
        out = self.write_format("collapsed", "out.folded")
        expected = {}
        for s in self.samples:
            if s.frames:
                key = ";".join(self.frame_label(f, True) for f in s.frames)
                expected[key] = expected.get(key, 0) + 1
        got = {}
        with open(out, encoding="utf-8") as f:
            for line in f:
                self.assertTrue(line.endswith("\n"))
                m = re.match(r"^(.+) (\d+)$", line.rstrip("\n"))
                self.assertIsNotNone(m, line)
                self.assertNotIn(m.group(1), got, "stack listed twice")
                got[m.group(1)] = int(m.group(2))
        # keys are built root first, so equality also proves "innermost last"
        self.assertEqual(got, expected)

    def test_speedscope(self):
        out = self.write_format("speedscope", "out.json")
        with open(out, encoding="utf-8") as f:
            doc = json.load(f)
        self.assertEqual(doc["$schema"], "https://www.speedscope.app/file-format-schema.json")
        frames = doc["shared"]["frames"]
        for fr in frames:
            self.assertIsInstance(fr["name"], str)
            if "file" in fr:
                self.assertIsInstance(fr["line"], int)
        threads = sorted(set((s.pid, s.tid) for s in self.samples if s.frames))
        self.assertEqual(len(doc["profiles"]), len(threads))
        labels = [fr["name"] if "file" not in fr else "%s (%s:%d)" % (fr["name"], fr["file"], fr["line"])
                  for fr in frames]
        for profile, (pid, tid) in zip(doc["profiles"], threads):
            self.assertEqual(profile["type"], "sampled")
            self.assertEqual(profile["unit"], "seconds")
            self.assertEqual(profile["name"], "pid %d, thread %d" % (pid, tid))
            self.assertEqual(len(profile["samples"]), len(profile["weights"]))
            # expected: this thread's non-empty samples, consecutive equal stacks merged
            want = []
            for s in self.samples:
                if (s.pid, s.tid) != (pid, tid) or not s.frames:
                    continue
                stack = [self.frame_label(f, False) for f in s.frames]
                if want and want[-1][0] == stack:
                    want[-1][1] += s.weight
                else:
                    want.append([stack, s.weight])
            got = [[[labels[i] for i in sample], w]
                   for sample, w in zip(profile["samples"], profile["weights"])]
            self.assertEqual([g[0] for g in got], [w[0] for w in want])
            for g, w in zip(got, want):
                self.assertAlmostEqual(g[1], w[1], places=12)
            self.assertAlmostEqual(profile["endValue"] - profile["startValue"],
                                   sum(w for _, w in want), places=9)

    def test_text_writer(self):
        out = self.write_format("text", "out.txt")
        with open(out, encoding="utf-8") as f:
            ours = f.read()
        theirs = self.pstats_report(SYSTEM_PYTHON, self.prof)
        # pstats names the file first ("<ctime>    <path>" and a blank line); a recording has none
        self.assertEqual(ours, theirs.split("\n", 2)[2])

    # ------------------------------------------------------------ scale

    def test_memory_and_speed_at_1khz_for_10_minutes(self):
        """600,000 samples over thousands of distinct stacks: the pstats writer stays
        within 20 MB and adding a sample costs O(depth)."""
        r = run([self.feed, "-f", "pstats", "-o", os.path.join(self.tmp, "big.prof"),
                 "--generate", "600000,5000,40"])
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        m = re.search(r"maxrss_kb=(\d+) aggregate_bytes=(\d+) seconds=([\d.]+)", r.stderr.decode())
        self.assertIsNotNone(m, r.stderr)
        maxrss_kb, agg_bytes, seconds = int(m.group(1)), int(m.group(2)), float(m.group(3))
        self.assertLess(agg_bytes, 16 << 20, "aggregation holds %d bytes" % agg_bytes)
        if not SANITIZED:  # ASan's shadow memory and quarantine make RSS meaningless
            self.assertLess(maxrss_kb, 20 * 1024, "max RSS %d kB" % maxrss_kb)
            self.assertLess(seconds, 20.0, "600k samples took %.1f s of CPU" % seconds)
        out = pstats_load(SYSTEM_PYTHON, os.path.join(self.tmp, "big.prof"))
        self.assertGreater(len(out["stats"]), 100)
        self.assertTrue(out["byte_identical"])


if __name__ == "__main__":
    unittest.main()
