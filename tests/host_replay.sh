# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# replay --file: recorded packets through a chain file's members with
# BPF_PROG_TEST_RUN; needs no freplace, so it runs on this host.

# A chain file of six members, in run order by priority: replay_mark (1,
# puts metadata on UDP), vlan_strip (5, drops a VLAN tag: 4 bytes
# shorter), rewrite (10, port 40000 -> 40001), replay_deny (20, drops by its
# .data map and by the metadata, aborts 7005), firewall (25, drops 40002),
# drop (30, drops port 9 through its own xdpcap hook). Listed out of order:
# replay sorts as the dispatcher does. write_chain FILE [SHA256 of drop.o].
write_chain() {
	cat >"$1" <<CONF
version: 1
interfaces:
  $IF0:
    programs:
      - object: $SAMPLES/drop.o
${2:+        sha256: $2}
      - object: $TESTOBJ/replay_deny.o
      - object: $SAMPLES/vlan_strip.o
      - object: $SAMPLES/firewall.o
      - object: $TESTOBJ/replay_mark.o
      - object: $SAMPLES/rewrite.o
CONF
}


# The fates in an all-stages file: "PACKET_ID<TAB>DSTPORT<TAB>COMMENT" per
# packet (tabs: tshark 4.4 escapes the spaces of a value with separator=/s).
fates() {
	tshark -r "$1" -Y "frame.interface_name == \"$IF0:exit\"" -T fields \
		-e frame.packet_id -e udp.dstport -e frame.comment 2>/dev/null
}

# fate_of FILE PORT: the fate comment of the packet to UDP port PORT.
fate_of() {
	fates "$1" | awk -F '\t' -v p="$2" '$2 == p { print $3 }'
}

expect_fate() {
	local got
	got=$(fate_of "$1" "$2")
	[ "$got" = "$3" ] || fail "packet to port $2: fate '$got', wanted '$3'"
}

test_replay_file_fates_and_stages() {
	setup_veth
	local d=$TEST_TMP before j
	record_traffic $d/in.pcap
	write_chain $d/chain.conf
	before=$(snapshot $IF0)
	j=$(xdpchain -j replay --file $d/chain.conf -r $d/in.pcap -w $d/out.pcapng) ||
		fail "replay failed: $j"
	assert_unchanged $IF0 "$before"
	# the summary: status -s's stats per member, in run order, then the final stage
	echo "$j" | jq -e '.packets == 8' >/dev/null || fail "summary: $j"
	[ "$(echo "$j" | jq -r '[.programs[].name] | join(" ")')" = \
		"replay_mark xdpchain_vlan_strip xdpchain_rewrite replay_deny xdpchain_firewall xdpchain_drop xdpchain_final" ] ||
		fail "run order: $(echo "$j" | jq -c '[.programs[] | [.name, .priority]]')"
	st() { echo "$j" | jq -c ".programs[] | select(.name == \"$1\") | .stats"; }
	[ "$(st replay_deny)" = '{"aborted":1,"drop":2,"pass":5,"tx":0,"redirect":0}' ] ||
		fail "replay_deny: $(st replay_deny)"
	[ "$(st xdpchain_firewall)" = '{"aborted":0,"drop":1,"pass":4,"tx":0,"redirect":0}' ] ||
		fail "firewall: $(st xdpchain_firewall)"
	[ "$(st xdpchain_drop)" = '{"aborted":0,"drop":1,"pass":3,"tx":0,"redirect":0}' ] ||
		fail "drop (exits through its hook, counted once): $(st xdpchain_drop)"
	[ "$(st xdpchain_final)" = '{"aborted":0,"drop":0,"pass":3,"tx":0,"redirect":0}' ] ||
		fail "final: $(st xdpchain_final)"
	# each packet's fate and the member that decided it
	expect_fate $d/out.pcapng 7003 "xdp action: drop; stage: replay_deny"
	# dropped only when replay_mark's metadata reached replay_deny
	expect_fate $d/out.pcapng 7004 "xdp action: drop; stage: replay_deny"
	expect_fate $d/out.pcapng 7005 "xdp action: aborted; stage: replay_deny"
	expect_fate $d/out.pcapng 40002 "xdp action: drop; stage: xdpchain_firewall"
	expect_fate $d/out.pcapng 9 "xdp action: drop; stage: xdpchain_drop"
	expect_fate $d/out.pcapng 9999 "xdp action: pass; stage: after the chain"
	# changed in place: the fate of what entered to 40000 is at 40001, TTL 63
	expect_fate $d/out.pcapng 40001 "xdp action: pass; stage: after the chain"
	tcpdump -Z root -nn -v -r $d/out.pcapng 'udp dst port 40001' 2>/dev/null | grep -q 'ttl 63' ||
		fail "rewrite's TTL change is not in the file"
	# changed in size: the VLAN frame enters with 75 bytes, leaves with 71
	local vlan
	vlan=$(tshark -r $d/out.pcapng -Y 'udp.dstport == 53' -T fields \
		-e frame.interface_name -e frame.len 2>/dev/null | tr '\t\n' ' ;')
	[ "$vlan" = "$IF0:entry 75;$IF0:after replay_mark 75;$IF0:after xdpchain_vlan_strip 71;$IF0:after xdpchain_rewrite 71;$IF0:after replay_deny 71;$IF0:after xdpchain_firewall 71;$IF0:after xdpchain_drop 71;$IF0:exit 71;" ] ||
		fail "the VLAN frame's stages: $vlan"
	# every packet: an entry and a fate with its id, in file order, stamped as recorded
	[ "$(tshark -r $d/out.pcapng -Y "frame.interface_name == \"$IF0:entry\"" -T fields \
		-e frame.packet_id 2>/dev/null | tr '\n' ' ')" = "1 2 3 4 5 6 7 8 " ] ||
		fail "entries are not packets 1..8 in order"
	[ "$(fates $d/out.pcapng | awk '{print $1}' | tr '\n' ' ')" = "1 2 3 4 5 6 7 8 " ] ||
		fail "fates are not packets 1..8 in order"
	diff <(tcpdump -Z root -nn -tt -r $d/in.pcap 2>/dev/null | awk '{print $1}') \
		<(tshark -r $d/out.pcapng -Y "frame.interface_name == \"$IF0:entry\"" -T fields \
			-e frame.time_epoch 2>/dev/null | awk '{printf "%.6f\n", $1}') >/dev/null ||
		fail "entry timestamps are not the recorded ones"
	# the same frames as pcapng give the same fates
	editcap -F pcapng $d/in.pcap $d/in.pcapng
	xdpchain replay --file $d/chain.conf -r $d/in.pcapng -w $d/out2.pcapng >/dev/null ||
		fail "replay of pcapng input failed"
	diff <(fates $d/out.pcapng) <(fates $d/out2.pcapng) >/dev/null ||
		fail "pcap and pcapng input differ: $(fates $d/out2.pcapng | tr '\n' ';')"
	# text summary: per member as status -s prints it
	xdpchain replay --file $d/chain.conf -r $d/in.pcap | grep -A1 ' replay_deny ' |
		grep -q 'packets: aborted 1 drop 2 pass 5 tx 0 redirect 0' ||
		fail "text summary: $(xdpchain replay --file $d/chain.conf -r $d/in.pcap)"
}

# -w -: the stages on stdout, the summary (-j too) on stderr.
test_replay_to_stdout() {
	setup_veth
	local d=$TEST_TMP
	record_traffic $d/in.pcap
	write_chain $d/chain.conf
	xdpchain -j replay --file $d/chain.conf -r $d/in.pcap -w - 2>$d/sum.json >$d/out.pcapng ||
		fail "replay -w - failed: $(cat $d/sum.json)"
	jq -e '.packets == 8' $d/sum.json >/dev/null || fail "summary on stderr: $(cat $d/sum.json)"
	[ "$(fates $d/out.pcapng | wc -l)" -eq 8 ] || fail "stdout holds $(fates $d/out.pcapng | wc -l) fates"
}

# A capture cut by its snaplen is replayed as captured; lengths keep what was cut.
test_replay_snaplen_cut() {
	setup_veth
	local d=$TEST_TMP j
	record_traffic $d/in.pcap
	write_chain $d/chain.conf
	editcap -s 60 $d/in.pcap $d/cut.pcap >/dev/null
	j=$(xdpchain -j replay --file $d/chain.conf -r $d/cut.pcap -w $d/out.pcapng) || fail "$j"
	echo "$j" | jq -e '.packets == 8 and .cut_by_snaplen == 8' >/dev/null || fail "summary: $j"
	# the VLAN frame: 60 bytes kept at entry and 56 at the fate, 75 and 71 long
	[ "$(tshark -r $d/out.pcapng -Y 'vlan' -T fields -e frame.cap_len -e frame.len 2>/dev/null |
		head -1 | tr '\t' ' ')" = "60 75" ] || fail "entry of the cut VLAN frame"
	tshark -r $d/out.pcapng -Y "frame.interface_name == \"$IF0:exit\" && frame.len == 71" \
		-T fields -e frame.cap_len 2>/dev/null | grep -qx 56 ||
		fail "the cut VLAN frame's fate is not 56 of 71 bytes"
	# marked: a second comment on each of its records, a line in the summary
	[ "$(tshark -r $d/out.pcapng -Y 'frame.comment contains "cut by the capture'"'"'s snaplen: replayed as captured, 60 of 75 bytes"' \
		-T fields -e frame.interface_name 2>/dev/null | head -1)" = "$IF0:entry" ] ||
		fail "the cut VLAN frame's entry is not marked: $(tshark -r $d/out.pcapng -T fields -e frame.comment 2>/dev/null | head -3)"
	tshark -r $d/out.pcapng -Y "frame.interface_name == \"$IF0:exit\" && frame.comment contains \"56 of 71 bytes\"" \
		2>/dev/null | grep -q . || fail "the cut VLAN frame's fate is not marked"
	xdpchain replay --file $d/chain.conf -r $d/cut.pcap |
		grep -qx '  8 packets were cut by the capture.s snaplen: replayed as captured' ||
		fail "the text summary does not say 8 were cut"
	# the cut replay, --expect'ed against itself: the marks change nothing
	xdpchain replay --file $d/chain.conf -r $d/cut.pcap --expect $d/out.pcapng >/dev/null ||
		fail "a cut replay differs from its own file"
}

# An object changed since the chain file recorded it is refused, unless --force.
test_replay_changed_object() {
	setup_veth
	local d=$TEST_TMP sha
	record_traffic $d/in.pcap
	sha=$(sha256sum "$SAMPLES/drop.o" | cut -d' ' -f1)
	write_chain $d/chain.conf "$sha"
	xdpchain replay --file $d/chain.conf -r $d/in.pcap >/dev/null || fail "the recorded sha256 refused"
	write_chain $d/chain.conf "$(echo "$sha" | tr 0-9a-f 1-9a-f0)"
	echo keep >$d/out.pcapng
	expect_fail 1 "drop.o changed since it was recorded .*--force" \
		replay --file $d/chain.conf -r $d/in.pcap -w $d/out.pcapng
	[ "$(cat $d/out.pcapng)" = keep ] || fail "a refused replay touched -w's file"
	xdpchain replay --force --file $d/chain.conf -r $d/in.pcap | grep 'xdpchain_drop' |
		grep -q 'object changed since recorded (--force)' || fail "--force does not say so"
}

test_replay_bad_input() {
	mountpoint -q "$BPFFS" || mount -t bpf bpf "$BPFFS"
	setup_veth
	local d=$TEST_TMP before
	record_traffic $d/in.pcap
	write_chain $d/chain.conf
	before=$(snapshot $IF0)
	: >$d/empty.pcap
	expect_fail 1 "cannot read $d/empty.pcap: .*give a pcap or pcapng" \
		replay --file $d/chain.conf -r $d/empty.pcap
	head -c 3000 /dev/urandom >$d/junk.pcap
	expect_fail 1 "cannot read $d/junk.pcap" replay --file $d/chain.conf -r $d/junk.pcap
	head -c -7 $d/in.pcap >$d/trunc.pcap
	expect_fail 1 "$d/trunc.pcap: packet 8: truncated.*damaged" \
		replay --file $d/chain.conf -r $d/trunc.pcap
	expect_fail 1 "cannot read $d/none.pcap" replay --file $d/chain.conf -r $d/none.pcap
	expect_fail 2 "give the packets to replay with -r IN" replay --file $d/chain.conf
	expect_fail 2 "name the chain" replay -r $d/in.pcap
	expect_fail 2 "IFACE or --file, not both" replay $IF0 --file $d/chain.conf -r $d/in.pcap
	expect_fail 1 "has no chain for nosuch0" \
		replay --file $d/chain.conf --interface nosuch0 -r $d/in.pcap
	expect_fail 1 "$IF0 has no xdpchain chain to replay; replay a chain file with --file" replay $IF0 -r $d/in.pcap
	expect_fail 1 "no interface named .nosuch0." replay nosuch0 -r $d/in.pcap
	# chain files that fail to load: a missing object, bad YAML, a program
	# the verifier refuses, two interfaces and no --interface
	sed "s|$SAMPLES/firewall.o|$d/gone.o|" $d/chain.conf >$d/gone.conf
	expect_fail 1 "gone.conf:[0-9]+: cannot read $d/gone.o" replay --file $d/gone.conf -r $d/in.pcap
	printf 'version: 1\ninterfaces: [\n' >$d/bad.conf
	expect_fail 1 "bad.conf" replay --file $d/bad.conf -r $d/in.pcap
	printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: %s\n' \
		$IF0 "$TESTOBJ/replay_unsafe.o" >$d/verifier.conf
	expect_fail 1 "verifier.conf:5: loading 'replay_unsafe' .* failed: .*verifier" \
		replay --file $d/verifier.conf -r $d/in.pcap
	printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: %s\n' \
		$IF0 "$TESTOBJ/wrong_type.o" >$d/tc.conf
	expect_fail 1 "tc.conf:5: .*wrong_type.o has no XDP program" replay --file $d/tc.conf -r $d/in.pcap
	{ cat $d/chain.conf; printf '  other0:\n    programs: []\n'; } >$d/two.conf
	expect_fail 1 "describes 2 interfaces; pick one with --interface" \
		replay --file $d/two.conf -r $d/in.pcap
	expect_fail 1 "the chain of other0 has no programs" \
		replay --file $d/two.conf --interface other0 -r $d/in.pcap
	assert_unchanged $IF0 "$before"
	# JSON errors under -j
	{ xdpchain -j replay --file $d/chain.conf -r $d/empty.pcap || true; } |
		jq -e '.error | test("empty.pcap")' >/dev/null || fail "JSON error missing"
}

# --dispatcher where the kernel refuses freplace (this host): one line
# naming `xdpchain features` and the way that works here, exit 1, nothing
# written; the VM runs it for real (vm_replay.sh).
test_replay_dispatcher_refused() {
	xdpchain -j features | jq -e '.freplace | not' >/dev/null ||
		skip "this kernel takes freplace: vm_replay.sh runs --dispatcher"
	setup_veth
	local d=$TEST_TMP before
	record_traffic $d/in.pcap
	write_chain $d/chain.conf
	before=$(snapshot $IF0)
	expect_fail 1 "^xdpchain replay: replay --dispatcher needs freplace .*refuses \(see 'xdpchain features'\); replay without --dispatcher" \
		replay --file $d/chain.conf -r $d/in.pcap -w $d/out.pcapng --dispatcher
	[ ! -s $d/out.pcapng ] || fail "a refused replay wrote $d/out.pcapng"
	assert_unchanged $IF0 "$before"
	# without it, the same replay runs here
	xdpchain replay --file $d/chain.conf -r $d/in.pcap >/dev/null || fail "the one-by-one replay failed"
}

# --expect: a replay against an earlier one's file; a changed chain names
# each packet whose fate or bytes changed, at most 20, then a count.
test_replay_expect() {
	setup_veth
	local d=$TEST_TMP out rc
	record_traffic $d/in.pcap
	write_chain $d/chain.conf
	xdpchain replay --file $d/chain.conf -r $d/in.pcap -w $d/golden.pcapng >/dev/null
	xdpchain replay --file $d/chain.conf -r $d/in.pcap --expect $d/golden.pcapng |
		grep -q "^expect: every packet's fate and bytes as in $d/golden.pcapng" ||
		fail "the same chain does not match its own golden file"
	# without replay_mark, replay_deny sees no metadata: 7004 passes now
	grep -v replay_mark.o $d/chain.conf >$d/nomark.conf
	rc=0
	out=$(xdpchain replay --file $d/nomark.conf -r $d/in.pcap --expect $d/golden.pcapng) || rc=$?
	[ $rc -eq 1 ] || fail "a changed fate exited $rc"
	[ "$(echo "$out" | grep -c '^packet ')" -eq 1 ] || fail "wanted one packet line: $out"
	echo "$out" | grep -Eq '^packet 2 \(udp 192\.0\.2\.2\.[0-9]+ > 192\.0\.2\.1\.7004\): was drop by replay_deny, now pass after the chain$' ||
		fail "the changed packet's line: $out"
	# without vlan_strip, the VLAN frame passes 4 bytes longer
	grep -v vlan_strip.o $d/chain.conf >$d/novlan.conf
	rc=0
	out=$(xdpchain replay --file $d/novlan.conf -r $d/in.pcap --expect $d/golden.pcapng) || rc=$?
	[ $rc -eq 1 ] || fail "changed bytes exited $rc"
	echo "$out" | grep -Eq '^packet [0-9]+ \(udp 192\.0\.2\.2\.[0-9]+ > 192\.0\.2\.1\.53\): pass after the chain both times, but its bytes at the fate differ \(was 71 bytes, now 75\)$' ||
		fail "the longer packet's line: $out"
	# 24 packets, 21 differ against a chain that passes everything: 20 lines, then a count
	mergecap -F pcap -a -w $d/in3.pcap $d/in.pcap $d/in.pcap $d/in.pcap
	xdpchain replay --file $d/chain.conf -r $d/in3.pcap -w $d/golden3.pcapng >/dev/null
	printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: %s\n' \
		$IF0 "$TESTOBJ/pass.o" >$d/pass.conf
	rc=0
	out=$(xdpchain replay --file $d/pass.conf -r $d/in3.pcap --expect $d/golden3.pcapng) || rc=$?
	[ $rc -eq 1 ] || fail "21 changes exited $rc"
	[ "$(echo "$out" | grep -c '^packet ')" -eq 20 ] || fail "wanted 20 packet lines: $out"
	echo "$out" | grep -qx '... and 1 more packets differ' || fail "no count after 20 lines: $out"
	xdpchain -j replay --file $d/pass.conf -r $d/in3.pcap --expect $d/golden3.pcapng |
		jq -e '.expect.differ == 21 and (.expect.lines | length) == 20' >/dev/null ||
		fail "-j expect"
	# fewer packets than the golden file has fates
	rc=0
	out=$(xdpchain replay --file $d/chain.conf -r $d/in.pcap --expect $d/golden3.pcapng) || rc=$?
	[ $rc -eq 1 ] && echo "$out" | grep -q 'the expected file has 24 fates, the replay 8 packets' ||
		fail "missing packets: $out"
	# a golden file that is not one: one line, exit 1, before anything runs
	head -c -5 $d/golden.pcapng >$d/cut.pcapng
	expect_fail 1 "cut.pcapng: .*a cut or damaged file.*; give a file replay -w" \
		replay --file $d/chain.conf -r $d/in.pcap --expect $d/cut.pcapng
	head -c -4 $d/golden.pcapng >$d/cut4.pcapng
	expect_fail 1 "cut4.pcapng: a block of a bad length \\(a cut or damaged file\\) at byte [0-9]+;" \
		replay --file $d/chain.conf -r $d/in.pcap --expect $d/cut4.pcapng
	expect_fail 1 "in.pcap: not a pcapng file" \
		replay --file $d/chain.conf -r $d/in.pcap --expect $d/in.pcap
	expect_fail 1 "cannot read $d/nothing.pcapng" \
		replay --file $d/chain.conf -r $d/in.pcap --expect $d/nothing.pcapng
}

# show: a replay's stages as each packet's way, naming the fields each member changed.
test_show_replayed_stages() {
	setup_veth
	local d=$TEST_TMP j
	record_traffic $d/in.pcap
	write_chain $d/chain.conf
	xdpchain replay --file $d/chain.conf -r $d/in.pcap -w $d/out.pcapng >/dev/null || fail "replay"
	xdpchain show $d/out.pcapng >$d/show.txt || fail "show: $(cat $d/show.txt)"
	[ "$(wc -l <$d/show.txt)" -eq 8 ] || fail "not a line per packet: $(cat $d/show.txt)"
	# way PORT: the line of the packet that entered to UDP port PORT, without its name
	way() { grep -E "^packet [0-9]+ \(udp 192\.0\.2\.2\.[0-9]+ > 192\.0\.2\.1\.$1\): " $d/show.txt | sed 's/^[^)]*): //'; }
	local pre="entry → replay_mark → xdpchain_vlan_strip"
	# a shim popped (4 bytes shorter), then on unchanged, passed after the chain
	[ "$(way 53)" = "entry → replay_mark → xdpchain_vlan_strip (-4 bytes): vlan 100 removed → xdpchain_rewrite → replay_deny → xdpchain_firewall → xdpchain_drop → pass" ] ||
		fail "the VLAN frame: $(way 53)"
	# rewritten in place, fields named
	[ "$(way 40000)" = "$pre → xdpchain_rewrite: ip ttl 64→63, udp dport 40000→40001 → replay_deny → xdpchain_firewall → xdpchain_drop → pass" ] ||
		fail "the rewritten packet: $(way 40000)"
	# dropped, by whom; aborted; dropped through its own hook
	[ "$(way 40002)" = "$pre → xdpchain_rewrite → replay_deny → xdpchain_firewall: drop" ] ||
		fail "the firewall's drop: $(way 40002)"
	[ "$(way 7005)" = "$pre → xdpchain_rewrite → replay_deny: aborted" ] || fail "7005: $(way 7005)"
	[ "$(way 9)" = "$pre → xdpchain_rewrite → replay_deny → xdpchain_firewall → xdpchain_drop: drop" ] ||
		fail "drop through its hook: $(way 9)"
	# a tcpdump filter on the bytes at entry
	xdpchain show $d/out.pcapng udp dst port 40000 >$d/f.txt || fail "filter: $(cat $d/f.txt)"
	[ "$(wc -l <$d/f.txt)" -eq 1 ] && grep -q '^packet 8 ' $d/f.txt || fail "filter 40000: $(cat $d/f.txt)"
	[ -z "$(xdpchain show $d/out.pcapng 'udp dst port 40001')" ] ||
		fail "the filter matched a packet's later bytes, not its entry"
	[ "$(xdpchain show $d/out.pcapng 'vlan and udp port 53' | cut -d' ' -f1-2)" = "packet 7" ] ||
		fail "vlan filter: $(xdpchain show $d/out.pcapng 'vlan and udp port 53')"
	# -j: the same, as JSON
	j=$(xdpchain -j show $d/out.pcapng 'udp dst port 40002 or vlan') || fail "show -j: $j"
	echo "$j" | jq -e '.total == 8 and .shown == 2' >/dev/null || fail "-j counts: $j"
	[ "$(echo "$j" | jq -c '.packets[1].stages[1]')" = '{"stage":"xdpchain_vlan_strip","len":71,"changes":["vlan 100 removed"]}' ] ||
		fail "-j stage: $(echo "$j" | jq -c '.packets[1].stages[1]')"
	[ "$(echo "$j" | jq -c '[.packets[].fate | [.stage, .verdict]]')" = '[["xdpchain_firewall","drop"],[null,"pass"]]' ] ||
		fail "-j fates: $(echo "$j" | jq -c '[.packets[].fate]')"
}

# show: files it cannot read, one line naming the problem, exit 1.
test_show_bad_files() {
	setup_veth
	local d=$TEST_TMP out rc f
	record_traffic $d/in.pcap
	write_chain $d/chain.conf
	xdpchain replay --file $d/chain.conf -r $d/in.pcap -w $d/out.pcapng >/dev/null || fail "replay"
	editcap -F pcapng $d/in.pcap $d/plain.pcapng
	head -c 1000 $d/out.pcapng >$d/cut.pcapng
	: >$d/empty.pcapng
	for f in in.pcap plain.pcapng cut.pcapng empty.pcapng missing.pcapng; do
		rc=0
		out=$(xdpchain show $d/$f 2>&1) || rc=$?
		[ $rc -eq 1 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] || fail "$f: exit $rc: $out"
	done
	xdpchain show $d/plain.pcapng 2>&1 | grep -q 'has no stages' || fail "plain pcapng: no reason"
	xdpchain show $d/cut.pcapng 2>&1 | grep -q 'cut or damaged' || fail "cut: no reason"
	rc=0
	out=$(xdpchain show $d/out.pcapng 'udp port' 2>&1) || rc=$?
	[ $rc -eq 1 ] && echo "$out" | grep -q 'bad filter expression' || fail "bad filter: exit $rc: $out"
	rc=0
	xdpchain show >/dev/null 2>&1 || rc=$?
	[ $rc -eq 2 ] || fail "no FILE: exit $rc"
}

# apply --dry-run --replay: the recorded packets through the chain as it
# runs (none here: every packet passes as it came) and as the file plans
# it; exactly the packets whose fate or bytes would change are listed.
test_apply_dry_run_replay() {
	setup_veth
	local d=$TEST_TMP before out rc j
	record_traffic $d/in.pcap
	write_chain $d/chain.conf
	before=$(snapshot $IF0)
	rc=0
	out=$(xdpchain apply --dry-run --replay $d/in.pcap $d/chain.conf 2>/dev/null) || rc=$?
	# dry-run's codes: 3 would change, 4 would but no freplace here
	[ $rc -eq 3 ] || [ $rc -eq 4 ] || fail "exit $rc: $out"
	echo "$out" | grep -q "^$IF0: add    replay_deny" || fail "no plan: $out"
	echo "$out" | grep -qx "$IF0: replayed 8 packets from $d/in.pcap through the chain that runs (none: every packet passes) and as planned: 7 would change" ||
		fail "summary line: $out"
	[ "$(echo "$out" | grep -c '^packet ')" -eq 7 ] || fail "wanted 7 packet lines: $out"
	local want
	for want in 'packet 1 \(udp 192\.0\.2\.2\.[0-9]+ > 192\.0\.2\.1\.7003\): was pass after the chain, now drop by replay_deny' \
		'packet 3 \(udp 192\.0\.2\.2\.[0-9]+ > 192\.0\.2\.1\.7005\): was pass after the chain, now aborted by replay_deny' \
		'packet 5 \(udp 192\.0\.2\.2\.[0-9]+ > 192\.0\.2\.1\.9\): was pass after the chain, now drop by xdpchain_drop' \
		'packet 7 \(udp 192\.0\.2\.2\.[0-9]+ > 192\.0\.2\.1\.53\): pass after the chain both times, but its bytes at the fate differ \(was 75 bytes, now 71\)'; do
		echo "$out" | grep -Eqx "$want" || fail "no line /$want/: $out"
	done
	echo "$out" | grep -q '9999' && fail "the unchanged packet to 9999 is listed: $out"
	j=$(xdpchain -j apply --dry-run --replay $d/in.pcap $d/chain.conf 2>/dev/null) || true
	echo "$j" | jq -e --arg i $IF0 '.interfaces[0].ifname == $i and .interfaces[0].replay.packets == 8 and
		([.interfaces[0].replay.changed[].packet] == [1, 2, 3, 4, 5, 7, 8]) and
		.interfaces[0].replay.changed[0].before == {"verdict": "pass", "stage": "xdpchain_final", "len": 75} and
		.interfaces[0].replay.changed[0].after.verdict == "drop" and
		.interfaces[0].replay.changed[0].after.stage == "replay_deny"' >/dev/null ||
		fail "-j: $j"
	assert_unchanged $IF0 "$before"
	# bad input: one line, nothing applied
	expect_fail 2 "--replay IN .*give it with --dry-run" apply --replay $d/in.pcap $d/chain.conf
	expect_fail 1 "cannot read $d/none.pcap" apply --dry-run --replay $d/none.pcap $d/chain.conf
	head -c -7 $d/in.pcap >$d/trunc.pcap
	expect_fail 1 "$d/trunc.pcap: packet 8: truncated.*damaged" \
		apply --dry-run --replay $d/trunc.pcap $d/chain.conf
	assert_unchanged $IF0 "$before"
}

# What IN may be: a file, a pipe or - (read once as it comes), never a
# device or a directory; a FIFO nobody writes yet blocks replay before it
# takes anything (another command runs meanwhile); a damaged record, one
# line naming the packet. apply --replay reads IN once per interface: a file.
test_replay_input_kinds() {
	setup_veth
	local d=$TEST_TMP j pid
	record_traffic $d/in.pcap
	write_chain $d/chain.conf
	j=$(cat $d/in.pcap | xdpchain -j replay --file $d/chain.conf -r -) || fail "-r -: $j"
	echo "$j" | jq -e '.packets == 8' >/dev/null || fail "-r -: $j"
	mkfifo $d/fifo
	xdpchain -j replay --file $d/chain.conf -r $d/fifo >$d/fifo.json 2>&1 &
	pid=$!
	defer "kill $pid 2>/dev/null"
	sleep 0.5
	kill -0 $pid 2>/dev/null || fail "replay of a FIFO without a writer ended: $(cat $d/fifo.json)"
	# it holds no lock while it waits: a change's plan runs meanwhile
	local rc=0
	timeout 30 "$XDPCHAIN" apply --dry-run $d/chain.conf >/dev/null 2>&1 || rc=$?
	[ $rc -eq 3 ] || [ $rc -eq 4 ] || fail "apply --dry-run beside a waiting replay exited $rc"
	cat $d/in.pcap >$d/fifo
	wait $pid || fail "replay of a FIFO failed: $(cat $d/fifo.json)"
	jq -e '.packets == 8' $d/fifo.json >/dev/null || fail "FIFO: $(cat $d/fifo.json)"
	expect_fail 1 "/dev/zero is a character device, not a capture file; give a pcap or pcapng file, or a pipe" \
		replay --file $d/chain.conf -r /dev/zero
	expect_fail 1 "$d is a directory, not a capture file" replay --file $d/chain.conf -r $d
	expect_fail 1 "$d/fifo is a FIFO, not a capture file; .*once per interface" \
		apply --dry-run --replay $d/fifo $d/chain.conf
	expect_fail 1 "once per interface: give a file, not - \\(stdin\\)" \
		apply --dry-run --replay - $d/chain.conf
	# a record whose length is damaged (packet 3), a pcapng block (packet 2)
	python3 - $d/in.pcap $d/badlen.pcap <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
off = 24
for _ in range(2):
    off += 16 + struct.unpack_from('<I', b, off + 8)[0]
b[off + 8:off + 12] = struct.pack('<I', 0xffffff)
open(sys.argv[2], 'wb').write(b)
PY
	expect_fail 1 "badlen.pcap: packet 3: invalid packet capture length 16777215.*; the file is damaged" \
		replay --file $d/chain.conf -r $d/badlen.pcap
	expect_fail 1 "badlen.pcap: packet 3: .*damaged" \
		apply --dry-run --replay $d/badlen.pcap $d/chain.conf
	editcap -F pcapng $d/in.pcap $d/in.pcapng
	python3 - $d/in.pcapng $d/badblock.pcapng <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
off, n = 0, 0
while off < len(b):
    t, l = struct.unpack_from('<II', b, off)
    if t == 6:
        n += 1
        if n == 2:
            b[off + 4:off + 8] = struct.pack('<I', 0x7fffff0)
            break
    off += l
open(sys.argv[2], 'wb').write(b)
PY
	expect_fail 1 "badblock.pcapng: packet 2: pcapng block size [0-9]+ > maximum.*; the file is damaged" \
		replay --file $d/chain.conf -r $d/badblock.pcapng
}
