#!/usr/bin/python3
# pyattach next to CPython 3.15's own sampling profiler (`python3.15 -m profiling.sampling
# attach`, "Tachyon") on CPython 3.15 targets, in one run: highest sustained rate,
# CPU per sample at 1 and 10 kHz, failed samples, peak RSS. Two targets, each a thread
# at depth 10: "spin" never changes its stack (Tachyon's best case: its frame cache
# always hits), "churn" calls a chain of 1-5 frames that returns, again and again, as
# CPU-bound code does; the targets are judged on each.
#
#     /usr/bin/python3 bench/bench_tachyon.py --pyattach build-rel/pyattach [--seconds 10]
#         [--modes spin,churn] [--flat]
#
# Prints the runs as a table and PASS/FAIL per target; exits 1 when a target is missed.
# Beside the CPU per sample it prints the floor: what a process that only waits for
# each tick, as pyattach waits, costs on this machine (bench/sleep_floor.c, built here
# with cc).
# Kills only processes it started, by PID.
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# bench_record imports tests/integration/harness, which bind-mounts the checkout into
# the Debian roots (PYATTACH_CHROOT_BINDS): the target script keeps its host path there.
from bench_record import (Target, fmt, pin_apart, pyattach_finish, pyattach_start, ratio,  # noqa: E402
                          table, target_env, wait_rusage)
from harness import DISTRO_INTERPRETERS, distro_root  # noqa: E402

LABEL = "debian-3.15"
WRAPPER = dict(DISTRO_INTERPRETERS)[LABEL]
PYTHON_IN_ROOT = "/usr/bin/python3.15"
# pyattach's -r goes to 1 MHz. The ladder starts above 2x the most Tachyon took flat out on any
# VM here (124 k/s, and 167 k/s on a faster one, where pyattach held the old top rung, 250 kHz,
# and 350 kHz by hand: a ladder that stops below pyattach's rate hides the ratio).
RATE_LADDER = [400000, 350000, 300000, 250000, 200000, 150000, 100000, 50000, 37000, 20000, 10000]
COST_RATES = [1000, 10000]
FLAT_OUT = 1000000  # Tachyon's interval is then 1 us: it samples back to back

SUMMARY_RE = re.compile(r": (\d+) samples, \d+ with Python frames, \d+ idle, (\d+) failed, in ([0-9.]+) s")
BEHIND_RE = re.compile(r"behind in sampling: (\d+) of (\d+) samples missed in (\d+) stalls \(longest ([0-9.]+) ms\)")
NUMBER = r"([0-9][0-9.,]*)"
TACHYON_RES = {
    "samples": re.compile(r"Captured %s samples? in %s seconds" % (NUMBER, NUMBER)),
    "rate": re.compile(r"Sample rate: %s samples/sec" % NUMBER),
    "error": re.compile(r"Error rate: %s" % NUMBER),
}
TACHYON_MISSED_RE = re.compile(r"Warning: missed (\d+) samples from the expected total of (\d+)")


def number(text):
    return float(text.replace(",", ""))


class Result(object):
    """One profiler run. samples: all it took, failed ones included (both count them so);
    failed: samples whose stack could not be read; missed: deadlines not sampled as it
    reports them; cpu: user + system seconds (wait4 of /usr/bin/time, which adds ~1 ms);
    rss: peak RSS in MB (/usr/bin/time's, see usage_prefix)."""

    def __init__(self, profiler, rate, seconds, samples, failed, missed, achieved, cpu, rss, note=""):
        self.profiler, self.rate, self.seconds = profiler, rate, seconds
        self.samples, self.failed, self.missed, self.achieved = samples, failed, missed, achieved
        self.cpu, self.rss, self.note = cpu, rss, note
        self.held = False

    def failed_pct(self):
        return 100.0 * self.failed / self.samples if self.samples else float("nan")

    def valid_per_second(self):
        """Stacks read whole per second: what a profile is made of."""
        return self.achieved * (1 - self.failed / float(self.samples)) if self.samples else 0.0

    def us_per_sample(self):
        return self.cpu / self.samples * 1e6 if self.samples else float("nan")


def usage_prefix(path):
    # ru_maxrss of a child forked by this script would start at this script's own
    # RSS (Linux keeps the pre-exec high-water mark): /usr/bin/time, a small process,
    # runs the profiler and writes its peak RSS. Our wait4 on time gives the CPU
    # (time's own included, ~1 ms) to the microsecond; time's %U %S have 10 ms steps.
    return ["/usr/bin/time", "-o", path, "-f", "%M"]


def read_rss(path):
    with open(path) as f:
        return int(f.read().split()[-1]) / 1024.0


def kill_started(proc):
    """/usr/bin/time and the profiler it runs, by PID, if still there."""
    if proc.poll() is not None:
        return
    try:
        with open("/proc/%d/task/%d/children" % (proc.pid, proc.pid)) as f:
            children = [int(pid) for pid in f.read().split()]
    except OSError:
        children = []
    for pid in children:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    proc.kill()
    proc.wait()


def run_pyattach(binary, pid, rate, seconds, tmp):
    usage = os.path.join(tmp, "pyattach.time")
    started = time.monotonic()
    proc, err = pyattach_start(binary, pid, rate, seconds, os.path.join(tmp, "pyattach.folded"),
                               usage_prefix(usage))
    try:
        run = pyattach_finish(proc, err, started, seconds)
    finally:
        kill_started(proc)
    m = SUMMARY_RE.search(run.stderr)
    behind = BEHIND_RE.search(run.stderr)
    samples, failed = int(m.group(1)), int(m.group(2))
    note = "behind: %s stalls, longest %s ms" % behind.groups()[2:] if behind else ""
    result = Result("pyattach", rate, seconds, samples, failed, int(behind.group(1)) if behind else 0,
                    samples / float(seconds), run.cpu, read_rss(usage), note)
    # As bench_record: no "behind in sampling" warning (> 1 % of deadlines dropped)
    # and the samples within 2 % of rate x duration.
    result.held = not behind and abs(samples - rate * seconds) <= 0.02 * rate * seconds
    return result


def tachyon_argv(pid, rate, seconds, output):
    # nsenter, not the debian-3.15 wrapper: a second wrapper makes a second mount
    # namespace, where /proc/PID/maps names the target's python3.15 by its host path
    # (/var/cache/pyattach-roots/forky/usr/bin/python3.15), which does not exist inside
    # the root, and Tachyon fails ("Failed to find the PyRuntime section"). Entering
    # the target's own mount namespace and root runs the same /usr/bin/python3.15 as
    # the wrapper would, seeing the paths the target sees. nsenter execs, so the
    # process /usr/bin/time waits for is the profiler's python.
    return ["nsenter", "-t", str(pid), "-m", "-r", "-w/", PYTHON_IN_ROOT, "-m", "profiling.sampling", "attach",
            "-r", str(rate), "-d", str(seconds), "-a", "--collapsed", "-o", output, str(pid)]


def floor_binary(tmp):
    """bench/sleep_floor.c, compiled into tmp."""
    path = os.path.join(tmp, "sleep_floor")
    if not os.path.exists(path):
        subprocess.run(["cc", "-O2", "-o", path, os.path.join(HERE, "sleep_floor.c")], check=True)
    return path


def run_floor(rate, seconds, tmp):
    """µs of CPU per tick of a process that only waits for the ticks (on the CPUs the
    profilers run on, as this script is pinned)."""
    out = subprocess.run([floor_binary(tmp), str(rate), str(seconds)], check=True,
                         stdout=subprocess.PIPE, universal_newlines=True).stdout
    return float(out)


def run_tachyon(pid, rate, seconds, tmp):
    usage = os.path.join(tmp, "tachyon.time")
    out = tempfile.TemporaryFile()
    env = target_env()
    env["LC_ALL"] = "C"  # its figures go through locale.format_string(grouping=True)
    proc = subprocess.Popen(usage_prefix(usage) + tachyon_argv(pid, rate, seconds, os.path.join(tmp, "t.collapsed")),
                            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        rc, cpu, _ = wait_rusage(proc, seconds + 60)
    finally:
        kill_started(proc)
    out.seek(0)
    text = out.read().decode("utf-8", "replace")
    out.close()
    found = {key: regex.search(text) for key, regex in TACHYON_RES.items()}
    if rc != 0 or not all(found.values()):
        raise RuntimeError("Tachyon failed (rc %s): %s" % (rc, text.strip()))
    samples = int(number(found["samples"].group(1)))
    running = number(found["samples"].group(2))
    # "Error rate" is errors / samples in %, printed with 2 decimals.
    failed = int(round(number(found["error"].group(1)) * samples / 100.0))
    missed = TACHYON_MISSED_RE.search(text)
    result = Result("Tachyon", rate, seconds, samples, failed, int(missed.group(1)) if missed else 0,
                    number(found["rate"].group(1)), cpu, read_rss(usage),
                    "ran %.2f s" % running)
    # Its interval is whole microseconds (37 kHz -> 27 us -> 37037 Hz); it never drops a
    # deadline but samples back to back until it has caught up, so a rate it cannot
    # hold shows as fewer samples than expected (its "missed" warning).
    expected = running * 1e6 / int(1e6 / rate)
    result.held = abs(samples - expected) <= 0.02 * expected
    return result


def search_rate(runner, label):
    """From the top of the ladder down to the first rate held; every run kept."""
    runs = []
    for rate in RATE_LADDER:
        run = runner(rate)
        runs.append(run)
        print("  %-8s %6d Hz: %.0f/s%s" % (label, rate, run.achieved, "  held" if run.held else ""))
        sys.stdout.flush()
        if run.held:
            break
    return runs


def row(run, phase):
    return [phase, run.profiler, run.rate, run.seconds, run.samples, "%.0f" % run.achieved,
            "%.0f" % run.valid_per_second(), "yes" if run.held else "no", "%d" % run.failed, fmt(run.failed_pct(), "%.3f"), run.missed,
            "%.3f" % run.cpu, "%.0f" % (run.cpu / run.seconds * 100), fmt(run.us_per_sample(), "%.1f"),
            "%.1f" % run.rss, run.note]


def measure(args, mode, tmp):
    """Every run of both profilers on one target of the given mode."""
    seconds = args.seconds
    runs = {"rate": [], "cost": []}
    with Target(WRAPPER, "--threads", 1, "--depth", args.depth, "--mode", mode) as t:
        restore = pin_apart(t)
        target_cpu = sorted(os.sched_getaffinity(t.pid))
        try:
            print("target PID %d (%s, 1 thread, --mode %s at depth %d) on CPU %s, profilers on CPU %s"
                  % (t.pid, LABEL, mode, args.depth, ",".join(map(str, target_cpu)),
                     ",".join(map(str, sorted(os.sched_getaffinity(0))))))
            print("rate search, %d s per run:" % seconds)
            runs["rate"] += search_rate(lambda r: run_pyattach(args.pyattach, t.pid, r, seconds, tmp), "pyattach")
            runs["rate"] += search_rate(lambda r: run_tachyon(t.pid, r, seconds, tmp), "Tachyon")
            runs["floor"] = {}
            for rate in COST_RATES:
                runs["cost"].append(run_pyattach(args.pyattach, t.pid, rate, seconds, tmp))
                runs["cost"].append(run_tachyon(t.pid, rate, seconds, tmp))
                runs["floor"][rate] = run_floor(rate, seconds, tmp)
            if args.flat:
                runs["flat"] = [run_pyattach(args.pyattach, t.pid, FLAT_OUT, seconds, tmp),
                                run_tachyon(t.pid, FLAT_OUT, seconds, tmp)]
        finally:
            os.sched_setaffinity(0, restore)
    return runs


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pyattach", default=os.environ.get("PYATTACH", os.path.join(os.path.dirname(HERE), "build",
                                                                                       "pyattach")))
    parser.add_argument("--seconds", type=int, default=10, help="length of every run (default 10)")
    parser.add_argument("--depth", type=int, default=10, help="Python frames of the spinning thread (default 10)")
    parser.add_argument("--modes", default="spin,churn", help="targets, of bench_target.py's --mode (default spin,churn)")
    parser.add_argument("--flat", action="store_true",
                        help="also run both flat out (-r 1000000, pyattach's highest -r); figures only, no target")
    args = parser.parse_args()
    if not os.access(args.pyattach, os.X_OK):
        parser.error("no pyattach binary at %s (--pyattach or $PYATTACH)" % args.pyattach)
    root = distro_root(WRAPPER)
    if not os.access(WRAPPER, os.X_OK) or not os.access(root + PYTHON_IN_ROOT, os.X_OK):
        parser.error("%s missing: tests/distro_roots.sh builds it" % WRAPPER)
    for tool in ("/usr/bin/time", shutil.which("nsenter")):
        if not tool or not os.access(tool, os.X_OK):
            parser.error("needs /usr/bin/time and nsenter")

    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print("pyattach vs Tachyon  %s  host %s, %d CPUs, load %s  pyattach %s"
          % (time.strftime("%Y-%m-%d %H:%M"), os.uname().nodename, os.cpu_count(), " ".join(load), args.pyattach))
    tmp = tempfile.mkdtemp(prefix="pyattach_tachyon_")
    missed = []
    for mode in args.modes.split(","):
        runs = measure(args, mode, tmp)
        table("Runs on one CPython 3.15 target (%s, bench_target.py --mode %s: 1 thread at depth %d; target pinned "
              "to one CPU, profiler to the other). samples: all taken, failed included; achieved: as each reports "
              "it (pyattach: samples / -d; Tachyon: its 'Sample rate'); valid/s: achieved less the failed share; "
              "cpu: user + system (wait4), whole run (start, attach and output included), and as %% of one core "
              "over -d; RSS: peak (/usr/bin/time)" % (LABEL, mode, args.depth),
              ["part", "profiler", "Hz", "s", "samples", "achieved/s", "valid/s", "held", "failed", "failed %",
               "missed", "cpu s", "cpu %", "cpu/sample µs", "RSS MB", "note"],
              [row(r, part) for part in ("rate", "cost", "flat") for r in runs.get(part, [])])
        print("floor: a process that only waits for each tick as pyattach does (bench/sleep_floor.c), µs of CPU "
              "per tick: %s" % ", ".join("%d Hz %.1f" % item for item in sorted(runs["floor"].items())))
        missed += report_targets(runs, mode)
    shutil.rmtree(tmp, ignore_errors=True)
    with open("/proc/loadavg") as f:
        print("load at the end: %s" % " ".join(f.read().split()[:3]))
    return 1 if missed else 0


def report_targets(runs, mode):
    def verdict(ok):
        return "PASS" if ok else "FAIL"

    def of(profiler, part):
        return [r for r in runs.get(part, []) if r.profiler == profiler]

    lines = []
    held = [r for r in of("pyattach", "rate") if r.held]
    p_rate = max(r.valid_per_second() for r in held) if held else 0
    # Tachyon's: the most whole stacks per second it reports in any of its runs (a run it
    # could not hold samples flat out), which is at least what it held. Both rates count
    # stacks read whole: a failed sample adds nothing to a profile.
    t_rate = max(r.valid_per_second() for r in of("Tachyon", "rate"))
    lines.append((p_rate >= 2 * t_rate, "sustained rate of whole stacks >= 2x Tachyon's: pyattach %.0f/s (ladder "
                  "from %d Hz down), Tachyon at most %.0f/s; ratio %s"
                  % (p_rate, RATE_LADDER[0], t_rate, fmt(ratio(p_rate, t_rate), "%.2f"))))
    # The verdict above is the strict reading (pyattach's held rung against the most
    # Tachyon took in any run, held or not). The same rule for both, either way:
    t_held = [r for r in of("Tachyon", "rate") if r.held]
    t_held_rate = max(r.valid_per_second() for r in t_held) if t_held else 0
    p_best = max(r.valid_per_second() for r in of("pyattach", "rate") + of("pyattach", "flat"))
    t_best = max(r.valid_per_second() for r in of("Tachyon", "rate") + of("Tachyon", "flat"))
    lines.append((None, "(one rule for both: held rung %.0f against %.0f/s, ratio %s; most whole stacks/s in any "
                  "run, flat out included, %.0f against %.0f/s, ratio %s)"
                  % (p_rate, t_held_rate, fmt(ratio(p_rate, t_held_rate), "%.2f"), p_best, t_best,
                     fmt(ratio(p_best, t_best), "%.2f"))))
    cost = {(r.profiler, r.rate): r for r in runs["cost"]}
    cpu = [(rate, ratio(cost["pyattach", rate].us_per_sample(), cost["Tachyon", rate].us_per_sample()))
           for rate in COST_RATES]
    lines.append((all(x is not None and x <= 1 / 3.0 for _, x in cpu), "CPU per sample <= 1/3 of Tachyon's: %s"
                  % ", ".join("%d Hz %.1f vs %.1f µs (ratio %s)" % (rate, cost["pyattach", rate].us_per_sample(),
                                                                   cost["Tachyon", rate].us_per_sample(),
                                                                   fmt(x, "%.2f")) for rate, x in cpu)))
    lines.append((None, "(the floor, waiting alone for each tick here: %s; 1/3 of Tachyon's: %s)"
                  % (", ".join("%d Hz %.1f µs" % (rate, runs["floor"][rate]) for rate in COST_RATES),
                     ", ".join("%.1f µs" % (cost["Tachyon", rate].us_per_sample() / 3) for rate in COST_RATES))))
    # What each spends above that floor: the work of a sample, with start-up and output.
    # Information only; the target is the whole cost.
    above = [(rate, cost["pyattach", rate].us_per_sample() - runs["floor"][rate],
              cost["Tachyon", rate].us_per_sample() - runs["floor"][rate]) for rate in COST_RATES]
    lines.append((None, "(above the floor: %s)"
                  % ", ".join("%d Hz pyattach %.1f, Tachyon %.1f µs (ratio %s)"
                              % (rate, p, t, fmt(ratio(p, t) if p > 0 and t > 0 else None, "%.2f"))
                              for rate, p, t in above)))
    rss = [(rate, ratio(cost["pyattach", rate].rss, cost["Tachyon", rate].rss)) for rate in COST_RATES]
    lines.append((all(x is not None and x <= 1 / 5.0 for _, x in rss), "peak RSS <= 1/5 of Tachyon's: %s"
                  % ", ".join("%d Hz %.1f vs %.1f MB (ratio %s)" % (rate, cost["pyattach", rate].rss,
                                                                   cost["Tachyon", rate].rss, fmt(x, "%.2f"))
                              for rate, x in rss)))
    failed = {}
    for profiler in ("pyattach", "Tachyon"):
        mine = of(profiler, "cost")
        failed[profiler] = (sum(r.failed for r in mine), sum(r.samples for r in mine))
    share = {p: 100.0 * f / n if n else float("nan") for p, (f, n) in failed.items()}
    lines.append((share["pyattach"] <= share["Tachyon"], "no more failed samples than Tachyon (1 and 10 kHz runs): "
                  "pyattach %d of %d (%.3f %%), Tachyon %d of %d (%.3f %%)"
                  % (failed["pyattach"] + (share["pyattach"],) + failed["Tachyon"] + (share["Tachyon"],))))
    print()
    print("Targets (pyattach vs Tachyon on CPython 3.15, --mode %s)" % mode)
    for ok, text in lines:
        print("  %s  %s" % ("    " if ok is None else verdict(ok), text))
    return [text for ok, text in lines if ok is False]


if __name__ == "__main__":
    sys.exit(main())
