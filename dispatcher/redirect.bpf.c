// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The redirect tracer: a program cannot read its own redirect target, but
 * the kernel says it in the tracepoints xdp:xdp_redirect and
 * xdp:xdp_redirect_err, which xdp_do_redirect() fires after the chain
 * returned XDP_REDIRECT, on the same CPU, before the next packet: the
 * stats map's fate_prog is still the member the observer noted as
 * deciding. Attached as raw tracepoints (no tracefs needed), pinned while
 * the chain is managed; counts per member, target and outcome.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "stats.h"
#include "redirect.h"

XDPCHAIN_STATS_MAP();

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, REDIRECTS_MAX);
	__type(key, struct redirect_key);
	__type(value, __u64);
} xdpchain_redir SEC(".maps");

const volatile __u32 chain_ifindex = 0;

/* only the fields read, found by name in the kernel's BTF (CO-RE) */
struct net_device {
	int ifindex;
} __attribute__((preserve_access_index));

#define UNSPEC_MAP_ID 0x7fffffff /* bpf_redirect(): map_id INT_MAX, index the ifindex */

/* args: dev, xdp prog, target, err, map type, map id, index (trace/events/xdp.h) */
static __always_inline int note(__u64 *ctx)
{
	struct net_device *dev = (void *)ctx[0], *to = NULL;
	struct redirect_key k = {};
	__u32 type = ctx[4], zero = 0;
	struct xdpchain_stats *s;
	__u64 one = 1, *v;

	if (BPF_CORE_READ(dev, ifindex) != (int)chain_ifindex)
		return 0;
	s = bpf_map_lookup_elem(&xdpchain_stats, &zero);
	if (s && s->fate_slot < STATS_SLOTS)
		k.prog = s->fate_prog;
	k.err = (int)ctx[3];
	if (type == BPF_MAP_TYPE_UNSPEC && (__u32)ctx[5] == UNSPEC_MAP_ID) {
		k.ifindex = ctx[6];
	} else {
		k.map_id = ctx[5];
		k.key = ctx[6];
		/* a devmap's entry starts with its device (struct bpf_dtab_netdev) */
		if ((type == BPF_MAP_TYPE_DEVMAP || type == BPF_MAP_TYPE_DEVMAP_HASH) && ctx[2] &&
		    !bpf_probe_read_kernel(&to, sizeof(to), (void *)ctx[2]) && to)
			k.ifindex = BPF_CORE_READ(to, ifindex);
	}
	v = bpf_map_lookup_elem(&xdpchain_redir, &k);
	if (v)
		(*v)++;
	else
		bpf_map_update_elem(&xdpchain_redir, &k, &one, BPF_NOEXIST);
	return 0;
}

SEC("raw_tp/xdp_redirect")
int xdpchain_redirect(struct bpf_raw_tracepoint_args *ctx)
{
	return note(ctx->args);
}

SEC("raw_tp/xdp_redirect_err")
int xdpchain_redirect_err(struct bpf_raw_tracepoint_args *ctx)
{
	return note(ctx->args);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
