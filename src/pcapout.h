/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Capture files: pcap through libpcap's writer, or pcapng (written here:
 * libpcap 1.10 cannot) with each packet's fate in its comment and flags.
 */
#ifndef __XDPCHAIN_PCAPOUT_H
#define __XDPCHAIN_PCAPOUT_H

#include <stdbool.h>
#include <linux/types.h>

struct pcap_out;

/* @path "-" is stdout. */
int pcapout__open(struct pcap_out **out, const char *path, bool pcapng, __u32 snaplen,
		  const char *ifname);
/* @ts_ns: wall clock; @stage: where in the chain (NULL: after the chain). */
int pcapout__write(struct pcap_out *o, __u64 ts_ns, const void *data, __u32 caplen, __u32 len,
		   __u32 action, const char *stage);
void pcapout__close(struct pcap_out *o);

#endif
