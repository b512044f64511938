# Django as it really runs: runserver with its autoreloader, gunicorn (sync and
# gthread workers) and uwsgi, each on 127.0.0.1 under a bounded stream of requests,
# recorded through the PID a user sees in ps (the reloader / the master) with -s.
#
# Runs under Debian's /usr/bin/python3 with Debian's Django, gunicorn and uwsgi.
# Every server runs in a session of its own (start_new_session), so stopping it
# signals exactly the processes this test started: its process group.
import collections
import glob
import os
import pstats
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

import harness as h
from harness import run_pyattach, pyattach_binary

HERE = os.path.dirname(os.path.abspath(__file__))
SITE = os.path.normpath(os.path.join(HERE, "..", "django_site"))
PYTHON = "/usr/bin/python3"
GUNICORN = "/usr/bin/gunicorn"
UWSGI = "/usr/bin/uwsgi"
# Debian testing's CPython 3.14 with its own Django and gunicorn, run inside its root
# (tests/distro_roots.sh): gunicorn is the root's /usr/bin/gunicorn.
PYTHON_314 = os.path.join(h.ROOTS, "bin", "debian-3.14")

START_TIMEOUT = 60.0
RECORD_SECONDS = 5
VIEWS = ("burn_cpu", "slow_query", "crunch_query")
PATHS = ("/cpu/", "/sql/", "/crunch/", "/fast/")


def require_tools():
    missing = [p for p in (PYTHON, GUNICORN, UWSGI, PYTHON_314) if not os.access(p, os.X_OK)]
    if not os.access(os.path.join(h.ROOTS, "forky", "usr", "bin", "gunicorn"), os.X_OK):
        missing.append("gunicorn in the forky root")
    try:
        subprocess.run([PYTHON, "-c", "import django"], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    except subprocess.CalledProcessError:
        missing.append("python3-django")
    if missing:
        raise AssertionError("SERVER TOOLS MISSING: %s -- apt-get install python3-django gunicorn uwsgi "
                             "uwsgi-plugin-python3 (see .ci/run); these tests never skip" % ", ".join(missing))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid):
    """Direct children of pid, from /proc/*/stat."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2:].split()
        if int(fields[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def cpu_ticks(pids):
    """{pid: utime + stime in clock ticks} of the pids that exist."""
    found = {}
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid, "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2:].split()
        found[pid] = int(fields[11]) + int(fields[12])
    return found


def age_seconds(pid):
    """How long ago the process started, from its start time and /proc/uptime."""
    with open("/proc/%d/stat" % pid, "rb") as f:
        stat = f.read()
    start = int(stat[stat.rindex(b")") + 2:].split()[19]) / float(os.sysconf("SC_CLK_TCK"))
    with open("/proc/uptime") as f:
        return float(f.read().split()[0]) - start


def get(port, path, timeout=30.0):
    """(status, body) of one GET; status is the exception's text on failure."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError as e:
        return repr(e), b""


class Server(object):
    """A server we started in its own session; a context manager that stops its whole
    process group. pid is the process a user sees (reloader or master)."""

    def __init__(self, argv, port, workers):
        self.argv = argv
        self.port = port
        self.workers = workers
        self.log = tempfile.TemporaryFile()
        env = dict(os.environ)
        for name in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONWARNINGS"):
            env.pop(name, None)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["DJANGO_SETTINGS_MODULE"] = "shop.settings"
        self.proc = subprocess.Popen(argv, cwd=SITE, env=env, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.proc.pid

    def __enter__(self):
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("%s exited (status %s) before serving:\n%s"
                                     % (self.argv, self.proc.returncode, self.output()))
            if len(children(self.pid)) >= self.workers and get(self.port, "/fast/", 2.0)[0] == 200:
                return
            if time.monotonic() > deadline:
                raise AssertionError("%s not serving within %.0fs:\n%s" % (self.argv, START_TIMEOUT, self.output()))
            time.sleep(0.1)

    def output(self):
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-4000:]

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGTERM)
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.pid, signal.SIGKILL)  # workers that outlived their master
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.log.close()


def runserver(port):
    return Server([PYTHON, "manage.py", "runserver", "127.0.0.1:%d" % port], port, 1)


def gunicorn_sync(port, workers=2, python=PYTHON):
    return Server([python, GUNICORN, "-w", str(workers), "-b", "127.0.0.1:%d" % port, "--timeout", "60",
                   "shop.wsgi"], port, workers)


def gunicorn_gthread(port):
    return Server([PYTHON, GUNICORN, "-w", "2", "-k", "gthread", "--threads", "4", "-b", "127.0.0.1:%d" % port,
                   "--timeout", "60", "shop.wsgi"], port, 2)


def uwsgi(port):
    return Server([UWSGI, "--plugin", "python3", "--http-socket", "127.0.0.1:%d" % port, "--master",
                   "--processes", "2", "--chdir", SITE, "--module", "shop.wsgi:application", "--die-on-term",
                   "--disable-logging"], port, 2)


class Load(object):
    """A bounded stream of requests: `clients` threads cycling through PATHS, each at
    most `max_requests` requests and never past `seconds`. Every answer is kept."""

    def __init__(self, port, clients=4, seconds=RECORD_SECONDS + 3, max_requests=400):
        self.port = port
        self.results = []
        self.lock = threading.Lock()
        self.deadline = time.monotonic() + seconds
        self.threads = [threading.Thread(target=self._run, args=(i, max_requests), daemon=True)
                        for i in range(clients)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        for t in self.threads:
            t.join(60)
        return False

    def _run(self, index, max_requests):
        for n in range(max_requests):
            if time.monotonic() > self.deadline:
                return
            path = PATHS[(index + n) % len(PATHS)]
            started = time.monotonic()
            status, _ = get(self.port, path)
            with self.lock:
                self.results.append((path, status, time.monotonic() - started))

    def failures(self):
        return [(p, s) for p, s, _ in self.results if s != 200]


# ---- reading what pyattach wrote ----

PROCESS_ROOT = re.compile(r"^<process (\d+): ")
THREAD_ROOT = re.compile(r'^<thread (\d+)( "[^"]*")?>$')


def load_pstats(path):
    return pstats.Stats(path).stats


def key_of(stats, function):
    keys = [k for k in stats if k[2] == function]
    return keys[0] if keys else None


def cumtime(stats, function):
    key = key_of(stats, function)
    return stats[key][3] if key else 0.0


def process_roots(stats):
    """{pid: key} of the synthetic <process PID: cmdline> roots."""
    roots = {}
    for key in stats:
        m = PROCESS_ROOT.match(key[2])
        if key[0] == "~" and m:
            roots[int(m.group(1))] = key
    return roots


def ancestors(stats, key):
    """Every function above key in the caller graph."""
    seen, todo = set(), [key]
    while todo:
        for caller in stats[todo.pop()][4]:
            if caller not in seen:
                seen.add(caller)
                todo.append(caller)
    return seen


def read_folded(path):
    """[(frames, count)], frames root first."""
    stacks = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            text, count = line.rstrip("\n").rsplit(" ", 1)
            stacks.append((text.split(";"), int(count)))
    return stacks


def folded_function(frame):
    return frame.split(" (", 1)[0].rsplit(".", 1)[-1]


def per_process_counts(stacks):
    """{pid: Counter(function -> samples with it on the stack)} and {pid: total}."""
    counts, totals = collections.defaultdict(collections.Counter), collections.Counter()
    for frames, count in stacks:
        m = PROCESS_ROOT.match(frames[0])
        assert m, "stack without a <process> root: %r" % frames[:3]
        pid = int(m.group(1))
        totals[pid] += count
        for name in set(folded_function(f) for f in frames):
            counts[pid][name] += count
    return counts, totals


def summary_lines(stderr):
    """{pid: (samples, with_frames, idle, failed, exited)} from pyattach's summary."""
    found = {}
    for m in re.finditer(r"PID (\d+) \(CPython [^)]*\): (\d+) samples, (\d+) with Python frames, (\d+) idle, "
                         r"(\d+) failed, in [\d.]+ s( \(exited\))?", stderr):
        found[int(m.group(1))] = tuple(int(m.group(i)) for i in range(2, 6)) + (bool(m.group(6)),)
    return found


class Recording(object):
    """pyattach running in the background while the test does other things."""

    def __init__(self, args):
        self.argv = [pyattach_binary()] + [str(a) for a in args]
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)

    def finish(self, timeout=120):
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise AssertionError("%s did not finish" % self.argv)
        err = err.decode("utf-8")
        if self.proc.returncode != 0:
            raise AssertionError("%s exited %d:\n%s" % (self.argv, self.proc.returncode, err))
        return out.decode("utf-8"), err


class ServerTestBase(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        require_tools()
        pyattach_binary()

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pyattach-servers-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def out(self, name):
        return os.path.join(self.dir, name)

    def record_wall_and_cpu(self, server, extra=(), during=None):
        """Wall (.prof and .folded) and cpu recordings of the same 5 s under load, all
        through the user-visible PID with -s. Returns (wall, folded, cpu, wall_stderr,
        cpu_used): cpu_used is {pid: CPU seconds the kernel counted during the recordings}."""
        common = ["-p", server.pid, "-s", "-d", RECORD_SECONDS] + list(extra)
        with Load(server.port) as load:
            time.sleep(0.5)  # every worker busy before the first sample
            processes = [server.pid] + children(server.pid)
            before = cpu_ticks(processes)
            wall = Recording(common + ["-o", self.out("wall.prof")])
            folded = Recording(common + ["-o", self.out("wall.folded")])
            cpu = Recording(common + ["-m", "cpu", "-o", self.out("cpu.prof")])
            if during:
                during()
            _, wall_err = wall.finish()
            folded.finish()
            cpu.finish()
            after = cpu_ticks(processes)
            self.ages_at_end = {pid: age_seconds(pid) for pid in children(server.pid)}
        hz = float(os.sysconf("SC_CLK_TCK"))
        cpu_used = {p: (after[p] - before[p]) / hz for p in before if p in after}
        self.assertEqual(load.failures(), [], "requests failed during the recording:\n" + server.output())
        self.assertGreaterEqual(len(load.results), 8)
        for path in PATHS:  # and after it
            status, _ = get(server.port, path)
            self.assertEqual(status, 200, "%s after the recording" % path)
        return (load_pstats(self.out("wall.prof")), read_folded(self.out("wall.folded")),
                load_pstats(self.out("cpu.prof")), wall_err, cpu_used)

    def check_views(self, server, wall, stacks, cpu, worker_pids, cpu_used, master_runs_python=True):
        """Views under the worker roots with plausible shares; slow_query in wall only.
        A uwsgi master runs no Python code (master_runs_python=False): it has no root."""
        roots = process_roots(wall)
        if master_runs_python:
            self.assertIn(server.pid, roots, "no root for the PID the user gave")
            # The master/reloader was sampled all along: ~RECORD_SECONDS of wall time.
            self.assertGreater(wall[roots[server.pid]][3], RECORD_SECONDS * 0.8)
        for pid in worker_pids:
            self.assertIn(pid, roots, "no <process> root for worker %d" % pid)
        for view in VIEWS:
            key = key_of(wall, view)
            self.assertIsNotNone(key, "%s missing from the wall profile" % view)
            self.assertEqual(key[0], os.path.join(SITE, "shop", "views.py"))
            top = [k for k in ancestors(wall, key) if not wall[k][4]]
            self.assertTrue(top, "%s: the caller walk found no root" % view)
            for k in top:
                self.assertTrue(k[0] == "~" and PROCESS_ROOT.match(k[2]), "%s reached a non-root %r" % (view, k))

        counts, totals = per_process_counts(stacks)
        for view in VIEWS:
            self.assertEqual(counts[server.pid][view], 0, "%s sampled in the master/reloader" % view)
            self.assertGreater(sum(counts[p][view] for p in worker_pids), 0, "%s under no worker" % view)
        # Plausible shares of wall time: each view gets between 5% and 80% of the
        # three views' samples (each takes ~0.15-0.2 s per request in isolation).
        view_total = sum(counts[p][v] for p in counts for v in VIEWS)
        for view in VIEWS:
            share = sum(counts[p][view] for p in counts) / float(view_total)
            self.assertTrue(0.05 <= share <= 0.80, "%s share %.2f of view time is implausible (%r)"
                            % (view, share, {p: dict((v, counts[p][v]) for v in VIEWS) for p in counts}))

        # cpu mode: the lock wait in SQLite is off-CPU, the CTE in SQLite and burn_cpu are on it.
        wall_slow, cpu_slow = cumtime(wall, "slow_query"), cumtime(cpu, "slow_query")
        self.assertGreater(wall_slow, 0.3, "slow_query hardly seen in wall mode")
        self.assertLess(cpu_slow, 0.1 * wall_slow, "slow_query's lock wait shows in cpu mode")
        # cpu mode's times against the kernel's count for every worker that lived
        # through the recording (on a loaded machine, wall time is not CPU time).
        cpu_roots = process_roots(cpu)
        busy = 0.0
        for pid in worker_pids:
            if pid not in cpu_used:
                continue
            sampled = cpu[cpu_roots[pid]][3] if pid in cpu_roots else 0.0
            self.assertLess(sampled, cpu_used[pid] * 1.3 + 0.3, "worker %d: cpu mode above its CPU time" % pid)
            self.assertGreater(sampled, cpu_used[pid] * 0.5 - 0.3, "worker %d: cpu mode misses CPU time" % pid)
            busy += sampled
        on_cpu = cumtime(cpu, "burn_cpu") + cumtime(cpu, "crunch_query")
        self.assertGreater(cumtime(cpu, "burn_cpu"), 0)
        self.assertGreater(cumtime(cpu, "crunch_query"), 0)
        self.assertGreater(on_cpu, 0.4 * busy, "burn_cpu + crunch_query: %.2f s of %.2f s on CPU" % (on_cpu, busy))


class TestRunserver(ServerTestBase):
    def test_runserver_with_autoreload(self):
        port = free_port()
        with runserver(port) as server:
            child = children(server.pid)
            self.assertEqual(len(child), 1, "runserver's reloader should have one child")
            wall, stacks, cpu, stderr, cpu_used = self.record_wall_and_cpu(server)
            self.check_views(server, wall, stacks, cpu, child, cpu_used)
            self.check_waits_are_rows(wall)
            summary = summary_lines(stderr)
            self.assertIn(server.pid, summary)
            self.assertIn(child[0], summary)

    def check_waits_are_rows(self, wall):
        """Wall mode shows waiting as waiting: the autoreloader's tick sleeps and the
        server's selector polls nearly all the time, in their own wait rows; their own
        time (tottime) is only their work, as in cProfile."""
        for function in ("StatReloader.tick", "_PollLikeSelector.select"):
            key = key_of(wall, function)
            self.assertIsNotNone(key, "%s missing from the wall profile" % function)
            tottime, cumulative = wall[key][2], wall[key][3]
            self.assertGreater(cumulative, 1.0, "%s: %.2f s in all" % (function, cumulative))
            self.assertLess(tottime, 0.1 * cumulative, "%s: %.2f s of own time of %.2f s" % (
                function, tottime, cumulative))
            waits = [k for k in wall if k[0] == "~" and k[2].startswith("<wait ") and key in wall[k][4]]
            self.assertTrue(waits, "%s calls no <wait ...> row" % function)

    def test_restart_after_a_code_change_is_followed(self):
        """A code change makes the reloader start a new child: the old one drops out
        without error and the new one is followed, in the same recording."""
        port = free_port()
        with runserver(port) as server:
            first = children(server.pid)[0]
            rec = Recording(["-p", server.pid, "-s", "-d", 10, "-o", self.out("reload.folded")])
            time.sleep(1.5)
            os.utime(os.path.join(SITE, "shop", "views.py"))  # what saving the file in an editor does
            deadline, new = time.monotonic() + 8, []
            while not new and time.monotonic() < deadline:
                new = [p for p in children(server.pid) if p != first]
                time.sleep(0.1)
            self.assertTrue(new, "runserver did not restart its child after the change")
            # Requests to the new child (it binds the port once it is up), so its views run.
            served = 0
            while served < 6 and time.monotonic() < deadline + 5:
                status, _ = get(server.port, PATHS[served % 3], timeout=10)
                served += status == 200
                if status != 200:
                    time.sleep(0.2)
            self.assertEqual(served, 6, "the new child did not answer:\n" + server.output())
            _, stderr = rec.finish()
        summary = summary_lines(stderr)
        self.assertIn(first, summary, stderr)
        self.assertTrue(summary[first][4], "the old child is not reported as exited:\n" + stderr)
        self.assertIn(new[0], summary, "the new child was not followed:\n" + stderr)
        counts, _ = per_process_counts(read_folded(self.out("reload.folded")))
        self.assertGreater(sum(counts[new[0]][view] for view in VIEWS), 0,
                           "no view sampled in the new child: %r" % dict(counts[new[0]]))

    def test_reloader_hint_without_subprocesses(self):
        port = free_port()
        with runserver(port) as server:
            child = children(server.pid)[0]
            r = run_pyattach(["-p", server.pid, "-d", 1, "-o", self.out("reloader.prof")])
            self.assertEqual(r.rc, 0, r.stderr)
            hints = [l for l in r.stderr.splitlines() if "--subprocesses" in l]
            self.assertEqual(len(hints), 1, r.stderr)
            self.assertIn(str(child), hints[0])
            # With -s the hint is not needed and not printed.
            r = run_pyattach(["-p", server.pid, "-s", "-d", 1, "-o", self.out("all.prof")])
            self.assertEqual(r.rc, 0, r.stderr)
            self.assertNotIn("--subprocesses", r.stderr)


class TestGunicorn(ServerTestBase):
    def test_sync_workers_and_a_replaced_worker(self):
        self.check_sync_workers(PYTHON)

    def test_sync_workers_on_debian_3_14(self):
        """The same on CPython 3.14 with Django and gunicorn as Debian testing ships
        them, in a root filesystem read from the host like a container."""
        self.check_sync_workers(PYTHON_314)

    def check_sync_workers(self, python):
        port = free_port()
        with gunicorn_sync(port, python=python) as server:
            workers = children(server.pid)
            self.assertEqual(len(workers), 2)
            victim = workers[0]

            def replace_worker():
                time.sleep(1.0)
                # SIGTERM: the sync worker finishes its request and exits; the master
                # starts a new one. No request may fail, no sample may be lost.
                os.kill(victim, signal.SIGTERM)

            wall, stacks, cpu, stderr, cpu_used = self.record_wall_and_cpu(server, during=replace_worker)
            now = children(server.pid)
            ages = self.ages_at_end
            self.assertNotIn(victim, now)
            new = [p for p in now if p not in workers]
            self.assertEqual(len(new), 1, "gunicorn did not replace the worker: %r -> %r" % (workers, now))
            self.check_views(server, wall, stacks, cpu, workers, cpu_used)

            summary = summary_lines(stderr)
            self.assertTrue(summary[victim][4], "the replaced worker is not reported as exited:\n" + stderr)
            # Killed 1 s after three recordings were started, at 100 Hz: ~100 samples, fewer
            # when attaching is slow (the ASan build on a loaded machine gave exactly 100).
            self.assertGreater(summary[victim][0], 50, "samples of the replaced worker before it left")
            # Followed within a second of its start: samples for all but ~1 s of the
            # part of the recording it lived through (it started after the kill).
            lived = min(ages[new[0]], RECORD_SECONDS)
            self.assertGreater(lived, 1.0, "the new worker started too late to tell")
            self.assertGreater(summary[new[0]][0], (lived - 1.0 - 0.5) * 100 * 0.8,
                               "the new worker (%.1f s old) was followed late:\n%s" % (ages[new[0]], stderr))
            counts, totals = per_process_counts(stacks)
            # Its own stacks, under its own root: the worker loop (it may still be
            # importing the site, or its sibling may take the requests).
            self.assertGreater(counts[new[0]]["init_process"], 0, "the new worker's stacks are missing")
            for pid in (server.pid, victim, new[0]):
                # A few torn reads while a new worker imports Django are fair; more are not.
                self.assertLessEqual(summary[pid][3], 0.05 * summary[pid][0], "failed samples in %d:\n%s" % (pid, stderr))

    def test_one_file_per_process_and_several_pids(self):
        port = free_port()
        with gunicorn_sync(port) as server:
            workers = children(server.pid)
            with Load(server.port, seconds=6):
                time.sleep(0.5)
                per = Recording(["-p", server.pid, "-s", "-d", 3, "-o", self.out("out.%p.prof")])
                both = Recording(["-p", ",".join(str(w) for w in workers), "-d", 3, "-o", self.out("two.folded")])
                _, per_err = per.finish()
                _, both_err = both.finish()
            files = sorted(glob.glob(self.out("out.*.prof")))
            self.assertEqual(files, sorted(self.out("out.%d.prof" % p) for p in [server.pid] + workers), per_err)
            for pid in workers:
                stats = load_pstats(self.out("out.%d.prof" % pid))
                self.assertTrue(any(key_of(stats, v) for v in VIEWS), "worker %d's file has no view" % pid)
                self.assertEqual(list(process_roots(stats)), [pid], "a per-process file holds other roots")
            master = load_pstats(self.out("out.%d.prof" % server.pid))
            self.assertFalse(any(key_of(master, v) for v in VIEWS))

            counts, totals = per_process_counts(read_folded(self.out("two.folded")))
            self.assertEqual(sorted(totals), sorted(workers), both_err)
            self.assertEqual(sorted(summary_lines(both_err)), sorted(workers))

    def test_gthread_workers_with_thread_roots(self):
        port = free_port()
        with gunicorn_gthread(port) as server:
            workers = children(server.pid)
            wall, stacks, cpu, stderr, cpu_used = self.record_wall_and_cpu(server, extra=["--threads"])
            self.check_views(server, wall, stacks, cpu, workers, cpu_used)
            # Thread roots in pstats: every view is reached through <thread> under <process>.
            for view in VIEWS:
                above = ancestors(wall, key_of(wall, view))
                threads = [k for k in above if k[0] == "~" and THREAD_ROOT.match(k[2])]
                self.assertTrue(threads, "%s has no <thread> root above it" % view)
                for t in threads:
                    for caller in wall[t][4]:
                        self.assertTrue(PROCESS_ROOT.match(caller[2]), "thread root under %r" % (caller,))
            # ... and in the collapsed output: <process>;<thread>;... on every line,
            # the views served by more than one thread of a worker.
            view_threads = collections.defaultdict(set)
            for frames, _ in stacks:
                self.assertTrue(PROCESS_ROOT.match(frames[0]), frames[:2])
                m = THREAD_ROOT.match(frames[1])
                self.assertTrue(m, "second frame is not a thread root: %r" % frames[:2])
                if any(folded_function(f) in VIEWS for f in frames):
                    view_threads[int(PROCESS_ROOT.match(frames[0]).group(1))].add(int(m.group(1)))
            self.assertTrue(any(len(t) > 1 for t in view_threads.values()),
                            "gthread workers served views in one thread only: %r" % dict(view_threads))


class TestUwsgi(ServerTestBase):
    def test_uwsgi_two_processes(self):
        port = free_port()
        with uwsgi(port) as server:
            workers = children(server.pid)
            self.assertEqual(len(workers), 2)
            wall, stacks, cpu, stderr, cpu_used = self.record_wall_and_cpu(server)
            self.check_views(server, wall, stacks, cpu, workers, cpu_used, master_runs_python=False)
            summary = summary_lines(stderr)
            for pid in [server.pid] + workers:
                self.assertIn(pid, summary, "uwsgi process %d (libpython3.11.so via the plugin) not attached:\n%s"
                              % (pid, stderr))


if __name__ == "__main__":
    unittest.main()
