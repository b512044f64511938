# A target for the --native tests: <module> -> main -> level1 -> C call_python ->
# level2 -> C spin -> C hot loop, forever (the test kills it). argv[1]: the directory
# holding the built native_ext. Prints `READY {"pid": ..., "tid": ...}` from level2,
# when the whole stack is in place but for the last C call.
import json
import os
import sys
import threading

sys.path.insert(0, sys.argv[1])
import native_ext  # noqa: E402


def gettid():
    if hasattr(threading, "get_native_id"):
        return threading.get_native_id()
    import ctypes
    return ctypes.CDLL(None).syscall(186)  # x86_64 gettid, for 3.6 / 3.7


def level2():
    sys.stdout.write("READY " + json.dumps({"pid": os.getpid(), "tid": gettid()}) + "\n")
    sys.stdout.flush()
    while True:
        native_ext.spin(3600.0)


def level1():
    native_ext.call_python(level2)


def main():
    level1()


main()
