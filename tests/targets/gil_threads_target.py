# Four CPU-bound threads in one process: on a 2-CPU machine each holds the GIL about a
# quarter of the time and waits for it the rest. Prints `READY <json>` with the kernel
# TIDs of the four workers (the test reads their CPU and run-queue time from
# /proc/PID/task/TID/schedstat around the recording); the main thread then waits on
# a lock. Runs on 3.6+.
import json
import os
import sys
import threading

from target_common import gettid

WORKERS = 4
tids = []
started = threading.Barrier(WORKERS + 1)


def compute():
    total = 0
    for i in range(2000):
        total += i * i % 7
    return total


def spin():
    tids.append(gettid())
    started.wait()
    while True:
        compute()


for _ in range(WORKERS):
    threading.Thread(target=spin, daemon=True).start()
started.wait()
sys.stdout.write("READY %s\n" % json.dumps({"pid": os.getpid(), "workers": tids, "tasks": WORKERS + 1}))
sys.stdout.flush()
threading.Lock().acquire()
threading.Event().wait()
