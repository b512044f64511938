#!/usr/bin/python3
# How close --by-request's time per route comes to the server's own figure, and what
# share of each worker's samples failed: gunicorn (2 sync workers) on one of the Debian
# roots' CPython with its Django, the route mix of tests/integration/
# test_by_request_servers.py (its RouteLoad, its timing middleware), recorded with
# -s --by-request -r RATE -d 8. Per route: the server's summed X-Handler-Seconds, the
# resolved label's time and the route's WSGI label (`<GET /search/>`: time outside
# Django's URL resolution, mostly gunicorn writing the response, which the middleware
# does not time), and pyattach's summary lines (failed samples per process).
#
#     /usr/bin/python3 bench/bench_by_request_accuracy.py [--pyattach PATH] [--python debian-3.15]
#         [--rate 400] [--runs 2]
#
# A benchmark, not a test: it prints figures and exits 0 unless something could not run.
# The server runs in its own session and is stopped by its process group, which this
# script started; the profile goes to a temporary directory.
import argparse
import os
import re
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "integration"))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pyattach", default=os.path.join(os.path.dirname(HERE), "build", "pyattach"))
    parser.add_argument("--python", default="debian-3.15", help="debian-3.11, debian-3.14 or debian-3.15")
    parser.add_argument("--rate", type=int, default=400)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    os.environ["PYATTACH"] = os.path.abspath(args.pyattach)
    import test_by_request_servers as t  # after PYATTACH: its harness reads it
    from test_servers import Recording, load_pstats
    pythons = dict((label.split()[0], path) for label, path in t.PYTHONS)
    if args.python not in pythons:
        parser.error("--python: one of %s" % ", ".join(sorted(pythons)))
    tmp = tempfile.mkdtemp(prefix="pyattach-by-request-accuracy-")
    try:
        for run in range(args.runs):
            out = os.path.join(tmp, "run%d.prof" % run)
            with t.gunicorn_sync(t.free_port(), pythons[args.python]) as server:
                recording = Recording(["-p", server.pid, "-s", "--by-request", "-r", args.rate,
                                       "-d", t.RECORD_SECONDS, "-o", out])
                time.sleep(1.5)  # -s attaches to the workers at the first sample
                load = t.RouteLoad(server.port)
                load.run()
                _, stderr = recording.finish()
            roots = t.request_roots(load_pstats(out))
            print("run %d (%s, gunicorn sync, -r %d):" % (run + 1, args.python, args.rate))
            for route, label in sorted(t.ROUTES.items()):
                measured = load.server_time[route]
                sampled = roots.get(label, (0.0, 0))[0]
                wsgi = sum(v[0] for name, v in roots.items() if name.startswith("<GET /%s/" % route)
                           or (route == "orders" and name.startswith("<GET /orders/")))
                print("  %-7s %4d requests  server %.3f s  resolved label %.3f s (%+.1f %%)  WSGI label %.3f s"
                      % (route, load.count[route], measured, sampled,
                         100.0 * (sampled - measured) / measured if measured else float("nan"), wsgi))
            for line in stderr.splitlines():
                if re.search(r"\d+ samples, .* failed", line):
                    print("  " + line.strip())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
