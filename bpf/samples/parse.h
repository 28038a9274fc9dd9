/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Bounds-checked header parsing shared by the sample programs. */
#ifndef __XDPCHAIN_SAMPLES_PARSE_H
#define __XDPCHAIN_SAMPLES_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct udp4 {
	struct ethhdr *eth;
	struct iphdr *ip;
	struct udphdr *udp;
};

/* Finds Ethernet + IPv4 (no options) + UDP; returns 0 when found. */
static __always_inline int parse_udp4(struct xdp_md *ctx, struct udp4 *p)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	p->eth = data;
	if ((void *)(p->eth + 1) > end || p->eth->h_proto != bpf_htons(ETH_P_IP))
		return -1;
	p->ip = (void *)(p->eth + 1);
	if ((void *)(p->ip + 1) > end || p->ip->ihl != 5 || p->ip->protocol != IPPROTO_UDP)
		return -1;
	p->udp = (void *)(p->ip + 1);
	if ((void *)(p->udp + 1) > end)
		return -1;
	return 0;
}

/* RFC 1624 incremental update of a 16-bit one's complement checksum. */
static __always_inline __u16 csum_replace2(__u16 csum, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~csum + (__u16)~old + new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

#endif
