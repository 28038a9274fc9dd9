// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Bench fixture: sends every frame it runs on out of interface
 * target_ifindex. Run by BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES
 * (tests/helpers/xdp_flood), a test run becomes a flood of real frames:
 * out of one veth, into the XDP chain on its peer, where a capture tool
 * that filters on the interface (xdpdump) sees them too.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

volatile const __u32 target_ifindex;

SEC("xdp")
int xdp_flood_redirect(struct xdp_md *ctx)
{
	return bpf_redirect(target_ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
