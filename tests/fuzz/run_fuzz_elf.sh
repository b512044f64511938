#!/bin/sh
# Builds tests/fuzz/fuzz_elf_image.c with clang's libFuzzer, ASan and UBSan into
# build-fuzz-elf/ and runs it on mutated copies of real interpreters' ELF files.
# Usage: tests/fuzz/run_fuzz_elf.sh [seconds=30] [libFuzzer args...]
# Exits non-zero when the fuzzer finds a crash, a sanitizer report, a leak or a hang
# (the input that did it is saved under build-fuzz-elf/artifacts/).
set -eu

seconds=${1:-30}
[ $# -gt 0 ] && shift
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${PYATTACH_FUZZ_BUILD_DIR:-$root/build-fuzz-elf}
roots=${PYATTACH_ROOTS:-/var/cache/pyattach-roots}
mkdir -p "$out/corpus" "$out/artifacts"

# What runtime.c reads in a candidate file: attach/ and python_frames/ whole, as for
# the walker's fuzzer (the unused parts need libelf/libdw to link).
cd "$root"
sources="$(ls attach/*.c python_frames/*.c) tests/fuzz/fuzz_elf_image.c"

# No -Werror: a clang-only warning in a file being edited must not stop a fuzz run.
# shellcheck disable=SC2086
clang -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
  -I"$root" $sources -lelf -ldw -o "$out/fuzz_elf_image"

# Seeds: pyenv's libpython 3.6 (interp_head in .symtab) and 3.12, Debian's static,
# stripped python3.11 and Debian testing's python3.14 (from the roots that
# tests/distro_roots.sh builds), each shrunk to a few KB. Made once; a missing
# file is an error, never a smaller seed set (the directory appears only when whole).
if [ ! -d "$out/seeds" ]; then
  rm -rf "$out/seeds.new"
  /usr/bin/python3 tests/fuzz/elf_seeds.py "$out/seeds.new" \
    /root/.pyenv/versions/3.6.15/lib/libpython3.6m.so.1.0 \
    /root/.pyenv/versions/3.12.1/lib/libpython3.12.so.1.0 \
    /usr/bin/python3.11 \
    "$roots/forky/usr/bin/python3.14" >/dev/null
  mv "$out/seeds.new" "$out/seeds"
fi

exec "$out/fuzz_elf_image" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -artifact_prefix="$out/artifacts/" "$@" "$out/corpus" "$out/seeds"
