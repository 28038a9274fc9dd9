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

# The commands --help lists, one per line.
help_commands() {
	xdpchain --help | sed -n '/^Commands/,/^$/p' | awk 'NF > 1 && /^  / {print $1}'
}

# README's command list names every command --help lists, and only those;
# docs/commands.md documents each of them and every option --help lists.
test_docs_match_help() {
	local c opt n=0 listed
	listed=$(sed -n 's/^- `xdpchain \([a-z]*\).*/\1/p' "$ROOT/README.md" | sort)
	for c in $(help_commands); do
		n=$((n + 1))
		xdpchain "$c" --help | grep -q "^Usage: xdpchain $c" || fail "$c --help"
		grep -qx "$c" <<<"$listed" || fail "README's command list lacks 'xdpchain $c'"
		grep -q "^\*\*\`xdpchain $c" "$ROOT/docs/commands.md" ||
			fail "docs/commands.md has no entry for 'xdpchain $c'"
		for opt in $(xdpchain "$c" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
			grep -q -- "$opt" "$ROOT/docs/commands.md" || fail "docs/commands.md lacks $opt of $c"
		done
	done
	[ $n -ge 12 ] || fail "--help lists $n commands"
	[ "$listed" = "$(help_commands | sort)" ] ||
		fail "README lists commands --help does not: $(comm -23 <(echo "$listed") <(help_commands | sort))"
	for opt in $(xdpchain --help | sed -n '/^Global options/,$p' | grep -oE -- ' -[a-zA-Z]\b' | sort -u); do
		grep -q -- "\`$opt\`\|\`$opt " "$ROOT/README.md" || fail "README lacks global option $opt"
	done
}

# The README is a front door: at most 300 lines, and its first two commands
# are the demo and every test, as CI (.ci/run) and a newcomer run them.
test_readme_front_door() {
	local lines first
	lines=$(wc -l <"$ROOT/README.md")
	[ "$lines" -le 300 ] || fail "README.md has $lines lines (at most 300: the rest goes to docs/)"
	first=$(awk '/^```/ {if (code) exit; code = 1; next} code' "$ROOT/README.md" | head -2 |
		awk '{print $1, $2}')
	[ "$first" = "$(printf 'make demo\nmake test')" ] ||
		fail "README's first two commands: $(echo $first) (want make demo, make test)"
	grep -qx 'make test' <(sed -n 's/^\([a-z]* [a-z]*\)$/\1/p' "$ROOT/.ci/run") ||
		fail ".ci/run does not run make test"
}

# md_anchors FILE: the anchors GitHub makes of FILE's headings.
md_anchors() {
	awk '/^```/ {code = !code; next} !code && /^#+ / {sub(/^#+ +/, ""); print}' "$1" |
		tr 'A-Z' 'a-z' | sed -e 's/[^a-z0-9 _-]//g' -e 's/ /-/g'
}

# Every relative link in README.md and docs/*.md reaches a file, and a
# heading in it when it names one (#anchor).
test_docs_links_resolve() {
	local f link path anchor target n=0
	for f in "$ROOT/README.md" "$ROOT"/docs/*.md; do
		while read -r link; do
			case $link in http://* | https://* | mailto:*) continue ;; esac
			n=$((n + 1))
			path=${link%%#*}
			anchor=${link#"$path"}
			anchor=${anchor#\#}
			target=$f
			[ -z "$path" ] || target=$(dirname "$f")/$path
			[ -e "$target" ] || fail "${f#"$ROOT"/}: link to $link: no $path"
			if [ -n "$anchor" ]; then
				md_anchors "$target" | grep -qx -- "$anchor" ||
					fail "${f#"$ROOT"/}: link to $link: no heading #$anchor in ${target#"$ROOT"/}"
			fi
		done < <(awk '/^```/ {code = !code; next} !code' "$f" | grep -oE '\]\([^) ]+\)' |
			sed 's/^](\(.*\))$/\1/')
	done
	# the README links into each document, and each of docs/ is linked
	for f in "$ROOT"/docs/*.md; do
		grep -q "](docs/${f##*/}[)#]" "$ROOT/README.md" || fail "README does not link docs/${f##*/}"
	done
	[ $n -ge 20 ] || fail "only $n links found"
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

# libyaml and nettle are loaded where they are used (src/base/dynlib.h):
# with both hidden, --version and status still run; reading a chain file
# and hashing an object each fail with one line naming the package, and
# change nothing.
test_without_libyaml_and_nettle() {
	local so lib before
	setup_veth
	before=$(ls -R "$BPFFS")
	for so in libyaml-0.so.2 libnettle.so.8; do
		lib=$(ldconfig -p | awk -v so="$so" '$1 == so { print $NF; exit }')
		[ -n "$lib" ] || skip "no $so to hide"
		mount --bind /dev/null "$(readlink -f "$lib")"
		defer "umount $(readlink -f "$lib")"
	done
	xdpchain --version >/dev/null || fail "--version needs libyaml or nettle"
	xdpchain status >/dev/null || fail "status needs libyaml or nettle"
	printf 'version: 1\ninterfaces:\n  %s:\n    programs: []\n' "$IF0" >"$TEST_TMP/c.conf"
	expect_fail 1 "^xdpchain apply: libyaml is not installed: apt install libyaml-0-2$" \
		apply "$TEST_TMP/c.conf"
	expect_fail 1 "^xdpchain add: nettle is not installed: apt install libnettle8$" \
		add "$IF0" "$SAMPLES/drop.o"
	[ "$(ls -R "$BPFFS")" = "$before" ] || fail "bpffs changed: $(ls -R "$BPFFS")"
}
