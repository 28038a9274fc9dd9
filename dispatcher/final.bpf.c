// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * xdpchain's final stage: the last member of every chain xdpchain manages.
 * Packets reach it only when every earlier member let them continue, so the
 * capture program in the hook's XDP_PASS slot sees them as the chain left
 * them. The hook map is replaced by the interface's pinned one before load,
 * the stats map by the chain's.
 *
 * Declared frags-capable so it never keeps a chain of frags-aware programs
 * from running multi-buffer; libxdp loads members without the flag (the
 * dispatcher carries it), so the hook's owner stays "no frags".
 */
#include "xdpchain.h"
#include "own.h"
#include "stats.h"

XDPCAP_HOOK();

XDPCHAIN_STATS_MAP();

SEC("xdp.frags")
int xdpchain_final(struct xdp_md *ctx)
{
	struct xdpchain_stats *s;
	__u32 key = 0;

	xdpchain_mark_own();
	/*
	 * The whole chain passed the packet: counted here, where it runs
	 * anyway, rather than by the observer, which then returns at once.
	 */
	s = bpf_map_lookup_elem(&xdpchain_stats, &key);
	if (s) {
		s->pkts[STATS_FINAL_ROW][XDP_PASS]++;
		/* for a capture program: the packet passed the whole chain */
		s->fate_slot = FATE_EXIT;
	}
	return xdpcap_exit(ctx, &xdpcap_hook, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
