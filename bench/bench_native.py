#!/usr/bin/env python3
# What --native costs: pyattach's CPU time per sample, and how long each sampled thread
# is stopped per sample, at stack depth 5 and 50 (with and without --native).
#
# The stop time is pyattach's own measurement (its summary line "threads stopped N
# times ..., X us on average, Y us at most": from before PTRACE_SEIZE to after
# PTRACE_DETACH). As a cross-check from the target's side, the sampled thread spins
# reading time.perf_counter() and counts gaps above GAP_US (on a busy machine
# preemption makes many of those too: compare with the baseline row). Every level of
# the recursion goes through C (list(map(...))), so the native stack grows with the
# Python one (~8 C frames per level).
#
#   bench/bench_native.py [--python PATH] [--pyattach PATH] [--seconds S] [--rate HZ]
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GAP_US = 20.0

TARGET = r"""
import json, sys, time
depth, seconds = int(sys.argv[1]), float(sys.argv[2])

def measure():
    sys.stdout.write("READY\n"); sys.stdout.flush()
    gaps, clock = [], time.perf_counter
    end = clock() + seconds
    last = clock()
    while last < end:
        now = clock()
        if now - last > %f:
            gaps.append(now - last)
        last = now
    sys.stdout.write(json.dumps(gaps) + "\n"); sys.stdout.flush()

def level(n):
    if n <= 1:
        return measure()
    return list(map(level, [n - 1]))

level(depth)
""" % (GAP_US * 1e-6)


def run(python, pyattach, depth, seconds, rate, mode):
    target = subprocess.Popen([python, "-c", TARGET, str(depth), str(seconds + 1.0)], stdout=subprocess.PIPE)
    assert target.stdout.readline().strip() == b"READY"
    time.sleep(0.3)
    samples, cpu, stop = 0, 0.0, (0.0, 0.0)
    if mode is not None:
        with tempfile.TemporaryDirectory() as d:
            argv = [pyattach, "-p", str(target.pid), "-d", str(seconds), "-r", str(rate), "-o",
                    os.path.join(d, "x.prof")] + (["--native"] if mode == "native" else [])
            proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            err = proc.stderr.read().decode()
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = status
            found = re.search(r"(\d+) samples,", err)
            if not found:
                raise SystemExit("pyattach failed: %s" % err)
            samples = int(found.group(1))
            stopped = re.search(r"threads stopped \d+ times for --native, ([\d.]+) us on average, ([\d.]+) us", err)
            if stopped:
                stop = (float(stopped.group(1)), float(stopped.group(2)))
            cpu = usage.ru_utime + usage.ru_stime
    gaps = json.loads(target.stdout.readline())
    target.wait()
    return samples, cpu, stop, gaps


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--python", default="/root/.pyenv/versions/3.12.1/bin/python3.12")
    ap.add_argument("--pyattach", default=os.environ.get("PYATTACH", os.path.join(HERE, "..", "build", "pyattach")))
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rate", type=float, default=100.0)
    a = ap.parse_args()
    print("python %s, %.0f Hz, %.1f s per run; gaps > %.0f us seen by the sampled thread" %
          (a.python, a.rate, a.seconds, GAP_US))
    print("%-6s %-9s %8s %14s %13s %13s %18s" % ("depth", "mode", "samples", "cpu/sample us", "stop avg us",
                                                  "stop max us", "target gaps>20us"))
    for depth in (5, 50):
        for mode in ("baseline", "python", "native"):
            samples, cpu, stop, gaps = run(a.python, a.pyattach, depth, a.seconds, a.rate,
                                           None if mode == "baseline" else mode)
            per = cpu / samples * 1e6 if samples else 0.0
            print("%-6d %-9s %8d %14.1f %13.1f %13.1f %18d" % (depth, mode, samples, per, stop[0], stop[1],
                                                              len(gaps)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
