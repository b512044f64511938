#!/usr/bin/python3
# Two (or more) pyattach builds, interleaved, on one CPython 3.15 target (debian-3.15's
# bench_target.py, one thread at depth 10, --mode spin or churn, pinned apart from the
# profilers as in bench_tachyon.py): pyattach's own CPU (user + system from wait4) per
# sample, median over the rounds. For before/after figures of a change on a machine too
# busy for absolute ones: both builds see the same load, round by round.
#
#     /usr/bin/python3 bench/bench_tick_pair.py OLD/pyattach NEW/pyattach [--rates 1000,10000]
#         [--seconds 5] [--rounds 6] [--mode spin]
#
# Kills only the processes it started, by PID.
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_record import Target, pin_apart  # noqa: E402
from harness import DISTRO_INTERPRETERS  # noqa: E402

SUMMARY_RE = re.compile(r": (\d+) samples, \d+ with Python frames, \d+ idle, (\d+) failed")


def one_run(binary, pid, rate, seconds, out):
    proc = subprocess.Popen([binary, "-p", str(pid), "-r", str(rate), "-d", str(seconds), "-o", out],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    text = proc.stderr.read().decode()  # until pyattach closes it, at its exit
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = status
    proc.stderr.close()
    m = SUMMARY_RE.search(text)
    if status != 0 or m is None:
        raise RuntimeError("%s failed: %s" % (binary, text.strip()))
    samples = int(m.group(1))
    return (usage.ru_utime + usage.ru_stime) / samples * 1e6, samples / float(seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("builds", nargs="+")
    parser.add_argument("--rates", default="1000,10000")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--mode", default="spin")
    args = parser.parse_args()
    wrapper = dict(DISTRO_INTERPRETERS)["debian-3.15"]
    tmp = tempfile.mkdtemp(prefix="pyattach_pair_")
    out = os.path.join(tmp, "out.folded")
    with open("/proc/loadavg") as f:
        print("load at the start: %s" % " ".join(f.read().split()[:3]))
    with Target(wrapper, "--threads", 1, "--depth", 10, "--mode", args.mode) as t:
        pin_apart(t)
        for rate in [int(r) for r in args.rates.split(",")]:
            runs = {b: [] for b in args.builds}
            for _ in range(args.rounds):
                for b in args.builds:
                    runs[b].append(one_run(b, t.pid, rate, args.seconds, out))
            for b in args.builds:
                us = [r[0] for r in runs[b]]
                print("%6d Hz  %-45s µs/sample median %5.1f  runs %s  samples/s median %.0f"
                      % (rate, b, statistics.median(us), " ".join("%.1f" % u for u in us),
                         statistics.median(r[1] for r in runs[b])))
    with open("/proc/loadavg") as f:
        print("load at the end: %s" % " ".join(f.read().split()[:3]))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
