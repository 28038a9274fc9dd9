// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* add: one program into an interface's chain, as one transaction. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bpffs.h"
#include "feature.h"
#include "log.h"
#include "ops_internal.h"

static int add_in(struct chain_txn *t, const struct chain_add_opts *o, struct add_plan *p,
		  struct chain_prog *added)
{
	size_t nprogs = 1;
	bool uses_hook;
	int err;

	err = add_prepare(t, p->notes);
	if (err)
		return err;
	if (t->c.kind != CHAIN_NONE && o->mode != XDP_MODE_UNSPEC && o->mode != t->c.mode)
		return err_set(
			-EINVAL,
			"the chain on %s runs in %s mode; drop --mode or flush the chain first",
			t->c.ifname, t->c.mode == XDP_MODE_SKB ? "skb" : "native");

	err = chain__check_add(&t->c, xdp_program__name(p->progs[0]),
			       xdp_program__run_prio(p->progs[0]));
	if (err)
		return err;

	err = plan_hook(t, o, p);
	if (!err)
		err = give_hook(p->obj, o->file, p->hook_fd, &p->member_hook_fd, &uses_hook);
	if (!err)
		err = add_final(t, p, p->progs, &nprogs);
	if (err)
		return err;

	/* libxdp refuses UNSPEC against a chain in skb mode: keep its mode. */
	err = txn__attach(t, p->progs, nprogs, t->c.kind == CHAIN_DISPATCHER ? t->c.mode : o->mode);
	if (err) {
		explain_attach_error(err, xdp_program__name(p->progs[0]), o);
		return err;
	}
	record_new_hook(t, p);
	{
		/* records of members that left go, so the map never fills up */
		__u32 ids[CHAIN_MAX_PROGS + 1];
		size_t n = 0;

		for (size_t i = 0; i < t->c.n; i++)
			ids[n++] = t->c.progs[i].id;
		ids[n++] = t->new_ids[0];
		members__prune(txn__state_dir(t), ids, n);
	}
	record_member(t, t->new_ids[0], &p->rec, p->notes);
	if (added) {
		memset(added, 0, sizeof(*added));
		snprintf(added->name, sizeof(added->name), "%s", xdp_program__name(p->progs[0]));
		added->id = t->new_ids[0];
		added->prio = xdp_program__run_prio(p->progs[0]);
		added->actions = chain__prog_actions(p->progs[0]);
		added->uses_hook = uses_hook;
	}
	return 0;
}

int chain__add(const char *ifname, const struct chain_add_opts *o, struct chain_prog *added,
	       struct notes *notes)
{
	struct add_plan p = { .hook_fd = -1, .member_hook_fd = -1, .stats_fd = -1, .notes = notes };
	struct chain_txn t;
	bool mounted;
	int err;

	err = chain__ifindex(ifname);
	if (err < 0)
		return err;
	/* the object first: a FIFO or a bad file is refused before any lock or probe */
	err = user_obj_load(o, &p.of, &p.obj, &p.progs[0], &p.rec);
	/* before the freplace check: cheap, and the clearer error */
	if (!err)
		err = bpffs__check_dirs(ifname, o->hook_pin);
	/* Before anything changes, bpffs included. */
	if (!err)
		err = features__require_freplace();
	if (!err)
		err = bpffs__ensure(&mounted);
	if (err)
		goto out;
	if (mounted)
		notes_add(notes, LOG_INFO, "mounted bpffs at %s", bpffs_root());

	err = txn__begin(&t, ifname, notes);
	if (!err)
		err = add_in(&t, o, &p, added);
	err = txn__end(&t, err);
out:
	xdp_program__close(p.progs[0]);
	own_prog__free(&p.final);
	bpf_object__close(p.obj);
	objfile__free(&p.of);
	if (p.hook_fd >= 0)
		close(p.hook_fd);
	if (p.member_hook_fd >= 0)
		close(p.member_hook_fd);
	if (p.stats_fd >= 0)
		close(p.stats_fd);
	return err;
}
