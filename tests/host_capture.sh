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
