#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# tests/bench/change_cost.sh [REV]
#
# What a change of a chain costs with this build against the build at REV
# (default 7c65195, the last before add and apply compared the running
# final stage with this build's: one more program load per change), side
# by side in one 6.1 VM: ROUNDS rounds, each timing N adds of a member to a
# chain of one (and its removal, untimed) with either build in turn.
# Prints the mean ms per add of each build and their ratio. TCG wall time:
# a difference smaller than the spread between rounds is noise.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
export ROUNDS=${ROUNDS:-3} N=${N:-8}

if [ -z "${IN_VM:-}" ]; then
	PREV=$(bash "$root/tests/vm/old-build.sh" "${1:-7c65195}")
	export PREV
	make -C "$root" -s .output/bin/xdpchain
	VM_EXTRA_FILES="${VM_EXTRA_FILES:-} $PREV" VM_ENV="${VM_ENV:-} PREV ROUNDS N IN_VM=1" \
		exec bash "$root/tests/vm/run.sh" --kernel 6.1 -- bash tests/bench/change_cost.sh
fi

ip link add cc0 type veth peer name cc1
ip link set cc0 up
# ms per add of build $1 (EPOCHREALTIME), over $N adds
adds() {
	local b=$1 t0 us=0
	"$b" add cc0 .output/bpf/count.o >/dev/null 2>&1
	for _ in $(seq "$N"); do
		t0=${EPOCHREALTIME/./}
		"$b" add cc0 .output/bpf/rewrite.o >/dev/null 2>&1
		us=$((us + ${EPOCHREALTIME/./} - t0))
		"$b" remove cc0 xdpchain_rewrite >/dev/null 2>&1
	done
	"$b" flush cc0 >/dev/null 2>&1
	echo $((us / N / 1000))
}
sum_prev=0 sum_this=0
for r in $(seq "$ROUNDS"); do
	p=$(adds "$PREV")
	c=$(adds .output/bin/xdpchain)
	echo "round $r: build before $p ms, this build $c ms per add"
	sum_prev=$((sum_prev + p)) sum_this=$((sum_this + c))
done
awk -v p=$sum_prev -v c=$sum_this -v r="$ROUNDS" 'BEGIN {
	printf "add on a chain of one: before %.0f ms, this build %.0f ms (%.2fx)\n", p / r, c / r, c / p }'
