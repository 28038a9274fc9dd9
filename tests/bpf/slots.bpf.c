// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Ten distinctly named XDP programs, so a test can fill libxdp's dispatcher
 * (10 slots, one of them xdpchain's final stage) with `--prog xdp_slotN`.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define SLOT(n)                             \
	SEC("xdp")                          \
	int xdp_slot##n(struct xdp_md *ctx) \
	{                                   \
		return XDP_PASS;            \
	}

SLOT(0)
SLOT(1)
SLOT(2)
SLOT(3)
SLOT(4)
SLOT(5)
SLOT(6)
SLOT(7)
SLOT(8)
SLOT(9)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
