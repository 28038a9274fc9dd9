# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# src/ in layers (base < kern < chain, capture < replay < cli): no include
# upward and no include circle between files or between modules (a .c and
# its .h; tests/layers.sh), and no function over 80
# lines (tests/funclen.sh), checked on src/ and, to prove each check can
# fail, on a small tree with the offence planted.

# A tree with one header per layer, each including the one below.
plant_tree() {
	local t=$1
	rm -rf "$t"
	mkdir -p "$t"/{base,kern,chain,capture,cli}
	echo '/* base */' >"$t/base/log.h"
	printf '#include "log.h"\n' >"$t/kern/lock.h"
	printf '#include "lock.h"\n#include "log.h"\n' >"$t/chain/chain.h"
	printf '#include "lock.h"\n' >"$t/capture/capture.h"
	printf '#include "chain.h"\n#include "capture.h"\n#include "x.skel.h"\n' >"$t/cli/cmd.c"
	printf '#include "chain.h"\n#include "../../dispatcher/stats.h"\n' >"$t/chain/chain.c"
}

test_layers_no_upward_include() {
	local t=$TEST_TMP/tree out
	out=$(bash "$ROOT/tests/layers.sh" upward "$ROOT/src" 2>&1) ||
		fail "includes upward in src/: $out"
	plant_tree "$t"
	out=$(bash "$ROOT/tests/layers.sh" upward "$t" 2>&1) ||
		fail "the planted tree without an offence fails: $out"
	# kern reaching up into chain
	printf '#include "chain.h"\n' >>"$t/kern/lock.h"
	out=$(bash "$ROOT/tests/layers.sh" upward "$t" 2>&1) &&
		fail "kern including chain passed the check"
	[[ $out == *"kern/lock.h includes $t/chain/chain.h"* ]] || fail "not named: $out"
	# siblings: chain may not see capture
	plant_tree "$t"
	printf '#include "capture.h"\n' >>"$t/chain/chain.c"
	out=$(bash "$ROOT/tests/layers.sh" upward "$t" 2>&1) &&
		fail "chain including capture passed the check"
	[[ $out == *"chain may not include capture"* ]] || fail "not named: $out"
	true
}

test_layers_no_include_circle() {
	local t=$TEST_TMP/tree out
	out=$(bash "$ROOT/tests/layers.sh" circle "$ROOT/src" 2>&1) ||
		fail "an include circle in src/: $out"
	out=$(bash "$ROOT/tests/layers.sh" circle --modules "$ROOT/src" 2>&1) ||
		fail "an include circle between modules in src/: $out"
	plant_tree "$t"
	out=$(bash "$ROOT/tests/layers.sh" circle "$t" 2>&1) ||
		fail "the planted tree without a circle fails: $out"
	# a circle inside one layer, through a third header
	printf '#include "journal.h"\n' >>"$t/chain/chain.h"
	printf '#include "txn.h"\n' >"$t/chain/journal.h"
	printf '#include "chain.h"\n' >"$t/chain/txn.h"
	out=$(bash "$ROOT/tests/layers.sh" circle "$t" 2>&1) &&
		fail "chain.h -> journal.h -> txn.h -> chain.h passed the check"
	[[ $out == *"include circle: "*"chain/chain.h -> "*"chain/journal.h -> "* ]] ||
		fail "not named: $out"
	# between modules: the circle issue 18 cut (a.c -> b.h, b.c -> a.h)
	plant_tree "$t"
	printf '#include "txn.h"\n' >"$t/chain/observer.c"
	printf '#include "observer.h"\n' >"$t/chain/txn.c"
	touch "$t/chain/observer.h" "$t/chain/txn.h"
	bash "$ROOT/tests/layers.sh" circle "$t" >/dev/null ||
		fail "files without a circle between them failed the file check"
	out=$(bash "$ROOT/tests/layers.sh" circle --modules "$t" 2>&1) &&
		fail "observer <-> txn passed the module check"
	[[ $out == *"include circle: "*"chain/"*" -> "*"chain/"*" -> "*"chain/"* &&
		$out == *"/observer"* && $out == *"/txn"* ]] || fail "not named: $out"
	true
}

# No function in src/ over 80 lines (tests/funclen.sh); a planted one of 81
# is found and named, one of 80 is not.
test_functions_at_most_80_lines() {
	local t=$TEST_TMP/fn out i
	out=$(bash "$ROOT/tests/funclen.sh" 80 "$ROOT/src" 2>&1) || fail "over 80 lines: $(echo $out)"
	mkdir -p "$t/base"
	{
		printf 'static int\nshort_one(int a)\n{\n'
		for i in $(seq 78); do printf '\ta++;\n'; done
		printf '}\n\nint long_one(int a, int b)\n{\n'
		for i in $(seq 79); do printf '\ta += b;\n'; done
		printf '}\n'
	} >"$t/base/x.c"
	out=$(bash "$ROOT/tests/funclen.sh" 80 "$t" 2>&1) && fail "an 81-line function passed"
	[ "$out" = "$t/base/x.c:84 long_one: 81 lines" ] || fail "not named so: $out"
}

# Library code never prints (src/base/notes.h): below cli, nothing calls
# pr_warn/pr_info or writes to stdout/stderr itself; pr_debug (-v) may.
# log.c is where printing happens.
test_library_never_prints() {
	local hits
	hits=$(grep -nE '\b(pr_warn|pr_info|printf|puts|perror)\(|\bf(printf|puts)\((stdout|stderr)' \
		"$ROOT"/src/{base,kern,chain,capture,replay}/*.c | grep -v '^[^:]*/log\.c:' || true)
	[ -z "$hits" ] || fail "library code prints: $(echo "$hits" | head -5)"
	printf 'void f(void)\n{\n\tpr_warn("x\\n");\n}\n' >"$TEST_TMP/x.c"
	grep -qE '\b(pr_warn|pr_info|printf|puts|perror)\(' "$TEST_TMP/x.c" || fail "the pattern finds no pr_warn"
}
