# Integration target for thread names: threads whose threading.Thread names are
# stored every way CPython can store an instance attribute, plus threads threading
# does not know. Each blocks at a marked line; READY <json> (target_common.py)
# carries the truth, and under "comm" the kernel name of every thread the threading
# module has no entry for. Runs on CPython 3.6-3.13: no syntax newer than 3.6.
#
#   main thread         renamed "Hauptfaden-ß" (not "MainThread": proves the read)
#   Thread-N            default name (3.10+: "Thread-N (target)")
#   ThreadPoolExecutor  two pool workers, names "ThreadPoolExecutor-K_0" / "_1"
#   renamed             renamed after start, kernel comm set to something else
#   dict               its __dict__ materialised (3.11+: a real dict, not values)
#   many attrs          50 extra attributes (3.11+: values overflow into a combined dict)
#   non-ASCII           Latin-1, BMP and non-BMP names (str kinds 1, 2, 4)
#   dummy               started with _thread, seen by threading.current_thread() ("Dummy-N")
#   raw                 started with _thread, unknown to threading; kernel comm set
import _thread
import concurrent.futures
import ctypes
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import target_common  # noqa: E402

PATH = __file__
PR_SET_NAME = 15
_libc = ctypes.CDLL(None, use_errno=True)


def set_comm(name):
    """Sets the calling thread's kernel name (15 bytes at most)."""
    if _libc.prctl(PR_SET_NAME, ctypes.c_char_p(name.encode()), 0, 0, 0) != 0:
        target_common.fail("prctl(PR_SET_NAME) failed: errno %d" % ctypes.get_errno())


def blocker(started):
    target_common.register()
    started.set()
    time.sleep(3600)  # MARK:thread


def renamed_blocker(started):
    set_comm("kernel-comm")
    blocker(started)


def pool_task(started, release):
    target_common.register()
    started.put(threading.get_ident())
    release.wait()  # MARK:pool


def dummy_blocker(started):
    target_common.register()  # threading.current_thread() makes a _DummyThread
    started.set()
    time.sleep(3600)  # MARK:dummy


def raw_blocker(started):
    # Not target_common.register(): that would make threading create a _DummyThread.
    set_comm("raw-comm")
    target_common._tids[_thread.get_ident()] = target_common.gettid()
    started.set()
    time.sleep(3600)  # MARK:raw


def start(name, function=blocker):
    started = threading.Event()
    thread = threading.Thread(target=function, args=(started,), name=name)
    thread.daemon = True
    thread.start()
    started.wait()
    return thread


def main():
    threading.current_thread().name = "Hauptfaden-\u00df"
    target_common.register()
    expect = {}
    thread_line = target_common.marker_line(PATH, "thread")

    threads = [start(None), start("wörker-ñ"), start("工人-线程"), start("\U0001F9F5\U0001F9F6-nonbmp")]
    renamed = start("before-rename", renamed_blocker)
    renamed.name = "after-rename-\u00e9"
    threads.append(renamed)
    with_dict = start("with-dict")
    with_dict.__dict__["extra"] = 1  # 3.11+: materialises a dict for the instance
    threads.append(with_dict)
    crowded = start("many-attrs")
    for i in range(50):  # more than the shared keys hold: 3.11+ values give way to a dict
        setattr(crowded, "attr_%d" % i, i)
    threads.append(crowded)
    for thread in threads:
        expect[thread.ident] = ("idle", thread_line)

    import queue
    started, release = queue.Queue(), threading.Event()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=2)
    pool.submit(pool_task, started, release)
    pool.submit(pool_task, started, release)
    for _ in range(2):
        expect[started.get(timeout=30)] = ("idle", target_common.marker_line(PATH, "pool"))

    for function, marker in ((dummy_blocker, "dummy"), (raw_blocker, "raw")):
        event = threading.Event()
        ident = _thread.start_new_thread(function, (event,))
        event.wait()
        expect[ident] = ("idle", target_common.marker_line(PATH, marker))

    expect[threading.current_thread().ident] = ("idle", target_common.marker_line(PATH, "main"))
    known = set(t.ident for t in threading.enumerate())
    comm = {}
    for ident, tid in target_common._tids.items():
        if ident not in known:
            with open("/proc/self/task/%d/comm" % tid) as f:
                comm[str(tid)] = f.read().rstrip("\n")
    target_common.report_when_ready(expect, PATH, {"comm": comm})
    time.sleep(3600)  # MARK:main


main()
