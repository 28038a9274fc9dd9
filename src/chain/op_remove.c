// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* remove and flush: programs out of an interface's chain, as one transaction. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "ops_internal.h"

/* Removes the program @target of the chain read in @t (with what leaves with it). */
int remove_prog(struct chain_txn *t, const struct chain_prog *target)
{
	size_t idx[CHAIN_MAX_PROGS], n;
	int err;

	n = chain__remove_set(&t->c, target - t->c.progs, idx);
	if (n == t->c.n) {
		/* nothing left: the whole dispatcher goes, as it was read */
		err = txn__detach_all(t);
		if (!err)
			txn__drop_state(t);
		return err;
	}
	return txn__detach(t, idx, n);
}

static int remove_in(struct chain_txn *t, const char *sel, struct chain_prog *removed)
{
	const struct chain *c = &t->c;
	const struct chain_prog *target;
	int err;

	if (c->kind == CHAIN_NONE)
		return err_set(-ENOENT, "no XDP program is attached to %s", c->ifname);
	if (c->kind == CHAIN_SINGLE) {
		__u32 id;

		if (strcmp(sel, c->main_name) && (parse_id(sel, &id) || id != c->main_id))
			return err_set(-ENOENT, "no program '%s' on %s; it runs only '%s' (id %u)",
				       sel, c->ifname, c->main_name, c->main_id);
		err = txn__detach_all(t);
		if (err)
			return err;
		if (removed) {
			memset(removed, 0, sizeof(*removed));
			snprintf(removed->name, sizeof(removed->name), "%s", c->main_name);
			removed->id = c->main_id;
		}
		txn__drop_state(t);
		return 0;
	}
	target = chain__find(c, sel);
	if (!target)
		return err_set(-ENOENT,
			       "no program '%s' in the chain on %s; see 'xdpchain status %s'", sel,
			       c->ifname, c->ifname);
	if (target->is_final)
		return err_set(
			-EPERM,
			"'%s' is xdpchain's final stage: it leaves with the last program; use 'xdpchain flush %s' to remove everything",
			sel, c->ifname);
	if (removed)
		*removed = *target;
	return remove_prog(t, target);
}

int chain__remove(const char *ifname, const char *sel, struct chain_prog *removed,
		  struct notes *notes)
{
	struct chain_txn t;
	int err;

	err = txn__begin(&t, ifname, notes);
	if (!err)
		err = remove_in(&t, sel, removed);
	return txn__end(&t, err);
}

int chain__flush(const char *ifname, size_t *n_removed, size_t *n_cleaned, struct notes *notes)
{
	struct chain_txn t;
	int err;

	*n_removed = *n_cleaned = 0;
	err = txn__begin(&t, ifname, notes);
	if (!err)
		err = txn__detach_all(&t);
	if (!err) {
		if (t.c.kind != CHAIN_NONE)
			*n_removed = t.c.kind == CHAIN_SINGLE ? 1 : t.c.n;
		txn__drop_state(&t);
		for (size_t i = 0; i < t.c.n_leftovers; i++)
			if (t.c.leftovers[i].kind != LEFTOVER_STALE_TAP &&
			    !leftover__remove(&t.c.leftovers[i]))
				(*n_cleaned)++;
	}
	return txn__end(&t, err);
}
