// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A replay through a real dispatcher (replay --dispatcher): freplace
 * programs on the stage stubs of a copy of xdpchain's dispatcher that runs
 * on no interface, only under BPF_PROG_TEST_RUN. Each hands the packet as
 * it is at that point (entry, after a member that let it go on, at its
 * fate) to the replay through a ring buffer of the replay's own; the fate's
 * record also carries every member's verdict, so the replay counts what
 * each returned as the observer would.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "replay_tap.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, REPLAY_TAP_RING);
} replay_ring SEC(".maps");

/* The packet's bytes (data to data_end, frags included) into the ring. */
static __always_inline void note(struct xdp_md *ctx, __u32 kind, __u32 slot, __u32 verdict,
				 __u64 verdicts)
{
	struct replay_tap_rec *rec;
	__u32 len = bpf_xdp_get_buff_len(ctx), copy = len;

	rec = bpf_ringbuf_reserve(&replay_ring, sizeof(*rec), 0);
	if (!rec)
		return; /* the replay sees a record missing and says so */
	rec->kind = kind;
	rec->slot = slot;
	rec->verdict = verdict;
	rec->len = len;
	rec->verdicts = verdicts;
	if (copy > REPLAY_TAP_MAX)
		copy = REPLAY_TAP_MAX;
	/*
	 * Bounds the verifier sees, 1 to REPLAY_TAP_MAX + 1 (a test for 0 gives
	 * it no lower bound on 6.1); for 1 to REPLAY_TAP_MAX, the identity.
	 */
	if (copy) {
		asm volatile("%0 -= 1; %0 &= " REPLAY_TAP_MAX_STR "; %0 += 1" : "+r"(copy));
		if (bpf_xdp_load_bytes(ctx, 0, rec->data, copy))
			copy = 0;
	}
	rec->copied = copy;
	bpf_ringbuf_submit(rec, 0);
}

SEC("freplace/xdpchain_entry")
int replay_entry(struct xdp_md *ctx)
{
	note(ctx, REPLAY_TAP_ENTRY, 0, 0, 0);
	return 1; /* the dispatcher then calls xdpchain_step() after every member */
}

SEC("freplace/xdpchain_step")
int replay_step(struct xdp_md *ctx, __u32 slot)
{
	note(ctx, REPLAY_TAP_STEP, slot, 0, 0);
	return 0;
}

SEC("freplace/xdpchain_exit")
int replay_exit(struct xdp_md *ctx, __u64 verdicts, __u32 slot, __u32 verdict)
{
	note(ctx, REPLAY_TAP_EXIT, slot, verdict, verdicts);
	return verdict;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
