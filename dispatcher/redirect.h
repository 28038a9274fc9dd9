/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Where redirected packets went: a per-CPU hash the redirect tracer
 * (dispatcher/redirect.bpf.c) counts in, one entry per deciding member,
 * target and outcome. Pinned as <bpffs>/xdpchain/IFACE/redirects; kept
 * apart from stats.h so the per-member counters keep their layout.
 */
#ifndef __XDPCHAIN_REDIRECT_H
#define __XDPCHAIN_REDIRECT_H

#include <linux/types.h>

#define REDIRECTS_MAP_NAME "xdpchain_redir"
#define REDIRECTS_MAX 1024 /* targets x outcomes x members; more are not counted */

struct redirect_key {
	__u32 prog; /* the member that returned XDP_REDIRECT (program id), 0: not known */
	__u32 ifindex; /* the target device; 0: a map entry without one (cpumap, xskmap) */
	__u32 map_id; /* 0: bpf_redirect() to an ifindex */
	__u32 key; /* the map's key */
	__s32 err; /* 0: sent (handed to the target), else -errno */
	__u32 pad;
};

/*
 * What the capture's redirect note (dispatcher/redirect_note.bpf.c) puts
 * in the CPU's ring right after a redirected packet the capture copied:
 * laid out as the capture's record header (src/capture/capture.h's struct
 * capture_meta, checked there), with no packet bytes.
 */
#define NOTE_ACTION 0xfeU /* capture_meta.action of a note */
#define NOTE_TAKEN 0xfdU /* the scratch record's action once its note went out */

struct redirect_note {
	__u64 ts_ns;
	__u32 action; /* NOTE_ACTION */
	__u32 ifindex; /* the target device, 0: none */
	__u32 len, caplen; /* 0 */
	__s32 err; /* 0: sent, else -errno */
	__u32 map_id; /* 0: bpf_redirect() */
	__u64 key; /* the map's key */
};

#endif
