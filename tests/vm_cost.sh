# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Cost per member (issue 20): the dispatcher times one packet in
# XDPCHAIN_COST_EVERY across each member; status, top, metrics show it.
# Chains need freplace: VM only, but for the refusal of a bad setting.

# cost NAME FIELD: .programs[NAME].cost.FIELD of status -s
cost() {
	xdpchain -j status -s $IF0 |
		jq -r --arg n "$1" --arg f "$2" '.programs[] | select(.name == $n) | .cost[$f]'
}

# A chain of a heavy member (a loop on every packet) and one that only
# passes, every packet timed.
cost_chain() {
	vm_only
	setup_veth
	XDPCHAIN_COST_EVERY=1 xdpchain add $IF0 "$TESTOBJ/heavy.o" --priority 10 >/dev/null
	xdpchain add $IF0 "$TESTOBJ/pass.o" --priority 20 >/dev/null
}

test_cost_heavy_member_reads_5x() {
	cost_chain
	send_udp 40000 50
	local j heavy light
	j=$(xdpchain -j status -s $IF0)
	echo "$j" | jq -e '.cost_every == 1' >/dev/null || fail "cost_every: $j"
	heavy=$(cost xdp_test_heavy ns_per_packet)
	light=$(cost xdp_test_pass ns_per_packet)
	[ "$(cost xdp_test_heavy samples)" -ge 50 ] && [ "$(cost xdp_test_pass samples)" -ge 50 ] ||
		fail "samples: $(echo "$j" | jq -c '[.programs[] | {name, cost}]')"
	[ "$light" -gt 0 ] && [ "$heavy" -ge $((5 * light)) ] ||
		fail "heavy $heavy ns/pkt against light $light: wanted at least 5x"
	xdpchain status -s $IF0 | grep -E "^      packets: .* ns/pkt [0-9]+ \([0-9]+ timed\)" >/dev/null ||
		fail "text: $(xdpchain status -s $IF0)"
	xdpchain status -s $IF0 | grep -q "cost: one packet in 1 timed" ||
		fail "text: $(xdpchain status -s $IF0)"
	# metrics: seconds and samples per member, with its id
	local m id
	m=$(xdpchain metrics $IF0)
	id=$(echo "$j" | jq '.programs[] | select(.name == "xdp_test_heavy") | .id')
	echo "$m" | grep -E "^xdpchain_program_run_seconds_total\{interface=\"$IF0\",program=\"xdp_test_heavy\",program_id=\"$id\"\} 0\.[0-9]{9}$" >/dev/null ||
		fail "metrics seconds: $(echo "$m" | grep run_)"
	echo "$m" | grep -E "^xdpchain_program_run_samples_total\{interface=\"$IF0\",program=\"xdp_test_heavy\",program_id=\"$id\"\} [0-9]+$" >/dev/null ||
		fail "metrics samples: $(echo "$m" | grep run_)"
	echo "$m" | grep -q "^# TYPE xdpchain_program_run_seconds_total counter" || fail "metrics TYPE: $m"
	# top, one sample as JSON
	send_udp 40000 20 &
	local t
	t=$(xdpchain -j top $IF0 -i 1500)
	wait
	echo "$t" | jq -e '.programs[] | select(.name == "xdp_test_heavy") | .cost | has("ns_per_packet") and has("samples")' >/dev/null ||
		fail "top: $t"
}

# Sampling is off by default (its cost is over 1.05x: docs/performance.md);
# XDPCHAIN_COST_EVERY=64 on a change turns it on, =0 off, and the chain
# keeps what it was given through later changes.
test_cost_default_off_then_on_then_off() {
	vm_only
	setup_veth
	xdpchain add $IF0 "$TESTOBJ/pass.o" >/dev/null
	xdpchain -j status -s $IF0 | jq -e '.cost_every == 0' >/dev/null ||
		fail "default: $(xdpchain -j status -s $IF0)"
	xdpchain status -s $IF0 | grep -q "cost: not sampled (XDPCHAIN_COST_EVERY=64 on a change" ||
		fail "off text: $(xdpchain status -s $IF0)"
	send_udp 40000 20
	[ "$(cost xdp_test_pass samples)" = 0 ] || fail "sampled while off: $(cost xdp_test_pass samples)"
	XDPCHAIN_COST_EVERY=64 xdpchain add $IF0 "$TESTOBJ/named.o" --prog xdp_test_one >/dev/null
	xdpchain remove $IF0 xdp_test_one >/dev/null # no setting given: the chain's stays
	xdpchain -j status -s $IF0 | jq -e '.cost_every == 64' >/dev/null ||
		fail "kept on: $(xdpchain -j status -s $IF0)"
	send_udp 40000 400
	local n
	n=$(cost xdp_test_pass samples)
	# 400 packets over the VM's CPUs, one in 64 per CPU timed
	[ "$n" -ge 2 ] && [ "$n" -le 20 ] || fail "samples at 1 in 64: $n of 400"
	XDPCHAIN_COST_EVERY=0 xdpchain add $IF0 "$TESTOBJ/named.o" --prog xdp_test_one >/dev/null
	xdpchain remove $IF0 xdp_test_one >/dev/null
	xdpchain -j status -s $IF0 | jq -e '.cost_every == 0' >/dev/null ||
		fail "kept off: $(xdpchain -j status -s $IF0)"
	send_udp 40000 200
	[ "$(cost xdp_test_pass samples)" = "$n" ] || fail "sampled while off: $(cost xdp_test_pass samples) after $n"
}

# Cost rows survive chain changes as the packet counters do: a member keeps
# its samples, a new one (in a row another member left) starts from none.
test_cost_survives_changes() {
	cost_chain
	send_udp 40000 30
	local s
	s=$(cost xdp_test_heavy samples)
	[ "$s" -ge 30 ] || fail "samples: $s"
	xdpchain add $IF0 "$TESTOBJ/named.o" --prog xdp_test_one --priority 30 >/dev/null
	xdpchain remove $IF0 xdp_test_pass >/dev/null
	[ "$(cost xdp_test_heavy samples)" = "$s" ] || fail "heavy after changes: $(cost xdp_test_heavy samples), was $s"
	[ "$(cost xdp_test_one samples)" = 0 ] || fail "new member: $(cost xdp_test_one samples)"
	[ "$(cost xdp_test_one ns_per_packet)" = null ] || fail "new member's ns: $(cost xdp_test_one ns_per_packet)"
	# a member that comes back takes a row another one counted in: from zero
	xdpchain add $IF0 "$TESTOBJ/pass.o" --priority 20 >/dev/null
	[ "$(cost xdp_test_pass samples)" = 0 ] || fail "returning member: $(cost xdp_test_pass samples)"
	send_udp 40000 10
	[ "$(cost xdp_test_heavy samples)" -ge $((s + 10)) ] || fail "heavy after traffic: $(cost xdp_test_heavy samples)"
	[ "$(cost xdp_test_pass samples)" -ge 10 ] || fail "pass after traffic: $(cost xdp_test_pass samples)"
	# (no ratio here: under qemu's TCG a member's first packets include
	# translating its code, which ten samples do not average away)
	[ "$(cost xdp_test_one ns_per_packet)" -gt 0 ] || fail "new member's ns: $(cost xdp_test_one ns_per_packet)"
}

# A bad setting: one line naming it and the fix, exit 1, nothing changed.
test_cost_bad_setting_refused() {
	setup_veth
	local before
	before=$(snapshot)
	for v in 3 -1 abc 131072; do
		XDPCHAIN_COST_EVERY=$v expect_fail 1 "XDPCHAIN_COST_EVERY='$v' is not 0 \(cost sampling off\) or a power of two up to 65536; set one or unset it" \
			add $IF0 "$TESTOBJ/pass.o"
	done
	[ "$(snapshot)" = "$before" ] || fail "state changed"
}

# top draws the chain as a funnel in 80 columns: totals on top (what
# enters, leaves, ends per action), per member what reaches it with a bar,
# what it ends per action and its cost.
test_cost_top_funnel_80_columns() {
	command -v tmux >/dev/null || skip "no tmux in this VM image"
	cost_chain
	xdpchain add $IF0 "$SAMPLES/firewall.o" --priority 30 >/dev/null
	export LC_ALL=C.UTF-8 # tmux refuses to start otherwise
	tmux new-session -d -s funnel -x 80 -y 24 "$XDPCHAIN top $IF0 --interval 1000; sleep 5"
	defer "tmux kill-server"
	(for _ in $(seq 15); do send_udp 40002 2; send_udp 40000 2; done) &
	local screen="" fw
	for _ in $(seq 80); do
		screen=$(tmux capture-pane -p -J -t funnel)
		fw=$(echo "$screen" | grep "^[0-9]  *xdpchain_firewall " || true)
		echo "$fw" | awk '{ exit !($5 > 0) }' && break
		sleep 0.2
	done
	wait
	echo "$screen" | grep -qE "^enter [0-9]+[kM]?   leave [0-9]+[kM]?   ended: drop [0-9]+" || fail "no totals: $screen"
	echo "$screen" | grep -qE "^# +member +in +drop +tx +redir +abort +pass +ns/pkt$" || fail "no header: $screen"
	# the firewall ends drops; it goes on after pass ('.'); the heavy member shows a bar and a cost
	echo "$fw" | awk '{ exit !($5 > 0 && $9 == ".") }' || fail "firewall row: $fw"
	echo "$screen" | grep -qE "^0  +xdp_test_heavy +#+ +[0-9]+ .* [0-9]+$" || fail "heavy row: $screen"
	[ "$(echo "$screen" | awk '{ if (length($0) > 80) n++ } END { print n + 0 }')" = 0 ] ||
		fail "wider than 80 columns: $screen"
}

# An upgrade: a chain made by the xdpchain before cost sampling (its stats
# and rows maps, final stage and observer) takes its next change from this
# build, which keeps those maps' layout and adds the cost maps beside them;
# its counts carry over and, asked for, the costs show. The older build
# comes from the host: tests/vm/suite.sh takes XDPCHAIN_OLD or builds 6ca9dff
# from this clone's history (tests/vm/old-build.sh, cached), copies it into
# the guest (VM_EXTRA_FILES, with its libraries) and passes its path on
# (VM_ENV). Skipped without one (a shallow clone).
test_cost_upgrade_keeps_older_chain() {
	vm_only
	need_old_build
	setup_veth
	local d=$BPFFS/xdpchain/$IF0 passed
	"$XDPCHAIN_OLD" add $IF0 "$TESTOBJ/pass.o" --priority 10 >/dev/null
	[ -e "$d/stats" ] && [ ! -e "$d/cost" ] || fail "older chain's pins: $(ls "$d")"
	send_udp 40000 20
	passed=$(xdpchain -j status -s $IF0 | jq '.programs[] | select(.name == "xdp_test_pass") | .stats.pass')
	[ "$passed" -ge 20 ] || fail "older chain's counts read by this build: $(xdpchain -j status -s $IF0)"
	[ "$(cost xdp_test_pass samples)" = 0 ] || fail "samples with no cost map: $(cost xdp_test_pass samples)"
	XDPCHAIN_COST_EVERY=1 xdpchain add $IF0 "$TESTOBJ/named.o" --prog xdp_test_one --priority 20 >/dev/null ||
		fail "this build's change of an older chain"
	[ -e "$d/cost" ] && [ -e "$d/cost_base" ] || fail "cost maps not made: $(ls "$d")"
	[ "$(xdpchain -j status -s $IF0 | jq '.programs[] | select(.name == "xdp_test_pass") | .stats.pass')" -ge "$passed" ] ||
		fail "counts lost: $(xdpchain -j status -s $IF0)"
	send_udp 40000 20
	[ "$(cost xdp_test_pass samples)" -ge 20 ] || fail "samples after the upgrade: $(cost xdp_test_pass samples)"
	[ "$(cost xdp_test_one ns_per_packet)" -gt 0 ] || fail "new member's ns: $(cost xdp_test_one ns_per_packet)"
	xdpchain remove $IF0 xdp_test_one >/dev/null || fail "remove after the upgrade"
	[ "$(xdpchain -j status -s $IF0 | jq '.programs[] | select(.name == "xdp_test_pass") | .stats.pass')" -ge $((passed + 20)) ] ||
		fail "counts after remove: $(xdpchain -j status -s $IF0)"
	# the older build still reads the chain, counts included (same stats layout)
	"$XDPCHAIN_OLD" -j status -s $IF0 | jq -e '.programs[] | select(.name == "xdp_test_pass") | .stats.pass >= 40' >/dev/null ||
		fail "older build's status: $("$XDPCHAIN_OLD" -j status -s $IF0)"
	xdpchain flush $IF0 >/dev/null
	[ ! -e "$d" ] || fail "flush left: $(ls "$d")"
}
