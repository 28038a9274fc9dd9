// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Test fixture for replay: decides from its maps. Drops UDP to deny_port (a
 * global: the object's .data map, 7003 as loaded) and to any port in
 * deny_ports (a hash map, empty as loaded); drops UDP to port 7004 only
 * when replay_mark's metadata came along; aborts UDP to port 7005.
 */
#include <xdp/xdp_helpers.h>
#include "../../bpf/samples/parse.h"

#define REPLAY_MARK 0x5eedf00dU

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u16);
	__type(value, __u8);
	__uint(max_entries, 64);
} deny_ports SEC(".maps");

__u16 deny_port = 7003;

struct {
	__uint(priority, 20);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(replay_deny);

SEC("xdp")
int replay_deny(struct xdp_md *ctx)
{
	__u32 *meta = (void *)(long)ctx->data_meta;
	int marked = (void *)(meta + 1) <= (void *)(long)ctx->data && *meta == REPLAY_MARK;
	struct udp4 p;
	__u16 port;

	if (parse_udp4(ctx, &p))
		return XDP_PASS;
	port = bpf_ntohs(p.udp->dest);
	if (port == deny_port || bpf_map_lookup_elem(&deny_ports, &port))
		return XDP_DROP;
	if (port == 7004 && marked)
		return XDP_DROP;
	if (port == 7005)
		return XDP_ABORTED;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
