# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Running xdpchain as a service, with real chains: save and apply, restore
# at boot through the unit's command, metrics. Run with
# 'bash tests/vm/suite.sh 6.1 vm_service'.

# The chain as a file describes it: order, names, priorities, proceed-on, mode.
chain_shape() {
	status_json "$1" | jq -c '{mode, programs: [.programs[] | {name, priority, proceed_on, final}]}'
}

# Program ids and the dispatcher id: what an apply that changes nothing keeps.
chain_ids() {
	status_json "$1" | jq -c '{d: .dispatcher_id, p: [.programs[] | .id]}'
}

# A chain of three, one with two proceed-on actions, in skb mode.
three_chain() {
	xdpchain add $IF0 "$SAMPLES/rewrite.o" --mode skb
	xdpchain add $IF0 "$SAMPLES/count.o" --priority 25 --proceed-on pass,drop
	xdpchain add $IF0 "$SAMPLES/drop.o"
}

test_service_save_apply_roundtrip() {
	vm_only
	setup_veth
	three_chain
	local shape ids f=$TEST_TMP/chains.conf out
	shape=$(chain_shape $IF0)
	ids=$(chain_ids $IF0)
	xdpchain save $IF0 >"$f" || fail "save"
	grep -q "^    mode: skb$" "$f" || fail "save lacks the mode: $(cat "$f")"
	grep -q "object: \"$SAMPLES/count.o\"" "$f" || fail "save lacks the object: $(cat "$f")"
	grep -q "proceed-on: \[drop, pass\]" "$f" || fail "save lacks proceed-on: $(cat "$f")"
	grep -q "sha256: $(sha256sum "$SAMPLES/count.o" | cut -d' ' -f1)$" "$f" ||
		fail "save lacks count.o's hash: $(cat "$f")"
	# save -> apply changes nothing: same dispatcher, same programs
	out=$(xdpchain apply "$f") || fail "apply of the saved file failed"
	echo "$out" | grep -q "^$IF0: unchanged$" || fail "apply of the saved file: $out"
	[ "$(chain_ids $IF0)" = "$ids" ] || fail "ids changed: $ids -> $(chain_ids $IF0)"
	# the whole chain again from nothing
	xdpchain flush $IF0
	[ "$(xdp_prog_id $IF0)" = 0 ] || fail "flush left a program"
	xdpchain apply "$f" >/dev/null || fail "apply on a bare interface"
	[ "$(chain_shape $IF0)" = "$shape" ] || fail "restored $(chain_shape $IF0), saved $shape"
	# apply -> save -> apply: the same file, and nothing changes
	xdpchain save $IF0 >"$TEST_TMP/again.conf"
	diff "$f" "$TEST_TMP/again.conf" >/dev/null || fail "save after apply differs: $(diff "$f" "$TEST_TMP/again.conf")"
	ids=$(chain_ids $IF0)
	out=$(xdpchain -j apply "$TEST_TMP/again.conf")
	echo "$out" | jq -e '.interfaces[0].changed == false and all(.interfaces[0].steps[]; .step == "keep")' \
		>/dev/null || fail "second apply changed something: $out"
	[ "$(chain_ids $IF0)" = "$ids" ] || fail "second apply: ids $ids -> $(chain_ids $IF0)"
	# the restored chain works: the rewrite runs before the counter
	send_udp 40000 3
	[ "$(count_of 1)" -eq 3 ] || fail "restored chain: count saw $(count_of 1) of 3 rewritten packets"
	status_json $IF0 | jq -e '.problem == null and .counters' >/dev/null ||
		fail "restored chain: $(status_json $IF0)"
}

# Each kind of change in one file: a priority change keeps its program, a
# changed object is reloaded, a program no longer named is removed, a new
# one added; the dry run says so first and changes nothing.
test_service_apply_changes() {
	vm_only
	setup_veth
	cp "$SAMPLES/count.o" "$SAMPLES/rewrite.o" "$SAMPLES/drop.o" "$TEST_TMP/"
	cat >"$TEST_TMP/a.conf" <<-EOF2
		version: 1
		interfaces:
		  $IF0:
		    programs:
		      - object: rewrite.o
		      - object: count.o
		        priority: 20
	EOF2
	xdpchain apply "$TEST_TMP/a.conf" >/dev/null || fail "first apply"
	[ "$(chain_names $IF0)" = "xdpchain_rewrite xdpchain_count xdpchain_final" ] ||
		fail "first apply: $(chain_names $IF0)"
	local rewrite_id count_id before out rc
	rewrite_id=$(status_json $IF0 | jq '.programs[0].id')
	count_id=$(status_json $IF0 | jq '.programs[1].id')
	cat >"$TEST_TMP/b.conf" <<-EOF2
		version: 1
		interfaces:
		  $IF0:
		    programs:
		      - object: count.o
		        priority: 5
		      - object: drop.o
	EOF2
	before=$(snapshot $IF0)
	rc=0
	out=$(xdpchain apply --dry-run "$TEST_TMP/b.conf") || rc=$?
	[ $rc -eq 3 ] || fail "dry run of a change exited $rc (3: would change): $out"
	echo "$out" | grep -q "^$IF0: change xdpchain_count (id $count_id): priority 20 -> 5" || fail "plan: $out"
	echo "$out" | grep -q "^$IF0: add    xdpchain_drop from $TEST_TMP/drop.o" || fail "plan: $out"
	echo "$out" | grep -q "^$IF0: remove xdpchain_rewrite (id $rewrite_id)$" || fail "plan: $out"
	assert_unchanged $IF0 "$before"
	# one program changed, one added, one removed: one dispatcher replacement
	out=$(xdpchain -j apply "$TEST_TMP/b.conf") || fail "second apply"
	echo "$out" | jq -e '.interfaces[0].changed and .interfaces[0].dispatcher_replacements == 1' \
		>/dev/null || fail "second apply: $out"
	[ "$(chain_names $IF0)" = "xdpchain_count xdpchain_drop xdpchain_final" ] ||
		fail "second apply: $(chain_names $IF0)"
	status_json $IF0 | jq -e '.problem == null and .counters and (.leftovers | length == 0)' >/dev/null ||
		fail "after the replacement: $(status_json $IF0)"
	# libxdp reads the dispatcher xdpchain built: xdp-loader lists it, remove and add work on it
	xdp-loader status $IF0 | grep -q xdpchain_drop || fail "xdp-loader: $(xdp-loader status $IF0)"
	xdpchain remove $IF0 xdpchain_drop >/dev/null || fail "remove after apply"
	xdpchain apply "$TEST_TMP/b.conf" | grep -q "^$IF0: add    xdpchain_drop" || fail "re-add after remove"
	send_udp 9 2
	status_json $IF0 | jq -e '.programs[1].name == "xdpchain_drop"' >/dev/null || fail "order"
	xdpchain -j status -s $IF0 | jq -e '.programs[1].stats.drop == 2' >/dev/null ||
		fail "drops not counted: $(xdpchain -j status -s $IF0)"
	# libxdp cannot change a loaded program's priority: it is loaded again
	status_json $IF0 | jq -e --argjson id "$count_id" '.programs[0].id != $id and .programs[0].priority == 5' \
		>/dev/null || fail "the priority change: $(status_json $IF0)"
	count_id=$(status_json $IF0 | jq '.programs[0].id')
	# the object changes on disk (bytes after the ELF data: it still loads)
	echo "rebuilt" >>"$TEST_TMP/count.o"
	out=$(xdpchain apply "$TEST_TMP/b.conf") || fail "apply after the rebuild"
	echo "$out" | grep -q "^$IF0: reload xdpchain_count (id $count_id).*its object changed on disk" ||
		fail "no reload: $out"
	status_json $IF0 | jq -e --argjson id "$count_id" '.programs[0].name == "xdpchain_count" and .programs[0].id != $id' \
		>/dev/null || fail "not reloaded: $(status_json $IF0)"
	xdpchain apply "$TEST_TMP/b.conf" | grep -q "^$IF0: unchanged$" || fail "reload not idempotent"
	# programs: [] removes the chain, state and all
	printf 'version: 1\ninterfaces:\n  %s:\n    programs: []\n' $IF0 >"$TEST_TMP/c.conf"
	xdpchain apply "$TEST_TMP/c.conf" >/dev/null || fail "apply of an empty chain"
	[ "$(xdp_prog_id $IF0)" = 0 ] || fail "empty chain left a program"
	[ ! -e "$BPFFS/xdpchain/$IF0" ] || fail "empty chain left state: $(ls "$BPFFS/xdpchain/$IF0")"
}

# A change the kernel refuses leaves the old chain running: the same programs.
test_service_apply_failure_keeps_chain() {
	vm_only
	setup_veth
	xdpchain add $IF0 "$SAMPLES/rewrite.o"
	xdpchain add $IF0 "$SAMPLES/count.o"
	local shape ids
	shape=$(chain_shape $IF0)
	ids=$(status_json $IF0 | jq -c '[.programs[] | .id]')
	cat >"$TEST_TMP/bad.conf" <<-EOF2
		version: 1
		interfaces:
		  $IF0:
		    programs:
		      - object: $SAMPLES/count.o
		      - object: $TESTOBJ/reject.o
	EOF2
	expect_fail 1 "reject" apply "$TEST_TMP/bad.conf"
	[ "$(chain_shape $IF0)" = "$shape" ] || fail "chain after a failed apply: $(chain_shape $IF0), was $shape"
	[ "$(status_json $IF0 | jq -c '[.programs[] | .id]')" = "$ids" ] ||
		fail "programs after a failed apply: $(status_json $IF0 | jq -c '[.programs[] | .id]'), were $ids"
	status_json $IF0 | jq -e '.problem == null and .counters' >/dev/null ||
		fail "after a failed apply: $(status_json $IF0)"
}

# A reboot: the chain saved to /etc/xdpchain, XDP and bpffs emptied, then
# the unit's own ExecStart restores it exactly.
test_service_restore_at_boot() {
	vm_only
	setup_veth
	three_chain
	local shape cmd
	shape=$(chain_shape $IF0)
	mkdir -p /etc/xdpchain
	defer "rm -rf /etc/xdpchain"
	xdpchain save >/etc/xdpchain/chains.conf || fail "save"
	# what a reboot leaves: no XDP program, an empty bpffs
	xdpchain flush $IF0
	umount "$BPFFS"
	mount -t bpf bpf "$BPFFS"
	[ "$(xdp_prog_id $IF0)" = 0 ] || fail "XDP still attached"
	[ -z "$(ls -A "$BPFFS")" ] || fail "bpffs not empty: $(ls -A "$BPFFS")"
	cmd=$(sed -n 's/^ExecStart=//p' "$ROOT/deploy/systemd/xdpchain.service")
	[ -n "$cmd" ] || fail "no ExecStart in xdpchain.service"
	${cmd/\/usr\/local\/sbin\/xdpchain/$XDPCHAIN} >"$TEST_TMP/boot.out" 2>&1 ||
		fail "ExecStart '$cmd' failed: $(cat "$TEST_TMP/boot.out")"
	[ "$(chain_shape $IF0)" = "$shape" ] || fail "restored $(chain_shape $IF0), saved $shape"
	status_json $IF0 | jq -e '.problem == null and .counters' >/dev/null ||
		fail "restored chain: $(status_json $IF0)"
	# and again (systemctl reload): nothing changes
	${cmd/\/usr\/local\/sbin\/xdpchain/$XDPCHAIN} | grep -q "^$IF0: unchanged$" || fail "reload changed the chain"
}

# An interface that appears after boot: the boot unit restores the others
# and leaves it, naming it; the template unit udev starts when it appears
# restores its chain; an interface the files do not name is nothing to do.
# Without --skip-missing a missing interface fails the run, nothing changed.
test_service_late_interface() {
	vm_only
	setup_veth
	three_chain
	local shape late_shape cmd tmpl before
	ip link add xl0 type veth peer name xl1
	defer "ip link del xl0 2>/dev/null"
	ip link set xl0 up
	xdpchain add xl0 "$SAMPLES/rewrite.o" >/dev/null
	shape=$(chain_shape $IF0)
	late_shape=$(chain_shape xl0)
	mkdir -p /etc/xdpchain
	defer "rm -rf /etc/xdpchain"
	xdpchain save >/etc/xdpchain/chains.conf || fail "save"
	grep -q xl0 /etc/xdpchain/chains.conf || fail "save left xl0 out: $(cat /etc/xdpchain/chains.conf)"
	# the reboot: xl0 not there yet, no XDP program, an empty bpffs
	xdpchain flush xl0
	ip link del xl0
	xdpchain flush $IF0
	umount "$BPFFS"
	mount -t bpf bpf "$BPFFS"
	before=$(snapshot $IF0)
	expect_fail 1 "no interface named 'xl0'" apply /etc/xdpchain
	assert_unchanged $IF0 "$before"
	cmd=$(sed -n 's/^ExecStart=//p' "$ROOT/deploy/systemd/xdpchain.service")
	${cmd/\/usr\/local\/sbin\/xdpchain/$XDPCHAIN} >"$TEST_TMP/boot.out" 2>"$TEST_TMP/boot.err" ||
		fail "ExecStart '$cmd' failed: $(cat "$TEST_TMP/boot.out" "$TEST_TMP/boot.err")"
	grep -q "xl0: no such interface (yet): left for later" "$TEST_TMP/boot.err" ||
		fail "nothing said of xl0: $(cat "$TEST_TMP/boot.err")"
	[ "$(chain_shape $IF0)" = "$shape" ] || fail "restored $(chain_shape $IF0), saved $shape"
	# xl0 appears; udev starts xdpchain@xl0.service
	ip link add xl0 type veth peer name xl1
	ip link set xl0 up
	tmpl=$(sed -n 's/^ExecStart=//p' "$ROOT/deploy/systemd/xdpchain@.service")
	tmpl=${tmpl/\/usr\/local\/sbin\/xdpchain/$XDPCHAIN}
	${tmpl//%i/xl0} >"$TEST_TMP/late.out" 2>&1 || fail "'$tmpl' for xl0 failed: $(cat "$TEST_TMP/late.out")"
	grep -q "^xl0: changed$" "$TEST_TMP/late.out" || fail "xl0: $(cat "$TEST_TMP/late.out")"
	[ "$(chain_shape xl0)" = "$late_shape" ] || fail "xl0 restored $(chain_shape xl0), saved $late_shape"
	# and runs: frames into xl0 meet its restored member (no IPv6 chatter from xl1)
	echo 1 >/proc/sys/net/ipv6/conf/xl1/disable_ipv6
	ip link set xl1 up
	"$BIN/pktgen" send xl1 --dst-mac "$(cat /sys/class/net/xl0/address)" --repeat 5 \
		--only udp4-data 2>/dev/null
	local seen
	seen=$(xdpchain -j status -s xl0 |
		jq '[.programs[] | select(.name == "xdpchain_rewrite") | .stats[]] | add')
	[ "$seen" = 5 ] || fail "xl0's rewrite saw ${seen:-nothing} of 5 frames"
	# the instance of an interface already restored, of one the files do not name
	${tmpl//%i/$IF0} | grep -qx "$IF0: unchanged" || fail "the $IF0 instance changed its chain"
	${tmpl//%i/lo} >"$TEST_TMP/lo.out" 2>&1 || fail "the lo instance failed: $(cat "$TEST_TMP/lo.out")"
	grep -q "do not name lo: nothing to do" "$TEST_TMP/lo.out" || fail "lo: $(cat "$TEST_TMP/lo.out")"
	[ "$(xdp_prog_id lo)" = 0 ] || fail "something attached to lo"
	[ "$(chain_shape $IF0)" = "$shape" ] || fail "$IF0 changed: $(chain_shape $IF0)"
}

# Metrics of a real chain with counted packets: the exposition format
# promtool accepts, the unit's file written whole, node_exporter serving it.
test_service_metrics() {
	vm_only
	setup_veth
	xdpchain add $IF0 "$SAMPLES/rewrite.o"
	xdpchain add $IF0 "$SAMPLES/drop.o"
	send_udp 40000 3
	send_udp 9 2 # the drop sample drops UDP to port 9
	local m=$TEST_TMP/m.prom d=$TEST_TMP/textfile cmd
	xdpchain metrics >"$m" || fail "metrics failed"
	grep -qE "^xdpchain_packets_total\{interface=\"$IF0\",program=\"xdpchain_drop\",program_id=\"[0-9]+\",action=\"drop\"\} 2$" "$m" ||
		fail "drops not counted: $(grep xdpchain_drop "$m")"
	grep -qE "^xdpchain_packets_total\{interface=\"$IF0\",program=\"xdpchain_final\",program_id=\"[0-9]+\",action=\"pass\"\} 3$" "$m" ||
		fail "passes not counted: $(grep xdpchain_final "$m")"
	grep -qx "xdpchain_counters_enabled{interface=\"$IF0\"} 1" "$m" || fail "counters: $(cat "$m")"
	grep -qx "xdpchain_chain_problem{interface=\"$IF0\"} 0" "$m" || fail "problem: $(cat "$m")"
	grep -qx "xdpchain_chain_programs{interface=\"$IF0\"} 2" "$m" || fail "programs: $(cat "$m")"
	grep -qx "xdpchain_capture_packets_total{interface=\"$IF0\",result=\"lost\"} 0" "$m" ||
		fail "capture counters: $(cat "$m")"
	# one interface, same families
	# read whole: grep -q ending early would SIGPIPE metrics (pipefail)
	xdpchain metrics $IF0 >"$m.one" || fail "metrics $IF0 failed"
	grep -q "^xdpchain_leftovers{interface=\"$IF0\"} 0$" "$m.one" || fail "metrics $IF0: $(cat "$m.one")"
	expect_fail 1 "no interface named 'nosuch'" metrics nosuch
	# the unit's command, its directory moved into the test's
	mkdir "$d"
	cmd=$(sed -n 's/^ExecStart=//p' "$ROOT/deploy/systemd/xdpchain-metrics.service")
	cmd=${cmd//\/var\/lib\/prometheus\/node-exporter/$d}
	cmd=${cmd//\/usr\/local\/sbin\/xdpchain/$XDPCHAIN}
	eval "$cmd" || fail "the metrics unit's command failed: $cmd"
	[ "$(ls "$d")" = xdpchain.prom ] || fail "textfile dir holds: $(ls "$d")"
	grep -q "action=\"drop\"} 2$" "$d/xdpchain.prom" || fail "unit wrote: $(cat "$d/xdpchain.prom")"
	command -v promtool >/dev/null || skip "no promtool in the VM (tests/deps.sh check group); format checks not run"
	promtool check metrics <"$m" >"$TEST_TMP/promtool" 2>&1 ||
		fail "promtool check metrics: $(cat "$TEST_TMP/promtool")"
	command -v prometheus-node-exporter >/dev/null || skip "no prometheus-node-exporter in the VM"
	prometheus-node-exporter --collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$d" --web.listen-address=127.0.0.1:9100 \
		>"$TEST_TMP/ne.log" 2>&1 &
	defer "kill $!"
	local out=""
	for _ in $(seq 100); do
		out=$(curl -sf http://127.0.0.1:9100/metrics) && break
		sleep 0.2
	done
	echo "$out" | grep -qE "^xdpchain_packets_total\{action=\"drop\",interface=\"$IF0\",program=\"xdpchain_drop\",program_id=\"[0-9]+\"\} 2$" ||
		fail "node_exporter does not serve our metric: $(echo "$out" | grep -E 'xdpchain|textfile' | head -5); log: $(tail -3 "$TEST_TMP/ne.log")"
	echo "$out" | grep -q '^node_textfile_scrape_error 0$' || fail "node_exporter: textfile scrape error"
}

# Two members of one name (xdpchain refuses a second, xdp-loader adds it)
# and two taps (two captures --after): every series of the metrics is
# unique (the program id is a label), promtool accepts them, and
# node_exporter serves them without a scrape error (it refuses a whole file
# with a duplicate series).
test_service_metrics_series_unique() {
	vm_only
	setup_veth
	local m=$TEST_TMP/m.prom d=$TEST_TMP/textfile counts=2 first out=""
	xdpchain add $IF0 "$SAMPLES/count.o"
	if ! xdp-loader load $IF0 "$SAMPLES/count.o" >"$TEST_TMP/xl" 2>&1; then
		# the stock dispatcher of 6.12's xdp-loader cannot hold the final stage
		stock_takes_pkt_changes && fail "xdp-loader load: $(cat "$TEST_TMP/xl")"
		counts=1
	fi
	# an xdpchain change brings back the observer, which counts every member
	xdpchain add $IF0 "$SAMPLES/rewrite.o"
	[ "$(chain_names $IF0 | tr ' ' '\n' | grep -c '^xdpchain_count$')" = $counts ] ||
		fail "not $counts xdpchain_count: $(chain_names $IF0)"
	start_capture /tmp/t1.pcap --after xdpchain_rewrite
	first=$CAP_PID
	start_capture /tmp/t2.pcap --after "$(status_json $IF0 | jq -r '[.programs[] | select(.name == "xdpchain_count")][-1].id')"
	# start_capture saw the first tap: until the second is in too
	for _ in $(seq 600); do
		[ "$(chain_names $IF0 | tr ' ' '\n' | grep -c '^xdpchain_tap$')" = 2 ] && break
		kill -0 "$CAP_PID" 2>/dev/null || fail "the second capture ended: $(cat /tmp/t2.pcap.log)"
		sleep 0.1
	done
	[ "$(chain_names $IF0 | tr ' ' '\n' | grep -c '^xdpchain_tap$')" = 2 ] ||
		fail "not two taps: $(chain_names $IF0); the second capture said: $(cat /tmp/t2.pcap.log)"
	send_udp 40000 3
	mkdir "$d"
	xdpchain metrics -o "$d/xdpchain.prom" || fail "metrics -o failed"
	cp "$d/xdpchain.prom" "$m"
	[ "$(grep -c '^xdpchain_packets_total{.*program="xdpchain_tap".*action="pass"}' "$m")" = 2 ] ||
		fail "not two taps' series: $(grep xdpchain_tap "$m")"
	grep -qx "xdpchain_counters_enabled{interface=\"$IF0\"} 1" "$m" || fail "counters: $(cat "$m")"
	[ "$(grep -c '^xdpchain_packets_total{.*program="xdpchain_count".*action="pass"}' "$m")" = $counts ] ||
		fail "not two counts' series: $(grep xdpchain_count "$m")"
	grep -v '^#' "$m" | sed 's/ [0-9]*$//' | sort | uniq -d >"$TEST_TMP/dups"
	[ ! -s "$TEST_TMP/dups" ] || fail "duplicate series: $(cat "$TEST_TMP/dups")"
	kill -INT "$first" "$CAP_PID"
	wait "$first" "$CAP_PID" || true
	command -v promtool >/dev/null || skip "no promtool in the VM (tests/deps.sh check group); format checks not run"
	promtool check metrics <"$m" >"$TEST_TMP/promtool" 2>&1 ||
		fail "promtool check metrics: $(cat "$TEST_TMP/promtool")"
	command -v prometheus-node-exporter >/dev/null || skip "no prometheus-node-exporter in the VM"
	prometheus-node-exporter --collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$d" --web.listen-address=127.0.0.1:9100 \
		>"$TEST_TMP/ne.log" 2>&1 &
	defer "kill $!"
	for _ in $(seq 100); do
		out=$(curl -sf http://127.0.0.1:9100/metrics) && break
		sleep 0.2
	done
	echo "$out" | grep -q '^node_textfile_scrape_error 0$' ||
		fail "node_exporter: textfile scrape error; log: $(tail -3 "$TEST_TMP/ne.log")"
	[ "$(echo "$out" | grep -c '^xdpchain_packets_total{.*program="xdpchain_tap"')" = 10 ] ||
		fail "node_exporter does not serve both taps: $(echo "$out" | grep xdpchain_tap)"
}

# The record of where members came from forgets those that left: after
# more adds and removes than it holds, save still knows every member.
test_service_members_pruned() {
	vm_only
	setup_veth
	xdpchain add $IF0 "$SAMPLES/rewrite.o" >/dev/null
	for _ in $(seq 33); do
		xdpchain add $IF0 "$SAMPLES/count.o" >/dev/null 2>"$TEST_TMP/err" ||
			fail "add: $(cat "$TEST_TMP/err")"
		grep -q "could not record" "$TEST_TMP/err" && fail "record: $(cat "$TEST_TMP/err")"
		xdpchain remove $IF0 xdpchain_count >/dev/null
	done
	xdpchain add $IF0 "$SAMPLES/count.o" 2>&1 | grep -q "could not record" && fail "record full"
	xdpchain save $IF0 | grep -c "object:" | grep -qx 2 || fail "save: $(xdpchain save $IF0 2>&1)"
	[ "$(bpftool -j map dump pinned "$BPFFS/xdpchain/$IF0/members" | jq length)" = 2 ] ||
		fail "members map: $(bpftool -j map dump pinned "$BPFFS/xdpchain/$IF0/members" | jq length) entries"
}

# A member another tool added has no known object: save refuses, naming it
# and printing no file; apply naming it loads it from the file's object.
test_service_unknown_member() {
	vm_only
	setup_veth
	xdp-loader load $IF0 "$TESTOBJ/pass.o" >/dev/null 2>&1 || fail "xdp-loader load failed"
	xdpchain add $IF0 "$SAMPLES/rewrite.o" >/dev/null
	local out rc=0 old_id
	old_id=$(status_json $IF0 | jq '.programs[] | select(.name == "xdp_test_pass") | .id')
	out=$("$XDPCHAIN" save $IF0 2>/dev/null) || rc=$?
	[ $rc -eq 1 ] && [ -z "$out" ] || fail "save printed '$out', exit $rc"
	expect_fail 1 "program 'xdp_test_pass' \\(id $old_id\\) on $IF0 was not added by xdpchain add or apply" save $IF0
	printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: %s\n      - object: %s\n' \
		$IF0 "$SAMPLES/rewrite.o" "$TESTOBJ/pass.o" >"$TEST_TMP/f.conf"
	out=$(xdpchain apply "$TEST_TMP/f.conf") || fail "apply"
	echo "$out" | grep -q "^$IF0: reload xdp_test_pass (id $old_id) .*the running program's object is not known" ||
		fail "apply: $out"
	xdpchain save $IF0 | grep -q "object: \"$TESTOBJ/pass.o\"" || fail "save after apply"
	xdpchain apply "$TEST_TMP/f.conf" | grep -q "^$IF0: unchanged$" || fail "not idempotent"
}

# On libxdp's own dispatcher object a change that removes and adds takes
# two replacements (removals first); when the second fails, the programs
# the first took out run again (same ids).
test_service_apply_stock_dispatcher() {
	vm_only
	stock_takes_pkt_changes ||
		skip "libxdp's own dispatcher object cannot hold the final stage here (6.12+, libxdp < 1.5.5)"
	setup_veth
	export XDPCHAIN_DISPATCHER=system
	xdpchain add $IF0 "$SAMPLES/rewrite.o" >/dev/null
	xdpchain add $IF0 "$SAMPLES/count.o" >/dev/null
	status_json $IF0 | jq -e '.dispatcher_object == "libxdp"' >/dev/null || skip "libxdp's object not in use"
	local shape ids out
	shape=$(chain_shape $IF0)
	ids=$(status_json $IF0 | jq -c '[.programs[] | .id]')
	printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: %s\n      - object: %s\n' \
		$IF0 "$SAMPLES/count.o" "$TESTOBJ/reject.o" >"$TEST_TMP/bad.conf"
	expect_fail 1 "xdp_test_reject" apply "$TEST_TMP/bad.conf"
	[ "$(chain_shape $IF0)" = "$shape" ] || fail "after a failed apply: $(chain_shape $IF0), was $shape"
	[ "$(status_json $IF0 | jq -c '[.programs[] | .id]')" = "$ids" ] || fail "ids changed"
	printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: %s\n        priority: 5\n      - object: %s\n' \
		$IF0 "$SAMPLES/count.o" "$SAMPLES/drop.o" >"$TEST_TMP/b.conf"
	out=$(xdpchain -j apply "$TEST_TMP/b.conf") || fail "apply"
	echo "$out" | jq -e '.interfaces[0].dispatcher_replacements == 2' >/dev/null || fail "apply: $out"
	[ "$(chain_names $IF0)" = "xdpchain_count xdpchain_drop xdpchain_final" ] ||
		fail "chain: $(chain_names $IF0)"
}

# Objects reached through symbolic links (a ConfigMap volume: each update
# swaps ..data to a new directory) keep their programs when their content
# is the same: the path is recorded as named, the content by its hash.
test_service_apply_through_symlinks() {
	vm_only
	setup_veth
	local d=$TEST_TMP/cm ids out
	mkdir -p "$d/v1" "$d/v2"
	cp "$SAMPLES/rewrite.o" "$SAMPLES/count.o" "$d/v1/"
	cp "$SAMPLES/rewrite.o" "$SAMPLES/count.o" "$d/v2/"
	ln -s v1 "$d/..data"
	ln -s ..data/rewrite.o "$d/rewrite.o"
	ln -s ..data/count.o "$d/count.o"
	printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: rewrite.o\n        program: xdpchain_rewrite\n        priority: 10\n      - object: count.o\n        program: xdpchain_count\n        priority: 20\n' \
		$IF0 >"$d/chains.conf"
	xdpchain apply "$d/chains.conf" >/dev/null || fail "first apply"
	ids=$(chain_ids $IF0)
	# recorded: the file loaded, links resolved
	xdpchain save $IF0 | grep -q "object: \"$d/v1/rewrite.o\"" ||
		fail "save did not name the file loaded: $(xdpchain save $IF0)"
	# the update: ..data now points at a copy with the same content
	ln -sfn v2 "$d/..data.tmp" && mv -T "$d/..data.tmp" "$d/..data"
	rm -rf "$d/v1"
	out=$(xdpchain apply "$d/chains.conf") || fail "apply after the swap: $out"
	echo "$out" | grep -q "^$IF0: unchanged$" || fail "apply after the swap: $out"
	[ "$(chain_ids $IF0)" = "$ids" ] || fail "ids changed: $ids -> $(chain_ids $IF0)"
	# the same bytes at their new place: the record follows them
	xdpchain save $IF0 | grep -q "object: \"$d/v2/rewrite.o\"" ||
		fail "the record stayed in the removed directory: $(xdpchain save $IF0)"
}

# With a real chain (freplace works here): an object that is a FIFO or a
# device is refused at once, by add and by apply, while another run holds
# the chain lock (on main a FIFO blocked forever, holding that lock); an
# object named through a link is recorded as the file loaded; a dry run
# exits 0 when nothing would change and 3 when something would; --strict
# refuses an object whose bytes are not the file's sha256. The chain stays.
test_service_apply_bad_input_vm() {
	vm_only
	setup_veth
	local d=$TEST_TMP/objs ids f rc out
	xdpchain add $IF0 "$SAMPLES/rewrite.o" >/dev/null || fail "add"
	ids=$(chain_ids $IF0)
	mkfifo "$TEST_TMP/fifo.o"
	f=$TEST_TMP/fifo.conf
	printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: fifo.o\n' $IF0 >"$f"
	hold_chain_lock
	EXPECT_TIMEOUT=10 expect_fail 1 "^xdpchain add: $TEST_TMP/fifo.o is a FIFO, not a regular file" add $IF0 "$TEST_TMP/fifo.o"
	EXPECT_TIMEOUT=10 expect_fail 1 "^xdpchain add: /dev/zero is a character device" add $IF0 /dev/zero
	EXPECT_TIMEOUT=10 expect_fail 1 "^xdpchain apply: $f:5: $TEST_TMP/fifo.o is a FIFO" apply "$f"
	release_chain_lock
	[ "$(chain_ids $IF0)" = "$ids" ] || fail "chain changed: $ids -> $(chain_ids $IF0)"
	# a dry run of the chain as it is: 0; of a change: 3
	xdpchain save $IF0 >"$TEST_TMP/now.conf" || fail "save"
	rc=0
	xdpchain apply -n "$TEST_TMP/now.conf" >/dev/null || rc=$?
	[ $rc -eq 0 ] || fail "dry run of the running chain exited $rc"
	# through a link that points elsewhere: the file loaded is recorded
	mkdir -p "$d/x" "$d/elsewhere/sub"
	cp "$SAMPLES/count.o" "$d/elsewhere/prog.o"
	cp "$SAMPLES/drop.o" "$d/x/prog.o"
	ln -s ../elsewhere/sub "$d/x/link"
	rc=0
	out=$(cd "$d" && printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: %s\n      - object: x/link/../prog.o\n' \
		$IF0 "$SAMPLES/rewrite.o" | "$XDPCHAIN" apply -n - 2>&1) || rc=$?
	[ $rc -eq 3 ] || fail "dry run of a change exited $rc: $out"
	(cd "$d" && xdpchain add $IF0 x/link/../prog.o >/dev/null) || fail "add through the link"
	xdpchain save $IF0 | grep -q "object: \"$d/elsewhere/prog.o\"" ||
		fail "recorded another file than the one loaded: $(xdpchain save $IF0)"
	ids=$(chain_ids $IF0)
	# --strict: the file's sha256 is not the object's
	sed 's/sha256: .*/sha256: 0000000000000000000000000000000000000000000000000000000000000000/' \
		"$TEST_TMP/now.conf" >"$TEST_TMP/stale.conf"
	expect_fail 1 "^xdpchain apply: $TEST_TMP/stale.conf:[0-9]+: [^ ]*/rewrite.o changed since the chain file was written .*--strict refuses it" \
		apply --strict "$TEST_TMP/stale.conf"
	[ "$(chain_ids $IF0)" = "$ids" ] || fail "--strict changed the chain: $ids -> $(chain_ids $IF0)"
}

# An interface whose name YAML would read otherwise ('#x' starts a comment):
# save quotes it, and what it writes applies back (from stdin) unchanged.
test_service_save_quoted_names() {
	vm_only
	ip link add '#x' type veth peer name xcq1 || skip "the kernel refuses the name #x"
	defer "ip link del '#x'"
	ip link set '#x' up
	ip link set xcq1 up
	local ids out rc=0
	xdpchain add '#x' "$SAMPLES/count.o" >/dev/null || fail "add to #x"
	xdpchain save '#x' >"$TEST_TMP/q.conf" || fail "save"
	grep -qx '  "#x":' "$TEST_TMP/q.conf" || fail "save: $(cat "$TEST_TMP/q.conf")"
	ids=$(chain_ids '#x')
	out=$("$XDPCHAIN" apply - <"$TEST_TMP/q.conf" 2>&1) || rc=$?
	[ $rc -eq 0 ] && echo "$out" | grep -qx "#x: unchanged" || fail "apply - of the saved file: $rc: $out"
	[ "$(chain_ids '#x')" = "$ids" ] || fail "ids changed: $ids -> $(chain_ids '#x')"
	xdpchain flush '#x' >/dev/null
}
