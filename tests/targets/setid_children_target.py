# A parent whose children run with other rights. Each argument is a wrapper that
# execs its arguments (the integration test makes one set-uid to another user and one
# set-gid to another group); the parent starts `WRAPPER <this python> <this file>
# child` through each, waits until every child is Python and running child_work,
# prints `READY {"children": [PID, ...]}` and burns CPU in parent_work. A recording
# with -s by a pyattach holding a capability must record the parent and refuse every
# child. Without arguments: no children.
#
# With `--exec-on-usr1 WRAPPER` it starts no child: it prints `READY {}`, burns CPU in
# before_exec, and on SIGUSR1 execs `WRAPPER <this python> <this file> child` itself
# (the same PID, now with the wrapper's rights, running child_work).
#
# Runs on CPython 3.6+ (no syntax newer than 3.6).
import json
import os
import signal
import subprocess
import sys


def spin():
    total = 0
    while True:
        for i in range(10000):
            total += i * i % 7


def child_work():
    spin()


def parent_work():
    spin()


def before_exec():
    spin()


def exec_on_usr1(wrapper):
    def become(signum, frame):
        os.execv(wrapper, [wrapper, sys.executable, __file__, "child"])
    signal.signal(signal.SIGUSR1, become)
    sys.stdout.write("READY {}\n")
    sys.stdout.flush()
    before_exec()


if __name__ == "__main__":
    if sys.argv[1:] == ["child"]:
        sys.stdout.write("child up\n")
        sys.stdout.flush()
        child_work()
    elif sys.argv[1:2] == ["--exec-on-usr1"]:
        exec_on_usr1(sys.argv[2])
    else:
        children = [subprocess.Popen([wrapper, sys.executable, __file__, "child"], stdout=subprocess.PIPE)
                    for wrapper in sys.argv[1:]]
        for child in children:
            line = child.stdout.readline()
            if line != b"child up\n":
                sys.stderr.write("child %d did not start: %r\n" % (child.pid, line))
                sys.exit(1)
        sys.stdout.write("READY %s\n" % json.dumps({"children": [child.pid for child in children]}))
        sys.stdout.flush()
        parent_work()
