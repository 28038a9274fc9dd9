# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Host tests of running xdpchain as a service: chain files (save/apply),
# the systemd units, metrics. What needs real chains is in vm_service.sh.

# conf NAME: writes stdin to $TEST_TMP/NAME and prints its path.
conf() {
	cat >"$TEST_TMP/$1"
	echo "$TEST_TMP/$1"
}

# A file naming an interface that does not exist: apply fails and names it;
# with --skip-missing (the boot unit's) it is left for later with a line and
# the run succeeds; --interface picks one interface, and one the files do not
# name is nothing to do. Nothing is attached or pinned by any of them.
test_service_apply_missing_interface() {
	mountpoint -q "$BPFFS" || mount -t bpf bpf "$BPFFS"
	setup_veth
	local f before
	f=$(printf 'version: 1\ninterfaces:\n  xcnone0:\n    programs:\n      - object: %s\n' \
		"$SAMPLES/count.o" | conf late.conf)
	before=$(snapshot $IF0)
	expect_fail 1 "no interface named 'xcnone0'" apply "$f"
	"$XDPCHAIN" apply --skip-missing "$f" >"$TEST_TMP/out" 2>"$TEST_TMP/err" ||
		fail "--skip-missing failed: $(cat "$TEST_TMP/err")"
	grep -qx "xdpchain apply: xcnone0: no such interface (yet): left for later; 'xdpchain apply --interface xcnone0 FILE...' applies it once it exists" \
		"$TEST_TMP/err" || fail "--skip-missing said: $(cat "$TEST_TMP/err")"
	[ ! -s "$TEST_TMP/out" ] || fail "--skip-missing printed a plan: $(cat "$TEST_TMP/out")"
	"$XDPCHAIN" -j apply --skip-missing "$f" 2>/dev/null | jq -e '.missing == ["xcnone0"] and .interfaces == []' >/dev/null ||
		fail "JSON: $("$XDPCHAIN" -j apply --skip-missing "$f" 2>&1)"
	"$XDPCHAIN" apply --interface $IF0 "$f" >"$TEST_TMP/out" 2>&1 || fail "--interface $IF0: $(cat "$TEST_TMP/out")"
	grep -q "do not name $IF0: nothing to do" "$TEST_TMP/out" || fail "--interface $IF0: $(cat "$TEST_TMP/out")"
	expect_fail 1 "no interface named 'xcnone0'" apply --interface xcnone0 "$f"
	expect_fail 2 "option .--interface. needs a value" apply --interface
	assert_unchanged $IF0 "$before"
}

# systemd-analyze verify on each unit, the binary path pointed at the build.
test_service_units_verify() {
	command -v systemd-analyze >/dev/null || skip "no systemd-analyze"
	local u d=$TEST_TMP/units units=()
	mkdir -p "$d"
	for u in "$ROOT"/deploy/systemd/*.service "$ROOT"/deploy/systemd/*.timer; do
		[ -e "$u" ] || continue
		sed "s|/usr/local/sbin/xdpchain|$ROOT/.output/bin/xdpchain|g" "$u" >"$d/$(basename "$u")"
		units+=("./$(basename "$u")")
	done
	# --man=no: the man page comes with 'make install'
	(cd "$d" && systemd-analyze verify --man=no "${units[@]}") >"$TEST_TMP/verify" 2>&1 ||
		fail "systemd-analyze verify: $(cat "$TEST_TMP/verify")"
	[ ! -s "$TEST_TMP/verify" ] || fail "systemd-analyze verify warns: $(cat "$TEST_TMP/verify")"
	grep -q '^ExecStart=/usr/local/sbin/xdpchain apply --skip-missing /etc/xdpchain$' \
		"$ROOT/deploy/systemd/xdpchain.service" || fail "xdpchain.service applies something else"
	# the template as the instance udev starts for an interface
	cp "$d/xdpchain@.service" "$d/xdpchain@eth0.service"
	(cd "$d" && systemd-analyze verify --man=no ./xdpchain@eth0.service) >"$TEST_TMP/verify" 2>&1 ||
		fail "systemd-analyze verify xdpchain@eth0: $(cat "$TEST_TMP/verify")"
	[ ! -s "$TEST_TMP/verify" ] || fail "systemd-analyze verify warns: $(cat "$TEST_TMP/verify")"
	# the udev rule asks for that instance of every interface udev adds
	grep -qx 'ACTION=="add", SUBSYSTEM=="net", TAG+="systemd", ENV{SYSTEMD_WANTS}+="xdpchain@%k.service"' \
		"$ROOT/deploy/udev/71-xdpchain.rules" || fail "udev rule: $(cat "$ROOT/deploy/udev/71-xdpchain.rules")"
}

# The units that run xdpchain as root are hardened: systemd rates each of
# them "OK" or better (xdpchain.service was 9.5, "UNSAFE"), and none may
# write outside bpffs and /run/xdpchain. The template does not remain active,
# so an interface that comes back starts it (and gets its chain) again.
test_service_units_hardened() {
	command -v systemd-analyze >/dev/null || skip "no systemd-analyze"
	systemd-analyze security --help 2>/dev/null | grep -q -- --offline || skip "systemd-analyze security has no --offline"
	local u d=$TEST_TMP/units rating
	mkdir -p "$d"
	for u in xdpchain.service xdpchain@.service xdpchain-metrics.service; do
		sed "s|/usr/local/sbin/xdpchain|$ROOT/.output/bin/xdpchain|g" "$ROOT/deploy/systemd/$u" >"$d/$u"
	done
	cp "$d/xdpchain@.service" "$d/xdpchain@eth0.service"
	for u in xdpchain.service xdpchain@eth0.service; do
		rating=$(cd "$d" && systemd-analyze security --offline=true "./$u" 2>&1 | grep 'Overall exposure level') ||
			fail "$u: no rating"
		echo "$rating" | grep -Eq ': [0-9.]+ (PERFECT|SAFE|OK)' || fail "$u is not hardened: $rating"
		grep -qx 'ProtectSystem=strict' "$d/$u" || fail "$u: file system not read-only"
		grep -qx 'ReadWritePaths=/sys/fs/bpf -/run/xdpchain' "$d/$u" || fail "$u: writes elsewhere"
	done
	grep -qx 'RemainAfterExit=no' "$d/xdpchain@.service" || fail "the template stays active: a returning interface gets no chain"
}

# Every bad chain file: one line naming file, line and problem, exit 1,
# nothing changed. Found before the kernel is asked anything, so on any kernel.
test_service_apply_bad_input() {
	mountpoint -q "$BPFFS" || mount -t bpf bpf "$BPFFS"
	setup_veth
	local before f good
	before=$(snapshot $IF0)
	expect_fail 2 "missing argument FILE" apply
	expect_fail 1 "cannot read $TEST_TMP/none.conf: No such file" apply "$TEST_TMP/none.conf"
	f=$(printf 'version: 1\ninterfaces: [\n' | conf syntax.conf)
	expect_fail 1 "^xdpchain apply: $f:3: not valid YAML: .*; see .xdpchain save. for the format" apply "$f"
	f=$(printf 'version: 2\ninterfaces: {}\n' | conf version.conf)
	expect_fail 1 "$f:1: this xdpchain reads version 1" apply "$f"
	f=$(printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: %s\n        colour: red\n' \
		$IF0 "$SAMPLES/count.o" | conf key.conf)
	expect_fail 1 "$f:6: unknown key 'colour' in a program" apply "$f"
	f=$(printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: %s\n        priority: 4294967295\n' \
		$IF0 "$SAMPLES/count.o" | conf prio.conf)
	expect_fail 1 "$f:6: priority '4294967295' is not a number from 0 to 2147483647" apply "$f"
	f=$(printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: %s\n        proceed-on: [pass, fly]\n' \
		$IF0 "$SAMPLES/count.o" | conf acts.conf)
	expect_fail 1 "$f:6: proceed-on 'pass,fly': actions are" apply "$f"
	f=$(printf 'version: 1\ninterfaces:\n  %s:\n    mode: turbo\n    programs: []\n' $IF0 | conf mode.conf)
	expect_fail 1 "$f:4: mode is skb or native" apply "$f"
	f=$(printf 'version: 1\ninterfaces:\n  %s:\n    mode: skb\n' $IF0 | conf noprogs.conf)
	expect_fail 1 "$f:4: an interface needs 'programs:'" apply "$f"
	f=$(printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - program: x\n' $IF0 | conf noobj.conf)
	expect_fail 1 "$f:5: a program needs 'object: FILE'" apply "$f"
	f=$(printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: missing.o\n' $IF0 | conf missing.conf)
	expect_fail 1 "$f:5: cannot read $TEST_TMP/missing.o: No such file.*fix the path" apply "$f"
	echo "not ELF" >"$TEST_TMP/text.o"
	f=$(printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: text.o\n' $IF0 | conf text.conf)
	expect_fail 1 "text.o is not a BPF object" apply "$f"
	f=$(printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: %s\n        program: nosuch\n' \
		$IF0 "$SAMPLES/count.o" | conf noprog.conf)
	expect_fail 1 "count.o has no program named 'nosuch'" apply "$f"
	f=$(printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: %s\n      - object: %s\n' \
		$IF0 "$SAMPLES/count.o" "$SAMPLES/count.o" | conf twice.conf)
	expect_fail 1 "$f:6: program 'xdpchain_count' is named twice for $IF0 \\(also at $f:5\\)" apply "$f"
	f=$(printf 'version: 1\ninterfaces:\n  nosuch:\n    programs: []\n' | conf iface.conf)
	expect_fail 1 "no interface named 'nosuch'" apply "$f"
	# a good interface and a bad one: the good one is not touched either
	good=$(printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: %s\n' \
		$IF0 "$SAMPLES/count.o" | conf good.conf)
	expect_fail 1 "no interface named 'nosuch'" apply "$good" "$TEST_TMP/iface.conf"
	# the same interface in two files
	expect_fail 1 "$good:3: interface $IF0 is described twice \\(also at $good:3\\)" apply "$good" "$good"
	# a directory: its *.conf files in name order, the first bad one named
	mkdir "$TEST_TMP/etc"
	cp "$good" "$TEST_TMP/etc/10-good.conf"
	printf 'version: 1\ninterfaces:\n  %s:\n    programs: 7\n' $IF1 >"$TEST_TMP/etc/20-bad.conf"
	echo garbage >"$TEST_TMP/etc/README"
	expect_fail 1 "20-bad.conf:4: 'programs' is a list" apply "$TEST_TMP/etc"
	xdpchain -j apply "$TEST_TMP/etc" 2>/dev/null | jq -e '.error | test("20-bad.conf:4")' >/dev/null ||
		fail "apply -j: error is not JSON"
	assert_unchanged $IF0 "$before"
}

# --dry-run plans without a kernel that chains: what would be added.
test_service_apply_dry_run() {
	mountpoint -q "$BPFFS" || mount -t bpf bpf "$BPFFS"
	setup_veth
	local before f out
	before=$(snapshot $IF0)
	f=$(printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: %s\n        priority: 7\n      - object: %s\n' \
		$IF0 "$SAMPLES/count.o" "$SAMPLES/rewrite.o" | conf plan.conf)
	out=$(xdpchain apply --dry-run "$f") || fail "dry run failed"
	echo "$out" | grep -q "^$IF0: add    xdpchain_count from $SAMPLES/count.o, priority 7, proceed on pass$" ||
		fail "plan: $out"
	echo "$out" | grep -q "^$IF0: add    xdpchain_rewrite from $SAMPLES/rewrite.o, priority 10" ||
		fail "plan: $out"
	echo "$out" | grep -q "^$IF0: would change (dry run: nothing was changed)$" || fail "plan: $out"
	xdpchain -j apply -n "$f" | jq -e '.interfaces[0].dry_run and ([.interfaces[0].steps[].step] == ["add", "add"])' \
		>/dev/null || fail "plan -j: $(xdpchain -j apply -n "$f")"
	assert_unchanged $IF0 "$before"
	# no chains: save writes an empty file, which apply reads
	xdpchain save >"$TEST_TMP/empty.conf" || fail "save with no chains"
	grep -q '^interfaces: {}$' "$TEST_TMP/empty.conf" || fail "empty save: $(cat "$TEST_TMP/empty.conf")"
	xdpchain apply "$TEST_TMP/empty.conf" 2>&1 | grep -q "nothing to do" || fail "empty apply"
	assert_unchanged $IF0 "$before"
}
