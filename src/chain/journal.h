/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * apply's journal: an apply over several interfaces switches them one by
 * one (a kernel attach each), so a kill between two switches would leave
 * some interfaces on the new chain and some on the old. Before each switch
 * the journal in LOCK_DIR (root's only) records the interface, the
 * dispatcher it ran and the one about to replace it; the old dispatchers
 * stay pinned (struct swap_kept) until every interface switched. The
 * journal goes when the apply committed (every switch done) or rolled
 * back. Finding one, the next run that takes the chain lock (any change,
 * apply --dry-run, cleanup) finishes that apply: all interfaces on their
 * new dispatcher: it stays (the old pins are leftovers); else every
 * interface gets its old dispatcher back (same programs).
 *
 *   LOCK_DIR/apply.journal.NETNS
 *                            "expect N" (switches the apply makes), then one per switch:
 *                            "switch IFINDEX OLD_ID NEW_ID FLAGS IFNAME",
 *                            then "made PATH" per pin the change made
 *
 * ifindexes are per network namespace (netns.h): each namespace has its
 * journal (NETNS: netns__self() in hex), finished only by a run in that
 * namespace; while it waits, the dispatchers it names are kept from
 * cleanup in any namespace (journal__keeps). A journal whose namespace is
 * gone is dropped: its interfaces went with it, its pins are leftovers.
 */
#ifndef __XDPCHAIN_JOURNAL_H
#define __XDPCHAIN_JOURNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define JOURNAL_NAME "apply.journal"
#define JOURNAL_MAX_MADE 4 /* "made" lines read back per switch; txn.c asserts TXN_MAX_MADE fits */

struct notes;

/* One switch about to be made: what a killed run's successor needs to undo it. */
struct journal_switch {
	int ifindex;
	const char *ifname;
	__u32 old_id, new_id; /* the dispatcher running, the one replacing it */
	__u32 flags; /* the attach mode's XDP_FLAGS_* */
	const char (*made)[PATH_MAX]; /* pins the change made for it, n_made of them */
	size_t n_made;
	const char *state_dir; /* a state directory it made, or "" */
};

/*
 * After a rollback, for each interface put back: brings the chain's
 * records and observer in line with the dispatcher running again (txn.c).
 */
typedef void (*journal_settle_fn)(const char *ifname, struct notes *notes);

/*
 * This run's apply starts (under the chain lock) and means to switch
 * @expect interfaces: nothing written yet.
 */
void journal__begin(size_t expect);
/*
 * Before switch @s: adds it to the journal and writes the journal whole
 * (renamed into place). 0 or -errno (err_set()).
 */
int journal__note(const struct journal_switch *s);
/* The apply committed or rolled back: the journal goes. */
void journal__end(void);
/*
 * Under the chain lock, outside this run's own apply: completes or rolls
 * back the apply a journal left (see above), with a note in @notes;
 * @settle runs for each interface rolled back.
 */
void journal__recover(struct notes *notes, journal_settle_fn settle);
/*
 * A journal still waiting (of any namespace) names dispatcher @id at
 * @ifindex, to put back or to keep: its pins are not leftovers.
 */
bool journal__keeps(int ifindex, __u32 id);

#endif
