#!/usr/bin/python3
# What following a loaded gunicorn costs: 8 sync workers of tests/django_site under a
# bounded request stream, `pyattach -p MASTER -s -r 100 -d N`, and pyattach's own CPU
# time (utime + stime from wait4's rusage) over its wall time, as % of one core.
# Target: under 5 %. Exit status 1 when over it.
#
#   bench/bench_workers.py [--pyattach PATH] [--seconds N] [--workers W] [--rate HZ]
#
# Only processes it started are stopped: gunicorn runs in a session of its own and is
# killed as that process group.
import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SITE = os.path.normpath(os.path.join(HERE, "..", "tests", "django_site"))
TARGET_PERCENT = 5.0
PATHS = ("/cpu/", "/sql/", "/crunch/", "/fast/")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=30) as r:
            return r.status
    except OSError as e:
        return repr(e)


def children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry, "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat[stat.rindex(b")") + 2:].split()[1]) == pid:
                found.append(int(entry))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pyattach", default=os.environ.get("PYATTACH", os.path.join(HERE, "..", "build",
                                                                                       "pyattach")))
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--rate", type=float, default=100.0)
    args = parser.parse_args()

    port = free_port()
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", DJANGO_SETTINGS_MODULE="shop.settings")
    log = tempfile.TemporaryFile()
    server = subprocess.Popen(["/usr/bin/python3", "/usr/bin/gunicorn", "-w", str(args.workers), "-b",
                               "127.0.0.1:%d" % port, "--timeout", "60", "shop.wsgi"], cwd=SITE, env=env,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(children(server.pid)) < args.workers or get(port, "/fast/") != 200:
            if time.monotonic() > deadline or server.poll() is not None:
                log.seek(0)
                sys.exit("gunicorn did not start:\n" + log.read().decode(errors="replace"))
            time.sleep(0.2)

        stop = time.monotonic() + args.seconds + 3
        statuses = []

        def client(i):
            n = 0
            while time.monotonic() < stop and n < 10000:
                statuses.append(get(port, PATHS[(i + n) % len(PATHS)]))
                n += 1

        clients = [threading.Thread(target=client, args=(i,)) for i in range(args.workers)]
        for c in clients:
            c.start()
        time.sleep(1.0)
        out = tempfile.NamedTemporaryFile(suffix=".prof", delete=False)
        out.close()
        started = time.monotonic()
        rec = subprocess.Popen([args.pyattach, "-p", str(server.pid), "-s", "-r", str(args.rate), "-d",
                                str(args.seconds), "-o", out.name], stderr=subprocess.PIPE)
        err = rec.stderr.read().decode()
        _, status, usage = os.wait4(rec.pid, 0)
        wall = time.monotonic() - started
        rec.returncode = os.waitstatus_to_exitcode(status)
        os.unlink(out.name)
        for c in clients:
            c.join()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()

    sys.stderr.write(err)
    cpu = usage.ru_utime + usage.ru_stime
    percent = 100.0 * cpu / wall
    failed = [s for s in statuses if s != 200]
    print("gunicorn %d workers, %d requests (%d failed), pyattach -s -r %g for %.1f s: "
          "user %.3f s + sys %.3f s = %.1f %% of one core (target < %.0f %%)"
          % (args.workers, len(statuses), len(failed), args.rate, wall, usage.ru_utime, usage.ru_stime, percent,
             TARGET_PERCENT))
    if rec.returncode != 0:
        sys.exit("pyattach exited %d" % rec.returncode)
    return 0 if percent < TARGET_PERCENT else 1


if __name__ == "__main__":
    sys.exit(main())
