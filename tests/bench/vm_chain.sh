#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# make bench, the part that needs chains (so runs in the VM): what
# per-member counters and stage attribution cost per packet, against the
# same chain on libxdp's own dispatcher object, measured in this run with
# BPF_PROG_TEST_RUN (bpftool prog run, repeat) on the dispatcher; and what
# capturing every fate costs with a filter that matches nothing.
# And what cost sampling (XDPCHAIN_COST_EVERY=64) costs against the same
# chain without it (the default), and how its figure for a heavy
# member compares with run_time_ns / run_cnt (bpf_stats) of that program
# attached alone and run as often. Prints ns per packet and ratios. Runs inside the VM, as make bench does:
#   VM_QEMU_ARGS="-icount shift=0,sleep=off" tests/vm/run.sh -- bash tests/bench/vm_chain.sh
# Under -icount the guest clock advances one ns per guest instruction, so
# "ns" are instructions: a count that does not depend on what else the host
# runs (TCG times do, by a factor of two here).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
X=$ROOT/.output/bin/xdpchain
S=$ROOT/.output/bpf
REPEAT=${REPEAT:-200000}
ROUNDS=${ROUNDS:-5}
IF=xb0
MEMBERS=(rewrite count firewall)

HEAVY=$ROOT/.output/tests/heavy.o
ALONE=/sys/fs/bpf/xdpchain_bench_heavy
pkt=$(mktemp)
trap 'rm -f "$pkt" $ALONE; sysctl -qw kernel.bpf_stats_enabled=0; $X flush $IF >/dev/null 2>&1 || true; ip link del $IF 2>/dev/null || true' EXIT
# 64-byte UDP to port 40003: every member parses it, none acts on it, so
# it passes the whole chain (the common case, and the longest path)
printf '\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00\x45\x00\x00\x32\x00\x01\x00\x00\x40\x11\x00\x00\xc0\x00\x02\x02\xc0\x00\x02\x01\x30\x39\x9c\x43\x00\x1e\x00\x00%022d' 0 >"$pkt"

ip link add $IF type veth peer name xb1
ip link set $IF up

# ns per packet of the dispatcher on $IF: the median of $ROUNDS runs
measure() {
	local id t all=()
	id=$($X -j status $IF | jq .dispatcher_id)
	for _ in $(seq "$ROUNDS"); do
		t=$(bpftool prog run id "$id" data_in "$pkt" repeat "$REPEAT" 2>&1 |
			sed -n 's/.*duration (average): \([0-9]*\)ns.*/\1/p')
		all+=("$t")
	done
	printf '%s\n' "${all[@]}" | sort -n | sed -n "$(((ROUNDS + 1) / 2))p"
}

build() {
	$X flush $IF >/dev/null 2>&1
	for m in "${MEMBERS[@]}"; do
		"$@" $X add $IF "$S/$m.o" >/dev/null 2>&1 || { echo "bench: cannot add $m" >&2; exit 1; }
	done
}

build env XDPCHAIN_DISPATCHER=system
[ "$($X -j status $IF | jq -r .dispatcher_object)" = libxdp ] || { echo "bench: libxdp's object not used" >&2; exit 1; }
stock=$(measure)
build env
[ "$($X -j status $IF | jq .counters)" = true ] || { echo "bench: counters are off" >&2; exit 1; }
own=$(measure)
$X capture $IF -w /dev/null 'udp port 1' >/dev/null 2>&1 &
cap=$!
sleep 2
captured=$(measure)
kill -INT $cap
wait $cap || true
[ "$($X -j status -s $IF | jq .cost_every)" = 0 ] || { echo "bench: cost sampling on by default" >&2; exit 1; }
build env XDPCHAIN_COST_EVERY=64
[ "$($X -j status -s $IF | jq .cost_every)" = 64 ] || { echo "bench: cost sampling not on" >&2; exit 1; }
costed=$(measure)

# The heavy member's cost as the chain samples it (every packet timed) and
# as bpf_stats sees it alone, both over $REPEAT_HEAVY runs of the packet.
REPEAT_HEAVY=${REPEAT_HEAVY:-20000}
$X flush $IF >/dev/null 2>&1
XDPCHAIN_COST_EVERY=1 $X add $IF "$HEAVY" >/dev/null
bpftool prog run id "$($X -j status $IF | jq .dispatcher_id)" data_in "$pkt" repeat "$REPEAT_HEAVY" >/dev/null
sampled=$($X -j status -s $IF | jq '.programs[] | select(.name == "xdp_test_heavy") | .cost.ns_per_packet')
$X flush $IF >/dev/null 2>&1
bpftool prog load "$HEAVY" $ALONE type xdp
bpftool net attach xdp pinned $ALONE dev $IF
sysctl -qw kernel.bpf_stats_enabled=1
bpftool prog run pinned $ALONE data_in "$pkt" repeat "$REPEAT_HEAVY" >/dev/null
sysctl -qw kernel.bpf_stats_enabled=0
alone=$(bpftool -j prog show pinned $ALONE | jq '(.run_time_ns // 0) / ((.run_cnt // 0) + 1e-9) | round')
bpftool net detach xdp dev $IF

echo "VM (qemu -icount: ns = guest instructions), chain of ${#MEMBERS[@]} members + final stage, 64-byte UDP passing all, $REPEAT runs x $ROUNDS (median), kernel $(uname -r):"
echo "  libxdp's dispatcher object:                 $stock ns/packet"
echo "  xdpchain's, counters + stage attribution:   $own ns/packet  ($(awk -v a="$own" -v b="$stock" 'BEGIN{printf "%.2fx", a/b}') libxdp's; goal <= 1.10x)"
echo "  + capture of every fate, filter matching none: $captured ns/packet  ($(awk -v a="$captured" -v b="$own" 'BEGIN{printf "%.2fx", a/b}') no capture; goal <= 1.15x)"
echo "  + cost sampling, 1 in 64 (XDPCHAIN_COST_EVERY=64): $costed ns/packet  ($(awk -v a="$costed" -v b="$own" 'BEGIN{printf "%.3fx", a/b}') without; goal <= 1.05x to be on by default)"
echo "  a heavy member (tests/bpf/heavy.bpf.c), $REPEAT_HEAVY runs: sampled in the chain (every packet timed) $sampled ns/packet; alone, bpf_stats run_time_ns/run_cnt $alone ns/packet ($(awk -v a="$sampled" -v b="$alone" 'BEGIN{printf "%.2fx", a/b}'))"
