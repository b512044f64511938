# Production-test target that must never show up in a profile: it takes over the
# PID of a target that just exited (PID reuse). Its functions have names no other
# target uses. Prints `READY {"pid": ...}`, then
#   prod_impostor.py           spins in impostor_outer
#   prod_impostor.py --fork    waits for a line on stdin, forks a child that spins
#                              at once (a fresh process, no interpreter start-up
#                              delay), prints `CHILD <pid>` and waits
import json
import os
import sys
import time


def impostor_leaf():
    total = 0
    for i in range(200):
        total += i
    return total


def impostor_outer():
    while True:
        impostor_leaf()


sys.stdout.write("READY %s\n" % json.dumps({"pid": os.getpid()}))
sys.stdout.flush()
if "--fork" in sys.argv[1:]:
    sys.stdin.readline()
    child = os.fork()
    if child == 0:
        impostor_outer()
    sys.stdout.write("CHILD %d\n" % child)
    sys.stdout.flush()
    time.sleep(3600)
impostor_outer()
