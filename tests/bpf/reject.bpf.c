// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Test fixture: compiles, but the verifier rejects it because it reads the
 * first packet byte without checking it against data_end. Tests use it to
 * see that xdpchain reports a verifier failure and leaves the interface's
 * chain as it was.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_test_reject(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;

	/* Deliberately unchecked: this is the access the verifier refuses. */
	return data[0] == 0xff ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
