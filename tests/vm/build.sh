#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Usage: tests/vm/build.sh trixie|sid
#
# Copies this repo's files (not .git, not .output) into the release's chroot
# (tests/vm/chroot.sh) and runs 'make test-build' there, with that release's
# compiler, headers and libraries; prints the copy's path inside the chroot.
# The copy keeps its .output and the files keep their times, so a rebuild
# compiles only what changed. The build log is in the copy's .output/build.log.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
die() { echo "build.sh: $*" >&2; exit 1; }

[[ $# -eq 1 ]] || die "usage: $0 trixie|sid"
dist=$1
root=$(bash "$here/chroot.sh" "$dist")
# one copy per repo on this machine (several worktrees may share the chroot)
bdir=/build/$(basename "$repo")-$(printf '%s' "$repo" | sha256sum | cut -c1-8)
dst=$root$bdir
mkdir -p "$dst"
exec 8>"$dst.lock"
flock 8
# The same files as the last good build (names, contents, times): nothing to
# do, and the copy is left alone: tests/run-all.sh runs the host tests from it
# while the VM suite's halves call this again.
tree() { tar -C "$repo" --exclude=./.git --exclude=./.output --sort=name -cf - .; }
sum=$(tree | sha256sum | cut -c1-64)
if [[ -f $dst.built && $(cat "$dst.built") == "$sum" ]]; then
	echo "$bdir"
	exit 0
fi
rm -f "$dst.built"
find "$dst" -mindepth 1 -maxdepth 1 ! -name .output -exec rm -rf {} +
tree | tar -C "$dst" -xf -
mkdir -p "$dst/.output"
bash "$here/chroot.sh" "$dist" -- make -C "$bdir" -j"$(nproc)" test-build \
	>"$dst/.output/build.log" 2>&1 || {
	tail -n 30 "$dst/.output/build.log" >&2
	die "'make test-build' failed in the $dist chroot; log: $dst/.output/build.log"
}
echo "$sum" >"$dst.built"
echo "$bdir"
