// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Test fixture: a user program that carries the name of xdpchain's final
 * stage. xdpchain must refuse to add it, and must not take it for its final
 * stage when another tool such as xdp-loader put it in a chain.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdpchain_final(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
