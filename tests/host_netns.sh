# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Network namespaces without a chain: -n NETNS (as ip -n) and the refusal
# under ip netns exec, whose bpffs would vanish with the command. Chains in
# two namespaces sharing one bpffs: tests/vm_netns.sh.

NSA=xcnsa

# Netns $NSA holding veth xa0 (peer xa1), nothing of it in ours.
setup_netns_a() {
	ip netns add $NSA
	defer "ip netns del $NSA"
	ip -n $NSA link add xa0 type veth peer name xa1
	ip -n $NSA link set xa0 up
	ip -n $NSA link set xa1 up
}

# -n NETNS before the command, --netns NETNS after it: the command runs in
# that namespace; a bad name is one line, exit 1; -n without a name exit 2.
test_netns_option() {
	setup_netns_a
	local out
	[ ! -e /sys/class/net/xa0 ] || fail "xa0 is in our namespace (test is void)"
	expect_fail 1 "xa0" status xa0
	out=$(xdpchain -n $NSA -j status xa0) || fail "-n $NSA status xa0: $out"
	echo "$out" | jq -e '.ifname == "xa0" and .programs == []' >/dev/null ||
		fail "-n $NSA status xa0: $out"
	out=$(xdpchain --netns $NSA -j status xa0) || fail "--netns $NSA status xa0: $out"
	out=$(xdpchain -j status xa0 --netns $NSA) || fail "status xa0 --netns $NSA: $out"
	out=$(xdpchain --netns=$NSA -j status xa0) || fail "--netns=$NSA status xa0: $out"
	out=$(xdpchain -n $NSA cleanup 2>&1) || fail "-n $NSA cleanup: $out"
	expect_fail 1 "no network namespace 'nope'.*ip netns list" -n nope status xa0
	expect_fail 1 "no network namespace 'nope'" status xa0 --netns nope
	expect_fail 1 "is no network namespace name" -n ../$NSA status xa0
	expect_fail 2 "needs a network namespace name" -n
	xdpchain --help | grep -q -- "--netns NETNS" || fail "--help lacks --netns"
	xdpchain status --help | grep -q -- "--netns NETNS" || fail "status --help lacks --netns"
	xdpchain completion | grep -q -- "--netns" || fail "completion lacks --netns"
}

# ip netns exec mounts /sys again, without bpffs: add refuses in one line
# naming -n instead of mounting a bpffs that would go with the command
# (before the freplace check: this host needs no freplace for it); nothing
# is mounted there, nothing pinned on ours.
test_netns_exec_refused() {
	setup_netns_a
	local before out cmd rc=0
	before=$(snapshot lo)
	out=$(ip netns exec $NSA bash -c '
		"$1" add xa0 "$2" 2>&1 >/dev/null
		rc=$?
		# by its type, not mountpoint(1): libmount also names mounts hidden
		# under the sysfs ip netns exec puts on /sys (a host where bpftool
		# mounted bpffs on a bind of /sys/fs/bpf has them)
		[ "$(stat -f -c %T /sys/fs/bpf)" = bpf_fs ] && echo "MOUNTED"
		exit $rc' _ "$XDPCHAIN" "$SAMPLES/rewrite.o") || rc=$?
	[ $rc -eq 1 ] || fail "ip netns exec $NSA xdpchain add exited $rc: $out"
	[ "$(printf '%s\n' "$out" | grep -c .)" -eq 1 ] || fail "more than one line: $out"
	echo "$out" | grep -q "xdpchain -n NETNS" || fail "no pointer to -n: $out"
	assert_unchanged lo "$before"
	# the other chain commands too: libxdp would mount that bpffs itself,
	# and status would show a chain without its state as a single program
	for cmd in "flush xa0" "status xa0" "cleanup"; do
		rc=0
		# shellcheck disable=SC2086 # the command's words
		out=$(ip netns exec $NSA "$XDPCHAIN" $cmd 2>&1) || rc=$?
		[ $rc -eq 1 ] && [ "$(printf '%s\n' "$out" | grep -c .)" -eq 1 ] &&
			echo "$out" | grep -q "xdpchain -n NETNS" ||
			fail "ip netns exec $NSA xdpchain $cmd exited $rc: $out"
	done
	ip netns exec $NSA "$XDPCHAIN" status --help >/dev/null || fail "status --help refused"
	assert_unchanged lo "$before"
	# from our mount namespace, with -n, the same add reaches the freplace check
	if ! xdpchain -j features | jq -e .freplace >/dev/null; then
		expect_fail 1 "refuses freplace" -n $NSA add xa0 "$SAMPLES/rewrite.o"
	fi
}
