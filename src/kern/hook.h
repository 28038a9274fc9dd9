/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The xdpcap hook: a BPF_MAP_TYPE_PROG_ARRAY with one slot per XDP action,
 * the protocol of cloudflare/xdpcap's hook.h and of bpf/xdpchain.h.
 */
#ifndef __XDPCHAIN_HOOK_H
#define __XDPCHAIN_HOOK_H

#include <stdbool.h>
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

/*
 * A capture program is known by its id, recorded in its hook's lock
 * (lock.h, LOCK_HOOK_FMT) before it goes into a slot, never by its name,
 * which any program may carry. Records program @id in the hook lock open
 * as @lock_fd (held): 0 or -EIO with err_set().
 */
int hook__record_prog(int lock_fd, __u32 id);
/* Whether the hook lock open as @lock_fd records program @id. */
bool hook__recorded(int lock_fd, __u32 id);
/* Clears the slots holding programs the last capture of @lock_fd's hook recorded. */
int hook__clear_recorded(int hook_fd, int lock_fd);
/*
 * Removes capture programs of xdpchain from @hook_fd's slots when no
 * capture holds the hook's lock: what a killed capture left behind.
 * Returns how many were cleared, or -errno.
 */
int hook__clear_stale(int hook_fd);
/*
 * Whether program @prog_id in a slot of hook @hook_id is one a capture
 * that is gone put there (it recorded the id; no capture holds the lock).
 */
bool hook__left_prog(__u32 hook_id, __u32 prog_id);
/*
 * Removes the lock files of hook maps that are gone (a capture killed with
 * SIGKILL leaves its file) and that nobody holds, calling @on_removed for
 * each. Returns how many, or -errno with err_set().
 */
int hook__remove_stale_locks(void (*on_removed)(const char *path, void *ctx), void *ctx);

#endif
