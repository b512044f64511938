# Two named threads burning CPU in functions of their own (alpha_work, beta_work), for
# the HTML viewer's thread selector: a --threads recording has one root per thread, and
# each thread's tree holds its own function only. Prints `READY <json>` with the kernel
# TIDs of both threads once they run; the main thread then waits on a lock. Runs on 3.6+.
import json
import os
import sys
import threading

from target_common import gettid

tids = {}
started = threading.Barrier(3)


def alpha_work():
    total = 0
    for i in range(2000):
        total += i * i % 7
    return total


def beta_work():
    total = 0
    for i in range(2000):
        total += i * i % 11
    return total


def run(work):
    tids[threading.current_thread().name] = gettid()
    started.wait()
    while True:
        work()


for name, work in (("alpha", alpha_work), ("beta", beta_work)):
    threading.Thread(target=run, args=(work,), name=name, daemon=True).start()
started.wait()
sys.stdout.write("READY %s\n" % json.dumps({"pid": os.getpid(), "threads": tids, "tasks": 3}))
sys.stdout.flush()
threading.Lock().acquire()
threading.Event().wait()
