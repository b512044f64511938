# One thread alternating 40 ms of CPU work (compute) with 20 ms asleep in time.sleep
# (sleeping) and 20 ms blocked in socket.recv (receiving): about half of its wall time
# off-CPU. It measures itself: per phase the thread's CPU time and the wall time spent,
# plus the thread's whole CPU time, printed as one line "TOTALS <json>" on SIGUSR1 and
# at the end (with an argument: run that many seconds, then exit). Runs on 3.6+.
import json
import os
import signal
import socket
import sys
import time

wall = time.perf_counter


def cpu():
    return time.clock_gettime(time.CLOCK_THREAD_CPUTIME_ID)


PHASES = ("compute", "sleeping", "receiving")
spent = {name: {"cpu": 0.0, "wall": 0.0, "calls": 0} for name in PHASES}
quiet, _ = socket.socketpair()  # nothing is ever sent: recv waits for its timeout
quiet.settimeout(0.02)


def compute():
    end = wall() + 0.04
    total = 0
    while wall() < end:
        for i in range(200):
            total += i * i % 7
    return total


def sleeping():
    time.sleep(0.02)


def receiving():
    try:
        quiet.recv(1)
    except socket.timeout:
        pass


def measured(function):
    c, w = cpu(), wall()
    function()
    entry = spent[function.__name__]
    entry["cpu"] += cpu() - c
    entry["wall"] += wall() - w
    entry["calls"] += 1


def report(signum=None, frame=None):
    sys.stdout.write("TOTALS %s\n" % json.dumps({"phases": spent, "cpu": cpu(), "wall": wall()}))
    sys.stdout.flush()


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else None
    signal.signal(signal.SIGUSR1, report)
    sys.stdout.write("READY %s\n" % json.dumps({"pid": os.getpid(), "tasks": 1}))
    sys.stdout.flush()
    start = wall()
    while seconds is None or wall() - start < seconds:
        measured(compute)
        measured(sleeping)
        measured(receiving)
    report()


main()
