# A target in a container (its own mount and PID namespaces, made with unshare) is
# profiled from the host, by its host PID: the interpreter is only reachable through
# /proc/PID/root (it is bind-mounted at /opt/py inside, a path the host does not
# have), and the file names in the profile are the container's own (/app/...).
# Two ways containers set up their root: pivot_root (Docker, Podman) and chroot.
# The script is written into a tmpfs of the container's own, so it exists nowhere on
# the host. --native there: the container's libpython and libc are named (opened
# through /proc/PID/root or /proc/PID/map_files), each thread is unwound as itself
# (the interpreter knows its threads by the container's TIDs), and the stacks are
# those of the same script run on the host. -o x.html carries the script's text.
import collections
import json
import os
import pstats
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import harness as h
from test_html_viewer import page_data
from test_native import thread_frames_text

# The container's program: a Python loop, announced and run. NATIVE_APP adds a second
# thread in libc's clock_gettime (time.monotonic) while the main thread runs Python:
# C frames of the container's libc under one thread, none under the other.
LOOP = r'''
def container_leaf():
    total = 0
    for i in range(300):
        total += i
    return total
def container_main():
    while True:
        container_leaf()
'''
RUN = r'''sys.stdout.write("READY %s\n" % json.dumps({"pid_inside": os.getpid()}))
sys.stdout.flush()
container_main()
'''
APP = "import json, os, sys" + LOOP + RUN
NATIVE_APP = "import json, os, sys, threading, time" + r'''
def clock_loop():
    while True:
        time.monotonic()
def clock_thread():
    clock_loop()''' + LOOP + 'threading.Thread(target=clock_thread, name="clock").start()\n' + RUN

# Runs as the container's PID 1 under `unshare --mount --pid --fork`: builds the
# root from bind mounts, writes the script into a tmpfs that only this mount
# namespace has, switches to the root and execs the interpreter.
SETUP = r'''
set -e
root="$1"; pyhome="$2"; pyexe="$3"; how="$4"; app="$5"
mount --bind "$root" "$root"
mount -t tmpfs -o size=1m app "$root/app"
printf '%s' "$app" > "$root/app/app.py"
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
    with the root set up `how` (pivot_root or chroot), running `app` as /app/app.py.
    .pid is its host PID."""

    def __init__(self, version, how, app=APP):
        self.root = tempfile.mkdtemp(prefix="pyattach-container-")
        for d in ("app", "opt/py", "usr", "proc", "tmp", "oldroot"):
            os.makedirs(os.path.join(self.root, d))
        for link in ("lib", "lib64", "bin"):
            os.symlink("usr/" + link, os.path.join(self.root, link))
        pyhome = "%s/%s" % (h.PYENV, version)
        pyexe = "python" + version.rsplit(".", 1)[0]
        self.python = os.path.join(pyhome, "bin", pyexe)
        argv = ["unshare", "--mount", "--pid", "--fork", "sh", "-c", SETUP, "setup", self.root, pyhome, pyexe, how,
                app]
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


def thread_roots(stats):
    """{host TID: root key} of a --threads .prof: one "<thread TID ...>" root per thread."""
    roots = {}
    for key, value in stats.items():
        m = re.match(r"<thread (\d+)", key[2])
        if m and not value[4]:
            roots[int(m.group(1))] = key
    return roots


def names_of(keys):
    return {k[2] for k in keys}


def outward(frames, function):
    """The frames of a `dump --native-all --json` thread from `function` outwards, as
    what must not differ between two runs of one script: Python frames by name and line
    (but `function`'s own line, which is wherever its loop was), C frames by name and
    module."""
    names = [f["function"] for f in frames]
    if function not in names:
        raise AssertionError("no %s in %r" % (function, names))
    at = names.index(function)
    return [(function, None, False)] + [(f["function"], f["file"] if f["native"] else f["line"], f["native"])
                                        for f in frames[at + 1:]]


class NativeContainerTarget(unittest.TestCase):
    """--native on a container target (NATIVE_APP): the modules it maps (/opt/py/lib/
    libpython..., which the host does not have; libc) are opened through the target's
    root, or chroot'ed, through /proc/PID/map_files."""
    maxDiff = None

    def dump_all(self, pid):
        result = h.run_pyattach(["dump", "-p", pid, "--native-all", "--json"])
        self.assertEqual(result.rc, 0, result.stderr)
        return json.loads(result.stdout)["threads"]

    def host_twin(self, python, tmp):
        """The same script run on the host by the same interpreter: its stacks are the truth."""
        script = os.path.join(tmp, "app.py")
        with open(script, "w") as f:
            f.write(NATIVE_APP)
        twin = h.Target([python, script])
        twin.__enter__()
        self.addCleanup(twin.kill)
        return twin

    def check(self, version, how):
        with tempfile.TemporaryDirectory() as tmp, Container(version, how, app=NATIVE_APP) as c:
            label = "%s %s" % (version, how)
            self.assertFalse(os.path.exists("/opt/py"), "the host must not see the container's interpreter")
            tasks = {int(t) for t in os.listdir("/proc/%d/task" % c.pid)}
            self.assertEqual(len(tasks), 2, tasks)

            out = os.path.join(tmp, "native.prof")
            result = h.run_pyattach(["-p", c.pid, "-d", 1.5, "--native", "--threads", "-o", out])
            self.assertEqual(result.rc, 0, result.stderr)
            stats = pstats.Stats(out).stats
            # Each thread under its own root, by the host's TID (the interpreter keeps
            # the container's: 1 and another small number).
            roots = thread_roots(stats)
            self.assertEqual(set(roots), tasks, "%s: thread roots %r" % (label, sorted(stats)))
            by_name = collections.defaultdict(list)
            for key in stats:
                by_name[key[2]].append(key)
            clock_gettime = [k for k in by_name["clock_gettime"] if k[0] == "libc.so.6"]
            self.assertEqual(len(clock_gettime), 1, "%s: no libc clock_gettime in %r" % (label, sorted(stats)))
            # The C frames of a thread stay under its own Python frames: clock_gettime
            # only under clock_loop (read as the main thread, it showed under container_leaf).
            self.assertEqual(names_of(stats[clock_gettime[0]][4]), {"clock_loop"}, label)
            for function, caller in (("clock_loop", "clock_thread"), ("container_leaf", "container_main")):
                (key,) = by_name[function]
                self.assertEqual(key[0], "/app/app.py", key)
                self.assertEqual(names_of(stats[key][4]), {caller}, "%s: callers of %s" % (label, function))
            # No frame named by its address where the module has symbols (all here do,
            # but for the vDSO's few unnamed pages).
            for k in stats:
                if k[1] == 0 and k[0] != "[vdso]":
                    self.assertFalse(k[2].startswith("0x"), "%s: %r" % (label, k))

            # dump --native: each thread by its host TID, its own stack.
            text = h.run_pyattach(["dump", "-p", c.pid, "--native"])
            self.assertEqual(text.rc, 0, text.stderr)
            main = [f for f, _ in thread_frames_text(text.stdout, c.pid)]
            (other,) = tasks - {c.pid}
            clock = [f for f, _ in thread_frames_text(text.stdout, other)]
            self.assertEqual(main[-2:], ["container_main", "<module>"], text.stdout)
            self.assertIn("clock_loop", clock, text.stdout)
            self.assertNotIn("container_main", clock, text.stdout)
            self.assertNotIn("clock_loop", main, text.stdout)

            # With every C frame (--native-all), the interpreter's own: each thread's stack
            # from its Python loop outwards is the one the same script has on the host,
            # libpython's and libc's frames by name.
            twin = self.host_twin(c.python, tmp)
            inside = {t["tid"]: t["frames"] for t in self.dump_all(c.pid)}
            host = {t["tid"]: t["frames"] for t in self.dump_all(twin.pid)}
            host_main, host_clock = host[twin.pid], [f for t, f in host.items() if t != twin.pid][0]
            self.assertEqual(outward(inside[c.pid], "container_main"), outward(host_main, "container_main"), label)
            self.assertEqual(outward(inside[other], "clock_loop"), outward(host_clock, "clock_loop"), label)
            modules = {f["file"] for f in inside[c.pid] + inside[other] if f["native"]}
            self.assertIn("libc.so.6", modules, label)
            self.assertTrue([m for m in modules if m.startswith("libpython")], "%s: %r" % (label, modules))

    def test_chroot_container(self):
        for version in ("3.12.1", "3.9.18"):
            with self.subTest(python=version):
                self.check(version, "chroot")

    def test_pivot_root_container(self):
        for version in ("3.12.1", "3.9.18"):
            with self.subTest(python=version):
                self.check(version, "pivot_root")


class ContainerSource(unittest.TestCase):
    """-o x.html carries the text of the container's script, which only the container
    has (a tmpfs of its mount namespace at /app): read through /proc/PID/root."""

    def check(self, version, how):
        with tempfile.TemporaryDirectory() as tmp, Container(version, how) as c:
            self.assertFalse(os.path.exists("/app/app.py"))
            self.assertEqual(os.listdir(os.path.join(c.root, "app")), [], "the script must not be on the host")
            out = os.path.join(tmp, "container.html")
            result = h.run_pyattach(["-p", c.pid, "-d", 0.5, "-o", out])
            self.assertEqual(result.rc, 0, result.stderr)
            data = page_data(out)
            self.assertIn("/app/app.py", data["strings"])
            file = str(data["strings"].index("/app/app.py"))
            self.assertIn(file, data["sources"], "%s %s: no source text for /app/app.py" % (version, how))
            self.assertEqual(data["sources"][file], APP)

    def test_chroot_container(self):
        self.check("3.12.1", "chroot")

    def test_pivot_root_container(self):
        self.check("3.12.1", "pivot_root")


if __name__ == "__main__":
    unittest.main()
