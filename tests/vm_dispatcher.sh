# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Dispatcher object tests: libxdp 1.3's stock xdp-dispatcher.o against
# xdpchain's own (dispatcher/xdp_dispatcher.bpf.c), real packets over a veth
# pair. Chains are built with plain libxdp, pointed at an object through
# LIBXDP_OBJECT_PATH: Debian's xdp-loader cannot be (it links libxdp
# statically, and a static libxdp uses its embedded copy of the stock object),
# so the libxdp_load helper, linked to libxdp.so, builds them; xdp-loader
# reads them and plays the stock tool. Needs freplace: run with 'make vm-test'.

OWN_OBJ=${OWN_OBJ:-$ROOT/.output/dispatcher/xdp_dispatcher.o}
STOCK_OBJ=${STOCK_OBJ:-/usr/lib/x86_64-linux-gnu/bpf/xdp-dispatcher.o}
LIBXDP_LOAD=${LIBXDP_LOAD:-$BIN/libxdp_load}
PKT_DATA_ERR="Extension program changes packet data, while original does not"

# Sets OBJDIR to a directory holding $1 as xdp-dispatcher.o, for
# LIBXDP_OBJECT_PATH.
use_object() {
	[ -r "$1" ] || fail "dispatcher object $1 missing (make test-build keeps .output/dispatcher/*.o)"
	[ -x "$LIBXDP_LOAD" ] || fail "helper $LIBXDP_LOAD missing (make test-build)"
	OBJDIR=$(mktemp -d /tmp/dispatcher.XXXXXX)
	defer "rm -rf $OBJDIR"
	cp "$1" "$OBJDIR/xdp-dispatcher.o"
}

# libxdp_load with the object use_object chose; output in $LOAD_OUT.
load_with_object() {
	LOAD_OUT=$(LIBXDP_OBJECT_PATH=$OBJDIR "$LIBXDP_LOAD" "$@" 2>&1)
}

# The veth pair, and libxdp's pins removed before the interface goes.
setup_iface() {
	setup_veth
	defer "xdp-loader unload $IF0 --all"
}

dispatcher_id() {
	xdp_prog_id $IF0
}

# Ours carries a function no other dispatcher has, xdpchain_exit,
# in the BTF the kernel keeps with the program (libxdp 1.5.5+'s stock slots
# call bpf_xdp_adjust_tail() too, so the instructions cannot tell).
runs_own_object() {
	local id btf dump
	id=$(dispatcher_id)
	[ "$id" != 0 ] || fail "no XDP program on $IF0"
	btf=$(bpftool -j prog show id "$id" | jq -r '.btf_id // 0')
	[ "$btf" != 0 ] || fail "dispatcher $id has no BTF"
	# not piped into grep -q: with pipefail, bpftool's SIGPIPE would count
	dump=$(bpftool btf dump id "$btf")
	grep -q "FUNC 'xdpchain_exit'" <<<"$dump"
}

# "prio:name" of the chain's members in run order, as xdp-loader reads them.
loader_chain() {
	xdp-loader status $IF0 | awk '$1 == "=>" {printf "%s%s:%s", sep, $2, $3; sep = " "}'
}

member_id() {
	xdp-loader status $IF0 | awk -v n="$1" '$1 == "=>" && $3 == n {print $4}'
}

# wait_count PROG_ID SLOT WANT: up to 2 s for the counter to reach WANT
wait_count() {
	for _ in $(seq 40); do
		[ "$(count_slot "$1" "$2")" -ge "$3" ] && break
		sleep 0.05
	done
	sleep 0.1 # and for anything that should not have come
	count_slot "$1" "$2"
}

# An own-object chain: drop.o (tail-calls through xdpcap_exit) then
# count.o at priority 40, so count sees only what drop let through.
build_own_chain() {
	use_object "$OWN_OBJ"
	# a single member replaces xdp_dispatcher() itself, not a prog slot
	load_with_object load -m skb $IF0 "$SAMPLES/drop.o" ||
		fail "drop.o alone on our dispatcher: $LOAD_OUT"
	[ "$(loader_chain)" = "30:xdpchain_drop" ] || fail "xdp-loader reads: $(loader_chain)"
	load_with_object load -m skb -P 40 $IF0 "$SAMPLES/count.o" ||
		fail "count.o after drop.o on our dispatcher: $LOAD_OUT"
	runs_own_object || fail "the rebuilt dispatcher is not ours"
	[ "$(loader_chain)" = "30:xdpchain_drop 40:xdpchain_count" ] ||
		fail "xdp-loader reads: $(loader_chain)"
}

test_dispatcher_own_object_chain() {
	local cid all port
	setup_iface
	build_own_chain
	cid=$(member_id xdpchain_count)
	send_udp 9 3 # dropped by drop.o through its tail call
	send_udp 40001 2
	port=$(wait_count "$cid" 1 2)
	all=$(count_slot "$cid" 0)
	[ "$port" = 2 ] || fail "count saw $port of 2 packets to port 40001"
	[ "$all" = 2 ] || fail "count saw $all packets: drop.o let port 9 through ($all != 2)"
}

test_dispatcher_own_object_remove_member() {
	local cid did
	setup_iface
	build_own_chain
	cid=$(member_id xdpchain_count)
	did=$(dispatcher_id)
	load_with_object unload $IF0 "$cid" || fail "removing count.o: $LOAD_OUT"
	[ "$(loader_chain)" = "30:xdpchain_drop" ] || fail "after removal: $(loader_chain)"
	[ "$(dispatcher_id)" != "$did" ] || fail "dispatcher not rebuilt"
	runs_own_object || fail "the rebuilt dispatcher is not ours"
}

test_dispatcher_stock_refuses_on_612() {
	stock_takes_pkt_changes && skip "libxdp's stock dispatcher takes such members here"
	local out
	setup_iface
	# xdp-loader: its embedded copy of the stock object
	out=$(xdp-loader load -vv -m skb $IF0 "$SAMPLES/drop.o" 2>&1) &&
		fail "xdp-loader attached drop.o through the stock dispatcher"
	grep -qF "$PKT_DATA_ERR" <<<"$out" || fail "xdp-loader said: $(tail -3 <<<"$out")"
	[ "$(dispatcher_id)" = 0 ] || fail "something stayed attached"
	# libxdp.so with the installed object: the same, alone or after a plain member
	use_object "$STOCK_OBJ"
	load_with_object load -m skb $IF0 "$SAMPLES/drop.o" &&
		fail "libxdp attached drop.o through the stock dispatcher"
	grep -qF "$PKT_DATA_ERR" <<<"$LOAD_OUT" || fail "libxdp said: $(tail -3 <<<"$LOAD_OUT")"
	load_with_object load -m skb $IF0 "$SAMPLES/count.o" || fail "count.o: $LOAD_OUT"
	load_with_object load -m skb $IF0 "$SAMPLES/drop.o" &&
		fail "libxdp added drop.o to a stock chain"
	grep -qF "$PKT_DATA_ERR" <<<"$LOAD_OUT" || fail "libxdp said: $(tail -3 <<<"$LOAD_OUT")"
	[ "$(loader_chain)" = "20:xdpchain_count" ] || fail "stock chain changed: $(loader_chain)"
}

test_dispatcher_stock_takes_tailcall_before_612() {
	stock_takes_pkt_changes || skip "libxdp's stock dispatcher refuses it here (see stock_refuses_on_612)"
	setup_iface
	xdp-loader load -m skb $IF0 "$SAMPLES/count.o" "$SAMPLES/drop.o" ||
		fail "stock xdp-loader could not chain count.o and drop.o"
	[ "$(loader_chain)" = "20:xdpchain_count 30:xdpchain_drop" ] ||
		fail "xdp-loader reads: $(loader_chain)"
	runs_own_object && fail "xdp-loader used an object other than its own"
	true
}

# What Debian's xdp-loader does to a chain on our dispatcher: on 6.12+ with
# libxdp before 1.5.5 it cannot rebuild it with its stock copy (drop.o would
# have to re-attach to stubs that cannot change packet data), so it fails and
# leaves the chain as it was; elsewhere it succeeds and the chain runs on the
# stock object.
test_dispatcher_stock_loader_on_own_chain() {
	local did cid
	setup_iface
	build_own_chain
	did=$(dispatcher_id)
	cid=$(member_id xdpchain_count)
	if ! stock_takes_pkt_changes; then
		xdp-loader load -m skb $IF0 "$TESTOBJ/pass.o" >/dev/null 2>&1 &&
			fail "stock xdp-loader added a program on 6.12"
		xdp-loader unload $IF0 -i "$cid" >/dev/null 2>&1 &&
			fail "stock xdp-loader removed a program on 6.12"
		[ "$(dispatcher_id)" = "$did" ] || fail "dispatcher replaced"
		runs_own_object || fail "our dispatcher was replaced"
		[ "$(loader_chain)" = "30:xdpchain_drop 40:xdpchain_count" ] ||
			fail "chain changed: $(loader_chain)"
	else
		xdp-loader load -m skb $IF0 "$TESTOBJ/pass.o" || fail "stock xdp-loader add failed"
		[ "$(loader_chain)" = "30:xdpchain_drop 40:xdpchain_count 50:xdp_test_pass" ] ||
			fail "chain: $(loader_chain)"
		runs_own_object && fail "expected the stock object after xdp-loader rebuilt the chain"
		true
	fi
}
