// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Reading a chain: libxdp's view of the interface, xdpchain's state on
 * bpffs, which members are xdpchain's own, the hook. Only reads: no
 * program is loaded, nothing is pinned or removed.
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <xdp/prog_dispatcher.h>

#include "bpffs.h"
#include "chain.h"
#include "dispatcher.h"
#include "hook.h"
#include "lock.h"
#include "log.h"
#include "prog.h"
#include "xdp_action.h"

int chain__ifindex(const char *ifname)
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

static bool uses_map(const struct chain_prog *p, __u32 map_id)
{
	for (__u32 i = 0; map_id && i < p->n_maps; i++)
		if (p->map_ids[i] == map_id)
			return true;
	return false;
}

/* The map of type @type among @p's maps: fd, or -ENOENT. */
static int prog_map_of_type(const __u32 *ids, __u32 n, __u32 type, __u32 skip_id)
{
	for (__u32 i = 0; i < n; i++) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd;

		if (ids[i] == skip_id)
			continue;
		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == type)
			return fd;
		close(fd);
	}
	return -ENOENT;
}

int chain__prog_hook_fd(__u32 prog_id)
{
	__u32 ids[PROG_MAX_MAPS];
	__u32 n = prog_map_ids(prog_id, ids, PROG_MAX_MAPS);

	return prog_map_of_type(ids, n, BPF_MAP_TYPE_PROG_ARRAY, 0);
}

static void fill_prog(struct chain_prog *p, struct xdp_program *prog)
{
	const unsigned char *tag = xdp_program__tag(prog);

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", xdp_program__name(prog));
	p->id = xdp_program__id(prog);
	p->prio = xdp_program__run_prio(prog);
	p->actions = chain__prog_actions(prog);
	for (int i = 0; tag && i < BPF_TAG_SIZE; i++)
		snprintf(p->tag + 2 * i, 3, "%02x", tag[i]);
	p->n_maps = prog_map_ids(p->id, p->map_ids, PROG_MAX_MAPS);
}

/*
 * A dispatcher of a newer libxdp generation, which this libxdp cannot read:
 * 0 and @c filled as far as the kernel tells, else -ENOENT.
 */
static int read_foreign(struct chain *c)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int v;

	if (bpf_xdp_query(c->ifindex, 0, &q) || !q.prog_id)
		return -ENOENT;
	v = dispatcher__running_version(q.prog_id);
	if (v <= 0 || v == XDP_DISPATCHER_VERSION)
		return -ENOENT;
	c->kind = CHAIN_DISPATCHER;
	c->main_id = q.prog_id;
	c->mode = q.attach_mode == XDP_ATTACHED_SKB ? XDP_MODE_SKB :
		  q.attach_mode == XDP_ATTACHED_HW  ? XDP_MODE_HW :
						      XDP_MODE_NATIVE;
	c->dispatcher_version = v;
	snprintf(c->main_name, sizeof(c->main_name), "xdp_dispatcher");
	return 0;
}

/* What is attached to @c's interface; only called when a program is. */
static int read_mp(struct chain *c)
{
	struct xdp_multiprog *mp;
	struct xdp_program *prog;
	char msg[128];
	int err, version;

	/* libxdp reads its pins under its lock: both must be root's alone */
	err = bpffs__check_libxdp_dir(false);
	if (err)
		return err;
	mp = xdp_multiprog__get_from_ifindex(c->ifindex);
	err = libxdp_get_error(mp);
	if (err == -ENOENT || (!err && !mp)) {
		c->kind = CHAIN_NONE;
		return 0;
	}
	if (err && !read_foreign(c))
		return 0;
	if (err) {
		if (libxdp_strerror(err, msg, sizeof(msg)))
			snprintf(msg, sizeof(msg), "%s", strerror(-err));
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
		/*
		 * libxdp takes a dispatcher whose pins it cannot find for a
		 * single program; one of another generation is still that.
		 */
		version = dispatcher__running_version(c->main_id);
		if (version > 0 && version != XDP_DISPATCHER_VERSION) {
			c->kind = CHAIN_DISPATCHER;
			c->dispatcher_version = version;
		}
	} else {
		c->kind = CHAIN_DISPATCHER;
		c->frags = xdp_multiprog__xdp_frags_support(mp);
		c->own_dispatcher = dispatcher__runs_own(c->main_id) == 1;
		c->dispatcher_version = dispatcher__running_version(c->main_id);
		for (prog = xdp_multiprog__next_prog(NULL, mp); prog && c->n < CHAIN_MAX_PROGS;
		     prog = xdp_multiprog__next_prog(prog, mp))
			fill_prog(&c->progs[c->n++], prog);
	}
	xdp_multiprog__close(mp);
	return 0;
}

static void take_state(struct chain *c, const struct chain_state *st, const char *dir,
		       __u32 state_id)
{
	c->managed = true;
	c->state_id = state_id;
	snprintf(c->state_dir, sizeof(c->state_dir), "%s", dir);
	snprintf(c->hook_pin, sizeof(c->hook_pin), "%s", st->hook_pin);
	c->state_hook_id = st->hook_id;
}

/* State pinned under <bpffs>/xdpchain/@name: 0 if it is @ifindex's. */
static int state_at(const char *name, int ifindex, struct chain_state *st, __u32 *id)
{
	char path[PATH_MAX];
	int fd, err;

	if (state__pin_path(name, path, sizeof(path)))
		return -ENAMETOOLONG;
	/* state in a directory someone else owns is not ours to believe */
	if (!state__dirs_ours(name))
		return -EPERM;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	err = state__read_fd(fd, st);
	if (!err)
		*id = hook__id(fd);
	close(fd);
	if (!err && !state__is_ours(st))
		return -EXDEV; /* another network namespace's: not ours to read */
	if (!err && st->ifindex && st->ifindex != ifindex)
		return -EEXIST; /* another interface's */
	return err;
}

/*
 * The interface's state: under its name, else (renamed interface) under the
 * name that holds state for its ifindex.
 */
static void read_state(struct chain *c)
{
	char base[PATH_MAX], dir[PATH_MAX];
	struct chain_state st;
	struct dirent *e;
	__u32 id;
	int err;
	DIR *d;

	err = state_at(c->ifname, c->ifindex, &st, &id);
	if (!err && !bpffs__iface_dir(c->ifname, dir, sizeof(dir))) {
		take_state(c, &st, dir, id);
		return;
	}
	c->name_taken = err == -EEXIST || err == -EXDEV;
	if (snprintf(base, sizeof(base), "%s/xdpchain", bpffs_root()) >= (int)sizeof(base))
		return;
	d = opendir(base);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, c->ifname))
			continue;
		if (state_at(e->d_name, c->ifindex, &st, &id) || st.ifindex != c->ifindex)
			continue;
		if (snprintf(dir, sizeof(dir), "%s/%s", base, e->d_name) >= (int)sizeof(dir))
			continue;
		take_state(c, &st, dir, id);
		c->state_elsewhere = true;
		break;
	}
	closedir(d);
}

/* Which dispatcher the observer's pinned link is attached to; 0 if none. */
static __u32 observer_target(const char *state_dir)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/" OBSERVER_PIN, state_dir) >= (int)sizeof(path))
		return 0;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.tracing.target_obj_id = 0;
	close(fd);
	return info.tracing.target_obj_id;
}

static __u32 pinned_map_id(const char *pin)
{
	int fd = bpf_obj_get(pin);
	__u32 id;

	if (fd < 0)
		return 0;
	id = hook__id(fd);
	close(fd);
	return id;
}

/* Which members are ours, the hook, the taps' hooks. */
static void read_own(struct chain *c)
{
	const struct chain_prog *final;
	int fd;

	for (size_t i = 0; i < c->n; i++) {
		struct chain_prog *p = &c->progs[i];
		bool ours = uses_map(p, c->state_id);

		p->is_final = ours && !strcmp(p->name, FINAL_NAME);
		p->is_tap = ours && !strcmp(p->name, TAP_NAME);
		if (!p->is_tap)
			continue;
		fd = prog_map_of_type(p->map_ids, p->n_maps, BPF_MAP_TYPE_PROG_ARRAY, 0);
		if (fd >= 0) {
			p->tap_hook_id = hook__id(fd);
			close(fd);
		}
		p->tap_stale = !p->tap_hook_id || !lock__hook_held(p->tap_hook_id);
	}

	if (c->managed) {
		c->hook_pin_id = pinned_map_id(c->hook_pin);
		c->observer_target = observer_target(c->state_dir);
		c->observed = c->observer_target && c->observer_target == c->main_id;
	}
	/* The final stage's own map wins: it is what packets meet. */
	final = chain__final(c);
	fd = final ? prog_map_of_type(final->map_ids, final->n_maps, BPF_MAP_TYPE_PROG_ARRAY, 0) :
		     -ENOENT;
	if (fd >= 0) {
		c->hook_id = hook__id(fd);
	} else if (c->hook_pin_id) {
		c->hook_id = c->hook_pin_id;
		fd = bpf_map_get_fd_by_id(c->hook_id);
	}
	if (fd < 0)
		return;
	hook__slots(fd, c->hook_slots);
	close(fd);
	for (int a = 0; a < HOOK_SLOTS; a++)
		if (c->hook_slots[a])
			prog_name_of(c->hook_slots[a], c->hook_slot_names[a],
				     sizeof(c->hook_slot_names[a]));
	for (size_t i = 0; i < c->n; i++)
		c->progs[i].uses_hook = uses_map(&c->progs[i], c->hook_id);
}

/*
 * Readers such as status take no lock: a change that lands between reading
 * the dispatcher and reading the state (the last remove unpinning the state
 * of a dispatcher just read, an add pinning a new one) would pair one
 * chain with another's state. Every change attaches a new dispatcher, so a
 * read is one snapshot when the attached program is the same before and
 * after it; else read again.
 */
#define CHAIN_READ_TRIES 20

int chain__read(const char *ifname, struct chain *c)
{
	int ifindex, err;
	__u32 before;

	ifindex = chain__ifindex(ifname);
	if (ifindex < 0)
		return ifindex;
	for (int try = 0;; try++) {
		/*
		 * Not the long fields at the end (struct chain): zeroing all of
		 * it cost status a quarter of its instructions (interfaces x
		 * tries), the two paths 5% more
		 */
		memset(c, 0, offsetof(struct chain, state_dir));
		c->state_dir[0] = '\0';
		c->hook_pin[0] = '\0';
		snprintf(c->ifname, sizeof(c->ifname), "%s", ifname);
		c->ifindex = ifindex;
		before = prog__attached_id(ifindex);
		/* nothing attached, no multiprog to read (CHAIN_NONE is 0) */
		err = before ? read_mp(c) : 0;
		if (err)
			return err;
		read_state(c);
		read_own(c);
		if (prog__attached_id(ifindex) == before || try == CHAIN_READ_TRIES - 1)
			break;
	}
	return 0;
}

__u32 chain__prog_actions(const struct xdp_program *prog)
{
	__u32 actions = 0;

	for (unsigned int a = 0; a < XDP_ACTION_COUNT; a++)
		if (xdp_program__chain_call_enabled(prog, a))
			actions |= 1U << a;
	return actions;
}

int chain__for_each(int (*read)(const char *ifname, struct chain *c),
		    int (*fn)(const struct chain *c, void *ctx), void *ctx)
{
	struct if_nameindex *ifs = if_nameindex(), *it;
	struct chain c;
	int ret = 0;

	if (!ifs)
		return err_set(-errno, "cannot list the interfaces: %s", strerror(errno));
	for (it = ifs; !ret && it->if_index; it++) {
		int err;

		err_quiet(true);
		err = read(it->if_name, &c);
		err_quiet(false);
		if (!err)
			ret = fn(&c, ctx);
	}
	if_freenameindex(ifs);
	return ret;
}
