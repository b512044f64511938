# Failures of `pyattach dump`: exit status 1 (usage), 2 (target), 3 (output), and
# always exactly one line on stderr starting with "pyattach: ", nothing on stdout.
import os
import pwd
import shutil
import struct
import subprocess
import tempfile
import unittest

import harness as h

# A Python 2 target: prints READY, then sleeps (pyattach supports 3.6+ only).
PY2_SLEEPER = ("import sys, time; sys.stdout.write('READY {}\\n'); sys.stdout.flush(); "
               "time.sleep(3600)")


def setUpModule():
    h.require_interpreters(h.INTERPRETERS + [h.PYTHON27])
    h.pyattach_binary()


class ErrorTestCase(unittest.TestCase):
    def assert_error(self, result, status):
        """Exit `status`, stdout empty, stderr exactly one line "pyattach: ...";
        returns that line."""
        self.assertEqual(result.rc, status, "%s: stdout %r stderr %r"
                         % (result.argv, result.stdout, result.stderr))
        self.assertEqual(result.stdout, "", "%s printed to stdout" % (result.argv,))
        self.assertTrue(result.stderr.startswith("pyattach: "), result.stderr)
        self.assertTrue(result.stderr.endswith("\n"), result.stderr)
        self.assertEqual(result.stderr.count("\n"), 1, "not one line: %r" % result.stderr)
        return result.stderr.rstrip("\n")


def real_debug_offsets(label, size):
    """The first `size` bytes of _PyRuntime (its _Py_DebugOffsets) of a distro interpreter."""
    python = dict(h.DISTRO_INTERPRETERS)[label]
    code = ("import ctypes, sys; sys.stdout.buffer.write(ctypes.string_at(ctypes.addressof("
            "ctypes.c_char.in_dll(ctypes.pythonapi, '_PyRuntime')), %d))" % size)
    data = subprocess.check_output([python, "-c", code])
    assert data[:8] == b"xdebugpy" and len(data) == size, data[:16]
    return data


FAKE_CPYTHON = r'''
#include <stdio.h>
#include <unistd.h>
/* As in CPython: the runtime state in a section of its own, its table first. */
__attribute__((section(".PyRuntime"), used)) unsigned char _PyRuntime[65536] = {%s};
int main(void)
{
    printf("READY {}\n");
    fflush(stdout);
    for (;;)
        pause();
}
'''


def fake_cpython(directory, label, image):
    """A process whose _PyRuntime starts with `image`; returns the executable."""
    source = os.path.join(directory, "fake-%s.c" % label)
    exe = os.path.join(directory, "fake-%s" % label)
    with open(source, "w") as f:
        f.write(FAKE_CPYTHON % ",".join(str(b) for b in image))
    subprocess.check_call(["cc", "-O0", "-rdynamic", "-o", exe, source])
    return exe


class UsageErrors(ErrorTestCase):
    def test_usage_errors_exit_1(self):
        live = str(os.getpid())  # a real Python process: only the command line is wrong
        cases = [
            ["dump"],                           # missing -p
            ["dump", "-p"],                     # -p without a value
            ["dump", "-p", "abc"],
            ["dump", "-p", "12x"],
            ["dump", "-p", ""],
            ["dump", "-p", live, "--bogus"],    # unknown flag
            ["dump", "--bogus", "-p", live],
            ["no-such-command", "-p", live],
        ]
        for args in cases:
            with self.subTest(args=args):
                self.assert_error(h.run_pyattach(args), 1)


class TargetErrors(ErrorTestCase):
    def test_no_such_pid(self):
        pid = h.free_pid()
        for extra in ([], ["--json"]):
            with self.subTest(args=extra):
                line = self.assert_error(h.run_pyattach(["dump", "-p", pid] + extra), 2)
                self.assertIn(str(pid), line)
                self.assertRegex(line.lower(), r"no such (process|pid)|no process")

    def test_not_python(self):
        sleep = shutil.which("sleep")
        with h.Target([sleep, "3600"], ready=False) as target:
            examined = os.readlink("/proc/%d/exe" % target.pid)
            for extra in ([], ["--json"]):
                with self.subTest(args=extra):
                    line = self.assert_error(h.run_pyattach(["dump", "-p", target.pid] + extra), 2)
                    self.assertIn(examined, line, "the message must name the file examined")
            self.assertIsNone(target.proc.poll())

    def test_unsupported_version(self):
        with h.Target([h.PYTHON27[1], "-c", PY2_SLEEPER]) as target:
            line = self.assert_error(h.run_pyattach(["dump", "-p", target.pid]), 2)
            self.assertIn("2.7", line, "the message must name the version")
            self.assertIsNone(target.proc.poll())

    def test_layouts_not_known(self):
        """CPython 3.16+, a free-threaded build and a 3.15 beta whose _Py_DebugOffsets
        layout pyattach does not know: one line naming the version or the build kind,
        exit 2, no stacks and no profile. The targets are small C programs whose
        _PyRuntime holds the real table of Debian's 3.15, with its version or
        free_threaded field changed (no such CPython is packaged here)."""
        image = real_debug_offsets("debian-3.15", 888)
        cases = [
            ("3.16", 0x031000f0, 0, ["CPython 3.16", "newer than the newest layout pyattach knows (3.15)"]),
            ("3.15t", 0x030f00f0, 1, ["free-threaded", "3.15t"]),
            ("3.15.0b3", 0x030f00b3, 0, ["CPython 3.15.0b3", "pre-release older than 3.15.0b4"]),
        ]
        with tempfile.TemporaryDirectory() as tmp:
            for label, version, free_threaded, words in cases:
                with self.subTest(python=label):
                    patched = image[:8] + struct.pack("<QQ", version, free_threaded) + image[24:]
                    fake = fake_cpython(tmp, label, patched)
                    with h.Target([fake]) as target:
                        for args in (["dump", "-p", target.pid], ["dump", "-p", target.pid, "--json"],
                                     ["-p", target.pid, "-d", 1, "-o", os.path.join(tmp, "x.prof")]):
                            line = self.assert_error(h.run_pyattach(args), 2)
                            for word in words:
                                self.assertIn(word, line)
                        self.assertIsNone(target.proc.poll())
                    self.assertFalse(os.path.exists(os.path.join(tmp, "x.prof")))

    def test_permission_denied(self):
        """An unprivileged user cannot read a root-owned interpreter."""
        self.assertEqual(os.geteuid(), 0, "this test must run as root (it drops to nobody)")
        pwd.getpwnam("nobody")  # KeyError, a loud failure, if the user is missing
        yama = "/proc/sys/kernel/yama/ptrace_scope"
        with tempfile.TemporaryDirectory() as tmp:
            binary = h.world_executable_copy(h.pyattach_binary(), tmp)

            def check(label, python):
                with h.start_target(python, "chain_target.py") as target:
                    for extra in ([], ["--json"]):
                        with self.subTest(args=extra):
                            line = self.assert_error(h.run_pyattach(
                                ["dump", "-p", target.pid] + extra, binary=binary, user="nobody"), 2)
                            self.assertIn("CAP_SYS_PTRACE", line)
                            self.assertIn("root", line)
                            if os.path.exists(yama):
                                self.assertIn("ptrace_scope", line)
                    self.assertIsNone(target.proc.poll())
            h.for_each_interpreter(self, check)


class OutputErrors(ErrorTestCase):
    def test_stdout_full_exits_3(self):
        """Writing the dump to a full device is an output error, not a silent success."""
        python = h.interpreter_by_label("3.12.1")
        with h.start_target(python, "threads_target.py") as target, open("/dev/full", "w") as full:
            for extra in ([], ["--json"]):
                with self.subTest(args=extra):
                    self.assert_error(h.run_pyattach(["dump", "-p", target.pid] + extra, stdout=full), 3)


if __name__ == "__main__":
    unittest.main()
