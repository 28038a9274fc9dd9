# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Capture tests that need no chain: they run on the freplace-less host too.

test_capture_standalone_hook() {
	capture_standalone_hook_body
}

test_capture_big_frames() {
	capture_big_frames_body
}

test_capture_no_chain_on_host() {
	setup_veth
	expect_fail 1 "$IF0 has no xdpchain chain" capture $IF0 -w /tmp/nc.pcap
}

# Packets of $2 bytes of UDP payload to port 9, which the standalone drop
# sample hands to its hook: send_big9 COUNT BYTES.
send_big9() {
	send_udp 9 "$1" "$(printf 'x%.0s' $(seq "$2"))"
}

# A second capture onto a running capture's file fails "busy" without
# touching the file: the first capture's pcap stays whole.
test_capture_busy_keeps_file() {
	setup_standalone_hook
	local pin=$STANDALONE_PIN rc=0
	start_capture /tmp/f.pcap --hook "$pin" 'udp port 9'
	send_big9 10 600
	# until the file holds packets, so emptying it would show
	for _ in $(seq 100); do
		[ "$(stat -c %s /tmp/f.pcap 2>/dev/null || echo 0)" -ge 4096 ] && break
		sleep 0.1
	done
	[ "$(stat -c %s /tmp/f.pcap)" -ge 4096 ] || fail "the first capture wrote nothing yet"
	expect_fail 1 "another xdpchain capture \\(pid $CAP_PID\\)" capture --hook "$pin" -w /tmp/f.pcap
	send_big9 2 600
	stop_capture /tmp/f.pcap
	tcpdump -Z root -nn -r /tmp/f.pcap >/tmp/f.txt 2>/tmp/f.err || rc=$?
	[ $rc -eq 0 ] || fail "tcpdump cannot read the first capture's file: $(cat /tmp/f.err)"
	[ "$(grep -c '> 192.0.2.1.9: UDP, length 601' /tmp/f.txt)" -eq 12 ] ||
		fail "the first capture's file lacks packets: $(head -3 /tmp/f.txt)"
}

# A capture that cannot start leaves an existing -w file byte for byte.
test_capture_failed_start_keeps_file() {
	setup_standalone_hook
	local pin=$STANDALONE_PIN
	head -c 3000 /dev/urandom >/tmp/keep.pcap
	cp /tmp/keep.pcap /tmp/keep.orig
	kept() {
		cmp -s /tmp/keep.pcap /tmp/keep.orig || fail "$1 changed the -w file"
	}
	expect_fail 1 "bad filter expression 'udp port'" capture --hook "$pin" -w /tmp/keep.pcap 'udp port'
	kept "a bad filter"
	expect_fail 1 "cannot open the hook pinned at $BPFFS/nothing" capture --hook "$BPFFS/nothing" \
		-w /tmp/keep.pcap
	kept "a bad hook"
	# another tool's program in the drop slot (here the sample itself)
	bpftool map update pinned "$pin" key 1 0 0 0 value pinned "$BPFFS/xc_drop"
	expect_fail 1 "drop slot is taken by program id" capture --hook "$pin" -w /tmp/keep.pcap
	kept "a taken slot"
	bpftool map delete pinned "$pin" key 1 0 0 0
	start_capture /tmp/other.pcap --hook "$pin"
	expect_fail 1 "another xdpchain capture \\(pid $CAP_PID\\)" capture --hook "$pin" -w /tmp/keep.pcap
	kept "a busy hook"
	stop_capture /tmp/other.pcap
	[ "$(hook_slots "$pin")" = "0 0 0 0 0" ] || fail "slots left: $(hook_slots "$pin")"
}

# -w never follows a symbolic link (root could be led into another user's
# file) and writes only to regular files, pipes and character devices.
test_capture_output_kinds() {
	setup_standalone_hook
	local pin=$STANDALONE_PIN
	head -c 3000 /dev/urandom >/tmp/victim
	chown 65534:65534 /tmp/victim
	cp -p /tmp/victim /tmp/victim.orig
	ln -s /tmp/victim /tmp/link.pcap
	expect_fail 1 "-w /tmp/link.pcap is a symbolic link; refusing to follow it" \
		capture --hook "$pin" -w /tmp/link.pcap
	cmp -s /tmp/victim /tmp/victim.orig || fail "the link's target changed"
	ln -s /tmp/nothere /tmp/dangling.pcap
	expect_fail 1 "-w /tmp/dangling.pcap is a symbolic link" capture --hook "$pin" -w /tmp/dangling.pcap
	[ ! -e /tmp/nothere ] || fail "a dangling link's target was created"
	expect_fail 1 "cannot write /tmp: Is a directory" capture --hook "$pin" -w /tmp
	[ "$(hook_slots "$pin")" = "0 0 0 0 0" ] || fail "slots left: $(hook_slots "$pin")"
	# a character device is written to
	CAP_LOG=/tmp/null.log start_capture /dev/null --hook "$pin" -c 2 'udp port 9'
	send_udp 9 2
	wait_capture /tmp/null
	grep -q "2 packets written" /tmp/null.log || fail "summary: $(cat /tmp/null.log)"
}
