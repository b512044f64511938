# Production-test target: a CPU-bound loop (busy_outer -> busy_leaf) that never
# sleeps, so a sampler at any moment finds it in Python code, and a stopped thread
# shows up as lost iterations.
#
#   prod_busy.py                  spin forever
#   prod_busy.py --exit-after S   spin, then leave by itself after S seconds
#   prod_busy.py --rate S         spin for S seconds, print "RATE <iterations/s>", exit
#                 [--warmup W]    (after spinning W seconds first, not counted)
#   prod_busy.py --threads N      N extra spinning threads (for --blocking)
#
# Prints `READY {"pid": ...}` first. Runs on CPython 3.6-3.13 (no newer syntax).
import json
import os
import sys
import threading
import time


def option(name, default):
    args = sys.argv[1:]
    return float(args[args.index(name) + 1]) if name in args else default


def busy_leaf(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


def busy_outer(deadline):
    count = 0
    while deadline is None or time.monotonic() < deadline:
        busy_leaf(200)
        count += 1
    return count


def spinner():
    busy_outer(None)


def main():
    exit_after = option("--exit-after", None)
    rate_window = option("--rate", None)
    for _ in range(int(option("--threads", 0))):
        threading.Thread(target=spinner, daemon=True).start()
    sys.stdout.write("READY %s\n" % json.dumps({"pid": os.getpid()}))
    sys.stdout.flush()
    if rate_window is not None:
        busy_outer(time.monotonic() + option("--warmup", 0))
        start = time.monotonic()
        count = busy_outer(start + rate_window)
        sys.stdout.write("RATE %.3f\n" % (count / (time.monotonic() - start)))
        sys.stdout.flush()
        return
    busy_outer(None if exit_after is None else time.monotonic() + exit_after)


main()
