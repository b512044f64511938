# `pyattach dump --locals` against every interpreter: a target blocked at a known line
# (tests/targets/locals_target.py) renders each frame's locals() by pyattach's rules;
# the dump must print exactly those names and values, cells and free variables
# included, unbound locals left out.
import json
import re
import unittest

import harness as h

LOCAL_RE = re.compile(r"^        (\S+?)( \(free\))? = (.*)$")


def setUpModule():
    h.require_interpreters()
    h.pyattach_binary()


class DumpLocalsTestCase(unittest.TestCase):
    maxDiff = None

    def run_dump(self, args):
        result = h.run_pyattach(["dump"] + args)
        self.assertEqual(result.rc, 0, "%s: %r" % (result.argv, result.stderr))
        self.assertEqual(result.stderr, "")
        return result.stdout

    def test_json_locals_equal_the_targets_own(self):
        def check(label, python):
            with h.start_target(python, "locals_target.py") as target:
                doc = json.loads(self.run_dump(["-p", target.pid, "--json", "--locals"]))
                text = self.run_dump(["-p", target.pid, "--locals"])
            main = [t for t in doc["threads"] if t["tid"] == target.pid]
            self.assertEqual(len(main), 1, doc)
            frames = [f for f in main[0]["frames"] if f["function"] != "<module>"]
            truth = target.truth["frames"]
            self.assertEqual([(f["function"], f["line"]) for f in frames],
                             [(f["function"], f["line"]) for f in truth])
            for ours, want in zip(frames, truth):
                got = dict((l["name"], l["value"]) for l in ours["locals"])
                self.assertEqual(len(got), len(ours["locals"]), "a name twice in %s" % ours["function"])
                self.assertEqual(got, want["locals"], "%s: locals of %s" % (label, ours["function"]))
            # The kinds the issue names, checked by value too: equal to the target's own
            # rendering alone would pass if render() itself followed a wrong rule.
            outer = dict((l["name"], l["value"]) for f in frames if f["function"] == "outer" for l in f["locals"])
            self.assertEqual(outer["nothing"], "None", label)
            self.assertEqual(outer["off"], "False", label)
            self.assertEqual(outer["flag"], "True", label)
            self.assertEqual(outer["small"], "0", label)
            self.assertEqual(outer["widest"], str(2 ** 960 - 1), label)
            self.assertRegex(outer["huge"], r"^<int at 0x[0-9a-f]+>$", label)
            kinds = dict(((f["function"], l["name"]), l["kind"]) for f in frames for l in f["locals"])
            self.assertEqual(kinds[("inner", "captured")], "free")
            self.assertEqual(kinds[("outer", "captured")], "cell")
            self.assertEqual(kinds[("outer", "ratio")], "local")
            self.assertNotIn(("wait_here", "later"), kinds)  # unbound at the read
            # The text form: the same pairs under each frame line.
            shown, current = {}, None
            for line in text.splitlines():
                if line.startswith("Thread "):
                    current = None
                    in_main = line.startswith("Thread %d " % target.pid)
                elif line.startswith("    ") and not line.startswith("        ") and in_main:
                    current = line.split(" (")[0].strip().rsplit(".", 1)[-1]
                    shown.setdefault(current, {})
                elif current is not None:
                    m = LOCAL_RE.match(line)
                    self.assertIsNotNone(m, line)
                    shown[current][m.group(1)] = m.group(3)
            for want in truth:
                self.assertEqual(shown[want["function"]], want["locals"], "%s: text of %s" % (label, want["function"]))

        h.for_each_interpreter(self, check)

    def test_locals_with_native_is_a_usage_error(self):
        result = h.run_pyattach(["dump", "-p", "1", "--locals", "--native"])
        self.assertEqual(result.rc, 1)
        self.assertRegex(result.stderr, r"^pyattach: dump: --locals")


if __name__ == "__main__":
    unittest.main()
