// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "bpffs.h"
#include "chain.h"
#include "dispatcher.h"
#include "feature.h"
#include "lock.h"
#include "log.h"
#include "final.skel.h"
#include "tap.skel.h"

#define LOCK_TIMEOUT_MS 10000

static int resolve_ifindex(const char *ifname)
{
	int ifindex;

	if (strlen(ifname) >= IF_NAMESIZE)
		return err_set(-ENODEV,
			       "interface name '%s' is too long; list interfaces with 'ip link'",
			       ifname);
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		return err_set(-ENODEV, "no interface named '%s'; list interfaces with 'ip link'",
			       ifname);
	return ifindex;
}

static void libxdp_msg(int err, char *buf, size_t size)
{
	if (libxdp_strerror(err, buf, size))
		snprintf(buf, size, "%s", strerror(-err));
}

/* Map ids a program uses; returns how many (at most @max). */
static __u32 prog_map_ids(__u32 prog_id, __u32 *ids, __u32 max)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(prog_id);

	if (fd < 0)
		return 0;
	info.nr_map_ids = max;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.nr_map_ids = 0;
	close(fd);
	return info.nr_map_ids < max ? info.nr_map_ids : max;
}

/* The kernel's (16-byte) name of a program, "" if it is gone. */
static void prog_name_of(__u32 prog_id, char *buf, size_t size)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(prog_id);

	buf[0] = '\0';
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		snprintf(buf, size, "%s", info.name);
	close(fd);
}

static bool prog_uses_map(__u32 prog_id, __u32 map_id)
{
	__u32 ids[32];
	__u32 n = prog_map_ids(prog_id, ids, 32);

	for (__u32 i = 0; i < n; i++)
		if (ids[i] == map_id)
			return true;
	return false;
}

int chain__prog_hook_fd(__u32 prog_id)
{
	__u32 ids[8];
	__u32 n = prog_map_ids(prog_id, ids, 8);

	for (__u32 i = 0; i < n; i++) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    info.type == BPF_MAP_TYPE_PROG_ARRAY)
			return fd;
		close(fd);
	}
	return -ENOENT;
}

static void fill_prog(struct chain_prog *p, struct xdp_program *prog)
{
	const unsigned char *tag = xdp_program__tag(prog);

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", xdp_program__name(prog));
	p->id = xdp_program__id(prog);
	p->prio = xdp_program__run_prio(prog);
	for (unsigned int a = XDP_ABORTED; a <= XDP_REDIRECT; a++)
		if (xdp_program__chain_call_enabled(prog, a))
			p->actions |= 1U << a;
	for (int i = 0; tag && i < BPF_TAG_SIZE; i++)
		snprintf(p->tag + 2 * i, 3, "%02x", tag[i]);
	p->is_final = !strcmp(p->name, FINAL_NAME);
	p->is_tap = !strcmp(p->name, TAP_NAME);
}

static int read_mp(struct chain *c, struct xdp_multiprog **mpp)
{
	struct xdp_multiprog *mp;
	struct xdp_program *prog;
	char msg[128];
	int err;

	*mpp = NULL;
	mp = xdp_multiprog__get_from_ifindex(c->ifindex);
	err = libxdp_get_error(mp);
	if (err == -ENOENT || (!err && !mp)) {
		c->kind = CHAIN_NONE;
		return 0;
	}
	if (err) {
		libxdp_msg(err, msg, sizeof(msg));
		return err_set(err, "cannot read the XDP programs of %s: %s", c->ifname, msg);
	}
	c->mode = xdp_multiprog__attach_mode(mp);
	prog = xdp_multiprog__main_prog(mp);
	if (prog) {
		c->main_id = xdp_program__id(prog);
		snprintf(c->main_name, sizeof(c->main_name), "%s", xdp_program__name(prog));
	}
	if (xdp_multiprog__is_legacy(mp)) {
		c->kind = CHAIN_SINGLE;
	} else {
		c->kind = CHAIN_DISPATCHER;
		c->frags = xdp_multiprog__xdp_frags_support(mp);
		c->own_dispatcher = dispatcher__runs_own(c->main_id) == 1;
		for (prog = xdp_multiprog__next_prog(NULL, mp); prog && c->n < CHAIN_MAX_PROGS;
		     prog = xdp_multiprog__next_prog(prog, mp))
			fill_prog(&c->progs[c->n++], prog);
	}
	*mpp = mp;
	return 0;
}

static void read_hook(struct chain *c)
{
	const struct chain_prog *final = chain__final(c);
	struct chain_state st;
	int fd = -1;

	if (!state__read(c->ifname, &st)) {
		c->managed = true;
		snprintf(c->hook_pin, sizeof(c->hook_pin), "%s", st.hook_pin);
		fd = bpf_obj_get(st.hook_pin);
	}
	/* The final stage's own map wins: it is what packets meet. */
	if (final) {
		int ffd = chain__prog_hook_fd(final->id);

		if (ffd >= 0) {
			if (fd >= 0)
				close(fd);
			fd = ffd;
		}
	}
	if (fd < 0)
		return;
	c->hook_id = hook__id(fd);
	hook__slots(fd, c->hook_slots);
	for (int a = 0; a < HOOK_SLOTS; a++)
		if (c->hook_slots[a])
			prog_name_of(c->hook_slots[a], c->hook_slot_names[a],
				     sizeof(c->hook_slot_names[a]));
	close(fd);
	for (size_t i = 0; i < c->n; i++)
		c->progs[i].uses_hook = c->hook_id && prog_uses_map(c->progs[i].id, c->hook_id);
}

static int chain_read_mp(const char *ifname, struct chain *c, struct xdp_multiprog **mpp)
{
	int ifindex, err;

	memset(c, 0, sizeof(*c));
	ifindex = resolve_ifindex(ifname);
	if (ifindex < 0)
		return ifindex;
	snprintf(c->ifname, sizeof(c->ifname), "%s", ifname);
	c->ifindex = ifindex;
	err = read_mp(c, mpp);
	if (err)
		return err;
	read_hook(c);
	return 0;
}

int chain__read(const char *ifname, struct chain *c)
{
	struct xdp_multiprog *mp = NULL;
	int err = chain_read_mp(ifname, c, &mp);

	xdp_multiprog__close(mp);
	return err;
}

size_t chain__user_count(const struct chain *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		n += !c->progs[i].is_final && !c->progs[i].is_tap;
	return n;
}

const struct chain_prog *chain__final(const struct chain *c)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->progs[i].is_final)
			return &c->progs[i];
	return NULL;
}

const struct chain_prog *chain__find(const struct chain *c, const char *sel)
{
	__u32 id;

	if (!parse_id(sel, &id)) {
		for (size_t i = 0; i < c->n; i++)
			if (c->progs[i].id == id)
				return &c->progs[i];
	}
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->progs[i].name, sel))
			return &c->progs[i];
	return NULL;
}

int parse_id(const char *s, __u32 *id)
{
	char *end;
	unsigned long v;

	if (!*s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 0xffffffffUL)
		return -EINVAL;
	*id = v;
	return 0;
}

const char *chain__problem(const struct chain *c)
{
	const struct chain_prog *final = chain__final(c);

	if (c->kind == CHAIN_SINGLE && c->managed)
		return "a single program replaced the chain's dispatcher: the final stage and the hook are not in the packet path";
	if (c->kind == CHAIN_DISPATCHER && c->managed && !final)
		return "the final stage is missing (removed by another tool?): captures after the chain see nothing; re-add a program or run 'xdpchain flush'";
	if (final && final != &c->progs[c->n - 1])
		return "the final stage is not last: a program with a priority above 2147483647 runs after it";
	if (c->kind == CHAIN_NONE && c->managed)
		return "xdpchain state is pinned but no program is attached; 'xdpchain flush' removes it";
	return NULL;
}

int chain__check_add(const struct chain *c, const char *name, __u32 prio)
{
	size_t need;

	if (c->kind == CHAIN_SINGLE)
		return err_set(
			-EBUSY,
			"%s runs XDP program '%s' (id %u) outside libxdp's dispatcher; unload it first ('ip link set dev %s xdp off' or 'xdp-loader unload %s --all')",
			c->ifname, c->main_name, c->main_id, c->ifname, c->ifname);
	if (prio > PRIO_USER_MAX)
		return err_set(
			-ERANGE,
			"priority %u of '%s' is reserved for xdpchain's final stage; choose a priority from 0 to %u with --priority",
			prio, name, PRIO_USER_MAX);
	if (!strcmp(name, FINAL_NAME))
		return err_set(-EINVAL,
			       "'%s' is the name of xdpchain's final stage; rename the program",
			       name);
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->progs[i].name, name))
			return err_set(
				-EEXIST,
				"a program named '%s' is already in the chain on %s (id %u); remove it first with 'xdpchain remove %s %u'",
				name, c->ifname, c->progs[i].id, c->ifname, c->progs[i].id);
	need = c->n + 1 + (chain__final(c) ? 0 : 1);
	if (need > CHAIN_MAX_PROGS)
		return err_set(
			-E2BIG,
			"the dispatcher on %s is full: libxdp runs at most %d programs and one slot is xdpchain's final stage; remove a program first",
			c->ifname, CHAIN_MAX_PROGS);
	return 0;
}

/* ELF with e_machine EM_BPF: gives a clear error before libbpf's own. */
static int check_bpf_elf(const char *file)
{
	unsigned char hdr[20];
	ssize_t n;
	int fd;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(-errno, "cannot open %s: %s", file, strerror(errno));
	n = read(fd, hdr, sizeof(hdr));
	close(fd);
	if (n < (ssize_t)sizeof(hdr) || memcmp(hdr, "\177ELF", 4))
		return err_set(
			-ENOEXEC,
			"%s is not a BPF object (not an ELF file); build it with 'clang -O2 -g -target bpf -c prog.bpf.c'",
			file);
	if ((hdr[18] | hdr[19] << 8) != 247 /* EM_BPF, little endian */)
		return err_set(
			-ENOEXEC,
			"%s is an ELF file for another machine, not a BPF object; build it with 'clang -target bpf'",
			file);
	return 0;
}

/* Opens @file and picks the XDP program to chain. */
static int open_user_obj(const struct chain_add_opts *o, struct bpf_object **objp,
			 struct bpf_program **progp)
{
	struct bpf_program *prog = NULL, *p;
	struct bpf_object *obj;
	int err;

	err = check_bpf_elf(o->file);
	if (err)
		return err;
	obj = bpf_object__open_file(o->file, NULL);
	err = libbpf_get_error(obj);
	if (err)
		return err_set(err,
			       "cannot open BPF object %s: %s; run with -vv for libbpf's reason",
			       o->file, strerror(-err));

	if (o->prog_name) {
		prog = bpf_object__find_program_by_name(obj, o->prog_name);
		if (!prog) {
			err = err_set(
				-ENOENT,
				"%s has no program named '%s'; list its programs with 'bpftool prog show' after loading or 'llvm-objdump -t %s'",
				o->file, o->prog_name, o->file);
			goto err;
		}
	} else {
		bpf_object__for_each_program(p, obj) {
			if (bpf_program__type(p) == BPF_PROG_TYPE_XDP) {
				prog = p;
				break;
			}
		}
		if (!prog) {
			p = bpf_object__next_program(obj, NULL);
			err = err_set(
				-EINVAL,
				"%s has no XDP program%s%s%s%s; xdpchain chains SEC(\"xdp\") programs",
				o->file, p ? " (it has " : "",
				p ? libbpf_bpf_prog_type_str(bpf_program__type(p)) : "",
				p ? " program " : "", p ? bpf_program__name(p) : "");
			goto err;
		}
	}
	if (bpf_program__type(prog) != BPF_PROG_TYPE_XDP) {
		err = err_set(
			-EINVAL,
			"program '%s' in %s is a %s program, not XDP; xdpchain chains SEC(\"xdp\") programs",
			bpf_program__name(prog), o->file,
			libbpf_bpf_prog_type_str(bpf_program__type(prog)));
		goto err;
	}
	/* Other programs in the object stay unloaded. */
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == prog);
	*objp = obj;
	*progp = prog;
	return 0;
err:
	bpf_object__close(obj);
	return err;
}

static int make_final(int hook_fd, struct final_bpf **skelp, struct xdp_program **progp)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, opts);
	struct final_bpf *skel;
	struct xdp_program *prog;
	int err;

	skel = final_bpf__open();
	if (!skel)
		return err_set(-errno, "cannot open the embedded final stage: %s", strerror(errno));
	err = bpf_map__reuse_fd(skel->maps.xdpcap_hook, hook_fd);
	if (err) {
		final_bpf__destroy(skel);
		return err_set(err, "cannot give the final stage the hook map: %s", strerror(-err));
	}
	opts.obj = skel->obj;
	opts.prog_name = FINAL_NAME;
	prog = xdp_program__create(&opts);
	err = libxdp_get_error(prog);
	if (err) {
		final_bpf__destroy(skel);
		return err_set(err, "cannot create the final stage program: %s", strerror(-err));
	}
	xdp_program__set_run_prio(prog, PRIO_FINAL);
	*skelp = skel;
	*progp = prog;
	return 0;
}

static int pin_hook(int fd, const char *pin)
{
	if (bpf_obj_pin(fd, pin))
		return err_set(
			-errno, "cannot pin the hook at %s: %s%s", pin, strerror(errno),
			errno == EEXIST ?
				"; something is pinned there already: choose another --hook-pin or remove it" :
				"; --hook-pin must name a new file on bpffs");
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
	else if (err == -EOPNOTSUPP || err == -EPERM)
		err_set(err,
			"attaching '%s' through libxdp's dispatcher failed: %s; check 'xdpchain features' and run with -vv",
			name, msg);
	else
		err_set(err, "attaching '%s' to the chain failed: %s; run with -vv for details",
			name, msg);
}

int chain__add(const char *ifname, const struct chain_add_opts *o, struct chain_prog *added)
{
	struct xdp_program *progs[2] = { NULL, NULL };
	struct xdp_multiprog *mp = NULL;
	struct final_bpf *final_skel = NULL;
	struct bpf_object *obj = NULL;
	struct bpf_program *bprog = NULL;
	char hook_pin[PATH_MAX], defpin[PATH_MAX];
	bool new_hook = false, new_state = false, mounted;
	struct bpf_map *hmap;
	struct chain c;
	int lock = -1, hook_fd = -1, err;
	size_t nprogs = 1;

	err = resolve_ifindex(ifname);
	if (err < 0)
		return err;
	if (access(o->file, R_OK))
		return err_set(-errno, "cannot read %s: %s", o->file, strerror(errno));
	/* Before anything changes, bpffs included. */
	err = features__require_freplace();
	if (err)
		return err;
	err = bpffs__ensure(&mounted);
	if (err)
		return err;
	if (mounted)
		pr_info("mounted bpffs at %s\n", bpffs_root());
	lock = lock__chain(LOCK_TIMEOUT_MS);
	if (lock < 0)
		return lock;

	err = chain__read(ifname, &c);
	if (err)
		goto out;
	if (c.kind != CHAIN_NONE && o->mode != XDP_MODE_UNSPEC && o->mode != c.mode) {
		err = err_set(
			-EINVAL,
			"the chain on %s runs in %s mode; drop --mode or flush the chain first",
			ifname, c.mode == XDP_MODE_SKB ? "skb" : "native");
		goto out;
	}

	err = open_user_obj(o, &obj, &bprog);
	if (err)
		goto out;
	{
		DECLARE_LIBXDP_OPTS(xdp_program_opts, xopts, .obj = obj,
				    .prog_name = bpf_program__name(bprog));
		progs[0] = xdp_program__create(&xopts);
	}
	err = libxdp_get_error(progs[0]);
	if (err) {
		progs[0] = NULL;
		err = err_set(err, "cannot read %s as an XDP program: %s; run with -vv for details",
			      o->file, strerror(-err));
		goto out;
	}
	if (o->prio_set)
		xdp_program__set_run_prio(progs[0], o->prio);
	if (o->actions_set)
		for (unsigned int a = XDP_ABORTED; a <= XDP_REDIRECT; a++)
			xdp_program__set_chain_call_enabled(progs[0], a, o->actions & (1U << a));
	err = chain__check_add(&c, xdp_program__name(progs[0]), xdp_program__run_prio(progs[0]));
	if (err)
		goto out;

	/* The interface's hook: kept from an earlier add, or made now. */
	err = bpffs__default_hook_pin(ifname, defpin, sizeof(defpin));
	if (err) {
		err = err_set(err, "bpffs path for %s is too long", ifname);
		goto out;
	}
	if (c.managed) {
		if (o->hook_pin && strcmp(o->hook_pin, c.hook_pin)) {
			err = err_set(
				-EEXIST,
				"the chain on %s already uses the hook pinned at %s; drop --hook-pin or run 'xdpchain flush %s' first",
				ifname, c.hook_pin, ifname);
			goto out;
		}
		snprintf(hook_pin, sizeof(hook_pin), "%s", c.hook_pin);
		hook_fd = hook__open(hook_pin);
		if (hook_fd < 0 && chain__final(&c)) {
			/* pin removed by hand: the final stage still holds the map */
			hook_fd = chain__prog_hook_fd(chain__final(&c)->id);
			if (hook_fd >= 0 && pin_hook(hook_fd, hook_pin) == 0)
				pr_info("re-pinned the hook at %s\n", hook_pin);
		}
		if (hook_fd < 0) {
			err = hook_fd;
			goto out;
		}
	} else {
		snprintf(hook_pin, sizeof(hook_pin), "%s", o->hook_pin ? o->hook_pin : defpin);
		hook_fd = hook__create();
		if (hook_fd < 0) {
			err = hook_fd;
			goto out;
		}
		new_hook = true;
	}

	hmap = bpf_object__find_map_by_name(obj, "xdpcap_hook");
	if (hmap) {
		err = hook__check_def(hmap, o->file);
		if (!err)
			err = bpf_map__reuse_fd(hmap, hook_fd);
		if (err)
			goto out;
		pr_debug("%s: its xdpcap_hook map is the shared hook of %s\n", o->file, ifname);
	}

	if (!chain__final(&c)) {
		err = make_final(hook_fd, &final_skel, &progs[1]);
		if (err)
			goto out;
		nprogs = 2;
	}

	if (new_hook) {
		err = state__write(ifname, hook_pin);
		if (err)
			goto out;
		new_state = true;
		err = pin_hook(hook_fd, hook_pin);
		if (err)
			goto out;
	}

	/* Where libxdp's own dispatcher cannot take our final stage (6.12+). */
	err = dispatcher__setup(NULL);
	if (err)
		goto out;
	/* libxdp refuses UNSPEC against a chain in skb mode: keep its mode. */
	err = xdp_program__attach_multi(progs, nprogs, c.ifindex,
					c.kind == CHAIN_DISPATCHER ? c.mode : o->mode, 0);
	dispatcher__cleanup();
	if (err) {
		explain_attach_error(err, xdp_program__name(progs[0]), o);
		goto out;
	}

	/* libxdp falls back to one program without telling: refuse that. */
	mp = xdp_multiprog__get_from_ifindex(c.ifindex);
	if (!libxdp_get_error(mp) && mp && xdp_multiprog__is_legacy(mp)) {
		xdp_multiprog__detach(mp);
		err = err_set(
			-EOPNOTSUPP,
			"libxdp attached '%s' as a single program instead of through its dispatcher; detached it again. Check 'xdpchain features' and run with -vv",
			xdp_program__name(progs[0]));
		goto out;
	}
	if (added) {
		fill_prog(added, progs[0]);
		added->uses_hook = hmap != NULL;
	}
out:
	if (err && new_hook) {
		unlink(hook_pin);
		if (new_state)
			state__remove(ifname);
	}
	xdp_multiprog__close(libxdp_get_error(mp) ? NULL : mp);
	xdp_program__close(progs[0]);
	xdp_program__close(progs[1]);
	final_bpf__destroy(final_skel);
	bpf_object__close(obj);
	if (hook_fd >= 0)
		close(hook_fd);
	lock__release(lock);
	return err;
}

/* Takes xdpchain's lock, then reads the chain: the start of every change. */
static int chain_lock_read(const char *ifname, struct chain *c, struct xdp_multiprog **mpp,
			   int *err)
{
	int lock = lock__chain(LOCK_TIMEOUT_MS);

	*mpp = NULL;
	*err = lock < 0 ? lock : chain_read_mp(ifname, c, mpp);
	return lock;
}

static void remove_state(const struct chain *c)
{
	if (!c->managed)
		return;
	unlink(c->hook_pin);
	state__remove(c->ifname);
}

int chain__remove(const char *ifname, const char *sel, struct chain_prog *removed)
{
	struct xdp_program *progs[CHAIN_MAX_PROGS] = {}, *p;
	struct xdp_multiprog *mp = NULL;
	const struct chain_prog *target;
	size_t nprogs = 1;
	struct chain c;
	int lock, err;
	char msg[128];

	lock = chain_lock_read(ifname, &c, &mp, &err);
	if (lock < 0)
		return lock;
	if (err)
		goto out;
	if (c.kind == CHAIN_NONE) {
		err = err_set(-ENOENT, "no XDP program is attached to %s", ifname);
		goto out;
	}
	if (c.kind == CHAIN_SINGLE) {
		__u32 id;

		if (strcmp(sel, c.main_name) && (parse_id(sel, &id) || id != c.main_id)) {
			err = err_set(-ENOENT, "no program '%s' on %s; it runs only '%s' (id %u)",
				      sel, ifname, c.main_name, c.main_id);
			goto out;
		}
		err = xdp_multiprog__detach(mp);
		if (err) {
			libxdp_msg(err, msg, sizeof(msg));
			err = err_set(err, "detaching '%s' from %s failed: %s", c.main_name, ifname,
				      msg);
			goto out;
		}
		if (removed) {
			memset(removed, 0, sizeof(*removed));
			snprintf(removed->name, sizeof(removed->name), "%s", c.main_name);
			removed->id = c.main_id;
		}
		remove_state(&c);
		goto out;
	}

	target = chain__find(&c, sel);
	if (!target) {
		err = err_set(-ENOENT,
			      "no program '%s' in the chain on %s; see 'xdpchain status %s'", sel,
			      ifname, ifname);
		goto out;
	}
	if (target->is_final) {
		err = err_set(
			-EPERM,
			"'%s' is xdpchain's final stage: it leaves with the last program; use 'xdpchain flush %s' to remove everything",
			sel, ifname);
		goto out;
	}
	for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp)) {
		const char *name = xdp_program__name(p);

		if (xdp_program__id(p) == target->id)
			progs[0] = p;
		else if ((!strcmp(name, FINAL_NAME) || !strcmp(name, TAP_NAME)) &&
			 !target->is_tap && chain__user_count(&c) == 1 && nprogs < CHAIN_MAX_PROGS)
			progs[nprogs++] = p; /* the last program takes ours along */
	}
	if (!progs[0]) {
		err = err_set(-ENOENT, "program '%s' left %s while xdpchain looked at it; retry",
			      sel, ifname);
		goto out;
	}
	if (removed)
		*removed = *target;
	/* a partial detach builds a new dispatcher, like an add */
	err = dispatcher__setup(NULL);
	if (err)
		goto out;
	err = xdp_program__detach_multi(progs, nprogs, c.ifindex, XDP_MODE_UNSPEC, 0);
	dispatcher__cleanup();
	if (err) {
		libxdp_msg(err, msg, sizeof(msg));
		err = err_set(err, "removing '%s' from %s failed: %s; run with -vv for details",
			      sel, ifname, msg);
		goto out;
	}
	if (nprogs == c.n) /* nothing left: the hook and state go too */
		remove_state(&c);
out:
	xdp_multiprog__close(mp);
	lock__release(lock);
	return err;
}

int chain__flush(const char *ifname, size_t *n_removed)
{
	struct xdp_multiprog *mp = NULL;
	struct chain c;
	int lock, err;
	char msg[128];

	*n_removed = 0;
	lock = chain_lock_read(ifname, &c, &mp, &err);
	if (lock < 0)
		return lock;
	if (err)
		goto out;
	if (mp) {
		err = xdp_multiprog__detach(mp);
		if (err) {
			libxdp_msg(err, msg, sizeof(msg));
			err = err_set(err, "detaching the XDP programs of %s failed: %s", ifname,
				      msg);
			goto out;
		}
		*n_removed = c.kind == CHAIN_SINGLE ? 1 : c.n;
	}
	remove_state(&c);
out:
	xdp_multiprog__close(mp);
	lock__release(lock);
	return err;
}

int chain__tap_pin(const char *ifname, __u32 hook_id, char *buf, size_t size)
{
	char dir[PATH_MAX];
	int n;

	if (bpffs__iface_dir(ifname, dir, sizeof(dir)))
		return -ENAMETOOLONG;
	n = snprintf(buf, size, "%s/tap_hook_%u", dir, hook_id);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* libxdp's order: priority, then name. */
static bool runs_before(__u32 prio_a, const char *name_a, __u32 prio_b, const char *name_b)
{
	return prio_a != prio_b ? prio_a < prio_b : strcmp(name_a, name_b) < 0;
}

/*
 * A priority that puts the tap right after @i and before its successor, or
 * -ERANGE when priorities and names leave no room.
 */
static long tap_prio(const struct chain *c, size_t i)
{
	const struct chain_prog *t = &c->progs[i], *next = i + 1 < c->n ? &c->progs[i + 1] : NULL;
	__u64 cand[2] = { t->prio, (__u64)t->prio + 1 };

	for (int k = 0; k < 2; k++) {
		if (cand[k] > PRIO_USER_MAX)
			continue;
		if (!runs_before(t->prio, t->name, cand[k], TAP_NAME))
			continue;
		if (next && !runs_before(cand[k], TAP_NAME, next->prio, next->name))
			continue;
		return cand[k];
	}
	return -ERANGE;
}

int chain__add_tap(const char *ifname, const char *after, int hook_fd, struct chain_tap *tap)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, opts);
	struct xdp_program *prog = NULL;
	struct tap_bpf *skel = NULL;
	const struct chain_prog *t;
	bool pinned = false;
	struct chain c;
	int lock, err;
	long prio;
	size_t i;

	memset(tap, 0, sizeof(*tap));
	err = features__require_freplace();
	if (err)
		return err;
	lock = lock__chain(LOCK_TIMEOUT_MS);
	if (lock < 0)
		return lock;
	err = chain__read(ifname, &c);
	if (err)
		goto out;
	if (c.kind != CHAIN_DISPATCHER || !chain__final(&c)) {
		err = err_set(
			-ENOENT,
			"%s has no xdpchain chain to tap; add programs with 'xdpchain add %s prog.o'",
			ifname, ifname);
		goto out;
	}
	t = chain__find(&c, after);
	if (!t || t->is_final || t->is_tap) {
		err = err_set(
			-ENOENT,
			"--after %s: no such program in the chain on %s; see 'xdpchain status %s'",
			after, ifname, ifname);
		goto out;
	}
	snprintf(tap->after, sizeof(tap->after), "%s", t->name);
	if (c.n + 1 > CHAIN_MAX_PROGS) {
		err = err_set(
			-E2BIG,
			"no slot left for a tap on %s: the dispatcher runs at most %d programs; remove one or capture after the whole chain",
			ifname, CHAIN_MAX_PROGS);
		goto out;
	}
	i = t - c.progs;
	prio = tap_prio(&c, i);
	if (prio < 0) {
		err = err_set(
			-ERANGE,
			"cannot place a tap right after %s (priority %u): the next program has the same or the next priority; re-add one of them with a priority gap",
			t->name, t->prio);
		goto out;
	}

	err = chain__tap_pin(ifname, hook__id(hook_fd), tap->pin, sizeof(tap->pin));
	if (!err && bpf_obj_pin(hook_fd, tap->pin))
		err = -errno;
	if (err) {
		err = err_set(err, "cannot pin the tap's hook at %s: %s", tap->pin, strerror(-err));
		goto out;
	}
	pinned = true;

	skel = tap_bpf__open();
	if (!skel) {
		err = err_set(-errno, "cannot open the embedded tap program: %s", strerror(errno));
		goto out;
	}
	err = bpf_map__reuse_fd(skel->maps.xdpcap_hook, hook_fd);
	if (err) {
		err = err_set(err, "cannot give the tap its hook: %s", strerror(-err));
		goto out;
	}
	opts.obj = skel->obj;
	opts.prog_name = TAP_NAME;
	prog = xdp_program__create(&opts);
	err = libxdp_get_error(prog);
	if (err) {
		prog = NULL;
		err = err_set(err, "cannot create the tap program: %s", strerror(-err));
		goto out;
	}
	xdp_program__set_run_prio(prog, prio);
	err = dispatcher__setup(NULL);
	if (err)
		goto out;
	err = xdp_program__attach(prog, c.ifindex, c.mode, 0);
	dispatcher__cleanup();
	if (err) {
		char msg[128];

		libxdp_msg(err, msg, sizeof(msg));
		err = err_set(err, "putting a tap after %s into the chain failed: %s; run with -vv",
			      t->name, msg);
		goto out;
	}
	tap->prog_id = xdp_program__id(prog);
out:
	if (err && pinned)
		unlink(tap->pin);
	if (err)
		tap->pin[0] = '\0';
	xdp_program__close(prog);
	tap_bpf__destroy(skel);
	lock__release(lock);
	return err;
}

void chain__remove_tap(const char *ifname, struct chain_tap *tap)
{
	char id[16];

	if (tap->prog_id) {
		snprintf(id, sizeof(id), "%u", tap->prog_id);
		/* fails only when the chain went away, and the tap with it */
		if (chain__remove(ifname, id, NULL))
			pr_debug("tap (id %u) not removed from %s: %s\n", tap->prog_id, ifname,
				 err_last());
		tap->prog_id = 0;
	}
	if (tap->pin[0])
		unlink(tap->pin);
	tap->pin[0] = '\0';
}
