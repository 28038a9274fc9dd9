// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * xdpchain's final stage: the last member of every chain xdpchain manages.
 * Packets reach it only when every earlier member let them continue, so the
 * capture program in the hook's XDP_PASS slot sees them as the chain left
 * them. The hook map is replaced by the interface's pinned one before load.
 *
 * Declared frags-capable so it never keeps a chain of frags-aware programs
 * from running multi-buffer; libxdp loads members without the flag (the
 * dispatcher carries it), so the hook's owner stays "no frags".
 */
#include "xdpchain.h"
#include "own.h"

XDPCAP_HOOK();

SEC("xdp.frags")
int xdpchain_final(struct xdp_md *ctx)
{
	xdpchain_mark_own();
	return xdpcap_exit(ctx, &xdpcap_hook, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
