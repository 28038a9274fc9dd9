// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Test fixture: a multi-buffer (frags) XDP program that hands every packet
 * to the PASS slot of its xdpcap hook. Loaded by bpftool with its hook
 * pinned, and run with BPF_PROG_TEST_RUN on frames of any length up to what
 * the kernel builds from one page and its fragments, it lets a capture see
 * frames larger than 64 KiB without a device that takes them. The hook's
 * owner is this program, so it has the frags flag a capture must match.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "xdpchain.h"

XDPCAP_HOOK();

SEC("xdp.frags")
int xdpchain_frags_exit(struct xdp_md *ctx)
{
	return xdpcap_exit(ctx, &xdpcap_hook, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
