/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A capture's kernel drops (capture --kernel-drops): packets the chain
 * passed that the kernel then freed as dropped, copied by
 * dispatcher/kdrop.bpf.c from the skb:kfree_skb tracepoint into the
 * capture's per-CPU rings. Each record is laid out as the capture's record
 * header (src/capture/capture.h's struct capture_meta, checked there) and
 * the frame's bytes from its Ethernet header on.
 */
#ifndef __XDPCHAIN_KDROP_H
#define __XDPCHAIN_KDROP_H

#include <linux/types.h>

#define KDROP_ACTION 0xfcU /* capture_meta.action of a kernel drop */
/* the most bytes copied of one frame: the capture's own limit (CAPTURE_MAX_CAPLEN) */
#define KDROP_MAX_CAPLEN 65535

struct kdrop_rec {
	__u64 ts_ns;
	__u32 action; /* KDROP_ACTION */
	__u32 ifindex; /* the chain's interface */
	__u32 len; /* the frame, from its Ethernet header, all fragments */
	__u32 caplen; /* bytes that follow: the linear part, at most the snap length */
	__u32 reason; /* the kernel's enum skb_drop_reason */
	__u32 pad;
	__u64 pkt_id; /* 0: not known */
	__u8 data[KDROP_MAX_CAPLEN + 1];
};

#endif
