# pyattach installed with a capability (setcap cap_sys_ptrace+ep, or ambient, as a
# systemd unit's AmbientCapabilities= gives it) and run by a user other than root
# profiles only that user's own unprivileged processes (attach/access_check.c): the
# capability lifts kernel.yama.ptrace_scope and nothing else. Installed as the README
# advises: mode 0750, group of its own, the capability on that file.
#
# The test makes its users and groups (names with this process's PID) and removes
# them after, failure or not. Every pyattach and every target of a user runs through
# setpriv. Yama's ptrace_scope is read and never changed.
import grp
import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import harness as h

# Debian's interpreter: the test users cannot reach pyenv's under /root (mode 0700).
PYTHON = "/usr/bin/python3.11"
YAMA = "/proc/sys/kernel/yama/ptrace_scope"

WRAPPER = r'''
#include <stdio.h>
#include <unistd.h>
/* Execs its arguments: installed set-uid or set-gid, it starts a program with those rights. */
int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    execv(argv[1], argv + 1);
    perror("execv");
    return 127;
}
'''


def setUpModule():
    h.pyattach_binary()
    if os.geteuid() != 0:
        raise AssertionError("test_capability must run as root (it makes users, setcap, setpriv)")
    for tool in ("useradd", "userdel", "groupadd", "groupdel", "setcap", "getcap", "setpriv", "cc"):
        if shutil.which(tool) is None:
            raise AssertionError("%s is missing (.ci/install_deps.sh installs it)" % tool)
    if not os.access(PYTHON, os.X_OK):
        raise AssertionError("%s is missing" % PYTHON)


def ptrace_scope():
    """Yama's setting as it is on this machine, or None without Yama (read only)."""
    try:
        with open(YAMA) as f:
            return int(f.read())
    except FileNotFoundError:
        return None


def status_caps(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1], 16)
    raise AssertionError("no %s in /proc/%d/status" % (field, pid))


class Capability(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        tag = "pyat%d" % os.getpid()
        cls.user = tag + "u"        # runs pyattach: member of the pyattach group
        cls.other = tag + "o"       # owns the set-uid child; not in the group
        cls.group = tag + "g"       # the dedicated group the binary is installed for
        cls.setgid_group = tag + "s"  # the set-gid child's group
        for name in (cls.group, cls.setgid_group):
            subprocess.check_call(["groupadd", name])
            cls.addClassCleanup(subprocess.check_call, ["groupdel", name])
        subprocess.check_call(["useradd", "-M", "-U", "-s", "/usr/sbin/nologin", "-G", cls.group, cls.user])
        cls.addClassCleanup(subprocess.check_call, ["userdel", cls.user])
        subprocess.check_call(["useradd", "-M", "-U", "-s", "/usr/sbin/nologin", cls.other])
        cls.addClassCleanup(subprocess.check_call, ["userdel", cls.other])
        cls.uid = pwd.getpwnam(cls.user).pw_uid
        cls.gid = pwd.getpwnam(cls.user).pw_gid

        cls.tmp = tempfile.mkdtemp(prefix="pyattach-cap-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp)
        os.chmod(cls.tmp, 0o755)
        # The safe installation: root:GROUP 0750, then the capability (chown clears it).
        cls.binary = os.path.join(cls.tmp, "pyattach")
        shutil.copy(h.pyattach_binary(), cls.binary)
        os.chown(cls.binary, 0, grp.getgrnam(cls.group).gr_gid)
        os.chmod(cls.binary, 0o750)
        subprocess.check_call(["setcap", "cap_sys_ptrace+ep", cls.binary])
        caps = subprocess.check_output(["getcap", cls.binary]).decode()
        assert "cap_sys_ptrace" in caps, caps
        # Given more than it needs: it keeps CAP_SYS_PTRACE alone.
        cls.generous = os.path.join(cls.tmp, "pyattach-generous")
        shutil.copy(cls.binary, cls.generous)
        os.chown(cls.generous, 0, grp.getgrnam(cls.group).gr_gid)
        os.chmod(cls.generous, 0o750)
        subprocess.check_call(["setcap", "cap_sys_ptrace,cap_dac_read_search,cap_sys_admin+ep", cls.generous])
        # The same binary with no capability, world-executable: ambient capabilities.
        cls.plain = os.path.join(cls.tmp, "pyattach-plain")
        shutil.copy(h.pyattach_binary(), cls.plain)
        os.chmod(cls.plain, 0o755)
        # Wrappers that start a child with other rights.
        source = os.path.join(cls.tmp, "wrapper.c")
        with open(source, "w") as f:
            f.write(WRAPPER)
        cls.setuid_wrapper = os.path.join(cls.tmp, "as-other-user")
        cls.setgid_wrapper = os.path.join(cls.tmp, "as-other-group")
        for path in (cls.setuid_wrapper, cls.setgid_wrapper):
            subprocess.check_call(["cc", "-O1", "-o", path, source])
        os.chown(cls.setuid_wrapper, pwd.getpwnam(cls.other).pw_uid, -1)
        os.chmod(cls.setuid_wrapper, 0o4755)
        os.chown(cls.setgid_wrapper, 0, grp.getgrnam(cls.setgid_group).gr_gid)
        os.chmod(cls.setgid_wrapper, 0o2755)
        cls.out = os.path.join(cls.tmp, "out")
        os.mkdir(cls.out)
        os.chown(cls.out, cls.uid, cls.gid)

    # ----- running things as the user ---------------------------------------------

    def as_user(self, user=None, ambient=False):
        """setpriv's argv prefix: the user's ids and groups, no capability inherited
        (or CAP_SYS_PTRACE ambient, as systemd's AmbientCapabilities= gives it)."""
        caps = (["--inh-caps=+sys_ptrace", "--ambient-caps=+sys_ptrace"] if ambient else ["--inh-caps=-all"])
        user = user or self.user
        # The program is exec'd by a shell already running as the user: setpriv's own
        # exec still holds root's capabilities and would pass the 0750 mode.
        return (["setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups"] + caps +
                ["--", "/bin/sh", "-c", 'exec "$0" "$@"'])

    def pyattach(self, args, binary=None, ambient=False):
        """pyattach (the installed copy, or `binary`) run by the user with `args`."""
        return self._run(self.as_user(ambient=ambient) + [binary or self.binary] + [str(a) for a in args])

    def _run(self, argv):
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=h.RUN_TIMEOUT)
        return h.Result(proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"), argv)

    def user_target(self, script, *args, **kwargs):
        return h.Target(self.as_user() + [PYTHON, h.script_path(script)] + list(args), **kwargs)

    def assert_refused(self, result, words):
        """Exit 2, nothing on stdout, one line on stderr holding every word."""
        self.assertEqual(result.rc, 2, "%s: stdout %r stderr %r" % (result.argv, result.stdout, result.stderr))
        self.assertEqual(result.stdout, "")
        self.assertTrue(result.stderr.startswith("pyattach: ") and result.stderr.count("\n") == 1, result.stderr)
        for word in words:
            self.assertIn(word, result.stderr)
        return result.stderr

    def assert_untouched(self, target):
        self.assertIsNone(target.proc.poll(), "target exited")
        self.assertEqual(h.tracer_pid(target.pid), 0, "a tracer is attached")
        self.assertNotIn(h.proc_state(target.pid), "tTZX")

    # ----- the cases ---------------------------------------------------------------

    def test_the_setup_is_what_it_claims(self):
        """The binary holds CAP_SYS_PTRACE when the user runs it, a user outside the
        group cannot run it, and Yama is as this machine has it (read, not changed)."""
        scope = ptrace_scope()
        print("kernel.yama.ptrace_scope: %s" % ("no Yama" if scope is None else scope))
        with self.user_target("chain_target.py") as target:
            self.assertEqual(os.stat("/proc/%d" % target.pid).st_uid, self.uid)
            self.assertEqual(status_caps(target.pid, "CapPrm"), 0)
        self.assertEqual(self.pyattach(["--help"]).rc, 0)
        # What pyattach itself holds, as the command it starts sees it ($PPID): only
        # CAP_SYS_PTRACE, none ambient (the command is no Python: exit 2 after it).
        show = "grep -E '^Cap(Prm|Eff|Amb)' /proc/$PPID/status"
        for binary, ambient in ((self.binary, False), (self.generous, False), (self.plain, True)):
            with self.subTest(binary=os.path.basename(binary)):
                result = self.pyattach(["record", "-o", os.path.join(self.out, "x.prof"), "--", "/bin/sh", "-c",
                                        show], binary=binary, ambient=ambient)
                caps = dict((line.split(":")[0], int(line.split()[1], 16)) for line in result.stdout.splitlines())
                self.assertEqual(caps, {"CapPrm": 1 << 19, "CapEff": 1 << 19, "CapAmb": 0}, result)
        denied = self._run(self.as_user(self.other) + [self.binary, "--help"])
        self.assertNotEqual(denied.rc, 0)
        self.assertIn("Permission denied", denied.stderr)
        self.assertEqual(ptrace_scope(), scope)

    def test_root_owned_target_is_refused(self):
        python = h.interpreter_by_label("3.12.1")
        with h.start_target(python, "chain_target.py") as target, h.Target([PYTHON, h.script_path(
                "chain_target.py")]) as debian:
            for pid in (target.pid, debian.pid):
                for args in (["dump", "-p", pid], ["dump", "-p", pid, "--json"], ["dump", "-p", pid, "--native"],
                             ["-p", pid, "-d", 1, "-o", os.path.join(self.out, "x.prof")],
                             ["-p", pid, "-s", "-d", 1, "-o", os.path.join(self.out, "x.prof")],
                             ["top", "-p", pid, "--once"]):
                    with self.subTest(args=args):
                        line = self.assert_refused(self.pyattach(args), [
                            "PID %d belongs to uid 0" % pid, "capabilities for uid %d" % self.uid,
                            "only that user's processes"])
                        self.assertNotIn("CPython", line)  # nothing of the target was read
                    with self.subTest(args=args, ambient=True):
                        self.assert_refused(self.pyattach(args, binary=self.plain, ambient=True),
                                            ["PID %d belongs to uid 0" % pid])
                self.assertEqual(os.listdir(self.out), [])
            self.assert_untouched(target)
            self.assert_untouched(debian)

    def test_own_process_is_profiled(self):
        with self.user_target("chain_target.py") as target:
            for ambient in (False, True):
                with self.subTest(ambient=ambient):
                    binary = self.plain if ambient else self.binary
                    result = self.pyattach(["dump", "-p", target.pid, "--json"], binary=binary, ambient=ambient)
                    self.assertEqual((result.rc, result.stderr), (0, ""), result.argv)
                    doc = json.loads(result.stdout)
                    self.assertEqual(doc["pid"], target.pid)
                    self.assertEqual(doc["version"], target.truth["version"])
                    want = target.truth["threads"][0]
                    got = [t for t in doc["threads"] if t["tid"] == want["tid"]][0]
                    keys = ("function", "qualname", "file", "line", "first_line")
                    self.assertEqual([dict((k, f[k]) for k in keys) for f in got["frames"]], want["frames"])
                    # Its files through /proc/PID/root, and ptrace, for --native.
                    native = self.pyattach(["dump", "-p", target.pid, "--native"], binary=binary, ambient=ambient)
                    self.assertEqual(native.rc, 0, native.stderr)
                    self.assertIn(want["frames"][0]["qualname"], native.stdout)
                    out = os.path.join(self.out, "own.folded")
                    record = self.pyattach(["-p", target.pid, "-d", 0.5, "-o", out], binary=binary,
                                           ambient=ambient)
                    self.assertEqual(record.rc, 0, record.stderr)
                    self.assertEqual(os.stat(out).st_uid, self.uid)  # written with the user's rights
                    with open(out) as f:
                        self.assertIn("drive", f.read())
                    os.unlink(out)
                    # A command it starts gets none of its capabilities: the user's own.
                    spawned = self.pyattach(["record", "-o", out, "--", PYTHON, h.script_path("short_script.py")],
                                            binary=binary, ambient=ambient)
                    self.assertEqual(spawned.rc, 0, spawned.stderr)
                    with open(out) as f:
                        self.assertIn("spawned_work", f.read())
                    os.unlink(out)
            self.assert_untouched(target)

    def test_own_process_not_dumpable_is_refused(self):
        script = ("import ctypes, sys, time; ctypes.CDLL(None).prctl(4, 0, 0, 0, 0); "  # PR_SET_DUMPABLE 0
                  "sys.stdout.write('READY {}\\n'); sys.stdout.flush(); time.sleep(3600)")
        with h.Target(self.as_user() + [PYTHON, "-c", script]) as target:
            self.assertEqual(os.stat("/proc/%d/status" % target.pid).st_uid, 0)
            self.assert_refused(self.pyattach(["dump", "-p", target.pid]),
                                ["PID %d is not dumpable" % target.pid])
            self.assert_untouched(target)

    def test_set_id_children_refused_parent_recorded(self):
        """-s on the user's own parent: its set-uid child (another user) and its set-gid
        child (another group) are each refused with one line; the parent is recorded."""
        argv = self.as_user() + [PYTHON, h.script_path("setid_children_target.py"),
                                 self.setuid_wrapper, self.setgid_wrapper]
        with h.Target(argv, own_session=True) as parent:
            as_other, as_group = parent.truth["children"]
            with open("/proc/%d/status" % as_other) as f:
                self.assertIn("Uid:\t%d\t%d" % (self.uid, pwd.getpwnam(self.other).pw_uid), f.read())
            out = os.path.join(self.out, "tree.folded")
            result = self.pyattach(["-p", parent.pid, "-s", "-d", 2, "-o", out])
            self.assertEqual(result.rc, 0, result.stderr)
            lines = result.stderr.splitlines()
            self.assertTrue(all(line.startswith("pyattach: ") for line in lines), lines)
            skipped = [line for line in lines if "skipped a descendant" in line]
            self.assertEqual(len(skipped), 2, lines)
            self.assertEqual(len([s for s in skipped if "PID %d runs with another user's rights" % as_other in s]),
                             1, skipped)
            self.assertEqual(len([s for s in skipped if "PID %d runs with another group's rights" % as_group in s]),
                             1, skipped)
            summaries = [line for line in lines if line.startswith("pyattach: PID ") and "samples" in line]
            self.assertEqual([int(line.split()[2]) for line in summaries], [parent.pid], lines)
            with open(out) as f:
                folded = f.read()
            self.assertIn("<process %d:" % parent.pid, folded)
            self.assertIn("parent_work", folded)
            self.assertNotIn("child_work", folded)
            for child in (as_other, as_group):
                self.assertNotIn("<process %d:" % child, folded)
                # Named directly, each child is refused: exit 2.
                self.assert_refused(self.pyattach(["dump", "-p", child]), ["PID %d" % child])
            os.unlink(out)

    def test_target_that_turns_set_uid_is_dropped(self):
        """The user's own process, recorded, execs a set-uid program (the same PID, now
        another user's): one line, nothing of it is recorded from then on, and the
        recording ends with what it had (the only target is gone)."""
        argv = self.as_user() + [PYTHON, h.script_path("setid_children_target.py"), "--exec-on-usr1",
                                 self.setuid_wrapper]
        with h.Target(argv) as target:
            out = os.path.join(self.out, "turns.folded")
            argv = self.as_user() + [self.binary, "-p", str(target.pid), "-d", "20", "-o", out]
            recorder = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
            time.sleep(1.5)
            os.kill(target.pid, signal.SIGUSR1)
            stdout, stderr = recorder.communicate(timeout=h.RUN_TIMEOUT)
            stderr = stderr.decode()
            self.assertEqual(recorder.returncode, 0, stderr)
            other = pwd.getpwnam(self.other).pw_uid
            with open("/proc/%d/status" % target.pid) as f:
                self.assertIn("Uid:\t%d\t%d" % (self.uid, other), f.read())  # it did turn
            lost = [line for line in stderr.splitlines() if "now runs with other rights" in line]
            self.assertEqual(len(lost), 1, stderr)
            self.assertIn("PID %d" % target.pid, lost[0])
            with open(out) as f:
                folded = f.read()
            self.assertIn("before_exec", folded)
            self.assertNotIn("child_work", folded)
            os.unlink(out)


if __name__ == "__main__":
    unittest.main()
