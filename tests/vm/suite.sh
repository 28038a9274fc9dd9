#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# tests/vm/suite.sh [KERNEL|RELEASE] [TEST...]
#
# Boots Debian's cloud kernel KERNEL (6.1 default; 6.1 and 6.12 with this
# Debian 12 host's userland and build) or a RELEASE (trixie, sid: its own
# cloud kernel, userland and a build of xdpchain made in its chroot, see
# tests/vm/run.sh --dist) once and runs the VM tests (tests/vm_*.sh) inside
# it; prints their PASS/FAIL lines and the closing "N passed, N failed" line,
# and exits non-zero when any failed or the guest never finished.
#
# XDPCHAIN_ASAN_KERNELS: the kernels and releases whose suite runs the
# ASan/UBSan build (default 6.1; e.g. "6.1 6.12 trixie" for all of them),
# the others run the plain build.
# VM_OUT=DIR: what the guest writes under /out lands in DIR; with
# VM_ENV="XDPCHAIN_TEST_TRACE=/out" the tests' traces (tests/run.sh).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kernel=${1:-6.1}
shift || true

# tshark reads the all-stages pcapng back as Wireshark shows it (vm_fate.sh):
# its libraries take ~160 MB of the initramfs, hence the memory
export VM_EXTRA_BINS="${VM_EXTRA_BINS:-} flock setpriv mountpoint diff find awk ethtool script tmux tshark"
# tmux needs a terminal description and a UTF-8 locale (top's test)
export VM_EXTRA_FILES="${VM_EXTRA_FILES:-} /lib/terminfo /usr/lib/locale/C.utf8"
# an older build for the upgrade tests: XDPCHAIN_OLD, or built from this
# clone's history (tests/vm/old-build.sh) for the kernels that run this
# host's userland; without one the tests skip and say why (need_old_build)
case "$kernel" in
trixie | sid) export VM_ENV="${VM_ENV:-} XDPCHAIN_OLD_WHY=userland" ;;
*) [ -n "${XDPCHAIN_OLD:-}" ] || XDPCHAIN_OLD=$(bash "$here/old-build.sh") || XDPCHAIN_OLD= ;;
esac
if [ -n "${XDPCHAIN_OLD:-}" ]; then
	XDPCHAIN_OLD=$(readlink -f "$XDPCHAIN_OLD")
	VM_EXTRA_FILES+=" $XDPCHAIN_OLD"
	export XDPCHAIN_OLD VM_ENV="${VM_ENV:-} XDPCHAIN_OLD"
fi
# the metrics tests' checkers (the 'check' packages), where the host has them;
# vm_service.sh skips those tests without them
case "$kernel" in
trixie | sid) ;;
*)
	for b in promtool prometheus-node-exporter curl; do
		if command -v "$b" >/dev/null; then VM_EXTRA_BINS+=" $b"; fi
	done
	;;
esac
# The tests' jq in a Debian 12 guest is gojq (a 'check' package) where the
# host has it: jq 1.6 compiles its builtins at every start, 322 ms a call
# under TCG against gojq's 70 (Debian 13's jq 1.7 starts as fast as gojq).
# The host tests keep jq 1.6, so both read every test's filters.
guest_jq=
case "$kernel" in
trixie | sid) ;;
*)
	if command -v gojq >/dev/null; then
		VM_EXTRA_BINS+=" gojq"
		guest_jq='mkdir -p /tmp/gojq-as-jq && ln -sf "$(command -v gojq)" /tmp/gojq-as-jq/jq && PATH=/tmp/gojq-as-jq:$PATH; '
	fi
	;;
esac
# Which build the tests run: the ASan/UBSan one (xdpchain-asan) on
# XDPCHAIN_ASAN_KERNELS (6.1, make check's kernel; it costs 14x the plain
# build's instructions a run under TCG), the build users run on the others
# (6.12, trixie): every VM test runs under ASan on one kernel, and the
# shipped build meets the real dispatchers too. The host tests run ASan.
case " ${XDPCHAIN_ASAN_KERNELS-6.1} " in
*" $kernel "*) build=xdpchain-asan ;;
*)
	build=xdpchain
	export VM_ENV="${VM_ENV:-} XDPCHAIN=/xdpchain/.output/bin/xdpchain"
	;;
esac
args=""
for t in "$@"; do
	args+=" $(printf '%q' "$t")"
done

where=(--kernel "$kernel")
case "$kernel" in
trixie | sid)
	# that release's userland (xdpchain built in its chroot) on its own kernel
	where=(--dist "$kernel")
	echo "== VM suite: Debian $kernel, its userland and cloud kernel ($build)"
	;;
*) echo "== VM suite on Debian's $kernel cloud kernel ($build)" ;;
esac
rc=0
bash "$here/run.sh" "${where[@]}" ${VM_OUT:+--out "$VM_OUT"} --mem 2048 --timeout "${VM_TIMEOUT:-2400}" -- \
	"${guest_jq}echo \"guest kernel: \$(uname -r)\"; bash tests/run.sh --vm$args" || rc=$?
if [ $rc -ge 124 ]; then
	echo "VM on $kernel did not finish (exit $rc)"
	echo "0 passed, 1 failed"
fi
exit $rc
