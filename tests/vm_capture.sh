# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Capture tests: xdpchain capture on real chains, real packets, pcaps read
# back with tcpdump.

cap_chain() {
	xdpchain -j features | jq -e .freplace >/dev/null ||
		skip "kernel refuses freplace; run in the VM (make vm-test)"
	setup_veth
	local o
	for o in "$@"; do
		xdpchain add $IF0 "$SAMPLES/$o.o" >/dev/null
	done
}

# The chain's rewrite shows in the capture, byte for byte: compared with
# what the peer sent, only TTL, IP checksum, UDP port and UDP checksum differ.
test_capture_modified_packets() {
	cap_chain rewrite count
	ip netns exec $PEERNS tcpdump -Z root -nn -i $IF1 -c 3 -w /tmp/sent.pcap udp 2>/dev/null &
	local tp=$!
	start_capture /tmp/cap.pcap -c 3 udp
	sleep 0.5
	send_udp 40000 3
	wait_capture /tmp/cap.pcap
	wait $tp || true
	[ "$(pcap_count /tmp/cap.pcap 'udp dst port 40001 and ip[8] == 63')" -eq 3 ] ||
		fail "capture lacks the rewritten packets: $(tcpdump -nn -r /tmp/cap.pcap 2>&1)"
	tcpdump -Z root -nn -vv -r /tmp/cap.pcap 2>/dev/null | grep -q "bad .*cksum" &&
		fail "checksums broken after the chain"
	local sent capd i j diffs
	pcap_frames sent /tmp/sent.pcap
	pcap_frames capd /tmp/cap.pcap
	[ ${#sent[@]} -eq 3 ] || fail "sender saw ${#sent[@]} packets"
	for i in 0 1 2; do
		[ ${#sent[i]} -eq ${#capd[i]} ] || fail "packet $i length differs"
		diffs=""
		for ((j = 0; j < ${#sent[i]}; j += 2)); do
			[ "${sent[i]:j:2}" = "${capd[i]:j:2}" ] || diffs+="$((j / 2)) "
		done
		# allowed: 22 TTL, 24-25 IP checksum, 36-37 UDP port, 40-41 UDP
		# checksum; required: the TTL and the port's low byte
		for d in $diffs; do
			case $d in 22 | 24 | 25 | 36 | 37 | 40 | 41) ;; *) fail "packet $i differs at byte $d" ;; esac
		done
		[[ " $diffs" == *" 22 "* && " $diffs" == *" 37 "* ]] ||
			fail "packet $i: TTL or port unchanged (diffs: $diffs)"
	done
	grep -q "3 packets written" /tmp/cap.pcap.log || fail "summary: $(cat /tmp/cap.pcap.log)"
}

# A member's own verdict through xdpcap_exit shows with its action; --actions
# chooses which fates are captured.
test_capture_actions() {
	cap_chain rewrite drop
	start_capture /tmp/all.pcapng --pcapng -c 4
	send_udp 9 2
	send_udp 40000 2
	wait_capture /tmp/all.pcapng
	[ "$(pcap_count /tmp/all.pcapng)" -eq 4 ] || fail "pcapng: $(pcap_count /tmp/all.pcapng) packets"
	[ "$(grep -a -o 'xdp action: drop' /tmp/all.pcapng | wc -l)" -eq 2 ] || fail "drop comments"
	[ "$(grep -a -o 'xdp action: pass' /tmp/all.pcapng | wc -l)" -eq 2 ] || fail "pass comments"

	start_capture /tmp/pass.pcap --actions pass
	status_json $IF0 | jq -e '.hook.slot_names.pass == "xdpchain_cap" and .hook.slot_names.drop == ""' \
		>/dev/null || fail "status does not name the capture program: $(status_json $IF0)"
	xdpchain status $IF0 | grep -q "capture slots: pass=xdpchain_cap(id [0-9]*)$" ||
		fail "text status: $(xdpchain status $IF0)"
	send_udp 9 2
	send_udp 40000 2
	sleep 1
	stop_capture /tmp/pass.pcap
	[ "$(pcap_count /tmp/pass.pcap)" -eq 2 ] && [ "$(pcap_count /tmp/pass.pcap 'udp dst port 40001')" -eq 2 ] ||
		fail "--actions pass: $(tcpdump -nn -r /tmp/pass.pcap 2>&1)"
	[ "$(hook_slots "$(capture_pin)")" = "0 0 0 0 0" ] || fail "slots left after the capture"
}

# -w - streams a pcap that tcpdump reads from a pipe.
test_capture_stdout_pipe() {
	cap_chain rewrite
	("$XDPCHAIN" capture $IF0 -w - -c 2 2>/tmp/pipe.log | tcpdump -Z root -nn -r - >/tmp/pipe.txt 2>/dev/null) &
	local p=$!
	for _ in $(seq 200); do
		[ "$(hook_slots "$(capture_pin)" | tr -d ' 0')" != "" ] && break
		sleep 0.05
	done
	send_udp 40000 2
	wait $p || fail "pipeline failed: $(cat /tmp/pipe.log)"
	[ "$(grep -c '> 192.0.2.1.40001: UDP' /tmp/pipe.txt)" -eq 2 ] || fail "tcpdump read: $(cat /tmp/pipe.txt)"
}

# Running captures keep capturing while the chain changes, losing nothing.
test_capture_across_changes() {
	cap_chain rewrite
	start_capture /tmp/x.pcap 'udp dst port 5555'
	send_udp 5555 10
	xdpchain add $IF0 "$SAMPLES/count.o" >/dev/null
	send_udp 5555 10
	xdpchain remove $IF0 xdpchain_rewrite >/dev/null
	send_udp 5555 10
	sleep 1
	stop_capture /tmp/x.pcap
	[ "$(pcap_count /tmp/x.pcap)" -eq 30 ] || fail "captured $(pcap_count /tmp/x.pcap) of 30 packets"
	grep -q "lost 0" /tmp/x.pcap.log || fail "summary reports loss: $(cat /tmp/x.pcap.log)"
}

test_capture_ends_with_chain() {
	cap_chain rewrite
	start_capture /tmp/e.pcap
	xdpchain flush $IF0 >/dev/null
	local rc=0
	timeout 10 bash -c "while kill -0 $CAP_PID 2>/dev/null; do sleep 0.1; done" || rc=$?
	[ $rc -eq 0 ] || fail "capture still running after flush"
	wait $CAP_PID || fail "capture exited non-zero after flush: $(cat /tmp/e.pcap.log)"
	grep -q "the chain went away" /tmp/e.pcap.log || fail "no reason given: $(cat /tmp/e.pcap.log)"
}

# kill -9 leaves programs in the hook: status reports them and changes
# nothing; cleanup and the next capture clear them.
test_capture_kill9_stale_slots() {
	cap_chain rewrite
	local pin
	pin=$(capture_pin)
	start_capture /tmp/k.pcap --hook "$pin"
	kill -9 $CAP_PID
	wait $CAP_PID 2>/dev/null || true
	[ "$(hook_slots "$pin")" != "0 0 0 0 0" ] || fail "kill -9 left nothing to clean (test is void)"
	local out slots
	slots=$(hook_slots "$pin")
	out=$(xdpchain status $IF0 2>&1)
	echo "$out" | grep -q "leftover: $pin (capture program of a killed capture" || fail "status: $out"
	[ "$(status_json $IF0 | jq '[.leftovers[] | select(.what | test("capture program"))] | length')" = 5 ] ||
		fail "status -j leftovers: $(status_json $IF0 | jq -c .leftovers)"
	[ "$(hook_slots "$pin")" = "$slots" ] || fail "status changed the hook: it must only read"
	out=$(xdpchain -j cleanup)
	echo "$out" | jq -e --arg p "$pin" '.removed | index($p) != null' >/dev/null || fail "cleanup: $out"
	[ "$(hook_slots "$pin")" = "0 0 0 0 0" ] || fail "cleanup did not clear: $(hook_slots "$pin")"
	start_capture /tmp/k2.pcap --hook "$pin"
	kill -9 $CAP_PID
	wait $CAP_PID 2>/dev/null || true
	start_capture /tmp/k3.pcap --hook "$pin" -c 1
	grep -q "removed 5 capture programs" /tmp/k3.pcap.log || fail "capture did not clear: $(cat /tmp/k3.pcap.log)"
	send_udp 40000 1
	wait_capture /tmp/k3.pcap
}

test_capture_bad_input() {
	cap_chain rewrite
	local pin before
	pin=$(capture_pin)
	before=$(snapshot $IF0; hook_slots "$pin")
	expect_fail 1 "syntax error" capture $IF0 -w /tmp/b.pcap 'udp port'
	expect_fail 1 "cannot write /proc/nope/x.pcap" capture $IF0 -w /proc/nope/x.pcap
	expect_fail 2 "missing -w" capture $IF0
	expect_fail 1 "no interface named" capture nosuch0 -w /tmp/b.pcap
	ip link add xc9 type dummy
	defer "ip link del xc9"
	expect_fail 1 "xc9 has no xdpchain chain" capture xc9 -w /tmp/b.pcap
	expect_fail 1 "cannot open the hook pinned at /sys/fs/bpf/nothing" capture --hook /sys/fs/bpf/nothing -w /tmp/b.pcap
	start_capture /tmp/first.pcap
	expect_fail 1 "another xdpchain capture \\(pid $CAP_PID\\)" capture $IF0 -w /tmp/b.pcap
	stop_capture /tmp/first.pcap
	[ "$(snapshot $IF0; hook_slots "$pin")" = "$before" ] || fail "state changed"
}

# Without a filter every packet is copied; -c counts exactly.
test_capture_counts() {
	cap_chain rewrite
	start_capture /tmp/n.pcap -c 50 'udp dst port 40001'
	send_udp 40000 50
	wait_capture /tmp/n.pcap
	[ "$(pcap_count /tmp/n.pcap)" -eq 50 ] || fail "50 sent, $(pcap_count /tmp/n.pcap) captured"
	grep -q "50 packets written" /tmp/n.pcap.log || fail "summary: $(cat /tmp/n.pcap.log)"
	# --snaplen keeps that many bytes; the original length stays recorded
	start_capture /tmp/s.pcap -c 2 -s 42
	send_udp 40000 2 "a-payload-well-beyond-the-forty-two-bytes-kept"
	wait_capture /tmp/s.pcap
	local l
	for l in $(pcap_hex /tmp/s.pcap); do
		[ ${#l} -eq 84 ] || fail "snaplen 42 kept $((${#l} / 2)) bytes"
	done
	tcpdump -Z root -nn -r /tmp/s.pcap 2>/dev/null | grep -q "UDP, length 47" ||
		fail "original length lost: $(tcpdump -nn -r /tmp/s.pcap 2>&1)"
}

test_capture_standalone_hook_vm() {
	capture_standalone_hook_body
}

test_capture_big_frames_vm() {
	capture_big_frames_body
}

# The kernel filter agrees with libpcap on real frames of every kind: for
# each expression, what the capture wrote is exactly what tcpdump's own
# filter picks from an unfiltered capture of the same frames.
test_capture_filters_match_libpcap() {
	cap_chain count
	local mac n exprs e i=0 got want
	mac=$(cat /sys/class/net/$IF0/address)
	n=$("$BIN/pktgen" list | wc -l)
	send_set() {
		ip netns exec $PEERNS "$BIN/pktgen" send $IF1 --dst-mac "$mac" 2>/dev/null
	}
	start_capture /tmp/fall.pcap -c "$n"
	send_set
	wait_capture /tmp/fall.pcap
	[ "$(pcap_count /tmp/fall.pcap)" -eq "$n" ] || fail "unfiltered: $(pcap_count /tmp/fall.pcap) of $n"
	# ports, hosts, vlan, ip6, tcp flags, len, byte offsets, and/or/not; the
	# host unit tests compare many more expressions on crafted frames
	exprs=(
		'udp port 53' 'portrange 1000-2000' 'host 198.51.100.7' 'ip6 and tcp'
		'vlan 100 and udp' 'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn' 'len > 100'
		'ip[8] == 63' 'ip[6:2] & 0x1fff != 0' '(tcp or udp) and not host 192.0.2.1'
		'udp[8:4] == 0x41424344' 'arp or ether[0] & 1 == 1'
	)
	for e in "${exprs[@]}"; do
		i=$((i + 1))
		start_capture /tmp/f$i.pcap "$e"
		send_set
		sleep 0.5
		stop_capture /tmp/f$i.pcap
		tcpdump -Z root -r /tmp/fall.pcap -w /tmp/w$i.pcap "$e" 2>/dev/null
		want=$(pcap_hex /tmp/w$i.pcap)
		got=$(pcap_hex /tmp/f$i.pcap)
		[ -n "$want" ] || fail "'$e' matches nothing: the row proves nothing"
		[ "$got" = "$want" ] ||
			fail "'$e': kernel kept $(pcap_count /tmp/f$i.pcap), libpcap $(pcap_count /tmp/w$i.pcap)"
	done
	echo "$i expressions x $n frames agree"
}

# More than the ring holds: the loss is counted and reported.
test_capture_loss_reported() {
	cap_chain count
	local mac
	mac=$(cat /sys/class/net/$IF0/address)
	# one page per CPU, a reader that cannot keep up with a burst
	start_capture /tmp/l.pcap --buffer 1
	kill -STOP $CAP_PID
	ip netns exec $PEERNS "$BIN/pktgen" send $IF1 --dst-mac "$mac" --repeat 40 \
		--only udp4-large 2>/dev/null
	kill -CONT $CAP_PID
	sleep 1
	stop_capture /tmp/l.pcap
	local lost
	lost=$(sed -n 's/.*lost \([0-9]*\)).*/\1/p' /tmp/l.pcap.log | tail -1)
	[ "${lost:-0}" -gt 0 ] || fail "no loss reported: $(cat /tmp/l.pcap.log)"
	local written
	written=$(sed -n 's/.* \([0-9]*\) packets written.*/\1/p' /tmp/l.pcap.log | tail -1)
	[ $((written + lost)) -eq 40 ] || fail "written $written + lost $lost != 40 sent"
}

# --after PROG: a tap right after PROG shows the packets before the rewrite
# that follows, while a capture after the chain shows them rewritten.
test_capture_after_tap() {
	cap_chain rewrite
	xdpchain add $IF0 "$SAMPLES/count.o" --priority 5 >/dev/null
	local before_names
	before_names=$(chain_names $IF0)
	start_capture /tmp/t.pcapng --pcapng --after xdpchain_count -c 2
	local tpid=$CAP_PID
	[ "$(chain_names $IF0)" = "xdpchain_count xdpchain_tap xdpchain_rewrite xdpchain_final" ] ||
		fail "tap not right after count: $(chain_names $IF0)"
	status_json $IF0 | jq -e '.programs[1].tap' >/dev/null || fail "status does not mark the tap"
	start_capture /tmp/a.pcap -c 2
	send_udp 40000 2
	wait_capture /tmp/a.pcap
	CAP_PID=$tpid
	wait_capture /tmp/t.pcapng
	[ "$(pcap_count /tmp/t.pcapng 'udp dst port 40000 and ip[8] == 64')" -eq 2 ] ||
		fail "tap did not see the packets before the rewrite: $(tcpdump -nn -v -r /tmp/t.pcapng 2>&1)"
	[ "$(pcap_count /tmp/a.pcap 'udp dst port 40001 and ip[8] == 63')" -eq 2 ] ||
		fail "capture after the chain did not see them rewritten"
	[ "$(grep -a -o 'stage: after xdpchain_count' /tmp/t.pcapng | wc -l)" -eq 2 ] ||
		fail "stage missing from the pcapng comments"
	[ "$(chain_names $IF0)" = "$before_names" ] || fail "tap left in the chain: $(chain_names $IF0)"
	ls "$BPFFS/xdpchain/$IF0"/tap_hook_* 2>/dev/null && fail "tap hook pin left behind"
	true
}

test_capture_after_bad_input() {
	cap_chain rewrite
	local before
	before=$(snapshot $IF0)
	expect_fail 1 "--after nope: no such program" capture $IF0 -w /tmp/b.pcap --after nope
	expect_fail 1 "--after xdpchain_final: no such program" capture $IF0 -w /tmp/b.pcap --after xdpchain_final
	expect_fail 2 "--actions pass only" capture $IF0 -w /tmp/b.pcap --after xdpchain_rewrite --actions drop
	assert_unchanged $IF0 "$before"
}

# A killed tapping capture leaves its tap: status reports it, the next
# change to the chain takes it out (here: cleanup; add does too).
test_capture_after_kill9() {
	cap_chain rewrite count
	local names out
	names=$(chain_names $IF0)
	start_capture /tmp/tk.pcap --after xdpchain_rewrite
	kill -9 $CAP_PID
	wait $CAP_PID 2>/dev/null || true
	out=$(xdpchain status $IF0 2>&1)
	echo "$out" | grep -q "tap of a capture that is gone" || fail "status: $out"
	[ "$(chain_names $IF0)" != "$names" ] || fail "status changed the chain: it must only read"
	xdpchain cleanup
	[ "$(chain_names $IF0)" = "$names" ] || fail "tap still there: $(chain_names $IF0)"
	ls "$BPFFS/xdpchain/$IF0"/tap_hook_* 2>/dev/null && fail "tap hook pin left behind"
	status_json $IF0 | jq -e '.leftovers == [] and .problem == null' >/dev/null ||
		fail "after cleanup: $(status_json $IF0)"
	# again, and the next add takes the tap out
	start_capture /tmp/tk2.pcap --after xdpchain_rewrite
	kill -9 $CAP_PID
	wait $CAP_PID 2>/dev/null || true
	xdpchain add $IF0 "$SAMPLES/drop.o" --priority 30
	[[ " $(chain_names $IF0) " != *" xdpchain_tap "* ]] || fail "add kept the dead tap: $(chain_names $IF0)"
}

# Packets the filter refuses cost only the filter: the capture program
# counts nothing for them, and "seen" comes from the chain's counters. It
# still counts them, exactly; on a standalone hook, with no chain counting,
# the summary leaves "seen" out rather than guess.
test_capture_seen_from_chain_counters() {
	cap_chain rewrite
	start_capture /tmp/seen.pcap 'udp port 9'
	send_udp 9 3
	send_udp 40000 4 # rewritten to 40001: refused
	sleep 1
	stop_capture /tmp/seen.pcap
	grep -q "xdpchain capture: 3 packets written (seen 7, matched 3, lost 0)" /tmp/seen.pcap.log ||
		fail "summary: $(cat /tmp/seen.pcap.log)"
	[ "$(tcpdump -r /tmp/seen.pcap -nn 2>/dev/null | grep -c 'UDP')" = 3 ] ||
		fail "file: $(tcpdump -r /tmp/seen.pcap -nn 2>&1)"
}

# On a terminal a status line is redrawn once a second; the summary line
# always ends the capture.
test_capture_tty_status_line() {
	command -v script >/dev/null || skip "script(1) not available"
	cap_chain rewrite
	script -qfc "$XDPCHAIN capture $IF0 -w /tmp/tty.pcap -c 5" /tmp/tty.out >/dev/null 2>&1 &
	local p=$!
	sleep 2.5
	send_udp 40000 5
	wait $p || fail "capture under a terminal failed: $(cat /tmp/tty.out)"
	grep -q $'\r[0-9]* packets written (seen [0-9]*, matched [0-9]*, lost 0)' /tmp/tty.out ||
		fail "no status line: $(cat -v /tmp/tty.out)"
	grep -q "xdpchain capture: 5 packets written (seen 5, matched 5, lost 0)" /tmp/tty.out ||
		fail "no summary: $(cat -v /tmp/tty.out)"
}

# --kernel-drops: UDP the chain passed to a port nobody listens on is freed
# by the kernel as NO_SOCKET; it appears under IFACE:kernel with the reason
# (named from the kernel's BTF), once per packet, and the summary counts it
# (text and -j). Packets to a listening socket are not drops. The capture's
# filter applies to them too.
test_capture_kernel_drops() {
	cap_chain count
	"$BIN/udp_sink" $ADDR0 40100 >/tmp/sink.out &
	local sink=$!
	defer "kill $sink"
	for _ in $(seq 100); do grep -q READY /tmp/sink.out && break; sleep 0.05; done
	start_capture /tmp/kd.pcapng --pcapng --kernel-drops udp
	send_udp 40200 3 # nobody listens
	send_udp 40100 2 # the sink reads them
	sleep 1
	stop_capture /tmp/kd.pcapng
	local got
	got=$(tshark -r /tmp/kd.pcapng -T fields -E separator='|' -e frame.interface_name \
		-e udp.dstport -e frame.comment 2>/dev/null | LC_ALL=C sort | uniq -c | sed 's/^ *//')
	[ "$got" = "3 $IF0:kernel|40200|kernel drop: NO_SOCKET
2 $IF0|40100|xdp action: pass; stage: after the chain
3 $IF0|40200|xdp action: pass; stage: after the chain" ] || fail "capture: $got"
	grep -q "xdpchain capture: 8 packets written (.*); kernel drops 3: NO_SOCKET 3$" \
		/tmp/kd.pcapng.log || fail "summary: $(cat /tmp/kd.pcapng.log)"
	# a filter that excludes them leaves them out; -j: the summary as JSON
	"$XDPCHAIN" -j capture $IF0 -w /tmp/kd2.pcapng --pcapng --kernel-drops \
		'udp port 40100 or udp port 40201' >/tmp/kd2.json 2>/tmp/kd2.pcapng.log &
	CAP_PID=$!
	defer "kill $CAP_PID"
	for _ in $(seq 200); do
		bpftool prog show name xdpchain_kdrop >/dev/null 2>&1 && break
		sleep 0.05
	done
	sleep 0.5
	send_udp 40200 2
	send_udp 40100 1
	send_udp 40201 1
	sleep 1
	stop_capture /tmp/kd2.pcapng
	got=$(tshark -r /tmp/kd2.pcapng -T fields -E separator='|' -e frame.interface_name \
		-e udp.dstport 2>/dev/null | LC_ALL=C sort | tr '\n' ' ')
	[ "$got" = "$IF0:kernel|40201 $IF0|40100 $IF0|40201 " ] || fail "filtered capture: $got"
	jq -e '.written == 3 and .kernel_drops == {"packets": 1, "reasons": {"NO_SOCKET": 1}}' \
		/tmp/kd2.json >/dev/null || fail "JSON summary: $(cat /tmp/kd2.json)"
	kill $sink
	wait $sink || true
	[ "$(tail -1 /tmp/sink.out)" = 3 ] || fail "the sink read $(tail -1 /tmp/sink.out) of 3"
	# gone with its capture; without --kernel-drops nothing is loaded for it
	bpftool prog show 2>/dev/null | grep -q xdpchain_kdrop && fail "kernel drop program left loaded"
	start_capture /tmp/kd3.pcapng --pcapng
	bpftool prog show 2>/dev/null | grep -q xdpchain_kdrop && fail "loaded without --kernel-drops"
	stop_capture /tmp/kd3.pcapng
}
