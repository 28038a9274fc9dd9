#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# tests/run.sh [--host|--vm|--systemd] [TEST...]
#
# Runs the test functions (test_*) of tests/host_*.sh (--host, default),
# tests/vm_*.sh (--vm, inside the VM) or tests/systemd_*.sh (--systemd, in
# the VM booted with systemd, tests/vm/systemd-suite.sh), each in its own subshell that cleans
# up after itself, and prints PASS/FAIL/SKIP per test and a closing line
# "N passed, N failed[, N skipped]". TEST names select tests (with or without
# the test_ prefix); a file name (vm_chain) selects all of its tests.
# XDPCHAIN_TEST_TRACE=DIR (--vm, --systemd): each test's commands, stamped
# (xtrace), into DIR/FILE.TEST.trace; tests/trace-sum.awk sums them.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
where=host
case "${1:-}" in
--host) shift ;;
--vm) where=vm; shift ;;
--systemd) where=systemd; shift ;;
esac

files=("$ROOT"/tests/${where}_*.sh)
# shellcheck disable=SC2016 # expanded by the inner bash
ISOLATE_BODY='
set -e
mount -t sysfs sysfs /sys
mount -t bpf -o mode=0700 bpf /sys/fs/bpf
# the repo may live under /tmp or /run (a CI clone): keep it in sight
mount -t tmpfs -o mode=0700 tmpfs /mnt
mkdir /mnt/repo
mount --bind "$ROOT" /mnt/repo
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
if [ ! -e "$ROOT/tests/run.sh" ]; then
	mkdir -p "$ROOT"
	mount --bind /mnt/repo "$ROOT"
fi
ip link set lo up
set +e
TEST_TMP=$(mktemp -d /tmp/xdpchain-test.XXXXXX)
source "$ROOT/tests/lib.sh"
source "$TEST_FILE"
trap run_deferred EXIT
set -e
"$TEST_NAME"
'

passed=0 failed=0 skipped=0
failed_names=()

selected() {
	local name=$1 file=$2 s
	[ $# -gt 0 ] || return 0
	[ ${#SELECT[@]} -eq 0 ] && return 0
	for s in "${SELECT[@]}"; do
		[ "$s" = "$name" ] || [ "test_$s" = "$name" ] || [ "$s" = "$file" ] && return 0
	done
	return 1
}
SELECT=("$@")

for f in "${files[@]}"; do
	[ -e "$f" ] || continue
	fname=$(basename "$f" .sh)
	tests=$(bash -c "source '$ROOT/tests/lib.sh'; source '$f'; declare -F" |
		awk '$3 ~ /^test_/ {print $3}')
	for t in $tests; do
		selected "$t" "$fname" || continue
		start=${EPOCHREALTIME//[^0-9]/} # microseconds, no process
		# Host tests each get their own network and mount namespaces, a
		# fresh bpffs, sysfs, /run and /tmp: they can never touch the
		# machine's interfaces or pins, nor each other's. The VM is isolated
		# already.
		out=$(
			exec 2>&1
			if [ $where = host ]; then
				exec unshare -n -m --propagation private \
					env ROOT="$ROOT" TEST_FILE="$f" TEST_NAME="$t" \
					bash -c "$ISOLATE_BODY"
			fi
			ROOT=$ROOT
			TEST_TMP=$(mktemp -d /tmp/xdpchain-test.XXXXXX)
			source "$ROOT/tests/lib.sh"
			source "$f"
			defer "rm -rf $TEST_TMP"
			trap run_deferred EXIT
			if [ -n "${XDPCHAIN_TEST_TRACE:-}" ]; then
				# where the time goes: every command, stamped, with its function
				exec {trace_fd}>"$XDPCHAIN_TEST_TRACE/$fname.${t#test_}.trace"
				BASH_XTRACEFD=$trace_fd
				PS4='+${EPOCHREALTIME} ${FUNCNAME[0]:-main} '
				set -x
			fi
			set -e
			"$t"
		)
		rc=$?
		secs=$(((${EPOCHREALTIME//[^0-9]/} - start + 50000) / 100000))
		secs=$((secs / 10)).$((secs % 10))
		name=${t#test_}
		if [ $rc -eq 0 ]; then
			echo "PASS $name (${secs}s)"
			passed=$((passed + 1))
		elif [ $rc -eq 77 ]; then
			echo "SKIP $name: $(printf '%s\n' "$out" | sed -n 's/^SKIP-REASON: //p' | tail -1)"
			skipped=$((skipped + 1))
		else
			reason=$(printf '%s\n' "$out" | sed -n 's/^FAIL-REASON: //p' | tail -1)
			echo "FAIL $name (${secs}s): ${reason:-exit $rc}"
			printf '%s\n' "$out" | tail -25 | sed 's/^/    | /'
			failed=$((failed + 1))
			failed_names+=("$name")
		fi
	done
done

[ $failed -eq 0 ] || echo "failed: ${failed_names[*]}"
if [ $skipped -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ $failed -eq 0 ]
