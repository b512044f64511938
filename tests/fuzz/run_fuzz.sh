#!/bin/sh
# Builds tests/fuzz/fuzz_stack_walk.c with clang's libFuzzer, ASan and UBSan into
# build-fuzz/ and runs it. Usage: tests/fuzz/run_fuzz.sh [seconds=30] [libFuzzer args...]
# Exits non-zero when the fuzzer finds a crash, a sanitizer report, a leak or a hang
# (the input that did it is saved under build-fuzz/artifacts/).
set -eu

seconds=${1:-30}
[ $# -gt 0 ] && shift
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${PYATTACH_FUZZ_BUILD_DIR:-$root/build-fuzz}
mkdir -p "$out/corpus" "$out/artifacts"

# The walker and everything beside it (attach/ and python_frames/ whole, so a new
# file the walker starts to use is picked up), the test support code, the target.
# The unused parts of attach/ need libelf/libdw to link.
cd "$root"
sources="$(ls attach/*.c python_frames/*.c tests/support/*.c) tests/fuzz/fuzz_stack_walk.c"

# No -Werror: a clang-only warning in a file being edited must not stop a fuzz run.
# shellcheck disable=SC2086
clang -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
  -I"$root" $sources -lelf -ldw -o "$out/fuzz_stack_walk"

# Seeds: each version (byte 0) with a few shapes (byte 1), no corruption yet.
if [ -z "$(ls -A "$out/corpus")" ]; then
  for v in 0 1 2 3 4 5 6 7 8 9; do
    for shape in 00 1d 5f ff; do
      printf "\\$(printf '%03o' "$v")\\$(printf '%03o' "0x$shape")" > "$out/corpus/seed-$v-$shape"
    done
  done
fi

exec "$out/fuzz_stack_walk" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$out/artifacts/" "$@" "$out/corpus"
