// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * apply: each interface's chain made what a chain file says, all
 * interfaces or none, each one transaction (txn.h) over the chain as read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bpffs.h"
#include "feature.h"
#include "journal.h"
#include "lock.h"
#include "log.h"
#include "members.h"
#include "mprog.h"
#include "observer.h"
#include "ops_internal.h"
#include "xdp_action.h"

struct apply_prog {
	struct chain_add_opts o;
	const struct chain_want *w;
	struct objfile of; /* the object's bytes, read once */
	struct bpf_object *obj;
	struct xdp_program *prog; /* opened from the file */
	struct member_rec rec;
	int member_hook_fd;
	int match; /* index into t->c.progs, or -1 */
	enum apply_step step;
	bool moved; /* kept: the same bytes, now at another path */
};

struct apply_ctx {
	struct apply_prog ap[CHAIN_MAX_PROGS];
	size_t n;
	struct add_plan p;
	struct xdp_multiprog *old_mp; /* the dispatcher read, kept open across a removal */
	struct chain_prog removed[CHAIN_MAX_PROGS]; /* as they ran before */
	size_t n_removed;
	__u32 keep_ids[CHAIN_MAX_PROGS]; /* the members after the change ... */
	size_t n_keep; /* ... whose records stay once it commits */
};

static bool is_user(const struct chain_prog *p)
{
	return !p->is_final && !p->is_tap;
}

/*
 * The error just set (the run's first: apply stops at it) prefixed with
 * the chain file's @where, for checks shared with add that cannot know it.
 */
static int err_at(const char *where, int err)
{
	char msg[1024];

	if (!err)
		return 0;
	snprintf(msg, sizeof(msg), "%s", err_last());
	err_clear();
	return err_set(err, "%s: %s", where, msg);
}

/*
 * A chain file's sha256 of an object against the object as read now; the
 * warning only in the plan (@dry_run) pass, which every apply runs first.
 */
static int check_sha(const struct chain_spec *s, const struct apply_prog *a, bool dry_run,
		     struct notes *notes)
{
	char hex[SHA256_HEX];

	sha256_hex(a->rec.sha256, hex);
	if (!a->w->sha256 || !strcmp(a->w->sha256, hex))
		return 0;
	if (s->strict)
		return err_set(
			-EINVAL,
			"%s: %s changed since the chain file was written (sha256 %.12s..., the file says %.12s...); --strict refuses it: put back the object the file names, or write its new sha256 into the file",
			a->w->where, a->w->object, hex, a->w->sha256);
	if (dry_run)
		notes_add(
			notes, LOG_WARN,
			"%s: %s changed since the chain file was written (sha256 %.12s..., the file says %.12s...); the object as it is now is used",
			a->w->where, a->w->object, hex, a->w->sha256);
	return 0;
}

/*
 * Reads and opens every object the file names, before any lock: a FIFO, a
 * device or a bad object fails here, naming the chain file's line.
 */
static int apply_load(const struct chain_spec *s, struct apply_ctx *x, bool dry_run)
{
	int err;

	for (size_t i = 0; i < s->n; i++) {
		const struct chain_want *w = &s->want[i];
		struct apply_prog *a = &x->ap[x->n++];
		const char *name;

		a->w = w;
		a->match = -1;
		a->member_hook_fd = -1;
		a->o = (struct chain_add_opts){ .file = w->object,
						.prog_name = w->prog,
						.prio = w->prio,
						.prio_set = w->prio_set,
						.actions = w->actions,
						.actions_set = w->actions_set,
						.where = w->where };
		err = user_obj_load(&a->o, &a->of, &a->obj, &a->prog, &a->rec);
		if (!err)
			err = check_sha(s, a, dry_run, x->p.notes);
		if (err)
			return err;
		name = xdp_program__name(a->prog);
		for (size_t k = 0; k + 1 < x->n; k++)
			if (!strcmp(xdp_program__name(x->ap[k].prog), name))
				return err_set(
					-EEXIST,
					"%s: program '%s' is named twice for %s (also at %s); a chain holds each name once",
					w->where, name, s->ifname, x->ap[k].w->where);
	}
	return 0;
}

/* The running member each program of the file replaces or keeps (by name). */
static void apply_match(struct chain_txn *t, struct apply_ctx *x)
{
	for (size_t i = 0; i < x->n; i++)
		for (size_t k = 0; k < t->c.n; k++)
			if (is_user(&t->c.progs[k]) &&
			    !strcmp(t->c.progs[k].name, xdp_program__name(x->ap[i].prog)))
				x->ap[i].match = k;
}

static void item_add(struct apply_result *r, enum apply_step step, const char *name, __u32 id,
		     __u32 prio, __u32 actions, const char *object, const char *why)
{
	struct apply_item *it;

	if (r->n == sizeof(r->items) / sizeof(r->items[0]))
		return;
	it = &r->items[r->n++];
	memset(it, 0, sizeof(*it));
	it->step = step;
	snprintf(it->name, sizeof(it->name), "%s", name);
	it->old_id = step == STEP_ADD ? 0 : id;
	it->new_id = step == STEP_KEEP ? id : 0;
	it->prio = prio;
	it->actions = actions;
	snprintf(it->object, sizeof(it->object), "%s", object ? object : "");
	snprintf(it->why, sizeof(it->why), "%s", why ? why : "");
}

/* The chain as it will be after @x's plan: names, reserved priorities, room. */
static int apply_check_after(struct chain_txn *t, struct apply_ctx *x)
{
	struct chain *after;
	int err = 0;

	after = malloc(sizeof(*after));
	if (!after)
		return -ENOMEM;
	*after = t->c;
	after->n = 0;
	for (size_t k = 0; k < t->c.n; k++) {
		const struct chain_prog *m = &t->c.progs[k];
		bool stays = !is_user(m);

		for (size_t i = 0; i < x->n; i++)
			stays |= x->ap[i].match == (int)k && x->ap[i].step == STEP_KEEP;
		if (stays)
			after->progs[after->n++] = *m;
	}
	for (size_t i = 0; !err && i < x->n; i++) {
		struct apply_prog *a = &x->ap[i];

		if (a->step == STEP_KEEP)
			continue;
		err = err_at(a->w->where, chain__check_add(after, xdp_program__name(a->prog),
							   xdp_program__run_prio(a->prog)));
		if (!err) {
			struct chain_prog *np = &after->progs[after->n++];

			memset(np, 0, sizeof(*np));
			snprintf(np->name, sizeof(np->name), "%s", xdp_program__name(a->prog));
			np->prio = xdp_program__run_prio(a->prog);
		}
	}
	free(after);
	return err;
}

/* Compares each program with the member of its name: the plan, in @r. */
static int apply_plan(struct chain_txn *t, struct apply_ctx *x, struct apply_result *r)
{
	bool wanted[CHAIN_MAX_PROGS] = {};
	char why[128], a1[64], a2[64];

	for (size_t i = 0; i < x->n; i++) {
		struct apply_prog *a = &x->ap[i];
		const struct chain_prog *m = a->match >= 0 ? &t->c.progs[a->match] : NULL;
		__u32 prio = xdp_program__run_prio(a->prog), acts = chain__prog_actions(a->prog);
		struct member_rec mr;
		bool has, same_origin;

		why[0] = '\0';
		if (!m) {
			a->step = STEP_ADD;
			item_add(r, a->step, xdp_program__name(a->prog), 0, prio, acts,
				 a->rec.object, "");
			continue;
		}
		wanted[a->match] = true;
		has = !members__lookup(t->c.state_dir, m->id, &mr);
		/* the same bytes wherever they are now (a ConfigMap update moves them) */
		same_origin = has && !memcmp(mr.sha256, a->rec.sha256, SHA256_LEN);
		a->moved = same_origin && strcmp(mr.object, a->rec.object);
		if (!same_origin) {
			a->step = STEP_RELOAD;
			snprintf(why, sizeof(why), "%s",
				 !has ? "the running program's object is not known" :
				 strcmp(mr.object, a->rec.object) ? "another object file" :
								    "its object changed on disk");
		} else if (m->prio != prio || m->actions != acts) {
			a->step = STEP_CHANGE;
			snprintf(why, sizeof(why), "priority %u -> %u, proceed-on %s -> %s",
				 m->prio, prio, format_actions(m->actions, a1, sizeof(a1)),
				 format_actions(acts, a2, sizeof(a2)));
		} else {
			a->step = STEP_KEEP;
		}
		item_add(r, a->step, m->name, m->id, prio, acts, a->rec.object, why);
	}
	for (size_t k = 0; k < t->c.n; k++)
		if (is_user(&t->c.progs[k]) && !wanted[k])
			item_add(r, STEP_REMOVE, t->c.progs[k].name, t->c.progs[k].id,
				 t->c.progs[k].prio, t->c.progs[k].actions, NULL, "");

	return apply_check_after(t, x);
}

/*
 * An older build's final stage on a chain that stays is a change of its
 * own, in the plan too: this build's takes its place in the switch
 * (add_final()), also when no member changes (an upgraded package's
 * reload, a pod started from a newer image).
 */
static bool plan_final(struct chain_txn *t, struct apply_ctx *x, struct apply_result *r)
{
	const struct chain_prog *f = chain__final(&t->c);

	if (!x->n || !f || t->c.kind != CHAIN_DISPATCHER || !t->c.own_dispatcher ||
	    !final_renewal(t, &x->p, false))
		return false;
	item_add(r, STEP_CHANGE, f->name, f->id, f->prio, f->actions, NULL,
		 "an older build's final stage: this build's takes its place");
	return true;
}

/* Puts the members a failed change took out back in, as they ran: same programs. */
static void apply_rollback(struct chain_txn *t, struct apply_ctx *x)
{
	struct xdp_program *progs[CHAIN_MAX_PROGS];
	size_t k = 0;
	int err;

	for (size_t i = 0; i < x->n_removed; i++) {
		struct xdp_program *p = mprog__find(x->old_mp, x->removed[i].id);

		if (!p)
			continue;
		xdp_program__set_run_prio(p, x->removed[i].prio);
		for (unsigned int a = 0; a < XDP_ACTION_COUNT; a++)
			xdp_program__set_chain_call_enabled(p, a,
							    x->removed[i].actions & (1U << a));
		progs[k++] = p;
	}
	if (!k)
		return;
	err_quiet(true);
	err = txn__attach(t, progs, k, t->c.mode);
	if (!err)
		err = txn__observe(t);
	err_quiet(false);
	if (err)
		notes_add(
			x->p.notes, LOG_WARN,
			"%s: could not put back the programs the failed apply took out: %s; apply the file again once the cause is fixed",
			t->c.ifname, strerror(-err));
	else
		pr_debug("%s: the programs the failed apply took out run again, as before\n",
			 t->c.ifname);
}

/* Takes out the members that go or change: one dispatcher replacement. */
static int apply_remove(struct chain_txn *t, struct apply_ctx *x, struct apply_result *r)
{
	size_t idx[CHAIN_MAX_PROGS], n = 0;
	int err;

	for (size_t k = 0; k < t->c.n; k++) {
		bool keep = !is_user(&t->c.progs[k]);

		for (size_t i = 0; i < x->n; i++)
			keep |= x->ap[i].match == (int)k && x->ap[i].step == STEP_KEEP;
		if (!keep) {
			idx[n++] = k;
			x->removed[x->n_removed++] = t->c.progs[k];
		}
	}
	if (!n)
		return 0;
	r->n_swaps++;
	if (!x->n) /* nothing stays and nothing comes: the whole chain goes */ {
		err = txn__detach_all(t);
		if (!err)
			txn__drop_state(t);
		return err;
	}
	err = txn__detach(t, idx, n);
	if (err)
		return err;
	/* the programs stay loaded while the old dispatcher's view holds them */
	x->old_mp = t->mp;
	t->mp = NULL;
	return reread_mp(t, "apply");
}

/*
 * xdpchain's final stage into the members @m of apply_swap() where the
 * chain has none, or in place of an older build's (add_final()).
 */
static int swap_final(struct chain_txn *t, struct apply_ctx *x, struct swap_member *m, size_t *n)
{
	struct xdp_program *progs[1];
	size_t added = 0;
	int err;

	err = add_final(t, &x->p, progs, &added);
	if (err || !added)
		return err;
	/* a chain has one final stage: a new one takes the running one's place */
	for (size_t k = 0; k < *n; k++)
		if (m[k].is_final) {
			m[k] = m[--*n];
			break;
		}
	m[(*n)++] = (struct swap_member){
		.obj = x->p.final.obj,
		.prog = bpf_object__find_program_by_name(x->p.final.obj, FINAL_NAME),
		.name = FINAL_NAME,
		.prio = PRIO_FINAL,
		.actions = chain__prog_actions(progs[0]),
		.frags = xdp_program__xdp_frags_support(progs[0]),
		.is_final = true,
	};
	return 0;
}

/*
 * The new chain in one dispatcher replacement (swap.c): the members that
 * stay (xdpchain's own included, same programs) and the programs loaded
 * now, whatever leaves.
 */
static int apply_swap(struct chain_txn *t, struct apply_ctx *x, struct apply_result *r)
{
	struct swap_member m[CHAIN_MAX_PROGS];
	size_t n = 0;
	int err;

	for (size_t k = 0; k < t->c.n; k++) {
		const struct chain_prog *p = &t->c.progs[k];
		bool stays = !is_user(p) && !p->tap_stale;

		for (size_t i = 0; i < x->n; i++)
			stays |= x->ap[i].match == (int)k && x->ap[i].step == STEP_KEEP;
		if (stays)
			mprog__kept_member(t->mp, p, &m[n++]);
	}
	for (size_t i = 0; i < x->n; i++) {
		struct apply_prog *a = &x->ap[i];

		if (a->step == STEP_KEEP)
			continue;
		if (n == CHAIN_MAX_PROGS)
			return err_set(-E2BIG, "no room in the dispatcher of %s", t->c.ifname);
		m[n++] = (struct swap_member){
			.obj = a->obj,
			.prog = bpf_object__find_program_by_name(a->obj,
								 xdp_program__name(a->prog)),
			.name = xdp_program__name(a->prog),
			.prio = xdp_program__run_prio(a->prog),
			.actions = chain__prog_actions(a->prog),
			.frags = xdp_program__xdp_frags_support(a->prog),
			.rec = &a->rec,
		};
	}
	err = swap_final(t, x, m, &n);
	if (err)
		return err;
	r->n_swaps = 1;
	err = txn__swap(t, m, n, t->c.mode);
	if (err)
		return err;
	for (size_t i = 0; i < x->n; i++)
		for (size_t k = 0; k < n; k++)
			if (!m[k].id && !strcmp(m[k].name, r->items[i].name) &&
			    x->ap[i].step != STEP_KEEP)
				r->items[i].new_id = m[k].new_id;
	/* a final stage of this build's in place of an older one (plan_final()) */
	for (size_t i = x->n; i < r->n; i++)
		for (size_t k = 0; k < n; k++)
			if (m[k].is_final && !m[k].id && r->items[i].step == STEP_CHANGE)
				r->items[i].new_id = m[k].new_id;
	r->changed = true;
	return 0;
}

/*
 * The change in libxdp's steps (libxdp's own dispatcher object, a whole
 * chain removed): the members that go or change out, then the new ones in;
 * on failure the ones taken out are put back.
 */
static int apply_by_libxdp(struct chain_txn *t, const struct chain_spec *s, struct apply_ctx *x,
			   struct apply_result *r)
{
	struct xdp_program *progs[CHAIN_MAX_PROGS];
	size_t nprogs = 0;
	int err;

	err = apply_remove(t, x, r);
	if (err || !x->n)
		return err;
	for (size_t i = 0; i < x->n; i++)
		if (x->ap[i].step != STEP_KEEP)
			progs[nprogs++] = x->ap[i].prog;
	if (nprogs)
		err = add_final(t, &x->p, progs, &nprogs);
	if (!err && nprogs) {
		r->n_swaps++;
		err = txn__attach(t, progs, nprogs,
				  t->c.kind == CHAIN_DISPATCHER ? t->c.mode : s->mode);
		if (err) {
			char names[CHAIN_MAX_PROGS * (PROG_NAME_MAX + 2)] = "";

			for (size_t i = 0; i < nprogs; i++)
				if (progs[i] != x->p.final.prog)
					snprintf(names + strlen(names),
						 sizeof(names) - strlen(names), "%s%s",
						 names[0] ? ", " : "", xdp_program__name(progs[i]));
			explain_attach_error(err, names,
					     &(struct chain_add_opts){ .file = s->where });
		}
	}
	if (err) {
		if (x->n_removed)
			apply_rollback(t, x);
		return err;
	}
	for (size_t i = 0, j = 0; i < x->n; i++)
		if (x->ap[i].step != STEP_KEEP)
			r->items[i].new_id = t->new_ids[j++];
	return 0;
}

/*
 * After the switch: the new hook and members recorded; the records of
 * members that left go when the apply commits (apply_end()).
 */
static void apply_record(struct chain_txn *t, struct apply_ctx *x, struct apply_result *r)
{
	record_new_hook(t, &x->p);
	for (size_t i = 0; i < x->n; i++) {
		struct apply_prog *a = &x->ap[i];

		x->keep_ids[x->n_keep++] = r->items[i].new_id ? r->items[i].new_id :
								r->items[i].old_id;
		if (a->step != STEP_KEEP)
			record_member(t, r->items[i].new_id, &a->rec, x->p.notes);
	}
	r->changed = true;
}

/* Members kept whose object is now elsewhere (the same bytes): their records follow. */
static void record_moved(struct chain_txn *t, struct apply_ctx *x)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->ap[i].step == STEP_KEEP && x->ap[i].moved)
			record_member(t, t->c.progs[x->ap[i].match].id, &x->ap[i].rec, x->p.notes);
}

static int apply_in(struct chain_txn *t, const struct chain_spec *s, struct apply_ctx *x,
		    bool dry_run, struct apply_result *r)
{
	struct chain_add_opts hook_opts = { .hook_pin = s->hook_pin };
	bool changes = false;
	int err;

	if (!dry_run) {
		err = add_prepare(t, x->p.notes);
		if (err)
			return err;
	}
	r->old_main = t->c.main_id;
	if (t->c.kind == CHAIN_SINGLE)
		return err_at(s->where, chain__check_add(&t->c, "", 0)); /* names the program */
	if (t->c.kind == CHAIN_DISPATCHER && s->mode != XDP_MODE_UNSPEC && s->mode != t->c.mode)
		return err_set(
			-EINVAL,
			"%s: the chain on %s runs in %s mode, the file says %s; 'xdpchain flush %s', then apply again",
			s->where, s->ifname, t->c.mode == XDP_MODE_SKB ? "skb" : "native",
			s->mode == XDP_MODE_SKB ? "skb" : "native", s->ifname);
	apply_match(t, x);
	err = apply_plan(t, x, r);
	if (err)
		return err;
	plan_final(t, x, r);
	for (size_t i = 0; i < r->n; i++)
		changes |= r->items[i].step != STEP_KEEP;
	/* one dispatcher replacement (txn__swap()) that can be undone until the apply commits */
	r->undoable = changes && x->n &&
		      ((t->c.kind == CHAIN_DISPATCHER && t->c.own_dispatcher) ||
		       (t->c.kind == CHAIN_NONE && txn__own_object()));
	if (!dry_run)
		record_moved(t, x);
	if (!changes || dry_run) /* a dry run checks the hook-pin apply would take */
		return changes && x->n ? err_at(s->where, hook_check(&t->c, s->hook_pin)) : 0;
	err = features__require_freplace();
	if (err)
		return err;

	/* everything that can fail before the kernel sees a change */
	if (x->n) {
		err = err_at(s->where, plan_hook(t, &hook_opts, &x->p));
		for (size_t i = 0; !err && i < x->n; i++) {
			bool uses_hook;

			if (x->ap[i].step != STEP_KEEP)
				err = give_hook(x->ap[i].obj, x->ap[i].w->object, x->p.hook_fd,
						&x->ap[i].member_hook_fd, &uses_hook);
		}
		if (err)
			return err;
	}
	if (x->n && t->c.kind == CHAIN_DISPATCHER && t->c.own_dispatcher) {
		/* members leave and come, or only come: one replacement */
		err = apply_swap(t, x, r);
		if (!err)
			goto done;
		return err;
	}
	err = apply_by_libxdp(t, s, x, r);
	if (err)
		return err;
done:
	apply_record(t, x, r);
	return 0;
}

#define LOCK_TIMEOUT_MS 10000

/*
 * One interface of an apply: its objects, read once before any lock, and
 * its transaction, open from apply_begin() until apply_end().
 */
struct apply_one {
	struct chain_txn t;
	struct apply_ctx *x;
	bool open;
};

/* Reads @s's objects and checks its interface and pins, before any lock. */
static int apply_prep(const struct chain_spec *s, bool dry_run, struct apply_one *o,
		      struct notes *notes)
{
	bool mounted;
	int err;

	if (s->n > CHAIN_MAX_PROGS - 1)
		return err_set(
			-E2BIG,
			"%s: %zu programs for %s; libxdp runs at most %d, one of them xdpchain's final stage",
			s->where, s->n, s->ifname, CHAIN_MAX_PROGS);
	err_quiet(true);
	err = chain__ifindex(s->ifname);
	err_quiet(false);
	if (err < 0)
		return err_set(err, "%s: no interface named '%s'; list interfaces with 'ip link'",
			       s->where, s->ifname);
	o->x = calloc(1, sizeof(*o->x));
	if (!o->x)
		return err_set(-ENOMEM, "out of memory");
	o->x->p.hook_fd = o->x->p.member_hook_fd = o->x->p.stats_fd = -1;
	o->x->p.notes = notes;
	/* the objects first: a FIFO or a bad file is refused before any lock */
	err = apply_load(s, o->x, true);
	if (!err)
		err = bpffs__check_dirs(s->ifname, s->hook_pin);
	if (!err && !dry_run) {
		err = bpffs__ensure(&mounted);
		if (!err && mounted)
			notes_add(notes, LOG_INFO, "mounted bpffs at %s", bpffs_root());
	}
	return err;
}

/* Plans (@dry_run) or makes the change of @s with the objects apply_prep() read. */
static int apply_begin(const struct chain_spec *s, bool dry_run, bool keep_old,
		       struct apply_result *r, struct apply_one *o, struct notes *notes)
{
	bool undoable = r->undoable;
	struct apply_ctx *x = o->x;
	int err;

	memset(r, 0, sizeof(*r));
	r->undoable = undoable;
	/* the plan pass matched these against the chain as it was then */
	for (size_t i = 0; i < x->n; i++) {
		x->ap[i].match = -1;
		x->ap[i].moved = false;
	}
	x->n_keep = 0;
	o->open = true;
	err = txn__begin(&o->t, s->ifname, notes);
	o->t.keep_old = keep_old;
	if (!err)
		err = apply_in(&o->t, s, x, dry_run, r);
	return err;
}

/* Commits (!@err) or undoes what apply_begin() did. */
static int apply_end(struct apply_one *o, int err)
{
	if (!o->open)
		return err;
	if (!err && o->x->n_keep)
		members__prune(txn__state_dir(&o->t), o->x->keep_ids, o->x->n_keep);
	o->open = false;
	return txn__end(&o->t, err);
}

/* Frees what apply_prep() read and apply_begin() made. */
static void apply_free(struct apply_one *o)
{
	struct apply_ctx *x = o->x;

	if (!x)
		return;
	for (size_t i = 0; i < x->n; i++) {
		xdp_program__close(x->ap[i].prog);
		bpf_object__close(x->ap[i].obj);
		objfile__free(&x->ap[i].of);
		if (x->ap[i].member_hook_fd >= 0)
			close(x->ap[i].member_hook_fd);
	}
	xdp_multiprog__close(x->old_mp);
	own_prog__free(&x->p.final);
	if (x->p.hook_fd >= 0)
		close(x->p.hook_fd);
	if (x->p.stats_fd >= 0)
		close(x->p.stats_fd);
	free(x);
	o->x = NULL;
}

/*
 * Every interface's objects read and checked (before any lock), then,
 * under the lock, every interface planned before the first change.
 */
static int apply_plan_all(const struct chain_spec *const *s, size_t n, bool dry_run,
			  struct apply_one *o, struct apply_result *r, struct notes *notes)
{
	int err = 0;

	for (size_t i = 0; !err && i < n; i++)
		err = apply_prep(s[i], dry_run, &o[i], notes);
	/* one lock across the whole apply: no other change falls between two interfaces */
	if (!err)
		err = lock__chain_hold(LOCK_TIMEOUT_MS);
	for (size_t i = 0; !err && i < n; i++) {
		r[i].undoable = false;
		err = apply_end(&o[i], apply_begin(s[i], true, false, &r[i], &o[i], notes));
	}
	return err;
}

/*
 * After a failure: the @done interfaces changed before it (@order) get
 * their previous chain back, in reverse order.
 */
static void apply_undo_all(struct apply_one *o, const size_t *order, size_t done,
			   struct apply_result *r)
{
	for (size_t k = done; k-- > 0;) {
		size_t i = order[k];
		int err = 0;

		if (o[i].t.kept.armed) {
			err_quiet(true);
			err = txn__unswap(&o[i].t);
			err_quiet(false);
			r[i].rolled_back = !err;
		}
		/* changed by libxdp (no way back to the same programs), or the way back failed */
		r[i].not_rolled_back = r[i].changed && !r[i].rolled_back;
		apply_end(&o[i], r[i].rolled_back ? -ECANCELED : 0);
	}
}

/* The changes, one interface after the other, under the lock; all or none stay. */
static int apply_run_all(const struct chain_spec *const *s, size_t n, struct apply_one *o,
			 size_t *order, struct apply_result *r, struct notes *notes)
{
	size_t k = 0, expect;
	int err = 0;

	/* the changes that can be undone first: the others cannot be after them */
	for (size_t i = 0; i < n; i++)
		if (r[i].undoable)
			order[k++] = i;
	expect = k;
	for (size_t i = 0; i < n; i++)
		if (!r[i].undoable)
			order[k++] = i;
	journal__begin(expect);
	for (k = 0; !err && k < n; k++) {
		size_t i = order[k];

		err = apply_begin(s[i], false, r[i].undoable, &r[i], &o[i], notes);
		if (err) {
			r[i].failed = true;
			apply_end(&o[i], err);
		}
	}
	if (err)
		apply_undo_all(o, order, k - 1, r);
	/* the commit point: every interface switched (or every one put back) */
	journal__end();
	for (size_t i = 0; !err && i < n; i++)
		apply_end(&o[i], 0);
	return err;
}

int chain__apply_all(const struct chain_spec *const *s, size_t n, bool dry_run,
		     struct apply_result *r, struct notes *notes)
{
	struct apply_one *o = calloc(n ? n : 1, sizeof(*o));
	size_t *order = calloc(n ? n : 1, sizeof(*order));
	int err;

	if (!o || !order) {
		free(o);
		free(order);
		return err_set(-ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		memset(&r[i], 0, sizeof(r[i]));
	err = apply_plan_all(s, n, dry_run, o, r, notes);
	if (!err && !dry_run)
		err = apply_run_all(s, n, o, order, r, notes);
	lock__chain_drop();
	for (size_t i = 0; i < n; i++)
		apply_free(&o[i]);
	free(o);
	free(order);
	return err;
}

int chain__apply(const struct chain_spec *s, bool dry_run, struct apply_result *r,
		 struct notes *notes)
{
	return chain__apply_all(&s, 1, dry_run, r, notes);
}
