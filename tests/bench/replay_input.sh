# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# What the replay benches (replay.sh on the host, vm_replay.sh in the VM)
# replay, sourced by both: an 8-member chain file and N udp4-data frames.
# Every member passes udp4-data (port 40000, rewritten to 40001 by the
# third), so every packet makes 8 test runs. REPLAY_OBJS is in the
# replay's run order (priority, then name).

REPLAY_OBJS=(tests/replay_mark.o bpf/vlan_strip.o bpf/rewrite.o tests/replay_deny.o
	bpf/count.o bpf/firewall.o bpf/drop.o tests/pass.o)
REPLAY_OBJS=("${REPLAY_OBJS[@]/#/$ROOT/.output/}")

# replay_input DIR N: DIR/chain.conf (interface bench0, REPLAY_OBJS) and
# DIR/in.pcap (N frames); fails with pktgen's error.
replay_input() {
	{
		printf 'version: 1\ninterfaces:\n  bench0:\n    programs:\n'
		printf '      - object: %s\n' "${REPLAY_OBJS[@]}"
	} >"$1/chain.conf"
	"$ROOT/.output/bin/pktgen" write "$1/in.pcap" --repeat "$2" --only udp4-data \
		>/dev/null 2>"$1/err.txt" ||
		{ echo "replay bench: pktgen: $(cat "$1/err.txt")" >&2; exit 1; }
}

# least_of A B: the line of A and B (either may be empty) whose first field
# is smallest: the best round so far.
least_of() {
	printf '%s\n%s\n' "$1" "$2" | awk 'NF' | sort -n | head -1
}
