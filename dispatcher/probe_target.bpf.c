// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Feature probe: a tiny XDP program with a global function, the same shape as
 * libxdp's dispatcher, for probe_ext.bpf.c to replace.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__attribute__((noinline)) int xdpchain_probe_slot(struct xdp_md *ctx)
{
	volatile int ret = XDP_PASS;

	if (!ctx)
		return XDP_ABORTED;
	return ret;
}

SEC("xdp")
int xdpchain_probe(struct xdp_md *ctx)
{
	return xdpchain_probe_slot(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
