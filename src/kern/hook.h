/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The xdpcap hook: a BPF_MAP_TYPE_PROG_ARRAY with one slot per XDP action,
 * the protocol of cloudflare/xdpcap's hook.h and of bpf/xdpchain.h.
 */
#ifndef __XDPCHAIN_HOOK_H
#define __XDPCHAIN_HOOK_H

#include <linux/types.h>

struct bpf_map;

#include "xdp_action.h"

#define HOOK_SLOTS XDP_ACTION_COUNT
#define XDPCAP_HOOK_MAP "xdpcap_hook" /* the map name, as in bpf/xdpchain.h */

/*
 * Creates an unpinned hook map and makes a plain XDP program with
 * expected_attach_type 0 and no frags its owner, the combination both
 * dispatcher members and xdpcap's filters have. Returns an fd or -errno.
 */
int hook__create(void);
/* Opens the hook pinned at @pin and checks its shape. Returns fd or -errno. */
int hook__open(const char *pin);
/* Checks a map definition in an object before it is swapped for the hook. */
int hook__check_def(const struct bpf_map *map, const char *file);
/* Program ids in each slot (0: empty). */
int hook__slots(int fd, __u32 ids[HOOK_SLOTS]);
/* Map id of an open fd, or 0. */
__u32 hook__id(int fd);

#endif
