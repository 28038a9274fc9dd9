# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Host tests: what runs on any kernel, the freplace-less one of CI included.

test_unit() {
	"$BIN/unit-tests" || fail "unit tests failed"
}

test_help_exit_codes() {
	local c
	xdpchain --help | grep -q '^Usage: xdpchain' || fail "--help has no usage"
	for c in add remove status flush capture cleanup top features completion; do
		xdpchain "$c" --help | grep -q "^Usage: xdpchain $c" || fail "$c --help"
	done
	xdpchain --version | grep -q '^xdpchain ' || fail "--version"
	expect_fail 2 "unknown command 'frobnicate'" frobnicate
	expect_fail 2 "ambiguous command" f eth0
	# an ambiguous prefix names the commands it could be
	expect_fail 2 "^xdpchain: ambiguous command 'c': capture, cleanup, completion \(see" c
	expect_fail 2 "ambiguous command 'f': flush, features" f eth0
	expect_fail 2 "missing argument FILE" add lo
	expect_fail 2 "unknown option" status --bogus
	expect_fail 2 "unexpected argument 'extra'" flush lo extra
	expect_fail 2 "expected an integer from 0 to 2147483647" add lo x.o --priority 2147483648
	expect_fail 2 "expected an integer" add lo x.o --priority -1
	expect_fail 2 "invalid action list" add lo x.o --proceed-on pass,bogus
	expect_fail 2 "invalid mode" add lo x.o --mode turbo
	# unique prefixes
	xdpchain feat >/dev/null || fail "prefix 'feat' not accepted"
}

# README documents every command and every option --help lists.
test_readme_matches_help() {
	local c opt
	for c in add remove status flush capture cleanup top features completion save apply metrics replay; do
		xdpchain "$c" --help | grep -q "^Usage: xdpchain $c" || fail "$c --help"
		grep -q "xdpchain $c" "$ROOT/README.md" || fail "README lacks 'xdpchain $c'"
		for opt in $(xdpchain "$c" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
			grep -q -- "$opt" "$ROOT/README.md" || fail "README lacks $opt of $c"
		done
	done
}

test_features() {
	local j
	j=$(xdpchain -j features)
	echo "$j" | jq -e '.freplace | type == "boolean"' >/dev/null || fail "features -j: $j"
	echo "$j" | jq -e '.libxdp | length > 0' >/dev/null || fail "no libxdp version"
	xdpchain features | grep -q '^freplace (EXT progs):' || fail "features text"
}

# This kernel refuses freplace: add says so, exits 1 and changes nothing.
test_no_freplace_refused() {
	if xdpchain -j features | jq -e .freplace >/dev/null; then
		skip "this kernel allows freplace; the VM suite covers chains"
	fi
	mountpoint -q "$BPFFS" || mount -t bpf bpf "$BPFFS"
	setup_veth
	local before
	before=$(snapshot $IF0)
	expect_fail 1 "refuses freplace .*BPF_PROG_TYPE_EXT.*make vm-test" add $IF0 "$SAMPLES/rewrite.o"
	assert_unchanged $IF0 "$before"
	# -vv adds libbpf's lines; the error stays the last line
	local rc=0 out
	out=$(xdpchain -vv add $IF0 "$SAMPLES/count.o" --priority 5 2>&1) || rc=$?
	[ $rc -eq 1 ] || fail "-vv add exited $rc"
	echo "$out" | grep -q "^libbpf: " || fail "-vv shows no libbpf messages"
	echo "$out" | tail -1 | grep -q "refuses freplace" || fail "-vv: last line: $(echo "$out" | tail -1)"
	out=$(xdpchain -v add $IF0 "$SAMPLES/count.o" 2>&1) || true
	echo "$out" | grep -q "^libbpf: " && fail "-v must not show libbpf messages"
	assert_unchanged $IF0 "$before"
}

test_bad_input_host() {
	mountpoint -q "$BPFFS" || mount -t bpf bpf "$BPFFS"
	setup_veth
	local before
	before=$(snapshot $IF0)
	expect_fail 1 "no interface named 'nosuch0'" add nosuch0 "$SAMPLES/rewrite.o"
	expect_fail 1 "cannot read /nonexistent.o" add $IF0 /nonexistent.o
	expect_fail 1 "no interface named 'nosuch0'" status nosuch0
	expect_fail 1 "no interface named" flush nosuch0
	expect_fail 1 "no XDP program is attached to $IF0" remove $IF0 foo
	assert_unchanged $IF0 "$before"
	# errors in JSON mode are JSON, on stdout
	{ xdpchain -j status nosuch0 || true; } | jq -e '.error | test("nosuch0")' >/dev/null ||
		fail "JSON error missing"
}

test_not_root() {
	command -v setpriv >/dev/null || skip "setpriv not installed"
	local out rc=0
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$XDPCHAIN" status lo 2>&1) || rc=$?
	[ $rc -eq 1 ] || fail "non-root status exited $rc: $out"
	echo "$out" | grep -q "needs root" || fail "non-root message: $out"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$XDPCHAIN" add --help >/dev/null ||
		fail "--help should work without root"
}

test_status_empty() {
	setup_veth
	status_json $IF0 | jq -e '.kind == "none" and (.programs | length) == 0' >/dev/null ||
		fail "empty status: $(status_json $IF0)"
	xdpchain status $IF0 | grep -q "$IF0: no XDP program" || fail "text status"
}

test_format() {
	command -v clang-format >/dev/null || skip "clang-format not installed"
	make -s -C "$ROOT" check-format || fail "C sources differ from .clang-format; run clang-format -i"
}

# The completion script comes from the option tables: it offers what --help lists.
test_completion() {
	local script
	script=$(xdpchain completion)
	COMPREPLY=()
	eval "$script"
	COMP_WORDS=(xdpchain add eth0 --pri)
	COMP_CWORD=3
	_xdpchain
	[ "${COMPREPLY[*]}" = "--priority" ] || fail "add --pri completes to '${COMPREPLY[*]}'"
	COMP_WORDS=(xdpchain cap)
	COMP_CWORD=1
	_xdpchain
	[ "${COMPREPLY[*]}" = "capture" ] || fail "cap completes to '${COMPREPLY[*]}'"
	COMP_WORDS=(xdpchain capture --af)
	COMP_CWORD=2
	_xdpchain
	[ "${COMPREPLY[*]}" = "--after" ] || fail "capture --af completes to '${COMPREPLY[*]}'"
}

# Bad input to the commands and options of issues 8 and 9 (top, cleanup,
# status -s): one line naming the problem, non-zero exit, nothing changed.
test_new_commands_bad_input() {
	mountpoint -q "$BPFFS" || mount -t bpf bpf "$BPFFS"
	setup_veth
	local before
	before=$(snapshot $IF0)
	expect_fail 2 "missing argument IFACE" top
	expect_fail 2 "--interval must be positive" top $IF0 --interval 0
	expect_fail 1 "no interface named 'nosuch'" top nosuch
	expect_fail 1 "$IF0 has no xdpchain chain" top $IF0
	expect_fail 2 "unexpected argument 'extra'" cleanup extra
	expect_fail 1 "no interface named 'nosuch'" status -s nosuch
	expect_fail 1 "no interface named 'nosuch'" save nosuch
	expect_fail 1 "no interface named 'nosuch'" metrics nosuch
	expect_fail 1 "cannot read /nonexistent.conf: .*name a chain file" apply /nonexistent.conf
	xdpchain -j top $IF0 2>/dev/null | jq -e '.error | test("no xdpchain chain")' >/dev/null ||
		fail "top -j: error is not JSON"
	# capture of stages: inside IFACE's chain only, one kind at a time
	expect_fail 2 "--entry and --all-stages capture inside IFACE's chain" \
		capture $IF0 --entry --all-stages -w /tmp/s.pcapng
	expect_fail 2 "without --hook, --after or --actions" capture --hook /sys/fs/bpf/x --entry -w /tmp/s.pcap
	expect_fail 2 "without --hook, --after or --actions" capture $IF0 --all-stages --actions drop -w /tmp/s.pcapng
	expect_fail 1 "$IF0 has no xdpchain chain" capture $IF0 --entry -w /tmp/s.pcap
	[ ! -e /tmp/s.pcap ] && [ ! -e /tmp/s.pcapng ] || fail "a refused capture created its output"
	# cleanup with nothing to clean says so and changes nothing
	xdpchain cleanup 2>&1 | grep -q "nothing to clean up" || fail "cleanup on a clean machine"
	assert_unchanged $IF0 "$before"
}

# --version names the libraries: libxdp (built against) and libbpf (running).
test_version_names_libraries() {
	local v
	v=$(xdpchain --version)
	[[ $v =~ ^xdpchain\ [0-9.]+\ \(libxdp\ [0-9.]+,\ libbpf\ [0-9]+\.[0-9]+\)$ ]] ||
		fail "--version said: $v"
}

# Usage errors under -j (or -p), before or after the error, are one JSON
# document on stdout with exit 2, as other errors are.
test_usage_errors_json() {
	local out rc args
	for args in "-j frobnicate" "-j c" "-j --bogus" "--bogus -j" "-j" "-j status --bogus" \
		"status --bogus -j" "-p add lo x.o --priority -1" "-j add lo" \
		"-j capture lo -w /tmp/u.pcap --snaplen 0" "-j top lo --interval 0"; do
		rc=0
		# shellcheck disable=SC2086 # words on purpose
		out=$(xdpchain $args 2>/dev/null) || rc=$?
		[ $rc -eq 2 ] || fail "xdpchain $args exited $rc"
		echo "$out" | jq -se 'length == 1 and (.[0].error | test("see .xdpchain"))' \
			>/dev/null || fail "xdpchain $args: not one JSON error: $out"
	done
}

# cleanup -j prints one JSON document, also when it fails: what it did and
# the error, never a second document.
test_cleanup_json_one_document() {
	local out rc=0
	out=$(xdpchain -j cleanup) || fail "cleanup -j exited $?: $out"
	echo "$out" | jq -se 'length == 1 and .[0].removed == []' >/dev/null ||
		fail "cleanup -j on a clean machine: $out"
	mkdir -p -m 0700 /run/xdpchain
	chown 65534:65534 /run/xdpchain
	out=$(xdpchain -j cleanup) || rc=$?
	[ $rc -eq 1 ] || fail "cleanup -j with a foreign lock directory exited $rc: $out"
	echo "$out" | jq -se 'length == 1 and .[0].removed == [] and
		(.[0].error | test("/run/xdpchain is owned by uid 65534"))' >/dev/null ||
		fail "cleanup -j failing is not one document: $out"
	rm -r /run/xdpchain
	xdpchain -j cleanup | jq -e '.repaired == []' >/dev/null || fail "cleanup -j: no repaired list"
}

# features as a user who cannot load programs says it cannot see freplace
# and frags, rather than "no"; what it can see it still shows.
test_features_as_nobody() {
	command -v setpriv >/dev/null || skip "setpriv not installed"
	local j t
	j=$(as_nobody "$XDPCHAIN" -j features) || fail "features -j as nobody exited $?"
	echo "$j" | jq -e '.freplace == null and .frags == null and .multiprog == null and
		(.probe_error | test("cannot load BPF programs as uid 65534.*sudo xdpchain features")) and
		(.btf | type == "boolean") and (.libxdp | length > 0)' >/dev/null ||
		fail "features -j as nobody: $j"
	t=$(as_nobody "$XDPCHAIN" features) || fail "features as nobody exited $?"
	echo "$t" | grep -q '^freplace (EXT progs): unknown: cannot load BPF programs' ||
		fail "features as nobody: $t"
	echo "$t" | grep -q '^XDP frags: *unknown$' || fail "features as nobody: $t"
	# root sees them
	xdpchain -j features | jq -e '(.freplace | type == "boolean") and (.frags | type == "boolean")' \
		>/dev/null || fail "features -j as root: $(xdpchain -j features)"
}

# Objects add refuses, each with its own line, before the kernel's freplace
# probe (this host refuses freplace: that must not hide what is wrong with
# the file): a FIFO or a device at once, without taking the chain lock (held
# here meanwhile) or blocking, a file that is not a BPF object, an unknown
# --prog (the line lists the object's programs), a program named like one
# of xdpchain's own stages.
test_add_bad_objects() {
	mountpoint -q "$BPFFS" || mount -t bpf bpf "$BPFFS"
	setup_veth
	local before
	before=$(snapshot $IF0)
	mkfifo "$TEST_TMP/fifo.o"
	hold_chain_lock
	EXPECT_TIMEOUT=10 expect_fail 1 "^xdpchain add: $TEST_TMP/fifo.o is a FIFO, not a regular file; name the BPF object file" \
		add $IF0 "$TEST_TMP/fifo.o"
	EXPECT_TIMEOUT=10 expect_fail 1 "^xdpchain add: /dev/zero is a character device, not a regular file" add $IF0 /dev/zero
	EXPECT_TIMEOUT=10 expect_fail 1 "^xdpchain add: $TEST_TMP is a directory, not a regular file" add $IF0 "$TEST_TMP"
	truncate -s 65M "$TEST_TMP/big.o"
	expect_fail 1 "^xdpchain add: $TEST_TMP/big.o is 68157440 bytes, more than the 64 MiB xdpchain reads from an object" \
		add $IF0 "$TEST_TMP/big.o"
	echo "not ELF" >"$TEST_TMP/text.o"
	expect_fail 1 "^xdpchain add: $TEST_TMP/text.o is not a BPF object \\(not an ELF file\\)" add $IF0 "$TEST_TMP/text.o"
	expect_fail 1 "^xdpchain add: $SAMPLES/count.o has no program named 'nosuch'; it has xdpchain_count \\(xdp\\)$" \
		add $IF0 "$SAMPLES/count.o" --prog nosuch
	expect_fail 1 "program 'xdpchain_final' in $TESTOBJ/final_named.o has the name of xdpchain's final stage; rename the program" \
		add $IF0 "$TESTOBJ/final_named.o"
	assert_unchanged $IF0 "$before"
}
