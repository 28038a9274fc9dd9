// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Loaded once, right after a hook map is created, and closed again: the first
 * program that uses a program array becomes its owner, and the kernel then
 * refuses programs of another expected_attach_type or frags flag in it or
 * calling it. Loading this with expected_attach_type 0 and no frags pins the
 * owner to what dispatcher members (EXT) and cloudflare's xdpcap filters
 * both are, whoever comes first afterwards.
 */
#include "xdpchain.h"

XDPCAP_HOOK();

SEC("xdp")
int xdpchain_owner(struct xdp_md *ctx)
{
	return xdpcap_exit(ctx, &xdpcap_hook, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
