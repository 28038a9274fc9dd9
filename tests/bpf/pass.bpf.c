// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Test fixture: the smallest XDP program there is. Loaded with xdp-loader
 * next to an xdpchain chain, it shows whether both tools share libxdp's
 * dispatcher on one interface instead of fighting over it.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_test_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
