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

const volatile __u32 n_members = 0; /* enabled slots, the final stage (last) included */
/* per slot, sized 16 so a masked index needs no more bounds for the verifier */
const volatile __u32 slot_prog[16] = {}; /* program id */
const volatile __u8 slot_row[16] = {}; /* counter row */
/* slots whose member goes on after more than one action: counted apart */
const volatile __u16 multi_mask = 0;
/* cost sampling: a packet is timed when its per-CPU count & cost_mask is 0 */
const volatile __u8 cost_on = 0;
const volatile __u32 cost_mask = 0;

/*
 * The dispatcher's cost calls (COST_ASK, COST_SLOT + N; see
 * xdp_dispatcher.bpf.c): whether to time this packet, or slot N's time
 * (@ns) on a timed one, added to its member's row.
 */
static __always_inline int cost_call(__u64 ns, __u32 slot)
{
	struct xdpchain_stats *s;
	__u32 key = 0, row;

	if (!cost_on)
		return 0;
	s = bpf_map_lookup_elem(&xdpchain_stats, &key);
	if (!s)
		return 0;
	if (slot == COST_ASK)
		return (s->cost_tick++ & cost_mask) == 0;
	slot -= COST_SLOT;
	if (slot >= STATS_SLOTS)
		return 0;
	asm volatile("%0 &= 15" : "+r"(slot)); /* a bound the verifier sees */
	row = slot_row[slot];
	if (row < STATS_ROWS) {
		s->cost_ns[row] += ns;
		s->cost_n[row]++;
	}
	return 0;
}

/*
 * One count per packet: the member that ended it (or the final stage's
 * pass), with its verdict. What every member before it returned is its one
 * proceed-on action, so xdpchain's status derives those counts
 * (observer.c); only members with several proceed-on actions have theirs
 * counted here, from @verdicts.
 */
SEC("freplace/xdpchain_exit")
int xdpchain_observe(struct xdp_md *ctx, __u64 verdicts, __u32 slot, __u32 verdict)
{
	struct xdpchain_stats *s;
	__u32 key = 0, row, a;

	xdpchain_mark_own();
	if (slot >= COST_SLOT && slot <= COST_ASK)
		return cost_call(verdicts, slot);
	/*
	 * The whole chain passed it: the final stage counted it and hands it
	 * to the hook. Only the verdicts of members with several proceed-on
	 * actions are left to count (the test goes when there are none).
	 */
	if (!multi_mask && slot >= n_members)
		return verdict;
	s = bpf_map_lookup_elem(&xdpchain_stats, &key);
	if (!s)
		return verdict;
	if (multi_mask) {
#pragma unroll
		for (__u32 i = 0; i < STATS_SLOTS; i++) {
			__u32 v = (verdicts >> (4 * i)) & 0xf;

			if (i >= slot || i >= n_members)
				break;
			row = slot_row[i];
			if ((multi_mask & (1U << i)) && v < STATS_ACTIONS && row < STATS_ROWS)
				s->cont[row][v]++;
		}
	}
	if (slot >= n_members || slot >= STATS_SLOTS)
		return verdict; /* the whole chain passed it */
	/*
	 * The verifier needs the index bounded in the register it uses; the
	 * compiler, knowing slot < 10, would drop a plain mask.
	 */
	asm volatile("%0 &= 15" : "+r"(slot));
	row = slot_row[slot];
	a = verdict < STATS_ACTIONS ? verdict : XDP_ABORTED; /* the kernel's view too */
	asm volatile("%0 &= 7" : "+r"(a)); /* as for slot: a bound the verifier sees */
	if (row < STATS_ROWS)
		s->pkts[row][a]++;
	/*
	 * For the capture program the hook runs: which member decided. Every
	 * call of the hook is preceded by such a write (the final stage's is
	 * FATE_EXIT), so nothing needs setting back when the slot is empty.
	 */
	s->fate_slot = slot;
	s->fate_prog = slot_prog[slot];
	bpf_tail_call(ctx, &xdpcap_hook, verdict);
	return verdict;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
