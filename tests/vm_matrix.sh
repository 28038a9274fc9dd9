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
	kernel_before_612 && skip "libxdp's dispatcher works on $(uname -r)"
	setup_veth
	local before
	before=$(snapshot $IF0)
	XDPCHAIN_DISPATCHER=system expect_fail 1 \
		"cannot hold programs that tail-call or change packet data.*unset XDPCHAIN_DISPATCHER" \
		add $IF0 "$SAMPLES/count.o"
	assert_unchanged $IF0 "$before"
}
