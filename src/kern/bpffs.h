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

#define TAP_HOOK_PREFIX "tap_hook_"
/* the observer's pins in the state directory (observer.h) */
#define STATS_PIN "stats"
#define ROWS_PIN "rows"
#define OBSERVER_PIN "observer_link"
/* the redirect tracer's (chain/redirects.h) */
#define REDIRECTS_PIN "redirects"
#define REDIRECT_LINK_PIN "redirect_link"
#define REDIRECT_ERR_LINK_PIN "redirect_err_link"
#define STATE_MAGIC 0x78646331 /* "xdc1" */
#define STATE_HOOK_PIN_MAX 248 /* 256 before version 3 */
#define STATE_VERSION 3

#define STATE_MAP_NAME "xdpchain_state"

/*
 * The value of the one-entry array pinned as IFACE/state. The final stage
 * and taps reference the map too (never reading it): that, not their name,
 * is how xdpchain knows its own programs. Version 1 had no ifindex,
 * version 2 no netns: the last 8 bytes of its 256-byte hook_pin (zeros for
 * any pin path that fit the limit it checked) read as netns 0.
 */
struct chain_state {
	__u32 magic;
	__u32 version;
	char hook_pin[STATE_HOOK_PIN_MAX];
	/*
	 * netns__self() of the namespace the interface is in, as the ifindex
	 * means nothing without it; 0 (versions 1-2): the namespace that reads it
	 */
	__u64 netns;
	__s32 ifindex; /* 0 in version 1 */
	__u32 hook_id; /* the map id of the hook xdpchain made; 0 in version 1 */
};

/* The state was written in the network namespace we run in (or is older). */
bool state__is_ours(const struct chain_state *st);

const char *bpffs_root(void);
/*
 * Mounts bpffs at bpffs_root() if nothing is mounted there; refuses (one
 * line naming -n) outside PID 1's mount namespace, where that bpffs would
 * vanish with the command.
 */
int bpffs__ensure(bool *mounted_now);
/* 0, or the refusal bpffs__ensure() would make (bpffs missing, not PID 1's mount namespace). */
int bpffs__check_mountable(void);
bool bpffs__is_mounted(void);

int bpffs__iface_dir(const char *ifname, char *buf, size_t size);
int bpffs__default_hook_pin(const char *ifname, char *buf, size_t size);

/*
 * Checks, changing nothing, the directories a chain's state and hook would
 * be pinned in: <bpffs>/xdp (as bpffs__check_libxdp_dir()), <bpffs>/xdpchain,
 * <bpffs>/xdpchain/IFACE and the directory of @hook_pin (may be NULL),
 * where they exist. 0, or -errno and one line
 * naming the directory, its owner and the fix when one is not a directory
 * owned by root that group and others cannot write, or when there is no
 * bpffs and bpffs__ensure() would refuse to mount one.
 */
int bpffs__check_dirs(const char *ifname, const char *hook_pin);

/*
 * libxdp's directory, <bpffs>/xdp: its dispatchers' pins
 * (dispatch-IFINDEX-ID/) and, by a flock on the directory, its lock, which
 * libxdp waits for without end. Whoever owns it can swap what root pins
 * there; whoever can open it can hold that lock. So it must be as libxdp
 * makes it: a directory owned by root, mode 0700. Checked before every
 * libxdp call that reads or writes those pins: 0, or -errno and one line
 * naming it, its owner and the fix. With @make (before a change), it is
 * created 0700, as libxdp does, when missing, so nobody can make it first,
 * and a root-owned one others may read or enter (but not write) is made
 * 0700; without, nothing is changed.
 */
int bpffs__check_libxdp_dir(bool make);
/*
 * libxdp's lock, taken by xdpchain itself (swap.c, cleanup): the directory
 * checked as above, then flocked, waiting up to @wait_ms. The fd (closing
 * it drops the lock), or -errno and one line; -EBUSY names the holder's pid.
 */
int bpffs__libxdp_lock(int wait_ms);
#define LIBXDP_LOCK_WAIT_MS 10000
/* True if @ifindex's state dirs exist and are root's (quietly). */
bool state__dirs_ours(const char *ifname);

/*
 * Whether root may unlink the pin at @pin: a pin of root's (no link), in a
 * directory as bpffs__check_dirs() wants it. The caller has checked that
 * the object pinned there is the one xdpchain pinned (its id).
 */
bool bpffs__pin_removable(const char *pin);

/*
 * 0 and fills @st if IFACE has state, -ENOENT if not, other -errno on error
 * (directories that are not root's, as bpffs__check_dirs(), included;
 * -EXDEV, one line, when it is another network namespace's: another
 * interface of the same name, whose state is not ours to read or change).
 */
int state__read(const char *ifname, struct chain_state *st);
/* Reads a state map by fd: 0, or -EINVAL if it is not xdpchain state. */
int state__read_fd(int fd, struct chain_state *st);
/* <bpffs>/xdpchain/NAME/state */
int state__pin_path(const char *ifname, char *buf, size_t size);
/*
 * Creates IFACE's directory (and <bpffs>/xdpchain) mode 0700 and a state
 * map naming @hook_pin and @ifindex, pins it, and returns its fd (or
 * -errno); refuses, as bpffs__check_dirs(), directories that are not root's.
 */
int state__write(const char *ifname, int ifindex, const char *hook_pin, __u32 hook_id);
/*
 * Moves <bpffs>/xdpchain/@from (a renamed interface's state) to @to, with
 * the hook pin when it lives there, and records the new pin path.
 */
int state__move(const char *from, const char *to);
/*
 * Records our namespace in the state under @dir if it has none (written
 * before version 3); for state the chain running here is known to use.
 */
void state__claim(const char *dir);
/* Records a new hook (pin and map id) in the state map @fd. */
int state__set_hook(int fd, const char *hook_pin, __u32 hook_id);
/*
 * Removes a state directory (<bpffs>/xdpchain/NAME): its state pin, its
 * taps' hook pins, the directory, and <bpffs>/xdpchain if that is empty.
 * The hook pin, wherever it is, is the caller's to remove. Nothing when
 * the directories are not root's.
 */
void state__remove_dir(const char *dir);

#endif
