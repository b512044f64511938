#!/usr/bin/python3
# How much pyattach slows its target: a CPU-bound target (tests/targets/prod_busy.py)
# counts its own loop iterations per second over a fixed window, once alone and once
# while pyattach samples it, interleaved round by round so that drift of the machine
# (other load, frequency scaling) hits both sides alike. Reports the median rates and
# the slowdown, for each pyattach mode asked for.
#
#   bench/bench_overhead.py --pyattach build/pyattach [--python PY] [--rounds 10]
#                           [--window 3] [--rate 100] [--mode nonblocking,blocking]
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(HERE, "..", "tests", "targets", "prod_busy.py")
WARMUP = 0.5  # seconds the target spins before counting: pyattach attaches meanwhile


def args_window_plus(window):
    return window + WARMUP


def one_run(python, window, pyattach=None, extra=(), out=None):
    target = subprocess.Popen([python, TARGET, "--rate", str(window), "--warmup", str(WARMUP)],
                              stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        ready = target.stdout.readline()
        if not ready.startswith(b"READY"):
            raise SystemExit("target did not start: %r" % ready)
        sampler = None
        if pyattach:
            sampler = subprocess.Popen([pyattach, "-p", str(target.pid), "-q", "-o", out] + list(extra),
                                       stdin=subprocess.DEVNULL)
        line = target.stdout.readline().decode()
        cpu = 0.0
        if sampler:
            sampler.terminate()  # SIGTERM: stops, writes, exits 0
            _, status, usage = os.wait4(sampler.pid, 0)
            sampler.returncode = status
            if status != 0:
                raise SystemExit("pyattach failed")
            cpu = (usage.ru_utime + usage.ru_stime) / (args_window_plus(window))
        if not line.startswith("RATE "):
            raise SystemExit("target gave no rate: %r" % line)
        return float(line.split()[1]), cpu
    finally:
        target.kill()
        target.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pyattach", required=True)
    parser.add_argument("--python", default="/root/.pyenv/versions/3.12.1/bin/python3.12")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--window", type=float, default=3.0)
    parser.add_argument("--rate", default="100")
    parser.add_argument("--mode", default="nonblocking,blocking")
    args = parser.parse_args()
    modes = args.mode.split(",")
    rates = {"alone": []}
    rates.update((m, []) for m in modes)
    cpus = {}  # pyattach's own CPU time per second of the run, per mode
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "bench.prof")
        for r in range(args.rounds):
            rates["alone"].append(one_run(args.python, args.window)[0])
            for m in modes:
                rate, cpu = one_run(args.python, args.window, args.pyattach, ["-r", args.rate, "--" + m], out)
                rates[m].append(rate)
                cpus.setdefault(m, []).append(cpu)
            sys.stderr.write("round %d: %s\n" % (r + 1, ", ".join("%s %.0f" % (k, v[-1]) for k, v in rates.items())))
    base = statistics.median(rates["alone"])
    print("target: %s, %d rounds of %.1f s, pyattach at %s Hz, %d CPUs"
          % (args.python, args.rounds, args.window, args.rate, os.cpu_count()))
    print("alone:        median %.0f iterations/s (min %.0f, max %.0f)"
          % (base, min(rates["alone"]), max(rates["alone"])))
    for m in modes:
        med = statistics.median(rates[m])
        # Per-round ratios against the run just before: less sensitive to drift.
        ratios = [w / a for w, a in zip(rates[m], rates["alone"])]
        print("--%-11s median %.0f iterations/s, slowdown %.1f%% (per-round median %.1f%%, range %.1f%% .. %.1f%%)"
              % (m + ":", med, 100 * (1 - med / base), 100 * (1 - statistics.median(ratios)),
                 100 * (1 - max(ratios)), 100 * (1 - min(ratios))))
        print("%14s pyattach itself: median %.1f%% of one CPU" % ("", 100 * statistics.median(cpus[m])))


if __name__ == "__main__":
    main()
