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
	local before f out rc
	before=$(snapshot $IF0)
	f=$(printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: %s\n        priority: 7\n      - object: %s\n' \
		$IF0 "$SAMPLES/count.o" "$SAMPLES/rewrite.o" | conf plan.conf)
	# exit 3: would change; 4: would, but this kernel cannot build chains
	rc=0
	out=$(xdpchain apply --dry-run "$f") || rc=$?
	[ $rc -eq 3 ] || [ $rc -eq 4 ] || fail "dry run exited $rc"
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

# Inputs apply refuses, each naming the chain file's line where it can:
# objects that are a FIFO or a device (at once: the chain lock is held
# meanwhile), a chain file that is a FIFO, nests 200,000 brackets deep
# (refused at depth 17, not parsed for minutes) or has a bad UTF-8 byte on
# line 5, an unknown program (the line lists the object's programs), an
# unknown interface. --skip-missing does not hide a real error behind its
# probe of a missing interface. Nothing changes.
test_service_apply_unsafe_inputs() {
	mountpoint -q "$BPFFS" || mount -t bpf bpf "$BPFFS"
	setup_veth
	local before f out rc
	before=$(snapshot $IF0)
	mkfifo "$TEST_TMP/fifo.o" "$TEST_TMP/fifo.conf"
	hold_chain_lock
	f=$(printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: fifo.o\n' $IF0 | conf fifo-obj.conf)
	EXPECT_TIMEOUT=10 expect_fail 1 "^xdpchain apply: $f:5: $TEST_TMP/fifo.o is a FIFO, not a regular file" apply "$f"
	f=$(printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: /dev/zero\n' $IF0 | conf zero.conf)
	EXPECT_TIMEOUT=10 expect_fail 1 "^xdpchain apply: $f:5: /dev/zero is a character device, not a regular file" apply "$f"
	EXPECT_TIMEOUT=10 expect_fail 1 "^xdpchain apply: $TEST_TMP/fifo.conf is not a regular file" apply "$TEST_TMP/fifo.conf"
	# 400 KB of brackets: refused at the depth a chain file never needs
	python3 -c 'import sys; sys.stdout.write("[" * 200000 + "]" * 200000 + "\n")' >"$TEST_TMP/deep.conf"
	EXPECT_TIMEOUT=10 expect_fail 1 "^xdpchain apply: $TEST_TMP/deep.conf:1: nested deeper than 16 levels" \
		apply "$TEST_TMP/deep.conf"
	{
		printf 'version: 1\ninterfaces: {}\n'
		head -c 1100000 /dev/zero | tr '\0' '#'
	} >"$TEST_TMP/big.conf"
	expect_fail 1 "^xdpchain apply: $TEST_TMP/big.conf is larger than 1024 KiB, which no chain file needs" \
		apply "$TEST_TMP/big.conf"
	f=$(printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: "c\xffount.o"\n' $IF0 | conf utf8.conf)
	expect_fail 1 "^xdpchain apply: $f:5: not valid YAML: invalid leading UTF-8 octet \\(byte 0xff\\)" apply "$f"
	f=$(printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: %s\n        program: nosuch\n' \
		$IF0 "$SAMPLES/count.o" | conf noprog.conf)
	expect_fail 1 "^xdpchain apply: $f:5: $SAMPLES/count.o has no program named 'nosuch'; it has xdpchain_count \\(xdp\\)$" \
		apply "$f"
	f=$(printf 'version: 1\ninterfaces:\n  xcnone0:\n    programs: []\n' | conf noiface.conf)
	expect_fail 1 "^xdpchain apply: $f:3: no interface named 'xcnone0'" apply "$f"
	# a missing interface left for later, then a real error: the real one is said
	echo "not ELF" >"$TEST_TMP/text.o"
	f=$(printf 'version: 1\ninterfaces:\n  xcnone0:\n    programs: []\n  %s:\n    programs:\n      - object: text.o\n' \
		$IF0 | conf late-and-bad.conf)
	rc=0
	out=$(timeout 10 "$XDPCHAIN" apply --skip-missing "$f" 2>&1 >/dev/null) || rc=$?
	[ $rc -eq 1 ] && [ "$(echo "$out" | wc -l)" = 2 ] &&
		echo "$out" | tail -1 | grep -q "^xdpchain apply: $f:7: $TEST_TMP/text.o is not a BPF object" ||
		fail "--skip-missing then a bad object: $rc: $out"
	assert_unchanged $IF0 "$before"
}

# An object path through a link records the file that is loaded: the plan
# names the real path, not the path taken apart by its names ("x/link/.."
# is not "x" when link points elsewhere).
test_service_apply_object_realpath() {
	mountpoint -q "$BPFFS" || mount -t bpf bpf "$BPFFS"
	setup_veth
	local d=$TEST_TMP/objs out rc=0
	mkdir -p "$d/x" "$d/elsewhere/sub"
	cp "$SAMPLES/count.o" "$d/elsewhere/prog.o"
	cp "$SAMPLES/rewrite.o" "$d/x/prog.o"
	ln -s ../elsewhere/sub "$d/x/link"
	printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: x/link/../prog.o\n' $IF0 >"$d/chains.conf"
	out=$(xdpchain apply --dry-run "$d/chains.conf" 2>/dev/null) || rc=$?
	[ $rc -ne 1 ] || fail "dry run failed: $(xdpchain apply -n "$d/chains.conf" 2>&1)"
	echo "$out" | grep -q "^$IF0: add    xdpchain_count from $d/elsewhere/prog.o, priority" ||
		fail "plan: $out"
}

# apply - reads the chain file from stdin (relative objects: from the
# working directory); --strict fails on an object whose content is not the
# sha256 the file records, where apply without it warns and goes on.
test_service_apply_stdin_strict() {
	mountpoint -q "$BPFFS" || mount -t bpf bpf "$BPFFS"
	setup_veth
	local before out rc=0 f sha
	before=$(snapshot $IF0)
	out=$(cd "$SAMPLES" && printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: count.o\n' $IF0 |
		"$XDPCHAIN" apply --dry-run - 2>/dev/null) || rc=$?
	[ $rc -ne 1 ] || fail "apply -n - failed"
	echo "$out" | grep -q "^$IF0: add    xdpchain_count from $SAMPLES/count.o, priority 20" || fail "stdin plan: $out"
	rc=0
	out=$(printf 'version: 1\ninterfaces:\n  %s:\n    programs: 7\n' $IF0 | "$XDPCHAIN" apply - 2>&1) || rc=$?
	[ $rc -eq 1 ] && [ "$out" = "xdpchain apply: <stdin>:4: 'programs' is a list: '- object: FILE' per program" ] ||
		fail "bad stdin: $rc: $out"
	sha=$(printf '0%.0s' $(seq 64))
	f=$(printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: %s\n        sha256: %s\n' \
		$IF0 "$SAMPLES/count.o" "$sha" | conf sha.conf)
	expect_fail 1 "^xdpchain apply: $f:5: $SAMPLES/count.o changed since the chain file was written \\(sha256 [0-9a-f]{12}\\.\\.\\., the file says 000000000000\\.\\.\\.\\); --strict refuses it" \
		apply --strict --dry-run "$f"
	rc=0
	out=$("$XDPCHAIN" apply --dry-run "$f" 2>&1 >/dev/null) || rc=$?
	[ $rc -ne 1 ] || fail "without --strict: $out"
	echo "$out" | grep -q "^$f:5: $SAMPLES/count.o changed since the chain file was written .*the object as it is now is used$" ||
		fail "without --strict: $out"
	assert_unchanged $IF0 "$before"
}

# apply --dry-run's exit status: 0 when nothing would change, 3 when
# applying would change a chain, 4 when it would but this kernel cannot
# build chains (it says so), 1 when applying would fail (a hook-pin it
# could not take, at the file's line). The plan is in run order.
test_service_apply_dry_run_status() {
	mountpoint -q "$BPFFS" || mount -t bpf bpf "$BPFFS"
	setup_veth
	local before f rc=0 err want
	before=$(snapshot $IF0)
	f=$(printf 'version: 1\ninterfaces:\n  %s:\n    programs: []\n' $IF0 | conf none.conf)
	xdpchain apply --dry-run "$f" >"$TEST_TMP/out" 2>&1 || rc=$?
	[ $rc -eq 0 ] || fail "unchanged: exit $rc: $(cat "$TEST_TMP/out")"
	grep -qx "$IF0: unchanged" "$TEST_TMP/out" || fail "unchanged: $(cat "$TEST_TMP/out")"
	f=$(printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: %s\n' $IF0 "$SAMPLES/count.o" | conf add.conf)
	rc=0
	xdpchain apply --dry-run "$f" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
	if xdpchain -j features | jq -e .freplace >/dev/null; then
		want=3
	else
		want=4
		[ "$(wc -l <"$TEST_TMP/err")" = 1 ] && grep -q "^xdpchain apply: this kernel refuses freplace" "$TEST_TMP/err" ||
			fail "no freplace: $(cat "$TEST_TMP/err")"
		xdpchain -j apply -n "$f" 2>/dev/null | jq -e '(.error | test("refuses freplace")) and .interfaces[0].steps[0].step == "add"' >/dev/null ||
			fail "-j: $(xdpchain -j apply -n "$f" 2>&1)"
	fi
	[ $rc -eq $want ] || fail "would change: exit $rc, wanted $want: $(cat "$TEST_TMP/out" "$TEST_TMP/err")"
	grep -q "^$IF0: add    xdpchain_count" "$TEST_TMP/out" || fail "plan: $(cat "$TEST_TMP/out")"
	# the plan in run order (priority, then name), not the file's order
	f=$(printf 'version: 1\ninterfaces:\n  %s:\n    programs:\n      - object: %s\n        priority: 30\n      - object: %s\n        priority: 5\n' \
		$IF0 "$SAMPLES/count.o" "$SAMPLES/rewrite.o" | conf order.conf)
	xdpchain apply --dry-run "$f" 2>/dev/null | grep -o "xdpchain_[a-z]* from" | tr '\n' ' ' >"$TEST_TMP/order"
	[ "$(cat "$TEST_TMP/order")" = "xdpchain_rewrite from xdpchain_count from " ] ||
		fail "plan not in run order: $(xdpchain apply --dry-run "$f" 2>&1)"
	# a hook-pin apply could not take: the dry run fails as apply would
	f=$(printf 'version: 1\ninterfaces:\n  %s:\n    hook-pin: /tmp/hook\n    programs:\n      - object: %s\n' \
		$IF0 "$SAMPLES/count.o" | conf pin.conf)
	expect_fail 1 "^xdpchain apply: $f:3: --hook-pin /tmp/hook is not on bpffs" apply --dry-run "$f"
	assert_unchanged $IF0 "$before"
}

# metrics -o in a directory another user controls (node_exporter's
# textfile directory belongs to prometheus; here nobody): what that user
# plants is never written through. A link at the file is refused with the
# link and its target untouched; links at the temporary names the unit and
# the entry script used (xdpchain.prom.tmp, .xdpchain.prom.tmp) neither
# block nor get written through, nor are removed; the file is replaced
# whole (a new inode, mode 0644, root's), a failure leaves the old one and
# no temporary file; a world-writable directory without the sticky bit is
# refused. The metrics unit's own command (no shell) does the same.
test_service_metrics_output_safe() {
	local d=/tmp/textfile f=/tmp/textfile/xdpchain.prom cmd ino
	echo secret >/tmp/rootonly
	chmod 600 /tmp/rootonly
	mkdir -m 755 $d
	chown 65534:65534 $d
	as_nobody ln -s /tmp/rootonly $f
	expect_fail 1 "^xdpchain metrics: -o $f is a symbolic link; refusing to replace it .*: remove it or give the path it points to$" \
		metrics -o $f
	[ "$(readlink $f)" = /tmp/rootonly ] || fail "the link was replaced"
	as_nobody rm $f
	as_nobody ln -s /tmp/rootonly $d/xdpchain.prom.tmp
	as_nobody ln -s /tmp/rootonly $d/.xdpchain.prom.tmp
	"$XDPCHAIN" metrics -o $f || fail "metrics -o failed"
	[ "$(cat /tmp/rootonly)" = secret ] || fail "a planted link was written through"
	[ "$(ls -A $d | tr '\n' ' ')" = ".xdpchain.prom.tmp xdpchain.prom xdpchain.prom.tmp " ] ||
		fail "the directory holds: $(ls -A $d)"
	[ "$(stat -c '%F %a %U' $f)" = "regular file 644 root" ] || fail "the file: $(stat -c '%F %a %U' $f)"
	grep -q '^# TYPE xdpchain_leftovers gauge$' $f || fail "the file: $(cat $f)"
	if command -v promtool >/dev/null; then
		promtool check metrics <$f >"$TEST_TMP/promtool" 2>&1 || fail "promtool: $(cat "$TEST_TMP/promtool")"
	fi
	# replaced whole: a new file each time; a failure keeps the last one
	ino=$(stat -c %i $f)
	printf 'x_gauge 1' | "$XDPCHAIN" metrics -o $f --append - || fail "--append - failed"
	[ "$(stat -c %i $f)" != "$ino" ] || fail "the file was rewritten in place, not replaced"
	[ "$(tail -1 $f)" = "x_gauge 1" ] || fail "--append: $(tail -2 $f)"
	cp $f "$TEST_TMP/last"
	expect_fail 1 "^xdpchain metrics: --append $TEST_TMP/none: No such file" \
		metrics -o $f --append "$TEST_TMP/none"
	cmp -s $f "$TEST_TMP/last" || fail "a failed run changed the file"
	[ "$(ls -A $d | wc -l)" = 3 ] || fail "a failed run left: $(ls -A $d)"
	# the unit's command, its directory moved here: no shell in it
	cmd=$(sed -n 's/^ExecStart=//p' "$ROOT/deploy/systemd/xdpchain-metrics.service")
	[ "$cmd" = "/usr/local/sbin/xdpchain metrics -o /var/lib/prometheus/node-exporter/xdpchain.prom" ] ||
		fail "the metrics unit runs: $cmd"
	rm $f
	cmd=${cmd//\/var\/lib\/prometheus\/node-exporter/$d}
	${cmd//\/usr\/local\/sbin\/xdpchain/$XDPCHAIN} || fail "the unit's command failed"
	[ "$(cat /tmp/rootonly)" = secret ] || fail "the unit's command wrote through a planted link"
	[ -f $f ] && [ ! -L $f ] || fail "the unit's command wrote no file"
	# anyone could replace a file in a world-writable directory
	mkdir /tmp/ww
	chmod 777 /tmp/ww
	expect_fail 1 "^xdpchain metrics: -o /tmp/ww/x.prom: its directory is writable by everyone without the sticky bit" \
		metrics -o /tmp/ww/x.prom
	[ -z "$(ls -A /tmp/ww)" ] || fail "the world-writable directory got: $(ls -A /tmp/ww)"
}
