#!/usr/bin/env bash
# Installs everything pyattach needs to build and to run its whole test suite, from
# Debian's packages. Used by the README's first command and by .ci/run.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y \
    build-essential cmake pkg-config clang \
    libelf-dev libdw-dev libunwind-dev libcmocka-dev libncurses-dev \
    python3 python3-dev python3.11-dev python3-django gunicorn uwsgi uwsgi-plugin-python3 \
    pyprof2calltree tmux hyperfine austin util-linux debootstrap libcap2-bin passwd \
    zlib1g-dev liblzma-dev libbz2-dev dpkg-dev file strace groff-base man-db
# The HTML viewer: node runs its JavaScript unit tests (node --test, Node 18+); Debian's
# chromium, headless, runs the page in tests/integration/test_html_viewer.py and bench/.
apt-get install -y nodejs chromium chromium-driver
# `go tool pprof`: the real reader tests/integration/test_pprof.py checks pprof output with
apt-get install -y golang-go
