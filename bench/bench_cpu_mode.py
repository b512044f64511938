#!/usr/bin/python3
# What -m cpu's state check costs (issue 14, item 1): per thread and sample it reads
# /proc/PID/task/TID/stat (the run state) and .../schedstat (the time on a CPU), both
# opened, read and closed each time (on_cpu in sampler/sampler.c); wall mode reads
# .../syscall instead, from a file kept open (the wait leaf, sampler/wait_leaf.c).
#
#     /usr/bin/python3 bench/bench_cpu_mode.py [--pyattach PATH] [--python PY]
#
# Part 1: one pyattach records the same target at 1 kHz for 3 s in wall and in cpu
# mode, interleaved, three runs each, on a 1-thread and a 4-thread target; the figure
# is pyattach's own CPU time (user + system, from wait4's rusage) per tick, and the
# samples with Python frames it kept (cpu mode keeps only running threads').
# Part 2: the four files the state could come from (stat, schedstat, syscall, wchan)
# read alone in a Python loop, 20,000 times each, for a sleeping and for a spinning
# thread: opened, read and closed each time (as stat and schedstat are read), and
# read again from an fd kept open (os.pread, as the wait leaf reads syscall). A Python
# loop: each figure carries the interpreter's own cost of the calls (~1 µs here), the
# same in every row, so the rows compare. A benchmark, not a test: it prints figures
# and exits 0 unless something could not run. Takes about 1 minute; it kills only the
# processes it started, by PID. Run it with nothing else loading the CPUs.
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

from bench_wait_leaf import TARGETS as WAIT_LEAF_TARGETS

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# The same targets as the wait leaf's bench, less the sleeping one (cpu mode credits it nothing).
TARGETS = dict((name, WAIT_LEAF_TARGETS[name]) for name in ("1 thread spinning", "4 threads, GIL-bound"))
MODES = ("wall", "cpu")
FILES = ("stat", "schedstat", "syscall", "wchan")
RATE, SECONDS, RUNS, READS = 1000, 3, 3, 20000
KEPT = re.compile(r"(\d+) with Python frames")


def record(binary, pid, mode):
    """pyattach's CPU per tick in µs, and the samples with Python frames it kept."""
    proc = subprocess.Popen([binary, "-p", str(pid), "-m", mode, "-r", str(RATE), "-d", str(SECONDS),
                             "-o", os.devnull], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    stderr = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("%s -m %s failed: %s" % (binary, mode, stderr))
    kept = KEPT.search(stderr)
    if kept is None:
        raise RuntimeError("no summary line from %s: %s" % (binary, stderr))
    return (usage.ru_utime + usage.ru_stime) / (RATE * SECONDS) * 1e6, int(kept.group(1))


def one_shot_us(path):
    start = time.perf_counter()
    for _ in range(READS):
        fd = os.open(path, os.O_RDONLY)
        os.read(fd, 1024)
        os.close(fd)
    return (time.perf_counter() - start) / READS * 1e6


def kept_us(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        start = time.perf_counter()
        for _ in range(READS):
            os.pread(fd, 1024, 0)
        return (time.perf_counter() - start) / READS * 1e6
    finally:
        os.close(fd)


def part1(binary, python):
    print("pyattach CPU per tick in µs at %d Hz, %d s a run, %d runs per mode (interleaved); "
          "samples with Python frames of %d ticks" % (RATE, SECONDS, RUNS, RATE * SECONDS))
    print("    %-22s %-5s %-20s %-8s %s" % ("target", "mode", "µs per tick", "median", "samples kept"))
    for name, code in TARGETS.items():
        target = subprocess.Popen([python, "-c", code], stdin=subprocess.DEVNULL)
        try:
            time.sleep(0.5)
            runs = {mode: [] for mode in MODES}
            for _ in range(RUNS):
                for mode in MODES:
                    runs[mode].append(record(binary, target.pid, mode))
        finally:
            target.kill()  # by PID: the target we started
            target.wait()
        for mode in MODES:
            cost = [c for c, _ in runs[mode]]
            print("    %-22s %-5s %-20s %-8.1f %s" % (name, mode, " ".join("%.1f" % c for c in cost),
                                                     statistics.median(cost),
                                                     " ".join(str(k) for _, k in runs[mode])))
        print("    %-22s cpu - wall, medians: %+.1f µs per tick" % (
            "", statistics.median(c for c, _ in runs["cpu"]) - statistics.median(c for c, _ in runs["wall"])))


def part2(python):
    sleeper = subprocess.Popen([python, "-c", "import time\nwhile True: time.sleep(1)\n"], stdin=subprocess.DEVNULL)
    spinner = subprocess.Popen([python, "-c", "while True: pass\n"], stdin=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        print("/proc/PID/task/TID/FILE read alone in a Python loop, %d times each, µs per read:" % READS)
        print("    %-10s %-24s %-24s" % ("FILE", "open+read+close", "kept open, pread"))
        print("    %-10s %-11s %-12s %-11s %-12s" % ("", "sleeping", "spinning", "sleeping", "spinning"))
        for name in FILES:
            paths = ["/proc/%d/task/%d/%s" % (p.pid, p.pid, name) for p in (sleeper, spinner)]
            once = [one_shot_us(path) for path in paths]
            kept = [kept_us(path) for path in paths]
            print("    %-10s %-11.1f %-12.1f %-11.1f %-12.1f" % (name, once[0], once[1], kept[0], kept[1]))
    finally:
        for p in (sleeper, spinner):
            p.kill()  # by PID: the targets we started
            p.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pyattach", default=os.path.join(ROOT, "build", "pyattach"))
    parser.add_argument("--python", default="/root/.pyenv/versions/3.12.1/bin/python3.12")
    args = parser.parse_args()
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL).stdout.decode().strip()
    print("bench_cpu_mode: %s (checkout %s), %s, %d CPUs, load %.1f at the start" % (
        args.pyattach, commit or "?", args.python, os.cpu_count(), os.getloadavg()[0]))
    started = time.monotonic()
    part1(args.pyattach, args.python)
    part2(args.python)
    print("done in %.0f s, load %.1f at the end" % (time.monotonic() - started, os.getloadavg()[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
