# --by-request without a server, on every interpreter: threads parked in handler frames
# shaped like Django's and in a plain WSGI app (tests/targets/request_target.py), with
# well-formed and hostile requests; each thread's samples must sit under the root the
# target says, and nothing may crash.
import os
import re
import tempfile
import unittest

import harness as h

THREAD_ROOT = re.compile(r'^<thread (\d+)( "[^"]*")?>$')


def setUpModule():
    h.require_interpreters()
    h.pyattach_binary()


def roots_by_thread(folded):
    """{tid: set of request roots} from a collapsed file recorded with --threads."""
    found = {}
    for line in folded.splitlines():
        stack = line.rsplit(" ", 1)[0].split(";")
        m = THREAD_ROOT.match(stack[1]) if len(stack) > 1 else None
        if m is None:
            raise AssertionError("no <thread> frame right inside the request root: %r" % line)
        found.setdefault(m.group(1), set()).add(stack[0])
    return found


class ByRequestTestCase(unittest.TestCase):
    maxDiff = None

    def test_each_thread_gets_its_request_root(self):
        def check(label, python):
            with tempfile.TemporaryDirectory() as out, h.start_target(python, "request_target.py") as target:
                path = os.path.join(out, "requests.folded")
                result = h.run_pyattach(["-p", target.pid, "-d", "1", "--by-request", "--threads", "-o", path])
                self.assertEqual(result.rc, 0, "%s: %s" % (label, result.stderr))
                self.assertRegex(result.stderr, r"--by-request: 6 request labels, 0 more folded")
                with open(path) as f:
                    got = roots_by_thread(f.read())
            want = dict((tid, {root}) for tid, root in target.truth["labels"].items())
            self.assertEqual(got, want, label)

        h.for_each_interpreter(self, check)


if __name__ == "__main__":
    unittest.main()
