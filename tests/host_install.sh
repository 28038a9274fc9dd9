# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Host tests: xdpchain installed like a system tool. The man pages and the
# completion come from the option tables (and xdpchain.conf(5) from the
# chain-file keys and the metric table), install/uninstall put exactly
# their files where a distribution expects them, clang builds it too.

MAN_PAGE=$ROOT/.output/man/xdpchain.8
MAN_PAGE5=$ROOT/.output/man/xdpchain.conf.5
COMPLETION_FILE=$ROOT/.output/completion/xdpchain

# The commands --help lists, one per line.
help_commands() {
	xdpchain --help | sed -n '/^Commands/,/^$/p' | awk 'NF > 1 && /^  / {print $1}'
}

# groff renders both pages without a warning (man's own check, as a packager's).
test_man_page_renders() {
	command -v man >/dev/null || skip "man-db not installed (tests/deps.sh, group check)"
	local err page
	for page in "$MAN_PAGE" "$MAN_PAGE5"; do
		[ -r "$page" ] || fail "$page missing: make builds it"
		err=$(man --warnings -l "$page" 2>&1 >/dev/null) || fail "man ${page##*/} failed: $err"
		[ -z "$err" ] || fail "man --warnings ${page##*/}: $err"
		err=$(LC_ALL=C MANWIDTH=80 man --warnings=w -l "$page" 2>&1 >/dev/null)
		[ -z "$err" ] || fail "man --warnings=w ${page##*/} (all of groff's): $err"
	done
}

# groff itself, every warning on (-ww), on both pages as 'xdpchain man'
# writes them: no output on stderr.
test_man_pages_groff_clean() {
	command -v groff >/dev/null || skip "groff not installed (groff-base, with man-db)"
	local err s
	for s in 8 5; do
		err=$(xdpchain man $s | LC_ALL=C groff -man -Tutf8 -ww 2>&1 >/dev/null) ||
			fail "groff on section $s failed: $err"
		[ -z "$err" ] || fail "groff -man -Tutf8 -ww, section $s: $err"
	done
	# a warning is seen: the check can fail
	err=$(printf '.TH X 8\n.SH NAME\n.BOGUS\n' | LC_ALL=C groff -man -Tutf8 -ww 2>&1 >/dev/null)
	[ -n "$err" ] || fail "groff -ww said nothing about an unknown macro"
	expect_fail 2 "no manual section '7'" man 7
}

# Every command and every option --help shows is in the page, with the
# sections a man page has.
test_man_page_matches_help() {
	command -v man >/dev/null || skip "man-db not installed (tests/deps.sh, group check)"
	local page c opt s n=0
	page=$(LC_ALL=C MANWIDTH=200 man -l "$MAN_PAGE" 2>/dev/null)
	for s in NAME SYNOPSIS DESCRIPTION OPTIONS COMMANDS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES \
		"SEE ALSO"; do
		grep -q "^$s\$" <<<"$page" || fail "no $s section"
	done
	for c in $(help_commands); do
		n=$((n + 1))
		grep -q "^   xdpchain $c \[options\]" <<<"$page" || fail "no heading for $c"
		for opt in $(xdpchain "$c" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
			grep -q -- "$opt" <<<"$page" || fail "page lacks $opt of $c"
		done
	done
	[ $n -ge 9 ] || fail "--help lists $n commands"
	for s in /sys/fs/bpf/xdpchain /run/xdpchain '/etc/xdpchain/\*.conf' 'xdp-loader(8)' \
		'bpftool(8)' 'xdpdump(8)' 'tcpdump(8)' 'xdpchain.conf(5)' chain.lock apply.journal \
		hook-ID.lock LIBXDP_BPFFS XDPCHAIN_DISPATCHER; do
		grep -q -- "$s" <<<"$page" || fail "page lacks $s"
	done
	# the built page is what this binary writes (the date line aside)
	diff <(SOURCE_DATE_EPOCH= xdpchain man | grep -v '^\.TH') <(grep -v '^\.TH' "$MAN_PAGE") >&2 ||
		fail "$MAN_PAGE is not what 'xdpchain man' writes: make rebuilds it"
}

# xdpchain.conf(5) documents the keys the parser knows, at each level, and
# the metric families 'xdpchain metrics' writes: no more, no fewer.
test_man5_matches_parser_and_metrics() {
	command -v man >/dev/null || skip "man-db not installed (tests/deps.sh, group check)"
	local page level file known documented
	[ -r "$MAN_PAGE5" ] || fail "$MAN_PAGE5 missing: make builds it"
	diff <(SOURCE_DATE_EPOCH= xdpchain man 5 | grep -v '^\.TH') <(grep -v '^\.TH' "$MAN_PAGE5") >&2 ||
		fail "$MAN_PAGE5 is not what 'xdpchain man 5' writes: make rebuilds it"
	page=$(LC_ALL=C MANWIDTH=200 man -l "$MAN_PAGE5" 2>/dev/null)
	for level in file interface program; do
		file=$TEST_TMP/$level.conf
		case $level in
		file) printf 'bogus_key: 1\n' ;;
		interface) printf 'version: 1\ninterfaces:\n  lo:\n    bogus_key: 1\n    programs: []\n' ;;
		program) printf 'version: 1\ninterfaces:\n  lo:\n    programs:\n      - object: x.o\n        bogus_key: 1\n' ;;
		esac >"$file"
		known=$(xdpchain apply --dry-run "$file" 2>&1 | sed -n "s/.*unknown key 'bogus_key'.*known: //p")
		[ -n "$known" ] || fail "apply names no known keys for a bad $level key"
		# the keys under the page's subsection for this level, in order: the
		# lines indented as its first (groff up to 1.23 indents tags 7, 1.24 5)
		documented=$(awk -v l="$level" '
			/^   [A-Z]/ {on = (tolower($0) ~ ("^   (the|an|a) " l)); tag = -1; next}
			/^[A-Z]/ {on = 0}
			on && /[^ ]/ {
				match($0, /^ */)
				if (tag < 0) tag = RLENGTH
				if (RLENGTH == tag && /^ *[a-z][a-z0-9-]*: /) {sub(/^ +/, ""); sub(/:.*/, ""); print}
			}' <<<"$page" |
			paste -sd, | sed 's/,/, /g')
		[ "$documented" = "$known" ] ||
			fail "xdpchain.conf(5) documents $level keys '$documented', apply knows '$known'"
	done
	known=$(xdpchain metrics | sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p' | sort)
	documented=$(sed -n '/^METRICS/,/^[A-Z]/p' <<<"$page" | sed -n 's/^ *\(xdpchain_[a-z_]*\) (.*/\1/p' | sort)
	[ "$(wc -l <<<"$known")" -ge 6 ] || fail "metrics writes only: $(echo $known)"
	[ "$documented" = "$known" ] ||
		fail "xdpchain.conf(5) documents metrics '$(echo $documented)', metrics writes '$(echo $known)'"
}

# 'man' is for the build: not offered to users, no prefix of it works, and a
# failed write is an error, not a short page.
test_man_command_hidden() {
	xdpchain --help | grep -qw man && fail "--help lists man"
	xdpchain completion | grep -qw man && fail "the completion offers man"
	xdpchain man | head -1 | grep -q '^\.\\" SPDX' || fail "xdpchain man: no roff"
	expect_fail 2 "unknown command 'ma'" ma
	if [ -w /dev/full ]; then
		local rc=0
		xdpchain man >/dev/full 2>"$TEST_TMP/err" || rc=$?
		[ $rc -eq 1 ] || fail "man to a full disk exited $rc"
		grep -q "cannot write" "$TEST_TMP/err" || fail "man to /dev/full said: $(cat "$TEST_TMP/err")"
	fi
}

# The installed completion is 'xdpchain completion' of this build, and bash
# reads it.
test_completion_file() {
	[ -r "$COMPLETION_FILE" ] || fail "$COMPLETION_FILE missing: make builds it"
	diff <(xdpchain completion) "$COMPLETION_FILE" >&2 ||
		fail "$COMPLETION_FILE is not what 'xdpchain completion' writes"
	bash -n "$COMPLETION_FILE" || fail "bash cannot parse $COMPLETION_FILE"
	(
		# shellcheck disable=SC1090
		source "$COMPLETION_FILE"
		COMP_WORDS=(xdpchain status --st)
		COMP_CWORD=2
		_xdpchain
		[ "${COMPREPLY[*]}" = "--stats" ] || fail "status --st completes to '${COMPREPLY[*]}'"
	)
}

# install_files DIR: every file and symlink under DIR, relative, sorted.
install_files() {
	(cd "$1" && find . ! -type d | sed 's|^\./||' | sort)
}

# make install puts exactly these files in place, make uninstall takes exactly
# them away; the systemd units run the binary where PREFIX put it.
test_install_uninstall() {
	command -v make >/dev/null || skip "make not installed"
	local dest=$TEST_TMP/dest want got u units=()
	for u in "$ROOT"/deploy/systemd/*.service "$ROOT"/deploy/systemd/*.timer; do
		[ -e "$u" ] && units+=("usr/lib/systemd/system/${u##*/}")
	done
	[ ${#units[@]} -eq 4 ] || fail "deploy/systemd: ${units[*]}"
	want=$(printf '%s\n' usr/sbin/xdpchain usr/share/man/man8/xdpchain.8 \
		usr/share/man/man5/xdpchain.conf.5 \
		usr/share/bash-completion/completions/xdpchain usr/include/xdpchain/xdpchain.h \
		usr/lib/udev/rules.d/71-xdpchain.rules "${units[@]}" | sort)

	make -s -C "$ROOT" install DESTDIR="$dest" PREFIX=/usr >"$TEST_TMP/log" 2>&1 ||
		fail "make install: $(tail -3 "$TEST_TMP/log")"
	got=$(install_files "$dest")
	[ "$got" = "$want" ] || fail "installed: $(echo $got), wanted: $(echo $want)"
	[ -x "$dest/usr/sbin/xdpchain" ] || fail "the binary is not executable"
	"$dest/usr/sbin/xdpchain" --version | grep -q '^xdpchain ' || fail "installed binary --version"
	cmp -s "$ROOT/bpf/xdpchain.h" "$dest/usr/include/xdpchain/xdpchain.h" || fail "header differs"
	[ "$(stat -c %a "$dest/usr/share/man/man8/xdpchain.8")" = 644 ] || fail "man page mode"
	[ "$(stat -c %a "$dest/usr/share/man/man5/xdpchain.conf.5")" = 644 ] || fail "man5 page mode"
	cmp -s "$MAN_PAGE5" "$dest/usr/share/man/man5/xdpchain.conf.5" || fail "man5 page differs"
	make -s -C "$ROOT" uninstall DESTDIR="$dest" PREFIX=/usr >"$TEST_TMP/log" 2>&1 ||
		fail "make uninstall: $(tail -3 "$TEST_TMP/log")"
	got=$(install_files "$dest")
	[ -z "$got" ] || fail "left behind: $(echo $got)"
	[ ! -e "$dest/usr/include/xdpchain" ] || fail "left the include directory behind"

	# the units run the binary where this PREFIX put it
	make -s -C "$ROOT" install DESTDIR="$dest" PREFIX=/opt/x \
		>"$TEST_TMP/log" 2>&1 || fail "make install, PREFIX=/opt/x: $(tail -3 "$TEST_TMP/log")"
	grep -qx 'ExecStart=/opt/x/sbin/xdpchain apply --skip-missing /etc/xdpchain' \
		"$dest/opt/x/lib/systemd/system/xdpchain.service" ||
		fail "unit: $(cat "$dest/opt/x/lib/systemd/system/xdpchain.service" 2>&1)"
	grep -qx 'ExecStart=/opt/x/sbin/xdpchain apply --interface %i /etc/xdpchain' \
		"$dest/opt/x/lib/systemd/system/xdpchain@.service" ||
		fail "template unit: $(cat "$dest/opt/x/lib/systemd/system/xdpchain@.service" 2>&1)"
	grep -q '/opt/x/sbin/xdpchain metrics' "$dest/opt/x/lib/systemd/system/xdpchain-metrics.service" ||
		fail "metrics unit: $(cat "$dest/opt/x/lib/systemd/system/xdpchain-metrics.service" 2>&1)"
	grep -rq /usr/local "$dest/opt/x/lib/systemd/system" && fail "a unit still runs /usr/local"
	make -s -C "$ROOT" uninstall DESTDIR="$dest" PREFIX=/opt/x >"$TEST_TMP/log" 2>&1 ||
		fail "make uninstall with a unit: $(tail -3 "$TEST_TMP/log")"
	got=$(install_files "$dest")
	[ -z "$got" ] || fail "left behind: $(echo $got)"
}

# CC=clang builds everything the tests need with -Werror (the tool, its ASan
# build, the unit tests and helpers), into an OUTPUT of its own.
test_clang_build() {
	command -v clang >/dev/null || skip "clang not installed"
	local out=$TEST_TMP/clang
	make -s -C "$ROOT" -j"$(nproc)" OUTPUT="$out" CC=clang test-build >"$TEST_TMP/log" 2>&1 ||
		fail "make CC=clang: $(grep -m3 -E 'error|warning' "$TEST_TMP/log")"
	"$out/bin/xdpchain" --version | grep -q '^xdpchain ' || fail "clang build: --version"
	[ -s "$out/man/xdpchain.8" ] || fail "clang build: no man page"
	[ -s "$out/man/xdpchain.conf.5" ] || fail "clang build: no man5 page"
	"$out/bin/unit-tests" >"$TEST_TMP/log" 2>&1 || fail "clang unit tests: $(tail -3 "$TEST_TMP/log")"
}

# dry_lines FILE REGEX: the lines of make's dry run in FILE matching REGEX;
# fails when there are none.
dry_lines() {
	local got
	got=$(grep -E -- "$2" "$1") || fail "no line of the dry run matches '$2'"
	printf '%s\n' "$got"
}

# A packager's CFLAGS, CPPFLAGS and LDFLAGS (command line or environment)
# reach every compile and link line next to the project's own flags, never
# replacing them; -Werror only in the tests' build; CC=clang is the
# compiler used. 'make -n' (dry run) with an empty OUTPUT: every command.
test_build_flags() {
	command -v make >/dev/null || skip "make not installed"
	local o=$TEST_TMP/out dry=$TEST_TMP/dry line f
	make -n V=1 -C "$ROOT" OUTPUT="$o" CFLAGS="-O1 -DPKG_CFLAG" CPPFLAGS=-DPKG_CPPFLAG \
		LDFLAGS=-Wl,-z,pkgldflag all >"$dry" 2>&1 || fail "make -n: $(tail -3 "$dry")"
	# compile lines: the layer's include path, the version, the pkg-config
	# flags, warnings, then the user's flags (last: -O1 wins over -O2)
	while read -r line; do
		for f in -Wall -Wextra -std=gnu11 -I"$o"/skel -Isrc/ -DXDPCHAIN_VERSION= \
			"$(pkg-config --cflags-only-I libxdp libpcap | awk '{print $1}')" \
			-DPKG_CPPFLAG "-O1 -DPKG_CFLAG"; do
			[[ $line == *"$f"* ]] || fail "'$f' missing in: $line"
		done
		[[ $line == *-Werror* ]] && fail "-Werror forced on a packager: $line"
		[[ $line == *-O2* ]] && fail "the default CFLAGS despite CFLAGS=-O1: $line"
	done < <(dry_lines "$dry" ' -c src/(base/log|cli/xdpchain)\.c ')
	line=$(dry_lines "$dry" " -o $o/bin/xdpchain( |\$)")
	for f in -Wl,-z,pkgldflag -lxdp -lbpf -lelf "-O1 -DPKG_CFLAG"; do
		[[ $line == *" $f"* ]] || fail "'$f' missing in the link line: $line"
	done
	# the environment, as dpkg-buildflags exports them; the tests' build
	# adds -Werror; CC=clang compiles and links
	CFLAGS=-DENV_CFLAG CPPFLAGS=-DENV_CPPFLAG LDFLAGS=-Wl,-z,envldflag \
		make -n V=1 -C "$ROOT" OUTPUT="$o" CC=clang test-build >"$dry" 2>&1 ||
		fail "make -n test-build: $(tail -3 "$dry")"
	line=$(dry_lines "$dry" ' -c src/chain/[a-z_]+\.c ' | head -1)
	[[ $line == "clang "*"-Werror"*"-DENV_CPPFLAG -DENV_CFLAG"* ]] ||
		fail "test-build compile line: $line"
	for f in xdpchain xdpchain-asan unit-tests; do
		line=$(dry_lines "$dry" " -o $o/bin/$f( |\$)")
		[[ $line == "clang "*-Wl,-z,envldflag* ]] || fail "link of $f: $line"
	done
	# without CC, gcc (make's own default 'cc' is not taken)
	env -u CC make -n V=1 -C "$ROOT" OUTPUT="$o" all >"$dry" 2>&1
	dry_lines "$dry" ' -c src/base/log\.c ' | grep -q '^gcc ' || fail "CC unset: not gcc"
}
