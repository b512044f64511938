#!/usr/bin/env bash
# Builds pyattach twice and runs every test (unit + integration) in both trees:
# build/ (plain) and build-asan/ (AddressSanitizer + UBSan). Non-zero if either fails.
# First it builds (or reuses) the Debian roots whose python3.13/3.14/3.15 the
# integration tests run as targets (tests/distro_roots.sh; a few minutes the first time).
set -euo pipefail

src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs="${JOBS:-2}"

"$src/tests/distro_roots.sh"

# LeakSanitizer works on these machines (checked as root and as nobody, which the
# permission test uses), so leaks fail the sanitized run.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

run_tree() {
    local dir="$src/$1"; shift
    echo "=== $dir ==="
    cmake -S "$src" -B "$dir" "$@" &&
        cmake --build "$dir" -j"$jobs" &&
        (cd "$dir" && ctest --output-on-failure)
}

failed=()
run_tree build -DCMAKE_BUILD_TYPE=RelWithDebInfo || failed+=(build)
run_tree build-asan -DCMAKE_BUILD_TYPE=Debug -DPYATTACH_SANITIZE=ON || failed+=(build-asan)

# The frame walker against random and mutated address spaces, for a fixed budget
# (longer by hand: tests/fuzz/run_fuzz.sh 3600). Both corpus modes: any layout, and
# layouts re-read from a corrupted 3.13 _Py_DebugOffsets.
fuzz_seconds="${PYATTACH_FUZZ_SECONDS:-30}"
echo "=== fuzz: ${fuzz_seconds} s per mode ==="
"$src/tests/fuzz/run_fuzz.sh" "$fuzz_seconds" || failed+=(fuzz)
PYATTACH_FUZZ_DEBUG_OFFSETS=1 PYATTACH_FUZZ_BUILD_DIR="$src/build-fuzz-offsets" \
    "$src/tests/fuzz/run_fuzz.sh" "$fuzz_seconds" || failed+=(fuzz-debug-offsets)
# The ELF files of a target (attach/elf_image.c, the version string search), mutated
# from real interpreters: tests/fuzz/run_fuzz_elf.sh.
"$src/tests/fuzz/run_fuzz_elf.sh" "$fuzz_seconds" || failed+=(fuzz-elf)

if ((${#failed[@]})); then
    echo "FAILED in: ${failed[*]}" >&2
    exit 1
fi
echo "all tests passed in build/ and build-asan/, fuzzing found nothing"
