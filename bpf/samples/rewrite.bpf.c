// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Sample: modifies packets. UDP to port 40000 is redirected to port 40001 and
 * its IPv4 TTL is decremented, both with checksum fix-ups, so a program later
 * in the chain (or a capture after it) can tell whether it ran.
 */
#include <xdp/xdp_helpers.h>
#include "parse.h"

#define FROM_PORT 40000
#define TO_PORT 40001

struct {
	__uint(priority, 10);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xdpchain_rewrite);

SEC("xdp")
int xdpchain_rewrite(struct xdp_md *ctx)
{
	struct udp4 p;
	__u16 old;

	if (parse_udp4(ctx, &p) || p.udp->dest != bpf_htons(FROM_PORT))
		return XDP_PASS;

	p.udp->dest = bpf_htons(TO_PORT);
	if (p.udp->check)
		p.udp->check =
			csum_replace2(p.udp->check, bpf_htons(FROM_PORT), bpf_htons(TO_PORT));

	/* TTL shares a 16-bit checksum word with the protocol byte. */
	old = *(__u16 *)&p.ip->ttl;
	p.ip->ttl--;
	p.ip->check = csum_replace2(p.ip->check, old, *(__u16 *)&p.ip->ttl);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
