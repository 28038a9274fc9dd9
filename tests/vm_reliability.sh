# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Reliability tests: interrupted commands, what they leave behind, state
# that no longer matches the system, interfaces that go away or change name,
# races with xdp-loader and with each other, programs that borrow xdpchain's
# names, --hook-pin paths that hold something. Real chains on a real veth
# pair: they need freplace, so they run in the VM ('make vm-test').
#
# Each test names the letter of the reliability contract it checks:
# A interruption, B leftovers, C stale state, D interface deleted/renamed,
# E races, F own programs by identity, G --hook-pin and the recorded hook,
# H SIGHUP ends a capture.

REL_SIGS=(KILL HUP INT TERM)
REL_IFACES=()
REL_IFINDEXES=()

ifindex_of() {
	cat "/sys/class/net/$1/ifindex"
}

# Removes whatever the test's interfaces left on bpffs and in /run, so a
# failing test never breaks the next one. Deferred before setup_veth: runs
# after its flush and link deletion.
rel_scrub() {
	local n i
	for n in "${REL_IFACES[@]}"; do
		rm -rf "${BPFFS:?}/xdpchain/$n"
	done
	for i in "${REL_IFINDEXES[@]}"; do
		rm -rf "$BPFFS"/xdp/dispatch-"$i"-*
	done
	rm -rf /run/xdpchain/dispatcher.* /run/xdpchain-dispatcher.*
	rmdir "$BPFFS/xdpchain" 2>/dev/null || true
}

# vm_only + the veth pair + the scrub.
rel_setup() {
	vm_only
	defer rel_scrub
	REL_IFACES+=("$IF0")
	setup_veth
	REL_IFINDEXES+=("$(ifindex_of $IF0)")
}

# Fails when a log holds a sanitizer report.
no_sanitizer_report() {
	! grep -Eq "AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:" "$1" ||
		fail "$2: sanitizer report: $(grep -E -m3 'Sanitizer|runtime error' "$1" | tr '\n' ' ')"
}

# rel_interrupt SIG DELAY ARGS...: xdpchain ARGS in the background, SIG after
# DELAY seconds (if it still runs), then waits. Exit status in INT_RC, output
# in $TEST_TMP/int.log. $REL_DISP picks the dispatcher object (auto/own).
# bash starts background commands with SIGINT and SIGQUIT ignored, which
# exec keeps: env restores the default, as a shell's Ctrl-C would find it.
# An interrupted command must end: 30 s after the signal it fails the test.
rel_interrupt() {
	local sig=$1 delay=$2 pid
	shift 2
	XDPCHAIN_DISPATCHER=${REL_DISP:-auto} env --default-signal=INT,QUIT \
		"$XDPCHAIN" "$@" >"$TEST_TMP/int.log" 2>&1 &
	pid=$!
	sleep "$delay"
	kill -s "$sig" $pid 2>/dev/null || true
	for _ in $(seq 600); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 $pid 2>/dev/null; then
		kill -9 $pid
		fail "xdpchain $* still ran 30 s after SIG$sig: $(head -c 300 "$TEST_TMP/int.log")"
	fi
	INT_RC=0
	wait $pid || INT_RC=$?
}

# Centiseconds since the epoch.
now_cs() {
	echo $(($(date +%s%N) / 10000000))
}

# rel_delay SPAN I: the delay (seconds) before the signal of iteration I of
# 16, SPAN centiseconds being how long the command takes uninterrupted.
# Iterations spread over 0..1.2 SPAN (I*7 mod 16 visits every sixteenth
# once), with some jitter: the signals land everywhere in the command,
# whatever the machine's speed.
rel_delay() {
	local span=$1 k=$(($2 * 7 % 16)) cs
	cs=$((span * k * 12 / 160 + RANDOM % (span / 16 + 1)))
	printf '%d.%02d' $((cs / 100)) $((cs % 100))
}

# What an interrupted run can leave, as found on disk: libxdp pin dirs of
# ifindex $2 other than the attached dispatcher's, dispatcher temp dirs in
# /run, tap hook pins of $1 (call it while no capture runs).
rel_fs_leftovers() {
	local ifname=$1 ifx=$2 attached=0 d
	[ -e "/sys/class/net/$ifname" ] && attached=$(xdp_prog_id "$ifname")
	for d in "$BPFFS"/xdp/dispatch-"$ifx"-*; do
		[ -d "$d" ] || continue
		[ "$d" = "$BPFFS/xdp/dispatch-$ifx-$attached" ] && continue
		echo "$d"
	done
	for d in /run/xdpchain/dispatcher.* /run/xdpchain-dispatcher.* "$BPFFS/xdpchain/$ifname"/tap_hook_*; do
		[ -e "$d" ] && echo "$d"
	done
	true
}

# rel_assert_reported JSON IFACE IFINDEX WHAT: every leftover on disk now is
# in the .leftovers of the status JSON taken just before.
# One jq for all of them (it was one a path): it prints the paths .leftovers
# lacks, or all of them when JSON is no status.
rel_assert_reported() {
	local j=$1 p paths=() missing=()
	while read -r p; do
		[ -n "$p" ] && paths+=("$p")
	done < <(rel_fs_leftovers "$2" "$3")
	[ ${#paths[@]} -gt 0 ] || return 0
	mapfile -t missing < <(echo "$j" | jq -r '(.leftovers | map(.path | rtrimstr("/"))) as $l
		| $ARGS.positional[] | select(. as $p | $l | index([$p]) == null)' --args "${paths[@]}" \
		2>/dev/null || printf '%s\n' "${paths[@]}")
	[ ${#missing[@]} -eq 0 ] ||
		fail "$4: leftover ${missing[0]} not reported by status (.leftovers: $(echo "$j" | jq -c .leftovers))"
}

# rel_assert_consistent JSON WHAT: exactly one final stage, last, whenever a
# user program is in the chain; none without one.
rel_assert_consistent() {
	echo "$1" | jq -e '
		(.programs | map(select(.final)) | length) as $f |
		(.programs | map(select((.final or .tap) | not)) | length) as $u |
		if $u > 0 then $f == 1 and .programs[-1].final else $f == 0 end' >/dev/null ||
		fail "$2: inconsistent chain: $(echo "$1" | jq -c '[.programs[]? | {name, final, tap}]')"
}

# status -j IFACE that must exit 0 with JSON; sets ST_JSON and ST_NAMES.
rel_status() {
	local rc=0
	ST_JSON=$("$XDPCHAIN" -j status "$1" 2>"$TEST_TMP/status.err") || rc=$?
	[ $rc -eq 0 ] || fail "$2: status $1 exited $rc: $(cat "$TEST_TMP/status.err") $ST_JSON"
	# one jq for both: a jq costs ~0.4 s of CPU under TCG, more than status;
	# jq 1.6 -e passes an empty input
	[ -n "$ST_JSON" ] || fail "$2: status $1 printed nothing"
	ST_NAMES=$(echo "$ST_JSON" | jq -er 'if type == "object" and (.programs | type) == "array"
		then [.programs[].name] | join(" ") else error("not a status") end' 2>/dev/null) ||
		fail "$2: status $1 printed no valid JSON: $ST_JSON"
}

# Chain names for a set of samples (words of the arguments; priority order:
# rewrite 10, count 20, drop 30), the final stage last.
rel_names() {
	local out="" s
	for s in rewrite count drop; do
		[[ " $* " == *" $s "* ]] && out+="xdpchain_$s "
	done
	[ -n "$out" ] && out+="xdpchain_final"
	echo "$out"
}

# The samples of a names string, space separated.
rel_samples() {
	local out="" s
	for s in rewrite count drop; do
		[[ " $1 " == *" xdpchain_$s "* ]] && out+="$s "
	done
	echo "${out% }"
}

# rel_without SET S: SET minus S.
rel_without() {
	local out="" s
	for s in $1; do
		[ "$s" = "$2" ] || out+="$s "
	done
	echo "${out% }"
}

# Runs xdpchain ARGS that must succeed (not interrupted: the next plain
# command after an interruption).
rel_must() {
	local out rc=0
	out=$("$XDPCHAIN" "$@" 2>&1) || rc=$?
	[ $rc -eq 0 ] || fail "$REL_WHAT: 'xdpchain $*' exited $rc: $out"
}

# count_reaches SLOT N: the count sample's slot SLOT reached N within 5 s
# (veth delivers through NAPI, a little after the send returns); then its
# value must be exactly N.
count_reaches() {
	for _ in $(seq 100); do
		[ "$(count_of "$1")" -ge "$2" ] && break
		sleep 0.05
	done
	[ "$(count_of "$1")" -eq "$2" ]
}

# A: add, remove and flush interrupted at varied points by SIGKILL, SIGHUP,
# SIGINT and SIGTERM leave the old chain or the new one, never a half
# state; the next plain add/remove works without a flush. B: whatever they
# leave is reported by status, and flush removes it all.
test_rel_interrupt_add_remove_flush() {
	rel_setup
	local ifx i op target cur new old want sig delay span
	ifx=$(ifindex_of $IF0)
	xdpchain add $IF0 "$SAMPLES/rewrite.o" >/dev/null
	# how long an add or remove takes here and now
	REL_WHAT="calibration"
	span=$(now_cs)
	rel_must add $IF0 "$SAMPLES/count.o"
	rel_must remove $IF0 xdpchain_count
	span=$((($(now_cs) - span) / 2))
	echo "an add or remove takes ${span}0 ms"
	for i in $(seq 0 15); do
		rel_status $IF0 "before iteration $i"
		old=$ST_NAMES
		cur=$(rel_samples "$old")
		op=$(echo add remove flush | cut -d' ' -f$((i % 3 + 1)))
		target=""
		if [ $op = add ]; then
			for target in rewrite count ""; do
				[[ " $cur " == *" $target "* ]] || break
			done
			[ -n "$target" ] || op=remove
		fi
		if [ $op = remove ]; then
			target=${cur%% *}
			[ $((i % 2)) -eq 1 ] && target=${cur##* }
			[ -n "$target" ] || { op=add; target=count; }
		fi
		[ $op = flush ] && [ -z "$cur" ] && { op=add; target=rewrite; }
		case $op in
		add) new=$(rel_names "$cur $target") ;;
		remove) new=$(rel_names "$(rel_without "$cur" $target)") ;;
		flush) new="" ;;
		esac
		sig=${REL_SIGS[i % 4]}
		delay=$(rel_delay $span $i)
		REL_DISP=auto
		[ $((i % 2)) -eq 1 ] && REL_DISP=own
		REL_WHAT="iteration $i: $op $target (dispatcher $REL_DISP) after SIG$sig at ${delay}s"
		echo "$REL_WHAT"
		case $op in
		add) rel_interrupt $sig "$delay" add $IF0 "$SAMPLES/$target.o" ;;
		remove) rel_interrupt $sig "$delay" remove $IF0 xdpchain_$target ;;
		flush) rel_interrupt $sig "$delay" flush $IF0 ;;
		esac
		echo "  exit $INT_RC: $(head -c 300 "$TEST_TMP/int.log" | tr '\n' ' ')"
		no_sanitizer_report "$TEST_TMP/int.log" "$REL_WHAT"
		# odd iterations: a plain add comes first, status after it
		if [ $((i % 2)) -eq 1 ]; then
			rel_must add $IF0 "$SAMPLES/drop.o"
			rel_status $IF0 "$REL_WHAT, then add"
			[ "$ST_NAMES" = "$(rel_names "$(rel_samples "$old") drop")" ] ||
				[ "$ST_NAMES" = "$(rel_names "$(rel_samples "$new") drop")" ] ||
				fail "$REL_WHAT, then add drop: '$ST_NAMES'; wanted '$old' or '$new' with xdpchain_drop"
			rel_assert_consistent "$ST_JSON" "$REL_WHAT, then add"
			rel_must remove $IF0 xdpchain_drop
		fi
		rel_status $IF0 "$REL_WHAT"
		[ "$ST_NAMES" = "$old" ] || [ "$ST_NAMES" = "$new" ] ||
			fail "$REL_WHAT: chain '$ST_NAMES', neither the old '$old' nor the new '$new'"
		rel_assert_consistent "$ST_JSON" "$REL_WHAT"
		rel_assert_reported "$ST_JSON" $IF0 "$ifx" "$REL_WHAT"
		if [ $((i % 2)) -eq 0 ]; then
			want=$ST_NAMES
			rel_must add $IF0 "$SAMPLES/drop.o"
			rel_must remove $IF0 xdpchain_drop
			rel_status $IF0 "$REL_WHAT, then add and remove"
			[ "$ST_NAMES" = "$want" ] || fail "$REL_WHAT, then add and remove drop: '$ST_NAMES', wanted '$want'"
		fi
	done
	REL_WHAT="flush after the interruptions"
	rel_must flush $IF0
	ls -d "$BPFFS"/xdp/dispatch-"$ifx"-* 2>/dev/null &&
		fail "libxdp pin dirs of ifindex $ifx left after flush"
	ls -d /run/xdpchain/dispatcher.* /run/xdpchain-dispatcher.* 2>/dev/null &&
		fail "dispatcher temp dirs left in /run after flush"
	[ ! -e "$BPFFS/xdpchain/$IF0" ] || fail "$BPFFS/xdpchain/$IF0 left after flush: $(ls "$BPFFS/xdpchain/$IF0")"
	[ "$(xdp_prog_id $IF0)" = 0 ] || fail "an XDP program is still attached to $IF0 after flush"
}

# A: capture --after interrupted at varied points: status reports a dead
# tap, the next change takes it out, and the chain is as before; add and
# remove work.
# B: orphan tap hook pins are reported, and flush removes them.
test_rel_interrupt_capture_after() {
	rel_setup
	local ifx i sig delay names span
	ifx=$(ifindex_of $IF0)
	xdpchain add $IF0 "$SAMPLES/rewrite.o" >/dev/null
	xdpchain add $IF0 "$SAMPLES/count.o" >/dev/null
	names="xdpchain_rewrite xdpchain_count xdpchain_final"
	# how long a capture takes to put its tap in, here and now
	span=$(now_cs)
	start_capture "$TEST_TMP/cal.pcap" --after xdpchain_rewrite
	span=$(($(now_cs) - span))
	stop_capture "$TEST_TMP/cal.pcap"
	echo "a tap is in after ${span}0 ms"
	for i in $(seq 0 15); do
		sig=${REL_SIGS[i % 4]}
		delay=$(rel_delay $span $i)
		REL_DISP=auto
		[ $((i % 2)) -eq 1 ] && REL_DISP=own
		REL_WHAT="iteration $i: capture --after (dispatcher $REL_DISP) after SIG$sig at ${delay}s"
		echo "$REL_WHAT"
		rel_interrupt $sig "$delay" capture $IF0 -w "$TEST_TMP/c$i.pcap" --after xdpchain_rewrite
		echo "  exit $INT_RC: $(head -c 300 "$TEST_TMP/int.log" | tr '\n' ' ')"
		no_sanitizer_report "$TEST_TMP/int.log" "$REL_WHAT"
		# status only reads: a killed capture's tap may still be in the
		# chain, reported as a leftover; the next change takes it out
		rel_status $IF0 "$REL_WHAT"
		if [ "$ST_NAMES" != "$names" ]; then
			[ "$ST_NAMES" = "xdpchain_rewrite xdpchain_tap xdpchain_count xdpchain_final" ] ||
				fail "$REL_WHAT: chain '$ST_NAMES' once status ran, wanted '$names' (or with the dead tap)"
			echo "$ST_JSON" | jq -e 'any(.leftovers[]; .what | test("tap of a capture that is gone"))' \
				>/dev/null || fail "$REL_WHAT: the dead tap is not reported: $(echo "$ST_JSON" | jq -c .leftovers)"
		fi
		rel_assert_reported "$ST_JSON" $IF0 "$ifx" "$REL_WHAT"
		rel_must add $IF0 "$SAMPLES/drop.o"
		rel_status $IF0 "$REL_WHAT, then add"
		[[ " $ST_NAMES " != *" xdpchain_tap "* ]] || fail "$REL_WHAT: the next add kept the dead tap: $ST_NAMES"
		rel_must remove $IF0 xdpchain_drop
	done
	REL_WHAT="flush after the interruptions"
	rel_must flush $IF0
	ls -d "$BPFFS"/xdp/dispatch-"$ifx"-* 2>/dev/null && fail "libxdp pin dirs left after flush"
	[ ! -e "$BPFFS/xdpchain/$IF0" ] || fail "$BPFFS/xdpchain/$IF0 left after flush: $(ls "$BPFFS/xdpchain/$IF0")"
	[ "$(xdp_prog_id $IF0)" = 0 ] || fail "an XDP program is still attached after flush"
}

# What an interrupted run leaves, made on purpose next to the chain on $IF0:
# a libxdp pin dir of a dispatcher that is not attached (LO_DISP, holding a
# pinned member as a killed attach leaves it), a dispatcher temp dir in /run
# (LO_RUN) and an orphan tap hook (LO_TAP, named after its map id as a
# killed capture leaves it).
rel_make_leftovers() {
	local ifx member tmp id
	ifx=$(ifindex_of $IF0)
	member=$(status_json $IF0 | jq '.programs[0].id')
	LO_DISP=$BPFFS/xdp/dispatch-$ifx-999999
	mkdir "$LO_DISP"
	bpftool prog pin id "$member" "$LO_DISP/prog0-prog"
	LO_RUN=/run/xdpchain/dispatcher.999999
	mkdir -p "$LO_RUN"
	cp "$ROOT/.output/dispatcher/xdp_dispatcher.o" "$LO_RUN/xdp-dispatcher.o"
	tmp=$BPFFS/xdpchain/$IF0/tap_hook_tmp
	bpftool map create "$tmp" type prog_array key 4 value 4 entries 5 name xdpcap_hook
	id=$(bpftool -j map show pinned "$tmp" | jq .id)
	LO_TAP=$BPFFS/xdpchain/$IF0/tap_hook_$id
	bpftool map pin id "$id" "$LO_TAP"
	rm "$tmp"
}

# rel_reported JSON PATH: PATH is among the JSON's .leftovers, with a "what".
rel_reported() {
	echo "$1" | jq -e --arg p "$2" \
		'any(.leftovers[]; (.path | rtrimstr("/")) == $p and (.what | type == "string" and length > 0))' \
		>/dev/null 2>&1
}

# B: status reports each leftover (JSON and text), the chain works on,
# flush removes them all.
test_rel_leftovers_reported_and_flushed() {
	rel_setup
	xdpchain add $IF0 "$SAMPLES/rewrite.o" >/dev/null
	rel_make_leftovers
	local p text
	rel_status $IF0 "with leftovers"
	for p in "$LO_DISP" "$LO_RUN" "$LO_TAP"; do
		rel_reported "$ST_JSON" "$p" ||
			fail "status does not report $p: .leftovers = $(echo "$ST_JSON" | jq -c .leftovers)"
	done
	[ "$ST_NAMES" = "xdpchain_rewrite xdpchain_final" ] || fail "chain: $ST_NAMES"
	text=$(xdpchain status $IF0) || fail "text status failed: $text"
	for p in "$LO_DISP" "$LO_RUN" "$LO_TAP"; do
		grep -qF -- "$p" <<<"$text" || fail "text status has no line with $p: $text"
	done
	# leftovers do not get in the way
	xdpchain add $IF0 "$SAMPLES/count.o" >/dev/null
	[ "$(chain_names $IF0)" = "xdpchain_rewrite xdpchain_count xdpchain_final" ] ||
		fail "chain after add: $(chain_names $IF0)"
	xdpchain flush $IF0 >/dev/null
	for p in "$LO_DISP" "$LO_RUN" "$LO_TAP" "$BPFFS/xdpchain/$IF0"; do
		[ ! -e "$p" ] || fail "flush left $p"
	done
	ls -d "$BPFFS"/xdp/dispatch-"$(ifindex_of $IF0)"-* 2>/dev/null && fail "flush left libxdp pin dirs"
	true
}

# B: cleanup removes the leftovers and says which, and leaves live chains
# alone; text cleanup names what it removed.
test_rel_cleanup_keeps_live_chains() {
	rel_setup
	xdpchain add $IF0 "$SAMPLES/rewrite.o" >/dev/null
	xdpchain add $IF0 "$SAMPLES/count.o" >/dev/null
	local ifx hid did names out p
	ifx=$(ifindex_of $IF0)
	hid=$(hook_id $IF0)
	did=$(xdp_prog_id $IF0)
	names=$(chain_names $IF0)
	rel_make_leftovers
	out=$(xdpchain -j cleanup) || fail "cleanup exited $?: $out"
	for p in "$LO_DISP" "$LO_RUN" "$LO_TAP"; do
		echo "$out" | jq -e --arg p "$p" \
			'any(.removed[]; rtrimstr("/") == $p or startswith($p + "/"))' >/dev/null 2>&1 ||
			fail "cleanup -j does not list $p: $out"
		[ ! -e "$p" ] || fail "cleanup left $p"
	done
	# the live chain is untouched
	[ "$(chain_names $IF0)" = "$names" ] || fail "cleanup changed the chain: $(chain_names $IF0)"
	[ "$(xdp_prog_id $IF0)" = "$did" ] || fail "cleanup replaced the dispatcher"
	[ -d "$BPFFS/xdp/dispatch-$ifx-$did" ] || fail "cleanup removed the attached dispatcher's pins"
	[ "$(bpftool -j map show pinned "$BPFFS/xdpchain/$IF0/xdpcap_hook" | jq .id)" = "$hid" ] ||
		fail "cleanup touched the hook pin"
	echo "$out" | jq -e --arg d "$BPFFS/xdp/dispatch-$ifx-$did" \
		'all(.removed[]; startswith($d) | not)' >/dev/null || fail "cleanup lists live pins: $out"
	rel_status $IF0 "after cleanup"
	echo "$ST_JSON" | jq -e '.leftovers == [] and .problem == null' >/dev/null ||
		fail "status after cleanup: $(echo "$ST_JSON" | jq -c '{leftovers, problem}')"
	# text: a line per removed path
	rel_make_leftovers
	out=$(xdpchain cleanup 2>&1) || fail "text cleanup exited $?: $out"
	for p in "$LO_DISP" "$LO_RUN" "$LO_TAP"; do
		grep -qF -- "$p" <<<"$out" || fail "text cleanup does not name $p: $out"
	done
	[ "$(chain_names $IF0)" = "$names" ] || fail "text cleanup changed the chain"
}

# C: state naming a hook that is gone, with the programs flushed by another
# tool, does not stop the next add: it builds a fresh chain.
test_rel_missing_hook_pin_and_programs() {
	rel_setup
	xdpchain add $IF0 "$SAMPLES/rewrite.o" --mode skb >/dev/null
	local pin
	pin=$(status_json $IF0 | jq -r .hook.pin)
	[ -e "$pin" ] || fail "no hook pin to remove (test is void)"
	rm "$pin"
	ip link set dev $IF0 xdpgeneric off
	[ "$(xdp_prog_id $IF0)" = 0 ] || fail "programs still attached (test is void)"
	local out
	out=$(xdpchain add $IF0 "$SAMPLES/count.o" 2>&1) || fail "add after the hook and programs went: $out"
	rel_status $IF0 "after the fresh add"
	[ "$ST_NAMES" = "xdpchain_count xdpchain_final" ] || fail "chain: $ST_NAMES"
	echo "$ST_JSON" | jq -e '.problem == null and .hook.id > 0' >/dev/null ||
		fail "status: $(echo "$ST_JSON" | jq -c '{problem, hook}')"
	pin=$(echo "$ST_JSON" | jq -r .hook.pin)
	[ "$(bpftool -j map show pinned "$pin" | jq .id)" = "$(echo "$ST_JSON" | jq .hook.id)" ] ||
		fail "the pinned map at $pin is not the chain's hook"
	# and the new chain carries packets to its hook
	start_capture "$TEST_TMP/c.pcap" -c 2
	send_udp 40001 2
	wait_capture "$TEST_TMP/c.pcap"
	[ "$(count_of 1)" -eq 2 ] || fail "count saw $(count_of 1) of 2 packets"
}

# D: the interface goes with its chain: cleanup removes its state and
# libxdp's pins; a new interface with the same name starts clean.
test_rel_iface_deleted() {
	rel_setup
	local ifx out
	ifx=$(ifindex_of $IF0)
	xdpchain add $IF0 "$SAMPLES/rewrite.o" >/dev/null
	ip link del $IF0
	[ -e "$BPFFS/xdpchain/$IF0" ] || fail "no state left by the deleted interface (test is void)"
	ls -d "$BPFFS"/xdp/dispatch-"$ifx"-* >/dev/null 2>&1 || fail "no libxdp pins left (test is void)"
	out=$(xdpchain -j cleanup) || fail "cleanup exited $?: $out"
	echo "$out" | jq -e --arg d "$BPFFS/xdpchain/$IF0" '.removed | any(startswith($d))' >/dev/null 2>&1 ||
		fail "cleanup -j does not list $BPFFS/xdpchain/$IF0: $out"
	echo "$out" | jq -e --arg d "$BPFFS/xdp/dispatch-$ifx-" '.removed | any(startswith($d))' >/dev/null 2>&1 ||
		fail "cleanup -j does not list libxdp's pins of ifindex $ifx: $out"
	[ ! -e "$BPFFS/xdpchain/$IF0" ] || fail "cleanup left $BPFFS/xdpchain/$IF0"
	ls -d "$BPFFS"/xdp/dispatch-"$ifx"-* 2>/dev/null && fail "cleanup left libxdp's pins of ifindex $ifx"
	# a new interface of the same name
	ip netns del $PEERNS
	setup_veth
	REL_IFINDEXES+=("$(ifindex_of $IF0)")
	out=$(xdpchain add $IF0 "$SAMPLES/count.o" 2>&1) || fail "add on the new $IF0: $out"
	rel_status $IF0 "new $IF0"
	echo "$ST_JSON" | jq -e '.problem == null and .leftovers == []' >/dev/null ||
		fail "status of the new $IF0: $(echo "$ST_JSON" | jq -c '{problem, leftovers}')"
	[ "$ST_NAMES" = "xdpchain_count xdpchain_final" ] || fail "chain: $ST_NAMES"
	send_udp 40001 3
	count_reaches 1 3 || fail "the new chain saw $(count_of 1) of 3 packets"
}

# D: renamed with its chain: status under the new name works (libxdp finds
# the chain by ifindex), and flush + cleanup leave nothing of either name.
test_rel_iface_renamed() {
	rel_setup
	local new=xc0r ifx
	REL_IFACES+=("$new")
	defer "ip link del $new"
	ifx=$(ifindex_of $IF0)
	xdpchain add $IF0 "$SAMPLES/rewrite.o" >/dev/null
	ip link set $IF0 down
	ip link set $IF0 name $new
	ip link set $new up
	rel_status $new "after the rename"
	[ "$ST_NAMES" = "xdpchain_rewrite xdpchain_final" ] || fail "status $new: chain '$ST_NAMES'"
	xdpchain status $new >/dev/null || fail "text status $new failed"
	local out
	out=$(xdpchain flush $new 2>&1) || fail "flush $new: $out"
	out=$(xdpchain cleanup 2>&1) || fail "cleanup: $out"
	[ ! -e "$BPFFS/xdpchain/$IF0" ] || fail "$BPFFS/xdpchain/$IF0 (the old name) left"
	[ ! -e "$BPFFS/xdpchain/$new" ] || fail "$BPFFS/xdpchain/$new left"
	ls -d "$BPFFS"/xdp/dispatch-"$ifx"-* 2>/dev/null && fail "libxdp's pins of ifindex $ifx left"
	[ "$(xdp_prog_id $new)" = 0 ] || fail "program still attached to $new"
}

# E: xdpchain add racing xdp-loader load and unload: every xdpchain run
# succeeds or fails with one line, never crashes; the chain stays
# consistent, the final stage last.
test_rel_race_xdp_loader() {
	rel_setup
	local r p1 p2 p3 rc prev="" err
	# four rounds: even if every unload lost its race, 4 slot programs, 4
	# xdp_test_pass, the final stage and count.o below fit libxdp's 10
	for r in 0 1 2 3; do
		REL_WHAT="round $r"
		"$XDPCHAIN" add $IF0 "$TESTOBJ/slots.o" --prog xdp_slot$r --priority $((10 + r)) --mode skb \
			>"$TEST_TMP/a$r.out" 2>"$TEST_TMP/a$r.err" &
		p1=$!
		xdp-loader load -m skb $IF0 "$TESTOBJ/pass.o" >/dev/null 2>&1 &
		p2=$!
		p3=""
		if [ -n "$prev" ]; then
			xdp-loader unload $IF0 -i "$prev" >/dev/null 2>&1 &
			p3=$!
		fi
		rc=0
		wait $p1 || rc=$?
		wait $p2 || true
		[ -z "$p3" ] || wait $p3 || true
		err=$(cat "$TEST_TMP/a$r.err")
		no_sanitizer_report "$TEST_TMP/a$r.err" "$REL_WHAT"
		case $rc in
		0) ;;
		1) [ "$(printf '%s\n' "$err" | grep -c .)" -eq 1 ] ||
			fail "$REL_WHAT: add failed with more than one line: $err" ;;
		*) fail "$REL_WHAT: add exited $rc (crash?): $err" ;;
		esac
		echo "$REL_WHAT: add exited $rc ${err:+($err)}"
		rel_status $IF0 "$REL_WHAT"
		if [ $rc -eq 1 ] && ! echo "$ST_JSON" | jq -e 'any(.programs[]; .name | startswith("xdp_slot"))' >/dev/null; then
			# xdp-loader attached first and the add refused, changing
			# nothing: the chain is xdp-loader's, none of it ours
			echo "$ST_JSON" | jq -e '(.managed | not) and all(.programs[]; .final | not)' >/dev/null ||
				fail "$REL_WHAT: the refused add left some of its own: $(echo "$ST_JSON" | jq -c '{managed, programs: [.programs[] | {name, final}]}')"
		else
			rel_assert_consistent "$ST_JSON" "$REL_WHAT"
		fi
		echo "$ST_JSON" | jq -e '.problem == null' >/dev/null ||
			fail "$REL_WHAT: status reports a problem: $(echo "$ST_JSON" | jq -r .problem)"
		prev=$(echo "$ST_JSON" | jq -r '[.programs[] | select(.name == "xdp_test_pass") | .id][-1] // empty')
	done
	# the chain still works as one
	REL_WHAT="after the races"
	rel_must add $IF0 "$SAMPLES/count.o"
	send_udp 40001 2
	count_reaches 1 2 || fail "count saw $(count_of 1) of 2 packets after the races"
}

# E: status while adds and removes run: always exit 0 and valid JSON, and
# never a half chain.
test_rel_status_during_changes() {
	rel_setup
	local bg n=0
	(
		for _ in 1 2 3; do
			for a in "add $IF0 $SAMPLES/rewrite.o" "add $IF0 $SAMPLES/count.o" \
				"remove $IF0 xdpchain_rewrite" "remove $IF0 xdpchain_count"; do
				# shellcheck disable=SC2086 # words on purpose
				"$XDPCHAIN" $a >/dev/null || exit 1
			done
		done
	) >"$TEST_TMP/bg.log" 2>&1 &
	bg=$!
	defer "kill $bg"
	while kill -0 $bg 2>/dev/null; do
		rel_status $IF0 "status run $n during adds and removes"
		rel_assert_consistent "$ST_JSON" "status run $n during adds and removes"
		n=$((n + 1))
	done
	wait $bg || fail "the background adds and removes failed: $(cat "$TEST_TMP/bg.log")"
	no_sanitizer_report "$TEST_TMP/bg.log" "background adds and removes"
	[ $n -ge 3 ] || fail "only $n status runs overlapped the changes (test is void)"
	echo "$n status runs, all fine"
}

# E: two removes of the last two programs at once: both succeed, and no
# final stage stays without members.
test_rel_concurrent_removes() {
	rel_setup
	local r p1 p2 rc1 rc2
	for r in 0 1 2; do
		xdpchain add $IF0 "$SAMPLES/rewrite.o" >/dev/null
		xdpchain add $IF0 "$SAMPLES/count.o" >/dev/null
		"$XDPCHAIN" remove $IF0 xdpchain_rewrite >"$TEST_TMP/r1.log" 2>&1 &
		p1=$!
		"$XDPCHAIN" remove $IF0 xdpchain_count >"$TEST_TMP/r2.log" 2>&1 &
		p2=$!
		rc1=0 rc2=0
		wait $p1 || rc1=$?
		wait $p2 || rc2=$?
		[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] ||
			fail "round $r: removes exited $rc1 and $rc2: $(cat "$TEST_TMP/r1.log" "$TEST_TMP/r2.log")"
		rel_status $IF0 "round $r"
		[ "$ST_NAMES" = "" ] || fail "round $r: chain left: '$ST_NAMES'"
		[ "$(xdp_prog_id $IF0)" = 0 ] || fail "round $r: a program is still attached"
		[ ! -e "$BPFFS/xdpchain/$IF0" ] || fail "round $r: $BPFFS/xdpchain/$IF0 left"
	done
}

# F: xdpchain's reserved names are refused for user programs, with one line
# naming the name, and nothing changes.
test_rel_reserved_names_refused() {
	rel_setup
	local before
	before=$(snapshot $IF0)
	expect_fail 1 "xdpchain_tap" add $IF0 "$TESTOBJ/tap_named.o"
	expect_fail 1 "xdpchain_final" add $IF0 "$TESTOBJ/final_named.o"
	assert_unchanged $IF0 "$before"
	xdpchain add $IF0 "$SAMPLES/rewrite.o" >/dev/null
	before=$(snapshot $IF0)
	expect_fail 1 "xdpchain_tap" add $IF0 "$TESTOBJ/tap_named.o"
	expect_fail 1 "xdpchain_final" add $IF0 "$TESTOBJ/final_named.o"
	assert_unchanged $IF0 "$before"
}

# xdp-loader's id of the member named $1 on $IF0.
loader_member_id() {
	xdp-loader status $IF0 | awk -v n="$1" '$1 == "=>" && $3 == n {print $4}'
}

# F: a program another tool loaded under the tap's name is a user program:
# not marked as a tap, not removed by status, kept when another program
# leaves; the final stage stays for it.
test_rel_foreign_tap_named_program() {
	rel_setup
	xdp-loader load -m skb $IF0 "$TESTOBJ/tap_named.o" >/dev/null 2>&1 || fail "xdp-loader load failed"
	local tid
	tid=$(loader_member_id xdpchain_tap)
	[ -n "$tid" ] || fail "xdp-loader did not load xdpchain_tap"
	xdpchain add $IF0 "$SAMPLES/rewrite.o" >/dev/null
	rel_status $IF0 "with a user program named xdpchain_tap"
	[ "$ST_NAMES" = "xdpchain_rewrite xdpchain_tap xdpchain_final" ] || fail "chain: $ST_NAMES"
	echo "$ST_JSON" | jq -e --argjson id "$tid" '.programs[] | select(.id == $id) | (.tap or .final) | not' \
		>/dev/null || fail "status takes the user's xdpchain_tap for its own: $(echo "$ST_JSON" | jq -c '.programs[1]')"
	echo "$ST_JSON" | jq -e '.problem == null' >/dev/null || fail "problem: $(echo "$ST_JSON" | jq -r .problem)"
	xdpchain status $IF0 | grep -E "^ +[0-9]+ .*xdpchain_tap .* $tid " | grep -q "tap of a running capture" &&
		fail "text status calls the user's program a tap: $(xdpchain status $IF0)"
	[ "$(loader_member_id xdpchain_tap)" = "$tid" ] || fail "status removed the user's xdpchain_tap"
	xdpchain remove $IF0 xdpchain_rewrite >/dev/null
	rel_status $IF0 "after removing xdpchain_rewrite"
	[ "$ST_NAMES" = "xdpchain_tap xdpchain_final" ] ||
		fail "removing another program took the user's xdpchain_tap (or the final stage) along: '$ST_NAMES'"
	rel_assert_consistent "$ST_JSON" "after removing xdpchain_rewrite"
	# it is the last user program: the final stage and the state go with it
	xdpchain remove $IF0 "$tid" >/dev/null
	rel_status $IF0 "after removing the user's xdpchain_tap"
	[ "$ST_NAMES" = "" ] || fail "chain left: '$ST_NAMES'"
	[ ! -e "$BPFFS/xdpchain/$IF0" ] || fail "xdpchain state left"
}

# F: a capture program of the user's that carries the name of xdpchain's
# capture programs (hook_probe's, renamed), in a slot of the chain's hook:
# status does not call it a leftover; cleanup, the next capture and a chain
# change leave it there. A killed capture's own program still goes.
test_rel_foreign_capture_named_program() {
	rel_setup
	xdpchain add $IF0 "$SAMPLES/rewrite.o" >/dev/null
	local pin mine ready=$TEST_TMP/probe.ready probe slots
	pin=$(status_json $IF0 | jq -r .hook.pin)
	"$HOOK_PROBE" -o "$TESTOBJ/cap_named.o" -a drop -c 0 -t 600 --ready "$ready" \
		"$pin" "$TEST_TMP/mine.pcap" 2>"$TEST_TMP/mine.log" &
	probe=$!
	defer "kill $probe"
	for _ in $(seq 200); do
		[ -e "$ready" ] && break
		kill -0 $probe 2>/dev/null || fail "hook_probe died: $(cat "$TEST_TMP/mine.log")"
		sleep 0.05
	done
	mine=$(hook_slots "$pin" | cut -d' ' -f2)
	[ "$mine" != 0 ] && [ "$(bpftool -j prog show id "$mine" | jq -r .name)" = xdpchain_cap ] ||
		fail "the user's xdpchain_cap is not in the drop slot: $(hook_slots "$pin")"
	# a killed capture leaves its program in the pass slot
	start_capture "$TEST_TMP/k.pcap" --actions pass
	kill -9 $CAP_PID
	wait $CAP_PID 2>/dev/null || true
	rel_status $IF0 "with the user's xdpchain_cap and a killed capture's program"
	echo "$ST_JSON" | jq -e --argjson id "$mine" \
		'[.leftovers[] | select(.what | test("capture program"))] | length == 1 and all(.id != $id)' \
		>/dev/null || fail "leftovers: $(echo "$ST_JSON" | jq -c .leftovers)"
	xdpchain cleanup >/dev/null
	slots=$(hook_slots "$pin")
	[ "$slots" = "0 $mine 0 0 0" ] || fail "after cleanup: slots $slots (the user's $mine in drop)"
	start_capture "$TEST_TMP/a.pcap" --actions pass
	stop_capture "$TEST_TMP/a.pcap"
	xdpchain add $IF0 "$SAMPLES/count.o" >/dev/null
	slots=$(hook_slots "$pin")
	[ "$slots" = "0 $mine 0 0 0" ] || fail "after a capture and a change: slots $slots (the user's $mine in drop)"
	kill -0 $probe 2>/dev/null || fail "hook_probe ended: $(cat "$TEST_TMP/mine.log")"
}

# <bpffs>/xdp holds libxdp's pins and lock: one nobody made and holds
# libxdp's lock on makes add refuse in one line with the fix, at once
# (libxdp itself would wait for that lock without end), and root pins
# nothing in it. One a chain's pins are in, become nobody's: status,
# remove and cleanup refuse it too, rather than wait.
test_rel_libxdp_dir_of_others() {
	rel_setup
	command -v setpriv >/dev/null || skip "setpriv not installed"
	mount -t bpf -o mode=1777 bpf "$BPFFS"
	local dir=$BPFFS/xdp rc=0 out before
	as_nobody mkdir -m 0755 "$dir"
	nobody_flock "$dir" || fail "nobody cannot flock its own $dir (test is void)"
	before=$(snapshot $IF0)
	out=$(timeout 60 "$XDPCHAIN" add $IF0 "$SAMPLES/rewrite.o" 2>&1) || rc=$?
	[ $rc -ne 124 ] || fail "add waited for nobody's lock on $dir"
	[ $rc -eq 1 ] || fail "add exited $rc: $out"
	[ "$(echo "$out" | grep -c .)" -eq 1 ] &&
		echo "$out" | grep -Eq "^xdpchain add: $dir is owned by uid 65534, not root: remove it \('rm -r $dir'\) and retry$" ||
		fail "add said: $out"
	assert_unchanged $IF0 "$before"
	[ -z "$(find "$dir" -mindepth 1 -uid 0)" ] || fail "root pinned in nobody's $dir: $(find "$dir")"

	# a chain's pins in a $dir that became nobody's: status reads them
	# through libxdp (under its lock) no more than changes do
	rm -rf "$dir" # nobody's flock holds the removed directory only
	xdpchain add $IF0 "$SAMPLES/rewrite.o" >/dev/null
	[ "$(stat -c '%u %a' "$dir")" = "0 700" ] || fail "$dir: $(stat -c '%u %a' "$dir")"
	chown 65534:65534 "$dir"
	defer "chown 0:0 $dir"
	nobody_flock "$dir" || fail "nobody cannot flock $dir (test is void)"
	local cmd
	for cmd in "status $IF0" "remove $IF0 xdpchain_rewrite" "cleanup"; do
		rc=0
		# shellcheck disable=SC2086 # the command's words
		out=$(timeout 60 "$XDPCHAIN" $cmd 2>&1) || rc=$?
		[ $rc -ne 124 ] || fail "$cmd waited for nobody's lock on $dir"
		[ $rc -eq 1 ] && echo "$out" | grep -q "$dir is owned by uid 65534, not root" ||
			fail "$cmd exited $rc: $out"
	done
}

# F: a program another tool loaded under the final stage's name is a user
# program: xdpchain still puts its own final stage last.
test_rel_foreign_final_named_program() {
	rel_setup
	xdp-loader load -m skb $IF0 "$TESTOBJ/final_named.o" >/dev/null 2>&1 || fail "xdp-loader load failed"
	local uid
	uid=$(loader_member_id xdpchain_final)
	[ -n "$uid" ] || fail "xdp-loader did not load xdpchain_final"
	xdpchain add $IF0 "$SAMPLES/rewrite.o" >/dev/null
	rel_status $IF0 "with a user program named xdpchain_final"
	echo "$ST_JSON" | jq -e --argjson id "$uid" '.programs[] | select(.id == $id) | .final | not' >/dev/null ||
		fail "status takes the user's xdpchain_final for the final stage: $(echo "$ST_JSON" | jq -c '[.programs[] | {name, id, final}]')"
	echo "$ST_JSON" | jq -e --argjson id "$uid" '.programs[-1].final and .programs[-1].id != $id' >/dev/null ||
		fail "no own final stage last: $(echo "$ST_JSON" | jq -c '[.programs[] | {name, id, final}]')"
	rel_assert_consistent "$ST_JSON" "with a user program named xdpchain_final"
	[ "$ST_NAMES" = "xdpchain_rewrite xdpchain_final xdpchain_final" ] || fail "chain: $ST_NAMES"
	echo "$ST_JSON" | jq -e '.problem == null' >/dev/null || fail "problem: $(echo "$ST_JSON" | jq -r .problem)"
	xdpchain remove $IF0 xdpchain_rewrite >/dev/null
	rel_status $IF0 "after removing xdpchain_rewrite"
	echo "$ST_JSON" | jq -e --argjson id "$uid" \
		'(.programs | length) == 2 and .programs[0].id == $id and .programs[1].final' >/dev/null ||
		fail "after removing xdpchain_rewrite: $(echo "$ST_JSON" | jq -c '[.programs[] | {name, id, final}]')"
	xdpchain remove $IF0 "$uid" >/dev/null
	rel_status $IF0 "after removing the user's xdpchain_final"
	[ "$ST_NAMES" = "" ] || fail "chain left: '$ST_NAMES'"
	[ ! -e "$BPFFS/xdpchain/$IF0" ] || fail "xdpchain state left"
}

# G: --hook-pin at a path that holds another chain's hook or another pinned
# map: exit 1, one line (naming the other chain's interface), and the pin
# keeps its map, the interface stays without a chain.
test_rel_hook_pin_occupied() {
	rel_setup
	local other=xcr2 opin=$BPFFS/rel_hook2 oid before p id
	REL_IFACES+=("$other")
	ip link add $other type dummy
	defer "ip link del $other"
	ip link set $other up
	REL_IFINDEXES+=("$(ifindex_of $other)")
	defer "rm -f $opin $BPFFS/rel_array $BPFFS/rel_parray"
	xdpchain add $other "$SAMPLES/rewrite.o" --mode skb --hook-pin "$opin" >/dev/null
	defer "$XDPCHAIN flush $other"
	oid=$(bpftool -j map show pinned "$opin" | jq .id)
	before=$(snapshot $IF0)
	expect_fail 1 "$other" add $IF0 "$SAMPLES/count.o" --hook-pin "$opin"
	[ "$(bpftool -j map show pinned "$opin" 2>/dev/null | jq .id)" = "$oid" ] ||
		fail "the hook of $other at $opin is gone or replaced"
	assert_unchanged $IF0 "$before"
	status_json $other | jq -e --argjson h "$oid" '.problem == null and .hook.id == $h' >/dev/null ||
		fail "$other's chain damaged: $(status_json $other)"
	# other pinned maps, a prog_array looking like a hook among them
	bpftool map create "$BPFFS/rel_array" type array key 4 value 4 entries 1 name rel_array
	bpftool map create "$BPFFS/rel_parray" type prog_array key 4 value 4 entries 5 name xdpcap_hook
	for p in "$BPFFS/rel_array" "$BPFFS/rel_parray"; do
		id=$(bpftool -j map show pinned "$p" | jq .id)
		before=$(snapshot $IF0)
		expect_fail 1 "$p" add $IF0 "$SAMPLES/count.o" --hook-pin "$p"
		[ "$(bpftool -j map show pinned "$p" 2>/dev/null | jq .id)" = "$id" ] ||
			fail "the map pinned at $p is gone or replaced"
		assert_unchanged $IF0 "$before"
	done
}

# G: --hook-pin off bpffs is refused ("not on bpffs"), a file there stays
# as it was, a new path is not created.
test_rel_hook_pin_not_bpffs() {
	rel_setup
	local f=$TEST_TMP/hostname x=$TEST_TMP/x sum before
	cp /etc/hostname "$f" 2>/dev/null || echo "xdpchain-vm" >"$f"
	sum=$(sha256sum <"$f")
	before=$(snapshot $IF0)
	expect_fail 1 "not on bpffs" add $IF0 "$SAMPLES/count.o" --hook-pin "$f"
	[ -f "$f" ] && [ "$(sha256sum <"$f")" = "$sum" ] || fail "$f changed or removed"
	expect_fail 1 "not on bpffs" add $IF0 "$SAMPLES/count.o" --hook-pin "$x"
	[ ! -e "$x" ] || fail "$x created"
	assert_unchanged $IF0 "$before"
}

# expect_fail with a time limit: a command that should fail at once but
# runs on is stopped with SIGINT after $1 seconds and reported as such.
expect_fail_within() {
	local secs=$1 want_rc=$2 pattern=$3 rc=0
	shift 3
	LAST_ERR=$(timeout -k 5 -s INT "$secs" "$XDPCHAIN" "$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" -ne 124 ] || fail "xdpchain $* still ran after ${secs}s, wanted exit $want_rc: $LAST_ERR"
	[ "$rc" -eq "$want_rc" ] || fail "xdpchain $* exited $rc, wanted $want_rc; said: $LAST_ERR"
	[ "$(printf '%s\n' "$LAST_ERR" | grep -c .)" -eq 1 ] ||
		fail "xdpchain $* printed more than one error line: $LAST_ERR"
	printf '%s\n' "$LAST_ERR" | grep -Eq -- "$pattern" ||
		fail "xdpchain $* said '$LAST_ERR', wanted /$pattern/"
}

# G: the recorded hook pin now holds another prog_array: capture refuses
# it instead of capturing from a map no packet reaches.
test_rel_capture_replaced_hook() {
	rel_setup
	xdpchain add $IF0 "$SAMPLES/rewrite.o" >/dev/null
	local pin hid iid
	pin=$(status_json $IF0 | jq -r .hook.pin)
	hid=$(hook_id $IF0)
	rm "$pin"
	bpftool map create "$pin" type prog_array key 4 value 4 entries 5 name xdpcap_hook
	iid=$(bpftool -j map show pinned "$pin" | jq .id)
	[ "$iid" != "$hid" ] || fail "same map id (test is void)"
	expect_fail_within 20 1 "not the chain's hook" capture $IF0 -w "$TEST_TMP/r.pcap"
	[ "$(bpftool -j map show pinned "$pin" | jq .id)" = "$iid" ] || fail "the map at $pin was replaced"
	[ "$(hook_slots "$pin")" = "0 0 0 0 0" ] || fail "capture programs left in the impostor: $(hook_slots "$pin")"
}

# H: SIGHUP ends a capture like SIGINT: exit 0, a readable pcap holding what
# the summary line says, nothing left in the hook; with --after, the tap
# leaves the chain by itself.
test_rel_capture_sighup() {
	rel_setup
	xdpchain add $IF0 "$SAMPLES/rewrite.o" >/dev/null
	local pin rc=0 out=$TEST_TMP/h.pcap
	pin=$(capture_pin)
	start_capture "$out" 'udp dst port 40001'
	send_udp 40000 3
	sleep 1
	kill -HUP $CAP_PID
	wait $CAP_PID || rc=$?
	[ $rc -eq 0 ] || fail "capture exited $rc on SIGHUP: $(cat "$out.log")"
	tcpdump -Z root -nn -r "$out" >/dev/null 2>&1 || fail "pcap unreadable after SIGHUP"
	grep -q "packets written" "$out.log" || fail "no summary line: $(cat "$out.log")"
	# as many packets in the pcap as the summary says (how many arrived
	# before the signal is up to the scheduler)
	local written
	written=$(sed -n 's/.* \([0-9]*\) packets written.*/\1/p' "$out.log" | tail -1)
	[ "$(pcap_count "$out")" = "$written" ] ||
		fail "pcap holds $(pcap_count "$out") packets, the summary says $written"
	[ "$(hook_slots "$pin")" = "0 0 0 0 0" ] || fail "capture programs left in the hook: $(hook_slots "$pin")"
	# --after: read the chain with xdp-loader, as xdpchain status clears dead taps itself
	out=$TEST_TMP/t.pcap
	start_capture "$out" --after xdpchain_rewrite
	rc=0
	kill -HUP $CAP_PID
	wait $CAP_PID || rc=$?
	[ $rc -eq 0 ] || fail "tapping capture exited $rc on SIGHUP: $(cat "$out.log")"
	[ -z "$(loader_member_id xdpchain_tap)" ] || fail "the tap stayed in the chain after SIGHUP"
	ls "$BPFFS/xdpchain/$IF0"/tap_hook_* 2>/dev/null && fail "tap hook pin left after SIGHUP"
	true
}

# ---- apply over several interfaces: all or nothing ----------------------

# rel_extra_iface NAME: one more veth pair (NAME, NAMEp), both here and up,
# flushed and scrubbed with the rest.
rel_extra_iface() {
	ip link add "$1" type veth peer name "${1}p"
	defer "ip link del $1"
	ip link set "$1" up
	ip link set "${1}p" up
	REL_IFACES+=("$1")
	REL_IFINDEXES+=("$(ifindex_of "$1")")
	defer "xdpchain flush $1"
}

# rel_apply_file FILE SPEC IFACE...: a chain file giving every IFACE the
# chain SPEC (object[:priority] words, skb mode).
rel_apply_file() {
	local f=$1 spec=$2 i o
	shift 2
	{
		echo "version: 1"
		echo "interfaces:"
		for i in "$@"; do
			echo "  $i:"
			echo "    mode: skb"
			echo "    programs:"
			for o in $spec; do
				echo "      - object: ${o%%:*}"
				[ "$o" = "${o#*:}" ] || echo "        priority: ${o#*:}"
			done
		done
	} >"$f"
}

# The chain of every interface named, one line each: names and priorities.
rel_shapes() {
	local i
	for i in "$@"; do
		echo "$i $(status_json "$i" | jq -c '[.programs[] | [.name, .priority]]')"
	done
}

# Dispatcher and program ids of every interface named.
rel_ids() {
	local i
	for i in "$@"; do
		echo "$i $(status_json "$i" | jq -c '{d: .dispatcher_id, p: [.programs[] | .id]}')"
	done
}

# E: the kernel refuses the second interface of an apply (its new member
# fails the verifier): the first, already switched, gets its previous
# chain back (the same dispatcher, the same programs, counted), the one
# line names the failure and the rollback, and nothing is left behind.
test_rel_apply_second_refused_rolls_back() {
	rel_setup
	rel_extra_iface xr0
	local ids shapes out
	rel_apply_file "$TEST_TMP/old.conf" "$SAMPLES/rewrite.o $SAMPLES/count.o" $IF0 xr0
	xdpchain apply "$TEST_TMP/old.conf" >/dev/null || fail "first apply"
	ids=$(rel_ids $IF0 xr0)
	shapes=$(rel_shapes $IF0 xr0)
	{
		printf 'version: 1\ninterfaces:\n'
		printf '  %s:\n    mode: skb\n    programs:\n' $IF0
		printf '      - object: %s\n        priority: 5\n      - object: %s\n' \
			"$SAMPLES/count.o" "$SAMPLES/drop.o"
		printf '  xr0:\n    mode: skb\n    programs:\n'
		printf '      - object: %s\n      - object: %s\n' "$SAMPLES/count.o" "$TESTOBJ/reject.o"
	} >"$TEST_TMP/bad.conf"
	expect_fail 1 "loading 'xdp_test_reject' into the new chain on xr0 failed: .*; nothing was changed: $IF0 was rolled back to its previous chain$" \
		apply "$TEST_TMP/bad.conf"
	[ "$(rel_ids $IF0 xr0)" = "$ids" ] || fail "ids after the rollback: $(rel_ids $IF0 xr0), were $ids"
	[ "$(rel_shapes $IF0 xr0)" = "$shapes" ] || fail "chains after the rollback: $(rel_shapes $IF0 xr0)"
	for i in $IF0 xr0; do
		status_json $i | jq -e '.problem == null and .counters and (.leftovers | length == 0)' >/dev/null ||
			fail "$i after the rollback: $(status_json $i)"
	done
	! ls /run/xdpchain/apply.journal* >/dev/null 2>&1 || fail "journal left: $(cat /run/xdpchain/apply.journal*)"
	# the old chain runs and counts: the rewrite before the counter
	send_udp 40000 3
	count_reaches 1 3 || fail "count saw $(count_of 1) of 3 rewritten packets after the rollback"
	xdpchain -j status -s $IF0 | jq -e '.programs[1].stats.pass >= 3' >/dev/null ||
		fail "not counted after the rollback: $(xdpchain -j status -s $IF0)"
	# save -> apply --dry-run: unchanged
	xdpchain save >"$TEST_TMP/saved.conf" 2>"$TEST_TMP/err" || fail "save: $(cat "$TEST_TMP/err")"
	out=$(xdpchain apply --dry-run "$TEST_TMP/saved.conf") || fail "dry run of the saved file"
	[ "$(echo "$out" | grep -c ': unchanged$')" -eq 2 ] || fail "dry run of the saved file: $out"
}

# rel_all_one SHAPES_A SHAPES_B WHAT IFACE...: every interface runs file A's
# chain, or every one file B's; sets REL_WHICH to a or b.
rel_all_one() {
	local a=$1 b=$2 what=$3 now
	shift 3
	now=$(rel_shapes "$@")
	if [ "$now" = "$a" ]; then
		REL_WHICH=a
	elif [ "$now" = "$b" ]; then
		REL_WHICH=b
	else
		fail "$what: a mix of old and new chains: $(echo "$now" | tr '\n' ' ')"
	fi
}

# A: apply over three interfaces killed (SIGKILL) at points spread over its
# whole run: after the next plain command (cleanup) every interface runs
# the old chain or every one the new, that file's dry run says unchanged,
# and so does a dry run of what save writes.
test_rel_apply_kill9_all_or_nothing() {
	rel_setup
	rel_extra_iface xk0
	rel_extra_iface xk1
	local ifs="$IF0 xk0 xk1" a b t0 span i file delay out
	rel_apply_file "$TEST_TMP/a.conf" "$SAMPLES/rewrite.o $SAMPLES/count.o" $ifs
	rel_apply_file "$TEST_TMP/b.conf" "$SAMPLES/count.o:5 $SAMPLES/drop.o" $ifs
	xdpchain apply "$TEST_TMP/b.conf" >/dev/null || fail "apply b"
	b=$(rel_shapes $ifs)
	# how long an apply of all three takes here and now
	t0=$(now_cs)
	xdpchain apply "$TEST_TMP/a.conf" >/dev/null || fail "apply a"
	span=$(($(now_cs) - t0))
	a=$(rel_shapes $ifs)
	REL_WHICH=a
	REL_WHAT="kill -9 in apply"
	# sixteen kills, one in each sixteenth of the run (rel_delay): four
	# more only landed again in sixteenths 0, 7, 14 and 5
	for i in $(seq 0 15); do
		# the other file than the one running now
		if [ $REL_WHICH = a ]; then file=b; else file=a; fi
		delay=$(rel_delay "$span" $i)
		rel_interrupt KILL "$delay" apply "$TEST_TMP/$file.conf"
		rel_must cleanup
		rel_all_one "$a" "$b" "kill $i at ${delay}s (apply $file, exit $INT_RC)" $ifs
		out=$(xdpchain apply --dry-run "$TEST_TMP/$REL_WHICH.conf") ||
			fail "kill $i: dry run of $REL_WHICH.conf"
		[ "$(echo "$out" | grep -c ': unchanged$')" -eq 3 ] || fail "kill $i: dry run of $REL_WHICH.conf: $out"
		xdpchain save >"$TEST_TMP/saved.conf" 2>"$TEST_TMP/err" ||
			fail "kill $i: save: $(cat "$TEST_TMP/err")"
		out=$(xdpchain apply --dry-run "$TEST_TMP/saved.conf") || fail "kill $i: dry run of the saved file"
		[ "$(echo "$out" | grep -c ': unchanged$')" -eq 3 ] || fail "kill $i: dry run of the saved file: $out"
		! ls /run/xdpchain/apply.journal* >/dev/null 2>&1 || fail "kill $i: journal left after cleanup"
	done
	for i in $ifs; do
		status_json $i | jq -e '.problem == null and .counters and (.leftovers | length == 0)' >/dev/null ||
			fail "$i after the kills: $(status_json $i)"
	done
}

# E: two applies of different files over three interfaces at once never
# mix: every interface ends with the chain of one and the same file. And no
# other run gets between two interfaces of an apply: a waiter blocked on
# the chain lock (flock(1) wakes the moment the lock is free) reads the
# three chains each time it gets the lock during applies; it must always
# find all of one file.
test_rel_concurrent_applies_never_mix() {
	rel_setup
	rel_extra_iface xm0
	rel_extra_iface xm1
	local ifs="$IF0 xm0 xm1" a b r p1 p2 rc1 rc2 n=0 snap
	rel_apply_file "$TEST_TMP/a.conf" "$SAMPLES/rewrite.o $SAMPLES/count.o" $ifs
	rel_apply_file "$TEST_TMP/b.conf" "$SAMPLES/count.o:5 $SAMPLES/drop.o" $ifs
	xdpchain apply "$TEST_TMP/b.conf" >/dev/null || fail "apply b"
	b=$(rel_shapes $ifs)
	xdpchain apply "$TEST_TMP/a.conf" >/dev/null || fail "apply a"
	a=$(rel_shapes $ifs)
	for r in $(seq 0 3); do
		"$XDPCHAIN" apply "$TEST_TMP/b.conf" >"$TEST_TMP/r1.log" 2>&1 &
		p1=$!
		"$XDPCHAIN" apply "$TEST_TMP/a.conf" >"$TEST_TMP/r2.log" 2>&1 &
		p2=$!
		rc1=0 rc2=0
		wait $p1 || rc1=$?
		wait $p2 || rc2=$?
		[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] ||
			fail "round $r: applies exited $rc1 and $rc2: $(cat "$TEST_TMP/r1.log" "$TEST_TMP/r2.log")"
		rel_all_one "$a" "$b" "round $r" $ifs
		xdpchain apply "$TEST_TMP/a.conf" >/dev/null || fail "round $r: apply a"
	done
	# the waiter: between applies of b and a, one after the other
	(
		for f in b a b a; do
			"$XDPCHAIN" apply "$TEST_TMP/$f.conf" >/dev/null 2>&1 || exit 1
		done
	) &
	p1=$!
	while kill -0 $p1 2>/dev/null; do
		snap=$(flock /run/xdpchain/chain.lock bash -c "$(declare -f rel_shapes status_json xdpchain); XDPCHAIN=$XDPCHAIN rel_shapes $ifs")
		n=$((n + 1))
		[ "$snap" = "$a" ] || [ "$snap" = "$b" ] ||
			fail "read $n under the chain lock during applies: a mix: $(echo "$snap" | tr '\n' ' ')"
		sleep 0.1
	done
	wait $p1 || fail "the applies failed"
	[ $n -ge 2 ] || fail "the waiter got the lock only $n times"
}
