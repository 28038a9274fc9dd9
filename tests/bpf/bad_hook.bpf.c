// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Test fixture: an XDP program whose map is named like the xdpcap hook but
 * has the wrong shape (a hash, 8-byte values). xdpchain replaces a map of
 * that name by the shared pinned hook, so it must check the shape first and
 * refuse this object; reusing the pinned prog array here would either fail
 * with an obscure load error or silently change what the program does.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u64));
	__uint(max_entries, 5);
} xdpcap_hook SEC(".maps");

SEC("xdp")
int xdp_test_bad_hook(struct xdp_md *ctx)
{
	__u32 key = XDP_PASS;
	__u64 *v;

	/* A real use, so the map is not dropped as unreferenced. */
	v = bpf_map_lookup_elem(&xdpcap_hook, &key);
	if (v && *v)
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
