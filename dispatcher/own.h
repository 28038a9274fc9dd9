/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What makes a program xdpchain's own (the final stage, a tap): it uses the
 * interface's state map, which only xdpchain creates and pins (src/bpffs.h).
 * The map stands in for it here and is replaced by the pinned one before
 * load; the program refers to it behind a test on a read-only constant,
 * which the verifier proves false and drops, so it costs nothing per packet
 * while the kernel still lists the map among the program's maps.
 */
#ifndef __XDPCHAIN_OWN_H
#define __XDPCHAIN_OWN_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 272); /* struct chain_state */
	__uint(max_entries, 1);
} xdpchain_state SEC(".maps");

const volatile __u32 xdpchain_never = 0;

static __always_inline void xdpchain_mark_own(void)
{
	__u32 key = 0;

	if (xdpchain_never)
		bpf_map_lookup_elem(&xdpchain_state, &key);
}

#endif
