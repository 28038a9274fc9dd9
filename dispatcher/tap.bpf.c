// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A tap: a chain member xdpchain places right after one program while
 * `xdpchain capture --after PROG` runs. It hands every packet, as the chain
 * has made it so far, to the capture program in its own hook's PASS slot
 * and lets the chain go on. Removed when the capture ends.
 */
#include "xdpchain.h"
#include "own.h"

XDPCAP_HOOK();

SEC("xdp")
int xdpchain_tap(struct xdp_md *ctx)
{
	xdpchain_mark_own();
	return xdpcap_exit(ctx, &xdpcap_hook, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
