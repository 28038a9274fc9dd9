#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# tests/vm/old-build.sh [REV]   prints the path of xdpchain as built at REV
#
# The older build the upgrade tests make a chain with before this build
# changes it (vm_cost's cost_upgrade_keeps_older_chain, vm_chain's
# chain_upgrade_renews_final_stage). REV defaults to 6ca9dff, the last
# commit before the final stage marked a packet the whole chain passed
# (93551de), so older than cost sampling's maps too. Built once from `git archive` (this clone's history:
# nothing is fetched), the binary only, and cached under
# ${XDPCHAIN_VM_CACHE:-/var/cache/xdpchain-vm}/old/COMMIT. Exit 1 with one
# line when REV is not in this clone (a shallow clone) or does not build.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
prog=old-build.sh
rev=${1:-6ca9dff}
die() { echo "$prog: $*" >&2; exit 1; }

full=$(git -C "$repo" rev-parse --verify -q "$rev^{commit}" 2>/dev/null) ||
	die "$rev is not in this clone (a shallow one?): no older build to test an upgrade from"
cache=${XDPCHAIN_VM_CACHE:-/var/cache/xdpchain-vm}/old/$full
if [ -x "$cache/xdpchain" ]; then
	echo "$cache/xdpchain"
	exit 0
fi
mkdir -p "$cache"
exec 8>"$cache/.lock"
flock 8 # the two VMs of a suite may both ask
if [ ! -x "$cache/xdpchain" ]; then
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/xdpchain-old.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	git -C "$repo" archive "$full" | tar -x -C "$tmp"
	make -C "$tmp" -j"$(nproc)" .output/bin/xdpchain >"$cache/build.log" 2>&1 ||
		die "building $rev failed; see $cache/build.log"
	cp "$tmp/.output/bin/xdpchain" "$cache/xdpchain.new"
	mv "$cache/xdpchain.new" "$cache/xdpchain"
fi
echo "$cache/xdpchain"
