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

say "Three sample programs, added in any order; priorities come from each object's XDP_RUN_CONFIG"
show xdpchain add $IF0 "$SAMPLES/drop.o"
show xdpchain add $IF0 "$SAMPLES/count.o"
show xdpchain add $IF0 "$SAMPLES/rewrite.o"

say "The chain, in run order, with xdpchain's final stage last"
show xdpchain status $IF0
say "libxdp's own tool sees the same chain"
show xdp-loader status $IF0

hook=$(xdpchain -j status $IF0 | jq -r .hook.pin)
say "Capture after the chain, from the hook pinned at $hook (PASS and DROP slots)"
"$BIN/hook_probe" -a pass -c 3 -t 30 --ready /tmp/demo.pass.ready "$hook" /tmp/demo-pass.pcap &
p1=$!
"$BIN/hook_probe" -a drop -c 2 -t 30 --ready /tmp/demo.drop.ready "$hook" /tmp/demo-drop.pcap &
p2=$!
while [ ! -e /tmp/demo.pass.ready ] || [ ! -e /tmp/demo.drop.ready ]; do sleep 0.1; done
ip netns exec $PEERNS tcpdump -Z root -i $IF1 -n -c 5 -w /tmp/demo-sent.pcap udp 2>/dev/null &
p3=$!
sleep 1

say "Traffic: 3 packets to UDP port 40000, 2 to port 9 (the drop rule)"
send_udp 40000 3 demo-payload
send_udp 9 2 demo-payload
wait $p1 $p2 || true
wait $p3 || true

say "As sent by $IF1 (tcpdump on the sender)"
tcpdump -Z root -nv -r /tmp/demo-sent.pcap 2>/dev/null
say "As the chain left them (final stage -> hook PASS slot): port 40000 became 40001, TTL 64 became 63"
tcpdump -Z root -nv -r /tmp/demo-pass.pcap 2>/dev/null
say "Dropped by xdpchain_drop through its own (now shared) hook: the DROP slot"
tcpdump -Z root -nv -r /tmp/demo-drop.pcap 2>/dev/null
say "The counter after the rewrite saw every rewritten packet"
echo "packets: $(count_of 0), to port 40001: $(count_of 1)"

say "Cleaning up"
show xdpchain flush $IF0
