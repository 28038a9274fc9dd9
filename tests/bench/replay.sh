#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# make bench, replay: N (200,000) packets through an 8-member chain into a
# pcapng (`xdpchain replay --file CHAIN -r IN -w OUT`) against the floor,
# measured side by side in the same run: tests/helpers/replay_floor loads
# the same 8 objects and runs each packet through each member with
# BPF_PROG_TEST_RUN, writing nothing. Both read IN with libpcap and load
# the objects anew, so what the ratio shows is what replay adds: its
# bookkeeping and the all-stages file (every stage of every packet). The
# two take turns for ROUNDS rounds; the best of each counts. CPU time
# (user + system) is the measure: wall time on a loaded machine is mostly
# waiting for a core. Target: replay at most 1.3x the floor.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
X=${X:-$ROOT/.output/bin/xdpchain}
FLOOR=$ROOT/.output/bin/replay_floor
PKTGEN=$ROOT/.output/bin/pktgen
# shellcheck source=tests/bench/replay_input.sh
. "$ROOT/tests/bench/replay_input.sh"
N=${N:-200000}
ROUNDS=${ROUNDS:-3}
TARGET=1.3
for b in "$X" "$FLOOR" "$PKTGEN"; do
	[ -x "$b" ] || { echo "replay bench: no $b: make test-build first" >&2; exit 1; }
done

d=$(mktemp -d "${TMPDIR:-/tmp}/xdpchain-bench-replay.XXXXXX")
trap 'rm -rf "$d"' EXIT
replay_input "$d" "$N"
# the floor runs the members in the order given: the replay's run order
objs=("${REPLAY_OBJS[@]}")

# cpu_wall CMD...: "CPU WALL" seconds of one run (CPU: user + system)
cpu_wall() {
	local TIMEFORMAT='%3R %3U %3S' t
	t=$({ time "$@" >"$d/out.txt" 2>"$d/err.txt"; } 2>&1) ||
		{ echo "replay bench: $* failed: $(cat "$d/err.txt")" >&2; exit 1; }
	awk '{ printf "%.3f %.3f\n", $2 + $3, $1 }' <<<"$t"
}

best_floor="" best_replay=""
for ((r = 0; r < ROUNDS; r++)); do
	rm -f "$d/out.pcapng"
	f=$(cpu_wall "$FLOOR" "$d/in.pcap" "${objs[@]}")
	[ "$(cat "$d/out.txt")" = "packets $N runs $((8 * N))" ] ||
		{ echo "replay bench: the floor ran $(cat "$d/out.txt")" >&2; exit 1; }
	x=$(cpu_wall "$X" -j replay --file "$d/chain.conf" -r "$d/in.pcap" -w "$d/out.pcapng")
	jq -e --argjson n "$N" '.packets == $n and ([.programs[] | .stats.pass] | all(. == $n))' \
		"$d/out.txt" >/dev/null ||
		{ echo "replay bench: not every packet went through every member: $(cat "$d/out.txt")" >&2; exit 1; }
	best_floor=$(least_of "$best_floor" "$f")
	best_replay=$(least_of "$best_replay" "$x")
done

size=$(stat -c %s "$d/out.pcapng")
echo "replay: $N packets through 8 members, best of $ROUNDS (CPU = user + system)"
printf '  %-50s CPU %7.2f s   wall %7.2f s\n' "floor (BPF_PROG_TEST_RUN only, nothing written)" $best_floor
printf '  %-50s CPU %7.2f s   wall %7.2f s\n' "xdpchain replay --file -w ($((size >> 20)) MiB pcapng)" $best_replay
awk -v f="$best_floor" -v x="$best_replay" -v t=$TARGET 'BEGIN {
	split(f, a, " "); split(x, b, " ")
	r = b[1] / a[1]
	printf "  ratio: CPU %.2fx (target at most %.1fx: %s), wall %.2fx\n", r, t,
		r <= t ? "met" : "MISSED", b[2] / a[2]
}'
