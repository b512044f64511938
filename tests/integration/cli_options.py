# What the pyattach binary accepts on its command line, for the tests of --help, the man
# page and the bash completion (test_cli_help.py, test_install.py):
#   - source_options(): every option of every command, read from the parsers' own
#     tables in cli/ (getopt's struct option and option strings, view's literals), so
#     an option added there is seen here without anyone updating a list;
#   - accepts(): asks the binary itself whether a command takes an option.
import os
import re
import subprocess

import harness as h

SOURCE = os.environ.get("PYATTACH_SOURCE_DIR") or os.path.normpath(os.path.join(h.HERE, "..", ".."))
COMMANDS = ("record", "top", "dump", "view")

# A value each option accepts, for probing; anything else that takes a value gets "1".
VALUES = {"-p": "1", "--pid": "1", "-o": "x.prof", "--output": "x.prof", "-f": "pstats", "--format": "pstats",
          "-m": "wall", "--mode": "wall"}
VIEW_VALUES = {"-s": "cumulative", "--sort": "cumulative", "-n": "5", "--limit": "5", "--html": "out.html"}

# Options a command's parser takes without them meaning anything for that command
# (record and top share one parser): not expected in that command's documentation.
IGNORED = {"record": {"--delay", "--once"}, "top": {"-o", "--output", "-f", "--format", "--every"}}

OPTION_TOKEN = re.compile(r"(?<![\w\-])(--[a-z][a-z\-]*[a-z]|-[a-zA-Z])(?![\w\-])")


def _read(path):
    with open(os.path.join(SOURCE, path), encoding="utf-8") as f:
        return f.read()


def _getopt_options(text):
    """{option: takes_value} from a C file's struct option tables and getopt strings."""
    found = {}
    for name, kind in re.findall(r'\{"([a-z][a-z\-]*)",\s*(no_argument|required_argument|optional_argument)', text):
        found["--" + name] = kind != "no_argument"
    for optstring in re.findall(r'getopt_long\([^"]*"([^"]*)"', text):
        chars = optstring.lstrip("+:")
        for i, c in enumerate(chars):
            if c.isalpha():
                found["-" + c] = i + 1 < len(chars) and chars[i + 1] == ":"
    return found


def _view_options(text):
    """view.c parses by hand: its options are the "-x"/"--xyz" literals it compares with."""
    found = {}
    for opt in re.findall(r'"(--[a-z][a-z\-]*|-[a-z])"', text):
        found[opt] = opt in VIEW_VALUES
    return found


def source_options():
    """{command: {option: takes_value}} for record, top, dump and view."""
    shared = _getopt_options(_read("cli/options.c"))
    return {"record": dict(shared), "top": dict(shared), "dump": _getopt_options(_read("cli/dump.c")),
            "view": _view_options(_read("cli/view.c"))}


def accepts(binary, command, option):
    """True if `pyattach COMMAND OPTION [VALUE] --help` is taken (exit 0: the option
    parsed, then --help), False if the parser refuses the option (exit 1)."""
    argv = [binary, command, option]
    takes_value = source_options()[command].get(option)
    if command == "view":
        if option in VIEW_VALUES:
            argv.append(VIEW_VALUES[option])
    elif takes_value or (takes_value is None and option in VALUES):
        argv.append(VALUES.get(option, "1"))
    argv.append("--help")
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=30)
    return proc.returncode == 0


def option_tokens(text):
    """The options named in a text (--long, -x), in order, without repeats."""
    seen = []
    for token in OPTION_TOKEN.findall(text):
        if token not in seen:
            seen.append(token)
    return seen
