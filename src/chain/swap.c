// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * One dispatcher replacement for any new set of members (swap__run(),
 * for txn__swap()).
 *
 * libxdp builds a new dispatcher only from the running one plus some
 * programs (attach_multi) or minus some (detach_multi), and its builder is
 * private. A change that takes members out and puts others in would take
 * two replacements, and packets between them would meet a half-built
 * chain. So xdpchain builds that dispatcher itself, exactly as libxdp
 * would and where libxdp will read it again: xdpchain's dispatcher object
 * with libxdp's config (chain-call actions, priorities, flags per slot),
 * each member linked to its slot as an freplace program (running ones are
 * linked again, as libxdp does with the members it keeps), pinned under
 * libxdp's lock as <bpffs>/xdp/dispatch-IFINDEX-ID/progN-{prog,link}, then
 * attached in place of the running dispatcher (XDP_FLAGS_REPLACE: it fails
 * if another tool changed it meanwhile), and the old one's pins removed.
 * The new dispatcher gets its observer before it is attached, so no packet
 * a member ends between two dispatchers goes uncounted or uncaptured.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/prog_dispatcher.h>

#include "bpffs.h"
#include "chain.h"
#include "log.h"
#include "members.h"
#include "prog.h"
#include "swap.h"
#include "xdp_action.h"
#include "xdp_dispatcher.skel.h"
#include "xdp_dispatcher_lean.skel.h"
#include "xdp_dispatcher_cost.skel.h"
#include "xdp_dispatcher_lean_cost.skel.h"

/* libxdp's order: priority, then name. */
static int by_run_order(const void *a, const void *b)
{
	const struct swap_member *x = a, *y = b;

	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The BTF id of function @name in the BTF the kernel keeps with program @fd. */
static int func_btf_id(int fd, const char *name)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct btf *btf;
	int id;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	btf = btf__load_from_kernel_by_id(info.btf_id);
	if (!btf)
		return -errno;
	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	btf__free(btf);
	return id;
}

static int pin_dir(int ifindex, __u32 id, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/xdp/dispatch-%d-%u", bpffs_root(), ifindex, id);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Removes libxdp's pins of a dispatcher (its members' links and programs). */
static void unpin_dir(const char *dir, size_t n)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < n; i++) {
		if (snprintf(path, sizeof(path), "%s/prog%zu-link", dir, i) < (int)sizeof(path))
			unlink(path);
		if (snprintf(path, sizeof(path), "%s/prog%zu-prog", dir, i) < (int)sizeof(path))
			unlink(path);
	}
	rmdir(dir);
}

/*
 * Loads xdpchain's dispatcher object with the config for @m: the lean
 * variant when no member goes on after several actions (dispatcher.h).
 * Returns the object in @out and the dispatcher program in @prog.
 */
static int load_dispatcher(struct swap_member *m, size_t n, bool timed, struct bpf_object **out,
			   struct bpf_program **prog)
{
	/* the skeletons' name: the same map names as the object libxdp loads */
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "xdp_dispatcher_bpf");
	struct xdp_dispatcher_config *conf = NULL;
	struct bpf_object *obj;
	struct bpf_program *p;
	struct bpf_map *map;
	const void *elf;
	size_t size = 0;
	bool lean = true;
	int err;

	for (size_t i = 0; i < n; i++)
		lean &= !xdp_actions_several(m[i].actions);
	if (timed)
		elf = lean ? xdp_dispatcher_lean_cost_bpf__elf_bytes(&size) :
			     xdp_dispatcher_cost_bpf__elf_bytes(&size);
	else
		elf = lean ? xdp_dispatcher_lean_bpf__elf_bytes(&size) :
			     xdp_dispatcher_bpf__elf_bytes(&size);
	obj = bpf_object__open_mem(elf, size, &oo);
	err = libbpf_get_error(obj);
	if (err)
		return err;
	/* the object's one map: the config, in .rodata */
	bpf_object__for_each_map(map, obj) {
		/* writable until load, as in a skeleton (const in libbpf < 1.3) */
		if (bpf_map__is_internal(map))
			conf = (void *)bpf_map__initial_value(map, &size);
	}
	*prog = bpf_object__find_program_by_name(obj, "xdp_dispatcher");
	if (!conf || size < sizeof(*conf) || !*prog) {
		bpf_object__close(obj);
		return -ENOENT;
	}
	memset(conf, 0, sizeof(*conf));
	conf->magic = XDP_DISPATCHER_MAGIC;
	conf->dispatcher_version = XDP_DISPATCHER_VERSION;
	conf->num_progs_enabled = n;
	/* like libxdp with a member that lacks frags (every user program here) */
	conf->is_xdp_frags = 0;
	for (size_t i = 0; i < n; i++) {
		conf->chain_call_actions[i] = m[i].actions | (1U << XDP_DISPATCHER_RETVAL);
		conf->run_prios[i] = m[i].prio;
		conf->program_flags[i] = m[i].frags ? BPF_F_XDP_HAS_FRAGS : 0;
	}
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == *prog);
	err = bpf_object__load(obj);
	if (err) {
		bpf_object__close(obj);
		return err;
	}
	*out = obj;
	return 0;
}

/* Links member @i into slot @i of the dispatcher @disp_fd; a new one is loaded first. */
static int link_member(struct swap_member *m, size_t i, int disp_fd, int *prog_fd, int *link_fd)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	char slot[32];
	int btf_id, err;

	snprintf(slot, sizeof(slot), "prog%zu", i);
	btf_id = func_btf_id(disp_fd, slot);
	if (btf_id <= 0)
		return btf_id < 0 ? btf_id : -ENOENT;
	if (m->id) {
		*prog_fd = bpf_prog_get_fd_by_id(m->id);
		if (*prog_fd < 0)
			return -errno;
	} else {
		err = bpf_program__set_attach_target(m->prog, disp_fd, slot);
		if (err)
			return err;
		bpf_program__set_type(m->prog, BPF_PROG_TYPE_EXT);
		bpf_program__set_expected_attach_type(m->prog, 0);
		err = bpf_object__load(m->obj);
		if (err)
			return err;
		*prog_fd = dup(bpf_program__fd(m->prog));
		if (*prog_fd < 0)
			return -errno;
	}
	opts.target_btf_id = btf_id;
	*link_fd = bpf_link_create(*prog_fd, disp_fd, 0, &opts);
	return *link_fd < 0 ? -errno : 0;
}

/* What txn__swap() threads through its steps. */
struct swap_run {
	const struct swap_target *tg;
	const struct swap_hooks *h;
	struct swap_member *m;
	size_t n, linked;
	int prog_fds[CHAIN_MAX_PROGS], link_fds[CHAIN_MAX_PROGS];
	struct bpf_object *disp_obj;
	int disp_fd, lock;
	__u32 disp_id, flags;
	char dir[PATH_MAX];
	bool pinned, recorded;
	bool prepared; /* the hooks' prepare() made something for this dispatcher */
};

/* Records where each new member came from (members.h), before it runs. */
static int record_new(struct swap_run *s, bool forget)
{
	const char *dir = s->tg->state_dir;
	int err = 0;

	for (size_t i = 0; dir[0] && i < s->n; i++) {
		if (!s->m[i].rec || !s->m[i].new_id)
			continue;
		if (forget)
			members__forget(dir, s->m[i].new_id);
		else if (!err)
			err = members__record(dir, s->m[i].new_id, s->m[i].rec);
	}
	s->recorded = !forget && !err;
	return err;
}

/* The new dispatcher, every member linked into its slot: nothing runs it yet. */
static int swap_build(struct swap_run *s)
{
	struct bpf_program *disp_prog = NULL;
	int err;

	err = load_dispatcher(s->m, s->n, s->tg->timed, &s->disp_obj, &disp_prog);
	if (err)
		return err_set(err, "cannot load xdpchain's dispatcher object: %s; run with -vv",
			       strerror(-err));
	s->disp_fd = bpf_program__fd(disp_prog);
	s->disp_id = prog__id(s->disp_fd);
	for (; s->linked < s->n; s->linked++) {
		size_t i = s->linked;

		s->prog_fds[i] = s->link_fds[i] = -1;
		err = link_member(&s->m[i], i, s->disp_fd, &s->prog_fds[i], &s->link_fds[i]);
		if (err) {
			s->linked++;
			return err_set(
				err,
				"loading '%s' into the new chain on %s failed: %s (the verifier or the kernel refused it); run with -vv for the verifier log; nothing was changed",
				s->m[i].name, s->tg->ifname, strerror(-err));
		}
		s->m[i].new_id = prog__id(s->prog_fds[i]);
	}
	return 0;
}

/* libxdp's record of the new dispatcher, under libxdp's lock (held after). */
static int swap_pin(struct swap_run *s)
{
	char path[PATH_MAX];
	int err;

	/* libxdp's lock, as libxdp takes it, but never waited for without end */
	s->lock = bpffs__libxdp_lock(LIBXDP_LOCK_WAIT_MS);
	if (s->lock < 0)
		return s->lock; /* err_last() names the holder */
	err = pin_dir(s->tg->ifindex, s->disp_id, s->dir, sizeof(s->dir));
	if (!err && mkdir(s->dir, 0700))
		err = -errno;
	s->pinned = !err;
	for (size_t i = 0; !err && i < 2 * s->n; i++) {
		/* as libxdp: progN-link, then progN-prog */
		if (snprintf(path, sizeof(path), "%s/prog%zu-%s", s->dir, i / 2,
			     i % 2 ? "prog" : "link") >= (int)sizeof(path))
			err = -ENAMETOOLONG;
		else if (bpf_obj_pin(i % 2 ? s->prog_fds[i / 2] : s->link_fds[i / 2], path))
			err = -errno;
	}
	if (err)
		return err_set(err, "cannot pin the new dispatcher's members under %s: %s", s->dir,
			       strerror(-err));
	return 0;
}

static int explain_switch_error(const struct swap_target *tg, int err)
{
	if (err == -EEXIST || err == -EBUSY)
		return err_set(
			err,
			"%s the dispatcher on %s failed: its XDP programs changed meanwhile (another tool, e.g. xdp-loader?); nothing was changed, retry (%s)",
			tg->old_id ? "replacing" : "attaching", tg->ifname, strerror(-err));
	if (!tg->old_id)
		return err_set(
			err,
			"attaching the dispatcher to %s failed: %s; check 'xdpchain features' (native mode needs the driver's support) and run with -vv",
			tg->ifname, strerror(-err));
	return err_set(err, "replacing the dispatcher on %s failed: %s", tg->ifname,
		       strerror(-err));
}

/*
 * The one step packets see: the old dispatcher, replaced whole (it fails if
 * another tool changed it meanwhile), or, on an interface with no XDP
 * program, the first one (it fails if one came meanwhile).
 */
static int swap_switch(struct swap_run *s, int *old_fd)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, aopts);
	const struct swap_target *tg = s->tg;
	const struct swap_hooks *h = s->h;
	__u32 flags = s->flags;
	int err;

	if (tg->old_id) {
		*old_fd = bpf_prog_get_fd_by_id(tg->old_id);
		if (*old_fd < 0)
			return err_set(
				-EAGAIN,
				"the dispatcher of %s went away while xdpchain built its new chain; retry",
				tg->ifname);
		flags |= XDP_FLAGS_REPLACE;
		aopts.old_prog_fd = *old_fd;
	} else {
		flags |= XDP_FLAGS_UPDATE_IF_NOEXIST;
	}
	/* e.g. an apply of several interfaces: the next run can undo it (journal.h) */
	if (h->before_switch) {
		err = h->before_switch(h->ctx, s->disp_id, s->flags);
		if (err)
			return err;
	}
	err_quiet(true);
	if (s->prepared && h->arm(h->ctx)) {
		pr_debug("%s: no observer before the switch, one after it\n", tg->ifname);
		s->prepared = false; /* arm() failed: prepare()'s work is gone */
	}
	err_quiet(false);
	if (bpf_xdp_attach(tg->ifindex, s->disp_fd, flags, &aopts))
		return explain_switch_error(tg, -errno);
	return 0;
}

/*
 * After the switch: the new pins stay (libxdp's record of the running
 * chain); the old dispatcher's pins go, unless the caller keeps them
 * (switched() returns true: an apply of several interfaces).
 */
static void swap_keep(struct swap_run *s)
{
	const struct swap_target *tg = s->tg;
	const struct swap_hooks *h = s->h;
	char old_dir[PATH_MAX];
	bool prepared = s->prepared;

	s->pinned = false;
	s->recorded = false;
	s->prepared = false; /* from here the hooks' */
	if (h->switched && h->switched(h->ctx, s->disp_id, s->flags, prepared))
		return;
	if (prepared)
		h->end(h->ctx, true);
	if (tg->old_id && !pin_dir(tg->ifindex, tg->old_id, old_dir, sizeof(old_dir)))
		unpin_dir(old_dir, tg->n_old);
}

/* Builds, pins and switches; on failure nothing is left behind. */
static int swap_steps(struct swap_run *s, int *old_fd)
{
	const struct swap_hooks *h = s->h;
	int err;

	err = swap_build(s);
	if (!err)
		err = record_new(s, false);
	if (err)
		return err;
	/*
	 * Counting is on top of the change, as with libxdp's dispatchers: an
	 * observer that cannot be made here is tried again after the change,
	 * which says why counting is off if it fails again (txn.c).
	 */
	err_quiet(true);
	err = h->prepare ? h->prepare(h->ctx, s->m, s->n, s->disp_fd) : 0;
	if (err < 0)
		pr_debug("%s: no observer before the switch, one after it\n", s->tg->ifname);
	s->prepared = err > 0;
	err_quiet(false);
	err = swap_pin(s);
	if (!err)
		err = swap_switch(s, old_fd);
	if (!err)
		swap_keep(s);
	return err;
}

static void swap_cleanup(struct swap_run *s, int err)
{
	if (s->prepared)
		s->h->end(s->h->ctx, !err);
	if (s->pinned)
		unpin_dir(s->dir, s->n);
	if (s->recorded)
		record_new(s, true);
	if (s->lock >= 0)
		close(s->lock);
	for (size_t i = 0; i < s->linked; i++) {
		if (s->link_fds[i] >= 0)
			close(s->link_fds[i]);
		if (s->prog_fds[i] >= 0)
			close(s->prog_fds[i]);
	}
	bpf_object__close(s->disp_obj);
}

int swap__run(const struct swap_target *tg, struct swap_member *m, size_t n,
	      const struct swap_hooks *h)
{
	struct swap_run s = { .tg = tg, .h = h, .m = m, .n = n, .disp_fd = -1, .lock = -1 };
	int old_fd = -1, err;

	if (n < 1 || n > CHAIN_MAX_PROGS)
		return err_set(-EINVAL, "internal error: %zu members for one dispatcher", n);
	s.flags = tg->mode == XDP_MODE_SKB    ? XDP_FLAGS_SKB_MODE :
		  tg->mode == XDP_MODE_NATIVE ? XDP_FLAGS_DRV_MODE :
						0;
	qsort(m, n, sizeof(*m), by_run_order);
	err = swap_steps(&s, &old_fd);
	swap_cleanup(&s, err);
	if (old_fd >= 0)
		close(old_fd);
	return err;
}

void swap__unpin(int ifindex, __u32 id, size_t n)
{
	char dir[PATH_MAX];
	int lock = bpffs__libxdp_lock(LIBXDP_LOCK_WAIT_MS);

	if (!pin_dir(ifindex, id, dir, sizeof(dir)))
		unpin_dir(dir, n);
	if (lock >= 0)
		close(lock);
}

int swap__revert(int ifindex, __u32 old_id, __u32 new_id, __u32 flags, size_t n_new)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, aopts);
	int old_fd = -1, new_fd, lock, err = 0;

	lock = bpffs__libxdp_lock(LIBXDP_LOCK_WAIT_MS);
	new_fd = bpf_prog_get_fd_by_id(new_id);
	if (old_id)
		old_fd = bpf_prog_get_fd_by_id(old_id);
	if (new_fd < 0 || (old_id && old_fd < 0))
		err = -errno;
	else if (prog__attached_id(ifindex) != new_id)
		err = -ESTALE; /* not the dispatcher this run attached: not ours to undo */
	aopts.old_prog_fd = new_fd;
	if (!err && bpf_xdp_attach(ifindex, old_fd, flags | XDP_FLAGS_REPLACE, &aopts))
		err = -errno;
	if (!err) {
		char dir[PATH_MAX];

		if (!pin_dir(ifindex, new_id, dir, sizeof(dir)))
			unpin_dir(dir, n_new);
	}
	if (old_fd >= 0)
		close(old_fd);
	if (new_fd >= 0)
		close(new_fd);
	if (lock >= 0)
		close(lock);
	return err;
}
