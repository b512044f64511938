# Shared helpers of the integration tests: the interpreters under test, starting a
# target and reading its READY ground truth, running pyattach, reading /proc.
#
# Runs under Debian's /usr/bin/python3. Missing interpreters or a missing binary
# are loud failures, never skips. We only ever kill processes we started, by PID.
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections import namedtuple

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = os.path.normpath(os.path.join(HERE, "..", "targets"))

PYENV = "/root/.pyenv/versions"
PYENV_VERSIONS = ["3.6.15", "3.7.16", "3.8.18", "3.9.18", "3.10.13", "3.11.7", "3.12.1", "3.13.0"]

# Debian's own builds of 3.13 (trixie), 3.14 and 3.15 (forky), in root filesystems
# that tests/distro_roots.sh builds outside the checkout. Each runs inside its root
# (chroot, private /proc) through a wrapper there, so pyattach reads it from the host
# as it would read a container; the wrapper execs the interpreter, so a Target's PID is
# the interpreter's. The checkout (and a build tree outside it) is bind-mounted at the
# same path inside, and so is /tmp: scripts and files keep their host paths.
ROOTS = os.environ.get("PYATTACH_ROOTS", "/var/cache/pyattach-roots")
DISTRO_VERSIONS = [("debian-3.13", "trixie"), ("debian-3.14", "forky"), ("debian-3.15", "forky")]
DISTRO_INTERPRETERS = [(label, os.path.join(ROOTS, "bin", label)) for label, _ in DISTRO_VERSIONS]


def _chroot_binds():
    source = os.path.normpath(os.path.join(HERE, "..", ".."))
    binds = [source]
    build = os.environ.get("PYATTACH_BUILD_DIR")
    if build and not os.path.abspath(build).startswith(source + os.sep):
        binds.append(os.path.abspath(build))
    return ":".join(binds)


os.environ["PYATTACH_CHROOT_BINDS"] = _chroot_binds()

# (label, path): every pyenv build (shared libpython with DWARF), Debian 12's
# python3.11 (static libpython inside a stripped, non-PIE executable), and the Debian
# 13 / testing builds above (stripped executables run in their roots).
INTERPRETERS = [
    (v, "%s/%s/bin/python%s" % (PYENV, v, v.rsplit(".", 1)[0])) for v in PYENV_VERSIONS
] + [("debian-3.11", "/usr/bin/python3.11")] + DISTRO_INTERPRETERS


def distro_root(python):
    """The root filesystem a distro interpreter's wrapper runs in, or None."""
    for label, suite in DISTRO_VERSIONS:
        if python == os.path.join(ROOTS, "bin", label):
            return os.path.join(ROOTS, suite)
    return None

# Not supported by pyattach; used to check the "unsupported version" error.
PYTHON27 = ("2.7.18", PYENV + "/2.7.18/bin/python2.7")

READY_TIMEOUT = 60.0  # seconds for a target to print READY (slow CI machines)
RUN_TIMEOUT = 120.0   # seconds for one pyattach run (ASan builds are slower)

Result = namedtuple("Result", "rc stdout stderr argv")


def require_interpreters(interpreters=INTERPRETERS):
    """Raise, naming every missing one, unless all interpreters are executable."""
    missing = [path for _, path in interpreters if not os.access(path, os.X_OK)]
    if missing:
        raise AssertionError(
            "INTERPRETERS MISSING: %s -- install them (pyenv install ...; Debian's 3.13-3.15: "
            "tests/distro_roots.sh); the integration tests never skip an interpreter" % ", ".join(missing))


def pyattach_binary():
    path = os.environ.get("PYATTACH")
    if not path or not os.access(path, os.X_OK):
        raise AssertionError("PYATTACH must name the built pyattach binary (got %r); "
                             "run the tests through ctest" % (path,))
    return path


def interpreter_by_label(label):
    return dict(INTERPRETERS)[label]


def for_each_interpreter(testcase, check, interpreters=INTERPRETERS):
    """Run check(label, path) for every interpreter, each in its own subTest, so one
    broken version reports as one failure and the others still run."""
    only = os.environ.get("PYATTACH_ONLY")  # by hand, e.g. "debian-3.14,3.12.1"; never in CI
    for label, path in interpreters:
        if only and label not in only.split(","):
            continue
        with testcase.subTest(python=label):
            check(label, path)


def _target_env():
    env = dict(os.environ)
    for name in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONWARNINGS"):
        env.pop(name, None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # keep tests/targets free of __pycache__
    return env


class Target(object):
    """A process we started; a context manager that always kills it (by PID).

        with Target([python, script_path("chain_target.py")]) as target:
            target.pid, target.truth  # truth: the JSON after READY
    """

    def __init__(self, argv, ready=True, own_session=False):
        """own_session: start it in a session of its own and kill the whole process
        group at the end (a target that starts children of its own)."""
        self.argv = list(argv)
        self.ready = ready
        self.own_session = own_session
        self.truth = None
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._stderr, env=_target_env(), cwd=TARGETS,
                                     start_new_session=own_session)
        self.pid = self.proc.pid

    def __enter__(self):
        try:
            if self.ready:
                self.truth = self._read_ready()
                wait_for_tasks(self.pid, self.truth.get("tasks"))
        except BaseException:
            self.kill()
            raise
        return self

    def __exit__(self, *exc):
        self.kill()
        return False

    def kill(self):
        if self.own_session:
            try:
                os.killpg(self.pid, signal.SIGKILL)  # its group: the PIDs it started
            except ProcessLookupError:
                pass
        elif self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self._stderr.close()

    def stderr_text(self):
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def _read_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT
        fd = self.proc.stdout.fileno()
        data = b""
        while b"\n" not in data:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("%s: no READY line within %.0fs; stdout %r, stderr %r"
                                     % (self.argv, READY_TIMEOUT, data, self.stderr_text()))
            if select.select([fd], [], [], left)[0]:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise AssertionError("%s exited before READY (status %s); stdout %r, stderr %r"
                                         % (self.argv, self.proc.wait(), data, self.stderr_text()))
                data += chunk
        line = data.split(b"\n", 1)[0].decode("ascii")
        if not line.startswith("READY "):
            raise AssertionError("%s: expected a READY line, got %r" % (self.argv, line))
        return json.loads(line[len("READY "):])


def script_path(name):
    return os.path.join(TARGETS, name)


def start_target(python, script, *args):
    """A Target running tests/targets/<script> under `python`; use it in `with`."""
    return Target([python, script_path(script)] + list(args))


def wait_for_tasks(pid, count, timeout=10.0):
    """Wait until the process has `count` kernel tasks (the reporter thread is gone)."""
    if count is None:
        return
    deadline = time.monotonic() + timeout
    while True:
        tasks = len(os.listdir("/proc/%d/task" % pid))
        if tasks == count:
            return
        if time.monotonic() > deadline:
            raise AssertionError("pid %d has %d tasks, expected %d" % (pid, tasks, count))
        time.sleep(0.01)


def run_pyattach(args, timeout=RUN_TIMEOUT, binary=None, user=None, stdout=None):
    """Run pyattach with `args`; returns Result(rc, stdout, stderr, argv) with text
    decoded as strict UTF-8. user="nobody" runs it through setpriv without any
    privilege. stdout may be an open file (e.g. /dev/full) instead of a pipe."""
    argv = [binary or pyattach_binary()] + [str(a) for a in args]
    if user is not None:
        argv = ["setpriv", "--reuid=" + user, "--regid=" + user_group(user),
                "--clear-groups", "--inh-caps=-all", "--"] + argv
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=stdout if stdout is not None else subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("%s did not finish within %.0fs" % (argv, timeout))
    return Result(proc.returncode, (out or b"").decode("utf-8"), err.decode("utf-8"), argv)


def user_group(user):
    import grp
    import pwd
    return grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name


def world_executable_copy(binary, directory):
    """Copy the binary where an unprivileged user can run it (/root is 0700)."""
    os.chmod(directory, 0o755)
    copy = os.path.join(directory, os.path.basename(binary))
    shutil.copy2(binary, copy)
    os.chmod(copy, 0o755)
    return copy


def proc_state(pid):
    """The one-letter state from /proc/PID/stat (R, S, D, t, T, Z, ...)."""
    with open("/proc/%d/stat" % pid, "rb") as f:
        stat = f.read()
    return stat[stat.rindex(b")") + 2:].split()[0].decode()


def proc_cpu_ticks(pid):
    with open("/proc/%d/stat" % pid, "rb") as f:
        stat = f.read()
    fields = stat[stat.rindex(b")") + 2:].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def tracer_pid(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("TracerPid:"):
                return int(line.split()[1])
    raise AssertionError("no TracerPid in /proc/%d/status" % pid)


def command_line(pid):
    """/proc/PID/cmdline joined with spaces, as the dump's "command" shows it."""
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return " ".join(a.decode("utf-8", "surrogateescape") for a in f.read().split(b"\0") if a)


def free_pid():
    """A PID that no process uses now (searched downwards from pid_max)."""
    with open("/proc/sys/kernel/pid_max") as f:
        pid_max = int(f.read())
    for pid in range(pid_max - 1, 300, -1):
        if not os.path.exists("/proc/%d" % pid):
            return pid
    raise AssertionError("no free pid below %d" % pid_max)
