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

#include <stdbool.h>
#include <linux/types.h>

#define JOURNAL_NAME "apply.journal"

struct chain_txn;
struct notes;

/*
 * This run's apply starts (under the chain lock) and means to switch
 * @expect interfaces: nothing written yet.
 */
void journal__begin(size_t expect);
/*
 * Before @t's switch to dispatcher @new_id: adds it to the journal and
 * writes the journal whole (renamed into place). 0 or -errno (err_set()).
 */
int journal__note(const struct chain_txn *t, __u32 new_id, __u32 flags);
/* The apply committed or rolled back: the journal goes. */
void journal__end(void);
/*
 * Under the chain lock, outside this run's own apply: completes or rolls
 * back the apply a journal left (see above), with a line on stderr.
 */
void journal__recover(struct notes *notes);
/*
 * A journal still waiting (of any namespace) names dispatcher @id at
 * @ifindex, to put back or to keep: its pins are not leftovers.
 */
bool journal__keeps(int ifindex, __u32 id);

#endif
