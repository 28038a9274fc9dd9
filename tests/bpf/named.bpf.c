// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Test fixture: two XDP programs in one object, so `--prog NAME` has to
 * pick one, and leaving it out has to be an error (or a documented
 * default) rather than a silent choice.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_test_one(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int xdp_test_two(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
