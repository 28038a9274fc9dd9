// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The observer: replaces xdpchain_exit() of xdpchain's dispatcher (an
 * freplace program), so it sees every packet once as it leaves the chain,
 * with every member's verdict. It counts them per member and action, and
 * hands a packet a member ended early (a plain `return XDP_DROP` too) to
 * the hook slot of its action, noting which member decided. Packets the
 * whole chain passed reach the hook through the final stage, as before.
 *
 * One is loaded for each dispatcher libxdp builds: which member sits in
 * which slot is constant for a dispatcher, so it is read-only data here.
 */
#include "xdpchain.h"
#include "own.h"
#include "stats.h"

XDPCAP_HOOK();

XDPCHAIN_STATS_MAP();

const volatile __u32 n_members = 0; /* enabled slots, the final stage included */
const volatile __u32 slot_prog[STATS_SLOTS] = {}; /* program id per slot */
const volatile __u8 slot_row[STATS_SLOTS] = {}; /* counter row per slot */

SEC("freplace/xdpchain_exit")
int xdpchain_observe(struct xdp_md *ctx, __u64 verdicts, __u32 slot, __u32 verdict)
{
	__u64 len = ctx->data_end - ctx->data;
	struct xdpchain_stats *s;
	__u32 key = 0;

	xdpchain_mark_own();
	s = bpf_map_lookup_elem(&xdpchain_stats, &key);
	if (!s)
		return verdict;
#pragma unroll
	for (__u32 i = 0; i < STATS_SLOTS; i++) {
		__u32 v = (verdicts >> (4 * i)) & 0xf, row = slot_row[i];

		if (i >= n_members || i > slot)
			break;
		if (v < STATS_ACTIONS && row < STATS_ROWS) {
			s->pkts[row][v]++;
			s->bytes[row][v] += len;
		}
	}
	if (slot >= n_members || slot >= STATS_SLOTS)
		return verdict; /* through the final stage: captured there */
	s->fate_slot = slot;
	s->fate_prog = slot_prog[slot];
	bpf_tail_call(ctx, &xdpcap_hook, verdict);
	return verdict;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
