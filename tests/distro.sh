#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# tests/distro.sh trixie|sid [--host [TEST...] | TEST...]
#
# One release of the distribution matrix, with Debian's packages only: its
# debootstrap chroot (tests/vm/chroot.sh, cached), xdpchain and the test
# helpers built there (tests/vm/build.sh), the host tests run there on this
# machine's kernel, then the VM suite with that userland on the release's own
# cloud kernel (tests/vm/suite.sh RELEASE). TEST names select VM tests only.
# --host: the chroot, build and host tests only (TEST names select host
# tests); tests/run-all.sh runs the VM suite beside it, in two VMs.
# Ends with one line "N passed, N failed" adding both up.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dist=${1:?usage: tests/distro.sh trixie|sid [--host [TEST...] | TEST...]}
shift
host_only=0
if [ "${1:-}" = --host ]; then
	host_only=1
	shift
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
pass=0 fail=0 rc=0

tally() {
	local line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	if [ -z "$line" ]; then
		fail=$((fail + 1))
		return
	fi
	pass=$((pass + $(echo "$line" | awk '{print $1}')))
	fail=$((fail + $(echo "$line" | awk '{print $3}')))
}

t0=$(date +%s)
echo "== Debian $dist: chroot and build"
if bdir=$(bash "$ROOT/tests/vm/build.sh" "$dist"); then
	echo "built in $(($(date +%s) - t0)) s: $(bash "$ROOT/tests/vm/chroot.sh" "$dist" -- \
		"$bdir/.output/bin/xdpchain" -j features | sed -n 's/.*"libbpf":"\([^"]*\)","libxdp":"\([^"]*\)".*/libbpf \1, libxdp \2/p')"
	if [ $# -eq 0 ] || [ $host_only = 1 ]; then
		echo "== host tests, Debian $dist userland ($(uname -r), in its chroot)"
		bash "$ROOT/tests/vm/chroot.sh" "$dist" -- bash "$bdir/tests/run.sh" --host "$@" |
			tee "$log" || rc=1
		tally
	fi
	if [ $host_only = 0 ]; then
		t1=$(date +%s)
		bash "$ROOT/tests/vm/suite.sh" "$dist" "$@" | tee "$log" || rc=1
		tally
		echo "VM suite took $(($(date +%s) - t1)) s"
	fi
else
	echo "Debian $dist: chroot or build failed"
	fail=$((fail + 1))
fi
echo "Debian $dist took $(($(date +%s) - t0)) s"
echo "$pass passed, $fail failed"
[ $rc -eq 0 ] && [ $fail -eq 0 ]
