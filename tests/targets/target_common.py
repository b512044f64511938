# Ground truth for the integration targets: a reporter thread waits until every
# thread of the target sits at its marked line, walks each stack the way Python
# itself sees it (sys._current_frames), prints one line `READY <json>` and exits.
#
# Runs on CPython 3.6-3.13: no syntax newer than 3.6 (no f-strings, no walrus).
import json
import os
import platform
import sys
import threading
import time

_tids = {}  # thread ident -> kernel thread id, filled by register()

# x86_64 and aarch64 numbers of the gettid syscall, for 3.6/3.7 where
# threading.get_native_id() does not exist yet (it came in 3.8).
_GETTID = {"x86_64": 186, "aarch64": 178}


def gettid():
    if hasattr(threading, "get_native_id"):
        return threading.get_native_id()
    import ctypes
    return ctypes.CDLL(None, use_errno=True).syscall(_GETTID[platform.machine()])


def register():
    """Every thread of a target calls this first, so the truth carries its kernel tid."""
    _tids[threading.current_thread().ident] = gettid()


def marker_line(path, tag):
    """The line of `path` that carries the comment `# MARK:tag` (exactly one)."""
    needle = "# MARK:" + tag
    found = []
    with open(path, encoding="utf-8") as f:
        for number, text in enumerate(f, 1):
            if text.rstrip().endswith(needle):
                found.append(number)
    if len(found) != 1:
        fail("marker %r found %d times in %s" % (needle, len(found), path))
    return found[0]


def frame_truth(frame):
    """The stack from `frame` outwards, innermost first, as the dump must show it."""
    frames = []
    while frame is not None:
        code = frame.f_code
        frames.append({
            "function": code.co_name,
            # co_qualname exists from 3.11; before, the dump shows co_name.
            "qualname": getattr(code, "co_qualname", code.co_name),
            "file": code.co_filename,
            "line": frame.f_lineno,
            "first_line": code.co_firstlineno,
        })
        frame = frame.f_back
    return frames


def fail(message):
    sys.stderr.write("target error: %s\n" % message)
    sys.stderr.flush()
    os._exit(70)


def _snapshot(me):
    names = dict((t.ident, t.name) for t in threading.enumerate())
    threads = []
    for ident, frame in sys._current_frames().items():
        if ident == me:
            continue
        threads.append({"ident": ident, "name": names.get(ident), "frames": frame_truth(frame)})
    threads.sort(key=lambda t: t["ident"])
    return threads


def _settled(threads, expect, path):
    """Every expected thread has a frame of `path` at its marked line."""
    if sorted(t["ident"] for t in threads) != sorted(expect):
        return False
    for t in threads:
        line = expect[t["ident"]][1]
        if not any(f["file"] == path and f["line"] == line for f in t["frames"]):
            return False
    return True


def _report(expect, path, extra, timeout):
    me = threading.current_thread().ident
    deadline = time.time() + timeout
    previous = None
    while time.time() < deadline:
        threads = _snapshot(me)
        # Two equal snapshots 50 ms apart: the threads have stopped moving.
        if _settled(threads, expect, path) and threads == previous:
            break
        previous = threads
        time.sleep(0.05)
    else:
        fail("threads did not reach their marked lines: %r" % (previous,))
    for t in threads:
        if t["ident"] not in _tids:
            fail("thread %r did not call register()" % (t["name"],))
        t["tid"] = _tids[t["ident"]]
        t["role"] = expect[t["ident"]][0]
    payload = {
        "pid": os.getpid(),
        "version": "%d.%d.%d" % sys.version_info[:3],
        "executable": sys.executable,
        "tasks": len(threads),  # kernel tasks once this reporter thread has exited
        "threads": threads,
    }
    payload.update(extra)
    # ensure_ascii: the target's stdout encoding may be ASCII (C locale on 3.6).
    sys.stdout.write("READY " + json.dumps(payload, sort_keys=True) + "\n")
    sys.stdout.flush()


def report_when_ready(expect, path, extra=None, timeout=30.0):
    """Start the reporter. expect: thread ident -> (role, marked line), role being
    "busy" (spinning in Python, holds the GIL) or "idle" (blocked)."""
    reporter = threading.Thread(target=_report, name="reporter",
                                args=(expect, path, extra or {}, timeout))
    reporter.daemon = True
    reporter.start()
