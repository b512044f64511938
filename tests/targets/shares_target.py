# A CPU workload with three functions at known shares (20/30/50 %), each call far
# longer than a sampling interval. It measures itself: on SIGUSR1 it prints one line
# "TOTALS <json>" with the seconds spent in each function and the calls made so far,
# so a test compares pyattach's profile with what really happened in the window.
# Runs on 3.6+.
import json
import os
import signal
import sys
import time

clock = time.perf_counter
spent = {"share_20": 0.0, "share_30": 0.0, "share_50": 0.0}
calls = {"share_20": 0, "share_30": 0, "share_50": 0}
UNIT = 0.02  # seconds: a call lasts 2, 3 or 5 units, far longer than 10 ms samples


def burn(seconds):
    end = clock() + seconds
    while clock() < end:
        pass


def share_20():
    start = clock()
    burn(2 * UNIT)
    spent["share_20"] += clock() - start
    calls["share_20"] += 1


def share_30():
    start = clock()
    burn(3 * UNIT)
    spent["share_30"] += clock() - start
    calls["share_30"] += 1


def share_50():
    start = clock()
    burn(5 * UNIT)
    spent["share_50"] += clock() - start
    calls["share_50"] += 1


def report(signum, frame):
    sys.stdout.write("TOTALS %s\n" % json.dumps({"spent": spent, "calls": calls, "time": clock()}))
    sys.stdout.flush()


def main():
    signal.signal(signal.SIGUSR1, report)
    sys.stdout.write("READY %s\n" % json.dumps({"pid": os.getpid(), "file": os.path.abspath(__file__)}))
    sys.stdout.flush()
    for iteration in range(10 ** 9):
        share_20()
        share_30()
        share_50()


main()
