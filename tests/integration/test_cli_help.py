# pyattach --version / -V and --help / -h: exit 0; the version is CMakeLists.txt's
# project version; the CPython versions listed are those the layout tables hold (the
# _Py_DebugOffsets mirrors as tests/tools/layout_dump lists them) and they cover every
# interpreter the suite profiles; --help names every option the parsers in cli/ know
# (read from their tables, cli_options.py) and every option it names is accepted.
import os
import re
import subprocess
import unittest

import cli_options
import harness as h


def project_version():
    with open(os.path.join(cli_options.SOURCE, "CMakeLists.txt")) as f:
        match = re.search(r"project\(pyattach\s+VERSION\s+(\d+\.\d+\.\d+)", f.read())
    if match is None:
        raise AssertionError("CMakeLists.txt has no project(pyattach VERSION x.y.z)")
    return match.group(1)


def run(*args):
    return subprocess.run([h.pyattach_binary()] + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=30)


def debug_offsets_minors():
    """The minors of the _Py_DebugOffsets mirrors, from the C tables (layout_dump)."""
    tool = os.path.join(os.environ["PYATTACH_BUILD_DIR"], "layout_dump")
    out = subprocess.run([tool, "positions"], stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
    return sorted(int(line.split()[1]) for line in out.splitlines() if line.startswith("layout "))


def parse_version_output(text):
    """(version, built-in minors, _Py_DebugOffsets minors) from --version's output."""
    lines = text.splitlines()
    head = re.fullmatch(r"pyattach (\d+\.\d+\.\d+)", lines[0])
    if head is None or len(lines) != 3:
        raise AssertionError("unexpected --version output %r" % text)
    minors = []
    for line, note in zip(lines[1:], ("(built-in layout tables)", "(layout from the target's _Py_DebugOffsets")):
        if not line.startswith("CPython ") or note not in line:
            raise AssertionError("unexpected --version line %r" % line)
        minors.append([int(v.split(".")[1]) for v in re.findall(r"\b3\.\d+\b", line.split("(")[0])])
    return head.group(1), minors[0], minors[1]


class TestVersion(unittest.TestCase):
    def test_version_and_V(self):
        long_form, short_form = run("--version"), run("-V")
        for result in (long_form, short_form):
            self.assertEqual(result.returncode, 0, result)
            self.assertEqual(result.stderr, "")
        self.assertEqual(long_form.stdout, short_form.stdout)
        version, builtin, debug_offsets = parse_version_output(long_form.stdout)
        self.assertEqual(version, project_version())
        self.assertEqual(debug_offsets, debug_offsets_minors())
        self.assertTrue(builtin and max(builtin) < min(debug_offsets), (builtin, debug_offsets))
        self.assertEqual(builtin, list(range(builtin[0], builtin[-1] + 1)), "a gap in the built-in tables")
        # every interpreter the suite profiles is one the binary says it reads, and the
        # pyenv builds (the layout tables' DWARF ground truth) cover every built-in table
        listed = set(builtin) | set(debug_offsets)
        tested = {int(label.split("-")[-1].split(".")[1]) for label, _ in h.INTERPRETERS}
        self.assertLessEqual(tested, listed)
        pyenv = {int(v.split(".")[1]) for v in h.PYENV_VERSIONS}
        self.assertLessEqual(set(builtin), pyenv)


class TestHelp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.result = run("--help")
        cls.text = cls.result.stdout

    def test_exit_status_and_short_form(self):
        self.assertEqual(self.result.returncode, 0, self.result)
        self.assertEqual(self.result.stderr, "")
        short = run("-h")
        self.assertEqual((short.returncode, short.stdout), (0, self.text))
        self.assertLessEqual(max(len(line) for line in self.text.splitlines()), 100)

    def test_every_command(self):
        for command in cli_options.COMMANDS:
            self.assertIn("pyattach %s " % command, self.text)
        for option in ("--version", "-V", "--help", "-h"):
            self.assertIn(option, cli_options.option_tokens(self.text))

    def test_every_option_the_parsers_know(self):
        named = set(cli_options.option_tokens(self.text))
        for command, options in sorted(cli_options.source_options().items()):
            missing = sorted(set(options) - named - cli_options.IGNORED.get(command, set()))
            self.assertEqual(missing, [], "pyattach --help does not name %s options %s" % (command, missing))

    def sections(self):
        """{command: text} of --help: each usage line under the command it starts with,
        then the sections "record (...)", "top: ...", "dump:" and "view (...)" with
        their indented lines; "top-level" holds the --version and --help lines."""
        found = {c: "" for c in cli_options.COMMANDS}
        found["top-level"] = ""
        current = None
        for line in self.text.splitlines():
            usage = re.match(r"\s+pyattach (\S+)", line)
            header = re.match(r"(record|top|dump|view)\b", line)
            if usage:
                word = usage.group(1)
                current = word if word in cli_options.COMMANDS else {
                    "-p": "record", "--version": "top-level", "--help": "top-level"}.get(word)
            elif header:
                current = header.group(1)
            elif not line.startswith(" "):
                current = None
            if current:
                found[current] += line + "\n"
        return found

    def test_every_option_named_is_accepted(self):
        binary = h.pyattach_binary()
        sections = self.sections()
        for command in cli_options.COMMANDS:
            tokens = cli_options.option_tokens(sections[command])
            self.assertTrue(tokens, "no options found for %s in --help" % command)
            refused = [t for t in tokens if not cli_options.accepts(binary, command, t)]
            self.assertEqual(refused, [], "--help names options %s refuses: %s" % (command, refused))
        for option in cli_options.option_tokens(sections["top-level"]):
            self.assertEqual(run(option).returncode, 0, option)

    def test_each_command_help_exits_0(self):
        for command in cli_options.COMMANDS:
            result = run(command, "--help")
            self.assertEqual(result.returncode, 0, result)
            self.assertIn("usage", result.stdout)


if __name__ == "__main__":
    unittest.main()
