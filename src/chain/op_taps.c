// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Taps (a capture's member right after a program of the chain) and
 * repair (stale taps out, the observer back), each one transaction.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "feature.h"
#include "log.h"
#include "observer.h"
#include "ops_internal.h"
#include "tap.skel.h"

static int add_tap_in(struct chain_txn *t, const char *after, int hook_fd, struct chain_tap *tap,
		      struct notes *notes)
{
	const struct chain_prog *target;
	struct own_prog own = {};
	const void *elf;
	size_t size = 0;
	int state_fd, err;
	long prio;

	err = drop_stale_taps(t, notes);
	if (err)
		return err;
	if (t->c.kind != CHAIN_DISPATCHER || !chain__final(&t->c))
		return err_set(
			-ENOENT,
			"%s has no xdpchain chain to tap; add programs with 'xdpchain add %s prog.o'",
			t->c.ifname, t->c.ifname);
	target = chain__find(&t->c, after);
	if (!target || target->is_final || target->is_tap)
		return err_set(
			-ENOENT,
			"--after %s: no such program in the chain on %s; see 'xdpchain status %s'",
			after, t->c.ifname, t->c.ifname);
	snprintf(tap->after, sizeof(tap->after), "%s", target->name);
	if (t->c.n + 1 > CHAIN_MAX_PROGS)
		return err_set(
			-E2BIG,
			"no slot left for a tap on %s: the dispatcher runs at most %d programs; remove one or capture after the whole chain",
			t->c.ifname, CHAIN_MAX_PROGS);
	prio = chain__tap_prio(&t->c, target - t->c.progs);
	if (prio < 0)
		return err_set(
			-ERANGE,
			"cannot place a tap right after %s (priority %u): the next program has the same or the next priority; re-add one of them with a priority gap",
			target->name, target->prio);

	if (snprintf(tap->pin, sizeof(tap->pin), "%s/" TAP_HOOK_PREFIX "%u", t->c.state_dir,
		     hook__id(hook_fd)) >= (int)sizeof(tap->pin))
		return err_set(-ENAMETOOLONG, "tap hook path under %s is too long", t->c.state_dir);
	err = txn__pin(t, hook_fd, tap->pin, "the tap's hook");
	if (err)
		return err;
	state_fd = txn__state(t, NULL, 0);
	if (state_fd < 0)
		return state_fd;
	elf = tap_bpf__elf_bytes(&size);
	err = own_prog__make(&own, elf, size, TAP_NAME, hook_fd, state_fd, -1, prio);
	if (!err)
		err = txn__attach(t, &own.prog, 1, t->c.mode);
	if (!err)
		tap->prog_id = t->new_ids[0];
	else
		explain_attach_error(err, TAP_NAME, &(struct chain_add_opts){ .file = "xdpchain" });
	own_prog__free(&own);
	return err;
}

int chain__add_tap(const char *ifname, const char *after, int hook_fd, struct chain_tap *tap,
		   struct notes *notes)
{
	struct chain_txn t;
	int err;

	memset(tap, 0, sizeof(*tap));
	err = features__require_freplace();
	if (err)
		return err;
	err = txn__begin(&t, ifname, notes);
	if (!err)
		err = add_tap_in(&t, after, hook_fd, tap, notes);
	err = txn__end(&t, err);
	if (err)
		tap->pin[0] = '\0';
	return err;
}

void chain__remove_tap(const char *ifname, struct chain_tap *tap, struct notes *notes)
{
	const struct chain_prog *p = NULL;
	struct chain_txn t;
	int err;

	if (tap->prog_id) {
		err = txn__begin(&t, ifname, notes);
		for (size_t i = 0; !err && i < t.c.n; i++)
			if (t.c.progs[i].id == tap->prog_id && t.c.progs[i].is_tap)
				p = &t.c.progs[i];
		/* gone only when the chain went away, and the tap with it */
		if (!err && p)
			err = remove_prog(&t, p);
		if (err)
			pr_debug("tap (id %u) not removed from %s: %s\n", tap->prog_id, ifname,
				 err_last());
		txn__end(&t, err);
		tap->prog_id = 0;
	}
	if (tap->pin[0])
		unlink(tap->pin);
	tap->pin[0] = '\0';
}

int chain__repair(const char *ifname, size_t *n_taps, bool *observer, struct notes *notes)
{
	struct chain_txn t;
	size_t before;
	int err;

	*n_taps = 0;
	*observer = false;
	err = txn__begin(&t, ifname, notes);
	before = t.c.n;
	if (!err)
		err = drop_stale_taps(&t, notes);
	if (!err) {
		*n_taps = before - t.c.n;
		if (t.c.own_dispatcher && t.c.managed && !t.c.observed) {
			err = txn__observe(&t);
			*observer = !err;
		}
	}
	return txn__end(&t, err);
}
