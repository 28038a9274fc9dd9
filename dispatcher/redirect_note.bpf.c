// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A capture's redirect notes: loaded by a capture of the redirect slot for
 * its own lifetime, on the same xdp_redirect tracepoints as the chain's
 * tracer (redirect.bpf.c). When the packet being redirected is one the
 * capture copied (its CPU's scratch record says XDP_REDIRECT, not yet
 * noted), it writes the target and outcome into that CPU's ring, right
 * after the packet: the reader puts them in the packet's comment.
 */
#include "redirect_tp.h"
#include "redirect.h"
#include "caprings.h"

/* the capture's scratch record, replaced by its own before load */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct redirect_note); /* the record's header leads */
} xdpchain_capscr SEC(".maps");

static __always_inline int note(__u64 *ctx)
{
	struct redirect_note n = { .action = NOTE_ACTION }, *scr;
	__u32 cpu = bpf_get_smp_processor_id(), key;
	void *ring;

	if (!redirect_ours(ctx))
		return 0;
	scr = bpf_map_lookup_elem(&xdpchain_capscr, &cpu);
	if (!scr || scr->action != XDP_REDIRECT)
		return 0; /* the filter refused this packet, or its copy is noted */
	scr->action = NOTE_TAKEN;
	ring = bpf_map_lookup_elem(&xdpchain_caprings, &cpu);
	if (!ring)
		return 0;
	n.err = (int)ctx[3];
	redirect_target(ctx, &n.ifindex, &n.map_id, &key);
	n.key = key;
	n.ts_ns = bpf_ktime_get_ns();
	bpf_ringbuf_output(ring, &n, sizeof(n), BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("raw_tp/xdp_redirect")
int xdpchain_rnote(struct bpf_raw_tracepoint_args *ctx)
{
	return note(ctx->args);
}

SEC("raw_tp/xdp_redirect_err")
int xdpchain_rnote_err(struct bpf_raw_tracepoint_args *ctx)
{
	return note(ctx->args);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
