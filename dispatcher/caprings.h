/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A capture's rings, one per CPU, as src/capture/capture.c creates them:
 * a program that writes records into a running capture (kdrop.bpf.c,
 * redirect_note.bpf.c) includes this for its declaration, and the capture
 * hands its own map in (bpf_map__reuse_fd) before the load.
 */
#ifndef __XDPCHAIN_CAPRINGS_H
#define __XDPCHAIN_CAPRINGS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(
		values, struct {
			__uint(type, BPF_MAP_TYPE_RINGBUF);
			__uint(max_entries, 4096);
		});
} xdpchain_caprings SEC(".maps");

#endif
