# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Chain tests: real libxdp dispatchers, real packets over a veth pair. They
# need a kernel that loads freplace programs: run them with 'make vm-test'.

test_chain_add_status() {
	vm_only
	setup_veth
	xdpchain add $IF0 "$SAMPLES/count.o"
	xdpchain add $IF0 "$SAMPLES/rewrite.o"
	xdpchain add $IF0 "$SAMPLES/drop.o"
	[ "$(chain_names $IF0)" = "xdpchain_rewrite xdpchain_count xdpchain_drop xdpchain_final" ] ||
		fail "order: $(chain_names $IF0)"
	local j
	j=$(status_json $IF0)
	jq_checks --arg p "$BPFFS/xdpchain/$IF0/xdpcap_hook" "$j" \
		'.kind == "dispatcher" and .managed' "status: $j" \
		'[.programs[].priority] == [10, 20, 30, 4294967295]' "priorities from XDP_RUN_CONFIG: $j" \
		'.programs[-1].final and (.programs[:-1] | all(.final | not))' "final stage not last: $j" \
		'.hook.pin == $p and .hook.id > 0' "hook pin: $j"
	[ -e "$BPFFS/xdpchain/$IF0/xdpcap_hook" ] || fail "hook not pinned"
	# the kernel runs the dispatcher, libxdp pinned the chain
	jq_checks --argjson d "$(xdp_prog_id $IF0)" "$j" \
		'.problem == null' "problem reported: $j" \
		'.dispatcher_id == $d' "dispatcher not attached"
	ls -d "$BPFFS"/xdp/dispatch-"$(cat /sys/class/net/$IF0/ifindex)"-* >/dev/null ||
		fail "libxdp pins missing"
	xdpchain status $IF0 | grep -q "final stage" || fail "text status lacks the final stage"
	# status without an interface lists it
	xdpchain -j status | jq -e --arg i $IF0 'map(.ifname) | index($i) != null' >/dev/null ||
		fail "status (all) misses $IF0"
}

# Priority order is the order packets meet the programs: the counter only
# sees port 40001 when the rewrite (40000 -> 40001) runs before it.
test_chain_order_by_priority() {
	vm_only
	setup_veth
	xdpchain add $IF0 "$SAMPLES/rewrite.o" --priority 10
	xdpchain add $IF0 "$SAMPLES/count.o" --priority 20
	send_udp 40000 5
	[ "$(count_of 0)" -ge 5 ] || fail "counter saw $(count_of 0) packets"
	[ "$(count_of 1)" -eq 5 ] || fail "rewrite before count: $(count_of 1) of 5 at port 40001"

	xdpchain remove $IF0 xdpchain_rewrite
	xdpchain add $IF0 "$SAMPLES/rewrite.o" --priority 30
	[ "$(chain_names $IF0)" = "xdpchain_count xdpchain_rewrite xdpchain_final" ] ||
		fail "order: $(chain_names $IF0)"
	local before=$(count_of 1)
	send_udp 40000 5
	[ "$(count_of 1)" -eq "$before" ] || fail "count before rewrite still saw port 40001"
}

# The final stage hands every packet, as the chain left it, to the hook's
# PASS slot.
test_chain_final_stage_capture() {
	vm_only
	setup_veth
	xdpchain add $IF0 "$SAMPLES/rewrite.o"
	xdpchain add $IF0 "$SAMPLES/count.o"
	local pcap=/tmp/final.pcap
	start_probe pass 3 $pcap
	send_udp 40000 3
	wait_probe
	# what cloudflare's xdpcap does: join with expected_attach_type 0 and
	# no frags on the first try
	grep -q "joined with expected_attach_type 0, frags off" $pcap.log ||
		fail "capture program could not join as xdpcap does: $(cat $pcap.log)"
	local out
	out=$(tcpdump -Z root -nvv -r $pcap 2>/dev/null)
	[ "$(tcpdump -Z root -n -r $pcap 'udp dst port 40001 and ip[8] == 63' 2>/dev/null | wc -l)" -eq 3 ] ||
		fail "captured packets are not the rewritten ones (port 40001, TTL 63): $out"
	[ "$(echo "$out" | grep -c "$ADDR1.[0-9]* > $ADDR0.40001: \[udp sum ok\] UDP")" -eq 3 ] ||
		fail "UDP checksum not fixed up by the rewrite: $out"
	echo "$out" | grep -q "bad cksum" && fail "IP checksum broken by the rewrite: $out"
	true
}

# The hook map keeps its id through every change, so a running capture keeps
# capturing.
test_chain_hook_id_stable() {
	vm_only
	setup_veth
	xdpchain add $IF0 "$SAMPLES/count.o"
	local id=$(hook_id $IF0)
	[ "$id" -gt 0 ] || fail "no hook id"
	xdpchain add $IF0 "$SAMPLES/rewrite.o"
	[ "$(hook_id $IF0)" = "$id" ] || fail "hook changed on add"
	xdpchain add $IF0 "$SAMPLES/drop.o"
	xdpchain remove $IF0 xdpchain_rewrite
	[ "$(hook_id $IF0)" = "$id" ] || fail "hook changed on remove"
	xdpchain add $IF0 "$SAMPLES/rewrite.o" --priority 40
	[ "$(hook_id $IF0)" = "$id" ] || fail "hook changed on re-order"
	[ "$(bpftool -j map show pinned "$BPFFS/xdpchain/$IF0/xdpcap_hook" | jq .id)" = "$id" ] ||
		fail "pinned map is not the chain's hook"
}

# A program that brings its own xdpcap_hook gets the shared one: its drops
# reach the hook's DROP slot.
test_chain_own_hook_map() {
	vm_only
	setup_veth
	xdpchain add $IF0 "$SAMPLES/drop.o"
	local j hid pid
	j=$(status_json $IF0)
	hid=$(echo "$j" | jq .hook.id)
	pid=$(echo "$j" | jq '.programs[] | select(.name=="xdpchain_drop") | .id')
	if echo "$j" | jq -e '.dispatcher_object == "xdpchain"' >/dev/null; then
		# the observer brings its drops to the hook: its own hook stays
		# empty, so nothing reaches the capture twice (vm_fate.sh)
		bpftool -j prog show id "$pid" | jq -e --argjson h "$hid" '.map_ids | index($h) == null' \
			>/dev/null || fail "drop calls the shared hook $hid itself"
	else
		echo "$j" | jq -e '.programs[] | select(.name=="xdpchain_drop") | .uses_hook' >/dev/null ||
			fail "drop does not use the shared hook: $j"
		bpftool -j prog show id "$pid" | jq -e --argjson h "$hid" '.map_ids | index($h) != null' \
			>/dev/null || fail "drop's maps do not include hook $hid"
	fi
	start_probe drop 2 /tmp/drop.pcap
	send_udp 9 2
	send_udp 40000 2 # passes: must not show up in the DROP slot
	wait_probe
	[ "$(tcpdump -Z root -n -r /tmp/drop.pcap 2>/dev/null | grep -c "> $ADDR0.9: UDP")" -eq 2 ] ||
		fail "dropped packets missing from the DROP slot"
}

# xdp-loader and xdpchain see and keep each other's programs.
test_chain_xdp_loader_interop() {
	vm_only
	setup_veth
	xdp-loader load $IF0 "$TESTOBJ/pass.o" >/dev/null 2>&1 || fail "xdp-loader load failed"
	xdpchain add $IF0 "$SAMPLES/rewrite.o"
	[ "$(chain_names $IF0)" = "xdpchain_rewrite xdp_test_pass xdpchain_final" ] ||
		fail "chain: $(chain_names $IF0)"
	local st
	st=$(xdp-loader status $IF0 2>&1)
	for p in xdp_dispatcher xdpchain_rewrite xdp_test_pass xdpchain_final; do
		echo "$st" | grep -q "$p" || fail "xdp-loader status lacks $p: $st"
	done
	xdpchain remove $IF0 xdpchain_rewrite
	[ "$(chain_names $IF0)" = "xdp_test_pass xdpchain_final" ] ||
		fail "xdp-loader's program did not stay: $(chain_names $IF0)"
	# A program xdp-loader adds to our chain joins before the final stage.
	# From 6.12 on, the xdp-loader of libxdp before 1.5.5 rebuilds the chain
	# with its built-in dispatcher, which cannot hold the (tail-calling) final
	# stage: it must fail and leave the chain as it was, never drop the final
	# stage.
	local before
	before=$(snapshot $IF0)
	if xdp-loader load $IF0 "$TESTOBJ/named.o" -n xdp_test_one >/dev/null 2>&1; then
		status_json $IF0 | jq -e '.programs[-1].final and (.programs | length) == 3' >/dev/null ||
			fail "after xdp-loader load: $(chain_names $IF0)"
	else
		stock_takes_pkt_changes && fail "xdp-loader could not add to xdpchain's chain"
		assert_unchanged $IF0 "$before"
		status_json $IF0 | jq -e '.problem == null and .programs[-1].final' >/dev/null ||
			fail "chain damaged by the refused xdp-loader load"
	fi
}

test_chain_remove_flush_clean() {
	vm_only
	setup_veth
	local before ifindex
	ifindex=$(cat /sys/class/net/$IF0/ifindex)
	before=$(snapshot $IF0)
	xdpchain add $IF0 "$SAMPLES/rewrite.o"
	xdpchain add $IF0 "$SAMPLES/count.o"
	xdpchain remove $IF0 xdpchain_count
	local id
	id=$(status_json $IF0 | jq '.programs[0].id')
	xdpchain remove $IF0 "$id" # by id; the last one takes the final stage along
	assert_unchanged $IF0 "$before"
	[ ! -e "$BPFFS/xdpchain" ] || fail "xdpchain state left behind"

	xdpchain add $IF0 "$SAMPLES/rewrite.o"
	xdpchain add $IF0 "$SAMPLES/count.o"
	xdpchain flush $IF0
	assert_unchanged $IF0 "$before"
	ls -d "$BPFFS"/xdp/dispatch-$ifindex-* 2>/dev/null && fail "libxdp pins left behind"
	xdpchain flush $IF0 # nothing left: still fine
}

test_chain_hook_pin_option() {
	vm_only
	setup_veth
	xdpchain add $IF0 "$SAMPLES/rewrite.o" --hook-pin "$BPFFS/xdpcap"
	defer "rm -f $BPFFS/xdpcap"
	status_json $IF0 | jq -e --arg p "$BPFFS/xdpcap" '.hook.pin == $p' >/dev/null ||
		fail "hook pin not used: $(status_json $IF0)"
	[ "$(bpftool -j map show pinned "$BPFFS/xdpcap" | jq .id)" = "$(hook_id $IF0)" ] ||
		fail "pinned map is not the hook"
	xdpchain add $IF0 "$SAMPLES/count.o" # same hook, no option needed
	expect_fail 1 "already uses the hook pinned at $BPFFS/xdpcap" \
		add $IF0 "$SAMPLES/drop.o" --hook-pin "$BPFFS/other"
	xdpchain flush $IF0
	[ ! -e "$BPFFS/xdpcap" ] || fail "custom hook pin left behind"
}

test_chain_mode_skb() {
	vm_only
	setup_veth
	xdpchain add $IF0 "$SAMPLES/rewrite.o" --mode skb
	status_json $IF0 | jq -e '.mode == "skb"' >/dev/null || fail "mode: $(status_json $IF0)"
	expect_fail 1 "runs in skb mode" add $IF0 "$SAMPLES/count.o" --mode native
	xdpchain add $IF0 "$SAMPLES/count.o"
	send_udp 40000 2
	[ "$(count_of 1)" -eq 2 ] || fail "skb-mode chain did not run in order"
}

test_chain_prog_selection() {
	vm_only
	setup_veth
	xdpchain add $IF0 "$TESTOBJ/named.o" --prog xdp_test_two --priority 5 --proceed-on pass,drop
	status_json $IF0 | jq -e '.programs[0].name == "xdp_test_two" and .programs[0].priority == 5
		and .programs[0].proceed_on == ["drop","pass"]' >/dev/null ||
		fail "selection: $(status_json $IF0)"
	expect_fail 1 "has no program named 'nope'" add $IF0 "$TESTOBJ/named.o" --prog nope
}

# Bad input: one line naming the problem, exit 1, nothing changed.
test_chain_bad_input() {
	vm_only
	setup_veth
	xdpchain add $IF0 "$SAMPLES/rewrite.o"
	local before
	before=$(snapshot $IF0)
	local junk=/tmp/junk.o
	echo "not an object" >$junk
	expect_fail 1 "cannot read /nonexistent.o" add $IF0 /nonexistent.o
	expect_fail 1 "is not a BPF object" add $IF0 $junk
	expect_fail 1 "ELF file for another machine" add $IF0 "$XDPCHAIN"
	expect_fail 1 "has no XDP program .*sched_cls" add $IF0 "$TESTOBJ/wrong_type.o"
	expect_fail 1 "not an xdpcap hook: it is a hash map" add $IF0 "$TESTOBJ/bad_hook.o"
	expect_fail 1 "verifier .*-vv" add $IF0 "$TESTOBJ/reject.o"
	expect_fail 1 "already in the chain" add $IF0 "$SAMPLES/rewrite.o"
	expect_fail 1 "no interface named" add nosuch0 "$SAMPLES/count.o"
	expect_fail 2 "expected an integer" add $IF0 "$SAMPLES/count.o" --priority x
	expect_fail 1 "no program 'nope' in the chain" remove $IF0 nope
	expect_fail 1 "final stage" remove $IF0 xdpchain_final
	assert_unchanged $IF0 "$before"
}

test_chain_full_dispatcher() {
	vm_only
	setup_veth
	local i
	for i in 0 1 2 3 4 5 6 7 8; do
		xdpchain add $IF0 "$TESTOBJ/slots.o" --prog xdp_slot$i --priority $((10 + i))
	done
	[ "$(status_json $IF0 | jq '.programs | length')" -eq 10 ] || fail "not 10 programs"
	local before
	before=$(snapshot $IF0)
	expect_fail 1 "dispatcher on $IF0 is full" add $IF0 "$TESTOBJ/slots.o" --prog xdp_slot9
	assert_unchanged $IF0 "$before"
}

test_chain_concurrent_runs() {
	vm_only
	setup_veth
	xdpchain add $IF0 "$SAMPLES/rewrite.o"
	# one run at a time: the second waits for the lock, then both succeed
	xdpchain add $IF0 "$SAMPLES/count.o" &
	local p1=$!
	xdpchain add $IF0 "$SAMPLES/drop.o" &
	local p2=$!
	wait $p1 || fail "first concurrent add failed"
	wait $p2 || fail "second concurrent add failed"
	[ "$(chain_names $IF0)" = "xdpchain_rewrite xdpchain_count xdpchain_drop xdpchain_final" ] ||
		fail "concurrent adds: $(chain_names $IF0)"
	# a lock held too long: a clear error, nothing changed
	local before
	before=$(snapshot $IF0)
	flock /run/xdpchain/chain.lock sleep 14 &
	local holder=$!
	defer "kill $holder"
	for _ in $(seq 100); do
		is_flocked /run/xdpchain/chain.lock && break
		sleep 0.05
	done
	expect_fail 1 "another xdpchain is changing a chain" remove $IF0 xdpchain_drop
	assert_unchanged $IF0 "$before"
}

test_chain_bpffs_mounted_on_demand() {
	vm_only
	mountpoint -q "$BPFFS" || skip "bpffs not mounted to begin with"
	setup_veth
	umount "$BPFFS"
	defer "mountpoint -q $BPFFS || mount -t bpf bpf $BPFFS"
	local out
	out=$(xdpchain add $IF0 "$SAMPLES/rewrite.o" 2>&1) || fail "add without bpffs: $out"
	echo "$out" | grep -q "mounted bpffs at $BPFFS" || fail "no info about mounting: $out"
	mountpoint -q "$BPFFS" || fail "bpffs not mounted"
	# an unusable bpffs path: one-line error, nothing attached
	local before
	before=$(snapshot $IF0)
	LIBXDP_BPFFS=/proc/nope expect_fail 1 "bpffs at /proc/nope" add $IF0 "$SAMPLES/count.o"
	assert_unchanged $IF0 "$before"
}

test_chain_single_program_refused() {
	vm_only
	setup_veth
	ip link set dev $IF0 xdpgeneric obj "$TESTOBJ/pass.o" sec xdp
	defer "ip link set dev $IF0 xdpgeneric off"
	local before
	before=$(snapshot $IF0)
	expect_fail 1 "outside libxdp's dispatcher; unload it first" add $IF0 "$SAMPLES/rewrite.o"
	assert_unchanged $IF0 "$before"
	status_json $IF0 | jq -e '.kind == "single"' >/dev/null || fail "status: $(status_json $IF0)"
}

# Another tool removes the final stage: status says so, and the next add
# brings it back with the same hook.
test_chain_final_stage_lost_and_restored() {
	vm_only
	setup_veth
	xdpchain add $IF0 "$SAMPLES/rewrite.o"
	xdpchain add $IF0 "$SAMPLES/count.o"
	local hid fid
	hid=$(hook_id $IF0)
	fid=$(status_json $IF0 | jq '.programs[] | select(.final) | .id')
	xdp-loader unload $IF0 -i "$fid" >/dev/null 2>&1 || fail "xdp-loader unload of the final stage failed"
	status_json $IF0 | jq -e '.problem | test("final stage is missing")' >/dev/null ||
		fail "status does not flag the lost final stage: $(status_json $IF0)"
	xdpchain status $IF0 | grep -q "WARNING: the final stage is missing" || fail "text status"
	xdpchain add $IF0 "$SAMPLES/drop.o"
	status_json $IF0 | jq -e '.programs[-1].final and .problem == null' >/dev/null ||
		fail "final stage not restored: $(status_json $IF0)"
	[ "$(hook_id $IF0)" = "$hid" ] || fail "hook changed when the final stage came back"
}

# final_of IFACE FIELD: the id or tag of xdpchain's final stage on IFACE.
final_of() {
	status_json "$1" | jq -r ".programs[] | select(.name == \"xdpchain_final\") | .$2"
}

# drop_then_pass PCAPNG: captures into PCAPNG a packet to UDP port 40002
# (the firewall sample drops it), then one to 40000; prints the comment
# the second got.
drop_then_pass() {
	start_capture "$1" --pcapng udp
	send_udp 40002 1
	send_udp 40000 1
	sleep 1
	stop_capture "$1"
	tshark -r "$1" -Y 'udp.dstport == 40000' -T fields -e frame.comment 2>/dev/null
}

# A chain an older xdpchain made keeps its final stage until this build
# changes it; then this build's takes its place in the same switch. The
# older one here (tests/vm/old-build.sh: 6ca9dff) did not mark a
# packet as passed by the whole chain, so a capture named the stage of the
# packet a member had dropped before it. After the change: the exit named
# again, the counts kept, the final stage the one this build makes, and
# the next change keeps it. apply replaces it as add does.
test_chain_upgrade_renews_final_stage() {
	vm_only
	need_old_build
	setup_veth
	ip link add xcu0 type veth peer name xcu1
	defer "ip link del xcu0"
	defer "xdpchain flush xcu0; xdpchain flush xcu1"
	"$XDPCHAIN_OLD" add $IF0 "$SAMPLES/firewall.o" >/dev/null
	"$XDPCHAIN_OLD" add xcu0 "$SAMPLES/firewall.o" >/dev/null
	local old fw got
	old=$(final_of $IF0 id)
	fw=$(status_json $IF0 | jq '.programs[] | select(.name == "xdpchain_firewall") | .id')
	got=$(drop_then_pass /tmp/up1.pcapng)
	[ "$got" = "xdp action: pass; stage: xdpchain_firewall (id $fw)" ] ||
		fail "the older final stage: $got"

	xdpchain add $IF0 "$TESTOBJ/pass.o" --priority 10 >/tmp/up.out 2>&1 ||
		fail "this build's change of the older chain: $(cat /tmp/up.out)"
	grep -qF "final stage on $IF0 (id $old) is an older build's: replaced by this build's" \
		/tmp/up.out || fail "no note of the renewal: $(cat /tmp/up.out)"
	[ "$(chain_names $IF0)" = "xdp_test_pass xdpchain_firewall xdpchain_final" ] ||
		fail "order: $(chain_names $IF0)"
	local new
	new=$(final_of $IF0 id)
	[ -n "$new" ] && [ "$new" != "$old" ] || fail "final stage kept: $old -> $new"
	# apply replaces it too, also where the members stay as they are (a
	# reload after an upgrade): a change of its own, in the plan; a chain
	# this build makes has the same final stage
	old=$(final_of xcu0 id)
	printf 'version: 1\ninterfaces:\n  xcu0:\n    programs:\n      - object: %s\n' \
		"$SAMPLES/firewall.o" >/tmp/up.yaml
	local rc=0 line="xcu0: change xdpchain_final (id $old): an older build's final stage: this build's takes its place"
	xdpchain apply --dry-run /tmp/up.yaml >/tmp/up.out 2>&1 || rc=$?
	[ $rc = 3 ] && grep -qxF "$line" /tmp/up.out && grep -qx "xcu0: keep   xdpchain_firewall (id [0-9]*)" /tmp/up.out ||
		fail "dry run (exit $rc): $(cat /tmp/up.out)"
	[ "$(final_of xcu0 id)" = "$old" ] || fail "the dry run changed the final stage"
	xdpchain apply /tmp/up.yaml >/tmp/up.out 2>&1 || fail "apply: $(cat /tmp/up.out)"
	grep -qx "$line -> id $(final_of xcu0 id)" /tmp/up.out && grep -qx "xcu0: changed" /tmp/up.out ||
		fail "apply of the same members: $(cat /tmp/up.out)"
	[ "$(final_of xcu0 id)" != "$old" ] || fail "apply kept the older final stage"
	xdpchain apply /tmp/up.yaml >/tmp/up.out 2>&1 && grep -qx "xcu0: unchanged" /tmp/up.out ||
		fail "apply again: $(cat /tmp/up.out)"
	xdpchain add xcu1 "$TESTOBJ/pass.o" >/dev/null
	[ "$(final_of $IF0 tag)" = "$(final_of xcu1 tag)" ] && [ "$(final_of xcu0 tag)" = "$(final_of xcu1 tag)" ] ||
		fail "not this build's final stage: $(final_of $IF0 tag), $(final_of xcu0 tag) vs $(final_of xcu1 tag)"
	xdpchain -j status -s $IF0 | jq -e '.programs[] | select(.name == "xdpchain_firewall") | .stats.drop >= 1' \
		>/dev/null || fail "counts lost: $(xdpchain -j status -s $IF0)"

	got=$(drop_then_pass /tmp/up2.pcapng)
	[ "$got" = "xdp action: pass; stage: after the chain" ] || fail "this build's final stage: $got"
	xdpchain remove $IF0 xdp_test_pass >/tmp/up.out 2>&1 || fail "remove: $(cat /tmp/up.out)"
	xdpchain add $IF0 "$TESTOBJ/pass.o" --priority 10 >>/tmp/up.out 2>&1 || fail "add again"
	! grep -q "older build" /tmp/up.out || fail "renewed again: $(cat /tmp/up.out)"
	[ "$(final_of $IF0 id)" = "$new" ] || fail "final stage changed again: $new -> $(final_of $IF0 id)"
}

# A chain this build made keeps its final stage through add, remove and
# apply: its tag is this build's, so no change replaces it (or says so).
test_chain_changes_keep_final_stage() {
	vm_only
	setup_veth
	xdpchain add $IF0 "$SAMPLES/count.o" >/dev/null
	local id
	id=$(final_of $IF0 id)
	{
		xdpchain add $IF0 "$SAMPLES/rewrite.o" &&
			xdpchain remove $IF0 xdpchain_count &&
			printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: %s\n' \
				$IF0 "$SAMPLES/drop.o" >/tmp/keep.yaml &&
			xdpchain apply /tmp/keep.yaml
	} >/tmp/keep.out 2>&1 || fail "changes: $(cat /tmp/keep.out)"
	[ "$(chain_names $IF0)" = "xdpchain_drop xdpchain_final" ] || fail "chain: $(chain_names $IF0)"
	! grep -q "final stage" /tmp/keep.out || fail "final stage renewed: $(cat /tmp/keep.out)"
	[ "$(final_of $IF0 id)" = "$id" ] || fail "final stage $id -> $(final_of $IF0 id)"
}
