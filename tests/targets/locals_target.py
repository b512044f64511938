# Ground truth for `dump --locals`: the main thread blocks in os.read on a pipe nobody
# writes, inside functions with known locals (arguments, a cell, a free variable, an
# unbound local, values of every kind). A reporter thread waits until it sits at the
# marked line, renders every frame's locals() the way pyattach must show them, prints
# `READY <json>` and exits.
#
# Runs on CPython 3.6-3.15: no syntax newer than 3.6.
import json
import os
import sys
import threading
import time

CUT = 80  # python_frames/object_repr.h PY_REPR_CHARS
BIG_INT_BITS = 32 * 30  # object_repr.c INT_DIGITS_MAX digits of 30 bits


class Order(object):
    pass


class Tags(dict):
    pass


def render(value):
    """What pyattach must print for value (python_frames/object_repr.c's rules)."""
    kind = type(value)
    if value is None or kind is bool or kind is float:
        return repr(value)
    if kind is int:
        text = repr(value)
        return text if abs(value).bit_length() <= BIG_INT_BITS and len(text) < 300 else "<int at 0x%x>" % id(value)
    if kind is str:
        return repr(value[:CUT]) + ("... (%d characters)" % len(value) if len(value) > CUT else "")
    if kind is bytes:
        return repr(value[:CUT]) + ("... (%d bytes)" % len(value) if len(value) > CUT else "")
    # A class's C-level name (tp_name): its bare name for classes defined in Python
    # (heap types), module.name for a C type outside builtins.
    heap = kind.__flags__ & (1 << 9)
    name = kind.__name__ if heap or kind.__module__ == "builtins" else kind.__module__ + "." + kind.__name__
    if isinstance(value, (dict, list, tuple, set, frozenset)):
        return "<%s at 0x%x len=%d>" % (name, id(value), len(value))
    return "<%s at 0x%x>" % (name, id(value))


def wait_here(fd, depth, note=b"x" * 100):
    later = None  # noqa: rebound below, after the read: unbound while waiting
    del later
    os.read(fd, 1)  # MARK:wait
    later = 1
    return later


def outer(fd, flag, count, captured, *rest, **options):
    ratio = -2.5e-07
    big = -(3 ** 70)
    small = 0
    nothing = None
    off = False
    # The largest int shown in digits (BIG_INT_BITS bits) and the smallest one past it,
    # which must be shown as `<int at 0x…>`, never as a number made up from part of it.
    widest = 2 ** BIG_INT_BITS - 1
    huge = -(2 ** BIG_INT_BITS)
    text = "it's \"quoted\"\ttab\nline \xe9\u20ac\U0001F600 \x00\x7f"
    long_text = "abc" * 100
    order = Order()
    tags = Tags(a=1, b=2, c=3)
    items = [1, 2]
    pair = (1,)
    seen = {1, 2, 3, 4}
    frozen = frozenset()
    values = {"k": 1}
    blob = b"\x00\xffab'c"
    million = 1e22
    whole = 12.0
    handler = render

    def inner():
        # captured is a free variable here, a cell in outer
        return wait_here(fd, captured + count)

    return inner()


def report(main_ident, path, line):
    deadline = time.time() + 30
    frame = None
    while time.time() < deadline:
        frame = sys._current_frames().get(main_ident)
        if frame is not None and frame.f_code.co_filename == path and frame.f_lineno == line:
            break
        time.sleep(0.02)
    else:
        sys.stderr.write("target error: main thread never reached line %d\n" % line)
        os._exit(70)
    frames = []
    while frame is not None:
        if frame.f_code.co_name != "<module>":
            frames.append({"function": frame.f_code.co_name, "line": frame.f_lineno,
                           "locals": dict((k, render(v)) for k, v in frame.f_locals.items())})
        frame = frame.f_back
    sys.stdout.write("READY %s\n" % json.dumps({"pid": os.getpid(), "frames": frames, "tasks": 1}))
    sys.stdout.flush()


def marked_line(path):
    with open(path) as f:
        for number, text in enumerate(f, 1):
            if text.rstrip().endswith("# MARK:" + "wait"):
                return number


def main():
    path = os.path.abspath(__file__)
    line = marked_line(path)
    read_end, write_end = os.pipe()
    reporter = threading.Thread(target=report, args=(threading.current_thread().ident, path, line))
    reporter.start()
    outer(read_end, True, 7, 35, "extra", 2, key="value")
    os.close(write_end)


if __name__ == "__main__":
    main()
