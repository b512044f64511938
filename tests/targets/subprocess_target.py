# A plain subprocess target: the parent starts one short-lived child after another
# (subprocess.call on its own interpreter) and waits in run_children; each child burns
# CPU in child_work for CHILD_SECONDS and exits. A recording with -s must pick up
# children born while it runs and drop those that exit. Prints `READY {}` at once.
#
# Runs on CPython 3.6-3.13 (no syntax newer than 3.6).
import subprocess
import sys
import time

CHILD_SECONDS = 0.8


def child_work():
    deadline = time.time() + CHILD_SECONDS
    total = 0
    while time.time() < deadline:
        for i in range(10000):
            total += i * i % 7
    return total


def run_children():
    while True:
        subprocess.call([sys.executable, __file__, "child"])


if __name__ == "__main__":
    if sys.argv[1:] == ["child"]:
        child_work()
    else:
        sys.stdout.write("READY {}\n")
        sys.stdout.flush()
        run_children()
