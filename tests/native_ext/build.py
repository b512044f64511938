# Builds tests/native_ext/native_ext.c for one interpreter, against that interpreter's
# own headers, with cc directly (no setuptools: 3.12+ has no distutils).
#
#   build(python, directory) -> path of native_ext<EXT_SUFFIX> in directory
import json
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "native_ext.c")

_QUERY = ("import json, sysconfig; print(json.dumps([sysconfig.get_paths()['include'], "
          "sysconfig.get_config_var('EXT_SUFFIX') or '.so']))")


def interpreter_config(python):
    """(include directory, extension suffix) as the interpreter itself reports them."""
    out = subprocess.check_output([python, "-c", _QUERY], env={"PATH": os.environ.get("PATH", "")})
    include, suffix = json.loads(out.decode())
    if not os.path.exists(os.path.join(include, "Python.h")):
        raise AssertionError("%s: no Python.h in %s -- install its headers (Debian: python3.X-dev)"
                             % (python, include))
    return include, suffix


def build(python, directory):
    include, suffix = interpreter_config(python)
    target = os.path.join(directory, "native_ext" + suffix)
    argv = ["cc", "-shared", "-fPIC", "-O1", "-g", "-fno-optimize-sibling-calls", "-fno-omit-frame-pointer",
            "-I", include, SOURCE, "-o", target]
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise AssertionError("building the test extension for %s failed: %s\n%s"
                             % (python, " ".join(argv), proc.stdout.decode(errors="replace")))
    return target
