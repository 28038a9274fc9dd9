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
#include "redirect_tp.h"
#include "stats.h"
#include "redirect.h"

XDPCHAIN_STATS_MAP();

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, REDIRECTS_MAX);
	__type(key, struct redirect_key);
	__type(value, __u64);
} xdpchain_redir SEC(".maps");

static __always_inline int note(__u64 *ctx)
{
	struct redirect_key k = {};
	struct xdpchain_stats *s;
	__u64 one = 1, *v;
	__u32 zero = 0;

	if (!redirect_ours(ctx))
		return 0;
	s = bpf_map_lookup_elem(&xdpchain_stats, &zero);
	if (s && s->fate_slot < STATS_SLOTS)
		k.prog = s->fate_prog;
	k.err = (int)ctx[3];
	redirect_target(ctx, &k.ifindex, &k.map_id, &k.key);
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
