# For the HTML viewer's depth and cutoff controls: a call chain deeper than the viewer's
# default 10 levels next to calls at small shares of their caller. Each round burns about
# 100 ms of CPU: 60 % at the bottom of descend(16) (the chain: <module>, main, 17 descend
# frames, burn), 39.6 % in wide(), 0.4 % in small() (between snakeviz's cutoffs: shown at
# 1/1000 of main, hidden at 1/100) and 0.04 % in tiny() (below 1/1000 of main, mostly).
# The shares are of CPU time (burn() counts the process's CPU clock; record with -m cpu):
# in wall time a function's share grows by whatever time the target waited for a CPU
# while in it, and with Chromium starting next to the recording small() was seen at
# 0.2 % to 1.09 % of main, tiny() at 0.34 %. wide() burns a random fraction of a unit
# more or less each round, so that small()'s 0.4 ms do not sit at one phase of a 1 kHz
# sampler's 1 ms grid (then hit in every round, or in none). Prints `READY <json>` and
# runs until killed. Runs on 3.6+.
import json
import os
import random
import sys
import time

clock = time.process_time  # CPU seconds of this (single-threaded) process
UNIT = 0.001  # seconds


def burn(seconds):
    end = clock() + seconds
    while clock() < end:
        pass


def descend(n):
    if n > 0:
        return descend(n - 1)
    burn(60 * UNIT)


def wide():
    burn((39.1 + random.random()) * UNIT)


def small():
    burn(0.4 * UNIT)


def tiny():
    burn(0.04 * UNIT)


def main():
    sys.stdout.write("READY %s\n" % json.dumps({"pid": os.getpid(), "tasks": 1}))
    sys.stdout.flush()
    while True:
        descend(16)
        wide()
        small()
        tiny()


main()
