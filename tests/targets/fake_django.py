# A package named django in a temporary directory, holding only
# django/core/handlers/base.py and wsgi.py with the source given: the file and
# function names python_frames/request_label.c looks for, without Django. Used by
# tests/targets/request_target.py and bench/targets/request_load.py. Runs on 3.6+.
import os
import shutil
import sys
import tempfile


def install(base_py, wsgi_py, prefix):
    """Writes the package, puts it first on sys.path and returns its directory; the
    caller removes it (remove()) once the modules it needs are imported."""
    root = tempfile.mkdtemp(prefix=prefix)
    handlers = os.path.join(root, "django", "core", "handlers")
    os.makedirs(handlers)
    for package in ("django", "django/core", "django/core/handlers"):
        open(os.path.join(root, package, "__init__.py"), "w").close()
    for name, source in (("base.py", base_py), ("wsgi.py", wsgi_py)):
        with open(os.path.join(handlers, name), "w") as f:
            f.write(source)
    sys.path.insert(0, root)
    return root


def remove(root):
    shutil.rmtree(root, ignore_errors=True)
