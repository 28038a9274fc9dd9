/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The arguments of the kernel's xdp:xdp_redirect and xdp:xdp_redirect_err
 * raw tracepoints (include/trace/events/xdp.h): the device, the XDP
 * program, the target, the error, the map's type, id and index. Shared by
 * the chain's tracer (redirect.bpf.c) and a capture's notes
 * (redirect_note.bpf.c). Only the kernel fields read are declared; CO-RE
 * finds them by name in the kernel's BTF.
 */
#ifndef __XDPCHAIN_REDIRECT_TP_H
#define __XDPCHAIN_REDIRECT_TP_H

#include "chain_dev.h"

#define UNSPEC_MAP_ID 0x7fffffff /* bpf_redirect(): map id INT_MAX, the index its ifindex */

/* Whether the redirect is of the chain's interface: an ifindex is per namespace. */
static __always_inline int redirect_ours(__u64 *args)
{
	return dev_ours((void *)args[0]);
}

/* The target: its device's ifindex (0: none), the map's id (0: bpf_redirect()) and key. */
static __always_inline void redirect_target(__u64 *args, __u32 *ifindex, __u32 *map, __u32 *key)
{
	struct net_device *to = NULL;
	__u32 type = args[4];

	*ifindex = *map = *key = 0;
	if (type == BPF_MAP_TYPE_UNSPEC && (__u32)args[5] == UNSPEC_MAP_ID) {
		*ifindex = args[6];
		return;
	}
	*map = args[5];
	*key = args[6];
	/* a devmap's entry starts with its device (struct bpf_dtab_netdev) */
	if ((type == BPF_MAP_TYPE_DEVMAP || type == BPF_MAP_TYPE_DEVMAP_HASH) && args[2] &&
	    !bpf_probe_read_kernel(&to, sizeof(to), (void *)args[2]) && to)
		*ifindex = BPF_CORE_READ(to, ifindex);
}

#endif
