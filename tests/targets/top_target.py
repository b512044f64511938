# A workload whose hot function changes over time, for `pyattach top`. Two threads,
# MainThread and "worker", burn the CPU in crunch_alpha, then both in crunch_beta,
# and so on; a phase lasts --phase seconds (0: until told) or ends at SIGUSR1, so a
# test can move it on when it wants. Between bursts both call step(): many short
# calls, little time. Prints READY <json> once running. Runs on 3.6+.
import json
import os
import signal
import sys
import threading

try:
    from time import perf_counter as clock
except ImportError:
    from time import time as clock

BURST = 0.02  # seconds of crunching between two step() calls
STEP = 0.002
state = {"phase": 0, "length": 0.0, "deadline": None}


def step():
    end = clock() + STEP
    while clock() < end:
        pass


def advance():
    state["phase"] += 1
    if state["length"] > 0:
        state["deadline"] = clock() + state["length"]


def phase_over(my_phase):
    if threading.current_thread() is threading.main_thread() and state["deadline"] is not None \
            and clock() >= state["deadline"]:
        advance()
    return state["phase"] != my_phase


# crunch_alpha and crunch_beta are the same work under two names: the hot function
# of each phase. The busy loop is in their own body, so they have the own time.
def crunch_alpha(my_phase):
    n = 0
    while not phase_over(my_phase):
        end = clock() + BURST
        while clock() < end:
            pass
        # A new value in a local between two calls: pyattach tells the calls of
        # step() apart by their caller's locals (see python_frames/stack_walk.c).
        n = (n + 1) % 200
        step()


def crunch_beta(my_phase):
    n = 0
    while not phase_over(my_phase):
        end = clock() + BURST
        while clock() < end:
            pass
        n = (n + 1) % 200
        step()


def run_phases():
    while True:
        phase = state["phase"]
        (crunch_alpha if phase % 2 == 0 else crunch_beta)(phase)


def on_usr1(signum, frame):
    advance()


def main():
    if "--phase" in sys.argv:
        state["length"] = float(sys.argv[sys.argv.index("--phase") + 1])
        if state["length"] > 0:
            state["deadline"] = clock() + state["length"]
    signal.signal(signal.SIGUSR1, on_usr1)
    threading.Thread(target=run_phases, name="worker", daemon=True).start()
    sys.stdout.write("READY %s\n" % json.dumps({"pid": os.getpid(), "file": os.path.abspath(__file__),
                                                "tasks": 2}))
    sys.stdout.flush()
    run_phases()


main()
