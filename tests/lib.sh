# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Helpers shared by the test files; sourced by tests/run.sh.

XDPCHAIN=${XDPCHAIN:-$ROOT/.output/bin/xdpchain-asan}
SAMPLES=$ROOT/.output/bpf
TESTOBJ=$ROOT/.output/tests
BIN=$ROOT/.output/bin
BPFFS=${LIBXDP_BPFFS:-/sys/fs/bpf}
# ASan: report leaks and stop on the first error; the BPF syscalls are fine.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=98}

IF0=xc0 # XDP side, in the namespace that holds bpffs
IF1=xc1 # peer, in netns $PEERNS
PEERNS=xcpeer
ADDR0=192.0.2.1 # TEST-NET-1: never routed anywhere
ADDR1=192.0.2.2

fail() {
	echo "FAIL-REASON: $*" >&2
	exit 1
}

skip() {
	echo "SKIP-REASON: $*" >&2
	exit 77
}

# Cleanup steps run in reverse order when the test's subshell exits.
_deferred=()
defer() {
	_deferred=("$*" "${_deferred[@]}")
}
run_deferred() {
	local c
	for c in "${_deferred[@]}"; do
		eval "$c" >/dev/null 2>&1 || true
	done
}

xdpchain() {
	"$XDPCHAIN" "$@"
}

# The upgrade tests' older build (tests/vm/suite.sh: XDPCHAIN_OLD), or a
# skip that says why there is none.
need_old_build() {
	[ -n "${XDPCHAIN_OLD:-}" ] && [ -x "$XDPCHAIN_OLD" ] && return 0
	[ "${XDPCHAIN_OLD_WHY:-}" != userland ] ||
		skip "no older xdpchain: tests/vm/old-build.sh builds it with Debian 12's userland, not this guest's"
	skip "no older xdpchain: this clone lacks 6ca9dff (shallow?) or it did not build (tests/vm/old-build.sh); XDPCHAIN_OLD=PATH for tests/vm/suite.sh"
}

# Skips the test where the kernel refuses freplace (chains need it).
# (features -j is xdpchain's own compact JSON: matched without a jq, which
# costs ~2 s a call under qemu TCG, see NOTES.md)
vm_only() {
	[[ $(xdpchain -j features) == *'"freplace":true'* ]] ||
		skip "kernel refuses freplace; run in the VM (make vm-test)"
}

# Runs xdpchain and expects failure with exit code $1 and a one-line error
# matching $2 (a grep -E pattern). Output goes to $LAST_ERR.
# A command that wrongly succeeds (a capture that runs) is stopped after 120 s
# (EXPECT_TIMEOUT=N expect_fail ...: after N s, a guard against a hang only).
expect_fail() {
	local want_rc=$1 pattern=$2 rc=0
	shift 2
	LAST_ERR=$(timeout "${EXPECT_TIMEOUT:-120}" "$XDPCHAIN" "$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" -eq "$want_rc" ] ||
		fail "xdpchain $* exited $rc, wanted $want_rc; said: $LAST_ERR"
	[ "$(printf '%s\n' "$LAST_ERR" | grep -c .)" -eq 1 ] ||
		fail "xdpchain $* printed more than one error line: $LAST_ERR"
	printf '%s\n' "$LAST_ERR" | grep -Eq -- "$pattern" ||
		fail "xdpchain $* said '$LAST_ERR', wanted /$pattern/"
}

# Runs a command as nobody (uid and gid 65534, no groups).
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

# True while somebody holds a flock on PATH (which exists).
is_flocked() {
	local rc=0
	flock -n -E 99 "$1" true 2>/dev/null || rc=$?
	[ $rc -eq 99 ]
}

# nobody_flock PATH: as nobody, opens PATH (read-only, as flock(1) does)
# and holds an exclusive flock on it until the test ends. Returns 0 once
# the lock is held, 1 when nobody cannot open or lock PATH.
nobody_flock() {
	local path=$1 pid
	# one process from setpriv to sleep: killing it drops the lock. It
	# waits out is_flocked's own brief lock. setpriv itself, not as_nobody:
	# $! of a shell function run in the background is a subshell, and
	# killing that left the sleep holding the lock for its 600 s.
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		bash -c 'exec 9<"$1" && flock -w 10 9 && exec sleep 600' _ "$path" \
		</dev/null >/dev/null 2>&1 &
	pid=$!
	defer "kill $pid"
	for _ in $(seq 200); do
		kill -0 $pid 2>/dev/null || return 1
		is_flocked "$path" && return 0
		sleep 0.05
	done
	fail "nobody's flock on $path neither taken nor refused"
}

# hold_chain_lock: holds xdpchain's chain lock (as a running change would)
# until the test ends: a command that must refuse its input before any lock
# says so at once instead of waiting for the lock and failing on it.
hold_chain_lock() {
	local lock=/run/xdpchain/chain.lock pid
	mkdir -p -m 0700 /run/xdpchain
	[ -e $lock ] || install -m 0600 /dev/null $lock
	bash -c 'exec 9<"$1" && flock -w 10 9 && exec sleep 600' _ $lock </dev/null >/dev/null 2>&1 &
	pid=$!
	CHAIN_LOCK_PID=$pid
	defer "kill $pid"
	for _ in $(seq 200); do
		is_flocked $lock && return 0
		sleep 0.05
	done
	fail "could not take $lock"
}

# Lets go of hold_chain_lock's lock before the test ends.
release_chain_lock() {
	kill "$CHAIN_LOCK_PID" 2>/dev/null
	wait "$CHAIN_LOCK_PID" 2>/dev/null || true
}

# A veth pair: $IF0 here (XDP goes there), $IF1 in netns $PEERNS. In few
# processes: each ip costs ~100 ms under TCG, and most tests start here.
setup_veth() {
	local mac0 mac1
	ip netns add $PEERNS
	defer "ip netns del $PEERNS"
	ip link add $IF0 type veth peer name $IF1
	defer "ip link del $IF0"
	# full checksums from the sender (no offload), so a rewrite that breaks
	# them shows up as "bad udp cksum" in the capture (set before the move:
	# a device keeps its features in its new namespace)
	ethtool -K $IF1 tx off >/dev/null
	read -r mac0 </sys/class/net/$IF0/address
	read -r mac1 </sys/class/net/$IF1/address
	# no IPv6 autoconfiguration chatter (MLD, RS) in the tests' captures;
	# static neighbours: no ARP needs to cross the chain under test
	echo 1 >/proc/sys/net/ipv6/conf/$IF0/disable_ipv6
	ip -batch - <<-EOF
		link set $IF1 netns $PEERNS
		addr add $ADDR0/24 dev $IF0
		link set $IF0 up
		neigh replace $ADDR1 lladdr $mac1 dev $IF0
	EOF
	# a device moved to a namespace gets that namespace's IPv6 settings
	ip netns exec $PEERNS bash -c "echo 1 >/proc/sys/net/ipv6/conf/$IF1/disable_ipv6"
	ip -n $PEERNS -batch - <<-EOF
		addr add $ADDR1/24 dev $IF1
		link set $IF1 up
		link set lo up
		neigh replace $ADDR0 lladdr $mac0 dev $IF1
	EOF
	defer "xdpchain flush $IF0"
}

# send_udp PORT [COUNT] [PAYLOAD]: UDP from the peer to $ADDR0:PORT.
send_udp() {
	local port=$1 count=${2:-1} payload=${3:-xdpchain-test-payload-0123456789}
	ip netns exec $PEERNS bash -c "for i in \$(seq $count); do echo '$payload' > /dev/udp/$ADDR0/$port; done"
}

# send_udp_ports PORT...: one UDP datagram from the peer to each
# $ADDR0:PORT, in this order, from one process.
send_udp_ports() {
	ip netns exec $PEERNS bash -c "for p; do echo xdpchain-test-payload-0123456789 >/dev/udp/$ADDR0/\$p; done" _ "$@"
}

# record_traffic OUT: frames for every sample's decision, VLAN-tagged ones
# included, sent by the peer and recorded by tcpdump on $IF0 into OUT.
record_traffic() {
	tcpdump_start "$1" "$TEST_TMP/tcpdump.err" -i $IF0 udp
	send_udp_ports 7003 7004 7005 40002 9 9999
	ip netns exec $PEERNS "$BIN/pktgen" send $IF1 --only vlan100-udp4-dns,udp4-data >/dev/null 2>&1
	tcpdump_stop "$1" 8
}

# The kernel's view: XDP prog id attached to an interface (0: none).
# (ip -o: the first "prog/xdp... id N", as .xdp.prog.id or, in multi
# mode, .xdp.attached[0] of ip -j; matched here, not by a jq process)
xdp_prog_id() {
	local l re='prog/xdp[a-z]* id ([0-9]+)'
	l=$(ip -o link show dev "$1") || return 1
	if [[ $l =~ $re ]]; then
		echo "${BASH_REMATCH[1]}"
	else
		echo 0
	fi
}

# Everything on bpffs and the interface's XDP state, for before/after checks.
snapshot() {
	{
		echo "xdp: $(xdp_prog_id "$1")"
		# libxdp makes <bpffs>/xdp (its lock and pin directory) on first
		# use and keeps it: only what is in it counts
		find "$BPFFS" -mindepth 1 ! -path "$BPFFS/xdp" 2>/dev/null | sort
	}
}

# Fails unless the interface and bpffs are as in snapshot $2.
assert_unchanged() {
	local now
	now=$(snapshot "$1")
	[ "$now" = "$2" ] || fail "state changed: $(diff <(echo "$2") <(echo "$now") | tr '\n' ' ')"
}

# jq_checks [--arg NAME VALUE]... JSON FILTER MESSAGE [FILTER MESSAGE]...:
# `jq -e FILTER <<<JSON >/dev/null || fail MESSAGE` for each pair in order,
# with one jq for all (a jq costs ~2 s under qemu TCG, see count_of).
# MESSAGEs are expanded by the caller, before any check: plain text or the
# JSON itself, never a command that reads the state again.
jq_checks() {
	local opts=() prog="" res=() i
	while [ "$1" = --arg ] || [ "$1" = --argjson ]; do
		opts+=("$1" "$2" "$3")
		shift 3
	done
	local json=$1 a=("${@:2}")
	for ((i = 0; i < ${#a[@]}; i += 2)); do
		# jq -e: true when the last output is neither false nor null
		prog+="${prog:+, }(try ([${a[i]}] | length > 0 and (.[-1] | . != false and . != null)) catch false)"
	done
	read -ra res < <(jq -r "${opts[@]}" "[$prog] | map(tostring) | join(\" \")" <<<"$json" 2>/dev/null)
	for ((i = 0; i < ${#a[@]}; i += 2)); do
		[ "${res[i / 2]-}" = true ] || fail "${a[i + 1]}"
	done
}

status_json() {
	xdpchain -j status "$1"
}

# Program names of the chain on $1, in run order, space separated.
chain_names() {
	status_json "$1" | jq -r '[.programs[].name] | join(" ")'
}

hook_id() {
	status_json "$1" | jq -r '.hook.id // 0'
}

# Packet counter of the count sample on $IF0: slot 0 every packet, slot 1
# UDP to port 40001. Found through the program's own map ids, so several
# chains' counters never mix. One jq for the map's id, none for its value:
# jq 1.6 compiles its builtins on every start (~170 M instructions, ~2 s
# under qemu TCG), the helpers are called hundreds of times.
count_of() {
	count_map_value "$({
		status_json "$IF0"
		bpftool -j prog show
		bpftool -j map show
	} | jq -rs '(first(.[0].programs[] | select(.name == "xdpchain_count") | .id) // -1) as $p
		| (first(.[1][] | select(.id == $p) | .map_ids) // []) as $ids
		| first(.[2][] | select(.name == "xdpchain_counts" and (.id as $m | $ids | index([$m]))) | .id)
		// empty')" "$1"
}

# count_slot PROG_ID SLOT: counter SLOT of the count sample loaded as PROG_ID.
count_slot() {
	count_map_value "$({
		bpftool -j prog show id "$1"
		bpftool -j map show
	} | jq -rs '(.[0].map_ids // []) as $ids
		| first(.[1][] | select(.name == "xdpchain_counts" and (.id as $m | $ids | index([$m]))) | .id)
		// empty')" "$2"
}

# count_map_value MAP_ID SLOT: the value bpftool formats (from the map's BTF)
# at SLOT of the counts map MAP_ID; 0 without a map. bpftool -j prints
# '..."formatted":{"key":K,"value":V}}': read with bash, no jq.
count_map_value() {
	local out re='"formatted":\{"key":[0-9]+,"value":([0-9]+)\}'
	[ -n "$1" ] || { echo 0; return; }
	out=$(bpftool -j map lookup id "$1" key "$2" 0 0 0)
	[[ $out =~ $re ]] || fail "counts map $1 slot $2: bpftool said $out"
	echo "${BASH_REMATCH[1]}"
}

# Program ids in the slots of the hook pinned at $1, "aborted drop pass tx
# redirect" order, 0 for empty: one dump, one jq (it was 5 lookups, 5 jq).
# A prog array's dump lists the filled slots only, key and value as
# little-endian bytes.
hook_slots() {
	local v out=""
	for v in $(bpftool -j map dump pinned "$1" 2>/dev/null | jq -r '
		if type == "array" then
			(map({key: (.key | map(ltrimstr("0x")) | reverse | join("")),
			      value: (.value | map(ltrimstr("0x")) | reverse | join(""))})) as $e
			| [range(5) | ("0000000" + tostring) as $k
			   | (first($e[] | select(.key == $k) | .value) // "0")]
		else [range(5) | "0"] end | join(" ")' 2>/dev/null); do
		out+="$((16#$v)) "
	done
	[ -n "$out" ] || out="0 0 0 0 0 "
	echo "${out% }"
}

# hook_programs PIN: the slots' values of the hook pinned at PIN as bpftool
# -j prints them ('"value":["0x2a",...]'), one a line, none for an empty
# hook (no jq: a prog array's dump lists the filled slots only).
hook_programs() {
	bpftool -j map dump pinned "$1" 2>/dev/null | grep -o '"value":\[[^]]*\]'
}

# hook_filled [--count=N] PIN [VALUE...]: true when N slots (1) of the hook
# pinned at PIN hold a program other than the VALUEs (hook_programs lines taken before:
# what a killed capture left, which a new capture clears before it joins,
# or a user's own program, which stays).
hook_filled() {
	local want=1
	[[ $1 == --count=* ]] && { want=${1#--count=}; shift; }
	local pin=$1 v old=$'\n' n=0
	shift
	for v in "$@"; do
		old+=$v$'\n'
	done
	while read -r v; do
		[[ $old == *$'\n'"$v"$'\n'* ]] || n=$((n + 1))
	done < <(hook_programs "$pin")
	[ $n -ge "$want" ]
}

# capture_slots ARGS...: how many hook slots a capture with these arguments
# fills (one per action it takes: --actions LIST, --actions=LIST, -a LIST,
# -aLIST, or all five); it fills them one after another, so a capture is
# ready when all hold its programs. No process: each costs ~100 ms in a VM.
capture_slots() {
	local prev="" a list="" commas
	for a in "$@"; do
		case $prev in --actions | -a) list=$a ;; esac
		case $a in
		--actions=*) list=${a#--actions=} ;;
		-a?*) list=${a#-a} ;;
		esac
		prev=$a
	done
	if [ -z "$list" ] || [ "$list" = all ]; then
		echo 5
		return
	fi
	commas=${list//[^,]/}
	echo $((${#commas} + 1))
}

# start_capture OUT ARGS...: xdpchain capture $IF0 -w OUT ARGS in the background
# (no $IF0 with --hook)
# (stderr to OUT.log, or to $CAP_LOG); returns once its programs sit in the
# hook. Sets CAP_PID.
start_capture() {
	local out=$1 pin iface=$IF0 stale=() slots
	shift
	[[ " $* " == *" --hook "* ]] && iface=""
	# what a killed capture left in the hook is not this capture's
	pin=$(capture_pin "$@")
	mapfile -t stale < <(hook_programs "$pin")
	slots=$(capture_slots "$@")
	"$XDPCHAIN" capture $iface -w "$out" "$@" 2>"${CAP_LOG:-$out.log}" &
	CAP_PID=$!
	defer "kill $CAP_PID"
	for _ in $(seq 300); do
		kill -0 $CAP_PID 2>/dev/null || fail "capture died: $(cat "${CAP_LOG:-$out.log}")"
		if [[ " $* " == *" --after "* ]]; then
			# a tap goes in once its capture serves it
			[[ $(status_json $IF0) == *'"name":"xdpchain_tap"'* ]] && return 0
		elif [[ " $* " == *" --entry "* || " $* " == *" --all-stages "* ]]; then
			# the stage capture program goes in last
			bpftool map dump name xdpchain_stage 2>/dev/null | grep -q '^key' && return 0
		elif hook_filled --count="$slots" "$pin" "${stale[@]}"; then
			return 0
		fi
		sleep 0.05
	done
	fail "capture never put its programs into $pin"
}

# The hook a capture with these arguments uses.
capture_pin() {
	local prev=""
	for a in "$@"; do
		[ "$prev" = "--hook" ] && { echo "$a"; return; }
		prev=$a
	done
	status_json $IF0 | jq -r .hook.pin
}

# stop_capture: SIGINT, then its exit status must be 0.
stop_capture() {
	local rc=0
	kill -INT $CAP_PID 2>/dev/null || true
	wait $CAP_PID || rc=$?
	[ $rc -eq 0 ] || fail "capture exited $rc: $(cat "$1.log")"
}

# wait_capture OUT: waits for a capture started with -c to end by itself.
wait_capture() {
	local rc=0
	wait $CAP_PID || rc=$?
	[ $rc -eq 0 ] || fail "capture exited $rc: $(cat "$1.log")"
}

# wait_capture_within OUT SECONDS: wait_capture, for a capture that may never
# get its -c packets when broken: a safety bound, not part of what passes.
wait_capture_within() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 $CAP_PID 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 $CAP_PID 2>/dev/null; then
		kill -INT $CAP_PID
		wait $CAP_PID || true
		fail "capture still waiting for its packets after $2 s: $(cat "$1.log")"
	fi
	wait_capture "$1"
}

# tcpdump_start OUT ERR TCPDUMP-ARGS...: records into OUT (its stderr into
# ERR) and returns once it listens; TD_PID is its pid (tcpdump_stop ends it).
# Prefix with "ip netns exec NS" through TD_NS to record in a namespace.
tcpdump_start() {
	local out=$1 err=$2
	shift 2
	${TD_NS:+ip netns exec $TD_NS} tcpdump -Z root -U -nn -w "$out" "$@" 2>"$err" &
	TD_PID=$!
	for _ in $(seq 100); do
		grep -q "listening on" "$err" && break
		sleep 0.1
	done
}

# tcpdump_stop OUT N: waits up to 5 s for N packets in OUT, stops the
# recording, and fails unless OUT holds exactly N.
tcpdump_stop() {
	for _ in $(seq 50); do
		[ "$(pcap_count "$1")" -ge "$2" ] && break
		sleep 0.1
	done
	kill -INT $TD_PID
	wait $TD_PID || true
	[ "$(pcap_count "$1")" -eq "$2" ] || fail "tcpdump recorded $(pcap_count "$1") packets of $1, wanted $2"
}

pcap_count() {
	tcpdump -Z root -nn -r "$1" "${@:2}" 2>/dev/null | wc -l
}

# Bytes of each packet of a pcap, one packet per line, in hex. Printed as
# read: gluing a 64 KiB frame into one awk string first copied it again for
# each of its 4,000 lines (minutes under qemu TCG, capture_big_frames_vm).
pcap_hex() {
	tcpdump -Z root -nn -xx -r "$1" 2>/dev/null | awk '
		/^[0-9]/ { if (h) print ""; h = 0; next }
		{ for (i = 2; i <= NF; i++) printf "%s", $i; h = 1 }
		END { if (h) print "" }'
}

# pcap_frames NAME PCAP: array NAME gets pcap_hex's lines. Through a file:
# bash's mapfile reads a pipe one byte a read(2), and a 64 KiB frame is
# 131,072 digits (~10 s under TCG on 6.1, capture_big_frames_vm).
pcap_frames() {
	pcap_hex "$2" >"$TEST_TMP/pcap_frames.txt"
	mapfile -t "$1" <"$TEST_TMP/pcap_frames.txt"
}

# The frame length ("len", not what was kept) of each packet, space separated.
pcap_lens() {
	tcpdump -Z root -nn -e -r "$1" 2>/dev/null | sed -n 's/^[0-9].*, length \([0-9]*\): .*/\1/p' |
		tr '\n' ' '
}

# The drop sample on $IF0 (skb mode, loaded by bpftool, no chain): its hook,
# pinned at $STANDALONE_PIN, gets the drops of UDP to port 9.
setup_standalone_hook() {
	mountpoint -q "$BPFFS" || mount -t bpf bpf "$BPFFS"
	setup_veth
	bpftool prog load "$SAMPLES/drop.o" "$BPFFS/xc_drop" type xdp pinmaps "$BPFFS/xc_maps"
	defer "rm -rf $BPFFS/xc_drop $BPFFS/xc_maps"
	ip link set dev $IF0 xdpgeneric pinned "$BPFFS/xc_drop"
	defer "ip link set dev $IF0 xdpgeneric off"
	STANDALONE_PIN=$BPFFS/xc_maps/xdpcap_hook
}

# capture --hook on a standalone program (no chain, no freplace needed):
# drop.o loaded by bpftool, which gives it expected_attach_type BPF_XDP and
# so makes its pinned hook a BPF_XDP-owned one; the capture must find the
# combination the kernel accepts and say which with -v.
capture_standalone_hook_body() {
	setup_standalone_hook
	local pin=$STANDALONE_PIN
	start_capture /tmp/sa.pcap --hook "$pin" -v -c 2 --actions drop 'udp port 9'
	send_udp 40000 2 # passes without a tail call: not captured
	send_udp 9 2
	wait_capture /tmp/sa.pcap
	[ "$(pcap_count /tmp/sa.pcap 'udp dst port 9')" -eq 2 ] ||
		fail "drops not captured: $(tcpdump -nn -r /tmp/sa.pcap 2>&1)"
	grep -q "joined the hook with expected_attach_type BPF_XDP, frags off" /tmp/sa.pcap.log ||
		fail "-v does not say which combination joined: $(cat /tmp/sa.pcap.log)"
	[ "$(hook_slots "$pin")" = "0 0 0 0 0" ] || fail "slots left: $(hook_slots "$pin")"
}

# Frames longer than a capture copies (64 KiB) go through the hook of a
# multi-buffer (frags) program run with BPF_PROG_TEST_RUN, so no device has
# to take them: the capture keeps each frame's length, copies up to its
# limit, fragments included, and the frames after a long one arrive
# intact. The capture is stopped while they go through, so all their
# records sit in the ring together, as under load.
capture_big_frames_body() {
	mountpoint -q "$BPFFS" || mount -t bpf bpf "$BPFFS"
	bpftool prog load "$TESTOBJ/frags_exit.o" "$BPFFS/xc_frags" type xdp pinmaps "$BPFFS/xc_fmaps"
	defer "rm -rf $BPFFS/xc_frags $BPFFS/xc_fmaps"
	# 65535: the longest copy (CAPTURE_MAX_CAPLEN)
	local pin=$BPFFS/xc_fmaps/xdpcap_hook max=65535 lens=(70000 100 10000 100 65536 100)
	local i len keep sent got
	start_capture /tmp/big.pcap --hook "$pin" -c ${#lens[@]}
	kill -STOP $CAP_PID
	defer "kill -CONT $CAP_PID"
	"$BIN/xdp_testrun" "$BPFFS/xc_frags" -w /tmp/sent.pcap "${lens[@]}" >/tmp/run.txt ||
		fail "test run failed"
	[ "$(grep -c ': action 2$' /tmp/run.txt)" -eq ${#lens[@]} ] || fail "test run: $(cat /tmp/run.txt)"
	kill -CONT $CAP_PID
	wait_capture_within /tmp/big.pcap 60
	[ "$(pcap_lens /tmp/big.pcap)" = "${lens[*]} " ] ||
		fail "frame lengths captured: $(pcap_lens /tmp/big.pcap), sent: ${lens[*]}"
	pcap_frames sent /tmp/sent.pcap
	pcap_frames got /tmp/big.pcap
	[ ${#got[@]} -eq ${#lens[@]} ] || fail "captured ${#got[@]} frames of ${#lens[@]}"
	for i in "${!lens[@]}"; do
		len=${lens[i]}
		keep=$((len < max ? len : max))
		[ ${#got[i]} -eq $((2 * keep)) ] ||
			fail "frame $i ($len bytes): $((${#got[i]} / 2)) bytes kept, want $keep"
		[ "${got[i]}" = "${sent[i]:0:2*keep}" ] || fail "frame $i ($len bytes): bytes differ"
	done
	grep -q "lost 0)" /tmp/big.pcap.log || fail "summary: $(cat /tmp/big.pcap.log)"
}

# True on kernels before 6.12 (where libxdp 1.3's stock dispatcher takes
# members that change packet data).
kernel_before_612() {
	local v
	v=$(uname -r | cut -d- -f1)
	[ "$(printf '%s\n6.12\n' "$v" | sort -V | head -1)" != "6.12" ]
}

HOOK_PROBE=$BIN/hook_probe

# Starts hook_probe on the hook's slot $1 expecting $2 packets into $3;
# waits until its program is in the slot. Sets PROBE_PID.
start_probe() {
	local action=$1 count=$2 out=$3 ready
	ready=$(mktemp -u /tmp/probe.ready.XXXXXX)
	"$HOOK_PROBE" -a "$action" -c "$count" -t 60 --ready "$ready" \
		"$(status_json $IF0 | jq -r .hook.pin)" "$out" 2>"$out.log" &
	PROBE_PID=$!
	defer "kill $PROBE_PID"
	for _ in $(seq 200); do
		[ -e "$ready" ] && return 0
		kill -0 $PROBE_PID 2>/dev/null || fail "hook_probe died before it was ready"
		sleep 0.05
	done
	fail "hook_probe not ready"
}

wait_probe() {
	local rc=0
	wait "$PROBE_PID" || rc=$?
	[ $rc -eq 0 ] || fail "hook_probe exited $rc (packets missing)"
	true
}

# True where libxdp's own dispatcher object (and so the xdp-loader of the
# same release, which embeds it) takes members that change packet data:
# kernels before 6.12 do not check, and from libxdp 1.5.5 on its slots may
# change packet data themselves. The libxdp is the one xdpchain was built
# against, the guest's (Debian's xdp-loader carries the same release).
stock_takes_pkt_changes() {
	kernel_before_612 && return 0
	local v
	v=$(xdpchain -j features | jq -r .libxdp)
	[ "$(printf '%s\n1.5.5\n' "$v" | sort -V | head -1)" = 1.5.5 ]
}

# ---- the systemd VM (tests/systemd_*.sh): the installed binary, as a
# user's machine runs it
SD_XDPCHAIN=/usr/local/sbin/xdpchain

# members IFACE: the program names of IFACE's chain, one line, or nothing
members() {
	"$SD_XDPCHAIN" status "$1" -j 2>/dev/null | jq -r '[.programs[]?.name] | join(" ")' 2>/dev/null
}

# until_chain IFACE WORDS SECS: wait until IFACE's chain has the members WORDS
until_chain() {
	local end=$((SECONDS + $3))
	while [ $SECONDS -lt $end ]; do
		[ "$(members "$1")" = "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

need_systemd() {
	[ "$(cat /proc/1/comm)" = systemd ] || skip "PID 1 is not systemd"
}
