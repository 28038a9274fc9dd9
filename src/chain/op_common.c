// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * What the operations share: xdpchain's own programs (final stage, tap),
 * the chain's hook, what every change that adds programs first does to
 * the chain read, and the records of members' origins.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "bpffs.h"
#include "dispatcher.h"
#include "log.h"
#include "observer.h"
#include "ops_internal.h"
#include "xdp_action.h"
#include "../../dispatcher/stats.h"
#include "final.skel.h"

/*
 * Opens the embedded object @elf, gives it the hook and the interface's
 * state map (what marks it ours) and makes the libxdp program @name.
 */
int own_prog__make(struct own_prog *o, const void *elf, size_t size, const char *name, int hook_fd,
		   int state_fd, int stats_fd, __u32 prio)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, opts);
	struct bpf_map *hook, *state, *stats;
	int err;

	memset(o, 0, sizeof(*o));
	o->obj = bpf_object__open_mem(elf, size, NULL);
	err = libbpf_get_error(o->obj);
	if (err) {
		o->obj = NULL;
		return err_set(err, "cannot open xdpchain's embedded %s: %s", name, strerror(-err));
	}
	hook = bpf_object__find_map_by_name(o->obj, XDPCAP_HOOK_MAP);
	state = bpf_object__find_map_by_name(o->obj, STATE_MAP_NAME);
	err = hook && state ? 0 : -ENOENT;
	if (!err)
		err = bpf_map__reuse_fd(hook, hook_fd);
	if (!err)
		err = bpf_map__reuse_fd(state, state_fd);
	stats = bpf_object__find_map_by_name(o->obj, STATS_MAP_NAME);
	if (!err && stats)
		err = stats_fd >= 0 ? bpf_map__reuse_fd(stats, stats_fd) : -ENOENT;
	if (err)
		return err_set(err, "cannot give %s its maps: %s", name, strerror(-err));
	opts.obj = o->obj;
	opts.prog_name = name;
	o->prog = xdp_program__create(&opts);
	err = libxdp_get_error(o->prog);
	if (err) {
		o->prog = NULL;
		return err_set(err, "cannot create %s: %s", name, strerror(-err));
	}
	xdp_program__set_run_prio(o->prog, prio);
	return 0;
}

void own_prog__free(struct own_prog *o)
{
	xdp_program__close(o->prog);
	bpf_object__close(o->obj);
	o->prog = NULL;
	o->obj = NULL;
}

void explain_attach_error(int err, const char *name, const struct chain_add_opts *o)
{
	struct dispatcher_info d;
	char msg[128];

	libxdp_msg(err, msg, sizeof(msg));
	if (err == -EINVAL && !dispatcher__probe(&d) && d.choice == DISPATCHER_SYSTEM &&
	    dispatcher__stock_refuses_pkt_changes())
		err_set(err,
			"libxdp's dispatcher object cannot hold programs that tail-call or change packet data on this kernel (\"Extension program changes packet data, while original does not\"), and xdpchain's final stage tail-calls; let xdpchain use its own dispatcher object (unset XDPCHAIN_DISPATCHER=system)");
	else if (err == -EACCES || err == -EINVAL)
		err_set(err,
			"loading '%s' from %s into the chain failed: %s (the verifier or the kernel refused it); run with -vv for the verifier log",
			name, o->file, msg);
	else if (err == -EEXIST || err == -EBUSY)
		err_set(err,
			"attaching '%s' failed: the interface's XDP programs changed meanwhile (another tool, e.g. xdp-loader?); nothing was changed, retry",
			name);
	else if (err == -EOPNOTSUPP || err == -EPERM)
		err_set(err,
			"attaching '%s' through libxdp's dispatcher failed: %s; check 'xdpchain features' and run with -vv",
			name, msg);
	else
		err_set(err, "attaching '%s' to the chain failed: %s; run with -vv for details",
			name, msg);
}

struct hook_owner {
	__u32 map_id;
	char ifname[IF_NAMESIZE];
};

static int is_hook_owner(const struct chain *c, void *ctx)
{
	struct hook_owner *o = ctx;

	if (!c->managed || (c->hook_id != o->map_id && c->hook_pin_id != o->map_id))
		return 0;
	snprintf(o->ifname, sizeof(o->ifname), "%s", c->ifname);
	return 1;
}

/* The interface (name) whose chain's hook is the map @map_id, if any. */
static bool hook_of_chain(__u32 map_id, char *ifname, size_t size)
{
	struct hook_owner o = { .map_id = map_id };

	if (chain__for_each(chain__read, is_hook_owner, &o) != 1)
		return false;
	snprintf(ifname, size, "%s", o.ifname);
	return true;
}

/*
 * A --hook-pin path: on bpffs, in a directory that exists, and free. Names
 * what is there otherwise; never touches it.
 */
static int check_new_pin(const char *path)
{
	char dir[PATH_MAX], owner[IF_NAMESIZE];
	struct statfs sfs;
	struct stat st;
	int fd;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return err_set(-ENAMETOOLONG, "--hook-pin %s is too long", path);
	if (statfs(dirname(dir), &sfs) || sfs.f_type != BPF_FS_MAGIC)
		return err_set(
			-EINVAL,
			"--hook-pin %s is not on bpffs; choose a path under %s (e.g. %s/xdpcap_hook_NAME)",
			path, bpffs_root(), bpffs_root());
	if (!lstat(path, &st)) {
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			__u32 id = hook__id(fd);

			close(fd);
			if (hook_of_chain(id, owner, sizeof(owner)))
				return err_set(
					-EEXIST,
					"--hook-pin %s is the hook of the chain on %s; choose a new path or drop --hook-pin",
					path, owner);
		}
		return err_set(
			-EEXIST,
			"--hook-pin %s exists already (another tool's pin?); choose a new path",
			path);
	}
	if (errno != ENOENT)
		return err_set(-errno, "--hook-pin %s: %s", path, strerror(errno));
	return 0;
}

/* The chain again, under the same lock, after a change of our own. */
int reread(struct chain_txn *t)
{
	char ifname[IF_NAMESIZE];

	snprintf(ifname, sizeof(ifname), "%s", t->c.ifname);
	return chain__read_leftovers(ifname, &t->c);
}

/*
 * The chain and libxdp's view of its dispatcher (into t->mp, which the
 * caller closed or keeps) read again after a change of our own (@during).
 */
int reread_mp(struct chain_txn *t, const char *during)
{
	int err;

	err = reread(t);
	if (err || t->c.kind == CHAIN_NONE)
		return err;
	t->mp = xdp_multiprog__get_from_ifindex(t->c.ifindex);
	if (libxdp_get_error(t->mp) || !t->mp) {
		t->mp = NULL;
		return err_set(-EAGAIN, "the XDP programs of %s changed during %s; retry",
			       t->c.ifname, during);
	}
	return 0;
}

/* Detaches taps whose capture is gone: a separate, complete change. */
int drop_stale_taps(struct chain_txn *t, struct notes *notes)
{
	size_t idx[CHAIN_MAX_PROGS], n = 0;
	int err;

	for (size_t i = 0; i < t->c.n; i++)
		if (t->c.progs[i].tap_stale)
			idx[n++] = i;
	if (!n || n == t->c.n)
		return 0;
	err = txn__detach(t, idx, n);
	if (err)
		return err;
	notes_add(notes, LOG_INFO, "removed %zu tap%s a killed capture left in the chain on %s", n,
		  n == 1 ? "" : "s", t->c.ifname);
	/* the chain changed: read it again, under the same lock */
	xdp_multiprog__close(t->mp);
	t->mp = NULL;
	return reread_mp(t, "the removal of stale taps");
}

/*
 * The directory for this interface's state holds another interface's: gone
 * (a leftover, removed) or renamed (its state moves to its new name).
 */
static int clear_name(struct chain_txn *t, struct notes *notes)
{
	char other[IF_NAMESIZE];
	struct chain_state st;
	int err;

	for (size_t i = 0; i < t->c.n_leftovers; i++)
		if (t->c.leftovers[i].kind == LEFTOVER_STATE)
			leftover__remove(&t->c.leftovers[i]);
	if (!t->c.name_taken || t->c.managed)
		return 0;
	err_quiet(true);
	err = state__read(t->c.ifname, &st);
	err_quiet(false);
	if (err == -ENOENT)
		return 0; /* the leftover went */
	if (err == -EXDEV)
		return state__read(t->c.ifname, &st); /* its line: another namespace's */
	if (err)
		return err_set(err, "cannot read the state under %s/xdpchain/%s: %s", bpffs_root(),
			       t->c.ifname, strerror(-err));
	if (!if_indextoname(st.ifindex, other))
		return err_set(
			-EEXIST,
			"%s/xdpchain/%s holds the state of interface index %d, which has XDP programs but no name; 'xdpchain cleanup' or remove it by hand",
			bpffs_root(), t->c.ifname, st.ifindex);
	err = state__move(t->c.ifname, other);
	if (err)
		return err;
	notes_add(notes, LOG_INFO,
		  "moved the state of %s's chain (renamed from %s) to its new name", other,
		  t->c.ifname);
	t->c.name_taken = false;
	return 0;
}

/* A renamed interface's state moves to its new name (when that is free). */
static int follow_rename(struct chain_txn *t, struct notes *notes)
{
	char new_dir[PATH_MAX];
	struct stat st;
	int err;

	if (bpffs__iface_dir(t->c.ifname, new_dir, sizeof(new_dir)) || !lstat(new_dir, &st))
		return 0;
	err = state__move(strrchr(t->c.state_dir, '/') + 1, t->c.ifname);
	if (err)
		return err;
	notes_add(notes, LOG_INFO, "moved the state of %s's chain to its new name", t->c.ifname);
	return reread(t);
}

/*
 * Whether the chain @c can take the hook pin @hook_pin (NULL: the default):
 * a new pin must be free, an existing chain's must be the one it uses.
 * Changes nothing (apply --dry-run checks with it).
 */
int hook_check(const struct chain *c, const char *hook_pin)
{
	if (!c->managed)
		return hook_pin ? check_new_pin(hook_pin) : 0;
	if (hook_pin && strcmp(hook_pin, c->hook_pin))
		return err_set(
			-EEXIST,
			"the chain on %s already uses the hook pinned at %s; drop --hook-pin or run 'xdpchain flush %s' first",
			c->ifname, c->hook_pin, c->ifname);
	if (c->hook_pin_id && c->hook_id && c->hook_pin_id != c->hook_id)
		return err_set(
			-EEXIST,
			"the map pinned at %s (id %u) is not the hook the chain on %s calls (id %u); remove that pin or run 'xdpchain flush %s'",
			c->hook_pin, c->hook_pin_id, c->ifname, c->hook_id, c->ifname);
	if (c->hook_pin_id && c->state_hook_id && c->hook_pin_id != c->state_hook_id)
		return err_set(
			-EEXIST,
			"the map pinned at %s (id %u) is not the hook xdpchain made for %s (id %u); remove that pin or run 'xdpchain flush %s'",
			c->hook_pin, c->hook_pin_id, c->ifname, c->state_hook_id, c->ifname);
	return 0;
}

/* The chain's hook: kept from an earlier add, found again, or made now. */
int plan_hook(struct chain_txn *t, const struct chain_add_opts *o, struct add_plan *p)
{
	const struct chain *c = &t->c;
	char defpin[PATH_MAX];
	int err;

	if (!c->managed) {
		if (bpffs__default_hook_pin(c->ifname, defpin, sizeof(defpin)))
			return err_set(-ENAMETOOLONG, "bpffs path for %s is too long", c->ifname);
		snprintf(p->hook_pin, sizeof(p->hook_pin), "%s",
			 o->hook_pin ? o->hook_pin : defpin);
		err = hook_check(c, o->hook_pin);
		if (err)
			return err;
		p->hook_fd = hook__create();
		if (p->hook_fd < 0)
			return p->hook_fd;
		err = txn__state(t, p->hook_pin, hook__id(p->hook_fd));
		if (err < 0)
			return err;
		return txn__pin(t, p->hook_fd, p->hook_pin, "the hook");
	}

	err = hook_check(c, o->hook_pin);
	if (err)
		return err;
	snprintf(p->hook_pin, sizeof(p->hook_pin), "%s", c->hook_pin);
	if (c->hook_id) {
		/* the final stage's map, or the pinned hook */
		p->hook_fd = bpf_map_get_fd_by_id(c->hook_id);
		if (p->hook_fd < 0)
			return err_set(-errno, "cannot open the hook (map id %u) of %s: %s",
				       c->hook_id, c->ifname, strerror(errno));
		if (!c->hook_pin_id) {
			err = txn__pin(t, p->hook_fd, p->hook_pin, "the hook");
			if (err)
				return err;
			notes_add(p->notes, LOG_INFO, "re-pinned the hook at %s", p->hook_pin);
		}
		return 0;
	}
	/* the state names a hook that is gone and nothing uses one: a new one */
	p->hook_fd = hook__create();
	if (p->hook_fd < 0)
		return p->hook_fd;
	p->new_hook_for_state = true;
	return txn__pin(t, p->hook_fd, p->hook_pin, "the hook");
}

/* What every change that adds programs first does to the chain read. */
int add_prepare(struct chain_txn *t, struct notes *notes)
{
	int err;

	err = clear_name(t, notes);
	if (!err && t->c.state_elsewhere)
		err = follow_rename(t, notes);
	if (!err)
		err = drop_stale_taps(t, notes);
	return err;
}

/*
 * Gives a user object that defines its own xdpcap_hook the chain's hook, or
 * with xdpchain's dispatcher an empty one of its own (*@member_hook_fd).
 */
int give_hook(struct bpf_object *obj, const char *file, int hook_fd, int *member_hook_fd,
	      bool *uses_hook)
{
	struct dispatcher_info d;
	struct bpf_map *hmap;
	int err;

	hmap = bpf_object__find_map_by_name(obj, XDPCAP_HOOK_MAP);
	*uses_hook = hmap != NULL;
	if (!hmap)
		return 0;
	err = hook__check_def(hmap, file);
	if (err)
		return err;
	/*
	 * With xdpchain's dispatcher the observer hands every packet a
	 * member ends to the hook, with the member's name: a member
	 * calling the hook itself would show its packets twice (an
	 * xdpcap_exit(XDP_PASS) mid-chain even labelled as the chain's
	 * exit). Such members get a hook of their own, always empty.
	 */
	if (!dispatcher__probe(&d) && d.choice == DISPATCHER_OWN) {
		*member_hook_fd = hook__create();
		if (*member_hook_fd < 0)
			return *member_hook_fd;
		err = bpf_map__reuse_fd(hmap, *member_hook_fd);
	} else {
		err = bpf_map__reuse_fd(hmap, hook_fd);
	}
	if (err)
		return err_set(err, "cannot give %s its hook: %s", file, strerror(-err));
	return 0;
}

/*
 * Gives @obj's map of the same name the kernel's map @id, but for internal
 * maps and the hook: a prog array's owner (hook__create()) takes programs
 * loaded as members are, not the plain XDP program built_final_tag() loads.
 */
static int reuse_by_name(struct bpf_object *obj, __u32 id)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct bpf_map *map;
	int fd, err = 0;

	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	map = err ? NULL : bpf_object__find_map_by_name(obj, info.name);
	if (map && !bpf_map__is_internal(map) && info.type != BPF_MAP_TYPE_PROG_ARRAY)
		err = bpf_map__reuse_fd(map, fd);
	close(fd);
	return err;
}

/*
 * Opens this build's final stage with the maps of the running one @f (by
 * name: a layout this build's cannot use fails here, not in the switch),
 * loads it as a plain XDP program and writes its tag in hex: the kernel's
 * tag leaves the map fds out. 0 or -errno.
 */
static int built_final_tag(const struct chain_prog *f, char tag[BPF_TAG_SIZE * 2 + 1])
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct bpf_program *prog;
	struct bpf_object *obj;
	const void *elf;
	size_t size = 0;
	int err;

	elf = final_bpf__elf_bytes(&size);
	obj = bpf_object__open_mem(elf, size, NULL);
	if (libbpf_get_error(obj))
		return libbpf_get_error(obj);
	prog = bpf_object__find_program_by_name(obj, FINAL_NAME);
	err = prog ? 0 : -ENOENT;
	for (size_t i = 0; !err && i < f->n_maps; i++)
		err = reuse_by_name(obj, f->map_ids[i]);
	if (!err)
		err = bpf_object__load(obj);
	if (!err)
		err = bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) ? -errno : 0;
	bpf_object__close(obj);
	for (int i = 0; !err && i < BPF_TAG_SIZE; i++)
		snprintf(tag + 2 * i, 3, "%02x", info.tag[i]);
	return err;
}

/*
 * Whether this change replaces the chain's final stage @f: it is an older
 * build's (its tag is not what this build's loads to) and the change is
 * one switch of xdpchain's dispatcher object, in which the new final stage
 * takes the old one's place. One that this build's cannot replace (its
 * maps do not fit, or libxdp makes the change) stays, with a note.
 */
static bool final_renews(struct chain_txn *t, const struct chain_prog *f, struct notes *notes,
			 bool tell)
{
	char tag[BPF_TAG_SIZE * 2 + 1];
	int err;

	err_quiet(true);
	err = built_final_tag(f, tag);
	err_quiet(false);
	if (err) {
		notes_add(
			notes, LOG_WARN,
			"this build's final stage does not load with the maps of the one on %s (id %u): %s; the running one stays ('xdpchain flush %s' and add the programs again to renew it)",
			t->c.ifname, f->id, strerror(-err), t->c.ifname);
		return false;
	}
	if (!strcmp(tag, f->tag))
		return false;
	if (!txn__swaps(t)) {
		notes_add(
			notes, LOG_WARN,
			"xdpchain's final stage on %s (id %u) is an older build's and stays: libxdp makes this change; 'xdpchain flush %s' and add the programs again to renew it",
			t->c.ifname, f->id, t->c.ifname);
		return false;
	}
	if (tell)
		notes_add(
			notes, LOG_INFO,
			"xdpchain's final stage on %s (id %u) is an older build's: replaced by this build's",
			t->c.ifname, f->id);
	return true;
}

bool final_renewal(struct chain_txn *t, struct add_plan *p, bool tell)
{
	const struct chain_prog *running = chain__final(&t->c);

	if (running && !p->final_renew)
		p->final_renew = final_renews(t, running, p->notes, tell) ? 1 : -1;
	return running && p->final_renew > 0;
}

/*
 * Appends xdpchain's final stage to @progs when the chain has none yet, or
 * runs an older build's (final_renews()): then the new one takes its place.
 */
int add_final(struct chain_txn *t, struct add_plan *p, struct xdp_program **progs, size_t *nprogs)
{
	const void *elf;
	size_t size = 0;
	int state_fd, err;

	if (chain__final(&t->c) && !final_renewal(t, p, true))
		return 0;
	state_fd = txn__state(t, p->hook_pin, hook__id(p->hook_fd));
	if (state_fd < 0)
		return state_fd;
	elf = final_bpf__elf_bytes(&size);
	p->stats_fd = txn__stats_map(t);
	if (p->stats_fd < 0)
		return p->stats_fd;
	err = own_prog__make(&p->final, elf, size, FINAL_NAME, p->hook_fd, state_fd, p->stats_fd,
			     PRIO_FINAL);
	if (err)
		return err;
	progs[(*nprogs)++] = p->final.prog;
	return 0;
}

/* After the kernel step: a hook made for state that named a gone one is recorded. */
void record_new_hook(struct chain_txn *t, struct add_plan *p)
{
	int state_fd;

	if (!p->new_hook_for_state)
		return;
	state_fd = txn__state(t, p->hook_pin, hook__id(p->hook_fd));
	if (state_fd >= 0 && state__set_hook(state_fd, p->hook_pin, hook__id(p->hook_fd)))
		notes_add(p->notes, LOG_WARN, "could not record the new hook in xdpchain's state");
}

/* Where program @prog_id came from, for save and apply (members.h). */
void record_member(struct chain_txn *t, __u32 prog_id, const struct member_rec *rec,
		   struct notes *notes)
{
	err_quiet(true);
	if (members__record(txn__state_dir(t), prog_id, rec))
		notes_add(
			notes, LOG_WARN,
			"%s: could not record where program %u came from (%s); 'xdpchain save' will not know it",
			t->c.ifname, prog_id, err_last());
	err_quiet(false);
}
