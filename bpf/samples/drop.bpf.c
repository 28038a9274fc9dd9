// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Sample: drops by a rule. UDP to port 9 (discard) is dropped, and the drop
 * goes through the xdpcap hook so captures see it with action "drop". The
 * object brings its own xdpcap_hook map; xdpchain swaps in the shared one.
 */
#include <xdp/xdp_helpers.h>
#include "../xdpchain.h"
#include "parse.h"

#define DROP_PORT 9

XDPCAP_HOOK();

struct {
	__uint(priority, 30);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xdpchain_drop);

SEC("xdp")
int xdpchain_drop(struct xdp_md *ctx)
{
	struct udp4 p;

	if (!parse_udp4(ctx, &p) && p.udp->dest == bpf_htons(DROP_PORT))
		return xdpcap_exit(ctx, &xdpcap_hook, XDP_DROP);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
