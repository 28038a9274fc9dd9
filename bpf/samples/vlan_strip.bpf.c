// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Sample: changes the packet's size. An 802.1Q tag is removed with
 * bpf_xdp_adjust_head(), so the stack (and a capture after the chain) sees
 * the untagged frame. On kernels from 6.12 on such a program can join a
 * libxdp chain only through a dispatcher whose slots may change packet data,
 * as xdpchain's own.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <xdp/xdp_helpers.h>

#define VLAN_HLEN 4

struct {
	__uint(priority, 5);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xdpchain_vlan_strip);

SEC("xdp")
int xdpchain_vlan_strip(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	unsigned char macs[2 * ETH_ALEN];

	if ((void *)eth + sizeof(*eth) + VLAN_HLEN > end || eth->h_proto != bpf_htons(ETH_P_8021Q))
		return XDP_PASS;
	/* the addresses move forward over the tag; the inner type stays */
	__builtin_memcpy(macs, eth, sizeof(macs));
	if (bpf_xdp_adjust_head(ctx, VLAN_HLEN))
		return XDP_PASS;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + sizeof(macs) > end)
		return XDP_PASS;
	__builtin_memcpy(data, macs, sizeof(macs));
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
