#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# make bench, in the VM (its clock counting guest instructions, qemu
# -icount): N (20,000) packets through tests/bench/replay.sh's 8-member
# chain, `xdpchain replay --file` one member after the other (8 test runs
# a packet) against `--dispatcher` (one test run of a real dispatcher a
# packet, every stage handed back through its ring buffer), side by side in
# the same run, nothing written: the dispatcher path's cost per packet
# against the one-by-one path's. The two take turns for ROUNDS rounds; the
# best of each counts.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
X=${X:-$ROOT/.output/bin/xdpchain}
# shellcheck source=tests/bench/replay_input.sh
. "$ROOT/tests/bench/replay_input.sh"
N=${N:-20000}
ROUNDS=${ROUNDS:-2}

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
d=$(mktemp -d "${TMPDIR:-/tmp}/xdpchain-bench-vm-replay.XXXXXX")
trap 'rm -rf "$d"' EXIT
replay_input "$d" "$N"

# secs ARGS...: seconds (guest clock) of one replay; every packet through every member
secs() {
	local t0 t1
	t0=$(date +%s.%N)
	"$X" -j replay --file "$d/chain.conf" -r "$d/in.pcap" "$@" >"$d/out.txt" 2>"$d/err.txt" ||
		{ echo "vm replay bench: replay $*: $(cat "$d/out.txt" "$d/err.txt")" >&2; exit 1; }
	t1=$(date +%s.%N)
	jq -e --argjson n "$N" '.packets == $n and ([.programs[] | .stats.pass] | all(. == $n))' \
		"$d/out.txt" >/dev/null ||
		{ echo "vm replay bench: not every packet went through every member: $(cat "$d/out.txt")" >&2; exit 1; }
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

one="" disp=""
for ((r = 0; r < ROUNDS; r++)); do
	one=$(least_of "$one" "$(secs)")
	disp=$(least_of "$disp" "$(secs --dispatcher)")
done
echo "replay in the VM ($(uname -r)): $N packets through 8 members, best of $ROUNDS (guest clock: under -icount 1 ns = 1 guest instruction)"
awk -v o="$one" -v x="$disp" -v n="$N" 'BEGIN {
	printf "  %-52s %8.3f s  %7.1f us/packet\n", "one member after the other (8 test runs a packet)", o, o * 1e6 / n
	printf "  %-52s %8.3f s  %7.1f us/packet\n", "--dispatcher (1 test run a packet, stages by ring)", x, x * 1e6 / n
	printf "  ratio: --dispatcher %.2fx the one-by-one path\n", x / o
}'
