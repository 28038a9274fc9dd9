#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The demo itself: a chain of the three sample programs plus the final stage
# on a veth pair, traffic through it, and what the chain did to the packets.
# Runs where the kernel allows freplace (tests/demo.sh picks host or VM).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source tests/lib.sh
XDPCHAIN=$ROOT/.output/bin/xdpchain
trap run_deferred EXIT

say() { printf '\n\033[1m## %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

mountpoint -q "$BPFFS" || mount -t bpf bpf "$BPFFS"
setup_veth
say "A veth pair: $IF0 ($ADDR0) carries the chain, its peer $IF1 ($ADDR1) sends from netns $PEERNS"

say "Five sample programs, added in any order; priorities come from each object's XDP_RUN_CONFIG"
show xdpchain add $IF0 "$SAMPLES/drop.o"
show xdpchain add $IF0 "$SAMPLES/firewall.o"
show xdpchain add $IF0 "$SAMPLES/count.o"
show xdpchain add $IF0 "$SAMPLES/rewrite.o"
show xdpchain add $IF0 "$SAMPLES/vlan_strip.o"

say "The chain, in run order, with xdpchain's final stage last"
show xdpchain status $IF0
say "libxdp's own tool sees the same chain"
show xdp-loader status $IF0

hook=$(xdpchain -j status $IF0 | jq -r .hook.pin)
say "Capture after the whole chain, every fate, from the hook pinned at $hook"
echo "\$ xdpchain capture $IF0 -w /tmp/demo-after.pcapng --pcapng -c 7 udp &"
xdpchain capture $IF0 -w /tmp/demo-after.pcapng --pcapng -c 7 udp &
p1=$!
say "... and, at the same time, right after the first program (a tap)"
echo "\$ xdpchain capture $IF0 --after xdpchain_vlan_strip -w /tmp/demo-tap.pcap -c 7 udp &"
xdpchain capture $IF0 --after xdpchain_vlan_strip -w /tmp/demo-tap.pcap -c 7 udp &
p2=$!
ip netns exec $PEERNS tcpdump -Z root -i $IF1 -n -c 7 -w /tmp/demo-sent.pcap udp 2>/dev/null &
p3=$!
for _ in $(seq 100); do
	[[ " $(chain_names $IF0) " == *" xdpchain_tap "* ]] &&
		[ "$(hook_slots "$hook" | tr -d ' 0')" != "" ] && break
	sleep 0.1
done
sleep 0.5
show xdpchain status $IF0

say "Traffic: 3 packets to UDP port 40000, 2 to port 9 (the drop rule, through the hook), 2 to 40002 (the firewall's plain 'return XDP_DROP')"
send_udp 40000 3 demo-payload
send_udp 9 2 demo-payload
send_udp 40002 2 demo-payload
# each ends at its count; should one miss a packet, the demo goes on after 20 s
for _ in $(seq 200); do
	kill -0 $p1 2>/dev/null || kill -0 $p2 2>/dev/null || kill -0 $p3 2>/dev/null || break
	sleep 0.1
done
kill -INT $p1 $p2 $p3 2>/dev/null || true
wait $p1 $p2 $p3 || true

say "As sent by $IF1 (tcpdump on the sender)"
tcpdump -Z root -nv -r /tmp/demo-sent.pcap 2>/dev/null
say "Right after xdpchain_vlan_strip (the tap): not yet rewritten"
tcpdump -Z root -nv -r /tmp/demo-tap.pcap 2>/dev/null
say "After the chain: port 40000 became 40001, TTL 64 became 63; port 9 dropped by xdpchain_drop, 40002 by xdpchain_firewall"
tcpdump -Z root -nv -r /tmp/demo-after.pcapng 2>/dev/null
echo "fates and the stage that decided them, from the pcapng (Wireshark shows them; the action is also in frame.verdict.ebpf_xdp):"
grep -a -o 'xdp action: [a-z]*; stage: [a-z_ ]*\( (id [0-9]*)\)\?' /tmp/demo-after.pcapng | sort | uniq -c
say "Which program did what: every member's verdicts, counted"
show xdpchain status -s $IF0
say "The counter after the rewrite saw every rewritten packet"
echo "packets: $(count_of 0), to port 40001: $(count_of 1)"
say "The tap is gone again"
show xdpchain status $IF0

say "Cleaning up"
show xdpchain flush $IF0
