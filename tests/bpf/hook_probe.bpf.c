// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Test fixture: the capture program of tests/helpers/hook_probe. The helper
 * puts it into one slot of a pinned xdpcap hook map; every packet a chain
 * member hands to that slot is copied into a ring buffer, and the program
 * then returns the slot's action, as the hook protocol requires (the tail
 * call never returns to the caller).
 *
 * Kept plain on purpose: SEC("xdp") and no frags, because the helper loads
 * it with expected_attach_type 0 to match the hook map's owner.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "hook_probe.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} hook_probe_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, HOOK_PROBE_NR_COUNTERS);
} hook_probe_counts SEC(".maps");

/* The slot's XDP action; the helper sets it before load. */
const volatile __u32 action = XDP_PASS;

static __always_inline void bump(__u32 key)
{
	__u64 *v = bpf_map_lookup_elem(&hook_probe_counts, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("xdp")
int hook_probe(struct xdp_md *ctx)
{
	struct hook_probe_pkt *pkt;
	/*
	 * 64-bit on purpose: with __u32, clang range-checks a zero-extended
	 * copy and passes the original register, whose bounds the verifier
	 * then does not know.
	 */
	__u64 len, caplen;

	bump(HOOK_PROBE_SEEN);

	pkt = bpf_ringbuf_reserve(&hook_probe_ring, sizeof(*pkt), 0);
	if (!pkt) {
		bump(HOOK_PROBE_LOST);
		return action;
	}

	/*
	 * The whole frame, frags included, when loaded with frags; otherwise
	 * the same as data_end - data.
	 */
	len = bpf_xdp_get_buff_len(ctx);
	caplen = len < HOOK_PROBE_SNAPLEN ? len : HOOK_PROBE_SNAPLEN;

	/*
	 * bpf_xdp_load_bytes() wants a length the verifier can prove to be in
	 * 1..sizeof(data); the explicit range check gives it that bound, and
	 * the helper copies across frags where a direct packet read could not.
	 */
	if (caplen < 1 || caplen > HOOK_PROBE_SNAPLEN) {
		caplen = 0;
	} else {
		/*
		 * 6.1's verifier learns no lower bound from "!= 0": mask into
		 * 1..SNAPLEN (a power of two) so it sees the range directly.
		 */
		caplen = ((caplen - 1) & (HOOK_PROBE_SNAPLEN - 1)) + 1;
		if (bpf_xdp_load_bytes(ctx, 0, pkt->data, caplen))
			caplen = 0;
	}

	pkt->len = len;
	pkt->caplen = caplen;
	bpf_ringbuf_submit(pkt, 0);
	return action;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
