// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Sample: drops the way most XDP programs do, with a plain return and no
 * hook: UDP to port 40002 is dropped. xdpchain's observer still sees the
 * drop, counts it for this program and hands the packet to the capture.
 */
#include <xdp/xdp_helpers.h>
#include "parse.h"

#define BLOCKED_PORT 40002

struct {
	__uint(priority, 25);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xdpchain_firewall);

SEC("xdp")
int xdpchain_firewall(struct xdp_md *ctx)
{
	struct udp4 p;

	if (!parse_udp4(ctx, &p) && p.udp->dest == bpf_htons(BLOCKED_PORT))
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
