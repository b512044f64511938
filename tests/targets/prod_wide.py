# Production-test target: one thread whose stack is a chain of DEPTH distinct
# generated functions, each from its own long file name, spinning at the bottom, so
# that even one sample makes a large profile (the disk-full test needs one bigger
# than a 64 KiB tmpfs). Prints `READY {"pid": ..., "depth": ...}` when in place.
# Runs on CPython 3.6-3.13.
import json
import os
import sys

DEPTH = 800
sys.setrecursionlimit(DEPTH + 100)

namespace = {"sys": sys, "json": json, "os": os}
LONG = "a_deliberately_long_directory_name_to_make_every_profile_entry_large"
for i in range(DEPTH):
    name = "wide_function_number_%04d_with_a_long_name" % i
    if i + 1 < DEPTH:
        body = "    return wide_function_number_%04d_with_a_long_name()\n" % (i + 1)
    else:
        body = ("    sys.stdout.write('READY %s\\n' % json.dumps({'pid': os.getpid(), 'depth': "
                + str(DEPTH) + "}))\n    sys.stdout.flush()\n    while True:\n        pass\n")
    source = "def %s():\n%s" % (name, body)
    filename = "/srv/%s/module_%04d.py" % (LONG, i)
    exec(compile(source, filename, "exec"), namespace)

namespace["wide_function_number_0000_with_a_long_name"]()
