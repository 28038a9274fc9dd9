/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The observer: per-member counters and stage attribution on chains that
 * run xdpchain's dispatcher (dispatcher/observer.bpf.c). Every change builds
 * a new dispatcher, so every change attaches a fresh observer to it, with
 * the members' slots as constants: swap.c before the new dispatcher runs
 * (observer__prepare() and on), or, where libxdp built it, after
 * (observer__attach()). The counters live in the pinned stats map, in rows
 * that follow each member.
 *
 *   <bpffs>/xdpchain/IFACE/stats          per-CPU counters, fate of the packet at hand
 *   <bpffs>/xdpchain/IFACE/rows           program id and baseline per counter row
 *   <bpffs>/xdpchain/IFACE/observer_link  the observer's freplace link
 */
#ifndef __XDPCHAIN_OBSERVER_H
#define __XDPCHAIN_OBSERVER_H

#include <stdbool.h>
#include <linux/types.h>

#include "bpffs.h"
#include "chain.h"
#include "xdp_action.h"

struct prog_stats {
	bool valid; /* the program has a counter row */
	__u64 pkts[XDP_ACTION_COUNT];
	/* cost sampling: nanoseconds the program ran on timed packets, and how many */
	__u64 cost_ns, cost_samples;
};

/*
 * Where an observer counts: the interface, its state directory and its
 * state map (open; the transaction that makes them owns them).
 */
struct observer_at {
	const char *ifname;
	struct notes *notes; /* what an undo could not put back (notes.h) */
	const char *state_dir;
	int state_fd;
};

/* The stats map pinned in @state_dir: an fd, or -errno (-ENOENT: none yet). */
int observer__open_stats(const char *state_dir);
/* New, empty stats and rows maps for the caller to pin: 0 or -errno (err_set()). */
int observer__create_maps(int *stats_fd, int *rows_fd);
/* Where @state_dir keeps the stats map (@rows: the rows map); 0 or -ENAMETOOLONG. */
int observer__pin_path(const char *state_dir, bool rows, char *path, size_t size);

/* Whether chain @c runs xdpchain's dispatcher with its final stage and state. */
bool observer__wanted(const struct chain *c);
/*
 * After a change libxdp made, or for a chain found without one (cleanup):
 * for @c (read after the change, observer__wanted()) with its state map
 * @state_fd, gives every member a counter row and attaches a new observer
 * to the dispatcher in place of the old one.
 */
int observer__attach(const struct chain *c, int state_fd);

/*
 * An observer for a dispatcher that does not run yet (swap.c builds it),
 * attached before that dispatcher replaces the running one: the first
 * packet it ends is counted and handed to the hook. The steps:
 *
 *	observer__prepare()  after the members are linked: loads the observer
 *	                     and attaches it to @disp_fd; changes nothing
 *	                     that runs, nothing on bpffs
 *	observer__arm()      right before the switch: the counter rows follow
 *	                     the new slots, the observer's pin holds the new
 *	                     link (the old observer runs on, by its open link)
 *	observer__end(ok)    after it: on failure rows and pin are put back
 *	                     as they were and the new observer goes
 */
struct observer_next;
struct swap_member;

/*
 * @m: the new dispatcher's members, in slot order, new_id set. *@out stays
 * NULL when there is nothing to observe (no final stage, no state). 0 or
 * -errno (err_last()), nothing changed then.
 */
int observer__prepare(const struct observer_at *at, const struct swap_member *m, size_t n,
		      int disp_fd, struct observer_next **out);
/* 0 or -errno; on failure as before (observer__disarm()). */
int observer__arm(struct observer_next *o);
/* Puts back what observer__arm() changed. */
void observer__disarm(struct observer_next *o);
/* Frees @o (NULL: nothing); !@ok: observer__disarm() first. */
void observer__end(struct observer_next *o, bool ok);

/*
 * XDPCHAIN_COST_EVERY, the cost sampling every change gives the chain
 * (one packet in N timed per member, 0 off; unset: what the chain had,
 * COST_EVERY_DEFAULT for a new one): 0 and *@every, -ENOENT when unset,
 * -EINVAL (err_set()) when not 0 or a power of two up to COST_EVERY_MAX.
 */
#define COST_ENV "XDPCHAIN_COST_EVERY"
int observer__cost_env(__u32 *every);
/*
 * Whether the next dispatcher of the chain whose state is in @state_dir
 * samples cost: XDPCHAIN_COST_EVERY when set, else the chain's setting.
 */
bool observer__cost_wanted(const char *state_dir);
/* The chain's cost sampling (one in *@every packets; 0 off); 0 or -errno. */
int observer__cost_every(const struct chain *c, __u32 *every);

/* Per member (in c->progs order) counts since it joined; 0 or -errno. */
int observer__read(const struct chain *c, struct prog_stats *out);

#endif
