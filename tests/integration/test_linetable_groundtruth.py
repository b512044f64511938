"""py_line_for_offset against the line numbers each real interpreter computes itself.

Every interpreter runs linetable_dump.py (co_lines() on 3.10+, dis.findlinestarts()
before), and $PYATTACH_BUILD_DIR/linetable_check decodes the same raw tables with our C
decoder and counts disagreements. A missing interpreter fails the test.
"""
import glob
import os
import re
import subprocess
import sys
import tempfile
import unittest

import harness as h

HERE = os.path.dirname(os.path.abspath(__file__))
DUMP_SCRIPT = os.path.join(HERE, "linetable_dump.py")
PYENV = "/root/.pyenv/versions"

# (label, minor version, interpreter path or glob). The Debian build is a separate
# 3.11 with its own compiler flags, so it gets its own run.
INTERPRETERS = [("3.%d" % minor, minor, "%s/3.%d.*/bin/python3.%d" % (PYENV, minor, minor))
                for minor in range(6, 14)]
INTERPRETERS.append(("debian_3.11", 11, "/usr/bin/python3.11"))
# Debian's 3.13, 3.14 and 3.15, each run in its root (tests/distro_roots.sh).
INTERPRETERS += [(label.replace("-", "_"), int(label.rsplit(".", 1)[1]), path)
                 for label, path in h.DISTRO_INTERPRETERS]

SUMMARY = re.compile(r"^summary version=(\S+) codes=(\d+) checked=(\d+) mismatches=(\d+) "
                     r"none=(\d+) max_jump=(\d+) max_back_jump=(\d+)$", re.M)


def checker_path():
    build_dir = os.environ.get("PYATTACH_BUILD_DIR")
    if not build_dir:
        raise AssertionError("PYATTACH_BUILD_DIR is not set")
    path = os.path.join(build_dir, "linetable_check")
    if not os.access(path, os.X_OK):
        raise AssertionError("%s is not built (cmake --build ... --target linetable_check)" % path)
    return path


def find_interpreter(pattern):
    matches = sorted(glob.glob(pattern))
    if not matches:
        raise AssertionError("interpreter missing: nothing matches %s" % pattern)
    return matches[-1]


class LineTableGroundTruth(unittest.TestCase):
    def run_version(self, minor, pattern):
        python = find_interpreter(pattern)
        with tempfile.NamedTemporaryFile("w+", suffix=".dump") as dump:
            proc = subprocess.run([python, DUMP_SCRIPT], stdout=dump,
                                  stderr=subprocess.PIPE, universal_newlines=True, timeout=300)
            self.assertEqual(proc.returncode, 0, "%s %s failed:\n%s"
                             % (python, DUMP_SCRIPT, proc.stderr))
            dump.flush()
            check = subprocess.run([checker_path(), dump.name], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, universal_newlines=True,
                                   timeout=300)
        report = check.stdout + check.stderr
        match = SUMMARY.search(check.stdout)
        self.assertIsNotNone(match, "no summary from linetable_check:\n" + report)
        version, codes, checked, mismatches, none, max_jump, max_back = match.groups()
        codes, checked, mismatches, none, max_jump, max_back = map(
            int, (codes, checked, mismatches, none, max_jump, max_back))
        sys.stderr.write("\n  %s: %s\n" % (python, match.group(0)))

        self.assertTrue(version.startswith("3.%d." % minor), "dump is from %s" % version)
        self.assertEqual(mismatches, 0, report)
        self.assertEqual(check.returncode, 0, report)
        # The corpus must really exercise the decoder: many code objects and offsets,
        # line steps that need multi-byte encodings both ways, and (3.10+) None lines.
        self.assertGreater(codes, 300, report)
        self.assertGreater(checked, 20000, report)
        self.assertGreater(max_jump, 255, report)
        self.assertGreater(max_back, 255, report)
        if minor >= 10:
            self.assertGreater(none, 0, "no offset without a line was checked\n" + report)


def make_test(minor, pattern):
    def test(self):
        self.run_version(minor, pattern)
    return test


for _label, _minor, _pattern in INTERPRETERS:
    setattr(LineTableGroundTruth, "test_python_" + _label.replace(".", "_"),
            make_test(_minor, _pattern))


if __name__ == "__main__":
    unittest.main()
