# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Every fate, every stage: per-member counters, drops of members that know
# nothing of the hook, and who decided. Chains need freplace: VM only.

# The chain of the tests: a rewriting member, one that exits through the
# hook on every verdict (cloudflare's style), one that only counts, one
# that drops with a plain return, one that drops through the hook.
fate_chain() {
	vm_only
	setup_veth
	local p
	for p in rewrite passlog count firewall drop; do
		xdpchain add $IF0 "$SAMPLES/$p.o" >/dev/null
	done
}

# The traffic of the tests: 3 rewritten and passed (40000 -> 40001),
# 2 dropped through the hook (port 9), 4 dropped with a plain return (40002).
fate_traffic() {
	send_udp 40000 3
	send_udp 9 2
	send_udp 40002 4
}

# stat NAME ACTION: packets program NAME returned with ACTION.
stat() {
	xdpchain -j status -s $IF0 |
		jq -r --arg n "$1" --arg a "$2" '.programs[] | select(.name == $n) | .stats[$a]'
}

expect_stat() {
	local got
	got=$(stat "$1" "$2")
	[ "$got" = "$3" ] || fail "$1 $2: $got packets, wanted $3: $(xdpchain status -s $IF0)"
}

test_fate_counts_exact() {
	fate_chain
	xdpchain -j status $IF0 | jq -e '.counters == true' >/dev/null ||
		fail "counters off: $(xdpchain status $IF0)"
	fate_traffic
	expect_stat xdpchain_rewrite pass 9
	expect_stat xdpchain_passlog pass 9
	expect_stat xdpchain_count pass 9
	expect_stat xdpchain_firewall pass 5
	expect_stat xdpchain_firewall drop 4
	expect_stat xdpchain_drop pass 3
	expect_stat xdpchain_drop drop 2
	expect_stat xdpchain_final pass 3
	# every action's key
	xdpchain -j status -s $IF0 | jq -e '.programs[0].stats | keys == ["aborted","drop","pass","redirect","tx"]' >/dev/null ||
		fail "stats keys: $(xdpchain -j status -s $IF0 | jq -c '.programs[0].stats')"
	xdpchain status -s $IF0 | grep -q "packets: aborted 0 drop 4 pass 5" ||
		fail "text: $(xdpchain status -s $IF0)"
}

# Counts stay with their program when the chain changes around it.
test_fate_counts_survive_changes() {
	fate_chain
	fate_traffic
	xdpchain add $IF0 "$TESTOBJ/pass.o" >/dev/null
	xdpchain remove $IF0 xdpchain_count >/dev/null
	expect_stat xdpchain_firewall drop 4
	expect_stat xdpchain_drop drop 2
	expect_stat xdp_test_pass pass 0
	send_udp 40002 1 # dropped before it
	send_udp 40000 2
	expect_stat xdpchain_firewall drop 5
	expect_stat xdp_test_pass pass 2
	# a program that leaves and comes back starts from zero
	xdpchain add $IF0 "$SAMPLES/count.o" >/dev/null
	expect_stat xdpchain_count pass 0
}

# A plain 'return XDP_DROP' reaches the hook: what cloudflare's xdpcap (here
# hook_probe, which joins as it does) sees in its drop slot.
test_fate_xdpcap_sees_plain_drops() {
	fate_chain
	start_probe drop 6 /tmp/fd.pcap
	fate_traffic
	wait_probe
	[ "$(pcap_count /tmp/fd.pcap 'udp dst port 40002')" -eq 4 ] ||
		fail "plain drops: $(tcpdump -nn -r /tmp/fd.pcap 2>&1)"
	[ "$(pcap_count /tmp/fd.pcap 'udp dst port 9')" -eq 2 ] ||
		fail "hook drops: $(tcpdump -nn -r /tmp/fd.pcap 2>&1)"
}

# A member calling xdpcap_exit(XDP_PASS) no longer shows packets twice.
test_fate_pass_once() {
	fate_chain
	start_probe pass 0 /tmp/fp.pcap
	send_udp 40000 3
	sleep 1
	kill -INT $PROBE_PID
	wait $PROBE_PID || true
	[ "$(pcap_count /tmp/fp.pcap 'udp')" -eq 3 ] ||
		fail "passed packets: $(tcpdump -nn -r /tmp/fp.pcap 2>&1)"
}

# libxdp's own dispatcher (xdp-loader rebuilds the chain with it): status
# says counters are off and how to get them back; the next change does.
test_fate_off_after_xdp_loader() {
	fate_chain
	stock_takes_pkt_changes || skip "this xdp-loader cannot rebuild a tail-calling chain on $(uname -r)"
	xdp-loader load $IF0 "$TESTOBJ/named.o" -n xdp_test_one >/dev/null 2>&1 ||
		fail "xdp-loader load failed"
	local j
	j=$(xdpchain -j status -s $IF0)
	echo "$j" | jq -e '.counters == false and (.counters_off | test("xdp-loader")) and (.counters_off | test("next .xdpchain add"))' >/dev/null ||
		fail "status: $j"
	echo "$j" | jq -e '.programs[0].stats == null' >/dev/null || fail "stats while off: $j"
	xdpchain status $IF0 | grep -q "counters: off" || fail "text: $(xdpchain status $IF0)"
	xdpchain add $IF0 "$TESTOBJ/pass.o" >/dev/null
	xdpchain -j status $IF0 | jq -e '.counters == true and .leftovers == []' >/dev/null ||
		fail "after add: $(xdpchain -j status $IF0)"
	send_udp 40002 2
	expect_stat xdpchain_firewall drop 2
}

# A missing observer (an interrupted change) is reported and cleanup
# attaches it again.
test_fate_cleanup_restores_observer() {
	fate_chain
	rm "$BPFFS/xdpchain/$IF0/observer_link"
	xdpchain -j status $IF0 | jq -e '.counters == false and (.counters_off | test("cleanup"))' >/dev/null ||
		fail "status: $(xdpchain -j status $IF0)"
	xdpchain cleanup >/dev/null
	xdpchain -j status $IF0 | jq -e '.counters == true' >/dev/null ||
		fail "after cleanup: $(xdpchain -j status $IF0)"
	send_udp 40002 2
	expect_stat xdpchain_firewall drop 2
}

test_fate_top_json() {
	fate_chain
	(for _ in $(seq 20); do send_udp 40002 5; sleep 0.1; done) &
	local j
	j=$(xdpchain -j top $IF0 --interval 1000)
	wait
	echo "$j" | jq -e '.ifname == "'$IF0'" and (.programs | length) == 6' >/dev/null || fail "top -j: $j"
	echo "$j" | jq -e '.programs[] | select(.name == "xdpchain_firewall") | .pps.drop > 0' >/dev/null ||
		fail "no drop rate: $j"
}

# top in a terminal: redraws in place, q quits.
test_fate_top_tty() {
	command -v tmux >/dev/null || skip "no tmux in this VM image"
	fate_chain
	export LC_ALL=C.UTF-8 # tmux refuses to start otherwise
	tmux new-session -d -s top -x 120 -y 30 "$XDPCHAIN top $IF0 --interval 300; echo exited > /tmp/top.done; sleep 5"
	defer "tmux kill-server"
	(for _ in $(seq 30); do send_udp 40002 3; sleep 0.05; done) &
	local screen=""
	for _ in $(seq 60); do
		screen=$(tmux capture-pane -p -t top)
		echo "$screen" | grep -q "xdpchain_firewall" && break
		sleep 0.2
	done
	wait
	echo "$screen" | grep -q "packets per second" || fail "no header: $screen"
	echo "$screen" | grep -q "xdpchain_firewall" || fail "no members: $screen"
	[ "$(echo "$screen" | grep -c "xdpchain top")" -eq 1 ] || fail "not redrawn in place: $screen"
	tmux send-keys -t top q
	for _ in $(seq 50); do
		[ -e /tmp/top.done ] && return 0
		sleep 0.1
	done
	fail "q did not quit top: $(tmux capture-pane -p -t top)"
}

# capture IFACE sees each packet once, with its fate and the stage that
# decided it: plain drops and hook drops with their member, passes after
# the chain.
test_fate_capture_every_fate_once() {
	fate_chain
	start_capture /tmp/ff.pcapng --pcapng -c 9 udp
	fate_traffic
	wait_capture /tmp/ff.pcapng
	[ "$(pcap_count /tmp/ff.pcapng udp)" -eq 9 ] || fail "$(tcpdump -nn -r /tmp/ff.pcapng 2>&1)"
	[ "$(pcap_count /tmp/ff.pcapng 'udp dst port 40001')" -eq 3 ] || fail "passes"
	[ "$(pcap_count /tmp/ff.pcapng 'udp dst port 40002')" -eq 4 ] || fail "plain drops"
	[ "$(pcap_count /tmp/ff.pcapng 'udp dst port 9')" -eq 2 ] || fail "hook drops"
	local fw dr
	fw=$(status_json $IF0 | jq '.programs[] | select(.name=="xdpchain_firewall") | .id')
	dr=$(status_json $IF0 | jq '.programs[] | select(.name=="xdpchain_drop") | .id')
	[ "$(grep -a -o "xdp action: drop; stage: xdpchain_firewall (id $fw)" /tmp/ff.pcapng | wc -l)" -eq 4 ] ||
		fail "plain drops not attributed: $(grep -a -o 'xdp action: [a-z]*; stage: [^;]*)' /tmp/ff.pcapng | sort | uniq -c)"
	[ "$(grep -a -o "xdp action: drop; stage: xdpchain_drop (id $dr)" /tmp/ff.pcapng | wc -l)" -eq 2 ] ||
		fail "hook drops not attributed"
	[ "$(grep -a -o "xdp action: pass; stage: after the chain" /tmp/ff.pcapng | wc -l)" -eq 3 ] ||
		fail "passes not after the chain"
}
