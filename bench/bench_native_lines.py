#!/usr/bin/env python3
# What the source lines of native frames cost (--native): they are looked up after
# sampling, only for the PCs sampled, each module's DWARF loaded on its first lookup,
# and only by the formats that show them (collapsed, speedscope, html, dump; a .prof
# never asks). So the cost is the difference between one recording written as .prof
# and as .folded: pyattach's wall time outside sampling (its whole run minus the
# sampling time of its summary line, "in X s"; attach and write included), median of
# --repeat runs. The target is tests/native_ext's Python -> C -> Python chain (the
# extension built with -g); --native keeps the extension's frames only (its small
# DWARF), --native-all keeps the interpreter's too (libpython's DWARF on a pyenv build;
# none on Debian's, whose -dbgsym packages are not installed). Also: what the periodic
# re-read of /proc/PID/maps (every 0.5 s, to see a library replaced after a dlclose)
# costs per read.
#
#   bench/bench_native_lines.py [--pyattach PATH] [--seconds S] [--repeat N] [--python PATH ...]
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NATIVE_EXT = os.path.join(HERE, "..", "tests", "native_ext")
sys.path.insert(0, NATIVE_EXT)
import build  # noqa: E402  (tests/native_ext/build.py)

PYTHONS = ["/root/.pyenv/versions/3.12.1/bin/python3.12", "/usr/bin/python3.11"]


def outside_sampling(pyattach, pid, seconds, flag, out):
    start = time.monotonic()
    proc = subprocess.run([pyattach, "-p", str(pid), "-d", str(seconds), flag, "-o", out],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.monotonic() - start
    err = proc.stderr.decode()
    m = re.search(r"samples, .* in ([\d.]+) s", err)
    if proc.returncode != 0 or not m:
        raise SystemExit("pyattach failed: %s" % err)
    return wall - float(m.group(1))


def maps_read_us(pid, reads=200):
    start = time.perf_counter()
    for _ in range(reads):
        with open("/proc/%d/maps" % pid) as f:
            f.read()
    return (time.perf_counter() - start) / reads * 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pyattach", default=os.environ.get("PYATTACH", os.path.join(HERE, "..", "build", "pyattach")))
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--python", action="append")
    a = ap.parse_args()
    print("%.1f s recordings, median of %d; seconds outside sampling (attach + write)" % (a.seconds, a.repeat))
    print("%-44s %-12s %8s %8s %8s %10s" % ("python", "flag", ".prof", ".folded", ".html", "lines cost"))
    for python in a.python or PYTHONS:
        with tempfile.TemporaryDirectory() as d:
            build.build(python, d)
            target = subprocess.Popen([python, os.path.join(NATIVE_EXT, "native_target.py"), d],
                                      stdout=subprocess.PIPE)
            try:
                assert target.stdout.readline().startswith(b"READY")
                time.sleep(0.3)
                for flag in ("--native", "--native-all"):
                    row = {}
                    for ext in ("prof", "folded", "html"):
                        row[ext] = statistics.median(
                            outside_sampling(a.pyattach, target.pid, a.seconds, flag, os.path.join(d, "x." + ext))
                            for _ in range(a.repeat))
                    print("%-44s %-12s %8.3f %8.3f %8.3f %10.3f" % (python, flag, row["prof"], row["folded"],
                                                                   row["html"], row["folded"] - row["prof"]))
                    sys.stdout.flush()
                maps_us = maps_read_us(target.pid)
                print("%-44s re-read of /proc/PID/maps: %.0f us per read, %.0f us per second at one read / 0.5 s"
                      % (python, maps_us, maps_us * 2))
            finally:
                target.kill()
                target.wait()


if __name__ == "__main__":
    main()
