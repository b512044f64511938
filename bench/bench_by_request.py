#!/usr/bin/python3
# What --by-request costs per sample (python_frames/request_label.c): the same binary
# records the same target at 1 kHz for 3 s with and without --by-request, interleaved,
# seven runs each (--runs); the figure is pyattach's own CPU time (user + system, from wait4's
# rusage) per tick. The target (bench/targets/request_load.py) has 4 threads 20+ frames
# deep inside Django-shaped handler frames:
#   steady  one endless request per thread: every sample finds its label kept (a lookup
#           per frame and a TID check)
#   churn   ~1 ms requests back to back: most samples see a new handler call and read
#           its label (the request local, method, resolver_match, route, view, twice,
#           and the frame check)
#   none    no handler frame: the per-frame lookup alone
#
#     /usr/bin/python3 bench/bench_by_request.py [--pyattach PATH] [--python PY]
#
# A benchmark, not a test: it prints figures and exits 0 unless something could not
# run. It kills only the processes it started, by PID. The profiles go to a temporary
# directory, never to /dev/null: pyattach writes its output atomically (a temporary
# file in the same directory, renamed over the name), which would replace the device.
import argparse
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TARGET = os.path.join(HERE, "targets", "request_load.py")
MODES = ("none", "steady", "churn")
RATE, SECONDS, THREADS = 1000, 3, 4


def pyattach_cpu_per_tick(binary, pid, extra, output):
    proc = subprocess.Popen([binary, "-p", str(pid), "-r", str(RATE), "-d", str(SECONDS), "-q", "-o", output]
                            + extra, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("%s failed: %s" % (binary, err))
    return (usage.ru_utime + usage.ru_stime) / (RATE * SECONDS) * 1e6


def handler_calls(path):
    """Requests seen: the ncalls of the request roots, <no request> aside."""
    stats = pstats.Stats(path).stats
    return sum(v[1] for k, v in stats.items() if not v[4] and k[2] != "<no request>")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pyattach", default=os.path.join(ROOT, "build", "pyattach"))
    parser.add_argument("--python", default="/root/.pyenv/versions/3.12.1/bin/python3.12")
    parser.add_argument("--runs", type=int, default=7, help="runs of each, interleaved (default 7)")
    args = parser.parse_args()
    print("wall mode, %d Hz, %d s, %s, %d threads; pyattach CPU per tick in µs (%d runs, interleaved); "
          "load %.1f" % (RATE, SECONDS, args.python, THREADS, args.runs, os.getloadavg()[0]))
    print("    %-8s %-20s %-20s %-11s %-11s %s" % ("target", "without", "--by-request", "difference",
                                             "per sample", "requests seen per run"))
    extra = {}
    out = tempfile.mkdtemp(prefix="pyattach-bench-by-request-")
    prof = os.path.join(out, "labels.prof")
    for mode in MODES:
        target = subprocess.Popen([args.python, TARGET, mode])
        try:
            time.sleep(1.0)
            without, with_labels, calls = [], [], []
            for _ in range(args.runs):
                without.append(pyattach_cpu_per_tick(args.pyattach, target.pid, [], prof))
                with_labels.append(pyattach_cpu_per_tick(args.pyattach, target.pid, ["--by-request"], prof))
                calls.append(handler_calls(prof))
        finally:
            target.kill()
            target.wait()
        difference = statistics.median(with_labels) - statistics.median(without)
        extra[mode] = (difference, statistics.median(calls))
        print("    %-8s %-20s %-20s %+-11.1f %+-11.2f %s" % (
            mode, " ".join("%.1f" % v for v in without), " ".join("%.1f" % v for v in with_labels), difference,
            difference / THREADS, " ".join("%d" % c for c in calls)))
    os.unlink(prof)
    os.rmdir(out)
    # churn reads a label per request where steady finds it kept: the extra cost per
    # request seen, over the run's ticks
    (churn, requests), (steady, _) = extra["churn"], extra["steady"]
    if requests > 0:
        print("label reads (churn - steady): %.1f µs per request seen (%d requests in %d ticks)" % (
            (churn - steady) * RATE * SECONDS / requests, requests, RATE * SECONDS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
