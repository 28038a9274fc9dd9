#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# make bench, the capture part that needs real frames (so runs in the VM):
# xdpdump filters on the interface index, so a BPF_PROG_TEST_RUN flood
# never reaches it. Here FRAMES real 64-byte frames leave a veth
# (tests/helpers/xdp_flood: a live-frames test run redirecting each one)
# and arrive at the chain on its peer in NAPI, as from a wire, while a
# capture tool writes every one of them to a pcap: xdpchain capture after
# the chain, and xdpdump (xdp-tools) at the chain's exit, both at their
# defaults. Prints the flood's time, packets written, losses the tool
# reported and packets written per second, with the ratio to xdpdump's.
# make bench runs it in the -icount VM of tests/bench/vm_chain.sh: one
# vCPU, whose clock counts instructions, so a second is 1e9 guest
# instructions, sender's and reader's alike, whatever the host runs. (Two
# vCPUs under plain TCG gave times that moved 4x with the host's load.)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
X=$ROOT/.output/bin/xdpchain
FRAMES=${FRAMES:-200000}
IF=xf1 # the chain's interface; frames come from its peer xf0

out=$(mktemp -d)
trap '$X flush $IF >/dev/null 2>&1 || true; ip link del xf0 2>/dev/null || true; rm -rf "$out"' EXIT
ip link add xf0 type veth peer name $IF
ip link set xf0 up
ip link set $IF up
$X add $IF "$ROOT/.output/bpf/count.o" >/dev/null 2>&1

# packets the chain's member has seen so far (the observer's counters)
arrived() {
	$X -j status -s $IF | jq '[.programs[] | select(.name == "xdpchain_count") | .stats[]] | add'
}

# run READY_PATTERN CMD...: the tool in the background until its readiness
# line is in its log, the flood, then SIGINT once the file stops growing;
# sets secs, reached (frames the chain got: a veth drops what its peer's
# ring cannot take), written
run() {
	local ready=$1 pid size last=-1 i
	shift
	: >"$out/log"
	"$@" >"$out/log" 2>&1 &
	pid=$!
	for ((i = 0; i < 600; i++)); do
		grep -q "$ready" "$out/log" && break
		kill -0 $pid 2>/dev/null || { echo "bench: $1 died: $(cat "$out/log")" >&2; exit 1; }
		sleep 0.05
	done
	reached=$(arrived)
	secs=$("$ROOT/.output/bin/xdp_flood" "$ROOT/.output/tests/flood_redirect.o" xf0 "$FRAMES" |
		sed -n 's/.* in \([0-9.]*\) s$/\1/p')
	while size=$(stat -c %s "$out/out.pcap" 2>/dev/null || echo 0); [ "$size" != "$last" ]; do
		last=$size
		sleep 0.5
	done
	reached=$(($(arrived) - reached))
	kill -INT $pid
	wait $pid || true
	written=$(tcpdump -nn -r "$out/out.pcap" 'udp dst port 40003' 2>/dev/null | wc -l)
}

# the chain alone: what the flood costs without a capture
b_secs=$("$ROOT/.output/bin/xdp_flood" "$ROOT/.output/tests/flood_redirect.o" xf0 "$FRAMES" |
	sed -n 's/.* in \([0-9.]*\) s$/\1/p')
# xdpchain: programs in the hook, then -v's "capturing from" line
run "capturing from" $X capture $IF -v -w "$out/out.pcap"
x_secs=$secs x_written=$written x_reached=$reached
x_lost=$(sed -n 's/^xdpchain capture: .*, lost \([0-9]*\)).*/\1/p' "$out/log")
rm -f "$out/out.pcap"
# xdpdump: "listening on ..." once its programs are attached
run "listening on" xdpdump -i $IF --rx-capture exit -w "$out/out.pcap"
d_secs=$secs d_written=$written d_reached=$reached
d_lost=$(sed -n 's/^\([0-9]*\) packets dropped by perf ring.*/\1/p' "$out/log")

pps() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
x_pps=$(pps "$x_written" "$x_secs")
d_pps=$(pps "$d_written" "$d_secs")
echo "VM, real frames: $FRAMES 64-byte frames out of a veth into a chain of 1 member + final stage, $(nproc) CPU(s), kernel $(uname -r):"
printf '  %-34s %9s s\n' "no capture" "$b_secs"
printf '  %-34s %9s s %8s reached the chain %8s written %7s lost %8s written/s\n' \
	"xdpdump -i IF --rx-capture exit" "$d_secs" "$d_reached" "$d_written" "${d_lost:-?}" "$d_pps"
printf '  %-34s %9s s %8s reached the chain %8s written %7s lost %8s written/s\n' \
	"xdpchain capture IF" "$x_secs" "$x_reached" "$x_written" "${x_lost:-?}" "$x_pps"
echo "  capture's cost over no capture: xdpdump $(awk -v a="$d_secs" -v b="$b_secs" 'BEGIN { printf "%.3f", a - b }') s, xdpchain $(awk -v a="$x_secs" -v b="$b_secs" 'BEGIN { printf "%.3f", a - b }') s"
echo "  xdpchain writes $(awk -v a="$x_pps" -v b="$d_pps" 'BEGIN { printf "%.2fx", b ? a / b : 0 }') the packets per second xdpdump does (goal >= 2x)"

# Issue 20 item 5: what --kernel-drops costs for traffic the stack accepts.
# The same frames, now addressed to the chain's interface (its MAC and
# 192.0.2.1) and read by a UDP socket (tests/helpers/udp_sink, a receive
# buffer that holds them all: the reader gets the one vCPU only after the
# flood), through a pcapng capture without and with --kernel-drops, same
# run. Accepted packets are consumed, not dropped: the tracepoint program
# should find nothing to copy, and the ratio is what it costs to be there.
KD_FRAMES=${KD_FRAMES:-20000}
ip link set $IF address 02:00:00:00:00:01
ip addr add 192.0.2.1/24 dev $IF
sysctl -qw net.core.rmem_default=67108864 net.core.rmem_max=67108864
"$ROOT/.output/bin/udp_sink" 192.0.2.1 40003 >"$out/sink" &
sink=$!
for ((i = 0; i < 100; i++)); do grep -q READY "$out/sink" && break; sleep 0.05; done
# kd_run ARGS...: a capture with ARGS, the flood; sets secs, written, kdrops
kd_run() {
	local i pid
	: >"$out/log" # no earlier run's readiness line
	$X capture $IF -v --pcapng -w "$out/kd.pcapng" "$@" >"$out/log" 2>&1 &
	pid=$!
	for ((i = 0; i < 600; i++)); do
		grep -q "capturing from" "$out/log" && break
		sleep 0.05
	done
	secs=$("$ROOT/.output/bin/xdp_flood" "$ROOT/.output/tests/flood_redirect.o" xf0 "$KD_FRAMES" |
		sed -n 's/.* in \([0-9.]*\) s$/\1/p')
	sleep 2
	kill -INT $pid
	wait $pid || true
	summary=$(sed -n 's/^xdpchain capture: //p' "$out/log")
}
# without, with, without again: the two without show the noise
kd_run
n1_secs=$secs n1_sum=$summary
kd_run --kernel-drops
k_secs=$secs k_sum=$summary
kd_run
n2_secs=$secs n2_sum=$summary
kill $sink
wait $sink || true
echo "VM, accepted traffic: $KD_FRAMES 64-byte UDP frames to a listening socket (it read $(tail -1 "$out/sink") in 3 runs), capture --pcapng of every fate:"
printf '  %-24s %9s s  %s\n' "without --kernel-drops" "$n1_secs" "$n1_sum" \
	"with --kernel-drops" "$k_secs" "$k_sum" "without, again" "$n2_secs" "$n2_sum"
echo "  --kernel-drops costs $(awk -v a="$k_secs" -v b="$n1_secs" -v c="$n2_secs" 'BEGIN { printf "%.3fx", a / ((b + c) / 2) }') the flood's time without it (the mean of both, same run; the two without: $(awk -v b="$n1_secs" -v c="$n2_secs" 'BEGIN { printf "%.3fx", c / b }'))"
# and what a drop costs it: the same frames with nobody listening (NO_SOCKET)
kd_run
d1_secs=$secs d1_sum=$summary
kd_run --kernel-drops
dk_secs=$secs dk_sum=$summary
echo "VM, dropped traffic: the same frames, nobody listening (NO_SOCKET):"
printf '  %-24s %9s s  %s\n' "without --kernel-drops" "$d1_secs" "$d1_sum" \
	"with --kernel-drops" "$dk_secs" "$dk_sum"
echo "  --kernel-drops costs $(awk -v a="$dk_secs" -v b="$d1_secs" 'BEGIN { printf "%.3fx", a / b }') the flood's time without it when every packet is a kernel drop (copied twice: at its fate and at its drop)"
