#!/usr/bin/env bash
# The README's first command ends here: start the bundled demo app, attach to it by
# PID for 3 seconds, write demo.prof and print the top of its cProfile table.
set -euo pipefail
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pyattach="${PYATTACH:-$src/build/pyattach}"
out="${1:-$PWD/demo.prof}"

/usr/bin/python3 "$src/tests/targets/demo_app.py" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
sleep 0.5
echo "\$ pyattach -p $pid -d 3 -o $out"
"$pyattach" -p "$pid" -d 3 -o "$out"
echo
echo "\$ pyattach view $out -s cumulative -n 12"
"$pyattach" view "$out" -s cumulative -n 12
