# A target for the dlclose test (test_native.SwappedLibraryTest): argv[1] holds
# libswap_alpha.so and libswap_omega.so, built by the test from one source with only the
# function's name changed (so both have the same size and layout). It calls
# swap_alpha_spin through ctypes, in short calls, until argv[1]/go exists; then it
# dlcloses alpha, loads omega (the loader puts it where alpha was: the same size fits
# the hole it left) and writes argv[1]/switched {"alpha": ADDR, "omega": ADDR}, the two
# functions' addresses; then it calls swap_omega_spin forever (the test kills it).
import ctypes
import _ctypes
import json
import os
import sys

DIRECTORY = sys.argv[1]
CHUNK = 20 * 1000 * 1000  # iterations per call: some 10-40 ms


def load(name):
    lib = ctypes.CDLL(os.path.join(DIRECTORY, "libswap_%s.so" % name))
    spin = getattr(lib, "swap_%s_spin" % name)
    spin.argtypes = [ctypes.c_long]
    spin.restype = None
    return lib, spin, ctypes.cast(spin, ctypes.c_void_p).value


def main():
    lib, spin, alpha_at = load("alpha")
    sys.stdout.write("READY " + json.dumps({"pid": os.getpid(), "alpha": alpha_at}) + "\n")
    sys.stdout.flush()
    go = os.path.join(DIRECTORY, "go")
    while not os.path.exists(go):
        spin(CHUNK)
    handle = lib._handle
    del lib, spin
    _ctypes.dlclose(handle)
    lib, spin, omega_at = load("omega")
    with open(os.path.join(DIRECTORY, "switched.tmp"), "w") as f:
        json.dump({"alpha": alpha_at, "omega": omega_at}, f)
    os.rename(os.path.join(DIRECTORY, "switched.tmp"), os.path.join(DIRECTORY, "switched"))
    while True:
        spin(CHUNK)


main()
