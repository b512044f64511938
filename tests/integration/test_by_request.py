# --by-request without a server, on every interpreter: threads parked in handler frames
# shaped like Django's and in a plain WSGI app (tests/targets/request_target.py), with
# well-formed and hostile requests; each thread's samples must sit under the root the
# target says, and nothing may crash.
import gzip
import json
import os
import pstats
import re
import sys
import tempfile
import unittest

import browser
import harness as h

THREAD_ROOT = re.compile(r'^<thread (\d+)( "[^"]*")?>$')
# A row of top's endpoints view: %Time, Time(s), Requests, ms/Req, Endpoint.
ENDPOINT_ROW = re.compile(r"^\s*([\d.]+)\s+[\d.]+\s+\S+\s+\S+\s+(<.*>)\s*$")


def setUpModule():
    h.require_interpreters()
    h.pyattach_binary()


def tearDownModule():
    # test_top's tmux server, if a test here started one
    if "test_top" in sys.modules:
        sys.modules["test_top"].tearDownModule()


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

    def test_at_most_200_labels(self):
        """250 requests with paths no folding merges: 200 labels, the other 50 under
        <other requests>, and the summary counts them."""
        python = h.interpreter_by_label("3.12.1")
        with tempfile.TemporaryDirectory() as out, h.start_target(python, "many_requests_target.py", "250") as target:
            path = os.path.join(out, "many.folded")
            result = h.run_pyattach(["-p", target.pid, "-d", "0.5", "--by-request", "-o", path])
            self.assertEqual(result.rc, 0, result.stderr)
            self.assertRegex(result.stderr, r"--by-request: 200 request labels, 50 more folded into "
                                             r"<other requests> \(at most 200 per recording\)")
            with open(path) as f:
                roots = set(line.split(";", 1)[0] for line in f)
        paths = set("<GET %s>" % p for p in target.truth["paths"])
        self.assertEqual(len(roots & paths), 200)
        self.assertEqual(roots - paths, {"<other requests>", "<no request>"})

    def test_a_label_is_read_once_per_handler_call(self):
        """20 threads, each inside one WSGI call for the whole recording: each label is read
        from the target at the call's first sample and served from the cache after, so the
        summary's read count is about the thread count while the samples are ~100 per thread
        (a TID sharing a cache slot with another, TID % 256, could cost a re-read each sample:
        at most twice the threads is allowed for that, far below the samples)."""
        threads = 20

        def check(label, python):
            with tempfile.TemporaryDirectory() as out, \
                    h.start_target(python, "many_requests_target.py", str(threads)) as target:
                path = os.path.join(out, "reads.folded")
                result = h.run_pyattach(["-p", target.pid, "-d", "1", "--by-request", "-o", path])
            self.assertEqual(result.rc, 0, "%s: %s" % (label, result.stderr))
            m = re.search(r"(\d+) samples in requests, labels read from the target (\d+) times", result.stderr)
            self.assertIsNotNone(m, "%s: %s" % (label, result.stderr))
            served, read = int(m.group(1)), int(m.group(2))
            self.assertGreaterEqual(read, threads, "%s: %s" % (label, result.stderr))
            self.assertLessEqual(read, 2 * threads, "%s: %s" % (label, result.stderr))
            self.assertGreaterEqual(served, 25 * threads, "%s: %s" % (label, result.stderr))

        h.for_each_interpreter(self, check)

    def test_top_endpoints_say_how_many_were_folded(self):
        """top --by-request past the cap, key R: under the endpoint rows a line says how
        many labels went into <other requests> (50 of the 250 threads' paths), which
        holds about 50 threads' time."""
        from test_top import PROMPT, Screen
        python = h.interpreter_by_label("3.12.1")
        folded = "50 request labels folded into <other requests> (at most 200 since top started)"
        with tempfile.TemporaryDirectory() as cwd, h.start_target(python, "many_requests_target.py", "250") as target:
            screen = Screen(cwd, width=120, height=30)
            try:
                screen.type("%s top -p %d --by-request" % (h.pyattach_binary(), target.pid))
                screen.send("Enter")
                screen.wait_for(lambda lines: "1-4:sort" in "\n".join(lines), "top's screen")
                screen.send("R")
                screen.send("2")  # by time: each request here lasts as long as the view
                lines = screen.wait_for(lambda lines: any(line.rstrip().endswith("Sort Time") for line in lines) and
                                        any(line.strip() == folded for line in lines),
                                        "the endpoints by time, with the folded labels' line")
                # top's exit status, which a sanitizer's report or a crash would make non-zero
                screen.send("q")
                screen.wait_for(lambda lines: Screen.last_line(lines) == PROMPT, "the shell prompt again")
                screen.type("echo top-exit=$?")
                screen.send("Enter")
                after = screen.wait_for(lambda lines: any(l.startswith("top-exit=") for l in lines), "top's exit status")
                self.assertIn("top-exit=0", after, "\n".join(after))
            finally:
                screen.kill()
        text = "\n".join(lines)
        self.assertNotIn("folded into", text.replace(folded, ""), text)
        rows = [m.groups() for m in (ENDPOINT_ROW.match(line) for line in lines) if m]
        # the line is under the rows, right above the help line
        filled = [line.strip() for line in lines if line.strip()]
        self.assertEqual(filled[-2], folded, text)
        self.assertIsNotNone(ENDPOINT_ROW.match(filled[-3]), text)
        share = dict((name, float(percent)) for percent, name in rows)
        self.assertEqual(rows[0][1], "<other requests>", text)  # 50 threads: the busiest row
        paths = set("<GET %s>" % p for p in target.truth["paths"])
        single = [share[name] for name in share if name in paths]
        self.assertTrue(single, text)
        self.assertGreater(share["<other requests>"], 25 * max(single), text)

    def test_every_format_has_the_request_roots(self):
        """pstats, text, collapsed, speedscope, pprof and html: the request roots, outermost
        (in pprof above the <process> label's samples: -s keeps a process root)."""
        python = h.interpreter_by_label("debian-3.11")
        want = "<GET orders/<int:pk>/ (shop.views.order_detail)>"
        with tempfile.TemporaryDirectory() as out, h.start_target(python, "request_target.py") as target:
            paths = dict((ext, os.path.join(out, "requests." + ext))
                         for ext in ("prof", "txt", "folded", "json", "pb.gz", "html"))
            for ext, path in paths.items():
                result = h.run_pyattach(["-p", target.pid, "-d", "0.5", "-s", "--by-request", "-o", path])
                self.assertEqual(result.rc, 0, "%s: %s" % (ext, result.stderr))
            stats = pstats.Stats(paths["prof"]).stats
            roots = set(k[2] for k, v in stats.items() if not v[4])
            self.assertEqual(roots, set(target.truth["labels"].values()))
            for key, value in stats.items():  # the <process> root right inside each request root
                if key[2].startswith("<process "):
                    self.assertTrue(set(c[2] for c in value[4]) <= roots, value[4])
            with open(paths["txt"]) as f:  # cProfile's table shows synthetic frames as {...}
                self.assertIn("{%s}" % want[1:-1], f.read())
            with open(paths["folded"]) as f:
                firsts = set(line.split(";", 1)[0] for line in f)
            self.assertEqual(firsts, roots)
            with open(paths["json"]) as f:
                doc = json.load(f)
            names = set(frame["name"] for frame in doc["shared"]["frames"])
            self.assertTrue(roots <= names, roots - names)
            with gzip.open(paths["pb.gz"]) as f:
                data = f.read()
            for root in roots:
                self.assertIn(root.encode(), data)
            self.assertIn(b"pid", data)  # the process root became a label
            with open(paths["html"]) as f:
                data = browser.page_data(f.read())
            self.assertIn(want, data["strings"])


if __name__ == "__main__":
    unittest.main()
