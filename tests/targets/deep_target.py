# A recursion DEPTH frames deep (default 5000, <module> included), as parsers and tree
# walkers run with sys.setrecursionlimit raised. Prints `READY <json>` from the
# innermost frame and waits there until killed.
#
# Runs on CPython 3.6+: no syntax newer than 3.6. 5000 frames fit the C stack everywhere:
# on <= 3.10 each Python call also recurses in C (well under 8 MB for 5000 of them);
# 3.11+ runs Python-to-Python calls without C recursion.
import json
import sys
import time

DEPTH = int(sys.argv[1]) if len(sys.argv) > 1 else 5000


def python_depth():
    frame, n = sys._getframe(1), 0
    while frame is not None:
        n += 1
        frame = frame.f_back
    return n


def rec(n):
    if n > 0:
        return rec(n - 1)
    print("READY " + json.dumps({"depth": python_depth(), "tasks": 1}))
    sys.stdout.flush()
    while True:
        time.sleep(0.05)


if __name__ == "__main__":
    sys.setrecursionlimit(DEPTH + 100)
    rec(DEPTH - 2)  # <module> and DEPTH - 1 calls of rec
