/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What the tracepoint programs (redirect tracer and notes, kernel drops)
 * read of a net_device (CO-RE), and whether a device is the chain's
 * interface: an ifindex is per network namespace, so its namespace's
 * inode is checked too.
 */
#ifndef __XDPCHAIN_CHAIN_DEV_H
#define __XDPCHAIN_CHAIN_DEV_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct ns_common {
	unsigned int inum;
} __attribute__((preserve_access_index));

struct net {
	struct ns_common ns;
} __attribute__((preserve_access_index));

typedef struct {
	struct net *net;
} possible_net_t;

struct net_device {
	int ifindex;
	possible_net_t nd_net;
} __attribute__((preserve_access_index));

/* the chain's interface: its index, and its network namespace's inode (0: any) */
const volatile __u32 chain_ifindex = 0;
const volatile __u32 chain_netns = 0;

static __always_inline int dev_ours(struct net_device *dev)
{
	if (!dev || BPF_CORE_READ(dev, ifindex) != (int)chain_ifindex)
		return 0;
	return !chain_netns || BPF_CORE_READ(dev, nd_net.net, ns.inum) == chain_netns;
}

#endif
