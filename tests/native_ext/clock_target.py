# A target for the --native tests that spends most of its time in clock_gettime, i.e.
# in the vDSO: main -> a/b/c, each polling time.perf_counter() for 20/30/50 ms, forever
# (the test kills it). Prints `READY {"pid": ..., "tid": ...}` once the loop runs.
import json
import os
import sys
import threading
import time


def gettid():
    if hasattr(threading, "get_native_id"):
        return threading.get_native_id()
    import ctypes
    return ctypes.CDLL(None).syscall(186)  # x86_64 gettid, for 3.6 / 3.7


def poll(seconds):
    t = time.perf_counter()
    while time.perf_counter() - t < seconds:
        pass


def a():
    poll(0.02)


def b():
    poll(0.03)


def c():
    poll(0.05)


def main():
    sys.stdout.write("READY " + json.dumps({"pid": os.getpid(), "tid": gettid()}) + "\n")
    sys.stdout.flush()
    while True:
        a()
        b()
        c()


main()
