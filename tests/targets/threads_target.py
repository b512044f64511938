# Integration target: the main thread and seven named threads, blocked in
# different ways (sleep, Event.wait, lock, select, queue) and one spinning in
# Python (running, holds the GIL). Names cover ASCII, Latin-1, CJK and non-BMP
# strings, the three storage kinds of a CPython str.
#
# Prints `READY <json>` (see target_common.py) once every thread sits at its
# marked line, then blocks forever. Runs on CPython 3.6-3.13.
import os
import queue
import select
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import target_common  # noqa: E402

PATH = __file__


def sleeper():
    target_common.register()
    time.sleep(3600)  # MARK:sleeper


def event_waiter():
    target_common.register()
    threading.Event().wait()  # MARK:event


def lock_waiter():
    target_common.register()
    lock = threading.Lock()
    lock.acquire()
    lock.acquire()  # MARK:lock


def spinner():
    target_common.register()
    while True: pass  # MARK:spin


def selector():
    target_common.register()
    select.select([], [], [], 3600)  # MARK:select


def queue_waiter():
    target_common.register()
    queue.Queue().get()  # MARK:queue


def nested_sleeper(depth):
    if depth:
        return nested_sleeper(depth - 1)
    target_common.register()
    time.sleep(3600)  # MARK:nested


WORKERS = [
    ("worker-1", sleeper, (), "sleeper", "idle"),
    ("worker-2", event_waiter, (), "event", "idle"),
    ("worker-3", lock_waiter, (), "lock", "idle"),
    ("worker-4", spinner, (), "spin", "busy"),
    ("wörker-5", selector, (), "select", "idle"),
    ("工人-6", queue_waiter, (), "queue", "idle"),
    ("\U0001F9F5-7", nested_sleeper, (20,), "nested", "idle"),
]


def main():
    target_common.register()
    expect = {}
    for name, function, args, marker, role in WORKERS:
        thread = threading.Thread(target=function, name=name, args=args)
        thread.daemon = True
        thread.start()
        expect[thread.ident] = (role, target_common.marker_line(PATH, marker))
    expect[threading.current_thread().ident] = ("idle", target_common.marker_line(PATH, "main"))
    target_common.report_when_ready(expect, PATH)
    time.sleep(3600)  # MARK:main


main()
