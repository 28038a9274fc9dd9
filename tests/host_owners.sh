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
