# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Locks and pins that belong to someone else: what a local user (nobody)
# can do to root's xdpchain runs. Runs on any kernel.

need_setpriv() {
	command -v setpriv >/dev/null || skip "setpriv not installed"
}

# A standalone XDP program whose pinned map is a hook: captures need no chain.
load_hook() {
	bpftool prog load "$SAMPLES/drop.o" "$BPFFS/xc_drop" type xdp pinmaps "$BPFFS/xc_maps"
	defer "rm -rf $BPFFS/xc_drop $BPFFS/xc_maps"
	HOOK_PIN=$BPFFS/xc_maps/xdpcap_hook
}

# Nobody takes every lock it can open; root's flush and capture go on as
# if nobody were there, and nobody could open none of root's lock files.
test_owners_nobody_cannot_hold_locks() {
	need_setpriv
	mount -t bpf -o mode=1777 bpf "$BPFFS" # the kernel's default mode
	setup_veth
	load_hook
	# root's runs leave their lock files behind
	xdpchain flush $IF0
	start_capture /tmp/a.pcap --hook "$HOOK_PIN"
	stop_capture /tmp/a.pcap
	local f held=()
	nobody_flock "$BPFFS" || fail "nobody cannot flock the 1777 bpffs root (test is void)"
	for f in /run/xdpchain /run/xdpchain/*; do
		[ -e "$f" ] || fail "no lock files in /run/xdpchain"
		! nobody_flock "$f" || held+=("$f")
	done
	local rc=0 out
	out=$(timeout 30 "$XDPCHAIN" flush $IF0 2>&1) || rc=$?
	[ $rc -eq 0 ] || fail "flush exited $rc while nobody held locks (${held[*]}): $out"
	start_capture /tmp/b.pcap --hook "$HOOK_PIN"
	stop_capture /tmp/b.pcap
	[ ${#held[@]} -eq 0 ] || fail "nobody opened and locked ${held[*]}"
	[ "$(stat -c '%a %u %F' /run/xdpchain)" = "700 0 directory" ] ||
		fail "/run/xdpchain: $(stat -c '%a %u %F' /run/xdpchain)"
	for f in /run/xdpchain/*.lock; do
		[ "$(stat -c '%a %u' "$f")" = "600 0" ] || fail "$f: $(stat -c '%a %u' "$f")"
	done
}

# A lock directory someone else owns or planted is refused with the fix;
# an older xdpchain's (root's, 0755, lock files 0644) is repaired.
test_owners_lock_dir_checked() {
	setup_veth
	mkdir -m 0700 /run/xdpchain
	chown 65534:65534 /run/xdpchain
	expect_fail 1 "^xdpchain flush: /run/xdpchain is owned by uid 65534, not root: remove it \('rm -r /run/xdpchain'\) and retry$" \
		flush $IF0
	rm -r /run/xdpchain
	mkdir -m 0700 /tmp/elsewhere
	ln -s /tmp/elsewhere /run/xdpchain
	expect_fail 1 "/run/xdpchain is a symlink, not a directory: remove it \('rm /run/xdpchain'\)" \
		flush $IF0
	[ -z "$(ls -A /tmp/elsewhere)" ] || fail "followed the symlink: $(ls -A /tmp/elsewhere)"
	rm /run/xdpchain

	mkdir -m 0755 /run/xdpchain
	install -m 0644 /dev/null /run/xdpchain/chain.lock
	xdpchain flush $IF0
	[ "$(stat -c '%a' /run/xdpchain /run/xdpchain/chain.lock | tr '\n' ' ')" = "700 600 " ] ||
		fail "modes not repaired: $(stat -c '%n %a' /run/xdpchain /run/xdpchain/chain.lock)"

	rm /run/xdpchain/chain.lock
	ln -s /tmp/elsewhere/x /run/xdpchain/chain.lock
	expect_fail 1 "/run/xdpchain/chain.lock is a symlink, not a lock file" flush $IF0
	[ ! -e /tmp/elsewhere/x ] || fail "created the lock through a symlink"
	rm /run/xdpchain/chain.lock
	install -m 0600 -o 65534 /dev/null /run/xdpchain/chain.lock
	expect_fail 1 "/run/xdpchain/chain.lock is owned by uid 65534, not root" flush $IF0
}

# On a bpffs of mode 1777 nobody can make the directories root pins a
# chain's state and hook in: add refuses them with the fix, before the
# freplace check, and changes nothing.
test_owners_bpffs_dirs_checked() {
	need_setpriv
	mount -t bpf -o mode=1777 bpf "$BPFFS"
	setup_veth
	local top=$BPFFS/xdpchain before out
	as_nobody mkdir -p "$top/$IF0"
	before=$(snapshot $IF0)
	expect_fail 1 "^xdpchain add: $top is owned by uid 65534, not root: remove it \('rm -r $top'\) and retry$" \
		add $IF0 "$SAMPLES/count.o"
	assert_unchanged $IF0 "$before"
	rm -r "$top"

	# nobody cannot reach into root's 0700 directory: root made this one
	mkdir -m 0700 "$top" "$top/$IF0"
	chown 65534:65534 "$top/$IF0"
	before=$(snapshot $IF0)
	expect_fail 1 "^xdpchain add: $top/$IF0 is owned by uid 65534, not root: remove it \('rm -r $top/$IF0'\) and retry$" \
		add $IF0 "$SAMPLES/count.o"
	assert_unchanged $IF0 "$before"
	rm -r "$top"

	# a symlink planted where root would create the directory
	as_nobody mkdir "$BPFFS/mine"
	as_nobody ln -s "$BPFFS/mine" "$top"
	before=$(snapshot $IF0)
	expect_fail 1 "^xdpchain add: $top is a symlink, not a directory: remove it \('rm $top'\) and retry$" \
		add $IF0 "$SAMPLES/count.o"
	assert_unchanged $IF0 "$before"
	[ -z "$(ls -A "$BPFFS/mine")" ] || fail "followed the symlink: $(ls -A "$BPFFS/mine")"
	rm "$top"

	# --hook-pin into a directory nobody owns, or one root's group may write
	mkdir -m 0770 "$BPFFS/grp"
	before=$(snapshot $IF0)
	expect_fail 1 "^xdpchain add: $BPFFS/mine is owned by uid 65534, not root" \
		add $IF0 "$SAMPLES/count.o" --hook-pin "$BPFFS/mine/hook"
	expect_fail 1 "^xdpchain add: $BPFFS/grp is writable by group or others \(mode 0770\)" \
		add $IF0 "$SAMPLES/count.o" --hook-pin "$BPFFS/grp/hook"
	assert_unchanged $IF0 "$before"

	# root's own directories, and the sticky bpffs root for --hook-pin, pass
	mkdir -m 0700 "$top" "$top/$IF0"
	out=$(xdpchain add $IF0 "$SAMPLES/count.o" --hook-pin "$BPFFS/xdpcap" 2>&1) || true
	! echo "$out" | grep -Eq "not root|writable by|symlink" || fail "root's own refused: $out"
}

# A set-uid run takes no direction from its caller's environment: not
# where bpffs is (LIBXDP_BPFFS), not which dispatcher (XDPCHAIN_DISPATCHER).
# A plain root run still does.
test_owners_setuid_ignores_env() {
	need_setpriv
	local suid=/tmp/xdpchain-suid out
	install -m 4755 -o root "$XDPCHAIN" "$suid"
	out=$(as_nobody env LIBXDP_BPFFS=/tmp XDPCHAIN_DISPATCHER=system "$suid" -j features) ||
		fail "set-uid features failed: $out"
	echo "$out" | jq -e '.bpffs' >/dev/null || fail "LIBXDP_BPFFS steered a set-uid run: $out"
	echo "$out" | jq -e '.dispatcher_reason | test("XDPCHAIN_DISPATCHER") | not' >/dev/null ||
		fail "XDPCHAIN_DISPATCHER steered a set-uid run: $out"
	out=$(env LIBXDP_BPFFS=/tmp XDPCHAIN_DISPATCHER=system "$XDPCHAIN" -j features)
	echo "$out" | jq -e '(.bpffs | not) and (.dispatcher_reason | test("XDPCHAIN_DISPATCHER=system"))' \
		>/dev/null || fail "root's own environment ignored: $out"
}

# le32 N: N's four bytes, little-endian, as bpftool value words.
le32() {
	printf '0x%02x 0x%02x 0x%02x 0x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) \
		$((($1 >> 16) & 255)) $((($1 >> 24) & 255))
}

# forge_state PIN HOOK_PIN IFINDEX HOOK_ID: pins at PIN a map that reads as
# xdpchain state (dispatcher/own.h: magic, version, hook_pin[256], ifindex,
# hook_id) naming HOOK_PIN. Root makes it: nobody could not create a BPF
# map, but the directory it lies in is what must count.
forge_state() {
	local pin=$1 hook=$2 ifindex=$3 hook_id=$4 value i
	bpftool map create "$pin" type array key 4 value 272 entries 1 name xdpchain_state
	value="$(le32 $((0x78646331))) $(le32 2)"
	for ((i = 0; i < 256; i++)); do
		value+=" $(printf '0x%02x' "'${hook:i:1}")"
		[ $i -lt ${#hook} ] || value=${value% *}" 0x00"
	done
	value+=" $(le32 "$ifindex") $(le32 "$hook_id")"
	# shellcheck disable=SC2086 # one word per byte
	bpftool map update pinned "$pin" key 0 0 0 0 value $value
}

# State in a directory nobody owns is not believed: status does not show
# it, and neither flush nor cleanup unlinks the root pin it names outside
# xdpchain's directories (a prog array with the very id it records), nor
# anything in nobody's directory.
test_owners_forged_state_ignored() {
	need_setpriv
	mount -t bpf -o mode=1777 bpf "$BPFFS"
	setup_veth
	local top=$BPFFS/xdpchain victim=$BPFFS/victim id ifindex out
	bpftool map create "$victim" type prog_array key 4 value 4 entries 5 name victim
	id=$(bpftool -j map show pinned "$victim" | jq -r .id)
	ifindex=$(cat /sys/class/net/$IF0/ifindex)
	as_nobody mkdir -p "$top/$IF0" "$top/gone0"
	forge_state "$top/$IF0/state" "$victim" "$ifindex" "$id"
	forge_state "$top/gone0/state" "$victim" 99999 "$id"
	out=$(status_json $IF0)
	echo "$out" | jq -e '.managed == false and (.hook.pin // "") != "'"$victim"'"' >/dev/null ||
		fail "status believed state in nobody's directory: $out"
	xdpchain flush $IF0 >/dev/null
	xdpchain cleanup >/dev/null
	[ -e "$victim" ] || fail "a pin named by forged state was unlinked"
	[ -e "$top/$IF0/state" ] && [ -e "$top/gone0/state" ] ||
		fail "root unlinked in nobody's directory: $(find "$top")"
}

# <bpffs>/xdp is libxdp's lock and pin directory: one nobody made (and
# holds libxdp's lock on) is refused in one line with the fix, at once,
# and root pins nothing in it.
test_owners_libxdp_dir_refused() {
	need_setpriv
	mount -t bpf -o mode=1777 bpf "$BPFFS"
	setup_veth
	local dir=$BPFFS/xdp rc=0 out
	as_nobody mkdir -m 0755 "$dir"
	nobody_flock "$dir" || fail "nobody cannot flock its own $dir (test is void)"
	local want="^xdpchain add: $dir is owned by uid 65534, not root: remove it \('rm -r $dir'\) and retry$"
	# a hang guard, not a timing: libxdp waits for its lock without end
	out=$(timeout 60 "$XDPCHAIN" add $IF0 "$SAMPLES/count.o" 2>&1) || rc=$?
	[ $rc -eq 1 ] || fail "add exited $rc: $out"
	[ "$(echo "$out" | grep -c .)" -eq 1 ] && echo "$out" | grep -Eq "$want" ||
		fail "add said: $out"
	rc=0
	out=$(timeout 60 "$XDPCHAIN" apply /dev/null 2>&1) || rc=$?
	[ $rc -ne 124 ] || fail "apply waited for nobody's lock"
	# status of every interface cannot tell what libxdp pinned there
	expect_fail 1 "^xdpchain status: $dir is owned by uid 65534, not root" status
	[ -z "$(find "$dir" -mindepth 1 -uid 0)" ] || fail "root pinned in nobody's $dir: $(find "$dir")"
	# a group-writable one of root's is refused too
	rm -r "$dir" 2>/dev/null || true
	mkdir -m 0770 "$dir"
	chmod 0770 "$dir"
	expect_fail 1 "^xdpchain add: $dir is writable by group or others \(mode 0770\)" \
		add $IF0 "$SAMPLES/count.o"
}

# hold_flock PATH: root holds an exclusive flock on PATH until the test
# ends (or release_flock): flock(1) takes it and waits for its sleep,
# which does not inherit it (-o), so HOLDER is the pid that took it.
hold_flock() {
	flock -o -w 10 "$1" sleep 600 </dev/null >/dev/null 2>&1 &
	HOLDER=$!
	defer "release_flock"
	for _ in $(seq 200); do
		is_flocked "$1" && return 0
		sleep 0.05
	done
	fail "could not hold $1"
}

release_flock() {
	local child
	child=$(pgrep -P "$HOLDER")
	kill $HOLDER $child
	wait $HOLDER 2>/dev/null || true
}

# Locks xdpchain waits for are waited for a while, then named with the pid
# that holds them: its own chain lock, and libxdp's lock on <bpffs>/xdp
# (taken by cleanup to remove libxdp's pins of a dispatcher that is gone).
test_owners_lock_holder_named() {
	setup_veth
	xdpchain flush $IF0 >/dev/null # makes /run/xdpchain/chain.lock
	local rc=0 out
	hold_flock /run/xdpchain/chain.lock
	expect_fail 1 "pid $HOLDER held /run/xdpchain/chain.lock for 10 s" flush $IF0
	release_flock

	mkdir -m 0700 "$BPFFS/xdp" "$BPFFS/xdp/dispatch-$(cat /sys/class/net/$IF0/ifindex)-4242"
	hold_flock "$BPFFS/xdp"
	out=$(timeout 60 "$XDPCHAIN" cleanup 2>&1) || rc=$?
	[ $rc -eq 1 ] || fail "cleanup exited $rc while pid $HOLDER held libxdp's lock: $out"
	echo "$out" | grep -q "^xdpchain cleanup: libxdp's lock on $BPFFS/xdp is held by pid $HOLDER" ||
		fail "cleanup said: $out"
	release_flock
	xdpchain cleanup >/dev/null
	[ ! -e "$BPFFS/xdp/dispatch-$(cat /sys/class/net/$IF0/ifindex)-4242" ] ||
		fail "cleanup left the stale dispatcher directory once the lock was free"
}

# A program of the user's that carries the capture programs' name, put
# into a hook's slot by its user, stays there: the next capture and
# cleanup recognise capture programs by what xdpchain recorded, not by
# name. A killed capture's own programs are still cleared.
test_owners_named_capture_kept() {
	setup_standalone_hook
	local pin=$STANDALONE_PIN mine slots
	bpftool prog load "$TESTOBJ/cap_named.o" "$BPFFS/mine" type xdp
	defer "rm -f $BPFFS/mine"
	mine=$(bpftool -j prog show pinned "$BPFFS/mine" | jq -r .id)
	bpftool map update pinned "$pin" key 0 0 0 0 value pinned "$BPFFS/mine"
	# a capture killed with its program in the pass slot
	start_capture /tmp/k.pcap --hook "$pin" --actions pass
	kill -9 $CAP_PID
	wait $CAP_PID 2>/dev/null || true
	slots=$(hook_slots "$pin")
	[ "${slots%% *}" = "$mine" ] && [ "$(echo "$slots" | cut -d' ' -f3)" != 0 ] ||
		fail "slots $slots: the user's $mine belongs in aborted, the killed capture's in pass"
	start_capture /tmp/a.pcap --hook "$pin" --actions drop
	stop_capture /tmp/a.pcap
	[ "$(hook_slots "$pin")" = "$mine 0 0 0 0" ] ||
		fail "slots after the next capture: $(hook_slots "$pin") (user's program $mine)"
	xdpchain cleanup >/dev/null
	[ "$(hook_slots "$pin")" = "$mine 0 0 0 0" ] ||
		fail "slots after cleanup: $(hook_slots "$pin") (user's program $mine)"
}
