// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A capture's kernel drops: loaded by `capture --kernel-drops` for its own
 * lifetime on the raw tracepoint skb:kfree_skb (allowed where fentry is
 * not). A packet the chain passed goes on into the stack as an skb; when
 * the kernel frees one received on the chain's interface as dropped (a
 * reason other than NOT_DROPPED_YET and CONSUMED), its frame's bytes, from
 * the Ethernet header on (the linear part, bounded by the snap length), go
 * into that CPU's ring with the reason. The capture's filter is applied by
 * the reader.
 */
#include "chain_dev.h"
#include "kdrop.h"
#include "caprings.h"

struct sk_buff {
	struct net_device *dev;
	unsigned int len, data_len;
	__u16 mac_header;
	int skb_iif;
	unsigned char *head, *data;
} __attribute__((preserve_access_index));

/* what is no drop (the chain's interface: chain_dev.h) */
const volatile __u32 reason_consumed = 0; /* SKB_CONSUMED, 0 where the kernel has none */
const volatile __u32 snaplen = KDROP_MAX_CAPLEN;

/* the record being made, one per CPU (sized to the CPUs before load) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kdrop_rec);
} xdpchain_kdscr SEC(".maps");

/* Whether @skb was received on the chain's interface (and is there still). */
static __always_inline int skb_ours(struct sk_buff *skb)
{
	return BPF_CORE_READ(skb, skb_iif) == (int)chain_ifindex &&
	       dev_ours(BPF_CORE_READ(skb, dev));
}

SEC("raw_tp/kfree_skb")
int xdpchain_kdrop(struct bpf_raw_tracepoint_args *ctx)
{
	struct sk_buff *skb = (void *)ctx->args[0];
	__u32 reason = ctx->args[2], cpu = bpf_get_smp_processor_id();
	__u32 linear, caplen, before;
	unsigned char *head, *data;
	struct kdrop_rec *r;
	__u16 mac;
	void *ring;

	if (!reason || reason == reason_consumed || !skb_ours(skb))
		return 0;
	r = bpf_map_lookup_elem(&xdpchain_kdscr, &cpu);
	ring = bpf_map_lookup_elem(&xdpchain_caprings, &cpu);
	if (!r || !ring)
		return 0;
	head = BPF_CORE_READ(skb, head);
	data = BPF_CORE_READ(skb, data);
	mac = BPF_CORE_READ(skb, mac_header);
	/* the Ethernet header, if the stack set it, lies before data */
	before = mac != (__u16)~0U && head + mac <= data ? data - (head + mac) : 0;
	linear = BPF_CORE_READ(skb, len) - BPF_CORE_READ(skb, data_len) + before;
	caplen = linear < snaplen ? linear : snaplen;
	caplen &= 0xffff; /* the verifier's bound: KDROP_MAX_CAPLEN */
	if (!caplen || bpf_probe_read_kernel(r->data, caplen, before ? head + mac : data))
		return 0;
	r->action = KDROP_ACTION;
	r->ifindex = chain_ifindex;
	r->len = BPF_CORE_READ(skb, len) + before;
	r->caplen = caplen;
	r->reason = reason;
	r->pad = 0;
	r->pkt_id = 0;
	r->ts_ns = bpf_ktime_get_ns();
	bpf_ringbuf_output(ring, r, offsetof(struct kdrop_rec, data) + caplen, BPF_RB_NO_WAKEUP);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
