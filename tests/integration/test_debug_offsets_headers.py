# pyattach's _Py_DebugOffsets layouts (python_frames/debug_offsets_tables.h) and the
# layouts it reads from live 3.13-3.15 targets, checked against each version's own
# headers: a probe compiled with -DPy_BUILD_CORE against the interpreter's -dev headers
# prints offsetof() for every field of _Py_DebugOffsets and for every CPython member a
# struct py_layout field stands for (the headers of Debian's builds and of the pyenv
# 3.13.0 build; 3.6 - 3.13 are also checked against DWARF by tests/unit/test_layout_dwarf.c).
# The host's gcc compiles it: -I ROOT/usr/include/python3.X -idirafter ROOT/usr/include
# (the root's own libc headers in front would break the build).
import os
import subprocess
import tempfile
import unittest

import harness as h

# (label, minor, include directory, include dir for the rest of the root or None)
HEADERS = [
    ("3.13.0", 13, "/root/.pyenv/versions/3.13.0/include/python3.13", None),
] + [(label, int(label.rsplit(".", 1)[1]),
      os.path.join(h.ROOTS, suite, "usr/include/python3.%s" % label.rsplit(".", 1)[1]),
      os.path.join(h.ROOTS, suite, "usr/include"))
     for label, suite in h.DISTRO_VERSIONS]

# struct py_layout field -> (first minor, last minor, kind, C type, member). kind:
# "offset" offsetof(type, member); "sizeof"; "read" = the last used field of the
# section + 8, at most sizeof(type).
RULES = [
    ("runtime_state.size", 13, 15, "read", "_PyRuntimeState", None),
    ("runtime_state.interpreters_head", 13, 15, "offset", "_PyRuntimeState", "interpreters.head"),
    ("interpreter_state.size", 13, 15, "read", "PyInterpreterState", None),
    ("interpreter_state.next", 13, 15, "offset", "PyInterpreterState", "next"),
    ("interpreter_state.threads_head", 13, 15, "offset", "PyInterpreterState", "threads.head"),
    ("interpreter_state.ceval_gil", 13, 15, "offset", "PyInterpreterState", "ceval.gil"),
    ("interpreter_state.modules", 13, 15, "offset", "PyInterpreterState", "imports.modules"),
    ("interpreter_state.code_object_generation", 14, 15, "offset", "PyInterpreterState",
     "_code_object_generation"),
    ("thread_state.size", 13, 15, "sizeof", "PyThreadState", None),
    ("thread_state.next", 13, 15, "offset", "PyThreadState", "next"),
    ("thread_state.interp", 13, 15, "offset", "PyThreadState", "interp"),
    ("thread_state.current_frame", 13, 15, "offset", "PyThreadState", "current_frame"),
    ("thread_state.thread_id", 13, 15, "offset", "PyThreadState", "thread_id"),
    ("thread_state.native_thread_id", 13, 15, "offset", "PyThreadState", "native_thread_id"),
    ("thread_state.base_frame", 15, 15, "offset", "PyThreadState", "base_frame"),
    ("gil_runtime_state.locked", 13, 15, "offset", "struct _gil_runtime_state", "locked"),
    ("gil_runtime_state.last_holder", 13, 15, "offset", "struct _gil_runtime_state", "last_holder"),
    ("gil_runtime_state.size", 13, 15, "sizeof", "struct _gil_runtime_state", None),
    ("interpreter_frame.size", 13, 15, "offset", "_PyInterpreterFrame", "localsplus"),
    ("interpreter_frame.previous", 13, 15, "offset", "_PyInterpreterFrame", "previous"),
    ("interpreter_frame.executable", 13, 15, "offset", "_PyInterpreterFrame", "f_executable"),
    ("interpreter_frame.instr", 13, 15, "offset", "_PyInterpreterFrame", "instr_ptr"),
    ("interpreter_frame.owner", 13, 15, "offset", "_PyInterpreterFrame", "owner"),
    ("interpreter_frame.localsplus", 13, 15, "offset", "_PyInterpreterFrame", "localsplus"),
    ("code_object.size", 13, 15, "sizeof", "PyCodeObject", None),
    ("code_object.filename", 13, 15, "offset", "PyCodeObject", "co_filename"),
    ("code_object.name", 13, 15, "offset", "PyCodeObject", "co_name"),
    ("code_object.qualname", 13, 15, "offset", "PyCodeObject", "co_qualname"),
    ("code_object.firstlineno", 13, 15, "offset", "PyCodeObject", "co_firstlineno"),
    ("code_object.linetable", 13, 15, "offset", "PyCodeObject", "co_linetable"),
    ("code_object.code_adaptive", 13, 15, "offset", "PyCodeObject", "co_code_adaptive"),
    ("code_object.localsplusnames", 13, 15, "offset", "PyCodeObject", "co_localsplusnames"),
    ("code_object.localspluskinds", 13, 15, "offset", "PyCodeObject", "co_localspluskinds"),
    ("object.ob_type", 13, 15, "offset", "PyObject", "ob_type"),
    ("object.ob_size", 13, 15, "offset", "PyVarObject", "ob_size"),
    ("unicode_object.length", 13, 15, "offset", "PyASCIIObject", "length"),
    ("unicode_object.state", 13, 15, "offset", "PyASCIIObject", "state"),
    ("unicode_object.ascii_size", 13, 15, "sizeof", "PyASCIIObject", None),
    ("unicode_object.compact_size", 13, 15, "sizeof", "PyCompactUnicodeObject", None),
    ("bytes_object.ob_sval", 13, 15, "offset", "PyBytesObject", "ob_sval"),
    ("type_object.tp_basicsize", 13, 15, "offset", "PyTypeObject", "tp_basicsize"),
    ("type_object.tp_name", 13, 15, "offset", "PyTypeObject", "tp_name"),
    ("tuple_object.ob_item", 13, 15, "offset", "PyTupleObject", "ob_item"),
    ("float_object.ob_fval", 13, 15, "offset", "PyFloatObject", "ob_fval"),
    ("set_object.used", 13, 15, "offset", "PySetObject", "used"),
    ("type_object.tp_flags", 13, 15, "offset", "PyTypeObject", "tp_flags"),
    ("type_object.tp_dictoffset", 13, 15, "offset", "PyTypeObject", "tp_dictoffset"),
    ("type_object.ht_cached_keys", 13, 15, "offset", "PyHeapTypeObject", "ht_cached_keys"),
    ("module_object.md_dict", 13, 15, "offset", "PyModuleObject", "md_dict"),
    ("dict_object.ma_keys", 13, 15, "offset", "PyDictObject", "ma_keys"),
    ("dict_object.ma_values", 13, 15, "offset", "PyDictObject", "ma_values"),
    ("dict_keys_object.dk_log2_size", 13, 15, "offset", "PyDictKeysObject", "dk_log2_size"),
    ("dict_keys_object.dk_log2_index_bytes", 13, 15, "offset", "PyDictKeysObject", "dk_log2_index_bytes"),
    ("dict_keys_object.dk_kind", 13, 15, "offset", "PyDictKeysObject", "dk_kind"),
    ("dict_keys_object.dk_nentries", 13, 15, "offset", "PyDictKeysObject", "dk_nentries"),
    ("dict_keys_object.dk_indices", 13, 15, "offset", "PyDictKeysObject", "dk_indices"),
    ("dict_key_entry.size", 13, 15, "sizeof", "PyDictKeyEntry", None),
    ("dict_key_entry.me_hash", 13, 15, "offset", "PyDictKeyEntry", "me_hash"),
    ("dict_key_entry.me_key", 13, 15, "offset", "PyDictKeyEntry", "me_key"),
    ("dict_key_entry.me_value", 13, 15, "offset", "PyDictKeyEntry", "me_value"),
    ("dict_unicode_entry.size", 13, 15, "sizeof", "PyDictUnicodeEntry", None),
    ("dict_unicode_entry.me_key", 13, 15, "offset", "PyDictUnicodeEntry", "me_key"),
    ("dict_unicode_entry.me_value", 13, 15, "offset", "PyDictUnicodeEntry", "me_value"),
    ("dict_values.values", 13, 15, "offset", "PyDictValues", "values"),
    ("long_object.lv_tag", 13, 15, "offset", "PyLongObject", "long_value.lv_tag"),
    ("long_object.ob_digit", 13, 15, "offset", "PyLongObject", "long_value.ob_digit"),
]

# The owner value of entry frames, which the walker relies on (stack_walk.c).
ENTRY_OWNER = {13: "FRAME_OWNED_BY_CSTACK", 14: "FRAME_OWNED_BY_INTERPRETER", 15: "FRAME_OWNED_BY_INTERPRETER"}

PROBE_HEAD = r'''
#define Py_BUILD_CORE 1
#include "Python.h"
#include "internal/pycore_runtime.h"
#include "internal/pycore_interp.h"
#include "internal/pycore_frame.h"
#include "internal/pycore_dict.h"
#include "internal/pycore_moduleobject.h"
#include <stddef.h>
#include <stdio.h>
int main(void)
{
    printf("sizeof _Py_DebugOffsets %zu\n", sizeof(_Py_DebugOffsets));
    printf("entry_owner %d\n", (int)ENTRY_OWNER);
    printf("tag_bits %d\n", (int)TAG_BITS);
'''


def tool(name):
    path = os.path.join(os.environ.get("PYATTACH_BUILD_DIR", ""), name)
    if not os.access(path, os.X_OK):
        raise AssertionError("%s is not built (PYATTACH_BUILD_DIR=%r)" % (path, os.environ.get("PYATTACH_BUILD_DIR")))
    return path


def our_positions():
    """{minor: (size, first_version, [(field, position)])} from layout_dump."""
    out = subprocess.check_output([tool("layout_dump"), "positions"]).decode()
    layouts = {}
    for line in out.splitlines():
        words = line.split()
        if words[0] == "layout":
            current = layouts.setdefault(int(words[1]), (int(words[2]), int(words[3], 16), []))
        else:
            current[2].append((words[1], int(words[2])))
    return layouts


def compile_probe(tmp, label, include, root_include, body_lines, minor):
    """Compiles and runs a probe printing "NAME VALUE" lines; returns {NAME: VALUE}."""
    head = PROBE_HEAD.replace("ENTRY_OWNER", ENTRY_OWNER[minor]).replace(
        "TAG_BITS", "Py_TAG_BITS" if minor >= 14 else "0")
    if minor >= 14:  # _PyStackRef and its tag bits arrived in 3.14
        head = head.replace('#include "internal/pycore_dict.h"',
                            '#include "internal/pycore_dict.h"\n#include "internal/pycore_stackref.h"')
    source = os.path.join(tmp, "probe-%s.c" % label)
    with open(source, "w") as f:
        f.write(head + "\n".join(body_lines) + "\n    return 0;\n}\n")
    exe = os.path.join(tmp, "probe-%s" % label)
    argv = ["gcc", "-w", "-I", include] + (["-idirafter", root_include] if root_include else []) + \
        [source, "-o", exe]
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise AssertionError("the %s probe did not compile: %s\n%s" % (label, " ".join(argv),
                                                                     proc.stdout.decode(errors="replace")[-3000:]))
    values = {}
    for line in subprocess.check_output([exe]).decode().splitlines():
        key, value = line.rsplit(" ", 1)
        values[key] = int(value)
    return values


def setUpModule():
    h.require_interpreters(h.DISTRO_INTERPRETERS + [("3.13.0", h.interpreter_by_label("3.13.0"))])
    for label, _, include, _ in HEADERS:
        if not os.path.exists(os.path.join(include, "internal", "pycore_runtime.h")):
            raise AssertionError("%s: no internal headers in %s (Debian: python3.X-dev; tests/distro_roots.sh)"
                                 % (label, include))


class DebugOffsetsAgainstHeaders(unittest.TestCase):
    maxDiff = None

    def test_every_layout_matches_its_headers(self):
        layouts = our_positions()
        self.assertEqual(sorted(layouts), [13, 14, 15])
        with tempfile.TemporaryDirectory() as tmp:
            for label, minor, include, root_include in HEADERS:
                with self.subTest(headers=label):
                    size, _, fields = layouts[minor]
                    body = ['    printf("%s %%zu\\n", offsetof(_Py_DebugOffsets, %s));' % (name, name)
                            for name, _ in fields]
                    probe = compile_probe(tmp, label, include, root_include, body, minor)
                    self.assertEqual(probe["sizeof _Py_DebugOffsets"], size, "%s: sizeof" % label)
                    # Every uint64 field accounted for: distinct positions filling the struct.
                    self.assertEqual(24 + 8 * len(fields), size, "%s: fields missing from our list" % label)
                    wrong = [(name, ours, probe[name]) for name, ours in fields if probe[name] != ours]
                    self.assertEqual(wrong, [], "%s: (field, our position, the header's)" % label)

    def test_read_layouts_match_headers(self):
        """The layout pyattach builds from a live target's own table, field by field,
        against offsetof/sizeof in that interpreter's headers."""
        targets = [("3.13.0", h.interpreter_by_label("3.13.0"))] + h.DISTRO_INTERPRETERS
        with tempfile.TemporaryDirectory() as tmp:
            for (label, minor, include, root_include), (_, python) in zip(HEADERS, targets):
                with self.subTest(python=label):
                    self.check_live_layout(tmp, label, minor, include, root_include, python)

    def check_live_layout(self, tmp, label, minor, include, root_include, python):
        rules = [r for r in RULES if r[1] <= minor <= r[2]]
        body = []
        for field, _, _, kind, ctype, member in rules:
            if kind == "offset":
                body.append('    printf("%s %%zu\\n", offsetof(%s, %s));' % (field, ctype, member))
            else:
                body.append('    printf("%s %%zu\\n", sizeof(%s));' % (field, ctype))
        probe = compile_probe(tmp, "live-" + label, include, root_include, body, minor)
        with h.start_target(python, "chain_target.py") as target:
            dump = subprocess.run([tool("layout_dump"), "pid", str(target.pid)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.assertEqual(dump.returncode, 0, dump.stderr.decode())
        ours = {}
        for line in dump.stdout.decode().splitlines():
            key, value = line.split(" ", 1)
            ours[key] = value
        self.assertEqual(ours["version_source"], "_Py_DebugOffsets")
        self.assertEqual(int(ours["ref_model"]), 1 if minor >= 14 else 0, "%s: f_executable tagging" % label)
        self.assertEqual(probe["entry_owner"], 3, "%s: the entry frames' owner value" % label)
        if minor >= 14:
            self.assertEqual(probe["tag_bits"], 3, "%s: Py_TAG_BITS" % label)
        wrong = []
        for field, _, _, kind, ctype, _ in rules:
            value, want = int(ours[field]), probe[field]
            if kind == "read":
                section = field.split(".")[0] + "."
                used = [int(v) for k, v in ours.items()
                        if k.startswith(section) and k != field and int(v) >= 0]
                if value != max(used) + 8 or value > want:
                    wrong.append((field, value, "last used + 8 = %d, sizeof %d" % (max(used) + 8, want)))
            elif value != want:
                wrong.append((field, value, want))
        self.assertEqual(wrong, [], "%s: (layout field, ours, the headers')" % label)
        covered = {r[0] for r in rules}
        unchecked = [k for k, v in ours.items() if "." in k and int(v) >= 0 and k not in covered]
        self.assertEqual(unchecked, [], "%s: fields in use that no rule checks" % label)


if __name__ == "__main__":
    unittest.main()
