# pyattach as cron runs it against production, on real targets: atomic output that a
# polling reader always loads whole; cron-style runs with %h/%p/%t giving distinct
# files; every failure one line with its exit status (1 usage, 2 target, 3 output),
# no temporary file left, and the target still running; --quiet; the greppable
# summary; a PID reused by another process is not profiled by mistake.
import json
import os
import pstats
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import harness as h

PYTHON = h.interpreter_by_label("3.12.1")
SUMMARY = re.compile(r"^pyattach: PID (\d+) \(CPython ([0-9.]+)\): (\d+) samples, (\d+) with Python frames, "
                     r"(\d+) idle, (\d+) failed, in [0-9.]+ s( \(exited\))?$")
NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all", "--"]


def setUpModule():
    h.require_interpreters(h.INTERPRETERS + [h.PYTHON27])
    h.pyattach_binary()


def functions_of(path):
    return {func for (_, _, func) in pstats.Stats(path).stats}


def hidden_files(directory):
    """Temporary files of the atomic write are dot files next to the output."""
    return [name for name in os.listdir(directory) if name.startswith(".")]


class Mount(object):
    """A tmpfs mounted for one test, always unmounted."""

    def __init__(self, directory, options):
        self.directory = directory
        subprocess.check_call(["mount", "-t", "tmpfs", "-o", options, "tmpfs", directory])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        subprocess.check_call(["umount", self.directory])
        return False


class Case(unittest.TestCase):
    def assert_one_line(self, result, status):
        """Exit `status` and exactly one line on stderr, "pyattach: ..."; returns it."""
        self.assertEqual(result.rc, status, "%s: stdout %r stderr %r" % (result.argv, result.stdout, result.stderr))
        self.assertEqual(result.stdout, "")
        self.assertTrue(result.stderr.startswith("pyattach: "), result.stderr)
        self.assertEqual(result.stderr.count("\n"), 1, "not one line: %r" % result.stderr)
        return result.stderr.rstrip("\n")

    def assert_running(self, target):
        self.assertIsNone(target.proc.poll(), "the target died")
        self.assertNotIn(h.proc_state(target.pid), ("t", "T", "Z"))
        self.assertEqual(h.tracer_pid(target.pid), 0)


class AtomicOutput(Case):
    def test_polling_reader_always_loads_a_complete_profile(self):
        """A reader loads the path as fast as it can while ten runs replace it; the big
        profile of prod_wide.py (~170 KB) keeps each write long enough to be caught."""
        with tempfile.TemporaryDirectory() as tmp, h.start_target(PYTHON, "prod_wide.py") as target:
            out = os.path.join(tmp, "live.prof")
            stop = threading.Event()
            loads, failures = [0], []

            def reader():
                while not stop.is_set():
                    try:
                        stats = pstats.Stats(out)
                    except FileNotFoundError:
                        continue  # before the first run wrote it
                    except Exception as e:  # a partial file: marshal/EOF/type errors
                        failures.append(repr(e))
                        continue
                    if "wide_function_number_0799_with_a_long_name" not in {f for (_, _, f) in stats.stats}:
                        failures.append("a profile without the innermost function")
                    loads[0] += 1

            thread = threading.Thread(target=reader)
            thread.start()
            try:
                inodes = set()
                for run in range(10):
                    result = h.run_pyattach(["-p", target.pid, "-d", 0.2, "-q", "-o", out])
                    self.assertEqual(result.rc, 0, result.stderr)
                    inodes.add(os.stat(out).st_ino)
            finally:
                stop.set()
                thread.join()
            self.assertEqual(failures, [])
            self.assertGreater(loads[0], 10, "the reader hardly ran")
            self.assertGreater(len(inodes), 1, "the file must be replaced (rename), not rewritten")
            self.assertEqual(os.listdir(tmp), ["live.prof"])
            self.assert_running(target)

    def test_three_cron_runs_give_three_distinct_files(self):
        """The crontab line of the issue, three times back to back (-s, %h-%p-%t)."""
        host = socket.gethostname()
        with tempfile.TemporaryDirectory() as tmp, h.start_target(PYTHON, "prod_busy.py") as target:
            template = os.path.join(tmp, "%h-%p-%t.prof")
            for run in range(3):
                result = h.run_pyattach(["-p", target.pid, "-s", "-d", 1, "-o", template])
                self.assertEqual(result.rc, 0, result.stderr)
            names = sorted(os.listdir(tmp))
            self.assertEqual(len(names), 3, names)
            pattern = re.compile(r"^%s-%d-(\d{8}T\d{6}Z)\.prof$" % (re.escape(host), target.pid))
            stamps = []
            for name in names:
                match = pattern.match(name)
                self.assertIsNotNone(match, "%s does not follow %%h-%%p-%%t" % name)
                stamps.append(match.group(1))
                self.assertIn("busy_leaf", functions_of(os.path.join(tmp, name)))
            self.assertEqual(len(set(stamps)), 3)
            # %t is UTC in ISO-8601 basic form: it parses, and it is now (not local time).
            import calendar
            for stamp in stamps:
                when = calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))
                self.assertLess(abs(when - time.time()), 60, stamp)
            self.assert_running(target)

    def test_existing_file_is_replaced(self):
        with tempfile.TemporaryDirectory() as tmp, h.start_target(PYTHON, "prod_busy.py") as target:
            out = os.path.join(tmp, "out.prof")
            with open(out, "w") as f:
                f.write("old contents, not a profile")
            result = h.run_pyattach(["-p", target.pid, "-d", 0.3, "-o", out])
            self.assertEqual(result.rc, 0, result.stderr)
            self.assertIn("busy_leaf", functions_of(out))
            self.assertEqual(os.listdir(tmp), ["out.prof"])


class OutputErrors(Case):
    def test_missing_directory(self):
        with tempfile.TemporaryDirectory() as tmp, h.start_target(PYTHON, "prod_busy.py") as target:
            missing = os.path.join(tmp, "not", "there")
            start = time.monotonic()
            line = self.assert_one_line(h.run_pyattach(["-p", target.pid, "-d", 20, "-o",
                                                        os.path.join(missing, "x.prof")]), 3)
            self.assertLess(time.monotonic() - start, 10, "found only after the 20 s run")
            self.assertIn(missing, line)
            self.assertIn("does not exist", line)
            self.assertEqual(os.listdir(tmp), [], "the directory must not be created")
            self.assert_running(target)

    def test_read_only_directory(self):
        with tempfile.TemporaryDirectory() as tmp, h.start_target(PYTHON, "prod_busy.py") as target:
            with Mount(tmp, "ro,size=64k"):
                line = self.assert_one_line(h.run_pyattach(["-p", target.pid, "-d", 5,
                                                            "-o", os.path.join(tmp, "x.prof")]), 3)
                self.assertIn("Read-only file system", line)
                self.assertEqual(os.listdir(tmp), [])
            self.assert_running(target)

    def test_unwritable_directory_as_nobody(self):
        """pyattach and the target both run as nobody (the debian interpreter: /root
        is closed to nobody); the output directory belongs to root."""
        python = h.interpreter_by_label("debian-3.11")
        with tempfile.TemporaryDirectory() as tmp:
            binary = h.world_executable_copy(h.pyattach_binary(), tmp)
            closed = os.path.join(tmp, "closed")
            os.mkdir(closed, 0o755)
            with h.Target(NOBODY + [python, h.script_path("prod_busy.py")]) as target:
                line = self.assert_one_line(h.run_pyattach(
                    ["-p", target.pid, "-d", 5, "-o", os.path.join(closed, "x.prof")],
                    binary=binary, user="nobody"), 3)
                self.assertIn("Permission denied", line)
                self.assertEqual(os.listdir(closed), [])
                self.assert_running(target)

    def test_disk_full(self):
        """A profile bigger than a 64 KiB tmpfs: exit 3 naming the cause, no temporary
        file left, and the previous profile at that path still intact."""
        with tempfile.TemporaryDirectory() as tmp, h.start_target(PYTHON, "prod_wide.py") as target:
            with Mount(tmp, "size=64k"):
                out = os.path.join(tmp, "out.prof")
                with h.start_target(PYTHON, "prod_busy.py") as small:
                    first = h.run_pyattach(["-p", small.pid, "-d", 0.2, "-q", "-o", out])
                self.assertEqual(first.rc, 0, first.stderr)
                before = open(out, "rb").read()
                for fmt in ("out.prof", "out.txt", "out.json", "out.folded"):
                    with self.subTest(output=fmt):
                        path = os.path.join(tmp, fmt)
                        result = h.run_pyattach(["-p", target.pid, "-d", 0.3, "-o", path])
                        self.assertEqual(result.rc, 3, result.stderr)
                        last = result.stderr.rstrip("\n").split("\n")[-1]
                        self.assertRegex(last, r"^pyattach: cannot write %s: .*No space left on device$"
                                         % re.escape(path))
                        self.assertEqual(hidden_files(tmp), [], "temporary file left")
                        self.assertEqual(os.path.exists(path), fmt == "out.prof")
                self.assertEqual(open(out, "rb").read(), before)
                self.assertIn("busy_leaf", functions_of(out))
            self.assert_running(target)


class UsageErrors(Case):
    def test_invalid_options_exit_1(self):
        with tempfile.TemporaryDirectory() as tmp, h.start_target(PYTHON, "prod_busy.py") as target:
            out = os.path.join(tmp, "x.prof")
            pid = str(target.pid)
            cases = [
                (["-d", "-1"], "-d"), (["-d", "0"], "-d"), (["-d", "abc"], "-d"), (["-d", "inf"], "-d"),
                (["-r", "0"], "-r"), (["-r", "-5"], "-r"), (["-r", "1e9"], "-r"), (["-r", "nan"], "-r"),
                (["-m", "bogus"], "-m"), (["--bogus"], "--bogus"), (["-x"], "-x"),
                (["-f", "xml"], "-f"), (["-o", os.path.join(tmp, "x%q.prof")], "%"),
            ]
            for extra, mention in cases:
                with self.subTest(args=extra):
                    args = ["-p", pid, "-d", 1, "-o", out] + extra
                    line = self.assert_one_line(h.run_pyattach(args), 1)
                    self.assertIn(mention, line)
                    self.assertEqual(os.listdir(tmp), [])
            with self.subTest(args="-p missing"):
                self.assert_one_line(h.run_pyattach(["-d", 1, "-o", out]), 1)
            self.assert_running(target)


class TargetErrors(Case):
    def check_no_output(self, tmp):
        self.assertEqual(os.listdir(tmp), [])

    def test_no_such_pid(self):
        with tempfile.TemporaryDirectory() as tmp:
            pid = h.free_pid()
            line = self.assert_one_line(h.run_pyattach(["-p", pid, "-d", 1, "-o", os.path.join(tmp, "x.prof")]), 2)
            self.assertIn(str(pid), line)
            self.assertIn("no process", line.lower())
            self.check_no_output(tmp)

    def test_not_python(self):
        with tempfile.TemporaryDirectory() as tmp, h.Target([shutil.which("sleep"), "3600"], ready=False) as target:
            examined = os.readlink("/proc/%d/exe" % target.pid)
            line = self.assert_one_line(h.run_pyattach(["-p", target.pid, "-d", 1,
                                                        "-o", os.path.join(tmp, "x.prof")]), 2)
            self.assertIn("not a CPython process", line)
            self.assertIn(examined, line, "the message must name the file examined")
            self.check_no_output(tmp)
            self.assert_running(target)

    def test_unsupported_version(self):
        sleeper = ("import sys, time; sys.stdout.write('READY {}\\n'); sys.stdout.flush(); time.sleep(3600)")
        with tempfile.TemporaryDirectory() as tmp, h.Target([h.PYTHON27[1], "-c", sleeper]) as target:
            line = self.assert_one_line(h.run_pyattach(["-p", target.pid, "-d", 1,
                                                        "-o", os.path.join(tmp, "x.prof")]), 2)
            self.assertIn("2.7.18", line, "the message must name the version")
            self.assertIn("not supported", line)
            self.check_no_output(tmp)
            self.assert_running(target)

    def test_permission_denied(self):
        self.assertEqual(os.geteuid(), 0, "this test must run as root (it drops to nobody)")
        with tempfile.TemporaryDirectory() as tmp, h.start_target(PYTHON, "prod_busy.py") as target:
            binary = h.world_executable_copy(h.pyattach_binary(), tmp)
            outdir = os.path.join(tmp, "out")
            os.mkdir(outdir, 0o777)
            os.chmod(outdir, 0o777)
            for extra in ([], ["--blocking"]):
                with self.subTest(args=extra):
                    line = self.assert_one_line(h.run_pyattach(
                        ["-p", target.pid, "-d", 1, "-o", os.path.join(outdir, "x.prof")] + extra,
                        binary=binary, user="nobody"), 2)
                    self.assertIn("permission denied", line.lower())
                    self.assertIn("root", line)
                    self.assertIn("CAP_SYS_PTRACE", line)
                    self.assertIn("ptrace_scope", line)
                    self.assertEqual(os.listdir(outdir), [])
            self.assert_running(target)

    def test_blocking_permission_denied_for_a_traced_target(self):
        """--blocking needs ptrace; a target already traced (by a debugger, here a
        tracer we start) gives exit 2 at once, and the target runs on."""
        tracer = ("import ctypes, sys, time; libc = ctypes.CDLL(None, use_errno=True); "
                  "r = libc.ptrace(0x4206, int(sys.argv[1]), None, None); "  # PTRACE_SEIZE
                  "sys.stdout.write('READY {\"seized\": %d}\\n' % r); sys.stdout.flush(); time.sleep(3600)")
        with tempfile.TemporaryDirectory() as tmp, h.start_target(PYTHON, "prod_busy.py") as target:
            with h.Target(["/usr/bin/python3", "-c", tracer, str(target.pid)]) as seizer:
                self.assertEqual(seizer.truth["seized"], 0)
                line = self.assert_one_line(h.run_pyattach(
                    ["-p", target.pid, "-d", 1, "--blocking", "-o", os.path.join(tmp, "x.prof")]), 2)
                self.assertIn("ptrace", line)
                self.check_no_output(tmp)
                self.assertIsNone(target.proc.poll())


class Reporting(Case):
    def test_quiet_prints_nothing_on_success(self):
        with tempfile.TemporaryDirectory() as tmp, h.start_target(PYTHON, "prod_busy.py") as target:
            out = os.path.join(tmp, "q.prof")
            result = h.run_pyattach(["-p", target.pid, "-d", 0.5, "-q", "-o", out])
            self.assertEqual((result.rc, result.stdout, result.stderr), (0, "", ""))
            self.assertIn("busy_leaf", functions_of(out))
            # --quiet does not hide failures.
            line = self.assert_one_line(h.run_pyattach(["-p", target.pid, "-d", 0.5, "-q",
                                                        "-o", os.path.join(tmp, "no", "x.prof")]), 3)
            self.assertIn("does not exist", line)

    def test_summary_is_one_greppable_line_per_process(self):
        with tempfile.TemporaryDirectory() as tmp, \
                h.start_target(PYTHON, "prod_busy.py") as first, \
                h.start_target(h.interpreter_by_label("3.9.18"), "prod_busy.py") as second:
            out = os.path.join(tmp, "%p.prof")
            result = h.run_pyattach(["-p", "%d,%d" % (first.pid, second.pid), "-d", 0.5, "-o", out])
            self.assertEqual(result.rc, 0, result.stderr)
            lines = result.stderr.rstrip("\n").split("\n")
            self.assertTrue(all(line.startswith("pyattach: ") for line in lines), lines)
            summaries = [SUMMARY.match(line) for line in lines if line.startswith("pyattach: PID ")]
            self.assertTrue(all(summaries), lines)
            self.assertEqual(sorted(int(m.group(1)) for m in summaries), sorted([first.pid, second.pid]))
            versions = {int(m.group(1)): m.group(2) for m in summaries}
            self.assertEqual(versions, {first.pid: "3.12.1", second.pid: "3.9.18"})
            for m in summaries:
                self.assertGreater(int(m.group(4)), 0)
            wrote = [line for line in lines if line.startswith("pyattach: wrote ")]
            self.assertEqual(sorted(wrote), sorted("pyattach: wrote %s" % os.path.join(tmp, "%d.prof" % p)
                                                   for p in (first.pid, second.pid)))


# Runs inside a fresh PID namespace (so PIDs are handed out in order and
# ns_last_pid makes the next one predictable): target A is profiled, exits and is
# reaped; within a millisecond an impostor, forked from a Python that was already
# running, gets A's PID. Both run without ASLR, so the impostor's interpreter sits
# at A's addresses: a sampler that trusted the PID would read its stacks as A's.
PID_REUSE_DRIVER = r"""
import json, os, subprocess, sys, time
pyattach, python, targets, out = sys.argv[1:5]
def start(script, *args):
    p = subprocess.Popen(["setarch", "-R", python, os.path.join(targets, script)] + list(args),
                         stdout=subprocess.PIPE, stdin=subprocess.PIPE)
    assert p.stdout.readline().startswith(b"READY"), script
    return p
forker = start("prod_impostor.py", "--fork")
a = start("prod_busy.py", "--exit-after", "1")
rec = subprocess.Popen([pyattach, "-p", str(a.pid), "-d", "20", "-r", RATE, "-o", out], stderr=subprocess.PIPE)
a.wait()
died = time.monotonic()
with open("/proc/sys/kernel/ns_last_pid", "w") as f:
    f.write(str(a.pid - 1))
forker.stdin.write(b"go\n")
forker.stdin.flush()
child = int(forker.stdout.readline().split()[1])
err = rec.communicate(timeout=60)[1].decode()
ended = time.monotonic()
reused = child == a.pid and os.path.exists("/proc/%d" % child)
os.kill(child, 9)
forker.kill()
forker.wait()
print(json.dumps({"rc": rec.returncode, "stderr": err, "reused": reused, "a": a.pid, "child": child,
                  "late": ended - died}))
"""


class PidReuse(Case):
    def test_reused_pid_is_not_profiled(self):
        reused = 0
        with tempfile.TemporaryDirectory() as tmp:
            # Above 2 kHz stacks wait up to 0.5 ms for the check that the target lives
            # (sampler/pending_stacks.h); at 20 kHz the sampler mostly sees the gap between
            # the exit and the impostor, so those attempts check that held stacks of a
            # target that exits are dropped cleanly, the 100 Hz ones the race itself.
            for attempt, rate in enumerate([100, 1000, 20000] * 4):
                with self.subTest(attempt=attempt, rate=rate):
                    out = os.path.join(tmp, "reuse%d.prof" % attempt)
                    driver = PID_REUSE_DRIVER.replace("RATE", repr(str(rate)))
                    proc = subprocess.run(
                        ["unshare", "--pid", "--fork", "--mount-proc", "/usr/bin/python3", "-c", driver,
                         h.pyattach_binary(), PYTHON, h.TARGETS, out],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
                    self.assertEqual(proc.returncode, 0, proc.stderr.decode())
                    report = json.loads(proc.stdout.decode().strip().split("\n")[-1])
                    # Another process in the namespace (a sanitizer's helper, say) may take
                    # the PID first: that attempt then proves nothing, but most must happen.
                    self.assertEqual(report["rc"], 0, report["stderr"])
                    if not report["reused"]:
                        continue
                    reused += 1
                    self.assertLess(report["late"], 1.5, report)
                    self.assertIn("(exited)", report["stderr"])
                    functions = functions_of(out)
                    self.assertIn("busy_leaf", functions)
                    self.assertEqual(sorted(f for f in functions if f.startswith("impostor")), [],
                                     "the process that took over the PID was profiled")
        self.assertGreaterEqual(reused, 6, "the impostor got the target's PID in only %d of 12 attempts" % reused)

    def test_pid_of_an_exited_target_is_an_error_next_run(self):
        """Between cron runs the PID file points to a process that is gone, or to a
        PID now used by a non-Python program: exit 2, never a profile of it."""
        with tempfile.TemporaryDirectory() as tmp:
            with h.start_target(PYTHON, "prod_busy.py") as target:
                pid = target.pid
            line = self.assert_one_line(h.run_pyattach(["-p", pid, "-d", 1, "-o", os.path.join(tmp, "x.prof")]), 2)
            self.assertIn(str(pid), line)
            self.assertEqual(os.listdir(tmp), [])


if __name__ == "__main__":
    unittest.main()
