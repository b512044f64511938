# An output that cannot be written is found before the first sample (issue 14, item 2):
# pyattach creates the real temporary file of the atomic write (.NAME.XXXXXX next to
# NAME) and reserves a block of it before sampling. /proc, a read-only bind mount, a
# read-only and a full file system, a path under a regular file and a missing
# directory each end a 20 s run at once: exit 3, one "pyattach: " line, no summary
# (nothing sampled), the directory left as it was. The same for %p files with -s (a
# process found later whose file cannot be made ends the run), --every, and top's
# save key (the error in the status line, top goes on). A disk that fills during the
# write still fails cleanly. File systems are mounted here and unmounted in finally;
# we kill only the processes we start.
import contextlib
import os
import re
import stat
import subprocess
import tempfile
import time
import unittest

import harness as h
import test_top

PYTHON = h.interpreter_by_label("3.12.1")
SUMMARY = re.compile(r"^pyattach: PID \d+ \(CPython", re.M)
AT_ONCE = 10.0  # seconds; every run below asks for 20 s of sampling


def setUpModule():
    h.require_interpreters([("3.12.1", PYTHON)])
    h.pyattach_binary()


def tearDownModule():
    test_top.tearDownModule()  # the tmux server of the save-key test


@contextlib.contextmanager
def mounted(directory, *mount_args, remount=None):
    """mount ... directory (then mount -o remount,... when given); always unmounted."""
    subprocess.check_call(["mount"] + list(mount_args) + [directory])
    try:
        if remount:
            subprocess.check_call(["mount", "-o", "remount," + remount, directory])
        yield directory
    finally:  # a shell that had its cwd there may take a moment to go
        deadline = time.monotonic() + 10
        while subprocess.call(["umount", directory], stderr=subprocess.DEVNULL) != 0:
            if time.monotonic() > deadline:
                subprocess.check_call(["umount", directory])
            time.sleep(0.1)


def fill(directory):
    """Fill the file system of directory to the last block."""
    subprocess.call(["dd", "if=/dev/zero", "of=" + os.path.join(directory, "fill"), "bs=4096"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class OutputCheckedFirst(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pyattach-outerr-")
        self.addCleanup(subprocess.call, ["rm", "-rf", self.tmp])

    def target(self, script="prod_busy.py"):
        target = h.Target([PYTHON, h.script_path(script)], own_session=True).__enter__()
        self.addCleanup(target.kill)
        return target

    def assert_fails_at_once(self, args, directory, left=(), needle=None):
        """Exit 3 within AT_ONCE of a 20 s run, one line, no summary, directory holds only `left`."""
        target = self.target()
        start = time.monotonic()
        result = h.run_pyattach(["-p", target.pid, "-d", 20] + list(args))
        elapsed = time.monotonic() - start
        self.assertEqual(result.rc, 3, result.stderr)
        self.assertEqual(result.stdout, "")
        self.assertTrue(result.stderr.startswith("pyattach: "), result.stderr)
        self.assertEqual(result.stderr.count("\n"), 1, "not one line: %r" % result.stderr)
        self.assertIsNone(SUMMARY.search(result.stderr), "something was sampled")
        self.assertLess(elapsed, AT_ONCE, "found only after sampling")
        if needle:
            self.assertIn(needle, result.stderr)
        if directory is not None:
            self.assertEqual(sorted(os.listdir(directory)), sorted(left), "something was left behind")
        self.assertIsNone(target.proc.poll(), "the target died")
        return result.stderr

    def test_proc(self):
        self.assert_fails_at_once(["-o", "/proc/x.prof"], None, needle="/proc/x.prof")
        self.assertFalse(os.path.exists("/proc/x.prof"))

    def test_under_a_regular_file(self):
        regular = os.path.join(self.tmp, "passwd")
        with open(regular, "w") as f:
            f.write("root:x:0:0::/root:/bin/sh\n")
        self.assert_fails_at_once(["-o", os.path.join(regular, "x.prof")], self.tmp, ["passwd"],
                                  needle="not a directory")
        self.assert_fails_at_once(["-o", "/etc/passwd/x.prof"], None, needle="/etc/passwd/x.prof")
        with open(regular) as f:
            self.assertEqual(f.read(), "root:x:0:0::/root:/bin/sh\n")

    def test_missing_directory(self):
        missing = os.path.join(self.tmp, "not", "there")
        self.assert_fails_at_once(["-o", os.path.join(missing, "x.prof")], self.tmp, needle="does not exist")

    def test_read_only_bind_mount(self):
        source, view = os.path.join(self.tmp, "source"), os.path.join(self.tmp, "view")
        os.mkdir(source)
        os.mkdir(view)
        with mounted(view, "--bind", source, remount="bind,ro"):
            self.assert_fails_at_once(["-o", os.path.join(view, "x.prof")], view, needle="Read-only file system")
        self.assertEqual(os.listdir(source), [])

    def test_read_only_file_system(self):
        with mounted(self.tmp, "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs"):
            self.assert_fails_at_once(["-o", os.path.join(self.tmp, "x.prof")], self.tmp,
                                      needle="Read-only file system")

    def test_full_file_system(self):
        """Creating a file succeeds on a full tmpfs; reserving its first block does not."""
        with mounted(self.tmp, "-t", "tmpfs", "-o", "size=64k", "tmpfs"):
            fill(self.tmp)
            self.assert_fails_at_once(["-o", os.path.join(self.tmp, "x.prof")], self.tmp, ["fill"],
                                      needle="No space left on device")

    def test_per_process_files_with_s(self):
        """-s with %p: the first file is proven before sampling; a process found later
        whose file cannot be created ends the run at once (here its directory is
        missing), and no file of the others is left either."""
        with mounted(self.tmp, "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs"):
            self.assert_fails_at_once(["-s", "-o", os.path.join(self.tmp, "%p-%t.prof")], self.tmp,
                                      needle="Read-only file system")
        target = self.target("subprocess_target.py")  # starts a child every 0.8 s
        os.mkdir(os.path.join(self.tmp, str(target.pid)))
        start = time.monotonic()
        result = h.run_pyattach(["-p", target.pid, "-s", "-d", 20, "-o", os.path.join(self.tmp, "%p", "x.prof")])
        self.assertLess(time.monotonic() - start, AT_ONCE)
        self.assertEqual(result.rc, 3, result.stderr)
        self.assertRegex(result.stderr, r"^pyattach: cannot write %s/\d+/x\.prof: the directory does not exist\n$"
                         % re.escape(self.tmp))
        self.assertEqual(os.listdir(self.tmp), [str(target.pid)])
        self.assertEqual(os.listdir(os.path.join(self.tmp, str(target.pid))), [], "the parent's file was left")
        self.assertIsNone(target.proc.poll())

    def test_every(self):
        with mounted(self.tmp, "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs"):
            self.assert_fails_at_once(["--every", 1, "-o", os.path.join(self.tmp, "%t.prof")], self.tmp,
                                      needle="Read-only file system")

    def test_every_interval_that_does_not_fit(self):
        """--every: the first interval's profile (170 KB) does not fit a 64 KiB tmpfs:
        the run ends at that interval's end with one line, no file of it or of the next."""
        with mounted(self.tmp, "-t", "tmpfs", "-o", "size=64k", "tmpfs"):
            target = self.target("prod_wide.py")
            start = time.monotonic()
            result = h.run_pyattach(["-p", target.pid, "-d", 20, "--every", 1, "-q",
                                     "-o", os.path.join(self.tmp, "%t.prof")])
            self.assertLess(time.monotonic() - start, AT_ONCE)
            self.assertEqual(result.rc, 3, result.stderr)
            self.assertRegex(result.stderr, r"^pyattach: cannot write %s/\d{8}T\d{6}Z\.prof: .*No space left on "
                             r"device\n$" % re.escape(self.tmp))
            self.assertEqual(os.listdir(self.tmp), [])
            self.assertIsNone(target.proc.poll())

    def test_disk_fills_during_the_write(self):
        """The reservation passes, the 170 KB profile does not fit a 64 KiB tmpfs: exit 3,
        one line (-q), no temporary file, the previous profile untouched."""
        with mounted(self.tmp, "-t", "tmpfs", "-o", "size=64k", "tmpfs"):
            out = os.path.join(self.tmp, "out.prof")
            with open(out, "wb") as f:
                f.write(b"previous profile")
            target = self.target("prod_wide.py")
            result = h.run_pyattach(["-p", target.pid, "-d", 0.3, "-q", "-o", out])
            self.assertEqual(result.rc, 3, result.stderr)
            self.assertRegex(result.stderr, r"^pyattach: cannot write %s: .*No space left on device\n$"
                             % re.escape(out))
            self.assertEqual(os.listdir(self.tmp), ["out.prof"])
            with open(out, "rb") as f:
                self.assertEqual(f.read(), b"previous profile")


def has_open(pid, path):
    """Whether process pid has path open (its /proc fd table), or is opening it as a
    FIFO's reader: blocked in that open it already counts as the reader (the kernel
    takes the read end, then waits for a writer: wchan wait_for_partner) but has no fd
    yet. Only for a process that opens nothing else meanwhile (cat FIFO)."""
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == path:
                return True
        with open("/proc/%d/wchan" % pid) as f:
            return f.read().strip() == "wait_for_partner"
    except OSError:
        return False


class OutputInPlace(unittest.TestCase):
    """A device, a pipe or a terminal named by -o is written in place: renaming the
    temporary file over /dev/null replaced the device node with a regular file (as
    root). A device node of our own stands for /dev/null here, so a regression
    cannot break the machine's."""
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pyattach-inplace-")
        self.addCleanup(subprocess.call, ["rm", "-rf", self.tmp])
        target = h.Target([PYTHON, h.script_path("prod_busy.py")], own_session=True).__enter__()
        self.addCleanup(target.kill)
        self.target = target

    def test_a_device_stays_a_device(self):
        null = os.path.join(self.tmp, "null")
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        result = h.run_pyattach(["-p", self.target.pid, "-d", 1, "-q", "-o", null])
        self.assertEqual(result.rc, 0, result.stderr)
        st = os.stat(null)
        self.assertTrue(stat.S_ISCHR(st.st_mode), "the device node was replaced")
        self.assertEqual(st.st_rdev, os.makedev(1, 3))
        self.assertEqual(sorted(os.listdir(self.tmp)), ["null"], "a temporary file was left behind")

    def test_a_pipe_with_a_reader_gets_the_profile(self):
        fifo = os.path.join(self.tmp, "fifo")
        os.mkfifo(fifo)
        reader = subprocess.Popen(["cat", fifo], stdout=subprocess.PIPE)
        self.addCleanup(reader.wait)
        self.addCleanup(reader.kill)
        # cat is the FIFO's reader only once its open is under way: wait for that, or
        # pyattach may come first and (rightly) find a pipe with no reader (seen in CI).
        deadline = time.monotonic() + 30
        while not has_open(reader.pid, fifo):
            self.assertIsNone(reader.poll(), "cat exited before opening the FIFO")
            self.assertLess(time.monotonic(), deadline, "cat never opened the FIFO")
            time.sleep(0.01)
        result = h.run_pyattach(["-p", self.target.pid, "-d", 1, "-q", "-o", fifo])
        self.assertEqual(result.rc, 0, result.stderr)
        data, _ = reader.communicate(timeout=30)
        copy = os.path.join(self.tmp, "copy.prof")
        with open(copy, "wb") as f:
            f.write(data)
        check = subprocess.run(["/usr/bin/python3", "-c", "import pstats, sys; "
                                "print(pstats.Stats(sys.argv[1]).total_tt > 0)", copy],
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(check.stdout.strip(), "True", check.stderr)

    def test_a_pipe_without_a_reader_fails_at_once(self):
        fifo = os.path.join(self.tmp, "fifo")
        os.mkfifo(fifo)
        start = time.monotonic()
        result = h.run_pyattach(["-p", self.target.pid, "-d", 20, "-o", fifo])
        self.assertLess(time.monotonic() - start, AT_ONCE)
        self.assertEqual(result.rc, 3, result.stderr)
        self.assertEqual(result.stderr, "pyattach: cannot write %s: a pipe with no reader\n" % fifo)

    def test_a_directory_fails_at_once(self):
        start = time.monotonic()
        result = h.run_pyattach(["-p", self.target.pid, "-d", 20, "-o", self.tmp])
        self.assertLess(time.monotonic() - start, AT_ONCE)
        self.assertEqual(result.rc, 3, result.stderr)
        self.assertEqual(result.stderr, "pyattach: cannot write %s: a directory\n" % self.tmp)
        self.assertEqual(os.listdir(self.tmp), [])


class TopSaveKey(unittest.TestCase):
    def test_unwritable_cwd_shows_the_error_and_top_goes_on(self):
        tmp = tempfile.mkdtemp(prefix="pyattach-outerr-top-")
        self.addCleanup(subprocess.call, ["rm", "-rf", tmp])
        source, view = os.path.join(tmp, "source"), os.path.join(tmp, "view")
        os.mkdir(source)
        os.mkdir(view)
        target = h.start_target(h.interpreter_by_label(test_top.SCREEN_PYTHON), "top_target.py").__enter__()
        self.addCleanup(target.kill)
        with mounted(view, "--bind", source, remount="bind,ro"):
            screen = test_top.Screen(view, width=200)
            try:
                screen.type("%s top -p %d" % (h.pyattach_binary(), target.pid))
                screen.send("Enter")
                screen.wait_for(lambda lines: test_top.first_function(lines) == "crunch_alpha", "the table")
                screen.send("s")
                lines = screen.wait_for(lambda lines: "Not saved" in "\n".join(lines), "the error")
                self.assertRegex("\n".join(lines), r"Not saved: cannot write pyattach-top-%d-\d{8}T\d{6}Z\.prof: "
                                 r"cannot create a temporary file: Read-only file system" % target.pid)
                target.proc.send_signal(10)  # SIGUSR1: the target's hot function changes
                screen.wait_for(lambda lines: test_top.first_function(lines) == "crunch_beta",
                                "top going on after the error")
                screen.send("q")
                screen.wait_for(lambda lines: test_top.Screen.last_line(lines) == test_top.PROMPT, "the prompt")
            finally:
                screen.kill()
        self.assertEqual(os.listdir(source), [])
        self.assertIsNone(target.proc.poll())


if __name__ == "__main__":
    unittest.main()
