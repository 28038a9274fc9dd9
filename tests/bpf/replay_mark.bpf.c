// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Test fixture for replay: puts 4 bytes of XDP metadata (REPLAY_MARK) in
 * front of every IPv4 UDP packet, for replay_deny further down the chain:
 * the metadata area must travel from one member to the next.
 */
#include <xdp/xdp_helpers.h>
#include "../../bpf/samples/parse.h"

#define REPLAY_MARK 0x5eedf00dU

struct {
	__uint(priority, 1);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(replay_mark);

SEC("xdp")
int replay_mark(struct xdp_md *ctx)
{
	struct udp4 p;
	__u32 *meta;

	if (parse_udp4(ctx, &p))
		return XDP_PASS;
	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta)))
		return XDP_ABORTED;
	meta = (void *)(long)ctx->data_meta;
	if ((void *)(meta + 1) > (void *)(long)ctx->data)
		return XDP_ABORTED;
	*meta = REPLAY_MARK;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
