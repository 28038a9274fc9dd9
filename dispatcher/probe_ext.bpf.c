// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Feature probe: an freplace (BPF_PROG_TYPE_EXT) program, the kind libxdp
 * attaches every chain member as. Some kernels refuse to load it at all.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("freplace/xdpchain_probe_slot")
int xdpchain_probe_ext(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
