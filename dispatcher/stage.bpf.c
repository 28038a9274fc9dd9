// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Capture at entry and after every stage: the programs an xdpchain capture
 * with --entry or --all-stages attaches (freplace) to the stubs
 * xdpchain_entry() and xdpchain_step() of xdpchain's dispatcher, for its own
 * lifetime only; idle chains run the empty stubs.
 *
 * Each notes the stage in the chain's stats map, as the observer notes the
 * deciding one, and hands the packet to the capture's program (generated:
 * the filter and the copy) through a prog array of one slot. The entry one
 * also gives the packet its id, which the capture programs of every later
 * stage and of its fate copy out with it.
 */
#include "xdpchain.h"
#include "stats.h"

XDPCHAIN_STATS_MAP();

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} xdpchain_stage_hook SEC(".maps");

/* non-zero: the dispatcher calls xdpchain_step() after each member */
const volatile __u32 all_stages = 0;
/*
 * Per slot the program's id, 0 for the final stage; sized 16 so a masked
 * index needs no more bounds for the verifier.
 */
const volatile __u32 slot_prog[16] = {};

SEC("freplace/xdpchain_entry")
int xdpchain_entry_cap(struct xdp_md *ctx)
{
	struct xdpchain_stats *s;
	__u32 key = 0;

	s = bpf_map_lookup_elem(&xdpchain_stats, &key);
	if (!s)
		return all_stages;
	/* per CPU a sequence; the CPU in the low bits keeps ids unique */
	s->pkt_id = (((s->pkt_id >> 16) + 1) << 16) | (bpf_get_smp_processor_id() & 0xffff);
	s->fate_slot = FATE_ENTRY;
	s->fate_prog = 0;
	/* the capture program returns all_stages too */
	bpf_tail_call(ctx, &xdpchain_stage_hook, 0);
	return all_stages;
}

SEC("freplace/xdpchain_step")
int xdpchain_step_cap(struct xdp_md *ctx, __u32 slot)
{
	struct xdpchain_stats *s;
	__u32 key = 0;

	s = bpf_map_lookup_elem(&xdpchain_stats, &key);
	if (!s)
		return 0;
	asm volatile("%0 &= 15" : "+r"(slot)); /* a bound the verifier sees */
	/* 0: the final stage, after which the packet is at its fate (captured there) */
	if (!slot_prog[slot])
		return 0;
	s->fate_slot = slot;
	s->fate_prog = slot_prog[slot];
	bpf_tail_call(ctx, &xdpchain_stage_hook, 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
