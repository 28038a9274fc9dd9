# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The kernel matrix: what must hold on 6.1 and on 6.12+ alike.

# A chain of a plain program, one that calls xdpcap_exit(), one that uses
# bpf_xdp_adjust_head and the final stage carries real packets, and a
# capture sees them: the tagged frame untagged after the chain, the drop in
# the DROP slot.
test_matrix_packet_changers_chain() {
	xdpchain -j features | jq -e .freplace >/dev/null || skip "kernel refuses freplace"
	setup_veth
	local o
	for o in count drop vlan_strip; do
		xdpchain add $IF0 "$SAMPLES/$o.o" >/dev/null
	done
	[ "$(chain_names $IF0)" = "xdpchain_vlan_strip xdpchain_count xdpchain_drop xdpchain_final" ] ||
		fail "chain: $(chain_names $IF0)"
	start_capture /tmp/m.pcapng --pcapng -c 3 'not arp'
	local mac
	mac=$(cat /sys/class/net/$IF0/address)
	ip netns exec $PEERNS "$BIN/pktgen" send $IF1 --dst-mac "$mac" \
		--only vlan100-udp4-dns,udp4-discard,udp4-data 2>/dev/null
	wait_capture /tmp/m.pcapng
	[ "$(pcap_count /tmp/m.pcapng vlan)" -eq 0 ] || fail "a tag survived the chain"
	[ "$(pcap_count /tmp/m.pcapng 'udp dst port 53')" -eq 1 ] || fail "untagged DNS frame missing"
	[ "$(pcap_count /tmp/m.pcapng 'udp dst port 9')" -eq 1 ] || fail "dropped frame missing"
	[ "$(grep -a -o 'xdp action: drop' /tmp/m.pcapng | wc -l)" -eq 1 ] || fail "drop not marked"
	[ "$(count_of 0)" -ge 3 ] || fail "count saw $(count_of 0)"
}

# xdpchain says which dispatcher object chains use, and uses it: its own on
# every kernel (per-member counters and every fate need it), libxdp's when
# asked for.
test_matrix_dispatcher_choice() {
	xdpchain -j features | jq -e .freplace >/dev/null || skip "kernel refuses freplace"
	local want=xdpchain
	xdpchain -j features | jq -e --arg w $want '.dispatcher == $w' >/dev/null ||
		fail "features: $(xdpchain -j features)"
	setup_veth
	xdpchain add $IF0 "$SAMPLES/drop.o" >/dev/null
	status_json $IF0 | jq -e --arg w $want '.dispatcher_object == $w' >/dev/null ||
		fail "status: $(status_json $IF0)"
}

# With libxdp's object forced where it cannot work, the error names the
# cause and the fix, and nothing changes.
test_matrix_stock_dispatcher_error() {
	xdpchain -j features | jq -e .freplace >/dev/null || skip "kernel refuses freplace"
	stock_takes_pkt_changes && skip "libxdp's dispatcher takes such members here"
	setup_veth
	local before
	before=$(snapshot $IF0)
	XDPCHAIN_DISPATCHER=system expect_fail 1 \
		"cannot hold programs that tail-call or change packet data.*unset XDPCHAIN_DISPATCHER" \
		add $IF0 "$SAMPLES/count.o"
	assert_unchanged $IF0 "$before"
}

# xdp-loader of the same release on an xdpchain chain. Where its built-in
# dispatcher takes members that change packet data, it adds and removes a
# program, and the chain keeps its final stage last, the hook carrying
# packets, xdpchain still changing it. Where it does not (6.12+ with libxdp
# before 1.5.5), both fail and the chain stays exactly as it was.
test_matrix_xdp_loader_interop() {
	xdpchain -j features | jq -e .freplace >/dev/null || skip "kernel refuses freplace"
	setup_veth
	xdpchain add $IF0 "$SAMPLES/count.o" >/dev/null
	local before cid pid
	before=$(snapshot $IF0)
	cid=$(status_json $IF0 | jq -r '.programs[0].id')
	if stock_takes_pkt_changes; then
		xdp-loader load $IF0 "$TESTOBJ/pass.o" >/dev/null 2>&1 ||
			fail "xdp-loader could not add to xdpchain's chain"
		[ "$(chain_names $IF0)" = "xdpchain_count xdp_test_pass xdpchain_final" ] ||
			fail "after xdp-loader load: $(chain_names $IF0)"
		pid=$(status_json $IF0 | jq -r '.programs[] | select(.name == "xdp_test_pass") | .id')
		xdp-loader unload $IF0 -i "$pid" >/dev/null 2>&1 ||
			fail "xdp-loader could not remove its program from the chain"
		[ "$(chain_names $IF0)" = "xdpchain_count xdpchain_final" ] ||
			fail "after xdp-loader unload: $(chain_names $IF0)"
	else
		xdp-loader load $IF0 "$TESTOBJ/pass.o" >/dev/null 2>&1 &&
			fail "xdp-loader added a program beside a final stage its dispatcher cannot run"
		assert_unchanged $IF0 "$before"
		xdp-loader unload $IF0 -i "$cid" >/dev/null 2>&1 &&
			fail "xdp-loader rebuilt the chain on a dispatcher that cannot run its final stage"
		assert_unchanged $IF0 "$before"
	fi
	status_json $IF0 | jq -e '.problem == null and .programs[-1].final' >/dev/null ||
		fail "chain damaged: $(status_json $IF0)"
	# the chain still works: packets through count and the final stage into a capture
	start_capture /tmp/x.pcap -c 2 'udp dst port 40000'
	send_udp 40000 2
	wait_capture /tmp/x.pcap
	[ "$(pcap_count /tmp/x.pcap)" -eq 2 ] || fail "capture after xdp-loader: $(pcap_count /tmp/x.pcap)"
	xdpchain add $IF0 "$SAMPLES/drop.o" >/dev/null
	[ "$(chain_names $IF0)" = "xdpchain_count xdpchain_drop xdpchain_final" ] ||
		fail "xdpchain add after xdp-loader: $(chain_names $IF0)"
}

# A dispatcher of the other libxdp generation (version 3 where xdpchain is
# built against libxdp 1.3-1.5, version 2 where against 1.6), as another
# tool would leave it: status explains in one line and changes nothing; add
# and flush refuse with that line and change nothing. No freplace needed.
test_matrix_foreign_dispatcher_version() {
	local own foreign before line
	own=$(xdpchain -j features | jq -r .dispatcher_version)
	foreign=$((own == 2 ? 3 : 2))
	setup_veth
	bpftool prog load "$TESTOBJ/foreign_dispatcher.o" "$BPFFS/xc_foreign" type xdp
	defer "rm -f $BPFFS/xc_foreign"
	ip link set dev $IF0 xdpgeneric pinned "$BPFFS/xc_foreign"
	defer "ip link set dev $IF0 xdpgeneric off"
	# without libxdp's pins first (libxdp 1.6 then takes it for a single
	# program), then with them, as the other generation's libxdp leaves it
	local id pins step
	id=$(xdp_prog_id $IF0)
	pins=$BPFFS/xdp/dispatch-$(cat /sys/class/net/$IF0/ifindex)-$id
	# libxdp's lock directory, which any libxdp read of a dispatcher creates
	mkdir -p "$BPFFS/xdp"
	for step in bare pinned; do
		if [ $step = pinned ]; then
			mkdir -p "$pins"
			defer "rmdir $pins"
		fi
		before=$(snapshot $IF0)
		status_json $IF0 | jq -e --argjson v $foreign \
			'.kind == "dispatcher" and .dispatcher_version == $v and (.problem | test("config version"))' \
			>/dev/null || fail "$step: status -j: $(status_json $IF0)"
		line=$(xdpchain status $IF0 | grep WARNING) || fail "no warning: $(xdpchain status $IF0)"
		grep -Eq "has config version $foreign \(built by libxdp [0-9.+-]+\).*version $own\) can .*change it with tools of" <<<"$line" ||
			fail "$step: status says: $line"
		assert_unchanged $IF0 "$before"
	done
	expect_fail 1 "has config version $foreign .*nothing was changed" add $IF0 "$SAMPLES/count.o"
	assert_unchanged $IF0 "$before"
	expect_fail 1 "has config version $foreign .*nothing was changed" flush $IF0
	assert_unchanged $IF0 "$before"
}
