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

# libpcap is loaded only by a capture: without it (hidden in this test's own
# mount namespace) other commands run, and a capture fails with one line
# naming the package, leaving the -w file as it was.
test_capture_without_libpcap() {
	local lib
	lib=$(ldconfig -p | awk '$1 == "libpcap.so.0.8" { print $NF; exit }')
	[ -n "$lib" ] || skip "no libpcap.so.0.8 to hide"
	setup_veth
	mount --bind /dev/null "$(readlink -f "$lib")"
	defer "umount $(readlink -f "$lib")"
	"$XDPCHAIN" status >/dev/null || fail "status needs libpcap"
	echo keep >/tmp/nolib.pcap
	expect_fail 1 "^xdpchain capture: libpcap is not installed: apt install libpcap0\.8$" \
		capture --hook "$BPFFS/nothing" -w /tmp/nolib.pcap udp
	[ "$(cat /tmp/nolib.pcap)" = keep ] || fail "the -w file changed"
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

# Captured packets are private: the file is created 0600 (as dumpcap), the
# umask whatever it is. In a directory others can write to (the 1777 /tmp),
# what another user planted at the -w path (a symbolic link to a root-only
# file, a regular file, a FIFO with or without its reader) is refused
# before a byte is written, without waiting for a FIFO's reader, and so is
# a hard link to a file of root's. A nobody-owned file in a directory only
# root writes to is written (root chose it).
test_capture_output_private() {
	setup_standalone_hook
	local pin=$STANDALONE_PIN reader
	umask 000
	start_capture /tmp/new.pcap --hook "$pin" -c 1 'udp port 9'
	send_udp 9 1
	wait_capture /tmp/new.pcap
	[ "$(stat -c '%a %U' /tmp/new.pcap)" = "600 root" ] ||
		fail "the capture file is $(stat -c '%a %U' /tmp/new.pcap), not 600 root"
	umask 022
	# a link nobody planted, to a root-only file
	echo secret >/tmp/rootonly
	chmod 600 /tmp/rootonly
	as_nobody ln -s /tmp/rootonly /tmp/l.pcap
	expect_fail 1 "-w /tmp/l.pcap is a symbolic link; refusing to follow it" \
		capture --hook "$pin" -w /tmp/l.pcap
	[ "$(cat /tmp/rootonly)" = secret ] || fail "the link's target changed"
	# a file nobody owns
	as_nobody sh -c 'echo mine >/tmp/n.pcap'
	expect_fail 1 "^xdpchain capture: -w /tmp/n.pcap belongs to uid 65534 in a directory others can write to: .*remove it first or choose another path$" \
		capture --hook "$pin" -w /tmp/n.pcap
	[ "$(cat /tmp/n.pcap)" = mine ] || fail "nobody's file was written: $(od -c /tmp/n.pcap | head -2)"
	# a FIFO nobody owns, no reader: refused, not waited on
	as_nobody mkfifo /tmp/f.pcap
	expect_fail 1 "-w /tmp/f.pcap belongs to uid 65534" capture --hook "$pin" -w /tmp/f.pcap
	# and with nobody reading it: the reader gets nothing
	as_nobody mkfifo /tmp/r.pcap
	# setpriv itself in the background: $! is the reader (cat), to kill
	setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'exec cat /tmp/r.pcap >/tmp/got' \
		</dev/null >/dev/null 2>&1 &
	reader=$!
	defer "kill $reader"
	expect_fail 1 "-w /tmp/r.pcap belongs to uid 65534" capture --hook "$pin" -w /tmp/r.pcap
	kill $reader
	wait $reader 2>/dev/null || true
	[ ! -s /tmp/got ] || fail "nobody's FIFO got $(stat -c %s /tmp/got) bytes"
	[ "$(hook_slots "$pin")" = "0 0 0 0 0" ] || fail "slots left: $(hook_slots "$pin")"
	# a second name of a file of root's (a hard link) is not emptied
	echo keep >/tmp/rootfile
	ln /tmp/rootfile /tmp/h.pcap
	expect_fail 1 "^xdpchain capture: -w /tmp/h.pcap has 2 hard links in a directory others can write to" \
		capture --hook "$pin" -w /tmp/h.pcap
	[ "$(cat /tmp/rootfile)" = keep ] || fail "the hard link's file was emptied"
	# nobody's file where only root writes: root chose it
	mkdir -m 755 /tmp/rootdir
	touch /tmp/rootdir/n.pcap
	chown 65534:65534 /tmp/rootdir/n.pcap
	start_capture /tmp/rootdir/n.pcap --hook "$pin" -c 1 'udp port 9'
	send_udp 9 1
	wait_capture /tmp/rootdir/n.pcap
	[ "$(pcap_count /tmp/rootdir/n.pcap)" -eq 1 ] || fail "the file in root's directory lacks the packet"
}

# wait_slots_or_exit PID: until a capture's programs are in the standalone
# hook (packets before that prove nothing) or process PID ended.
wait_slots_or_exit() {
	local i
	for ((i = 0; i < 300; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		[ "$(hook_slots "$STANDALONE_PIN")" != "0 0 0 0 0" ] && return 0
		sleep 0.05
	done
	fail "the capture never put its programs into the hook"
}

# run_capture_until_exit LOG ARGS...: a capture in the background, fed
# UDP to port 9 until it ends (at most 200 packets); sets CAP_RC.
run_capture_until_exit() {
	local log=$1 i
	shift
	"$XDPCHAIN" capture "$@" 2>"$log" &
	CAP_PID=$!
	defer "kill $CAP_PID"
	wait_slots_or_exit $CAP_PID
	for ((i = 0; i < 200; i++)); do
		kill -0 $CAP_PID 2>/dev/null || break
		send_big9 1 600
	done
	CAP_RC=0
	wait $CAP_PID || CAP_RC=$?
}

# Write errors end the capture with one line naming the file, the error and
# how many packets reached the file, and exit 1: a device that takes
# nothing, and a file system that fills up half way.
test_capture_write_errors() {
	setup_standalone_hook
	local fmt opt n
	mkdir /tmp/small
	mount -t tmpfs -o size=12k tmpfs /tmp/small
	for fmt in pcap pcapng; do
		opt=""
		[ $fmt = pcapng ] && opt=--pcapng
		run_capture_until_exit /tmp/full.log --hook "$STANDALONE_PIN" -w /dev/full $opt -c 5 \
			'udp port 9'
		[ $CAP_RC -eq 1 ] || fail "$fmt to /dev/full exited $CAP_RC: $(cat /tmp/full.log)"
		[ "$(cat /tmp/full.log)" = \
			"xdpchain capture: writing /dev/full failed: No space left on device; 0 packets reached it" ] ||
			fail "$fmt to /dev/full said: $(cat /tmp/full.log)"

		run_capture_until_exit /tmp/small.log --hook "$STANDALONE_PIN" -w /tmp/small/f.$fmt $opt \
			'udp port 9'
		[ $CAP_RC -eq 1 ] || fail "$fmt to a full file system exited $CAP_RC: $(cat /tmp/small.log)"
		[ "$(grep -c . /tmp/small.log)" -eq 1 ] || fail "more than one line: $(cat /tmp/small.log)"
		n=$(sed -n "s|^xdpchain capture: writing /tmp/small/f.$fmt failed: No space left on device; \([0-9]*\) packets reached it$|\1|p" /tmp/small.log)
		[ -n "$n" ] || fail "$fmt to a full file system said: $(cat /tmp/small.log)"
		# tcpdump reads exactly those, then finds the cut one
		[ "$n" -gt 0 ] && [ "$(pcap_count /tmp/small/f.$fmt)" -eq "$n" ] ||
			fail "$fmt: said $n packets reached it, tcpdump reads $(pcap_count /tmp/small/f.$fmt)"
		rm /tmp/small/f.$fmt
		[ "$(hook_slots "$STANDALONE_PIN")" = "0 0 0 0 0" ] || fail "slots left"
	done
}

# A reader that closes the pipe ends the capture normally, in both formats.
test_capture_reader_goes_away() {
	setup_standalone_hook
	local fmt opt i
	for fmt in pcap pcapng; do
		opt=""
		[ $fmt = pcapng ] && opt=--pcapng
		rm -f /tmp/p.rc
		(
			"$XDPCHAIN" capture --hook "$STANDALONE_PIN" -w - $opt 'udp port 9' 2>/tmp/p.log |
				head -c 100 >/tmp/p.head
			echo "${PIPESTATUS[0]}" >/tmp/p.rc
		) &
		wait_slots_or_exit $!
		for ((i = 0; i < 200; i++)); do
			[ -e /tmp/p.rc ] && break
			send_big9 1 600
		done
		wait
		[ "$(cat /tmp/p.rc)" = 0 ] || fail "$fmt: exited $(cat /tmp/p.rc): $(cat /tmp/p.log)"
		grep -q "stopping: the reader of the output went away" /tmp/p.log ||
			fail "$fmt: $(cat /tmp/p.log)"
		[ "$(stat -c %s /tmp/p.head)" -eq 100 ] || fail "$fmt: the reader got $(stat -c %s /tmp/p.head) bytes"
	done
}

# SIGHUP (a closed terminal or ssh session) ends a capture as SIGINT does:
# exit 0, the summary, a whole file.
test_capture_sighup() {
	setup_standalone_hook
	local rc=0
	start_capture /tmp/h.pcap --hook "$STANDALONE_PIN" 'udp port 9'
	send_udp 9 3
	for _ in $(seq 100); do
		[ "$(pcap_count /tmp/h.pcap)" -eq 3 ] && break
		sleep 0.1
	done
	kill -HUP $CAP_PID
	wait $CAP_PID || rc=$?
	[ $rc -eq 0 ] || fail "SIGHUP: exit $rc: $(cat /tmp/h.pcap.log)"
	# no chain counts what reached a standalone hook: no "seen" guessed
	grep -q "^xdpchain capture: 3 packets written (matched 3, lost 0)" /tmp/h.pcap.log ||
		fail "summary: $(cat /tmp/h.pcap.log)"
	tcpdump -Z root -nn -r /tmp/h.pcap >/tmp/h.txt 2>/tmp/h.err || fail "tcpdump: $(cat /tmp/h.err)"
	[ "$(grep -c '> 192.0.2.1.9: UDP' /tmp/h.txt)" -eq 3 ] || fail "file: $(cat /tmp/h.txt)"
	[ "$(hook_slots "$STANDALONE_PIN")" = "0 0 0 0 0" ] || fail "slots left"
}

# -j with -w -: stdout is the packet stream, so JSON errors go to stderr;
# with -w FILE they stay on stdout, as for every command.
test_capture_json_errors_off_the_packet_stream() {
	setup_standalone_hook
	local rc
	json_error_on_stderr() {
		local pattern=$1
		shift
		{
			rc=0
			"$XDPCHAIN" "$@" 2>/tmp/j.err || rc=$?
			echo $rc >/tmp/j.rc
		} | cat >/tmp/j.out
		rc=$(cat /tmp/j.rc)
		[ ! -s /tmp/j.out ] || fail "xdpchain $*: JSON in the packet stream: $(cat /tmp/j.out)"
		jq -e --arg p "$pattern" '.error | test($p)' /tmp/j.err >/dev/null ||
			fail "xdpchain $*: stderr is not the JSON error: $(cat /tmp/j.err)"
	}
	json_error_on_stderr "cannot open the hook pinned at" -j capture --hook "$BPFFS/nothing" -w -
	[ "$rc" -eq 1 ] || fail "exit $rc"
	json_error_on_stderr "bad filter expression" capture -p --hook "$STANDALONE_PIN" -w - 'udp port'
	# usage errors too, wherever -j and -w - stand
	json_error_on_stderr "invalid value '0' for --snaplen" -j capture --hook "$STANDALONE_PIN" -w - --snaplen 0
	[ "$rc" -eq 2 ] || fail "exit $rc"
	json_error_on_stderr "unknown option '--bogus'" capture --bogus --hook "$STANDALONE_PIN" -w - -j
	[ "$rc" -eq 2 ] || fail "exit $rc"
	start_capture /tmp/a.pcap --hook "$STANDALONE_PIN"
	json_error_on_stderr "another xdpchain capture" -j capture --hook "$STANDALONE_PIN" -w -
	stop_capture /tmp/a.pcap
	"$XDPCHAIN" -j capture --hook "$BPFFS/nothing" -w /tmp/x.pcap 2>/tmp/j.err >/tmp/j.out || true
	jq -e '.error | test("cannot open the hook")' /tmp/j.out >/dev/null ||
		fail "-w FILE: no JSON error on stdout: $(cat /tmp/j.out)"
}

# pcapng: each packet's action in the standard verdict option (type eBPF
# XDP), read back by tshark as Wireshark users filter it, beside the comment.
test_capture_pcapng_verdict() {
	command -v tshark >/dev/null || fail "tshark missing: make deps installs it"
	setup_standalone_hook
	start_capture /tmp/v.pcapng --hook "$STANDALONE_PIN" --pcapng --actions drop -c 2 'udp port 9'
	send_udp 9 2
	wait_capture /tmp/v.pcapng
	local v
	v=$(tshark -r /tmp/v.pcapng -T fields -e frame.verdict.ebpf_xdp 2>/dev/null | sort | uniq -c)
	[ "$(echo "$v" | awk '{print $1, $2}')" = "2 1" ] || fail "verdicts (count, value): $v"
	[ "$(tshark -r /tmp/v.pcapng -Y 'frame.verdict.ebpf_xdp == 1' 2>/dev/null | wc -l)" -eq 2 ] ||
		fail "the display filter finds no drops"
	tshark -r /tmp/v.pcapng -T fields -e frame.comment 2>/dev/null | grep -q "xdp action: drop" ||
		fail "comment lost: $(tshark -r /tmp/v.pcapng -T fields -e frame.comment 2>&1)"
}

# A standalone hook has no chain: its packets name the program holding the
# hook map (the one that handed them over), never "after the chain".
test_capture_standalone_hook_names_owner() {
	setup_standalone_hook
	local id c
	id=$(bpftool -j prog show pinned "$BPFFS/xc_drop" | jq .id)
	start_capture /tmp/o.pcapng --hook "$STANDALONE_PIN" --pcapng -c 2 'udp port 9'
	send_udp 9 2
	wait_capture /tmp/o.pcapng
	c=$(tshark -r /tmp/o.pcapng -T fields -e frame.comment 2>/dev/null | sort -u)
	[ "$c" = "xdp action: drop; stage: xdpchain_drop (id $id)" ] || fail "comments: $c"
}

# --hook takes a hook map's pin: IFACE beside it is a usage error, and a
# program's pin, a directory or a file off bpffs is named for what it is.
# Nothing is written to -w.
test_capture_hook_what_it_is() {
	setup_standalone_hook
	local id
	id=$(bpftool -j prog show pinned "$BPFFS/xc_drop" | jq .id)
	expect_fail 2 "^xdpchain capture: --hook PIN captures from that hook, not from an interface's chain: drop '$IF0', or --hook" \
		capture $IF0 --hook "$STANDALONE_PIN" -w /tmp/x.pcap
	expect_fail 2 "drop '$IF0'" capture --hook "$STANDALONE_PIN" -w /tmp/x.pcap $IF0 'udp port 9'
	expect_fail 1 "^xdpchain capture: --hook $BPFFS/xc_drop is the BPF program xdpchain_drop \\(id $id\\), not a hook map; give the pin of the xdpcap hook map it uses" \
		capture --hook "$BPFFS/xc_drop" -w /tmp/x.pcap
	expect_fail 1 "^xdpchain capture: --hook $BPFFS/xc_maps is a directory, not a hook map; give the pin of the hook map in it \\(e.g. $BPFFS/xc_maps/xdpcap_hook\\)$" \
		capture --hook "$BPFFS/xc_maps" -w /tmp/x.pcap
	echo text >/tmp/hookfile
	expect_fail 1 "^xdpchain capture: --hook /tmp/hookfile is a file off bpffs, not a pinned hook map" \
		capture --hook /tmp/hookfile -w /tmp/x.pcap
	[ ! -e /tmp/x.pcap ] || fail "-w was written"
	[ "$(hook_slots "$STANDALONE_PIN")" = "0 0 0 0 0" ] || fail "slots: $(hook_slots "$STANDALONE_PIN")"
}

# A flood of 100,000 packets (BPF_PROG_TEST_RUN with a repeat count)
# through the standalone drop sample's hook: every packet is in the file or
# counted lost, exactly (a count, not a timing). With the default buffer,
# and with one page per CPU, where losses are certain: a full buffer fails
# the copy and later reports the sample lost, one packet counted once.
# Packets from two CPUs at once: each CPU has its own ring, and the file
# gets them merged by time (timestamps never go back), each one written or
# counted lost.
test_capture_two_cpus_merged() {
	[ "$(nproc)" -ge 2 ] || skip "one CPU"
	setup_standalone_hook
	local pin=$STANDALONE_PIN n=200000 written lost back
	printf '\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00\x45\x00\x00\x32\x00\x01\x00\x00\x40\x11\x00\x00\xc0\x00\x02\x02\xc0\x00\x02\x01\x30\x39\x00\x09\x00\x1e\x00\x00%022d' 0 >/tmp/flood.bin
	start_capture /tmp/two.pcap --hook "$pin" 'udp port 9'
	taskset -c 0 bpftool prog run pinned "$BPFFS/xc_drop" data_in /tmp/flood.bin repeat $n \
		>/tmp/run0 2>&1 &
	taskset -c 1 bpftool prog run pinned "$BPFFS/xc_drop" data_in /tmp/flood.bin repeat $n \
		>/tmp/run1 2>&1 || fail "test run on CPU 1: $(cat /tmp/run1)"
	wait $! || fail "test run on CPU 0: $(cat /tmp/run0)"
	stop_capture /tmp/two.pcap
	written=$(sed -n 's/^xdpchain capture: \([0-9]*\) packets written.*/\1/p' /tmp/two.pcap.log)
	lost=$(sed -n 's/^xdpchain capture: .*, lost \([0-9]*\)).*/\1/p' /tmp/two.pcap.log)
	[ -n "$written" ] && [ -n "$lost" ] || fail "no summary: $(cat /tmp/two.pcap.log)"
	[ $((written + lost)) -eq $((2 * n)) ] ||
		fail "written $written + lost $lost != $((2 * n)) sent: $(cat /tmp/two.pcap.log)"
	[ "$(pcap_count /tmp/two.pcap)" -eq "$written" ] || fail "the file holds other than $written"
	back=$(tcpdump -Z root -nn -tt -r /tmp/two.pcap 2>/dev/null |
		awk '$1 < last { n++ } { last = $1 } END { print n + 0 }')
	[ "$back" -eq 0 ] || fail "$back packets earlier than the one before them"
	echo "$written written, $lost lost, in time order"
}

# Rings the memory cgroup cannot hold: one line naming --buffer, exit 1,
# nothing left in the hook, no output file; a smaller --buffer then works.
test_capture_rings_over_memory_limit() {
	setup_standalone_hook
	local cg=$TEST_TMP/cg err rc=0
	mkdir "$cg"
	mount -t cgroup -o memory cgroup "$cg" 2>/dev/null || skip "no cgroup v1 memory controller"
	defer "umount $cg"
	mkdir "$cg/xc"
	defer "rmdir $cg/xc"
	# the default rings (64 MiB in all) do not fit; 2 x 4 MiB do
	echo 48M >"$cg/xc/memory.limit_in_bytes"
	err=$(
		echo $BASHPID >"$cg/xc/cgroup.procs"
		exec timeout 60 "$XDPCHAIN" capture --hook "$STANDALONE_PIN" -w /tmp/mem.pcap 2>&1
	) || rc=$?
	[ $rc -eq 1 ] || fail "exit $rc: $err"
	[ "$(printf '%s\n' "$err" | grep -c .)" -eq 1 ] || fail "more than one line: $err"
	[[ $err == *"ring buffer"*"--buffer PAGES"* ]] || fail "said: $err"
	[ "$(hook_slots "$STANDALONE_PIN")" = "0 0 0 0 0" ] || fail "slots left: $(hook_slots "$STANDALONE_PIN")"
	[ ! -e /tmp/mem.pcap ] || fail "the output was created"
	(
		echo $BASHPID >"$cg/xc/cgroup.procs"
		exec "$XDPCHAIN" capture --hook "$STANDALONE_PIN" -w /tmp/mem.pcap --buffer 1024 \
			2>/tmp/mem.log
	) &
	CAP_PID=$!
	defer "kill $CAP_PID 2>/dev/null"
	for _ in $(seq 300); do
		[ "$(hook_slots "$STANDALONE_PIN")" != "0 0 0 0 0" ] && break
		kill -0 $CAP_PID 2>/dev/null || fail "--buffer 1024 failed: $(cat /tmp/mem.log)"
		sleep 0.1
	done
	[ "$(hook_slots "$STANDALONE_PIN")" != "0 0 0 0 0" ] || fail "--buffer 1024 never started"
	stop_capture /tmp/mem
}

# A capture's hook-ID.lock in /run/xdpchain is held while it runs and
# removed when it ends (none pile up, one per hook ever captured); the one
# a SIGKILLed capture leaves goes with the next capture of the hook, or
# with cleanup once the hook is gone.
test_capture_hook_locks_go_away() {
	setup_standalone_hook
	local id lock pin=$STANDALONE_PIN
	id=$(bpftool -j map show pinned "$pin" | jq -r .id)
	lock=/run/xdpchain/hook-$id.lock
	start_capture /tmp/l.pcap --hook "$pin" 'udp port 9'
	is_flocked "$lock" || fail "$lock not held during the capture"
	stop_capture /tmp/l
	[ -z "$(ls /run/xdpchain/ | grep '^hook-')" ] || fail "left: $(ls /run/xdpchain)"
	start_capture /tmp/l.pcap --hook "$pin" 'udp port 9'
	kill -KILL $CAP_PID
	wait $CAP_PID 2>/dev/null || true
	[ -e "$lock" ] || fail "no lock file after SIGKILL (the test needs one)"
	start_capture /tmp/l.pcap --hook "$pin" 'udp port 9'
	stop_capture /tmp/l
	[ ! -e "$lock" ] || fail "the next capture left $lock"
	# killed again, then the hook goes: cleanup removes the file
	start_capture /tmp/l.pcap --hook "$pin" 'udp port 9'
	kill -KILL $CAP_PID
	wait $CAP_PID 2>/dev/null || true
	[ -e "$lock" ] || fail "no lock file after SIGKILL (the test needs one)"
	ip link set dev $IF0 xdpgeneric off
	rm -rf "$BPFFS/xc_drop" "$BPFFS/xc_maps"
	for _ in $(seq 300); do # the kernel frees the map after an RCU grace period
		bpftool map show id "$id" >/dev/null 2>&1 || break
		sleep 0.1
	done
	! bpftool map show id "$id" >/dev/null 2>&1 || fail "hook map $id still there"
	xdpchain -j cleanup | jq -e --arg l "$lock" '.removed | index($l) != null' >/dev/null ||
		fail "cleanup did not list $lock"
	[ ! -e "$lock" ] || fail "cleanup left $lock"
}

# --buffer is pages per CPU: all CPUs' rings together are capped (256 MiB),
# refused up front as a usage error naming --buffer and the most allowed;
# the hook and the output untouched. Bad --snaplen/--buffer values name
# their option.
test_capture_buffer_total_capped() {
	setup_standalone_hook
	local ncpu=0 r
	for r in $(tr ',' ' ' </sys/devices/system/cpu/possible); do
		ncpu=$((ncpu + ${r#*-} - ${r%-*} + 1))
	done
	[ "$ncpu" -ge 2 ] || skip "one possible CPU: --buffer 65536 (256 MiB) is within the cap"
	expect_fail 2 "^xdpchain capture: --buffer 65536 asks for 256 MiB per CPU, $((256 * ncpu)) MiB for the $ncpu CPUs; .*256 MiB in all: use --buffer [0-9]+ or less" \
		capture --hook "$STANDALONE_PIN" -w /tmp/cap.pcap --buffer 65536
	expect_fail 2 "invalid value '3' for --buffer: expected a power of two" \
		capture --hook "$STANDALONE_PIN" -w /tmp/cap.pcap --buffer 3
	expect_fail 2 "invalid value '0' for --snaplen: expected a positive" \
		capture --hook "$STANDALONE_PIN" -w /tmp/cap.pcap --snaplen 0
	[ "$(hook_slots "$STANDALONE_PIN")" = "0 0 0 0 0" ] || fail "slots taken: $(hook_slots "$STANDALONE_PIN")"
	[ ! -e /tmp/cap.pcap ] || fail "the output was created"
}

test_capture_flood_accounted() {
	setup_standalone_hook
	local pin=$STANDALONE_PIN n=100000 buf written lost infile
	# 64 bytes: UDP 192.0.2.2:12345 -> 192.0.2.1:9
	printf '\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00\x45\x00\x00\x32\x00\x01\x00\x00\x40\x11\x00\x00\xc0\x00\x02\x02\xc0\x00\x02\x01\x30\x39\x00\x09\x00\x1e\x00\x00%022d' 0 >/tmp/flood.bin
	for buf in default 1; do
		local opt=()
		[ $buf = default ] || opt=(--buffer $buf)
		start_capture /tmp/flood.pcap --hook "$pin" "${opt[@]}" 'udp port 9'
		bpftool prog run pinned "$BPFFS/xc_drop" data_in /tmp/flood.bin repeat $n >/tmp/flood.run 2>&1 ||
			fail "test run: $(cat /tmp/flood.run)"
		grep -q "Return value: 1," /tmp/flood.run || fail "not dropped: $(cat /tmp/flood.run)"
		stop_capture /tmp/flood.pcap
		written=$(sed -n 's/^xdpchain capture: \([0-9]*\) packets written.*/\1/p' /tmp/flood.pcap.log)
		lost=$(sed -n 's/^xdpchain capture: .*, lost \([0-9]*\)).*/\1/p' /tmp/flood.pcap.log)
		[ -n "$written" ] && [ -n "$lost" ] || fail "no summary: $(cat /tmp/flood.pcap.log)"
		[ $((written + lost)) -eq $n ] ||
			fail "--buffer $buf: written $written + lost $lost != $n sent: $(cat /tmp/flood.pcap.log)"
		infile=$(pcap_count /tmp/flood.pcap)
		[ "$infile" -eq "$written" ] || fail "--buffer $buf: $infile packets in the file, $written said"
		[ $buf = default ] || [ "$lost" -gt 0 ] || fail "one page per CPU lost nothing"
		echo "--buffer $buf: $written written, $lost lost"
	done
}

# --kernel-drops: an interface block of its own needs pcapng, and the
# chain's interface (not --hook); both are usage errors that leave the hook
# and the output as they were, and nothing is loaded for them.
test_capture_kernel_drops_usage() {
	setup_standalone_hook
	expect_fail 2 "^xdpchain capture: --kernel-drops writes the kernel's drops as an interface of their own \(IFACE:kernel\), which pcap has not: add --pcapng" \
		capture $IF0 -w /tmp/kd.pcap --kernel-drops
	expect_fail 2 "^xdpchain capture: --kernel-drops follows the packets IFACE's chain passed into the kernel: give IFACE, not --hook" \
		capture --hook "$STANDALONE_PIN" -w /tmp/kd.pcap --pcapng --kernel-drops
	[ "$(hook_slots "$STANDALONE_PIN")" = "0 0 0 0 0" ] || fail "slots taken: $(hook_slots "$STANDALONE_PIN")"
	[ ! -e /tmp/kd.pcap ] || fail "the output was created"
	bpftool prog show 2>/dev/null | grep -q xdpchain_kdrop && fail "kernel drop program loaded"
	true
}
