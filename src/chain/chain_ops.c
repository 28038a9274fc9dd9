// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * add, remove, flush and taps: each one transaction (txn.h) over the chain
 * as read, with the rules of chain_rules.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/magic.h>

#include "bpffs.h"
#include "chain.h"
#include "dispatcher.h"
#include "feature.h"
#include "journal.h"
#include "lock.h"
#include "log.h"
#include "members.h"
#include "objfile.h"
#include "observer.h"
#include "txn.h"
#include "xdp_action.h"
#include "../../dispatcher/stats.h"
#include "final.skel.h"
#include "tap.skel.h"

/* One of xdpchain's own programs (final stage, tap), ready to attach. */
struct own_prog {
	struct bpf_object *obj;
	struct xdp_program *prog;
};

/*
 * Opens the embedded object @elf, gives it the hook and the interface's
 * state map (what marks it ours) and makes the libxdp program @name.
 */
static int own_prog__make(struct own_prog *o, const void *elf, size_t size, const char *name,
			  int hook_fd, int state_fd, int stats_fd, __u32 prio)
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

static void own_prog__free(struct own_prog *o)
{
	xdp_program__close(o->prog);
	bpf_object__close(o->obj);
	o->prog = NULL;
	o->obj = NULL;
}

/* "FILE:LINE: " of a chain file's entry, or nothing for add. */
#define WHERE_FMT "%s%s"
#define WHERE_ARGS(o) (o)->where ? (o)->where : "", (o)->where ? ": " : ""

/* ELF with e_machine EM_BPF: gives a clear error before libbpf's own. */
static int check_bpf_elf(const struct chain_add_opts *o, const struct objfile *f)
{
	const unsigned char *hdr = f->data;

	if (f->size < 20 || memcmp(hdr, "\177ELF", 4))
		return err_set(
			-ENOEXEC,
			WHERE_FMT
			"%s is not a BPF object (not an ELF file); build it with 'clang -O2 -g -target bpf -c prog.bpf.c'",
			WHERE_ARGS(o), o->file);
	if ((hdr[18] | hdr[19] << 8) != 247 /* EM_BPF, little endian */)
		return err_set(
			-ENOEXEC,
			WHERE_FMT
			"%s is an ELF file for another machine, not a BPF object; build it with 'clang -target bpf'",
			WHERE_ARGS(o), o->file);
	return 0;
}

/* "a (xdp), b (tc)": the programs of @obj, for messages. */
static const char *list_progs(struct bpf_object *obj, char *buf, size_t size)
{
	struct bpf_program *p;
	size_t len = 0;

	buf[0] = '\0';
	bpf_object__for_each_program(p, obj) {
		int n = snprintf(buf + len, size - len, "%s%s (%s)", len ? ", " : "",
				 bpf_program__name(p),
				 libbpf_bpf_prog_type_str(bpf_program__type(p)));

		if (n < 0 || (size_t)n >= size - len)
			break;
		len += n;
	}
	return len ? buf : "no programs at all";
}

/* The program of @obj to chain: --prog's, else the first XDP one. */
static int pick_prog(const struct chain_add_opts *o, struct bpf_object *obj,
		     struct bpf_program **progp)
{
	struct bpf_program *prog = NULL, *p;
	char names[512];

	if (o->prog_name) {
		prog = bpf_object__find_program_by_name(obj, o->prog_name);
		if (!prog)
			return err_set(-ENOENT, WHERE_FMT "%s has no program named '%s'; it has %s",
				       WHERE_ARGS(o), o->file, o->prog_name,
				       list_progs(obj, names, sizeof(names)));
	} else {
		bpf_object__for_each_program(p, obj) {
			if (bpf_program__type(p) == BPF_PROG_TYPE_XDP) {
				prog = p;
				break;
			}
		}
		if (!prog)
			return err_set(
				-EINVAL,
				WHERE_FMT
				"%s has no XDP program (it has %s); xdpchain chains SEC(\"xdp\") programs",
				WHERE_ARGS(o), o->file, list_progs(obj, names, sizeof(names)));
	}
	if (bpf_program__type(prog) != BPF_PROG_TYPE_XDP)
		return err_set(
			-EINVAL,
			WHERE_FMT
			"program '%s' in %s is a %s program, not XDP; xdpchain chains SEC(\"xdp\") programs",
			WHERE_ARGS(o), bpf_program__name(prog), o->file,
			libbpf_bpf_prog_type_str(bpf_program__type(prog)));
	if (!strcmp(bpf_program__name(prog), FINAL_NAME) ||
	    !strcmp(bpf_program__name(prog), TAP_NAME))
		return err_set(
			-EINVAL,
			WHERE_FMT
			"program '%s' in %s has the name of xdpchain's %s; rename the program",
			WHERE_ARGS(o), bpf_program__name(prog), o->file,
			strcmp(bpf_program__name(prog), FINAL_NAME) ? "capture tap" :
								      "final stage");
	*progp = prog;
	return 0;
}

/*
 * Opens the object read into @f (the bytes hashed are the bytes loaded) and
 * picks the XDP program to chain. @f must outlive the object.
 */
static int open_user_obj(const struct chain_add_opts *o, const struct objfile *f,
			 struct bpf_object **objp, struct bpf_program **progp)
{
	const char *base = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
	char name[64];
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = name);
	struct bpf_program *prog = NULL, *p;
	struct bpf_object *obj;
	int err;

	/* named as bpf_object__open_file() names it (internal maps: "count.rodata") */
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(base, "."), base);

	err = check_bpf_elf(o, f);
	if (err)
		return err;
	obj = bpf_object__open_mem(f->data, f->size, &oo);
	err = libbpf_get_error(obj);
	if (err)
		return err_set(err,
			       WHERE_FMT
			       "cannot open BPF object %s: %s; run with -vv for libbpf's reason",
			       WHERE_ARGS(o), o->file, strerror(-err));
	err = pick_prog(o, obj, &prog);
	if (err) {
		bpf_object__close(obj);
		return err;
	}
	/* Other programs in the object stay unloaded. */
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == prog);
	*objp = obj;
	*progp = prog;
	return 0;
}

static void explain_attach_error(int err, const char *name, const struct chain_add_opts *o)
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

/* The interface (name) whose chain's hook is the map @map_id, if any. */
static bool hook_of_chain(__u32 map_id, char *ifname, size_t size)
{
	struct if_nameindex *ifs = if_nameindex(), *it;
	bool found = false;

	for (it = ifs; it && it->if_index && !found; it++) {
		struct chain c;
		int err;

		err_quiet(true);
		err = chain__read(it->if_name, &c);
		err_quiet(false);
		if (err || !c.managed)
			continue;
		if (c.hook_id == map_id || c.hook_pin_id == map_id) {
			snprintf(ifname, size, "%s", it->if_name);
			found = true;
		}
	}
	if (ifs)
		if_freenameindex(ifs);
	return found;
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
static int reread(struct chain_txn *t)
{
	char ifname[IF_NAMESIZE];

	snprintf(ifname, sizeof(ifname), "%s", t->c.ifname);
	return chain__read_leftovers(ifname, &t->c);
}

/* Detaches taps whose capture is gone: a separate, complete change. */
static int drop_stale_taps(struct chain_txn *t)
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
	pr_info("removed %zu tap%s a killed capture left in the chain on %s\n", n,
		n == 1 ? "" : "s", t->c.ifname);
	/* the chain changed: read it again, under the same lock */
	xdp_multiprog__close(t->mp);
	t->mp = NULL;
	err = reread(t);
	if (!err && t->c.kind != CHAIN_NONE) {
		t->mp = xdp_multiprog__get_from_ifindex(t->c.ifindex);
		if (libxdp_get_error(t->mp)) {
			t->mp = NULL;
			err = -EAGAIN;
		}
	}
	return err;
}

/*
 * The directory for this interface's state holds another interface's: gone
 * (a leftover, removed) or renamed (its state moves to its new name).
 */
static int clear_name(struct chain_txn *t)
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
	pr_info("moved the state of %s's chain (renamed from %s) to its new name\n", other,
		t->c.ifname);
	t->c.name_taken = false;
	return 0;
}

/* A renamed interface's state moves to its new name (when that is free). */
static int follow_rename(struct chain_txn *t)
{
	char new_dir[PATH_MAX];
	struct stat st;
	int err;

	if (bpffs__iface_dir(t->c.ifname, new_dir, sizeof(new_dir)) || !lstat(new_dir, &st))
		return 0;
	err = state__move(strrchr(t->c.state_dir, '/') + 1, t->c.ifname);
	if (err)
		return err;
	pr_info("moved the state of %s's chain to its new name\n", t->c.ifname);
	return reread(t);
}

struct add_plan {
	struct objfile of; /* the object's bytes, read once */
	struct member_rec rec;
	struct bpf_object *obj;
	struct xdp_program *progs[2];
	struct own_prog final;
	int hook_fd;
	int member_hook_fd; /* an empty one: the observer captures members' fates */
	int stats_fd;
	bool new_hook_for_state; /* the state named a hook that is gone */
	char hook_pin[PATH_MAX];
};

/*
 * Whether the chain @c can take the hook pin @hook_pin (NULL: the default):
 * a new pin must be free, an existing chain's must be the one it uses.
 * Changes nothing (apply --dry-run checks with it).
 */
static int hook_check(const struct chain *c, const char *hook_pin)
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
static int plan_hook(struct chain_txn *t, const struct chain_add_opts *o, struct add_plan *p)
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
			pr_info("re-pinned the hook at %s\n", p->hook_pin);
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
static int add_prepare(struct chain_txn *t)
{
	int err;

	err = clear_name(t);
	if (!err && t->c.state_elsewhere)
		err = follow_rename(t);
	if (!err)
		err = drop_stale_taps(t);
	return err;
}

/* An XDP program of @obj (opened by open_user_obj()) with @o's overrides. */
static int make_user_prog(struct bpf_object *obj, struct bpf_program *bprog,
			  const struct chain_add_opts *o, struct xdp_program **out)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xopts, .obj = obj,
			    .prog_name = bpf_program__name(bprog));
	struct xdp_program *prog;
	int err;

	prog = xdp_program__create(&xopts);
	err = libxdp_get_error(prog);
	if (err) {
		*out = NULL;
		return err_set(err,
			       WHERE_FMT
			       "cannot read %s as an XDP program: %s; run with -vv for details",
			       WHERE_ARGS(o), o->file, strerror(-err));
	}
	if (o->prio_set)
		xdp_program__set_run_prio(prog, o->prio);
	if (o->actions_set)
		for (unsigned int a = 0; a < XDP_ACTION_COUNT; a++)
			xdp_program__set_chain_call_enabled(prog, a, o->actions & (1U << a));
	*out = prog;
	return 0;
}

/*
 * Gives a user object that defines its own xdpcap_hook the chain's hook, or
 * with xdpchain's dispatcher an empty one of its own (*@member_hook_fd).
 */
static int give_hook(struct bpf_object *obj, const char *file, int hook_fd, int *member_hook_fd,
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

/* Appends xdpchain's final stage to @progs when the chain has none yet. */
static int add_final(struct chain_txn *t, struct add_plan *p, struct xdp_program **progs,
		     size_t *nprogs)
{
	const void *elf;
	size_t size = 0;
	int state_fd, err;

	if (chain__final(&t->c))
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
static void record_new_hook(struct chain_txn *t, struct add_plan *p)
{
	int state_fd;

	if (!p->new_hook_for_state)
		return;
	state_fd = txn__state(t, p->hook_pin, hook__id(p->hook_fd));
	if (state_fd >= 0 && state__set_hook(state_fd, p->hook_pin, hook__id(p->hook_fd)))
		pr_warn("could not record the new hook in xdpchain's state\n");
}

/* Where program @prog_id came from, for save and apply (members.h). */
static void record_member(struct chain_txn *t, __u32 prog_id, const struct member_rec *rec)
{
	err_quiet(true);
	if (members__record(txn__state_dir(t), prog_id, rec))
		pr_warn("%s: could not record where program %u came from (%s); 'xdpchain save' will not know it\n",
			t->c.ifname, prog_id, err_last());
	err_quiet(false);
}

/*
 * Reads @o->file (objfile.h: never blocks, a regular file of bounded size,
 * read once), opens those bytes and picks the program: everything that
 * can be wrong with the object, found before any lock or kernel probe.
 * @rec gets the object's resolved path and the hash of the bytes loaded.
 */
static int user_obj_load(const struct chain_add_opts *o, struct objfile *f,
			 struct bpf_object **objp, struct xdp_program **progp,
			 struct member_rec *rec)
{
	struct bpf_program *bprog;
	int err;

	memset(rec, 0, sizeof(*rec));
	err = objfile__read(f, o->file, o->where);
	if (err)
		return err;
	if (strlen(f->path) >= sizeof(rec->object))
		return err_set(-ENAMETOOLONG,
			       WHERE_FMT "the path of %s is longer than %d bytes; move the object",
			       WHERE_ARGS(o), f->path, MEMBER_OBJECT_MAX - 1);
	strcpy(rec->object, f->path);
	memcpy(rec->sha256, f->sha256, SHA256_LEN);
	err = open_user_obj(o, f, objp, &bprog);
	if (!err)
		err = make_user_prog(*objp, bprog, o, progp);
	if (!err)
		snprintf(rec->prog, sizeof(rec->prog), "%s", xdp_program__name(*progp));
	return err;
}

static int add_in(struct chain_txn *t, const struct chain_add_opts *o, struct add_plan *p,
		  struct chain_prog *added)
{
	size_t nprogs = 1;
	bool uses_hook;
	int err;

	err = add_prepare(t);
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
	record_member(t, t->new_ids[0], &p->rec);
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

int chain__add(const char *ifname, const struct chain_add_opts *o, struct chain_prog *added)
{
	struct add_plan p = { .hook_fd = -1, .member_hook_fd = -1, .stats_fd = -1 };
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
		pr_info("mounted bpffs at %s\n", bpffs_root());

	err = txn__begin(&t, ifname);
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

/* Removes the program @target of the chain read in @t (with what leaves with it). */
static int remove_prog(struct chain_txn *t, const struct chain_prog *target)
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

int chain__remove(const char *ifname, const char *sel, struct chain_prog *removed)
{
	struct chain_txn t;
	int err;

	err = txn__begin(&t, ifname);
	if (!err)
		err = remove_in(&t, sel, removed);
	return txn__end(&t, err);
}

int chain__flush(const char *ifname, size_t *n_removed, size_t *n_cleaned)
{
	struct chain_txn t;
	int err;

	*n_removed = *n_cleaned = 0;
	err = txn__begin(&t, ifname);
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

static int add_tap_in(struct chain_txn *t, const char *after, int hook_fd, struct chain_tap *tap)
{
	const struct chain_prog *target;
	struct own_prog own = {};
	const void *elf;
	size_t size = 0;
	int state_fd, err;
	long prio;

	err = drop_stale_taps(t);
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

int chain__add_tap(const char *ifname, const char *after, int hook_fd, struct chain_tap *tap)
{
	struct chain_txn t;
	int err;

	memset(tap, 0, sizeof(*tap));
	err = features__require_freplace();
	if (err)
		return err;
	err = txn__begin(&t, ifname);
	if (!err)
		err = add_tap_in(&t, after, hook_fd, tap);
	err = txn__end(&t, err);
	if (err)
		tap->pin[0] = '\0';
	return err;
}

void chain__remove_tap(const char *ifname, struct chain_tap *tap)
{
	const struct chain_prog *p = NULL;
	struct chain_txn t;
	int err;

	if (tap->prog_id) {
		err = txn__begin(&t, ifname);
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

int chain__repair(const char *ifname, size_t *n_taps, bool *observer)
{
	struct chain_txn t;
	size_t before;
	int err;

	*n_taps = 0;
	*observer = false;
	err = txn__begin(&t, ifname);
	before = t.c.n;
	if (!err)
		err = drop_stale_taps(&t);
	if (!err) {
		*n_taps = before - t.c.n;
		if (t.c.own_dispatcher && t.c.managed && !t.c.observed) {
			err = txn__observe(&t);
			*observer = !err;
		}
	}
	return txn__end(&t, err);
}

/* ---- apply -------------------------------------------------------------- */

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

static struct xdp_program *mp_prog(struct xdp_multiprog *mp, __u32 id)
{
	struct xdp_program *p;

	for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp))
		if (xdp_program__id(p) == id)
			return p;
	return NULL;
}

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
static int check_sha(const struct chain_spec *s, const struct apply_prog *a, bool dry_run)
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
		pr_warn("%s: %s changed since the chain file was written (sha256 %.12s..., the file says %.12s...); the object as it is now is used\n",
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
			err = check_sha(s, a, dry_run);
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

/* Compares each program with the member of its name: the plan, in @r. */
static int apply_plan(struct chain_txn *t, struct apply_ctx *x, struct apply_result *r)
{
	struct chain *after;
	bool wanted[CHAIN_MAX_PROGS] = {};
	char why[128], a1[64], a2[64];
	int err = 0;

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

	/* the chain as it will be: names, reserved priorities, room */
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

/* Puts the members a failed change took out back in, as they ran: same programs. */
static void apply_rollback(struct chain_txn *t, struct apply_ctx *x)
{
	struct xdp_program *progs[CHAIN_MAX_PROGS];
	size_t k = 0;
	int err;

	for (size_t i = 0; i < x->n_removed; i++) {
		struct xdp_program *p = mp_prog(x->old_mp, x->removed[i].id);

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
		pr_warn("%s: could not put back the programs the failed apply took out: %s; apply the file again once the cause is fixed\n",
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
	err = reread(t);
	if (!err) {
		t->mp = xdp_multiprog__get_from_ifindex(t->c.ifindex);
		if (libxdp_get_error(t->mp) || !t->mp) {
			t->mp = NULL;
			err = err_set(-EAGAIN, "the XDP programs of %s changed during apply; retry",
				      t->c.ifname);
		}
	}
	return err;
}

/*
 * The new chain in one dispatcher replacement (swap.c): the members that
 * stay (xdpchain's own included, same programs) and the programs loaded
 * now, whatever leaves.
 */
static int apply_swap(struct chain_txn *t, struct apply_ctx *x, struct apply_result *r)
{
	struct swap_member m[CHAIN_MAX_PROGS];
	struct xdp_program *final_prog = NULL;
	size_t n = 0;
	int err;

	for (size_t k = 0; k < t->c.n; k++) {
		const struct chain_prog *p = &t->c.progs[k];
		struct xdp_program *xp = mp_prog(t->mp, p->id);
		bool stays = !is_user(p) && !p->tap_stale;

		for (size_t i = 0; i < x->n; i++)
			stays |= x->ap[i].match == (int)k && x->ap[i].step == STEP_KEEP;
		if (!stays)
			continue;
		m[n++] = (struct swap_member){ .id = p->id,
					       .name = p->name,
					       .prio = p->prio,
					       .actions = p->actions,
					       .frags = xp && xdp_program__xdp_frags_support(xp),
					       .is_final = p->is_final };
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
	if (!chain__final(&t->c)) {
		size_t before = 0;
		struct xdp_program *progs[1];

		err = add_final(t, &x->p, progs, &before);
		if (err)
			return err;
		final_prog = progs[0];
		m[n++] = (struct swap_member){
			.obj = x->p.final.obj,
			.prog = bpf_object__find_program_by_name(x->p.final.obj, FINAL_NAME),
			.name = FINAL_NAME,
			.prio = PRIO_FINAL,
			.actions = chain__prog_actions(final_prog),
			.frags = xdp_program__xdp_frags_support(final_prog),
			.is_final = true,
		};
	}
	r->n_swaps = 1;
	err = txn__swap(t, m, n, t->c.mode);
	if (err)
		return err;
	for (size_t i = 0; i < x->n; i++)
		for (size_t k = 0; k < n; k++)
			if (!m[k].id && !strcmp(m[k].name, r->items[i].name) &&
			    x->ap[i].step != STEP_KEEP)
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
			record_member(t, r->items[i].new_id, &a->rec);
	}
	r->changed = true;
}

/* Members kept whose object is now elsewhere (the same bytes): their records follow. */
static void record_moved(struct chain_txn *t, struct apply_ctx *x)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->ap[i].step == STEP_KEEP && x->ap[i].moved)
			record_member(t, t->c.progs[x->ap[i].match].id, &x->ap[i].rec);
}

static int apply_in(struct chain_txn *t, const struct chain_spec *s, struct apply_ctx *x,
		    bool dry_run, struct apply_result *r)
{
	struct chain_add_opts hook_opts = { .hook_pin = s->hook_pin };
	bool changes = false;
	int err;

	if (!dry_run) {
		err = add_prepare(t);
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
static int apply_prep(const struct chain_spec *s, bool dry_run, struct apply_one *o)
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
	/* the objects first: a FIFO or a bad file is refused before any lock */
	err = apply_load(s, o->x, true);
	if (!err)
		err = bpffs__check_dirs(s->ifname, s->hook_pin);
	if (!err && !dry_run) {
		err = bpffs__ensure(&mounted);
		if (!err && mounted)
			pr_info("mounted bpffs at %s\n", bpffs_root());
	}
	return err;
}

/* Plans (@dry_run) or makes the change of @s with the objects apply_prep() read. */
static int apply_begin(const struct chain_spec *s, bool dry_run, bool keep_old,
		       struct apply_result *r, struct apply_one *o)
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
	err = txn__begin(&o->t, s->ifname);
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
			  struct apply_one *o, struct apply_result *r)
{
	int err = 0;

	for (size_t i = 0; !err && i < n; i++)
		err = apply_prep(s[i], dry_run, &o[i]);
	/* one lock across the whole apply: no other change falls between two interfaces */
	if (!err)
		err = lock__chain_hold(LOCK_TIMEOUT_MS);
	for (size_t i = 0; !err && i < n; i++) {
		r[i].undoable = false;
		err = apply_end(&o[i], apply_begin(s[i], true, false, &r[i], &o[i]));
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
			 size_t *order, struct apply_result *r)
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

		err = apply_begin(s[i], false, r[i].undoable, &r[i], &o[i]);
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
		     struct apply_result *r)
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
	err = apply_plan_all(s, n, dry_run, o, r);
	if (!err && !dry_run)
		err = apply_run_all(s, n, o, order, r);
	lock__chain_drop();
	for (size_t i = 0; i < n; i++)
		apply_free(&o[i]);
	free(o);
	free(order);
	return err;
}

int chain__apply(const struct chain_spec *s, bool dry_run, struct apply_result *r)
{
	return chain__apply_all(&s, 1, dry_run, r);
}
