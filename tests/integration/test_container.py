# A target in a container (its own mount and PID namespaces, made with unshare) is
# profiled from the host, by its host PID: the interpreter is only reachable through
# /proc/PID/root (it is bind-mounted at /opt/py inside, a path the host does not
# have), and the file names in the profile are the container's own (/app/...).
# Two ways containers set up their root: pivot_root (Docker, Podman) and chroot.
import os
import pstats
import shutil
import subprocess
import tempfile
import time
import unittest

import harness as h

APP = r'''
import json, os, sys
def container_leaf():
    total = 0
    for i in range(300):
        total += i
    return total
def container_main():
    while True:
        container_leaf()
sys.stdout.write("READY %s\n" % json.dumps({"pid_inside": os.getpid()}))
sys.stdout.flush()
container_main()
'''

# Runs as the container's PID 1 under `unshare --mount --pid --fork`: builds the
# root from bind mounts, switches to it and execs the interpreter.
SETUP = r'''
set -e
root="$1"; pyhome="$2"; pyexe="$3"; how="$4"
mount --bind "$root" "$root"
mount --bind "$pyhome" "$root/opt/py"
mount --bind /usr "$root/usr"
cd "$root"
if [ "$how" = pivot_root ]; then
    pivot_root . oldroot
    mount -t proc proc /proc
    umount -l /oldroot
    exec /usr/bin/env -i PYTHONHOME=/opt/py LD_LIBRARY_PATH=/opt/py/lib "/opt/py/bin/$pyexe" /app/app.py
fi
exec chroot . /usr/bin/env -i PYTHONHOME=/opt/py LD_LIBRARY_PATH=/opt/py/lib "/opt/py/bin/$pyexe" /app/app.py
'''


def setUpModule():
    h.require_interpreters()
    h.pyattach_binary()
    for tool in ("unshare", "pivot_root", "chroot", "mount"):
        if shutil.which(tool) is None:
            raise AssertionError("%s is needed for the container tests" % tool)


class Container(object):
    """A Python (pyenv tree `version`) as PID 1 of a new PID and mount namespace,
    with the root set up `how` (pivot_root or chroot). .pid is its host PID."""

    def __init__(self, version, how):
        self.root = tempfile.mkdtemp(prefix="pyattach-container-")
        for d in ("app", "opt/py", "usr", "proc", "tmp", "oldroot"):
            os.makedirs(os.path.join(self.root, d))
        for link in ("lib", "lib64", "bin"):
            os.symlink("usr/" + link, os.path.join(self.root, link))
        with open(os.path.join(self.root, "app", "app.py"), "w") as f:
            f.write(APP)
        pyhome = "%s/%s" % (h.PYENV, version)
        pyexe = "python" + version.rsplit(".", 1)[0]
        argv = ["unshare", "--mount", "--pid", "--fork", "sh", "-c", SETUP, "setup", self.root, pyhome, pyexe, how]
        self.target = h.Target(argv)
        self.pid = None

    def __enter__(self):
        self.target.__enter__()
        self.pid = self._inner_pid()
        return self

    def _inner_pid(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            children = []
            for tid in os.listdir("/proc/%d/task" % self.target.pid):
                with open("/proc/%d/task/%s/children" % (self.target.pid, tid)) as f:
                    children += [int(c) for c in f.read().split()]
            if len(children) == 1 and os.path.basename(os.readlink("/proc/%d/exe" % children[0])).startswith("python"):
                return children[0]
            time.sleep(0.02)
        raise AssertionError("no Python inside the container")

    def __exit__(self, *exc):
        # The interpreter is the namespace's init: only SIGKILL reaches it from here.
        if self.pid is not None and os.path.exists("/proc/%d" % self.pid):
            os.kill(self.pid, 9)
        self.target.kill()
        shutil.rmtree(self.root, ignore_errors=True)
        return False


class ContainerTarget(unittest.TestCase):
    def check(self, version, how):
        with tempfile.TemporaryDirectory() as tmp, Container(version, how) as c:
            self.assertEqual(c.target.truth, {"pid_inside": 1})
            self.assertNotEqual(os.readlink("/proc/%d/ns/mnt" % c.pid), os.readlink("/proc/self/ns/mnt"))
            self.assertNotEqual(os.readlink("/proc/%d/ns/pid" % c.pid), os.readlink("/proc/self/ns/pid"))
            self.assertFalse(os.path.exists("/opt/py"), "the host must not see the container's interpreter")
            self.assertFalse(os.path.exists("/app/app.py"))
            out = os.path.join(tmp, "container.prof")
            result = h.run_pyattach(["-p", c.pid, "-d", 0.5, "-o", out])
            self.assertEqual(result.rc, 0, result.stderr)
            self.assertRegex(result.stderr, r"pyattach: PID %d \(CPython %s\)" % (c.pid, version.replace(".", r"\.")))
            stats = pstats.Stats(out).stats
            files = {(path, func) for (path, _, func) in stats}
            self.assertIn(("/app/app.py", "container_leaf"), files)
            self.assertIn(("/app/app.py", "container_main"), files)
            self.assertTrue(all(path in ("/app/app.py", "~") or path.startswith("<") for path, _ in files), files)
            # dump too, and the target runs on.
            dump = h.run_pyattach(["dump", "-p", c.pid])
            self.assertEqual(dump.rc, 0, dump.stderr)
            self.assertIn("/app/app.py", dump.stdout)
            self.assertIsNone(c.target.proc.poll())
            self.assertNotIn(h.proc_state(c.pid), ("t", "T", "Z"))

    def test_pivot_root_container(self):
        """As Docker and Podman do: maps name files from the container's root."""
        for version in ("3.12.1", "3.9.18", "3.13.0"):
            with self.subTest(python=version):
                self.check(version, "pivot_root")

    def test_chroot_container(self):
        """chroot inside the mount namespace: maps name files from the namespace's
        root, which is not the target's root (read through /proc/PID/map_files)."""
        for version in ("3.12.1", "3.9.18"):
            with self.subTest(python=version):
                self.check(version, "chroot")


if __name__ == "__main__":
    unittest.main()
