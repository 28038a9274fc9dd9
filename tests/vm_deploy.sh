# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The container's command, deploy/container/entrypoint.sh, run for real on
# real chains: what a pod of deploy/k8s/daemonset.yaml does on a node. Its
# configuration directory is laid out as the kubelet lays out a ConfigMap
# volume (files are symlinks through ..data, updates swap ..data). Run with
# 'bash tests/vm/suite.sh 6.1 vm_deploy'.

ENTRYPOINT=$ROOT/deploy/container/entrypoint.sh

# cm_update DIR NAME: makes the files in $TEST_TMP/NAME the content of the
# ConfigMap volume DIR, as the kubelet does: a new hidden directory, then
# ..data swapped to it in one rename, then the old directory removed.
cm_update() {
	local dir=$1 name=$2 old f
	mkdir -p "$dir"
	cp -a "$TEST_TMP/$name" "$dir/..$name"
	old=$(readlink "$dir/..data" 2>/dev/null || true)
	ln -s "..$name" "$dir/..data_tmp"
	mv -T "$dir/..data_tmp" "$dir/..data"
	for f in "$dir/..data"/*; do
		f=$(basename "$f")
		[ -L "$dir/$f" ] || ln -s "..data/$f" "$dir/$f"
	done
	# files the new content lacks: their symlinks go
	for f in "$dir"/*; do
		[ -e "$f" ] || rm -f "$f"
	done
	[ -z "$old" ] || rm -rf "${dir:?}/$old"
}

# start_entrypoint DIR: runs the entry script on the ConfigMap volume DIR,
# checking every second, its copy in $TEST_TMP/stage, metrics into
# $TEST_TMP/textfile. Sets EP_PID; its output goes to $TEST_TMP/ep.out and
# ep.err.
start_entrypoint() {
	XDPCHAIN=$XDPCHAIN XDPCHAIN_CONFIG_DIR=$1 XDPCHAIN_TEXTFILE_DIR=$TEST_TMP/textfile \
		XDPCHAIN_STAGE_DIR=$TEST_TMP/stage XDPCHAIN_INTERVAL=1 \
		bash "$ENTRYPOINT" >"$TEST_TMP/ep.out" 2>"$TEST_TMP/ep.err" &
	EP_PID=$!
	defer "kill $EP_PID"
}

# wait_until SECONDS WHAT COMMAND...: polls COMMAND until it succeeds; fails
# naming WHAT when it does not within SECONDS, or when the entry script died.
wait_until() {
	local secs=$1 what=$2 i
	shift 2
	for ((i = 0; i < secs * 5; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		kill -0 "$EP_PID" 2>/dev/null ||
			fail "entry script exited while waiting for $what: $(cat "$TEST_TMP/ep.err")"
		sleep 0.2
	done
	fail "$what: not within $secs s; entry script said: $(cat "$TEST_TMP/ep.out" "$TEST_TMP/ep.err")"
}

chain_is() {
	[ "$(chain_names $IF0)" = "$1" ]
}

# chain NAME OBJECT...: a chain file for $IF0 (skb mode) naming OBJECTs,
# written to $TEST_TMP/NAME/chains.conf (a relative OBJECT is one the
# ConfigMap ships beside it: the caller copies it there).
chain() {
	local name=$1 o
	shift
	mkdir -p "$TEST_TMP/$name"
	{
		printf 'version: 1\ninterfaces:\n  %s:\n    mode: skb\n    programs:\n' $IF0
		for o in "$@"; do
			printf '      - object: %s\n' "$o"
		done
	} >"$TEST_TMP/$name/chains.conf"
}

# The whole life of a pod: the chain applied at start, re-applied when the
# ConfigMap changes (chain file, or only an object it ships), metrics
# written for node_exporter, a bad update logged in one line while the old
# chain runs on, and SIGTERM leaving the chain in place.
test_deploy_entrypoint_lifecycle() {
	vm_only
	setup_veth
	local cm=$TEST_TMP/cm m=$TEST_TMP/textfile/xdpchain.prom ids rc=0
	chain v1 "$SAMPLES/rewrite.o" count.o
	cp "$SAMPLES/count.o" "$TEST_TMP/v1/"
	cm_update "$cm" v1
	start_entrypoint "$cm"
	wait_until 60 "the chain applied at start" chain_is "xdpchain_rewrite xdpchain_count xdpchain_final"
	status_json $IF0 | jq -e '.mode == "skb" and .problem == null' >/dev/null ||
		fail "chain at start: $(status_json $IF0)"
	grep -q "^xdpchain-entrypoint: $IF0: add    xdpchain_count from $TEST_TMP/stage/count.o" "$TEST_TMP/ep.out" ||
		fail "start: $(cat "$TEST_TMP/ep.out")"
	# metrics, whole, with the apply's gauges
	wait_until 30 "the metrics file" test -s "$m"
	send_udp 40000 3
	wait_until 30 "counted packets in the metrics" \
		grep -qE "^xdpchain_packets_total\{interface=\"$IF0\",program=\"xdpchain_final\",program_id=\"[0-9]+\",action=\"pass\"\} 3$" "$m"
	grep -qx 'xdpchain_apply_success 1' "$m" || fail "metrics: $(cat "$m")"
	[ "$(ls -A "$TEST_TMP/textfile")" = xdpchain.prom ] || fail "textfile dir: $(ls -A "$TEST_TMP/textfile")"
	if command -v promtool >/dev/null; then
		promtool check metrics <"$m" >"$TEST_TMP/promtool" 2>&1 ||
			fail "promtool check metrics: $(cat "$TEST_TMP/promtool")"
	fi
	# a ConfigMap update: ..data swapped to a new chain; count.o, the same
	# content in the new ..data directory, keeps running (same id)
	local count_id
	count_id=$(status_json $IF0 | jq '.programs[] | select(.name == "xdpchain_count") | .id')
	chain v2 "$SAMPLES/drop.o" count.o
	cp "$SAMPLES/count.o" "$TEST_TMP/v2/"
	cm_update "$cm" v2
	wait_until 60 "the updated chain" chain_is "xdpchain_count xdpchain_drop xdpchain_final"
	[ "$(status_json $IF0 | jq '.programs[] | select(.name == "xdpchain_count") | .id')" = "$count_id" ] ||
		fail "count.o, unchanged, was loaded again: $(cat "$TEST_TMP/ep.out")"
	# only an object the ConfigMap ships changes: it is loaded again
	cp -a "$TEST_TMP/v2" "$TEST_TMP/v3"
	echo rebuilt >>"$TEST_TMP/v3/count.o"
	ids=$(status_json $IF0 | jq -c '[.programs[] | .id]')
	cm_update "$cm" v3
	wait_until 60 "count.o reloaded" grep -q "$IF0: reload xdpchain_count .*changed on disk" "$TEST_TMP/ep.out"
	[ "$(status_json $IF0 | jq -c '[.programs[] | .id]')" != "$ids" ] || fail "nothing reloaded"
	chain_is "xdpchain_count xdpchain_drop xdpchain_final" || fail "after the reload: $(chain_names $IF0)"
	# a bad update: one line, the chain as it was, the script still running
	ids=$(status_json $IF0 | jq -c '[.programs[] | .id]')
	chain bad "$SAMPLES/count.o" "$TESTOBJ/reject.o"
	cm_update "$cm" bad
	wait_until 60 "the failed apply's line" grep -q "apply of $cm failed" "$TEST_TMP/ep.err"
	[ "$(grep -c . "$TEST_TMP/ep.err" | tr -d ' ')" = "$(grep -c 'xdpchain-entrypoint: ' "$TEST_TMP/ep.err")" ] ||
		fail "stderr lines not the script's: $(cat "$TEST_TMP/ep.err")"
	grep "apply of $cm failed" "$TEST_TMP/ep.err" | grep -q "exit 1.*reject" ||
		fail "failure line: $(grep failed "$TEST_TMP/ep.err")"
	[ "$(status_json $IF0 | jq -c '[.programs[] | .id]')" = "$ids" ] ||
		fail "a failed apply changed the chain: $(status_json $IF0)"
	wait_until 30 "xdpchain_apply_success 0" grep -qx 'xdpchain_apply_success 0' "$m"
	kill -0 $EP_PID || fail "the script stopped after a bad update"
	# fixed again
	cm_update "$cm" v1
	wait_until 60 "the chain after the fix" chain_is "xdpchain_rewrite xdpchain_count xdpchain_final"
	wait_until 30 "xdpchain_apply_success 1" grep -qx 'xdpchain_apply_success 1' "$m"
	# SIGTERM: exit 0, the chain stays
	ids=$(status_json $IF0 | jq -c '[.programs[] | .id]')
	kill -TERM $EP_PID
	wait $EP_PID || rc=$?
	[ $rc -eq 0 ] || fail "exit $rc on SIGTERM: $(cat "$TEST_TMP/ep.err")"
	grep -q "stopped; the chains stay in place" "$TEST_TMP/ep.err" || fail "stop: $(cat "$TEST_TMP/ep.err")"
	[ "$(status_json $IF0 | jq -c '[.programs[] | .id]')" = "$ids" ] ||
		fail "SIGTERM changed the chain: $(status_json $IF0)"
	status_json $IF0 | jq -e '.problem == null' >/dev/null || fail "after SIGTERM: $(status_json $IF0)"
}

# A configuration that cannot be applied at start: exit 1 with one line,
# nothing changed (the pod restarts with back-off). Bad settings too.
test_deploy_entrypoint_start_failure() {
	vm_only
	setup_veth
	local before rc=0 cm=$TEST_TMP/cm
	chain bad "$SAMPLES/count.o" "$TESTOBJ/reject.o"
	cm_update "$cm" bad
	before=$(snapshot $IF0)
	XDPCHAIN=$XDPCHAIN XDPCHAIN_CONFIG_DIR=$cm XDPCHAIN_TEXTFILE_DIR=$TEST_TMP/textfile \
		XDPCHAIN_STAGE_DIR=$TEST_TMP/stage timeout 120 bash "$ENTRYPOINT" \
		>"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
	[ $rc -eq 1 ] || fail "exit $rc, wanted 1: $(cat "$TEST_TMP/err")"
	[ "$(grep -c . "$TEST_TMP/err")" -eq 1 ] || fail "more than one line: $(cat "$TEST_TMP/err")"
	grep -q "^xdpchain-entrypoint: apply of $cm failed (exit 1), the chains stay as they were: .*reject" \
		"$TEST_TMP/err" || fail "said: $(cat "$TEST_TMP/err")"
	assert_unchanged $IF0 "$before"
	# settings
	local want
	for want in "XDPCHAIN_INTERVAL=0:XDPCHAIN_INTERVAL '0' is not a number of seconds from 1 to 86400" \
		"XDPCHAIN_INTERVAL=1x:XDPCHAIN_INTERVAL '1x' is not a number" \
		"XDPCHAIN_CONFIG_DIR=$TEST_TMP/none:$TEST_TMP/none is not a directory; mount" \
		"XDPCHAIN=/nonexistent:/nonexistent is not an executable" \
		"XDPCHAIN_STAGE_DIR=/proc/nosuch:cannot copy $cm to /proc/nosuch.new: mkdir: .*; set XDPCHAIN_STAGE_DIR"; do
		rc=0
		env XDPCHAIN="$XDPCHAIN" XDPCHAIN_CONFIG_DIR="$cm" XDPCHAIN_TEXTFILE_DIR='' "${want%%:*}" \
			bash "$ENTRYPOINT" >/dev/null 2>"$TEST_TMP/err" || rc=$?
		[ $rc -eq 1 ] && [ "$(grep -c . "$TEST_TMP/err")" -eq 1 ] &&
			grep -q "^xdpchain-entrypoint: ${want#*:}" "$TEST_TMP/err" ||
			fail "${want%%:*}: exit $rc, said: $(cat "$TEST_TMP/err")"
	done
	assert_unchanged $IF0 "$before"
}

# Where /sys/fs/bpf is no bpffs (a node that never mounted one), the script
# mounts one and the chain's pins go there.
test_deploy_entrypoint_mounts_bpffs() {
	vm_only
	setup_veth
	local fs=$TEST_TMP/bpffs rc=0
	mkdir "$fs"
	chain v1 "$SAMPLES/count.o"
	XDPCHAIN=$XDPCHAIN XDPCHAIN_CONFIG_DIR=$TEST_TMP/v1 XDPCHAIN_BPFFS=$fs XDPCHAIN_TEXTFILE_DIR='' \
		XDPCHAIN_STAGE_DIR=$TEST_TMP/stage bash "$ENTRYPOINT" >"$TEST_TMP/ep.out" 2>"$TEST_TMP/ep.err" &
	EP_PID=$!
	defer "umount $fs"
	defer "kill $EP_PID"
	wait_until 60 "the chain" eval "LIBXDP_BPFFS=$fs $XDPCHAIN -j status $IF0 | jq -e '.programs[0].name == \"xdpchain_count\"'"
	[ "$(stat -f -c %T "$fs")" = bpf_fs ] || fail "$fs is $(stat -f -c %T "$fs")"
	grep -q "mounted bpffs at $fs" "$TEST_TMP/ep.err" || fail "said: $(cat "$TEST_TMP/ep.err")"
	[ -d "$fs/xdpchain/$IF0" ] || fail "no state in $fs: $(find "$fs")"
	kill -TERM $EP_PID
	wait $EP_PID || rc=$?
	[ $rc -eq 0 ] || fail "exit $rc on SIGTERM"
	LIBXDP_BPFFS=$fs "$XDPCHAIN" flush $IF0 >/dev/null || fail "flush"
}
