// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Test fixture: redirects by UDP port. 40010 goes to the ifindex in
 * xc_redir_to[0] (bpf_redirect), 40011 to the device in xc_tx_port[0]
 * (a devmap), 40012 goes back out (XDP_TX); the rest passes. The tests set
 * both maps with bpftool once the program is in the chain.
 */
#include <xdp/xdp_helpers.h>
#include "../../bpf/samples/parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} xc_redir_to SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} xc_tx_port SEC(".maps");

struct {
	__uint(priority, 20);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xdp_test_redirect);

SEC("xdp")
int xdp_test_redirect(struct xdp_md *ctx)
{
	__u32 zero = 0, *ifindex;
	struct udp4 p;

	if (parse_udp4(ctx, &p))
		return XDP_PASS;
	switch (bpf_ntohs(p.udp->dest)) {
	case 40010:
		ifindex = bpf_map_lookup_elem(&xc_redir_to, &zero);
		return ifindex ? bpf_redirect(*ifindex, 0) : XDP_ABORTED;
	case 40011:
		return bpf_redirect_map(&xc_tx_port, 0, 0);
	case 40012:
		return XDP_TX;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
