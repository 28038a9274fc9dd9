/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A change to one interface's chain as a transaction:
 *
 *	txn__begin()   take xdpchain's lock, read the chain (the plan's input)
 *	txn__pin() ... make what the new chain needs; each pin is logged
 *	txn__attach() / txn__detach() / txn__detach_all() / txn__swap()
 *	               the one step the kernel sees: swap.c (on chains of
 *	               xdpchain's dispatcher object; its observer joins
 *	               first) or libxdp replaces the dispatcher (or detaches
 *	               it) in a single operation
 *	txn__end(err)  on failure, remove what was made, in reverse; on
 *	               success, remove what the old chain no longer needs
 *	               (txn__drop_state()); unlock
 *
 * So a failure at any step leaves the interface and bpffs as they were,
 * and a kill before the kernel step leaves only pins the next command's
 * leftover scan recognises.
 */
#ifndef __XDPCHAIN_TXN_H
#define __XDPCHAIN_TXN_H

#include "chain.h"
#include "members.h"
#include "swap.h"

#define TXN_MAX_MADE 6 /* state, hook, stats, rows, cost, cost_base */

struct observer_next;

/*
 * A switch txn__swap() made with t->keep_old: the old dispatcher stays
 * pinned (its members linked, its observer attached) until the change is
 * committed, so it can be put back (apply over several interfaces).
 */
struct swap_kept {
	bool armed;
	__u32 old_id, new_id; /* dispatchers (old 0: the interface had none) */
	size_t n_old, n_new; /* their members */
	__u32 flags; /* the attach mode's XDP_FLAGS_* */
	struct observer_next *obs; /* the new dispatcher's, old link kept open */
};

struct chain_txn {
	int lock;
	struct chain c; /* as read under the lock */
	struct xdp_multiprog *mp;
	char made[TXN_MAX_MADE][PATH_MAX]; /* pins this transaction made */
	size_t n_made;
	char made_state_dir[PATH_MAX]; /* a state directory it made */
	int state_fd; /* the interface's state map, once txn__state() ran */
	bool drop_state; /* on success: the chain is gone, its state goes too */
	bool changed; /* the kernel step ran: the observer follows on success */
	bool observed; /* ... unless it came with the new dispatcher (txn__swap()) */
	__u32 new_ids[CHAIN_MAX_PROGS]; /* txn__attach(): the programs' ids, in order */
	bool keep_old; /* txn__swap() keeps the old dispatcher: see struct swap_kept */
	struct swap_kept kept;
	struct notes *notes; /* what the change has to tell the operator (NULL: dropped) */
};

/* @notes gets what the change, the journal and the observer have to say. */
int txn__begin(struct chain_txn *t, const char *ifname, struct notes *notes);
/* Pins @fd at @path, which must not exist; undone if the transaction fails. */
int txn__pin(struct chain_txn *t, int fd, const char *path, const char *what);
/*
 * The interface's state map (fd kept in t->state_fd): the one read, or a
 * new one recording @hook_pin and @hook_id, removed if the transaction fails.
 */
int txn__state(struct chain_txn *t, const char *hook_pin, __u32 hook_id);
/* Where the interface's state lives: the directory read, or the one made. */
const char *txn__state_dir(const struct chain_txn *t);
/*
 * The chain's stats map (observer.h): the pinned one, or a new one (with
 * its rows map) pinned through the transaction. Returns an fd or -errno.
 */
int txn__stats_map(struct chain_txn *t);
/*
 * The cost maps (cost, cost_base) beside the chain's counters, created and
 * pinned under the transaction's undo where the counters are and they are
 * not (a chain an older xdpchain made); 0 or -errno (err_set()).
 */
int txn__cost_maps(struct chain_txn *t);
/*
 * After a change libxdp made, or for a chain found without one (cleanup):
 * reads the chain again and, if it runs xdpchain's dispatcher, attaches a
 * new observer (observer__attach()) with the transaction's state map.
 */
int txn__observe(struct chain_txn *t);
struct observer_at;
/* The observer's view of the transaction: interface, state directory, state map. */
void txn__observer_at(struct chain_txn *t, struct observer_at *at);
/*
 * Adds @progs (their ids in t->new_ids after). A chain on xdpchain's
 * dispatcher object gets its new dispatcher from txn__swap(), observed from
 * its first packet (a final stage in @progs takes the running one's
 * place); others, and the first programs of an interface, from libxdp.
 */
int txn__attach(struct chain_txn *t, struct xdp_program **progs, size_t n,
		enum xdp_attach_mode mode);

/*
 * Replaces the running dispatcher with one running exactly @m (sorted here
 * into libxdp's order) in one step, however many members leave or come
 * (swap.c). On a chain with xdpchain's final stage and state, a new
 * observer is attached to the new dispatcher before it runs. Nothing
 * changes if it fails.
 */
int txn__swap(struct chain_txn *t, struct swap_member *m, size_t n, enum xdp_attach_mode mode);
/*
 * With t->keep_old, after txn__swap(): txn__swap_commit() lets the old
 * dispatcher go (its pins, its observer); txn__unswap() puts it back in
 * place of the new one (same dispatcher, same member programs, its
 * observer), removes the new one's pins and records. txn__end() commits
 * on success and puts back on failure what is still kept.
 */
void txn__swap_commit(struct chain_txn *t);
int txn__unswap(struct chain_txn *t);
/*
 * Whether txn__attach() and txn__detach() change the chain read in one
 * switch of xdpchain's dispatcher object (swap.c), not through libxdp.
 */
bool txn__swaps(const struct chain_txn *t);
/* Whether new chains get xdpchain's dispatcher object (txn__swap()), not libxdp's. */
bool txn__own_object(void);
/* Detaches the members at @idx (indexes into t->c.progs); as txn__attach(). */
int txn__detach(struct chain_txn *t, const size_t *idx, size_t n);
/* Detaches the whole dispatcher (or single program) that was read. */
int txn__detach_all(struct chain_txn *t);
/* On success, remove the chain's state, its hook pin (if ours) and taps' pins. */
void txn__drop_state(struct chain_txn *t);
/* Ends the transaction: undo if @err, else commit. Returns @err. */
int txn__end(struct chain_txn *t, int err);

/* libxdp's message for a libxdp/libbpf error code. */
void libxdp_msg(int err, char *buf, size_t size);

#endif
