// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * What interrupted runs leave behind, and only that: libxdp's pin
 * directories of dispatchers that never got (or no longer are) attached,
 * the hook pins of taps whose capture is gone, xdpchain state of
 * interfaces that are gone, dispatcher object directories of killed runs.
 * Each is recognised by what it is, not by where it is, before it goes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpffs.h"
#include "chain.h"
#include "dispatcher.h"
#include "hook.h"
#include "lock.h"
#include "log.h"
#include "journal.h"
#include "netns.h"
#include "prog.h"
#include "txn.h"

#define LIBXDP_DIR_FMT "dispatch-%d-%u"

static void add(struct chain *c, enum leftover_kind kind, const char *path, __u32 id)
{
	struct leftover *l;

	if (c->n_leftovers == CHAIN_MAX_LEFTOVERS)
		return;
	l = &c->leftovers[c->n_leftovers++];
	l->kind = kind;
	l->id = id;
	snprintf(l->path, sizeof(l->path), "%s", path);
}

static int libxdp_dir(char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/xdp", bpffs_root());

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Calls @fn for each dispatch-IFINDEX-ID directory of libxdp's. */
static void for_each_libxdp_dir(void (*fn)(const char *path, int ifindex, __u32 id, void *ctx),
				void *ctx)
{
	char base[PATH_MAX], path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	/* another user's (or one others may open) holds no pins of root's */
	err_quiet(true);
	if (bpffs__check_libxdp_dir(false) || libxdp_dir(base, sizeof(base)) ||
	    !(d = opendir(base))) {
		err_quiet(false);
		return;
	}
	err_quiet(false);
	while ((e = readdir(d))) {
		int ifindex;
		__u32 id;
		char end;

		if (sscanf(e->d_name, LIBXDP_DIR_FMT "%c", &ifindex, &id, &end) != 2)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", base, e->d_name) < (int)sizeof(path))
			fn(path, ifindex, id, ctx);
	}
	closedir(d);
}

struct attach_q {
	int ifindex;
	__u32 id;
};

/* In the namespace we are in: @ctx's program attached at its ifindex, any mode. */
static int attached_at(void *ctx)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	const struct attach_q *a = ctx;

	if (bpf_xdp_query(a->ifindex, 0, &q))
		return 0;
	return q.prog_id == a->id || q.drv_prog_id == a->id || q.skb_prog_id == a->id ||
	       q.hw_prog_id == a->id;
}

/*
 * libxdp's dispatch-IFINDEX-ID names no network namespace, and every
 * namespace of this mount namespace shares the bpffs: the directory is a
 * leftover only when dispatcher ID is gone, or attached at IFINDEX in no
 * namespace we can find. Its own pinned links hold the dispatcher loaded,
 * so being loaded proves nothing.
 */
static bool libxdp_dir_in_use(int ifindex, __u32 id)
{
	struct attach_q a = { ifindex, id };
	int fd = bpf_prog_get_fd_by_id(id);

	if (fd < 0)
		return errno != ENOENT; /* gone: nobody runs it; other errors: keep */
	close(fd);
	/* an interrupted apply (of any namespace) puts it back or lets it go */
	if (journal__keeps(ifindex, id))
		return true;
	return attached_at(&a) || netns__each_other(attached_at, &a);
}

static void scan_libxdp_dir(const char *path, int ifindex, __u32 id, void *ctx)
{
	struct chain *c = ctx;

	if (ifindex == c->ifindex && (c->kind != CHAIN_DISPATCHER || id != c->main_id) &&
	    !libxdp_dir_in_use(ifindex, id))
		add(c, LEFTOVER_LIBXDP_DIR, path, id);
}

static void scan_tap_hooks(struct chain *c)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	if (!c->managed || !(d = opendir(c->state_dir)))
		return;
	while ((e = readdir(d))) {
		bool used = false;
		__u32 id;

		if (sscanf(e->d_name, TAP_HOOK_PREFIX "%u", &id) != 1)
			continue;
		/* a dead capture's tap leaves with the next change, and its pin too */
		for (size_t i = 0; i < c->n; i++)
			used |= c->progs[i].is_tap && !c->progs[i].tap_stale &&
				c->progs[i].tap_hook_id == id;
		if (used || lock__hook_held(id))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", c->state_dir, e->d_name) <
		    (int)sizeof(path))
			add(c, LEFTOVER_TAP_HOOK, path, id);
	}
	closedir(d);
}

static void scan(struct chain *c, char *dir);

void leftover__scan(struct chain *c)
{
	char dir[PATH_MAX];

	err_quiet(true);
	scan(c, dir);
	err_quiet(false);
}

int chain__read_leftovers(const char *ifname, struct chain *c)
{
	int err = chain__read(ifname, c);

	if (!err)
		leftover__scan(c);
	return err;
}

static void found_tmp(const char *path, void *ctx)
{
	add(ctx, LEFTOVER_TMP_DIR, path, 0);
}

static void scan(struct chain *c, char *dir)
{
	for_each_libxdp_dir(scan_libxdp_dir, c);
	for (size_t i = 0; i < c->n; i++)
		if (c->progs[i].tap_stale)
			add(c, LEFTOVER_STALE_TAP, c->progs[i].name, c->progs[i].id);
	scan_tap_hooks(c);
	dispatcher__list_stale_dirs(found_tmp, c);
	if (c->observer_target && !c->observed &&
	    snprintf(dir, PATH_MAX, "%s/" OBSERVER_PIN, c->state_dir) < PATH_MAX)
		add(c, LEFTOVER_OBSERVER, dir, c->observer_target);
	for (int a = 0; a < HOOK_SLOTS; a++)
		if (c->hook_slots[a] && hook__left_prog(c->hook_id, c->hook_slots[a]))
			add(c, LEFTOVER_CAPTURE, c->hook_pin, c->hook_slots[a]);
	if (c->name_taken && !bpffs__iface_dir(c->ifname, dir, PATH_MAX)) {
		struct chain_state st;

		/* another interface's state under this name: a leftover once it is gone */
		if (!state__read(c->ifname, &st) && !prog__attached_id(st.ifindex) &&
		    !if_indextoname(st.ifindex, (char[IF_NAMESIZE]){ 0 }))
			add(c, LEFTOVER_STATE, dir, st.ifindex);
	}
}

/* Unlinks every pin in @path (root's directory, no link), then the directory. */
static int remove_pin_dir(const char *path)
{
	char p[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *d;

	if (lstat(path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0)
		return -EPERM; /* not libxdp's, as root made it: never followed or emptied */
	d = opendir(path);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", path, e->d_name) < (int)sizeof(p))
			unlink(p);
	}
	closedir(d);
	return rmdir(path) ? -errno : 0;
}

/* libxdp's directory of a dispatcher that is not attached; libxdp's lock held. */
static int remove_libxdp_dir_locked(const struct leftover *l)
{
	int ifindex;
	__u32 id;

	if (sscanf(strrchr(l->path, '/') + 1, LIBXDP_DIR_FMT, &ifindex, &id) != 2)
		return -EINVAL;
	return libxdp_dir_in_use(ifindex, id) ? -EBUSY : remove_pin_dir(l->path);
}

/*
 * Under libxdp's own lock (which it holds while it pins and attaches a new
 * dispatcher), waited for at most LIBXDP_LOCK_WAIT_MS.
 */
static int remove_libxdp_dir(const struct leftover *l)
{
	int lock = bpffs__libxdp_lock(LIBXDP_LOCK_WAIT_MS), err;

	if (lock < 0)
		return lock;
	err = remove_libxdp_dir_locked(l);
	close(lock);
	return err;
}

/* A gone interface's state directory, with its hook pin if that is ours. */
static int remove_state(const struct leftover *l)
{
	char path[PATH_MAX];
	struct chain_state st;
	int fd, err;

	if (snprintf(path, sizeof(path), "%s/state", l->path) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (!state__dirs_ours(strrchr(l->path, '/') + 1))
		return -EPERM; /* another user's: neither believed nor touched */
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	err = state__read_fd(fd, &st);
	close(fd);
	if (err)
		return err; /* not ours: never touched */
	fd = bpf_obj_get(st.hook_pin);
	if (fd >= 0) {
		if (st.hook_id && hook__id(fd) == st.hook_id && bpffs__pin_removable(st.hook_pin))
			unlink(st.hook_pin);
		close(fd);
	}
	state__remove_dir(l->path);
	return 0;
}

int leftover__remove(const struct leftover *l)
{
	switch (l->kind) {
	case LEFTOVER_LIBXDP_DIR:
		return remove_libxdp_dir(l);
	case LEFTOVER_TAP_HOOK:
		return lock__hook_held(l->id) ? -EBUSY : unlink(l->path) ? -errno : 0;
	case LEFTOVER_STATE:
		return remove_state(l);
	case LEFTOVER_TMP_DIR:
		return dispatcher__clear_stale_dirs(NULL, NULL) < 0 ? -EIO : 0;
	case LEFTOVER_CAPTURE: {
		int fd = bpf_obj_get(l->path), n;

		if (fd < 0)
			return -errno;
		n = hook__clear_stale(fd);
		close(fd);
		return n < 0 ? n : 0;
	}
	case LEFTOVER_OBSERVER:
		return unlink(l->path) ? -errno : 0;
	case LEFTOVER_STALE_TAP:
		break; /* a chain change: see drop_stale_taps() */
	}
	return -EINVAL;
}

struct clean_ctx {
	void (*on_removed)(const struct leftover *l, void *ctx);
	void *ctx;
	int n;
};

static void removed(struct clean_ctx *cc, const struct leftover *l)
{
	cc->n++;
	if (cc->on_removed)
		cc->on_removed(l, cc->ctx);
}

static void clean_libxdp_dir(const char *path, int ifindex, __u32 id, void *ctx)
{
	struct leftover l = { .kind = LEFTOVER_LIBXDP_DIR, .id = id };

	(void)ifindex; /* remove_libxdp_dir() reads it from the name, under libxdp's lock */
	snprintf(l.path, sizeof(l.path), "%s", path);
	if (!remove_libxdp_dir_locked(&l))
		removed(ctx, &l);
}

/*
 * A loaded program uses the state map pinned in @dir: a chain runs on it,
 * somewhere. For state older than version 3, which names no namespace.
 */
static bool state_in_use(const char *dir)
{
	struct bpf_map_info minfo = {};
	__u32 len = sizeof(minfo), id = 0;
	char path[PATH_MAX];
	bool used = false;
	int fd;

	if (snprintf(path, sizeof(path), "%s/state", dir) >= (int)sizeof(path))
		return true;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	if (bpf_obj_get_info_by_fd(fd, &minfo, &len))
		used = true; /* cannot tell: keep it */
	close(fd);
	while (!used && !bpf_prog_get_next_id(id, &id)) {
		__u32 maps[64], n;
		struct bpf_prog_info info = { .nr_map_ids = 64,
					      .map_ids = (__u64)(unsigned long)maps };

		len = sizeof(info);
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;
		n = bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.nr_map_ids;
		close(fd);
		for (__u32 i = 0; i < n && i < 64; i++)
			used |= maps[i] == minfo.id;
	}
	return used;
}

/* Each state directory: gone interface, or a live one's leftovers. */
static void clean_states(struct clean_ctx *cc)
{
	char base[PATH_MAX], name[IF_NAMESIZE];
	struct dirent *e;
	DIR *d;

	if (snprintf(base, sizeof(base), "%s/xdpchain", bpffs_root()) >= (int)sizeof(base) ||
	    !(d = opendir(base)))
		return;
	while ((e = readdir(d))) {
		struct leftover l = { .kind = LEFTOVER_STATE };
		struct chain_state st;
		struct chain c;
		int err;

		if (e->d_name[0] == '.')
			continue;
		err = state__read(e->d_name, &st);
		/* another namespace's, and that is gone: with its interfaces */
		if (err == -EXDEV && netns__exists(st.netns))
			continue;
		if (err && err != -EXDEV)
			continue;
		if (err || (st.ifindex && !if_indextoname(st.ifindex, name))) {
			if (snprintf(l.path, sizeof(l.path), "%s/%s", base, e->d_name) <
				    (int)sizeof(l.path) &&
			    (st.netns || !state_in_use(l.path)) && !remove_state(&l))
				removed(cc, &l);
			continue;
		}
		if (chain__read_leftovers(st.ifindex ? name : e->d_name, &c))
			continue;
		for (size_t i = 0; i < c.n_leftovers; i++)
			if ((c.leftovers[i].kind == LEFTOVER_TAP_HOOK ||
			     c.leftovers[i].kind == LEFTOVER_CAPTURE ||
			     c.leftovers[i].kind == LEFTOVER_OBSERVER) &&
			    !leftover__remove(&c.leftovers[i]))
				removed(cc, &c.leftovers[i]);
	}
	closedir(d);
}

static void removed_tmp(const char *path, void *ctx)
{
	struct leftover l = { .kind = LEFTOVER_TMP_DIR };

	snprintf(l.path, sizeof(l.path), "%s", path);
	removed(ctx, &l);
}

int leftover__clean_all(void (*on_removed)(const struct leftover *l, void *ctx), void *ctx)
{
	struct clean_ctx cc = { on_removed, ctx, 0 };
	char base[PATH_MAX];
	int lock, xdp_lock, err;
	struct stat st;
	bool xdp_dir;

	lock = lock__chain(10000);
	if (lock < 0)
		return lock;
	/*
	 * libxdp's lock once for all its directories; when it is held too
	 * long, or the directory is not root's, the rest is still cleaned
	 * and that is the error.
	 */
	xdp_dir = !libxdp_dir(base, sizeof(base)) && !lstat(base, &st);
	xdp_lock = xdp_dir ? bpffs__libxdp_lock(LIBXDP_LOCK_WAIT_MS) : -ENOENT;
	err_quiet(true);
	if (xdp_lock >= 0)
		for_each_libxdp_dir(clean_libxdp_dir, &cc);
	lock__release(xdp_lock);
	clean_states(&cc);
	err_quiet(false);
	err = dispatcher__clear_stale_dirs(removed_tmp, &cc);
	lock__release(lock);
	if (xdp_dir && xdp_lock < 0 && err >= 0)
		err = xdp_lock;
	return err < 0 ? err : cc.n;
}
