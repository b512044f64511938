#!/usr/bin/env bash
# Builds pyattach twice and runs every test (unit + integration) in both trees:
# build/ (plain) and build-asan/ (AddressSanitizer + UBSan). Non-zero if either fails.
set -euo pipefail

src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs="${JOBS:-2}"

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

if ((${#failed[@]})); then
    echo "FAILED in: ${failed[*]}" >&2
    exit 1
fi
echo "all tests passed in build/ and build-asan/"
