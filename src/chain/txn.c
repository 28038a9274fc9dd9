// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpffs.h"
#include "chain.h"
#include "dispatcher.h"
#include "journal.h"
#include "lock.h"
#include "members.h"
#include "mprog.h"
#include "log.h"
#include "notes.h"
#include "xdp_action.h"
#include "observer.h"
#include "txn.h"

#define LOCK_TIMEOUT_MS 10000

_Static_assert(TXN_MAX_MADE <= JOURNAL_MAX_MADE, "apply's journal records every pin a switch made");

void libxdp_msg(int err, char *buf, size_t size)
{
	if (libxdp_strerror(err, buf, size))
		snprintf(buf, size, "%s", strerror(-err));
}

/*
 * journal.c's settle step, for each interface an interrupted apply's
 * rollback put back: records of programs that never ran go, the observer
 * comes back.
 */
static void txn_settle(const char *ifname, struct notes *notes)
{
	struct chain_txn t;
	__u32 ids[CHAIN_MAX_PROGS];

	memset(&t, 0, sizeof(t));
	t.state_fd = t.lock = -1;
	t.notes = notes;
	if (chain__read(ifname, &t.c))
		return;
	for (size_t i = 0; i < t.c.n; i++)
		ids[i] = t.c.progs[i].id;
	if (t.c.managed)
		members__prune(t.c.state_dir, ids, t.c.n);
	if (t.c.kind == CHAIN_DISPATCHER && t.c.own_dispatcher && t.c.managed && !t.c.observed &&
	    txn__observe(&t))
		notes_add(notes, LOG_WARN,
			  "%s: per-member counters are off: %s; 'xdpchain cleanup' tries again",
			  ifname, err_last());
	if (t.state_fd >= 0)
		close(t.state_fd);
}

int txn__begin(struct chain_txn *t, const char *ifname, struct notes *notes)
{
	struct xdp_program *main_prog;
	char why[400];
	int err;

	memset(t, 0, sizeof(*t));
	t->state_fd = -1;
	t->notes = notes;
	t->lock = lock__chain(LOCK_TIMEOUT_MS);
	if (t->lock < 0)
		return t->lock;
	/*
	 * ip netns exec: libxdp would mount a bpffs that goes with the command;
	 * libxdp pins in <bpffs>/xdp as root: refused if not root's alone
	 */
	err = bpffs__check_mountable();
	if (!err)
		err = bpffs__check_libxdp_dir(false);
	if (err)
		return err;
	/* an apply killed between its interfaces: all of it or none (journal.h) */
	journal__recover(t->notes, txn_settle);
	err = chain__read_leftovers(ifname, &t->c);
	if (err)
		return err;
	/* its final stage uses the state: an older one is this namespace's */
	if (t->c.managed && chain__final(&t->c))
		state__claim(t->c.state_dir);
	if (t->c.kind == CHAIN_NONE)
		return 0;
	if (chain__foreign_dispatcher(&t->c, why, sizeof(why)))
		return err_set(-EBUSY, "%s; nothing was changed", why);
	t->mp = xdp_multiprog__get_from_ifindex(t->c.ifindex);
	err = libxdp_get_error(t->mp);
	if (err || !t->mp) {
		t->mp = NULL;
		return err_set(
			err ? err : -EAGAIN,
			"the XDP programs of %s changed while xdpchain read them (another tool?); retry",
			ifname);
	}
	main_prog = xdp_multiprog__main_prog(t->mp);
	if (!main_prog || xdp_program__id(main_prog) != t->c.main_id)
		return err_set(
			-EAGAIN,
			"the XDP programs of %s changed while xdpchain read them (another tool?); retry",
			ifname);
	return 0;
}

int txn__pin(struct chain_txn *t, int fd, const char *path, const char *what)
{
	if (t->n_made == TXN_MAX_MADE)
		return err_set(-E2BIG, "internal error: too many pins in one change");
	if (bpf_obj_pin(fd, path))
		return err_set(-errno, "cannot pin %s at %s: %s%s", what, path, strerror(errno),
			       errno == EEXIST ? "; something else is pinned there: remove it" :
						 "");
	snprintf(t->made[t->n_made++], PATH_MAX, "%s", path);
	return 0;
}

int txn__state(struct chain_txn *t, const char *hook_pin, __u32 hook_id)
{
	char path[PATH_MAX];

	if (t->state_fd >= 0)
		return t->state_fd;
	if (t->c.managed) {
		if (snprintf(path, sizeof(path), "%s/state", t->c.state_dir) >= (int)sizeof(path))
			return err_set(-ENAMETOOLONG, "state path under %s is too long",
				       t->c.state_dir);
		t->state_fd = bpf_obj_get(path);
		if (t->state_fd < 0)
			return err_set(-errno, "cannot open xdpchain state at %s: %s", path,
				       strerror(errno));
		return t->state_fd;
	}
	if (bpffs__iface_dir(t->c.ifname, t->made_state_dir, sizeof(t->made_state_dir)))
		return err_set(-ENAMETOOLONG, "bpffs path for %s is too long", t->c.ifname);
	t->state_fd = state__write(t->c.ifname, t->c.ifindex, hook_pin, hook_id);
	if (t->state_fd < 0)
		t->made_state_dir[0] = '\0';
	return t->state_fd;
}

const char *txn__state_dir(const struct chain_txn *t)
{
	return t->made_state_dir[0] ? t->made_state_dir : t->c.state_dir;
}

int txn__stats_map(struct chain_txn *t)
{
	const char *dir = txn__state_dir(t);
	char path[PATH_MAX];
	int fd, rows, err;

	fd = observer__open_stats(dir);
	if (fd >= 0)
		return fd;
	err = observer__create_maps(&fd, &rows);
	if (!err)
		err = observer__pin_path(dir, false, path, sizeof(path));
	if (!err)
		err = txn__pin(t, fd, path, "the counters");
	if (!err)
		err = observer__pin_path(dir, true, path, sizeof(path));
	if (!err)
		err = txn__pin(t, rows, path, "the counter rows");
	if (rows >= 0)
		close(rows);
	if (err) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	return fd;
}

int txn__cost_maps(struct chain_txn *t)
{
	const char *dir = txn__state_dir(t);
	char path[PATH_MAX];
	int fd, err = 0;

	/* no counters (no final stage yet): no cost maps either */
	fd = dir[0] ? observer__open_stats(dir) : -ENOENT;
	if (fd < 0)
		return 0;
	close(fd);
	/* each one missing (a chain an older xdpchain made, a run killed between them) */
	for (int base = 0; !err && base < 2; base++) {
		if (observer__cost_pinned(dir, base))
			continue;
		err = observer__cost_pin_path(dir, base, path, sizeof(path));
		if (!err)
			err = observer__create_cost_map(base, &fd);
		if (!err) {
			err = txn__pin(t, fd, path,
				       base ? "the cost baselines" : "the cost counters");
			close(fd);
		}
	}
	return err;
}

int txn__observe(struct chain_txn *t)
{
	char ifname[IF_NAMESIZE];
	struct chain c;
	int state_fd, err;

	snprintf(ifname, sizeof(ifname), "%s", t->c.ifname);
	err = chain__read(ifname, &c);
	if (err)
		return err;
	if (!observer__wanted(&c))
		return 0;
	state_fd = txn__state(t, NULL, 0);
	if (state_fd < 0)
		return state_fd;
	err = txn__cost_maps(t);
	return err ? err : observer__attach(&c, state_fd);
}

void txn__observer_at(struct chain_txn *t, struct observer_at *at)
{
	at->ifname = t->c.ifname;
	at->notes = t->notes;
	at->state_dir = txn__state_dir(t);
	/* no state directory: nothing to observe, and no state made for it */
	at->state_fd = at->state_dir[0] ? txn__state(t, NULL, 0) : -ENOENT;
}

/* txn__swap()'s side of the swap (swap.h): the observer's steps, the journal, the kept dispatcher. */
struct txn_swap {
	struct chain_txn *t;
	struct observer_next *obs;
	size_t n_new;
};

static int swap_prepare(void *ctx, const struct swap_member *m, size_t n, int disp_fd)
{
	struct txn_swap *ts = ctx;
	struct observer_at at;
	int err;

	err = txn__cost_maps(ts->t);
	if (err)
		return err;
	txn__observer_at(ts->t, &at);
	err = observer__prepare(&at, m, n, disp_fd, &ts->obs);
	return err ? err : ts->obs != NULL;
}

static int swap_before_switch(void *ctx, __u32 new_id, __u32 flags)
{
	const struct chain_txn *t = ((struct txn_swap *)ctx)->t;
	struct journal_switch s = {
		.ifindex = t->c.ifindex,
		.ifname = t->c.ifname,
		.old_id = t->c.main_id,
		.new_id = new_id,
		.flags = flags,
		.made = t->made,
		.n_made = t->n_made,
		.state_dir = t->made_state_dir,
	};

	/* an apply of several interfaces: the next run can undo it (journal.h) */
	return t->keep_old ? journal__note(&s) : 0;
}

static int swap_arm(void *ctx)
{
	struct txn_swap *ts = ctx;
	int err = observer__arm(ts->obs);

	if (err) {
		observer__end(ts->obs, false);
		ts->obs = NULL;
	}
	return err;
}

static void swap_end(void *ctx, bool ok)
{
	struct txn_swap *ts = ctx;

	observer__end(ts->obs, ok);
	ts->obs = NULL;
}

/*
 * After the switch; in an apply of several interfaces (t->keep_old) the old
 * dispatcher's pins stay with its observer until txn__swap_commit() or
 * txn__unswap().
 */
static bool swap_switched(void *ctx, __u32 new_id, __u32 flags, bool prepared)
{
	struct txn_swap *ts = ctx;
	struct chain_txn *t = ts->t;
	struct swap_kept *k = &t->kept;

	t->changed = true;
	t->observed = prepared;
	if (!t->keep_old)
		return false;
	/* a second switch in one change (stale taps dropped first): the first stays */
	txn__swap_commit(t);
	k->armed = true;
	k->old_id = t->c.main_id;
	k->new_id = new_id;
	k->n_old = t->c.n;
	k->n_new = ts->n_new;
	k->flags = flags;
	k->obs = prepared ? ts->obs : NULL;
	ts->obs = NULL;
	return true;
}

int txn__swap(struct chain_txn *t, struct swap_member *m, size_t n, enum xdp_attach_mode mode)
{
	struct txn_swap ts = { .t = t, .n_new = n };
	struct swap_target tg = {
		.ifname = t->c.ifname,
		.ifindex = t->c.ifindex,
		.old_id = t->c.main_id,
		.n_old = t->c.n,
		.state_dir = txn__state_dir(t),
		.mode = mode,
		.timed = observer__cost_wanted(txn__state_dir(t)),
	};
	struct swap_hooks h = {
		.prepare = swap_prepare,
		.before_switch = swap_before_switch,
		.arm = swap_arm,
		.switched = swap_switched,
		.end = swap_end,
		.ctx = &ts,
	};

	return swap__run(&tg, m, n, &h);
}

static int explain_change_error(struct chain_txn *t, int err, const char *what)
{
	char msg[128];

	libxdp_msg(err, msg, sizeof(msg));
	if (err == -EEXIST || err == -EBUSY)
		return err_set(
			err,
			"%s on %s failed: the interface's XDP programs changed meanwhile (another tool, e.g. xdp-loader?); nothing was changed, retry",
			what, t->c.ifname);
	return err_set(err, "%s on %s failed: %s; run with -vv for details", what, t->c.ifname,
		       msg);
}

/*
 * A chain on xdpchain's dispatcher object changes through txn__swap(), which
 * attaches the new dispatcher's observer before the dispatcher runs (libxdp
 * would run it first); so does a new chain (with our final stage in @progs)
 * on an interface with no XDP program. XDPCHAIN_DISPATCHER=system leaves
 * both to libxdp, which then builds the chain on its own object, as asked.
 */
static bool by_swap(const struct chain_txn *t, struct xdp_program **progs, size_t n)
{
	bool first = false;

	for (size_t i = 0; t->c.kind == CHAIN_NONE && i < n; i++)
		first |= !strcmp(xdp_program__name(progs[i]), FINAL_NAME);
	if (!first && (t->c.kind != CHAIN_DISPATCHER || !t->c.own_dispatcher || !t->mp))
		return false;
	return txn__own_object();
}

bool txn__swaps(const struct chain_txn *t)
{
	return by_swap(t, NULL, 0);
}

bool txn__own_object(void)
{
	struct dispatcher_info d;
	bool own;

	err_quiet(true);
	own = !dispatcher__probe(&d) && d.choice == DISPATCHER_OWN;
	err_quiet(false);
	return own;
}

/*
 * The running members, but those at @skip (indexes into t->c.progs) and a
 * final stage @progs bring anew, and @progs.
 */
static int swap_members(struct chain_txn *t, const size_t *skip, size_t n_skip,
			struct xdp_program **progs, size_t n, enum xdp_attach_mode mode)
{
	struct swap_member m[CHAIN_MAX_PROGS];
	bool new_final = false;
	size_t k = 0;
	int err;

	/* a chain has one final stage: a new one takes the running one's place */
	for (size_t i = 0; i < n; i++)
		new_final |= !strcmp(xdp_program__name(progs[i]), FINAL_NAME);
	for (size_t i = 0; i < t->c.n; i++) {
		bool leaves = new_final && t->c.progs[i].is_final;

		for (size_t j = 0; j < n_skip; j++)
			leaves |= skip[j] == i;
		if (leaves)
			continue;
		if (k == CHAIN_MAX_PROGS)
			return err_set(-E2BIG, "no room in the dispatcher of %s", t->c.ifname);
		mprog__kept_member(t->mp, &t->c.progs[i], &m[k++]);
	}
	for (size_t i = 0; i < n; i++) {
		struct bpf_object *obj = xdp_program__bpf_obj(progs[i]);
		const char *name = xdp_program__name(progs[i]);

		if (k == CHAIN_MAX_PROGS)
			return err_set(-E2BIG, "no room in the dispatcher of %s", t->c.ifname);
		m[k] = (struct swap_member){
			.obj = obj,
			.prog = obj ? bpf_object__find_program_by_name(obj, name) : NULL,
			.name = name,
			.prio = xdp_program__run_prio(progs[i]),
			.actions = chain__prog_actions(progs[i]),
			.frags = xdp_program__xdp_frags_support(progs[i]),
			/* the name is xdpchain's own (chain__check_add() refuses it to others) */
			.is_final = !strcmp(name, FINAL_NAME),
		};
		if (!m[k++].prog)
			return err_set(-ENOENT, "internal error: no BPF program behind '%s'", name);
	}
	err = txn__swap(t, m, k, mode);
	for (size_t i = 0; !err && i < n; i++)
		for (size_t j = 0; j < k; j++)
			if (!m[j].id && !strcmp(m[j].name, xdp_program__name(progs[i])))
				t->new_ids[i] = m[j].new_id;
	return err;
}

int txn__attach(struct chain_txn *t, struct xdp_program **progs, size_t n,
		enum xdp_attach_mode mode)
{
	struct xdp_multiprog *mp;
	bool lean = true;
	int err;

	if (by_swap(t, progs, n))
		return swap_members(t, NULL, 0, progs, n, mode);

	/* the lean dispatcher when no member goes on after several actions */
	for (size_t i = 0; i < t->c.n; i++)
		lean &= !xdp_actions_several(t->c.progs[i].actions);
	for (size_t i = 0; i < n; i++)
		lean &= !xdp_actions_several(chain__prog_actions(progs[i]));
	/* libxdp's directory made root's 0700 before libxdp would make it */
	err = bpffs__check_libxdp_dir(true);
	if (err)
		return err;
	/* Where libxdp's own dispatcher cannot take our final stage (6.12+). */
	err = dispatcher__setup_for(NULL, lean);
	if (err)
		return err;
	err = xdp_program__attach_multi(progs, n, t->c.ifindex, mode, 0);
	dispatcher__cleanup();
	if (err)
		return err;
	t->changed = true;

	/* libxdp falls back to one program without telling: refuse that. */
	mp = xdp_multiprog__get_from_ifindex(t->c.ifindex);
	if (!libxdp_get_error(mp) && mp && xdp_multiprog__is_legacy(mp)) {
		xdp_multiprog__detach(mp);
		xdp_multiprog__close(mp);
		return err_set(
			-EOPNOTSUPP,
			"libxdp attached '%s' as a single program instead of through its dispatcher; detached it again. Check 'xdpchain features' and run with -vv",
			xdp_program__name(progs[0]));
	}
	if (!libxdp_get_error(mp))
		xdp_multiprog__close(mp);
	for (size_t i = 0; i < n; i++)
		t->new_ids[i] = xdp_program__id(progs[i]);
	return 0;
}

int txn__detach(struct chain_txn *t, const size_t *idx, size_t n)
{
	struct xdp_program *progs[CHAIN_MAX_PROGS];
	struct xdp_program *p;
	bool lean = true;
	size_t k = 0;
	int err;

	for (size_t i = 0; i < n; i++)
		if (idx[i] >= t->c.n)
			return err_set(-EINVAL, "internal error: no member %zu to remove", idx[i]);
	if (by_swap(t, NULL, 0))
		return swap_members(t, idx, n, NULL, 0, t->c.mode);
	/* the lean dispatcher when no member that stays goes on after several actions */
	for (size_t i = 0; i < t->c.n; i++) {
		bool leaves = false;

		for (size_t j = 0; j < n; j++)
			leaves |= idx[j] == i;
		if (!leaves)
			lean &= !xdp_actions_several(t->c.progs[i].actions);
	}
	for (size_t i = 0; i < n; i++) {
		p = mprog__find(t->mp, t->c.progs[idx[i]].id);
		if (!p)
			return err_set(-EAGAIN,
				       "program '%s' left %s while xdpchain looked at it; retry",
				       t->c.progs[idx[i]].name, t->c.ifname);
		progs[k++] = p;
	}
	/* a partial detach builds a new dispatcher, like an add */
	err = dispatcher__setup_for(NULL, lean);
	if (err)
		return err;
	err = xdp_program__detach_multi(progs, k, t->c.ifindex, t->c.mode, 0);
	dispatcher__cleanup();
	if (err)
		return explain_change_error(t, err, "removing programs");
	t->changed = true;
	return 0;
}

int txn__detach_all(struct chain_txn *t)
{
	int err;

	if (!t->mp)
		return 0;
	/* replaces exactly the program read: fails if another tool changed it */
	err = xdp_multiprog__detach(t->mp);
	if (err)
		return explain_change_error(t, err, "detaching the XDP programs");
	return 0;
}

void txn__drop_state(struct chain_txn *t)
{
	t->drop_state = true;
}

/* The hook pin is the chain's to remove only if it holds the hook xdpchain made. */
static bool hook_pin_is_ours(const struct chain *c)
{
	return c->hook_pin_id && (c->hook_pin_id == c->state_hook_id ||
				  (!c->state_hook_id && c->hook_pin_id == c->hook_id));
}

static void commit(struct chain_txn *t)
{
	if (t->changed && !t->drop_state && !t->observed) {
		/* the chain changed as asked (no error to keep): counting is on top */
		err_clear();
		if (txn__observe(t))
			notes_add(
				t->notes, LOG_WARN,
				"%s: per-member counters and stage attribution are off: %s; 'xdpchain cleanup' tries again",
				t->c.ifname, err_last());
		err_clear();
	}
	/* what interrupted runs left for this interface goes with a change */
	for (size_t i = 0; t->changed && i < t->c.n_leftovers; i++) {
		const struct leftover *l = &t->c.leftovers[i];

		/* stale taps left with the change; the observer's pin is new now */
		if (l->kind != LEFTOVER_STALE_TAP && l->kind != LEFTOVER_OBSERVER &&
		    !leftover__remove(l))
			pr_debug("removed %s (%s)\n", l->path, leftover__what(l->kind));
	}
	if (!t->drop_state || !t->c.managed)
		return;
	if (hook_pin_is_ours(&t->c) && bpffs__pin_removable(t->c.hook_pin))
		unlink(t->c.hook_pin);
	else if (t->c.hook_pin_id)
		pr_debug("left %s alone: the map there is not the hook xdpchain made\n",
			 t->c.hook_pin);
	state__remove_dir(t->c.state_dir);
}

static void undo(struct chain_txn *t)
{
	while (t->n_made)
		unlink(t->made[--t->n_made]);
	if (t->made_state_dir[0])
		state__remove_dir(t->made_state_dir);
}

void txn__swap_commit(struct chain_txn *t)
{
	struct swap_kept *k = &t->kept;

	if (!k->armed)
		return;
	observer__end(k->obs, true); /* the old observer goes with its link */
	if (k->old_id)
		swap__unpin(t->c.ifindex, k->old_id, k->n_old);
	memset(k, 0, sizeof(*k));
}

int txn__unswap(struct chain_txn *t)
{
	struct swap_kept *k = &t->kept;
	__u32 ids[CHAIN_MAX_PROGS];
	int err;

	if (!k->armed)
		return 0;
	err = swap__revert(t->c.ifindex, k->old_id, k->new_id, k->flags, k->n_new);
	if (err) {
		/* the new chain stays, whole */
		txn__swap_commit(t);
		return err;
	}
	observer__end(k->obs, false); /* the old observer's link back at its pin */
	for (size_t i = 0; i < t->c.n; i++)
		ids[i] = t->c.progs[i].id;
	if (t->c.managed)
		members__prune(t->c.state_dir, ids, t->c.n);
	memset(k, 0, sizeof(*k));
	t->changed = false;
	return 0;
}

int txn__end(struct chain_txn *t, int err)
{
	bool keep = !err;

	if (err && t->kept.armed && txn__unswap(t)) {
		/* the new chain runs on: it keeps what it needs */
		notes_add(t->notes, LOG_WARN,
			  "%s: could not put the previous chain back; the new one runs",
			  t->c.ifname);
		keep = true;
	}
	txn__swap_commit(t);
	if (keep)
		commit(t);
	else
		undo(t);
	if (t->state_fd >= 0)
		close(t->state_fd);
	xdp_multiprog__close(t->mp);
	lock__release(t->lock);
	t->mp = NULL;
	t->state_fd = t->lock = -1;
	return err;
}
