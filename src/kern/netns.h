/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Network namespaces: `xdpchain -n NETNS` (as `ip -n`) joins the network
 * namespace /run/netns/NETNS and keeps its mount namespace, so the chain's
 * pins go to the bpffs everybody else sees. bpffs is shared by every
 * network namespace of a mount namespace, and ifindexes are per network
 * namespace: what xdpchain keeps there records the namespace it belongs to
 * (netns__self()), and what libxdp keeps (dispatch-IFINDEX-ID, no
 * namespace) is a leftover only when no namespace runs its dispatcher.
 */
#ifndef __XDPCHAIN_NETNS_H
#define __XDPCHAIN_NETNS_H

#include <stdbool.h>
#include <linux/types.h>

/* Joins /run/netns/@name (network namespace only): 0 or -errno, one line. */
int netns__enter(const char *name);

/*
 * The id of the network namespace we run in: its cookie (SO_NETNS_COOKIE,
 * Linux 5.14+, never reused while the machine runs, as long as bpffs
 * lives), else its nsfs inode number; 0 when neither can be read.
 */
__u64 netns__self(void);

/*
 * This mount namespace is PID 1's (or there is no /proc to tell): a bpffs
 * mounted in another (ip netns exec, unshare -m) vanishes with it. False
 * also when PID 1's namespaces are out of our reach (EACCES: a container).
 */
bool netns__mount_is_init(void);

/*
 * Calls @fn in each other network namespace found (the names in /run/netns, nsfs
 * bind mounts in our mount table, /proc/PID/ns/net of every process),
 * coming back to ours after each; stops at the first @fn that returns
 * non-zero and returns that, else 0. A namespace nothing of those holds
 * is not found.
 */
int netns__each_other(int (*fn)(void *ctx), void *ctx);

/* This network namespace's inode (as the kernel's net->ns.inum), 0 if unknown. */
__u32 netns__inum(void);
/* A network namespace of netns__self() @id is found (ours included). */
bool netns__exists(__u64 id);

#endif
