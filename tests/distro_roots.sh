#!/usr/bin/env bash
# Builds the Debian root filesystems whose CPython builds the integration tests run
# as targets (from the host, as a container would be read), or reuses them:
#   forky  (Debian testing): python3.14, python3.15, their -dev headers, Django, gunicorn
#   trixie (Debian 13):      python3.13 and its -dev headers
# Usage: tests/distro_roots.sh [print]   -- "print" only prints the cache directory.
# The cache lives outside the checkout: $PYATTACH_ROOTS, default /var/cache/pyattach-roots.
# A root is complete when its .complete marker lists exactly the packages asked for
# below; an incomplete or outdated one is rebuilt from scratch. Fails loudly: the
# suite needs every root.
set -euo pipefail

cache="${PYATTACH_ROOTS:-/var/cache/pyattach-roots}"
if [[ "${1:-}" == print ]]; then
    echo "$cache"
    exit 0
fi

# The mirror apt already uses here (first deb.debian.org-style "debian" URI).
mirror="$(grep -rhoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null |
    head -n1 | tr -d ' ' || true)"
mirror="${mirror:-http://deb.debian.org/debian}"

declare -A packages=(
    [forky]="python3.14 python3.14-dev python3.15 python3.15-dev python3-django gunicorn"
    [trixie]="python3.13 python3.13-dev"
)
# Bookworm's debootstrap has no script for forky; testing is built like sid.
declare -A scripts=([forky]=sid [trixie]=trixie)

command -v debootstrap >/dev/null || {
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y debootstrap
}

build_root() {
    local suite="$1" root="$cache/$1" want="${packages[$1]}"
    if [[ -f "$root/.complete" && "$(cat "$root/.complete")" == "$want" ]]; then
        echo "distro_roots: $suite reused ($root)"
        return 0
    fi
    echo "distro_roots: building $suite in $root from $mirror ($want)"
    local tmp="$root.partial"
    # A half-built root may still hold a mount from a test that died: never rm through one.
    if grep -qs " $tmp/" /proc/mounts || grep -qs " $root/" /proc/mounts; then
        echo "distro_roots: $root or $tmp has something mounted; unmount it first" >&2
        return 1
    fi
    rm -rf "$tmp" "$root"
    mkdir -p "$cache"
    debootstrap --variant=minbase --include="${want// /,}" "$suite" "$tmp" "$mirror" \
        "/usr/share/debootstrap/scripts/${scripts[$suite]}" >"$cache/$suite.log" 2>&1 || {
        echo "distro_roots: debootstrap of $suite failed; the last lines of $cache/$suite.log:" >&2
        tail -n 20 "$cache/$suite.log" >&2
        return 1
    }
    local p
    for p in $want; do
        chroot "$tmp" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || {
            echo "distro_roots: $suite: package $p is not installed" >&2
            return 1
        }
    done
    echo "$want" >"$tmp/.complete"
    mv "$tmp" "$root"
}

# Both at once: each is mostly waiting on the network.
build_root forky &
forky_pid=$!
build_root trixie &
trixie_pid=$!
status=0
wait "$forky_pid" || status=1
wait "$trixie_pid" || status=1
if ((status)); then
    echo "##################################################" >&2
    echo "distro_roots: a Debian root could not be built" >&2
    echo "##################################################" >&2
    exit 1
fi

# $cache/bin/debian-3.X runs the root's python3.X inside the root, as a container runs
# it: a private mount namespace (it goes with the process, so nothing stays mounted)
# with /proc, the host's /tmp, and each directory named in $PYATTACH_CHROOT_BINDS
# (colon-separated) at the same path inside; then chroot, in the caller's directory
# where the root has it. Each step execs, so the PID is the interpreter's.
write_wrapper() {
    local label="$1" root="$cache/$2" python="$3" file="$cache/bin/$1"
    mkdir -p "$cache/bin"
    sed -e "s|@LABEL@|$label|g" -e "s|@ROOT@|$root|g" -e "s|@PYTHON@|$python|g" >"$file.new" <<'WRAPPER'
#!/bin/sh
# @LABEL@: @PYTHON@ of the Debian root @ROOT@, run inside it (tests/distro_roots.sh).
exec unshare --mount --propagation private /bin/sh -c '
    root=$1 python=$2
    shift 2
    mount -t proc proc "$root/proc" && mount --bind /tmp "$root/tmp" || exit 125
    IFS=:
    for dir in $PYATTACH_CHROOT_BINDS; do
        [ -n "$dir" ] || continue
        mkdir -p "$root$dir" && mount --bind "$dir" "$root$dir" || exit 125
    done
    unset IFS
    exec chroot "$root" /bin/sh -c "cd \"\$1\" 2>/dev/null || cd /; shift; exec \"\$@\"" sh "$PWD" "$python" "$@"
' sh "@ROOT@" "@PYTHON@" "$@"
WRAPPER
    chmod 755 "$file.new"
    mv "$file.new" "$file"
}
write_wrapper debian-3.13 trixie /usr/bin/python3.13
write_wrapper debian-3.14 forky /usr/bin/python3.14
write_wrapper debian-3.15 forky /usr/bin/python3.15
for v in 3.13 3.14 3.15; do
    out="$("$cache/bin/debian-$v" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" || true
    [[ "$out" == "$v" ]] || {
        echo "distro_roots: $cache/bin/debian-$v does not run Python $v (got '$out')" >&2
        exit 1
    }
done
echo "distro_roots: ready in $cache (interpreters: $cache/bin/debian-3.13, -3.14, -3.15)"
