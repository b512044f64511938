# -s on a target that is not CPython (a shell, an entrypoint script, as containers and
# service managers start Python): its Python descendants are followed, also behind a
# shell in the middle, a wrapper that execs Python only later (the same PID becomes
# the target) and children that appear after the first seconds. Without -s the error
# says that -s would follow them; with -s and no Python ever, the run fails.
#
# On every supported CPython. Every wrapper runs in a session of its own; stopping it
# kills its process group, which holds exactly the processes it started. The shells
# here run on the host. A distro interpreter's harness path (debian-3.13/3.14/3.15) is
# itself a wrapper: a shell script that execs unshare, which execs a shell that mounts
# (each mount a short-lived child of its own) and execs chroot, which execs a shell
# that execs the interpreter. Every step execs, so the PID a wrapper's shell starts
# for it is the interpreter's in the end, as a pyenv interpreter's is at once: the
# parent/child relations checked below are the same for both. What differs is that
# pyattach may first meet that PID as sh, unshare or chroot, as it meets a wrapper that
# execs Python later, and the mounts' children under it then.
import os
import shlex
import unittest

from harness import (INTERPRETERS, Target, distro_root, for_each_interpreter, require_interpreters, run_pyattach,
                     script_path)
from test_servers import PROCESS_ROOT, folded_function, read_folded, summary_lines

FOLLOWING = "is not CPython; following its Python descendants (-s)"


# A Python found late (a wrapper that execs it, a child started after seconds) is found
# by the sampler's rounds over the wrapper's descendants, the same for every CPython; the
# attach to each interpreter is proven on all of them by the tests that find it at once.
# The late cases wait 4-5 s each, so they run on the oldest, the static stripped 3.11,
# a shared-libpython build and the newest.
LATE_INTERPRETERS = [i for i in INTERPRETERS if i[0] in ("3.6.15", "debian-3.11", "3.12.1", "debian-3.15")]


def wrapper(shell_command, ready):
    """`sh -c shell_command` in a session of its own; ready: wait for the script's READY."""
    return Target(["sh", "-c", shell_command], ready=ready, own_session=True)


def parent_of(pid):
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


class TestWrapper(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_interpreters()

    def record_shape(self, make_command, ready, seconds, relation, interpreters=INTERPRETERS):
        """Records a wrapper for `seconds` with -s and checks the profile; then
        relation(label, wrapper PID, Python PID) while both still run."""

        def check(label, python):
            script = "%s %s" % (shlex.quote(python), shlex.quote(script_path("shares_target.py")))
            with wrapper(make_command(script), ready) as target:
                out = "/tmp/pyattach-wrapper-%d.folded" % target.pid
                try:
                    r = run_pyattach(["-p", target.pid, "-s", "-d", seconds, "-o", out])
                    self.assertEqual(r.rc, 0, r.stderr)
                    stacks = read_folded(out)
                finally:
                    if os.path.exists(out):
                        os.unlink(out)
                python_pid = (target.truth or target._read_ready())["pid"]
                lines = [line for line in r.stderr.splitlines() if FOLLOWING in line]
                self.assertEqual(len(lines), 1, r.stderr)
                self.assertIn("PID %d (" % target.pid, lines[0])
                # One summary line, the Python process's; none for the wrapper.
                self.assertEqual(sorted(summary_lines(r.stderr)), [python_pid], r.stderr)
                per_root = {}
                for frames, count in stacks:
                    m = PROCESS_ROOT.match(frames[0])
                    self.assertTrue(m, frames[:2])
                    counts = per_root.setdefault(int(m.group(1)), {})
                    for name in set(folded_function(f) for f in frames):
                        counts[name] = counts.get(name, 0) + count
                self.assertEqual(sorted(per_root), [python_pid], r.stderr)
                for name in ("share_20", "share_30", "share_50"):
                    self.assertGreater(per_root[python_pid].get(name, 0), 10, "%s: %r" % (name, per_root))
                # A distro interpreter: the PID followed is the one inside the root.
                root = distro_root(python)
                if root is not None:
                    self.assertEqual(os.readlink("/proc/%d/root" % python_pid), root, label)
                relation(label, target.pid, python_pid)

        for_each_interpreter(self, check, interpreters)

    def test_child_of_a_shell(self):
        def relation(label, shell, python):
            self.assertEqual(parent_of(python), shell, label)
        # "; true": the shell waits for its child instead of exec'ing it
        self.record_shape(lambda script: script + "; true", True, 1, relation)

    def test_grandchild_behind_a_shell_in_the_middle(self):
        def relation(label, shell, python):
            middle = parent_of(python)
            self.assertNotEqual(middle, shell, label)
            self.assertEqual(parent_of(middle), shell, label)

        def command(script):
            return "sh -c %s; true" % shlex.quote(script + "; true")
        self.record_shape(command, True, 1, relation)

    def test_wrapper_that_execs_python_later(self):
        def relation(label, shell, python):
            self.assertEqual(python, shell, label)
        # Attached while still a shell (asleep); the same PID becomes CPython.
        self.record_shape(lambda script: "sleep 1; exec " + script, False, 4, relation, LATE_INTERPRETERS)

    def test_child_that_appears_late(self):
        def relation(label, shell, python):
            self.assertEqual(parent_of(python), shell, label)
        self.record_shape(lambda script: "sleep 2.5; %s; true" % script, False, 5, relation, LATE_INTERPRETERS)

    def test_without_s_the_error_names_the_python_descendant(self):
        def check(label, python):
            script = "%s %s" % (shlex.quote(python), shlex.quote(script_path("shares_target.py")))
            with wrapper(script + "; true", True) as target:
                r = run_pyattach(["-p", target.pid, "-d", 1])
                self.assertEqual(r.rc, 2, r.stderr)
                self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
                self.assertIn("PID %d is not a CPython process" % target.pid, r.stderr)
                self.assertIn("descendant %d is Python: -s (--subprocesses)" % target.truth["pid"], r.stderr)

        for_each_interpreter(self, check)

    def test_without_s_and_no_python_child_the_error_stays(self):
        with wrapper("sleep 30; true", False) as target:
            r = run_pyattach(["-p", target.pid, "-d", 1])
            self.assertEqual(r.rc, 2, r.stderr)
            self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
            self.assertIn("is not a CPython process", r.stderr)
            self.assertNotIn("-s", r.stderr)

    def test_with_s_and_no_python_ever(self):
        with wrapper("sleep 1; sh -c 'sleep 30; true'; true", False) as target:
            r = run_pyattach(["-p", target.pid, "-s", "-d", 2, "-o", "/tmp/pyattach-wrapper-none.prof"])
            self.assertEqual(r.rc, 2, r.stderr)
            lines = r.stderr.splitlines()
            self.assertEqual(len(lines), 2, r.stderr)
            self.assertIn(FOLLOWING, lines[0])
            self.assertIn("no CPython process found under PID %d" % target.pid, lines[1])
            self.assertFalse(os.path.exists("/tmp/pyattach-wrapper-none.prof"))

    def test_top_follows_a_wrapper(self):
        def check(label, python):
            script = "%s %s" % (shlex.quote(python), shlex.quote(script_path("shares_target.py")))
            with wrapper("sleep 1; %s; true" % script, False) as target:
                r = run_pyattach(["top", "-p", target.pid, "-s", "--once", "--delay", 2])
                self.assertEqual(r.rc, 0, r.stderr)
                self.assertIn(FOLLOWING, r.stderr)
                self.assertIn("share_50", r.stdout)

        for_each_interpreter(self, check)


if __name__ == "__main__":
    unittest.main()
