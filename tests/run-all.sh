#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# make test: the host tests, then the VM suite on each kernel of the matrix
# (Debian 12's userland on 6.1 and 6.12), then each release of the
# distribution matrix (tests/distro.sh: Debian 13's userland, built in its
# chroot, on its own kernel), then Debian 12 booted with systemd as PID 1
# (tests/vm/systemd-suite.sh: the units, udev rule and hardening for real),
# and one closing line "N passed, N failed"
# adding them all up. KERNELS chooses (default "6.1 6.12 trixie systemd"; sid runs
# on request: make distro-test DIST=sid).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KERNELS=${KERNELS:-6.1 6.12 trixie systemd}
total_pass=0 total_fail=0 rc=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

tally() {
	local line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	if [ -z "$line" ]; then
		total_fail=$((total_fail + 1))
		return
	fi
	total_pass=$((total_pass + $(echo "$line" | awk '{print $1}')))
	total_fail=$((total_fail + $(echo "$line" | awk '{print $3}')))
}

echo "== host tests ($(uname -r))"
bash "$ROOT/tests/run.sh" --host | tee "$log" || rc=1
tally
for k in $KERNELS; do
	t0=$(date +%s)
	case "$k" in
	trixie | sid) bash "$ROOT/tests/distro.sh" "$k" | tee "$log" || rc=1 ;;
	systemd) bash "$ROOT/tests/vm/systemd-suite.sh" 6.1 | tee "$log" || rc=1 ;;
	*) bash "$ROOT/tests/vm/suite.sh" "$k" | tee "$log" || rc=1 ;;
	esac
	tally
	echo "== $k took $(($(date +%s) - t0)) s"
done
echo "all: $total_pass passed, $total_fail failed"
[ $rc -eq 0 ] && [ $total_fail -eq 0 ]
