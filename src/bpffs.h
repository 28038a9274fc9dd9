/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * xdpchain's own state on bpffs, beside libxdp's pins:
 *   <bpffs>/xdpchain/IFACE/xdpcap_hook   the shared hook map (default pin)
 *   <bpffs>/xdpchain/IFACE/state         one-entry array: where the hook is
 *                                        pinned, when --hook-pin chose a path
 *   <bpffs>/xdpchain/IFACE/tap_hook_ID   the hook of a capture's tap
 * <bpffs> is $LIBXDP_BPFFS or /sys/fs/bpf, as for libxdp.
 */
#ifndef __XDPCHAIN_BPFFS_H
#define __XDPCHAIN_BPFFS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define STATE_MAGIC 0x78646331 /* "xdc1" */
#define STATE_HOOK_PIN_MAX 256

struct chain_state {
	__u32 magic;
	__u32 version;
	char hook_pin[STATE_HOOK_PIN_MAX];
};

const char *bpffs_root(void);
/* Mounts bpffs at bpffs_root() if nothing is mounted there. */
int bpffs__ensure(bool *mounted_now);
bool bpffs__is_mounted(void);

int bpffs__iface_dir(const char *ifname, char *buf, size_t size);
int bpffs__default_hook_pin(const char *ifname, char *buf, size_t size);

/*
 * Checks, changing nothing, the directories a chain's state and hook would
 * be pinned in: <bpffs>/xdpchain, <bpffs>/xdpchain/IFACE and the directory
 * of @hook_pin (may be NULL), where they exist. 0, or -errno and one line
 * naming the directory, its owner and the fix when one is not a directory
 * owned by root that group and others cannot write.
 */
int bpffs__check_dirs(const char *ifname, const char *hook_pin);

/*
 * 0 and fills @st if IFACE has state, -ENOENT if not, other -errno on error
 * (directories that are not root's, as bpffs__check_dirs(), included).
 */
int state__read(const char *ifname, struct chain_state *st);
/*
 * Creates IFACE's directory (and <bpffs>/xdpchain) mode 0700 and pins a
 * state map naming @hook_pin; refuses, as bpffs__check_dirs(), directories
 * that are not root's.
 */
int state__write(const char *ifname, const char *hook_pin);
/*
 * Removes IFACE's state pin and directory (and <bpffs>/xdpchain if empty);
 * nothing when they are not root's.
 */
void state__remove(const char *ifname);

#endif
