// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Sample: counts. Slot 0 counts every packet, slot 1 UDP packets to port
 * 40001: the port the rewrite sample produces, so the counter shows whether
 * the rewrite ran before it. Read with
 * `bpftool map dump name xdpchain_counts`.
 */
#include <xdp/xdp_helpers.h>
#include "parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);
} xdpchain_counts SEC(".maps");

struct {
	__uint(priority, 20);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xdpchain_count);

static __always_inline void bump(__u32 key)
{
	__u64 *v = bpf_map_lookup_elem(&xdpchain_counts, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("xdp")
int xdpchain_count(struct xdp_md *ctx)
{
	struct udp4 p;

	bump(0);
	if (!parse_udp4(ctx, &p) && p.udp->dest == bpf_htons(40001))
		bump(1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
