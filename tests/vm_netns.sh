# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Chains in two network namespaces sharing the machine's bpffs, each on a
# veth of the same ifindex (ifindexes are per namespace; bpffs is not):
# xdpchain -n NETNS manages each, and cleanup/flush in one namespace never
# touch the other's state or libxdp's pins (dispatch-IFINDEX-ID names no
# namespace). Real chains: they need freplace, so they run in the VM.

NSA=xcna # xa0: chain A
NSB=xcnb # xb0: chain B, same ifindex as xa0
NSP=xcnp # the peers xa1, xb1: send to A and B

# A's and B's veths, their peers in $NSP with static neighbours; sets IFX
# (the ifindex xa0 and xb0 share) and the deferred flushes.
netns_setup() {
	vm_only
	local ns
	for ns in $NSA $NSB $NSP; do
		ip netns add $ns
		defer "ip netns del $ns"
		ip netns exec $ns sh -c 'echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6'
		ip -n $ns link set lo up
	done
	defer "rm -rf $BPFFS/xdpchain/xa0 $BPFFS/xdpchain/xb0"
	ip -n $NSA link add xa0 type veth peer name xa1 netns $NSP
	ip -n $NSB link add xb0 type veth peer name xb1 netns $NSP
	ip -n $NSA addr add 192.0.2.1/24 dev xa0
	ip -n $NSP addr add 192.0.2.2/24 dev xa1
	ip -n $NSB addr add 198.51.100.1/24 dev xb0
	ip -n $NSP addr add 198.51.100.2/24 dev xb1
	ip -n $NSA link set xa0 up
	ip -n $NSB link set xb0 up
	ip -n $NSP link set xa1 up
	ip -n $NSP link set xb1 up
	ip -n $NSP neigh replace 192.0.2.1 lladdr "$(ns_mac $NSA xa0)" dev xa1
	ip -n $NSP neigh replace 198.51.100.1 lladdr "$(ns_mac $NSB xb0)" dev xb1
	# and back (ICMP port unreachable): no ARP reply crosses the chains
	ip -n $NSA neigh replace 192.0.2.2 lladdr "$(ns_mac $NSP xa1)" dev xa0
	ip -n $NSB neigh replace 198.51.100.2 lladdr "$(ns_mac $NSP xb1)" dev xb0
	defer "$XDPCHAIN -n $NSA flush xa0"
	defer "$XDPCHAIN -n $NSB flush xb0"
	IFX=$(ns_ifindex $NSA xa0)
	[ "$(ns_ifindex $NSB xb0)" = "$IFX" ] ||
		fail "xa0 has ifindex $IFX, xb0 $(ns_ifindex $NSB xb0) (test is void)"
}

ns_mac() {
	ip -n "$1" -j link show dev "$2" | jq -r '.[0].address'
}

ns_ifindex() {
	ip -n "$1" -j link show dev "$2" | jq -r '.[0].ifindex'
}

# ns_xdp_id NETNS IFACE: the XDP program attached there (0: none).
ns_xdp_id() {
	ip -n "$1" -j link show dev "$2" | jq -r '.[0].xdp.prog.id // .[0].xdp.attached[0].prog.id // 0'
}

# ns_count_reaches NETNS IFACE N: within 5 s, then exactly (one status: the
# count sample's program id, then its map through bpftool).
ns_count_reaches() {
	local id
	NS_COUNT=0
	id=$("$XDPCHAIN" -n "$1" -j status "$2" | jq -r '.programs[] | select(.name=="xdpchain_count") | .id')
	[ -n "$id" ] || return 1
	for _ in $(seq 100); do
		NS_COUNT=$(count_slot "$id" 0)
		[ "$NS_COUNT" -ge "$3" ] && break
		sleep 0.05
	done
	[ "$NS_COUNT" -eq "$3" ]
}

send_to_a() {
	ip netns exec $NSP bash -c "for i in \$(seq $1); do echo x > /dev/udp/192.0.2.1/40001; done"
}

# A's chain as it must stay: its dispatcher attached, libxdp's pins, its
# state and hook, status through -n, and its count.
assert_a_intact() {
	local what=$1 want=$2 j
	[ "$(ns_xdp_id $NSA xa0)" = "$DA" ] || fail "$what: xa0's dispatcher is $(ns_xdp_id $NSA xa0), not $DA"
	[ -d "$BPFFS/xdp/dispatch-$IFX-$DA" ] || fail "$what: removed A's libxdp pins dispatch-$IFX-$DA"
	[ -e "$BPFFS/xdpchain/xa0/state" ] || fail "$what: removed A's state $BPFFS/xdpchain/xa0"
	[ -e "$BPFFS/xdpchain/xa0/xdpcap_hook" ] || fail "$what: removed A's hook pin"
	j=$("$XDPCHAIN" -n $NSA -j status xa0) || fail "$what: -n $NSA status xa0: $j"
	echo "$j" | jq -e '.managed and .problem == null and .leftovers == [] and
		([.programs[].name] == ["xdpchain_count", "xdpchain_final"])' >/dev/null ||
		fail "$what: -n $NSA status xa0: $(echo "$j" | jq -c '{managed, problem, leftovers, programs: [.programs[].name]}')"
	send_to_a 2
	ns_count_reaches $NSA xa0 "$want" || fail "$what: A's chain counted $NS_COUNT of $want"
}

# A chain in A; cleanup and flush in B (a chain on the same ifindex) and
# cleanup in ours leave A's chain, its libxdp pins and xdpchain state
# whole; -n A status/remove/flush manage it on the machine's bpffs.
test_netns_cleanup_keeps_other_namespaces() {
	netns_setup
	local out
	out=$(xdpchain -n $NSA add xa0 "$SAMPLES/count.o" 2>&1) || fail "-n $NSA add xa0: $out"
	out=$(xdpchain -n $NSB add xb0 "$SAMPLES/rewrite.o" 2>&1) || fail "-n $NSB add xb0: $out"
	DA=$(ns_xdp_id $NSA xa0)
	[ "$DA" != 0 ] || fail "no dispatcher on xa0"
	[ -d "$BPFFS/xdp/dispatch-$IFX-$DA" ] || fail "A's chain not pinned on the machine's bpffs"
	send_to_a 3
	ns_count_reaches $NSA xa0 3 || fail "A's chain counted $NS_COUNT of 3"
	out=$(xdpchain -n $NSB -j cleanup) || fail "-n $NSB cleanup exited $?: $out"
	echo "$out" | jq -e '.removed == []' >/dev/null || fail "-n $NSB cleanup removed: $out"
	assert_a_intact "cleanup in $NSB" 5
	out=$(xdpchain -n $NSB flush xb0 2>&1) || fail "-n $NSB flush xb0: $out"
	[ "$(ns_xdp_id $NSB xb0)" = 0 ] || fail "flush left xb0's dispatcher"
	[ ! -e "$BPFFS/xdpchain/xb0" ] || fail "flush left $BPFFS/xdpchain/xb0"
	assert_a_intact "flush of xb0 in $NSB" 7
	out=$(xdpchain -j cleanup) || fail "cleanup exited $?: $out"
	echo "$out" | jq -e --arg d "$BPFFS/xdp/dispatch-$IFX-$DA" --arg s "$BPFFS/xdpchain/xa0" \
		'all(.removed[]; startswith($d) or startswith($s) | not)' >/dev/null ||
		fail "cleanup in the first namespace removed A's: $out"
	assert_a_intact "cleanup in the first namespace" 9
	# A itself: a change, then nothing left
	out=$(xdpchain -n $NSA add xa0 "$SAMPLES/rewrite.o" 2>&1) || fail "-n $NSA add rewrite: $out"
	out=$(xdpchain -n $NSA remove xa0 xdpchain_rewrite 2>&1) || fail "-n $NSA remove: $out"
	DA=$(ns_xdp_id $NSA xa0)
	assert_a_intact "add and remove in $NSA" 11
	out=$(xdpchain -n $NSA flush xa0 2>&1) || fail "-n $NSA flush xa0: $out"
	[ "$(ns_xdp_id $NSA xa0)" = 0 ] || fail "flush left xa0's dispatcher"
	ls -d "$BPFFS"/xdp/dispatch-"$IFX"-* 2>/dev/null && fail "libxdp pins of ifindex $IFX left"
	[ ! -e "$BPFFS/xdpchain/xa0" ] || fail "flush left $BPFFS/xdpchain/xa0"
}

# The same interface name in B: its add refuses, in one line, the state
# A's chain keeps under that name (once read as B's, or moved to B's
# interface of A's ifindex); A's chain stays.
test_netns_same_name_refused() {
	netns_setup
	local out before
	out=$(xdpchain -n $NSA add xa0 "$SAMPLES/count.o" 2>&1) || fail "-n $NSA add xa0: $out"
	DA=$(ns_xdp_id $NSA xa0)
	ip -n $NSB link add xa0 type veth peer name xa9
	ip -n $NSB link set xa0 up
	before=$(find "$BPFFS" | sort)
	expect_fail 1 "xdpchain/xa0/state is the chain state of an interface 'xa0' in another network namespace" \
		-n $NSB add xa0 "$SAMPLES/rewrite.o"
	[ "$(find "$BPFFS" | sort)" = "$before" ] || fail "bpffs changed: $(diff <(echo "$before") <(find "$BPFFS" | sort) | tr '\n' ' ')"
	[ "$(ns_xdp_id $NSB xa0)" = 0 ] || fail "B's xa0 got an XDP program"
	[ "$(ns_xdp_id $NSB xb0)" = 0 ] || fail "B's xb0 got an XDP program"
	assert_a_intact "add on B's xa0" 2
}

# ip netns exec A xdpchain add: one line naming -n, no chain, nothing
# mounted in its mount namespace nor pinned on the machine's bpffs.
test_netns_exec_add_refused() {
	netns_setup
	local before out rc=0
	before=$(find "$BPFFS" | sort)
	out=$(ip netns exec $NSA bash -c '
		"$1" add xa0 "$2" 2>&1 >/dev/null
		rc=$?
		mountpoint -q /sys/fs/bpf && echo "bpffs MOUNTED at /sys/fs/bpf"
		exit $rc' _ "$XDPCHAIN" "$SAMPLES/count.o") || rc=$?
	[ $rc -eq 1 ] || fail "ip netns exec $NSA xdpchain add exited $rc: $out"
	[ "$(printf '%s\n' "$out" | grep -c .)" -eq 1 ] || fail "more than one line: $out"
	echo "$out" | grep -q "xdpchain -n NETNS" || fail "no pointer to -n: $out"
	[ "$(ns_xdp_id $NSA xa0)" = 0 ] || fail "a chain runs on xa0"
	[ "$(find "$BPFFS" | sort)" = "$before" ] || fail "bpffs changed"
	# the way it points to works
	out=$(xdpchain -n $NSA add xa0 "$SAMPLES/count.o" 2>&1) || fail "-n $NSA add: $out"
	xdpchain -n $NSA -j status xa0 | jq -e '.managed' >/dev/null || fail "-n $NSA status: not managed"
}

# A namespace deleted with its chain (its veth goes with it): cleanup from
# another namespace removes the chain's state and libxdp's pins, which no
# namespace can reach any more. The namespace dies a little after 'ip netns
# del' (the kernel's cleanup_net work): cleanup runs until it did, 20 s at
# most.
test_netns_deleted_namespace_cleaned() {
	netns_setup
	local out hook
	out=$(xdpchain -n $NSA add xa0 "$SAMPLES/count.o" 2>&1) || fail "-n $NSA add xa0: $out"
	DA=$(ns_xdp_id $NSA xa0)
	hook=$(xdpchain -n $NSA -j status xa0 | jq -r .hook.pin)
	[ -e "$hook" ] && [ -d "$BPFFS/xdp/dispatch-$IFX-$DA" ] || fail "A's chain not pinned (test is void)"
	ip netns del $NSA
	for _ in $(seq 40); do
		out=$(xdpchain -j cleanup) || fail "cleanup exited $?: $out"
		[ -e "$BPFFS/xdpchain/xa0" ] || [ -d "$BPFFS/xdp/dispatch-$IFX-$DA" ] || break
		sleep 0.5
	done
	[ ! -e "$BPFFS/xdpchain/xa0" ] || fail "cleanup left the deleted namespace's state"
	[ ! -d "$BPFFS/xdp/dispatch-$IFX-$DA" ] || fail "cleanup left its libxdp pins dispatch-$IFX-$DA"
	[ ! -e "$hook" ] || fail "cleanup left its hook pin $hook"
}

# ns_chains NETNS IFACE...: each interface's chain, names and priorities.
ns_chains() {
	local ns=$1 i
	shift
	for i in "$@"; do
		echo "$i $(xdpchain -n "$ns" -j status "$i" | jq -c '[.programs[] | [.name, .priority]]')"
	done
}

# ns_kill_apply NETNS FILE OTHER: runs apply FILE in NETNS, killed (SIGKILL)
# the moment it writes its journal: before or after its first switch, with
# switches still to make. An apply that ran to its end is tried again the
# other way (OTHER); fails unless a journal is left.
ns_kill_apply() {
	local rc f=$2 g=$3
	for _ in 1 2 3 4 5 6; do
		rc=0
		"$BIN/kill_on_file" /run/xdpchain apply.journal "$XDPCHAIN" -n "$1" apply "$f" \
			>"$TEST_TMP/kill.out" 2>&1 || rc=$?
		[ $rc -eq 0 ] && ls /run/xdpchain/apply.journal* >/dev/null 2>&1 && return
		xdpchain -n "$1" cleanup >/dev/null 2>&1
		set -- "$1" "$g" "$f"
		f=$2 g=$3
	done
	fail "no apply in $1 killed with its journal written (kill_on_file exit $rc: $(tail -3 "$TEST_TMP/kill.out"); test is void)"
}

# An apply in A over three interfaces killed between its switches leaves A's
# journal (ifindexes of A). A change and a cleanup in B, whose xb0 has
# xa0's ifindex, neither finish nor drop it, nor remove the dispatchers it
# names; the next run in A finishes A's apply (every interface on the old
# chain or every one on the new). A journal whose namespace is gone goes
# with the next run anywhere.
test_netns_apply_journal_per_namespace() {
	netns_setup
	local i f jn before after ids out a b
	mkdir -p /run/xdpchain
	for i in 2 3; do
		ip -n $NSA link add xa$i type veth peer name xp$i
		ip -n $NSA link set xa$i up
		ip -n $NSA link set xp$i up
		defer "rm -rf $BPFFS/xdpchain/xa$i"
		defer "$XDPCHAIN -n $NSA flush xa$i"
	done
	for f in a b; do
		{
			printf 'version: 1\ninterfaces:\n'
			for i in xa0 xa2 xa3; do
				printf '  %s:\n    mode: skb\n    programs:\n' $i
				if [ $f = a ]; then
					printf '      - object: %s\n' "$SAMPLES/count.o"
				else
					printf '      - object: %s\n        priority: 5\n' "$SAMPLES/count.o"
					printf '      - object: %s\n' "$SAMPLES/rewrite.o"
				fi
			done
		} >"$TEST_TMP/$f.conf"
	done
	out=$(xdpchain -n $NSA apply "$TEST_TMP/b.conf" 2>&1) || fail "apply b in A: $out"
	b=$(ns_chains $NSA xa0 xa2 xa3)
	out=$(xdpchain -n $NSA apply "$TEST_TMP/a.conf" 2>&1) || fail "apply a in A: $out"
	a=$(ns_chains $NSA xa0 xa2 xa3)
	ns_kill_apply $NSA "$TEST_TMP/b.conf" "$TEST_TMP/a.conf"
	jn=$(ls /run/xdpchain/apply.journal*)
	[ "$(echo "$jn" | wc -l)" -eq 1 ] || fail "journals: $jn"
	# the dispatcher pins A's journal names, as they are now
	ids=$(awk '$1 == "switch" { print $2 "-" $3; print $2 "-" $4 }' "$jn")
	before=$(for i in $ids; do [ -d "$BPFFS/xdp/dispatch-$i" ] && echo "$i"; done)
	[ -n "$before" ] || fail "no dispatcher of A's journal is pinned (test is void): $(cat "$jn")"
	out=$(xdpchain -n $NSB add xb0 "$SAMPLES/count.o" 2>&1) || fail "add in B: $out"
	out=$(xdpchain -n $NSB cleanup 2>&1) || fail "cleanup in B: $out"
	[ -e "$jn" ] || fail "a run in B took A's journal: $out"
	after=$(for i in $ids; do [ -d "$BPFFS/xdp/dispatch-$i" ] && echo "$i"; done)
	[ "$after" = "$before" ] || fail "B's cleanup removed A's journal's dispatchers: $before -> $after"
	out=$(xdpchain -n $NSA cleanup 2>&1) || fail "cleanup in A: $out"
	echo "$out" | grep -q 'an interrupted apply' || fail "A's cleanup said nothing of the apply: $out"
	[ ! -e "$jn" ] || fail "A's cleanup left its journal"
	out=$(ns_chains $NSA xa0 xa2 xa3)
	[ "$out" = "$a" ] || [ "$out" = "$b" ] || fail "A runs a mix: $out"
	for i in xa0 xa2 xa3; do
		xdpchain -n $NSA -j status -s $i |
			jq -e '.problem == null and .counters and (.leftovers | length == 0)' >/dev/null ||
			fail "$i after A's recovery: $(xdpchain -n $NSA -j status $i)"
	done
	# a journal of a namespace that is gone
	ns_kill_apply $NSA "$TEST_TMP/a.conf" "$TEST_TMP/b.conf"
	ip netns del $NSA
	for _ in $(seq 20); do
		xdpchain -n $NSB cleanup >/dev/null 2>&1
		ls /run/xdpchain/apply.journal* >/dev/null 2>&1 || break
		sleep 0.5
	done
	! ls /run/xdpchain/apply.journal* >/dev/null 2>&1 ||
		fail "the journal of a deleted namespace stayed: $(ls /run/xdpchain)"
}
