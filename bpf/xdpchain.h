/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * xdpchain.h - the xdpcap hook protocol for XDP programs.
 *
 * A program that wants the packets it drops, transmits or redirects to be
 * seen by a capture tool defines the hook map with XDPCAP_HOOK() and returns
 * through xdpcap_exit():
 *
 *	XDPCAP_HOOK();
 *
 *	SEC("xdp")
 *	int my_prog(struct xdp_md *ctx)
 *	{
 *		if (bad(ctx))
 *			return xdpcap_exit(ctx, &xdpcap_hook, XDP_DROP);
 *		return XDP_PASS;
 *	}
 *
 * The map layout is the one of cloudflare/xdpcap's hook.h: a
 * BPF_MAP_TYPE_PROG_ARRAY named "xdpcap_hook", 4-byte key and value, one slot
 * per XDP action. When xdpchain adds such a program to a chain it replaces
 * the map by the interface's shared, pinned hook, so `xdpchain capture` and
 * cloudflare's xdpcap see the program's verdicts too.
 */
#ifndef __XDPCHAIN_H
#define __XDPCHAIN_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* One slot per XDP action: XDP_ABORTED (0) .. XDP_REDIRECT (4). */
#define XDPCAP_HOOK_SLOTS 5
#define XDPCAP_HOOK_NAME "xdpcap_hook"

/*
 * key_size/value_size rather than __type(): the kernel refuses BTF key and
 * value types on program arrays and libbpf would retry without them.
 */
#define XDPCAP_HOOK()                                   \
	struct {                                        \
		__uint(type, BPF_MAP_TYPE_PROG_ARRAY);  \
		__uint(key_size, sizeof(__u32));        \
		__uint(value_size, sizeof(__u32));      \
		__uint(max_entries, XDPCAP_HOOK_SLOTS); \
	} xdpcap_hook SEC(".maps")

/*
 * Hand the packet to whatever capture program sits in the slot of @action
 * and return @action. An empty slot makes the tail call fail, which costs
 * one map lookup, and the program returns @action itself.
 */
static __always_inline int xdpcap_exit(struct xdp_md *ctx, void *hook_map, enum xdp_action action)
{
	bpf_tail_call(ctx, hook_map, action);
	return action;
}

#endif /* __XDPCHAIN_H */
