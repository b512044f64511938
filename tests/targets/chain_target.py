# Integration target: one thread whose Python stack passes through every kind of
# frame (module, method, nested function, lambda, generator, coroutine driven by
# hand, non-ASCII names) and then blocks on a marked line, forever.
#
#   python chain_target.py          blocks in time.sleep  -> thread idle, GIL free
#   python chain_target.py --busy   spins in `while True` -> thread running, holds the GIL
#
# Before blocking it prints `READY <json>` (see target_common.py) with the stack as
# Python itself sees it. Runs on CPython 3.6-3.13: no syntax newer than 3.6.
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import target_common  # noqa: E402

BUSY = "--busy" in sys.argv[1:]
PATH = __file__  # as co_filename records it


class Chain(object):
    def run(self):
        def inner():
            step = lambda: next(generate())  # noqa: E731
            return step()
        return inner()


def generate():
    coroutine = drive()
    coroutine.send(None)
    yield


async def drive():
    größe_berechnen()


def größe_berechnen():
    return 计算()


def 计算():
    if BUSY:
        while True: pass  # MARK:busy
    time.sleep(3600)  # MARK:block


target_common.register()
target_common.report_when_ready(
    {threading.current_thread().ident:
     ("busy", target_common.marker_line(PATH, "busy")) if BUSY else
     ("idle", target_common.marker_line(PATH, "block"))},
    PATH, {"busy": BUSY})
Chain().run()
