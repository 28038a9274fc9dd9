// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Test fixture for replay: a member that tail-calls. UDP to port 7007 is
 * turned to port 7008 and goes through slot 0 of the prog array jmp (empty
 * as loaded: the tail call falls through and the packet passes, to 7008);
 * UDP to 7008 is counted in tail_hits and dropped. A test puts the program
 * itself in the slot: 7007 then drops on the second pass, as 7008.
 */
#include <xdp/xdp_helpers.h>
#include "../../bpf/samples/parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(max_entries, 2);
} jmp SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} tail_hits SEC(".maps");

struct {
	__uint(priority, 15);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(replay_tail);

SEC("xdp")
int replay_tail(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct udp4 p;
	__u64 *hits;

	if (parse_udp4(ctx, &p))
		return XDP_PASS;
	if (p.udp->dest == bpf_htons(7008)) {
		hits = bpf_map_lookup_elem(&tail_hits, &k);
		if (hits)
			__sync_fetch_and_add(hits, 1);
		return XDP_DROP;
	}
	if (p.udp->dest == bpf_htons(7007)) {
		p.udp->dest = bpf_htons(7008);
		p.udp->check = 0; /* optional for UDP over IPv4 */
		bpf_tail_call(ctx, &jmp, 0);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
