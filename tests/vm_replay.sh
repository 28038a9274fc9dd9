# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# replay IFACE: a live chain's members loaded anew with the live maps'
# entries, against a live capture --all-stages of the same frames. Chains
# need freplace: VM only.

# A chain deciding from its maps: rewrite (40000 -> 40001), replay_deny
# (drops 7003 by its .data and what its deny_ports map holds: 7006 here),
# firewall (drops 40002), drop (drops port 9 through its hook).
replay_chain() {
	vm_only
	setup_veth
	local p id map
	for p in "$SAMPLES/rewrite.o" "$TESTOBJ/replay_deny.o" "$SAMPLES/firewall.o" "$SAMPLES/drop.o"; do
		xdpchain add $IF0 "$p" >/dev/null
	done
	id=$(status_json $IF0 | jq -r '.programs[] | select(.name == "replay_deny") | .id')
	map=$(bpftool -j prog show id "$id" | jq -r '.map_ids[]' | while read -r m; do
		bpftool -j map show id "$m" | jq -r 'select(.name == "deny_ports") | .id'
	done)
	[ -n "$map" ] || fail "replay_deny (id $id) has no deny_ports map"
	bpftool map update id "$map" key 0x5e 0x1b value 1 # 7006, little-endian
	DENY_MAP=$map
}

# Sends the test frames, recorded as they leave the peer into $1.
replay_traffic() {
	local port
	TD_NS=$PEERNS tcpdump_start "$1" "$TEST_TMP/td.err" -i $IF1 udp
	for port in 7003 7006 40000 40002 9 9999; do
		send_udp $port
		sleep 0.05
	done
	tcpdump_stop "$1" 6
}

test_replay_live_equals_capture() {
	replay_chain
	local d=$TEST_TMP stats maps j out rc
	start_capture $d/live.pcapng --all-stages udp
	replay_traffic $d/in.pcap
	sleep 0.5
	stop_capture $d/live.pcapng
	stats=$(xdpchain -j status -s $IF0 | jq -c '[.programs[].stats]')
	maps=$(bpftool map dump id "$DENY_MAP")
	j=$(xdpchain -j replay $IF0 -r $d/in.pcap -w $d/replay.pcapng) || fail "replay: $j"
	echo "$j" | jq -e '.packets == 6 and .maps == "live" and .map_entries >= 1' >/dev/null ||
		fail "summary: $j"
	echo "$j" | jq -e '.programs[] | select(.name == "replay_deny") | .stats.drop == 2' \
		>/dev/null || fail "replay_deny did not drop 7003 and 7006 (its map): $j"
	# the replay's fates and bytes are the live capture's, packet by packet
	out=$(xdpchain replay $IF0 -r $d/in.pcap --expect $d/live.pcapng) ||
		fail "replay differs from the live capture: $out"
	# nothing live moved: counters and maps
	[ "$(xdpchain -j status -s $IF0 | jq -c '[.programs[].stats]')" = "$stats" ] ||
		fail "live counters moved"
	[ "$(bpftool map dump id "$DENY_MAP")" = "$maps" ] || fail "the live map changed"
	# the chain file of the same chain: its maps start from the live chain's ...
	xdpchain save $IF0 >$d/chain.conf
	j=$(xdpchain -j replay --file $d/chain.conf -r $d/in.pcap --expect $d/live.pcapng) ||
		fail "--file with the live maps differs: $j"
	echo "$j" | jq -e '.maps == "live" and (.programs[] | select(.name == "replay_deny") |
		.maps_from_live >= 1)' >/dev/null || fail "--file summary: $j"
	# ... but not for an interface that has no chain here: empty, 7006 passes
	sed "s/^  $IF0:/  elsewhere0:/" $d/chain.conf >$d/other.conf
	rc=0
	out=$(xdpchain replay --file $d/other.conf -r $d/in.pcap --expect $d/live.pcapng) || rc=$?
	[ $rc -eq 1 ] || fail "--file with empty maps exited $rc: $out"
	echo "$out" | grep -q '(maps empty)' || fail "the summary does not say the maps are empty: $out"
	echo "$out" | grep -Eq '^packet 2 \(udp 192\.0\.2\.2\.[0-9]+ > 192\.0\.2\.1\.7006\): was drop by replay_deny, now pass after the chain$' ||
		fail "--file's difference: $out"
	[ "$(bpftool map dump id "$DENY_MAP")" = "$maps" ] || fail "the live map changed"
}

# show reads a live capture --all-stages as it reads a replay of the same
# frames: the same way through the chain, packet by packet.
test_show_live_equals_replay() {
	replay_chain
	local d=$TEST_TMP
	start_capture $d/live.pcapng --all-stages udp
	replay_traffic $d/in.pcap
	sleep 0.5
	stop_capture $d/live.pcapng
	xdpchain replay $IF0 -r $d/in.pcap -w $d/replay.pcapng >/dev/null || fail "replay failed"
	xdpchain show $d/live.pcapng >$d/live.txt || fail "show of the live capture: $(cat $d/live.txt)"
	xdpchain show $d/replay.pcapng >$d/replay.txt || fail "show of the replay: $(cat $d/replay.txt)"
	[ "$(wc -l <$d/live.txt)" -eq 6 ] || fail "live: $(cat $d/live.txt)"
	diff $d/live.txt $d/replay.txt >$d/diff.txt || fail "live and replayed ways differ: $(cat $d/diff.txt)"
	grep -Eq '\.40000\): entry → xdpchain_rewrite: ip ttl 64→63, udp dport 40000→40001 → replay_deny → xdpchain_firewall → xdpchain_drop → pass$' $d/live.txt ||
		fail "the rewritten packet's way: $(cat $d/live.txt)"
	grep -Eq '\.7006\): entry → xdpchain_rewrite → replay_deny: drop$' $d/live.txt ||
		fail "the packet replay_deny's map drops: $(cat $d/live.txt)"
}

# apply --dry-run --replay against the live chain: a file where replay_deny
# goes on after a drop and firewall is gone lists exactly packets 1 (7003),
# 2 (7006: dropped by the live map's entry, copied into both replays) and
# 4 (40002); the chain as saved lists none. Nothing live moves.
test_apply_dry_run_replay_live() {
	replay_chain
	local d=$TEST_TMP stats maps ids out rc j
	replay_traffic $d/in.pcap
	sleep 0.5
	stats=$(xdpchain -j status -s $IF0 | jq -c '[.programs[].stats]')
	ids=$(status_json $IF0 | jq -c '[.programs[].id]')
	maps=$(bpftool map dump id "$DENY_MAP")
	xdpchain save $IF0 >$d/chain.conf
	out=$(xdpchain apply --dry-run --replay $d/in.pcap $d/chain.conf) ||
		fail "the running chain's own file exited $?: $out"
	echo "$out" | grep -q "through the chain as it runs and as planned: 0 would change" ||
		fail "the same chain: $out"
	awk '/^ *- object:/ { skip = /firewall\.o/ } !skip' $d/chain.conf |
		awk '/program: "?replay_deny"?/ { deny = 1 }
			deny && /proceed-on:/ { sub(/\[pass\]/, "[pass, drop]"); deny = 0 } 1' >$d/new.conf
	grep -q firewall $d/new.conf && fail "firewall still in: $(cat $d/new.conf)"
	rc=0
	out=$(xdpchain apply --dry-run --replay $d/in.pcap $d/new.conf) || rc=$?
	[ $rc -eq 3 ] || fail "a dry run that would change exited $rc: $out"
	echo "$out" | grep -q "^$IF0: remove xdpchain_firewall" || fail "plan: $out"
	[ "$(echo "$out" | grep -c '^packet ')" -eq 3 ] || fail "wanted 3 packet lines: $out"
	echo "$out" | grep -Eqx 'packet 1 \(udp 192\.0\.2\.2\.[0-9]+ > 192\.0\.2\.1\.7003\): was drop by replay_deny, now pass after the chain' &&
		echo "$out" | grep -Eqx 'packet 2 \(udp 192\.0\.2\.2\.[0-9]+ > 192\.0\.2\.1\.7006\): was drop by replay_deny, now pass after the chain' &&
		echo "$out" | grep -Eqx 'packet 4 \(udp 192\.0\.2\.2\.[0-9]+ > 192\.0\.2\.1\.40002\): was drop by xdpchain_firewall, now pass after the chain' ||
		fail "the changed packets: $out"
	j=$(xdpchain -j apply --dry-run --replay $d/in.pcap $d/new.conf) || true
	echo "$j" | jq -e '.interfaces[0].replay | .running and .packets == 6 and
		[.changed[].packet] == [1, 2, 4] and
		.changed[0].before.stage == "replay_deny" and .changed[0].before.verdict == "drop" and
		.changed[0].after == {"verdict": "pass", "stage": "xdpchain_final", "len": .changed[0].before.len}' \
		>/dev/null || fail "-j: $j"
	[ "$(xdpchain -j status -s $IF0 | jq -c '[.programs[].stats]')" = "$stats" ] ||
		fail "live counters moved"
	[ "$(status_json $IF0 | jq -c '[.programs[].id]')" = "$ids" ] || fail "the chain changed"
	[ "$(bpftool map dump id "$DENY_MAP")" = "$maps" ] || fail "the live map changed"
}

# A member that tail-calls: replay_tail turns UDP 7007 into 7008 and tail-
# calls slot 0 of its prog array jmp, which holds replay_tail itself (put
# there before the chain changes); on the second pass 7008 is counted and
# dropped. Debian's 6.1 and 6.12 refuse a freplace member's prog array any
# program, even the member itself (EINVAL): skipped there.
# The replay's jmp holds the copy: 7007 drops as live, same bytes, and the
# live counter does not move (an empty slot would let 7008 pass).
test_replay_tail_call_copies() {
	vm_only
	setup_veth
	local d=$TEST_TMP id jmp hits j out port pin=$BPFFS/xdpchain-test-jmp
	xdpchain add $IF0 "$TESTOBJ/replay_tail.o" >/dev/null
	id=$(status_json $IF0 | jq -r '.programs[] | select(.name == "replay_tail") | .id')
	for m in $(bpftool -j prog show id "$id" | jq -r '.map_ids[]'); do
		case $(bpftool -j map show id "$m" | jq -r .name) in
		jmp) jmp=$m ;;
		tail_hits) hits=$m ;;
		esac
	done
	[ -n "$jmp" ] && [ -n "$hits" ] || fail "no jmp ($jmp) or tail_hits ($hits) map"
	# pinned: a prog array loses its slots when no file holds it
	bpftool map pin id "$jmp" $pin
	defer "rm -f $pin"
	bpftool map update pinned $pin key 0 0 0 0 value id "$id" 2>/dev/null ||
		skip "this kernel refuses a freplace member's prog array any program (EINVAL): no live tail-calling member to replay"
	xdpchain add $IF0 "$SAMPLES/firewall.o" >/dev/null
	start_capture $d/live.pcapng --all-stages udp
	TD_NS=$PEERNS tcpdump_start $d/in.pcap "$TEST_TMP/td.err" -i $IF1 udp
	for port in 7007 40002 9999; do
		send_udp $port
		sleep 0.05
	done
	tcpdump_stop $d/in.pcap 3
	sleep 0.5
	stop_capture $d/live.pcapng
	[ "$(bpftool -j map lookup id "$hits" key 0 0 0 0 | jq -r '.value')" = 1 ] ||
		fail "live, 7007 did not come back through the tail call: $(bpftool map dump id "$hits")"
	j=$(xdpchain -j replay $IF0 -r $d/in.pcap) || fail "replay: $j"
	echo "$j" | jq -e '.programs[] | select(.name == "replay_tail") | .stats.drop == 1' \
		>/dev/null || fail "the copy's tail call did not drop 7007: $j"
	out=$(xdpchain replay $IF0 -r $d/in.pcap --expect $d/live.pcapng) ||
		fail "replay differs from the live capture: $out"
	[ "$(bpftool -j map lookup id "$hits" key 0 0 0 0 | jq -r '.value')" = 1 ] ||
		fail "the replay ran the live program: $(bpftool map dump id "$hits")"
	# through a real dispatcher: the member as an freplace program shares
	# the copies' prog array, or the kernel refuses that in one line
	if out=$(xdpchain replay --dispatcher $IF0 -r $d/in.pcap --expect $d/live.pcapng 2>&1); then
		:
	else
		echo "$out" | grep -q "^xdpchain replay: 'replay_tail' tail-calls through a prog array, which this kernel does not let an freplace program share" ||
			fail "--dispatcher with a tail call: $out"
	fi
	[ "$(bpftool -j map lookup id "$hits" key 0 0 0 0 | jq -r '.value')" = 1 ] ||
		fail "the --dispatcher replay ran the live program: $(bpftool map dump id "$hits")"
}

# The chain of host_replay.sh's write_chain: replay_mark (metadata on UDP),
# vlan_strip (4 bytes shorter), rewrite, replay_deny (decides by its map,
# its .data and the metadata; aborts 7005), firewall, drop (through its
# own hook), listed out of order.
disp_chain_file() {
	cat >"$1" <<CONF
version: 1
interfaces:
  $IF0:
    programs:
      - object: $SAMPLES/drop.o
      - object: $TESTOBJ/replay_deny.o
      - object: $SAMPLES/vlan_strip.o
      - object: $SAMPLES/firewall.o
      - object: $TESTOBJ/replay_mark.o
      - object: $SAMPLES/rewrite.o
CONF
}


# replay_both ARGS... -- OUT: the replay one member after the other into
# OUT.one.pcapng, then through a real dispatcher into OUT.disp.pcapng; each
# summary's per-member stats into OUT.one.json / OUT.disp.json.
replay_both() {
	local out=${*: -1} args=("${@:1:$#-1}") j
	j=$(xdpchain -j replay "${args[@]}" -w $out.one.pcapng) || fail "replay: $j"
	echo "$j" | jq -e '.through == "members"' >/dev/null || fail "one by one: $j"
	echo "$j" | jq -c '[.programs[] | [.name, .stats]]' >$out.one.json
	j=$(xdpchain -j replay --dispatcher "${args[@]}" -w $out.disp.pcapng) ||
		fail "replay --dispatcher: $j"
	echo "$j" | jq -e '.through == "dispatcher"' >/dev/null || fail "--dispatcher: $j"
	echo "$j" | jq -c '[.programs[] | [.name, .stats]]' >$out.disp.json
}

# both_agree OUT: the same counts, the same way through the chain for
# every packet (show), and each replay's --expect of the other passes.
both_agree() {
	local out=$1 args=("${@:2}") got
	diff $out.one.json $out.disp.json >$out.diff || fail "the counts differ: $(cat $out.diff)"
	xdpchain show $out.one.pcapng >$out.one.txt || fail "show: $(cat $out.one.txt)"
	xdpchain show $out.disp.pcapng >$out.disp.txt || fail "show: $(cat $out.disp.txt)"
	diff $out.one.txt $out.disp.txt >$out.diff || fail "the ways differ: $(cat $out.diff)"
	got=$(xdpchain replay --dispatcher "${args[@]}" --expect $out.one.pcapng) ||
		fail "--dispatcher against the one-by-one replay: $got"
	got=$(xdpchain replay "${args[@]}" --expect $out.disp.pcapng) ||
		fail "one by one against the --dispatcher replay: $got"
}

# A chain file's members through a real dispatcher agree with them one by
# one, packet by packet: metadata, a shortened packet, an exit through a
# hook, an abort.
test_replay_dispatcher_agrees() {
	vm_only
	setup_veth
	local d=$TEST_TMP before
	record_traffic $d/in.pcap
	disp_chain_file $d/chain.conf
	before=$(bpftool -j prog show | jq -c '[.[] | .id]')
	replay_both --file $d/chain.conf -r $d/in.pcap $d/f
	both_agree $d/f --file $d/chain.conf -r $d/in.pcap
	[ "$(wc -l <$d/f.disp.txt)" -eq 8 ] || fail "8 packets wanted: $(cat $d/f.disp.txt)"
	grep -q 'replay_deny.*"aborted":1,"drop":2' $d/f.disp.json ||
		fail "replay_deny's decisions: $(cat $d/f.disp.json)"
	# the packet 4 bytes shorter, and the one dropped by the metadata
	# replay_mark put in front of it, two members earlier
	grep -q '): entry → replay_mark → xdpchain_vlan_strip (-4 bytes): vlan 100 removed → .* → pass$' \
		$d/f.disp.txt || fail "no shortened packet: $(cat $d/f.disp.txt)"
	grep -Eq '\.7004\): entry → replay_mark → xdpchain_vlan_strip → xdpchain_rewrite → replay_deny: drop$' \
		$d/f.disp.txt || fail "the metadata did not reach replay_deny: $(cat $d/f.disp.txt)"
	# the replay's dispatcher, members and stage programs are gone with it
	[ "$(bpftool -j prog show | jq -c '[.[] | .id]')" = "$before" ] ||
		fail "programs left loaded: $(bpftool prog show)"
}

# The live chain, its map deciding: through a real dispatcher the replay
# equals the live capture and the one-by-one replay; nothing live moves.
test_replay_dispatcher_live() {
	replay_chain
	local d=$TEST_TMP stats maps out
	start_capture $d/live.pcapng --all-stages udp
	replay_traffic $d/in.pcap
	sleep 0.5
	stop_capture $d/live.pcapng
	stats=$(xdpchain -j status -s $IF0 | jq -c '[.programs[].stats]')
	maps=$(bpftool map dump id "$DENY_MAP")
	replay_both $IF0 -r $d/in.pcap $d/l
	both_agree $d/l $IF0 -r $d/in.pcap
	grep -q 'replay_deny.*"drop":2' $d/l.disp.json ||
		fail "replay_deny did not drop 7003 and 7006 (its map): $(cat $d/l.disp.json)"
	out=$(xdpchain replay --dispatcher $IF0 -r $d/in.pcap --expect $d/live.pcapng) ||
		fail "--dispatcher differs from the live capture: $out"
	[ "$(xdpchain -j status -s $IF0 | jq -c '[.programs[].stats]')" = "$stats" ] ||
		fail "live counters moved"
	[ "$(bpftool map dump id "$DENY_MAP")" = "$maps" ] || fail "the live map changed"
}
