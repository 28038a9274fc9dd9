/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Record layout shared by hook_probe.bpf.c and tests/helpers/hook_probe.c,
 * so the two cannot drift apart.
 */
#ifndef __XDPCHAIN_TESTS_HOOK_PROBE_H
#define __XDPCHAIN_TESTS_HOOK_PROBE_H

#include <linux/types.h>

/* Enough for every header the tests look at; pcap records say the rest. */
#define HOOK_PROBE_SNAPLEN 256

/* Indexes into the hook_probe_counts array map. */
enum hook_probe_counter {
	HOOK_PROBE_SEEN, /* packets that reached the slot */
	HOOK_PROBE_LOST, /* of those, not recorded: ring buffer full */
	HOOK_PROBE_NR_COUNTERS,
};

struct hook_probe_pkt {
	__u32 len; /* length of the whole frame */
	__u32 caplen; /* bytes of it in data[] */
	__u8 data[HOOK_PROBE_SNAPLEN];
};

#endif
