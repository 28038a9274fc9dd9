// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Test fixture: a member that spends time on every packet (a loop of some
 * 20,000 instructions) and then passes it, so cost sampling has a member
 * to tell apart from one that only passes (tests/vm_cost.sh).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_test_heavy(struct xdp_md *ctx)
{
	__u64 acc = ctx->data_end - ctx->data;

#pragma clang loop unroll(disable)
	for (int i = 0; i < 5000; i++) {
		acc = acc * 31 + i;
		asm volatile("" : "+r"(acc)); /* a loop the compiler must keep */
	}
	return acc == 0x1234567 ? XDP_DROP : XDP_PASS; /* never drops, as far as anyone knows */
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
