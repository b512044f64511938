# Builds tests/native_ext/native_ext.c for one interpreter, against that interpreter's
# own headers, with cc directly (no setuptools: 3.12+ has no distutils).
#
#   build(python, directory, root=None) -> path of native_ext<EXT_SUFFIX> in directory
#
# root: the root filesystem the interpreter runs in (a Debian root of
# tests/distro_roots.sh); its headers are then read from there by the host's cc, with
# the root's own /usr/include after the host's (its libc headers in front break the
# build; Debian's pyconfig.h includes <x86_64-linux-gnu/python3.X/pyconfig.h>).
import json
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "native_ext.c")

_QUERY = ("import json, sysconfig; print(json.dumps([sysconfig.get_paths()['include'], "
          "sysconfig.get_config_var('EXT_SUFFIX') or '.so']))")


def interpreter_config(python, root=None):
    """(include directory, extension suffix) as the interpreter itself reports them."""
    out = subprocess.check_output([python, "-c", _QUERY], env={"PATH": os.environ.get("PATH", ""),
                                                                "PYATTACH_CHROOT_BINDS": ""})
    include, suffix = json.loads(out.decode())
    if root is not None:
        include = root + include
    if not os.path.exists(os.path.join(include, "Python.h")):
        raise AssertionError("%s: no Python.h in %s -- install its headers (Debian: python3.X-dev)"
                             % (python, include))
    return include, suffix


def build(python, directory, root=None):
    include, suffix = interpreter_config(python, root)
    target = os.path.join(directory, "native_ext" + suffix)
    argv = ["cc", "-shared", "-fPIC", "-O1", "-g", "-fno-optimize-sibling-calls", "-fno-omit-frame-pointer",
            "-I", include, SOURCE, "-o", target]
    if root is not None:
        argv[-3:-3] = ["-idirafter", os.path.join(root, "usr", "include")]
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise AssertionError("building the test extension for %s failed: %s\n%s"
                             % (python, " ".join(argv), proc.stdout.decode(errors="replace")))
    return target
