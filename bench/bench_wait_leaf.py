#!/usr/bin/python3
# What wall mode's wait leaf costs (issue 14, item 4): one read of
# /proc/PID/task/TID/syscall per thread and sample (sampler/wait_leaf.c).
#
#     /usr/bin/python3 bench/bench_wait_leaf.py [--pyattach PATH] --baseline PATH [--python PY]
#
# --baseline is a pyattach built without the leaf (the commit before it); both record
# the same targets at 1 kHz for 3 s, interleaved, three runs each, and the figure is
# pyattach's own CPU time (user + system, from wait4's rusage) per tick. Then the file
# itself, read alone in a loop, for a sleeping and for a spinning thread. A benchmark,
# not a test: it prints figures and exits 0 unless something could not run. It kills
# only the processes it started, by PID.
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

TARGETS = {
    "1 thread asleep": "import time\nwhile True: time.sleep(1)\n",
    "1 thread spinning": "while True: pass\n",
    "4 threads, GIL-bound": (
        "import threading\n"
        "def spin():\n"
        "    while True: pass\n"
        "for _ in range(4): threading.Thread(target=spin, daemon=True).start()\n"
        "threading.Event().wait()\n"),
}
RATE, SECONDS, RUNS = 1000, 3, 3


def pyattach_cpu_per_tick(binary, pid):
    proc = subprocess.Popen([binary, "-p", str(pid), "-r", str(RATE), "-d", str(SECONDS), "-q", "-o", os.devnull],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError("%s failed: %s" % (binary, proc.stderr.read().decode(errors="replace")))
    return (usage.ru_utime + usage.ru_stime) / (RATE * SECONDS) * 1e6


def read_loop_us(path, count=20000):
    start = time.perf_counter()
    for _ in range(count):
        with open(path, "rb", buffering=0) as f:
            f.read(256)
    return (time.perf_counter() - start) / count * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pyattach", default=os.path.join(ROOT, "build", "pyattach"))
    parser.add_argument("--baseline", required=True, help="a pyattach without the wait leaf")
    parser.add_argument("--python", default="/root/.pyenv/versions/3.12.1/bin/python3.12")
    args = parser.parse_args()
    print("wall mode, %d Hz, %d s, %s; pyattach CPU per tick in µs (%d runs, interleaved); load %.1f" % (
        RATE, SECONDS, args.python, RUNS, os.getloadavg()[0]))
    print("    %-24s %-22s %-22s %s" % ("target", "without the leaf", "with the leaf", "median difference"))
    for name, code in TARGETS.items():
        target = subprocess.Popen([args.python, "-c", code], stdin=subprocess.DEVNULL)
        try:
            time.sleep(0.5)
            before, after = [], []
            for _ in range(RUNS):
                before.append(pyattach_cpu_per_tick(args.baseline, target.pid))
                after.append(pyattach_cpu_per_tick(args.pyattach, target.pid))
        finally:
            target.kill()
            target.wait()
        print("    %-24s %-22s %-22s %+.1f" % (name, " ".join("%.1f" % v for v in before),
                                               " ".join("%.1f" % v for v in after),
                                               statistics.median(after) - statistics.median(before)))
    sleeper = subprocess.Popen([args.python, "-c", TARGETS["1 thread asleep"]])
    spinner = subprocess.Popen([args.python, "-c", TARGETS["1 thread spinning"]])
    try:
        time.sleep(0.5)
        print("/proc/PID/task/TID/syscall read alone (open, read, close; 20,000 times): "
              "sleeping thread %.1f µs, spinning thread %.1f µs" % (
                  read_loop_us("/proc/%d/task/%d/syscall" % (sleeper.pid, sleeper.pid)),
                  read_loop_us("/proc/%d/task/%d/syscall" % (spinner.pid, spinner.pid))))
    finally:
        for p in (sleeper, spinner):
            p.kill()
            p.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
