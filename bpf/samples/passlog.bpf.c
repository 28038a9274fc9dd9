// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Sample: the style cloudflare documents for xdpcap, every verdict through
 * the hook, XDP_PASS included. Alone on an interface that shows each packet
 * to the capture; in a chain it would show passed packets twice (here and
 * after the chain), so xdpchain gives such a member an empty hook of its
 * own and captures every fate once, as the packet leaves the chain.
 */
#include <xdp/xdp_helpers.h>
#include "../xdpchain.h"

XDPCAP_HOOK();

struct {
	__uint(priority, 15);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xdpchain_passlog);

SEC("xdp")
int xdpchain_passlog(struct xdp_md *ctx)
{
	return xdpcap_exit(ctx, &xdpcap_hook, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
