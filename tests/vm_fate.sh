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

# expect_stat NAME ACTION COUNT [NAME ACTION COUNT]...: program NAME returned
# ACTION COUNT times, for each triple. One status read and one jq for all of
# them (a jq costs ~2 s under qemu TCG; these were 30 reads and 30 jq).
expect_stat() {
	local a=("$@") got i
	mapfile -t got < <(xdpchain -j status -s $IF0 | jq -r '. as $s | $ARGS.positional as $a
		| range(0; $a | length; 3) as $i
		| [$s.programs[] | select(.name == $a[$i]) | .stats[$a[$i + 1]] | tostring] | join(" ")' \
		--args "$@")
	for ((i = 0; i < ${#a[@]}; i += 3)); do
		[ "${got[i / 3]-}" = "${a[i + 2]}" ] ||
			fail "${a[i]} ${a[i + 1]}: ${got[i / 3]-} packets, wanted ${a[i + 2]}: $(xdpchain status -s $IF0)"
	done
}

test_fate_counts_exact() {
	fate_chain
	xdpchain -j status $IF0 | jq -e '.counters == true' >/dev/null ||
		fail "counters off: $(xdpchain status $IF0)"
	fate_traffic
	expect_stat xdpchain_rewrite pass 9 \
		xdpchain_passlog pass 9 \
		xdpchain_count pass 9 \
		xdpchain_firewall pass 5 \
		xdpchain_firewall drop 4 \
		xdpchain_drop pass 3 \
		xdpchain_drop drop 2 \
		xdpchain_final pass 3
	# every action's key
	xdpchain -j status -s $IF0 | jq -e '.programs[0].stats | keys == ["aborted","drop","pass","redirect","tx"]' >/dev/null ||
		fail "stats keys: $(xdpchain -j status -s $IF0 | jq -c '.programs[0].stats')"
	xdpchain status -s $IF0 | grep -q "packets: aborted 0 drop 4 pass 5" ||
		fail "text: $(xdpchain status -s $IF0)"
}

# A member that goes on after two actions: its verdicts are kept per packet
# (xdpchain's dispatcher with verdicts), and the counts stay exact when it
# leaves and the chain goes back to the lean dispatcher.
test_fate_counts_several_proceed_on() {
	vm_only
	setup_veth
	local p
	for p in rewrite count; do
		xdpchain add $IF0 "$SAMPLES/$p.o" >/dev/null
	done
	xdpchain add $IF0 "$SAMPLES/firewall.o" --proceed-on pass,drop >/dev/null
	xdpchain add $IF0 "$SAMPLES/drop.o" >/dev/null
	fate_traffic
	# the firewall's drops of 40002 go on: the drop member passes them
	expect_stat xdpchain_firewall pass 5 \
		xdpchain_firewall drop 4 \
		xdpchain_count pass 9 \
		xdpchain_drop pass 7 \
		xdpchain_drop drop 2 \
		xdpchain_final pass 7
	xdpchain remove $IF0 xdpchain_firewall >/dev/null
	fate_traffic
	expect_stat xdpchain_count pass 18 \
		xdpchain_drop pass 14 \
		xdpchain_drop drop 4 \
		xdpchain_final pass 14
}

# Counts stay with their program when the chain changes around it.
test_fate_counts_survive_changes() {
	fate_chain
	fate_traffic
	xdpchain add $IF0 "$TESTOBJ/pass.o" >/dev/null
	xdpchain remove $IF0 xdpchain_count >/dev/null
	expect_stat xdpchain_firewall drop 4 \
		xdpchain_drop drop 2 \
		xdp_test_pass pass 0
	send_udp 40002 1 # dropped before it
	send_udp 40000 2
	expect_stat xdpchain_firewall drop 5 \
		xdp_test_pass pass 2
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
	expect_ports /tmp/ff.pcapng 40001=3 40002=4 9=2
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

# capture --entry: the packets as they arrived, before the rewrite, each
# once, whatever their fate.
test_fate_capture_entry() {
	fate_chain
	start_capture /tmp/fe.pcap --entry -c 9 udp
	fate_traffic
	wait_capture /tmp/fe.pcap
	[ "$(pcap_count /tmp/fe.pcap udp)" -eq 9 ] || fail "$(tcpdump -nn -r /tmp/fe.pcap 2>&1)"
	# unmodified: the rewrite (40000 -> 40001) comes after the entry
	expect_ports /tmp/fe.pcap 40000=3 40001=0 40002=4 9=2
	# the stubs are empty again: a second entry capture can attach
	start_capture /tmp/fe2.pcap --entry -c 1 udp
	send_udp 40000 1
	wait_capture /tmp/fe2.pcap
	expect_ports /tmp/fe2.pcap 40000=1
}

# expect_ports FILE PORT=N...: FILE holds N UDP packets to each PORT.
expect_ports() {
	local f=$1 pc
	shift
	for pc in "$@"; do
		[ "$(pcap_count "$f" "udp dst port ${pc%=*}")" -eq "${pc#*=}" ] ||
			fail "$f: $(pcap_count "$f" "udp dst port ${pc%=*}") packets to port ${pc%=*}, wanted ${pc#*=}: $(tcpdump -nn -r "$f" 2>&1 | head -20)"
	done
}

# The comments of the packets of stage interface IFNAME in FILE, each once.
stage_comments() {
	tshark -r "$1" -Y "frame.interface_name == \"$2\"" -T fields -e frame.comment 2>/dev/null | sort -u
}

# tshark FILE FIELDS...: one line per packet, fields separated by '|'.
tshark_fields() {
	local f=$1 a=()
	shift
	for e in "$@"; do a+=(-e "$e"); done
	tshark -r "$f" -T fields -E separator='|' "${a[@]}" 2>/dev/null
}

# capture --all-stages: one pcapng in which each packet shows at entry,
# after each member that let it go on, and at its fate, with one packet id
# throughout, an interface per stage, the verdict on the fate; read back by
# tshark as Wireshark shows it.
test_fate_capture_all_stages() {
	fate_chain
	command -v tshark >/dev/null || fail "tshark missing in the VM (tests/vm/suite.sh adds it)"
	start_capture /tmp/fa.pcapng --all-stages udp
	fate_traffic
	sleep 1
	stop_capture /tmp/fa.pcapng
	tshark_fields /tmp/fa.pcapng frame.interface_name frame.packet_id frame.verdict.ebpf_xdp \
		udp.dstport >/tmp/fa.txt
	[ -s /tmp/fa.txt ] || fail "tshark read nothing: $(tshark -r /tmp/fa.pcapng 2>&1 | head)"
	# per stage: entry 9; after rewrite, passlog, count 9 each; after
	# firewall 5 (4 plain drops); after drop 3 (2 hook drops); 9 fates
	local want got
	want="9 $IF0:entry
9 $IF0:after xdpchain_rewrite
9 $IF0:after xdpchain_passlog
9 $IF0:after xdpchain_count
5 $IF0:after xdpchain_firewall
3 $IF0:after xdpchain_drop
9 $IF0:exit"
	got=$(cut -d'|' -f1 /tmp/fa.txt | sort | uniq -c | sed 's/^ *//' | sort -k2)
	[ "$got" = "$(echo "$want" | sort -k2)" ] || fail "stages: $got"
	# one id per packet, at every stage: 9 ids, each with its entry and one fate
	[ "$(cut -d'|' -f2 /tmp/fa.txt | sort -u | grep -c .)" -eq 9 ] ||
		fail "packet ids: $(cut -d'|' -f2 /tmp/fa.txt | sort | uniq -c)"
	local id
	for id in $(cut -d'|' -f2 /tmp/fa.txt | sort -u); do
		[ "$(grep -c "^$IF0:entry|$id|" /tmp/fa.txt)" -eq 1 ] || fail "id $id: entry"
		[ "$(grep -c "^$IF0:exit|$id|" /tmp/fa.txt)" -eq 1 ] || fail "id $id: fate"
	done
	# a rewritten packet: 40000 at entry, 40001 after the rewrite and at its fate
	id=$(grep "^$IF0:entry|.*|40000$" /tmp/fa.txt | head -1 | cut -d'|' -f2)
	[ -n "$id" ] || fail "no entry of a 40000 packet: $(head /tmp/fa.txt)"
	grep -q "^$IF0:after xdpchain_rewrite|$id||40001$" /tmp/fa.txt || fail "rewrite of $id: $(grep "|$id|" /tmp/fa.txt)"
	grep -q "^$IF0:exit|$id|2|40001$" /tmp/fa.txt || fail "fate of $id: $(grep "|$id|" /tmp/fa.txt)"
	# verdicts: only on fates (pass 2: 3, drop 1: 6), none inside the chain
	got=$(grep "^$IF0:exit|" /tmp/fa.txt | cut -d'|' -f3 | sort | uniq -c | sed 's/^ *//' | tr '\n' ' ')
	[ "$got" = "6 1 3 2 " ] || fail "verdicts: $got"
	[ "$(grep -v "^$IF0:exit|" /tmp/fa.txt | cut -d'|' -f3 | grep -c .)" -eq 0 ] ||
		fail "a verdict inside the chain"
	# the comments name the stage: entry, after a member (with its id)
	local rw
	rw=$(status_json $IF0 | jq '.programs[] | select(.name=="xdpchain_rewrite") | .id')
	got=$(stage_comments /tmp/fa.pcapng "$IF0:after xdpchain_rewrite")
	[ "$got" = "stage: after xdpchain_rewrite (id $rw)" ] || fail "comment after the rewrite: $got"
	got=$(stage_comments /tmp/fa.pcapng "$IF0:entry")
	[ "$got" = "stage: entry" ] || fail "comment at entry: $got"
	# Wireshark's filter for the plain drops of the firewall, by its fate's comment
	[ "$(tshark -r /tmp/fa.pcapng -Y 'frame.verdict.ebpf_xdp == 1 && frame.comment contains "xdpchain_firewall"' 2>/dev/null | wc -l)" -eq 4 ] ||
		fail "firewall drops by filter"
}

# The stage capture follows the chain when it changes (a new dispatcher),
# refuses a second one, and leaves the stubs empty when it ends.
test_fate_capture_stages_follow_changes() {
	fate_chain
	start_capture /tmp/fc.pcapng --all-stages 'udp dst port 40000 or udp dst port 40001'
	expect_fail 1 "another xdpchain capture .* stop it first" capture $IF0 --entry -w /tmp/x.pcap
	xdpchain add $IF0 "$TESTOBJ/pass.o" >/dev/null
	sleep 2 # the capture looks once a second
	send_udp 40000 1
	sleep 1
	stop_capture /tmp/fc.pcapng
	tshark_fields /tmp/fc.pcapng frame.interface_name >/tmp/fc.txt
	grep -q "^$IF0:after xdp_test_pass$" /tmp/fc.txt || fail "new member's stage missing: $(sort /tmp/fc.txt | uniq -c)"
	grep -q "^$IF0:entry$" /tmp/fc.txt || fail "entry missing after the change"
	# nothing of the capture stays attached
	bpftool prog show | grep -q "xdpchain_entry_cap\|xdpchain_step_cap" && fail "stage programs left: $(bpftool prog show)"
	true
}

# xdp_drops IFACE: packets the kernel saw XDP drop on IFACE (veth, native
# mode: every receive queue's count), whatever xdpchain counted.
xdp_drops() {
	ethtool -S "$1" | awk '/xdp_drops:/ { s += $2 } END { print s + 0 }'
}

# start_drops: UDP to port 9 (the drop sample's) from the peer without
# pause, until stop_drops.
start_drops() {
	touch /tmp/drops.run
	ip netns exec $PEERNS bash -c "while [ -e /tmp/drops.run ]; do echo x >/dev/udp/$ADDR0/9; done" &
	DROPS_PID=$!
	defer "rm -f /tmp/drops.run; kill $DROPS_PID"
}

stop_drops() {
	rm /tmp/drops.run
	wait $DROPS_PID
}

# settled_drops: KERNEL_DROPS (xdp_drops of $IF0) and COUNTED_DROPS
# (xdpchain_drop's drops) once the last packets are through the chain: when
# both stand still.
settled_drops() {
	local last=""
	for _ in $(seq 50); do
		KERNEL_DROPS=$(xdp_drops $IF0)
		COUNTED_DROPS=$(stat xdpchain_drop drop)
		[ "$KERNEL_DROPS $COUNTED_DROPS" = "$last" ] && return 0
		last="$KERNEL_DROPS $COUNTED_DROPS"
		sleep 0.1
	done
}

# A chain counts from its first packet: the first add on a bare interface,
# with packets already coming, leaves none of its drops uncounted.
test_fate_counted_from_first_packet() {
	vm_only
	setup_veth
	local before=0
	before=$(xdp_drops $IF0)
	start_drops
	sleep 0.5
	xdpchain add $IF0 "$SAMPLES/drop.o" >/dev/null
	[ "$(status_json $IF0 | jq -r .mode)" = native ] ||
		skip "the chain runs in $(status_json $IF0 | jq -r .mode) mode: no xdp_drops count"
	sleep 0.5
	stop_drops
	settled_drops
	[ $((KERNEL_DROPS - before)) -gt 0 ] || fail "the kernel saw no drops: $(ethtool -S $IF0)"
	[ "$COUNTED_DROPS" -eq $((KERNEL_DROPS - before)) ] ||
		fail "xdpchain_drop counted $COUNTED_DROPS drops, the kernel saw $((KERNEL_DROPS - before))"
}

# No packet a member ends goes uncounted or uncaptured while the chain
# changes: each new dispatcher runs with its observer from its first
# packet. A sender drops packets through the chain without pause while
# members come and go (add, remove, apply, a capture's tap); afterwards the
# drop member's count and the capture hold exactly what the kernel saw
# dropped. Which packets fall between two dispatchers does not matter:
# every one must be there.
test_fate_counted_during_changes() {
	vm_only
	setup_veth
	xdpchain add $IF0 "$SAMPLES/drop.o" >/dev/null
	xdpchain add $IF0 "$SAMPLES/count.o" >/dev/null
	[ "$(status_json $IF0 | jq -r .mode)" = native ] ||
		skip "the chain runs in $(status_json $IF0 | jq -r .mode) mode: no xdp_drops count"
	xdpchain save $IF0 >"$TEST_TMP/two.conf"
	local before
	before=$(xdp_drops $IF0)
	start_capture /tmp/fg.pcap 'udp dst port 9'
	local drops_pid=$CAP_PID
	start_drops
	local i
	for i in 1 2 3; do
		xdpchain add $IF0 "$TESTOBJ/pass.o" >/dev/null
		if [ $i = 2 ]; then
			xdpchain apply "$TEST_TMP/two.conf" >/dev/null # xdp_test_pass leaves
			start_capture /tmp/ft.pcap --after xdpchain_count udp
			stop_capture /tmp/ft.pcap
			continue
		fi
		xdpchain remove $IF0 xdp_test_pass >/dev/null
		xdpchain remove $IF0 xdpchain_count >/dev/null
		xdpchain add $IF0 "$SAMPLES/count.o" >/dev/null
	done
	CAP_PID=$drops_pid
	stop_drops
	[ "$(chain_names $IF0)" = "xdpchain_count xdpchain_drop xdpchain_final" ] ||
		fail "the chain after the changes: $(chain_names $IF0)"
	settled_drops
	local kernel=$KERNEL_DROPS counted=$COUNTED_DROPS
	stop_capture /tmp/fg.pcap
	kernel=$((kernel - before))
	[ "$kernel" -gt 0 ] || fail "the kernel saw no drops: $(ethtool -S $IF0)"
	[ "$counted" -eq "$kernel" ] ||
		fail "xdpchain_drop counted $counted drops, the kernel saw $kernel during 12 changes"
	local captured
	captured=$(pcap_count /tmp/fg.pcap 'udp dst port 9')
	[ "$captured" -eq "$kernel" ] ||
		fail "the capture holds $captured drops, the kernel saw $kernel: $(cat /tmp/fg.pcap.log)"
}

# le32 N: N as bpftool's four bytes, little-endian (the VM's x86)
le32() {
	printf '%d %d %d %d' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255))
}

# redirect_of MAP: xdp_test_redirect's redirect target in status -s JSON ("": bpf_redirect())
redirect_of() {
	xdpchain -j status -s $IF0 | jq -c --arg m "$1" \
		'.programs[] | select(.name == "xdp_test_redirect") | .redirects[] | select((.map // "") == $m)'
}

expect_redirect() {
	local got
	got=$(redirect_of "$1")
	[ -n "$got" ] || fail "no redirects to '${1:-ifindex}': $(xdpchain -j status -s $IF0)"
	echo "$got" | jq -e --argjson i "$2" "$3" >/dev/null ||
		fail "redirects to '${1:-ifindex}': $got; wanted $3; $(xdpchain status -s $IF0)"
}

# Every redirect names its target and outcome: to a second veth (sent,
# and it arrives), by ifindex and through a devmap, then to it while it is
# down (ENETDOWN, counted by name); XDP_TX names the interface it leaves by.
test_fate_redirect_targets() {
	vm_only
	setup_veth
	ip link add xc2 type veth peer name xc3
	defer "ip link del xc2"
	ip link set xc2 up
	ip link set xc3 up
	# veth hands redirected frames only to a peer with NAPI: GRO turns it on
	ethtool -K xc3 gro on >/dev/null
	xdpchain add $IF0 "$TESTOBJ/redirect_port.o" >/dev/null
	local to rx
	to=$(cat /sys/class/net/xc2/ifindex)
	bpftool map update name xc_redir_to key 0 0 0 0 value $(le32 "$to")
	bpftool map update name xc_tx_port key 0 0 0 0 value $(le32 "$to")
	xdpchain -j status -s $IF0 | jq -e '.programs[] | select(.name == "xdp_test_redirect") | .redirects == []' >/dev/null ||
		fail "redirects before any: $(xdpchain -j status -s $IF0)"
	rx=$(cat /sys/class/net/xc3/statistics/rx_packets)
	start_capture /tmp/fr.pcapng --pcapng udp
	send_udp 40010 3
	send_udp 40011 2
	send_udp 40012 1
	expect_stat xdp_test_redirect redirect 5
	expect_stat xdp_test_redirect tx 1
	expect_redirect "" "$to" '.ifname == "xc2" and .ifindex == $i and .map == null and .key == null and .packets == 3 and .errors == 0 and .error_names == {}'
	expect_redirect xc_tx_port "$to" '.ifname == "xc2" and .ifindex == $i and .key == 0 and .map_id > 0 and .packets == 2 and .errors == 0'
	[ "$(cat /sys/class/net/xc3/statistics/rx_packets)" -ge $((rx + 5)) ] ||
		fail "xc3 received $(($(cat /sys/class/net/xc3/statistics/rx_packets) - rx)) of 5 redirected packets"
	xdpchain status -s $IF0 | grep -q "redirect to xc2 (ifindex $to): sent 3$" ||
		fail "text: $(xdpchain status -s $IF0)"
	xdpchain status -s $IF0 | grep -q "tx: leaves by $IF0 (ifindex" ||
		fail "text, tx: $(xdpchain status -s $IF0)"

	ip link set xc2 down
	send_udp 40010 2
	send_udp 40011 1
	expect_redirect "" "$to" '.packets == 3 and .errors == 2 and .error_names == {"ENETDOWN": 2}'
	expect_redirect xc_tx_port "$to" '.packets == 2 and .errors == 1 and .error_names.ENETDOWN == 1'
	xdpchain status -s $IF0 | grep -q "redirect to xc2 (ifindex $to): sent 3, ENETDOWN 2$" ||
		fail "text, errors: $(xdpchain status -s $IF0)"
	# the capture's comments: each redirect's target and outcome, tx's interface
	sleep 1
	stop_capture /tmp/fr.pcapng
	local c
	c=$(tshark -r /tmp/fr.pcapng -T fields -e udp.dstport -e frame.comment 2>/dev/null | sort | uniq -c | sed 's/^ *//')
	echo "$c" | grep -q "^3 40010	xdp action: redirect to xc2 (ifindex $to); stage: xdp_test_redirect (id [0-9]*)$" ||
		fail "capture, sent: $c"
	echo "$c" | grep -q "^2 40010	xdp action: redirect to xc2 (ifindex $to): ENETDOWN; stage: xdp_test_redirect" ||
		fail "capture, ENETDOWN: $c"
	echo "$c" | grep -q "^2 40011	xdp action: redirect to map xc_tx_port (id [0-9]*) key 0 -> xc2 (ifindex $to); stage" ||
		fail "capture, devmap: $c"
	echo "$c" | grep -q "^1 40012	xdp action: tx via $IF0 (ifindex [0-9]*); stage: xdp_test_redirect" ||
		fail "capture, tx: $c"
	xdpchain metrics $IF0 >/tmp/fr.prom || fail "metrics failed"
	grep -q "^xdpchain_redirect_packets_total{interface=\"$IF0\",program=\"xdp_test_redirect\",program_id=\"[0-9]*\",target_interface=\"xc2\",target_ifindex=\"$to\",map=\"\",map_id=\"0\",key=\"0\",result=\"ENETDOWN\"} 2$" /tmp/fr.prom ||
		fail "metrics: $(grep redirect /tmp/fr.prom)"
	# the counts stay through a change of the chain (a new dispatcher)
	xdpchain add $IF0 "$TESTOBJ/pass.o" >/dev/null
	send_udp 40010 1
	expect_redirect "" "$to" '.packets == 3 and .errors == 3'
	# the tracer goes with the chain
	xdpchain flush $IF0 >/dev/null
	! bpftool link 2>/dev/null | grep -q raw_tracepoint ||
		fail "a tracer outlived the chain: $(bpftool link; ls -R /sys/fs/bpf)"
}
