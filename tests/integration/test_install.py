# Installing pyattach where the slow process runs (issue 15, items 1-3):
#
# - TestInstall: `cmake --install` of the build tree into a temporary prefix puts the
#   binary, the man page and the bash completion in place; the man page renders with no
#   groff warning and documents exactly the options the binary takes; the completion,
#   sourced in bash, completes commands, options, -m/-f/--sort values and the PIDs of
#   Python processes; the tree's `cpack -G DEB` names its shared libraries in Depends.
# - TestStatic: `cmake -DPYATTACH_STATIC=ON` in a temporary directory makes a static,
#   stripped binary that maps no code at run time (strace), copied into the Debian
#   roots of tests/distro_roots.sh (another glibc, no libelf) and run inside them
#   (chroot, a private mount namespace with /proc) against targets that run there:
#   dump, dump --json, dump --native (through a C extension), a recording loaded by
#   the root's own pstats, top --once, and top on a terminal with and without terminfo;
#   each gives what the dynamic build gives from the host.
# - TestDebianPackage: the static tree's .deb (no Depends) installed with apt-get into
#   an overlay of the trixie root (a private mount namespace, so the shared root is
#   never written), then --version and a recording of python3.13 there, then removed
#   with no file left.
#
# The static build and the .deb are made from the checkout in a temporary directory of
# their own (a sanitized build cannot be linked statically), whichever tree runs this.
# Nothing stays mounted: every mount lives in a namespace that ends with its command.
import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import cli_options
import harness as h

sys.path.insert(0, os.path.normpath(os.path.join(h.HERE, "..", "native_ext")))
import build as native_build  # noqa: E402  (tests/native_ext/build.py)

SOURCE = cli_options.SOURCE
SANITIZED = os.environ.get("PYATTACH_SANITIZED") == "1"
STATIC_SIZE_LIMIT = 5 * 1024 * 1024
NATIVE_TARGET = os.path.join(SOURCE, "tests", "native_ext", "native_target.py")
ROW = re.compile(r"^\s*[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+\d+[kM]?\s+(\S+)\s+(\S+)\s*$")
LOAD_PSTATS = ("import json, pstats, sys; s = pstats.Stats(sys.argv[1]); "
               "print(json.dumps(sorted([list(k) for k in s.stats])))")


def project_version():
    with open(os.path.join(SOURCE, "CMakeLists.txt")) as f:
        return re.search(r"project\(pyattach\s+VERSION\s+(\d+\.\d+\.\d+)", f.read()).group(1)


def build_dir():
    path = os.environ.get("PYATTACH_BUILD_DIR")
    if not path or not os.path.isdir(path):
        raise AssertionError("PYATTACH_BUILD_DIR must name the build tree (got %r); run through ctest" % path)
    return path


def check_output(argv, **kwargs):
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, **kwargs)
    if proc.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s\n%s" % (argv, proc.returncode, proc.stdout[-3000:],
                                                           proc.stderr[-3000:]))
    return proc.stdout


def require_tools(*tools):
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        raise AssertionError("missing tools %s: install them (.ci/install_deps.sh)" % missing)


# --- the static build, made once for the module --------------------------------------

_static = {}


def static_tree():
    """A -DPYATTACH_STATIC=ON tree built from this checkout in a temporary directory:
    the user's own command, `cmake -S . -B DIR -DPYATTACH_STATIC=ON && cmake --build DIR`."""
    if "dir" not in _static:
        directory = tempfile.mkdtemp(prefix="pyattach-static-")
        _static["dir"] = directory
        check_output(["nice", "cmake", "-S", SOURCE, "-B", directory, "-DPYATTACH_STATIC=ON"])
        check_output(["nice", "cmake", "--build", directory, "-j2"])
    return _static["dir"]


def tearDownModule():
    if "dir" in _static:
        shutil.rmtree(_static["dir"], ignore_errors=True)


# --- running things inside a root --------------------------------------------------------

IN_ROOT = 'root=$1; shift; mount -t proc proc "$root/proc" || exit 125; exec chroot "$root" "$@"'


def in_root_argv(root, argv):
    """argv run inside root: a private mount namespace with /proc, then chroot (the
    technique of the roots' wrappers; each step execs, so the PID is argv's)."""
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", IN_ROOT, "sh", root] + list(argv)


def run_in_root(root, argv, timeout=h.RUN_TIMEOUT):
    proc = subprocess.run(in_root_argv(root, argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout)
    return h.Result(proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"), argv)


def on_terminal(argv, env, seconds):
    """Runs argv on a new pseudo-terminal for `seconds`, then SIGTERM: (status, output)."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(127)
    output = b""
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if select.select([fd], [], [], 0.1)[0]:
                try:
                    output += os.read(fd, 65536)
                except OSError:
                    break
        os.kill(pid, signal.SIGTERM)
        end = time.monotonic() + h.RUN_TIMEOUT
        while time.monotonic() < end:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if select.select([fd], [], [], 0.1)[0]:
                try:
                    output += os.read(fd, 65536)
                except OSError:
                    pass
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError("%s did not end after SIGTERM" % argv)
    finally:
        os.close(fd)
    return status, output.decode("utf-8", "replace")


def top_rows(text):
    """{(function, file:line)} of top's plain snapshot."""
    return {m.groups() for m in map(ROW.match, text.splitlines()) if m}


class RootCopy(object):
    """The static binary copied into ROOT/tmp/pyattach-static-XXXX (removed at the end):
    .path is the binary as seen inside the root, .host(p) a path inside as the host sees it."""

    def __init__(self, root, binary):
        self.root = root
        self.dir = tempfile.mkdtemp(prefix="pyattach-static-", dir=os.path.join(root, "tmp"))
        shutil.copy2(binary, os.path.join(self.dir, "pyattach"))
        self.inside = self.dir[len(root):]
        self.path = os.path.join(self.inside, "pyattach")

    def host(self, inside_path):
        return self.root + inside_path

    def run(self, args, timeout=h.RUN_TIMEOUT):
        return run_in_root(self.root, [self.path] + [str(a) for a in args], timeout)

    def remove(self):
        shutil.rmtree(self.dir)


def setUpModule():
    h.require_interpreters()
    h.pyattach_binary()
    require_tools("cmake", "cpack", "groff", "man", "lexgrog", "bash", "dpkg-deb", "unshare", "chroot",
                  "file", "ldd", "strace")


# --- cmake --install, the man page, bash completion ---------------------------------------

class TestInstall(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.prefix = tempfile.mkdtemp(prefix="pyattach-install-")
        check_output(["cmake", "--install", build_dir(), "--prefix", cls.prefix])
        cls.binary = os.path.join(cls.prefix, "bin", "pyattach")
        cls.man = os.path.join(cls.prefix, "share", "man", "man1", "pyattach.1")
        cls.completion = os.path.join(cls.prefix, "share", "bash-completion", "completions", "pyattach")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.prefix)

    def test_files(self):
        self.assertTrue(os.access(self.binary, os.X_OK), self.binary)
        for path in (self.man, self.completion):
            self.assertTrue(os.path.isfile(path), path)
        out = check_output([self.binary, "--version"])
        self.assertEqual(out.splitlines()[0], "pyattach " + project_version())

    def test_man_page_renders_without_warnings(self):
        groff = subprocess.run(["groff", "-ww", "-man", "-Tutf8", self.man], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, universal_newlines=True)
        self.assertEqual((groff.returncode, groff.stderr), (0, ""))
        env = dict(os.environ, MANWIDTH="80", MANPAGER="cat", PAGER="cat")
        man = subprocess.run(["man", "-l", self.man], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, env=env)
        self.assertEqual((man.returncode, man.stderr), (0, ""))
        for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS", "OUTPUT FORMATS",
                        "EXIT STATUS", "PERMISSIONS", "EXAMPLES"):
            self.assertIn("\n%s\n" % section, man.stdout)
        for word in ("runserver", "gunicorn", "crontab", "CAP_SYS_PTRACE", "pyattach " + project_version()):
            self.assertIn(word, man.stdout)
        self.assertIn('pyattach - sampling profiler', check_output(["lexgrog", self.man]))

    def man_source(self):
        with open(self.man, encoding="utf-8") as f:
            return f.read().replace("\\-", "-")

    def test_man_page_documents_what_the_binary_takes(self):
        text = self.man_source()
        options = text[text.index("\n.SH OPTIONS\n"):text.index("\n.SH MODES\n")]
        sections = re.split(r"\n\.SS ", options)
        binary = h.pyattach_binary()
        for section in sections[1:]:
            title = section.split("\n", 1)[0].strip('"')
            command = title.split()[0]
            for option in cli_options.option_tokens(section):
                if command in cli_options.COMMANDS:
                    self.assertTrue(cli_options.accepts(binary, command, option),
                                    "the man page's %s section names %s, which it refuses" % (command, option))
                else:  # "all commands": --help, --version
                    self.assertEqual(subprocess.call([binary, option], stdout=subprocess.DEVNULL), 0, option)
        # Everything the parsers know is described.
        named = set(cli_options.option_tokens(text))
        for command, known in cli_options.source_options().items():
            missing = sorted(set(known) - named - cli_options.IGNORED.get(command, set()))
            self.assertEqual(missing, [], "the man page does not describe %s options %s" % (command, missing))

    def complete(self, *words):
        """COMPREPLY of the installed completion for the command line `words` (the
        last word is the one being completed)."""
        script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); '
                  'COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; _pyattach; printf "%s\\n" "${COMPREPLY[@]}"')
        out = check_output(["bash", "--norc", "--noprofile", "-c", script, "bash", self.completion] + list(words))
        return [line for line in out.splitlines() if line]

    def test_completion_commands_and_values(self):
        self.assertEqual(self.complete("pyattach", ""), ["record", "top", "dump", "view"])
        self.assertEqual(self.complete("pyattach", "-m", ""), ["wall", "cpu", "gil"])
        self.assertEqual(self.complete("pyattach", "top", "--mode=g"), ["--mode=gil"])
        self.assertEqual(self.complete("pyattach", "--mode", "=", "c"), ["cpu"])
        with open(os.path.join(SOURCE, "output", "writer.c")) as f:
            formats = re.findall(r'\{"([a-z]+)", PA_FORMAT_', f.read())
        self.assertEqual(sorted(self.complete("pyattach", "record", "-f", "")), sorted(formats))
        with open(os.path.join(SOURCE, "output", "pstats_table.c")) as f:
            keys = re.findall(r'^\s*\{"([a-z]+)", \d', f.read(), re.M)
        self.assertEqual(sorted(self.complete("pyattach", "view", "x.prof", "-s", "")), sorted(keys))
        self.assertEqual(self.complete("pyattach", "view", "x.prof", "--sort", "cum"), ["cumtime", "cumulative"])
        self.assertEqual(self.complete("pyattach", "-d", ""), [])

    def test_completion_options(self):
        binary = h.pyattach_binary()
        known = cli_options.source_options()
        for command in cli_options.COMMANDS:
            offered = [w for w in self.complete("pyattach", command, "-") if w != "--"]
            refused = [o for o in offered if not cli_options.accepts(binary, command, o)]
            self.assertEqual(refused, [], "completion offers %s options it refuses: %s" % (command, refused))
            missing = sorted(set(known[command]) - set(offered) - cli_options.IGNORED.get(command, set()))
            self.assertEqual(missing, [], "completion does not offer %s options %s" % (command, missing))
        first = self.complete("pyattach", "-")
        self.assertEqual(set(first) - {"--version", "-V"}, set(self.complete("pyattach", "record", "-")) - {"--"})
        self.assertIn("--version", first)

    def test_completion_pids_of_python_processes(self):
        python = h.interpreter_by_label("3.12.1")
        sleeper = subprocess.Popen(["sleep", "300"])
        try:
            with h.start_target(python, "chain_target.py") as target:
                pids = self.complete("pyattach", "-p", "")
                self.assertIn(str(target.pid), pids)
                self.assertNotIn(str(sleeper.pid), pids)
                self.assertIn("--pid=4242,%d" % target.pid, self.complete("pyattach", "top", "--pid=4242,"))
                self.assertIn(str(target.pid), self.complete("pyattach", "dump", "-p", str(target.pid)[:-1]))
        finally:
            sleeper.kill()
            sleeper.wait()

    def test_completion_after_dashdash_completes_a_command(self):
        offered = self.complete("pyattach", "record", "-o", "x.prof", "--", "python3")
        self.assertIn("python3", offered)

    def test_dynamic_package_depends(self):
        out = tempfile.mkdtemp(prefix="pyattach-deb-")
        try:
            check_output(["cpack", "-G", "DEB", "-B", out, "--config", os.path.join(build_dir(), "CPackConfig.cmake")])
            deb = os.path.join(out, "pyattach_%s_amd64.deb" % project_version())
            self.assertTrue(os.path.isfile(deb), os.listdir(out))
            depends = check_output(["dpkg-deb", "-f", deb, "Depends"])
            for package in ("libc6", "libdw1", "libelf1", "libunwind8", "libtinfo6"):
                self.assertIn(package, depends)
        finally:
            shutil.rmtree(out)


# --- the static binary -----------------------------------------------------------------------

class TestStatic(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.binary = os.path.join(static_tree(), "pyattach")

    def test_static_and_small(self):
        kind = check_output(["file", "-b", self.binary])
        self.assertIn("statically linked", kind)
        self.assertNotIn("not stripped", kind)
        ldd = subprocess.run(["ldd", self.binary], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             universal_newlines=True)
        self.assertIn("not a dynamic executable", ldd.stdout)
        self.assertLess(os.path.getsize(self.binary), STATIC_SIZE_LIMIT)
        self.assertEqual(check_output([self.binary, "--version"]), check_output([h.pyattach_binary(), "--version"]))

    def test_no_code_loaded_at_run_time(self):
        # dump --native opens the target's libraries as files (symbols); a dlopen would
        # map code: no mapping or mprotect with PROT_EXEC, no dynamic loader's files.
        python = h.interpreter_by_label("debian-3.13")
        with h.start_target(python, "chain_target.py") as target, tempfile.TemporaryDirectory() as d:
            log = os.path.join(d, "strace.log")
            check_output(["strace", "-f", "-qq", "-o", log, "-e", "trace=execve,mmap,mprotect,open,openat",
                          self.binary, "dump", "-p", str(target.pid), "--native"])
            with open(log) as f:
                calls = f.read()
        self.assertIn("openat(", calls)  # the trace is there
        self.assertEqual(len(re.findall(r"\bexecve\(", calls)), 1, calls)
        self.assertNotRegex(calls, r"(mmap|mprotect)\([^)]*PROT_EXEC")
        self.assertNotRegex(calls, r"ld\.so\.cache|/gconv/|libdebuginfod|ld-linux")

    def check_root(self, label, python):
        root = h.distro_root(python)
        minor = label.rsplit("-", 1)[1]
        copy = RootCopy(root, self.binary)
        ext_dir = tempfile.mkdtemp(prefix="pyattach-native-")
        try:
            with h.start_target(python, "chain_target.py") as target:
                self.compare_dumps(copy, target)
                self.compare_recordings(copy, target, "/usr/bin/python" + minor)
                self.compare_top(copy, target)
                self.check_terminals(copy, target)
            ext = native_build.build(python, ext_dir, root)
            with h.Target([python, NATIVE_TARGET, ext_dir]) as target:
                time.sleep(0.3)  # READY comes just before the last C call
                self.compare_native(copy, target, os.path.basename(ext))
        finally:
            copy.remove()
            shutil.rmtree(ext_dir)

    def test_in_debian_roots(self):
        h.for_each_interpreter(self, self.check_root, h.DISTRO_INTERPRETERS)

    def compare_dumps(self, copy, target):
        for extra in ([], ["--json"]):
            static = copy.run(["dump", "-p", target.pid] + extra)
            dynamic = h.run_pyattach(["dump", "-p", target.pid] + extra)
            self.assertEqual((static.rc, static.stderr), (0, ""))
            self.assertEqual(static.stdout, dynamic.stdout)
        names = [f["function"] for f in json.loads(static.stdout)["threads"][0]["frames"]]
        self.assertEqual(names, [f["function"] for f in target.truth["threads"][0]["frames"]])

    def compare_recordings(self, copy, target, python):
        static_prof = os.path.join(copy.inside, "static.prof")
        dynamic_prof = os.path.join(copy.inside, "dynamic.prof")
        static = copy.run(["-p", target.pid, "-d", "1", "-o", static_prof])
        dynamic = h.run_pyattach(["-p", target.pid, "-d", "1", "-o", copy.host(dynamic_prof)])
        self.assertEqual((static.rc, dynamic.rc), (0, 0), (static.stderr, dynamic.stderr))
        self.assertIn("pyattach: wrote %s" % static_prof, static.stderr)
        keys = []
        for prof in (static_prof, dynamic_prof):
            loaded = run_in_root(copy.root, [python, "-c", LOAD_PSTATS, prof])
            self.assertEqual(loaded.rc, 0, loaded.stderr)
            keys.append(json.loads(loaded.stdout))
        self.assertEqual(keys[0], keys[1])
        self.assertIn("größe_berechnen", [k[2] for k in keys[0]])

    def compare_top(self, copy, target):
        args = ["top", "-p", target.pid, "--once", "--delay", "0.5"]
        static, dynamic = copy.run(args), h.run_pyattach(args)
        self.assertEqual((static.rc, dynamic.rc), (0, 0), (static.stderr, dynamic.stderr))
        rows = top_rows(static.stdout)
        self.assertIn("größe_berechnen", [function for function, _ in rows], static.stdout)
        self.assertEqual(rows, top_rows(dynamic.stdout))

    def check_terminals(self, copy, target):
        # static ncurses reads the root's terminfo (/usr/share/terminfo here)
        argv = in_root_argv(copy.root, [copy.path, "top", "-p", str(target.pid)])
        status, screen = on_terminal(argv, dict(os.environ, TERM="xterm"), 2.0)
        self.assertEqual(os.WEXITSTATUS(status), 0, screen)
        self.assertIn("\x1b[?1049h", screen)  # xterm's "enter the alternate screen"
        self.assertIn("pyattach top - CPython", screen)
        status, plain = on_terminal(argv, dict(os.environ, TERM="nonexistent"), 2.0)
        self.assertEqual(os.WEXITSTATUS(status), 0, plain)
        lines = plain.splitlines()
        self.assertEqual(lines[0], "pyattach: no terminfo entry for TERM=nonexistent (TERMINFO_DIRS may name "
                                   "where they are): printing plain snapshots instead", plain)
        self.assertNotIn("\x1b[", plain)
        self.assertIn("Functions, accumulated over", plain)

    def compare_native(self, copy, target, ext_name):
        args = ["dump", "-p", target.pid, "--native", "--json"]
        static, dynamic = copy.run(args), h.run_pyattach(args)
        self.assertEqual((static.rc, dynamic.rc), (0, 0), (static.stderr, dynamic.stderr))
        stacks = []
        for doc in (json.loads(static.stdout), json.loads(dynamic.stdout)):
            frames = [(f["function"], f["file"], f["native"]) for f in doc["threads"][0]["frames"]]
            names = [f[0] for f in frames]
            self.assertIn("native_ext_hot_loop", names, frames)
            stacks.append(frames[names.index("native_ext_hot_loop"):])  # inner C frames vary: it spins
        self.assertEqual(stacks[0], stacks[1])
        self.assertEqual([f[:2] for f in stacks[0][:4]],
                         [("native_ext_hot_loop", ext_name), ("native_ext_spin", ext_name),
                          ("level2", NATIVE_TARGET), ("native_ext_call_python", ext_name)])


# --- the Debian package --------------------------------------------------------------------

# Run by the root's python3.13 inside the overlay: install, use, remove; prints JSON.
IN_ROOT_PACKAGE_CHECK = r'''
import json, os, pstats, subprocess, sys
deb, work = sys.argv[1], os.path.dirname(sys.argv[1])
env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", PATH="/usr/sbin:/usr/bin:/sbin:/bin")
def run(*argv):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, env=env)
    return [p.returncode, p.stdout, p.stderr]
def status():
    return run("dpkg-query", "-W", "-f=${Status} ${Version}", "pyattach")[1]
out = {"before": status()}
out["install"] = run("apt-get", "install", "-y", "-o", "Dpkg::Use-Pty=0", deb)
out["installed"] = status()
out["files"] = run("dpkg", "-L", "pyattach")[1].split("\n")
out["which"] = run("sh", "-c", "command -v pyattach")[1].strip()
out["version"] = run("pyattach", "--version")
target = subprocess.Popen([sys.executable, "-c", """
import sys, time
def deb_leaf():
    end = time.monotonic() + 0.01
    while time.monotonic() < end:
        pass
def deb_main():
    print("READY", flush=True)
    while True:
        deb_leaf()
deb_main()
"""], stdout=subprocess.PIPE, universal_newlines=True)
out["ready"] = target.stdout.readline().strip()
prof = os.path.join(work, "out.prof")
out["record"] = run("pyattach", "-p", str(target.pid), "-d", "1", "-o", prof)
target.kill()
target.wait()
out["functions"] = sorted(k[2] for k in pstats.Stats(prof).stats)
out["remove"] = run("apt-get", "remove", "-y", "-o", "Dpkg::Use-Pty=0", "pyattach")
out["after"] = status()
out["left"] = [f for f in out["files"] if f and (os.path.islink(f) or (os.path.exists(f) and not os.path.isdir(f)))]
print(json.dumps(out))
'''

OVERLAY = ('lower=$1 work=$2; shift 2; '
           'mount -t overlay overlay -o "lowerdir=$lower,upperdir=$work/upper,workdir=$work/work" "$work/merged" '
           '&& mount -t proc proc "$work/merged/proc" || exit 125; exec chroot "$work/merged" "$@"')


class TestDebianPackage(unittest.TestCase):
    maxDiff = None

    def test_static_package_installs_runs_and_goes(self):
        tree = static_tree()
        work = tempfile.mkdtemp(prefix="pyattach-deb-")
        try:
            check_output(["cpack", "-G", "DEB", "-B", os.path.join(work, "out"),
                          "--config", os.path.join(tree, "CPackConfig.cmake")])
            name = "pyattach_%s_amd64.deb" % project_version()
            deb = os.path.join(work, "out", name)
            self.check_fields(deb)
            # The trixie root under an overlay: every write lands in work/upper.
            for d in ("upper/tmp/pkg", "work", "merged"):
                os.makedirs(os.path.join(work, d))
            shutil.copy2(deb, os.path.join(work, "upper", "tmp", "pkg", name))
            with open(os.path.join(work, "upper", "tmp", "pkg", "check.py"), "w") as f:
                f.write(IN_ROOT_PACKAGE_CHECK)
            lower = os.path.join(h.ROOTS, "trixie")
            argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c", OVERLAY, "sh", lower, work,
                    "/usr/bin/python3.13", "/tmp/pkg/check.py", "/tmp/pkg/" + name]
            # its own session: on a timeout the whole group goes (the target inside too),
            # and with it the namespace and its mounts
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    universal_newlines=True, start_new_session=True)
            try:
                stdout, stderr = proc.communicate(timeout=300)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
                raise AssertionError("the package check in the trixie overlay did not finish within 300 s")
            self.assertEqual(proc.returncode, 0, stderr)
            self.check_in_root(json.loads(stdout))
        finally:
            shutil.rmtree(work)
        with open("/proc/mounts") as f:
            self.assertNotIn(work, f.read())

    def check_fields(self, deb):
        fields = check_output(["dpkg-deb", "-f", deb])
        self.assertIn("Package: pyattach\n", fields)
        self.assertIn("Version: %s\n" % project_version(), fields)
        self.assertIn("Architecture: amd64\n", fields)
        self.assertIn("Description: sampling profiler for running CPython processes\n", fields)
        self.assertNotIn("Depends:", fields)  # static: nothing to depend on
        files = check_output(["dpkg-deb", "-c", deb])
        for path in ("./usr/bin/pyattach", "./usr/share/man/man1/pyattach.1",
                     "./usr/share/bash-completion/completions/pyattach"):
            self.assertIn(" %s\n" % path, files)

    def check_in_root(self, out):
        self.assertEqual(out["before"], "", out)
        self.assertEqual(out["install"][0], 0, out["install"])
        self.assertEqual(out["installed"], "install ok installed %s" % project_version())
        self.assertEqual(out["which"], "/usr/bin/pyattach")
        self.assertEqual(out["version"][0], 0, out["version"])
        self.assertEqual(out["version"][1].splitlines()[0], "pyattach " + project_version())
        self.assertEqual(out["ready"], "READY")
        self.assertEqual(out["record"][0], 0, out["record"])
        self.assertIn("deb_leaf", out["functions"])
        self.assertIn("deb_main", out["functions"])
        self.assertEqual(out["remove"][0], 0, out["remove"])
        self.assertIn("/usr/bin/pyattach", out["files"])
        self.assertEqual(out["left"], [])
        self.assertNotIn("install ok installed", out["after"])


if __name__ == "__main__":
    unittest.main()
