// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A live chain's members for a replay (replay.h): the objects recorded at
 * add/apply, loaded anew, their maps filled with what the live members'
 * maps hold now. Only reads reach the live maps (a syscall lookup does not
 * even mark an LRU entry used). A prog array's slots point at copies of
 * the programs the live slots hold; the xdpcap hook stays empty (a
 * member's exit through its hook then returns its action, counted once).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hook.h"
#include "log.h"
#include "members.h"
#include "replay.h"

static bool per_cpu(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool copyable(__u32 type)
{
	return type == BPF_MAP_TYPE_PROG_ARRAY || type == BPF_MAP_TYPE_HASH ||
	       type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_LRU_HASH ||
	       type == BPF_MAP_TYPE_LPM_TRIE || per_cpu(type);
}

/* Every entry of @from into @to (same type and sizes); the count, or -errno. */
static long copy_entries(int from, int to, const struct bpf_map_info *info)
{
	size_t vsize = info->value_size;
	void *key = calloc(1, info->key_size), *next = calloc(1, info->key_size), *val;
	long n = 0;
	int err = 0;

	if (per_cpu(info->type))
		vsize = ((vsize + 7) & ~7UL) * libbpf_num_possible_cpus();
	val = calloc(1, vsize);
	if (!key || !next || !val) {
		n = -ENOMEM;
		goto out;
	}
	for (void *prev = NULL; !bpf_map_get_next_key(from, prev, next); prev = key) {
		memcpy(key, next, info->key_size);
		if (bpf_map_lookup_elem(from, key, val))
			continue; /* gone meanwhile */
		err = bpf_map_update_elem(to, key, val, BPF_ANY);
		if (err) {
			n = -errno;
			break;
		}
		n++;
	}
out:
	free(key);
	free(next);
	free(val);
	return n;
}

/* The copy's map named as live map @info, of the same shape; fd or -ENOENT. */
static int copy_map_like(const struct replay_member *m, const struct bpf_map_info *info)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, m->obj) {
		struct bpf_map_info mi = {};
		__u32 len = sizeof(mi);
		int fd = bpf_map__fd(map);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &mi, &len))
			continue;
		if (!strcmp(mi.name, info->name) && mi.type == info->type &&
		    mi.key_size == info->key_size && mi.value_size == info->value_size &&
		    mi.max_entries >= info->max_entries)
			return fd;
	}
	return -ENOENT;
}

/* The copy of live program @id, a tail call's target: a member's, or a sibling's. */
static int copy_of(struct replay *r, struct replay_member *m, const struct chain *c, __u32 id,
		   char *name, size_t size)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd;

	for (size_t i = 0; i < c->n; i++) {
		for (size_t k = 0; c->progs[i].id == id && k < r->n; k++)
			if (!strcmp(r->m[k].name, c->progs[i].name))
				return r->m[k].prog_fd;
	}
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -ENOENT; /* gone meanwhile: the slot stays empty */
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.name[0] = '\0';
	close(fd);
	snprintf(name, size, "%s", info.name);
	return info.name[0] ? replay__load_sibling(m, info.name) : -ENOENT;
}

/* Each slot of live prog array @from, pointed in @to at the copy of what it holds. */
static int fill_prog_array(struct replay *r, struct replay_member *m, const struct chain *c,
			   int from, int to, const struct bpf_map_info *info)
{
	char name[BPF_OBJ_NAME_LEN] = "";
	__u32 id;
	int fd;

	for (__u32 key = 0; key < info->max_entries; key++) {
		if (bpf_map_lookup_elem(from, &key, &id))
			continue; /* an empty slot */
		fd = copy_of(r, m, c, id, name, sizeof(name));
		if (fd == -ENOENT && !name[0])
			continue;
		if (fd < 0)
			return err_set(
				fd,
				"'%s' tail-calls program '%s' (id %u) through its prog array %s (slot %u), which is neither a member of the chain nor a program of %s: the replay cannot run a copy of it, and runs nothing live (%s)",
				m->name, name, id, info->name, key, m->object, strerror(-fd));
		if (bpf_map_update_elem(to, &key, &fd, BPF_ANY))
			return err_set(
				-errno,
				"cannot point slot %u of %s's prog array %s at the copy of '%s': %s",
				key, m->name, info->name, name, strerror(errno));
		m->tail_slots++;
	}
	return 0;
}

/* Fills member @m's maps from the live program @p's. */
static int fill_member(struct replay *r, struct replay_member *m, const struct chain *c,
		       const struct chain_prog *p)
{
	for (__u32 i = 0; i < p->n_maps; i++) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int from, to;
		long n;

		from = bpf_map_get_fd_by_id(p->map_ids[i]);
		if (from < 0)
			continue;
		if (bpf_obj_get_info_by_fd(from, &info, &len) || !copyable(info.type) ||
		    (info.map_flags & BPF_F_RDONLY_PROG) || !strcmp(info.name, XDPCAP_HOOK_MAP) ||
		    (to = copy_map_like(m, &info)) < 0) {
			/* .rodata as the object has it, the hook empty; no match: empty */
			close(from);
			continue;
		}
		if (info.type == BPF_MAP_TYPE_PROG_ARRAY) {
			n = fill_prog_array(r, m, c, from, to, &info);
			close(from);
			if (n)
				return n;
			continue;
		}
		n = copy_entries(from, to, &info);
		close(from);
		if (n < 0)
			return err_set(
				n, "cannot copy map %s of '%s' (id %u) into its replay copy: %s",
				info.name, p->name, p->id, strerror(-n));
		m->maps_filled++;
		r->entries_copied += n;
	}
	return 0;
}

static int live_wants(const struct chain *c, struct chain_want *w, struct member_rec *recs,
		      char (*hex)[SHA256_HEX], size_t *n)
{
	*n = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct chain_prog *p = &c->progs[i];

		if (p->is_final || p->is_tap)
			continue;
		if (members__lookup(c->state_dir, p->id, &recs[*n]))
			return err_set(
				-ENOENT,
				"program '%s' (id %u) on %s was not added by xdpchain add or apply: its object file is not known, so it cannot be replayed",
				p->name, p->id, c->ifname);
		sha256_hex(recs[*n].sha256, hex[*n]);
		w[*n] = (struct chain_want){ .object = recs[*n].object,
					     .prog = recs[*n].prog,
					     .prio = p->prio,
					     .prio_set = true,
					     .actions = p->actions,
					     .actions_set = true,
					     .sha256 = hex[*n],
					     .where = c->ifname };
		(*n)++;
	}
	return 0;
}

int replay__fill_from_live(struct replay *r)
{
	static struct chain c;
	int err;

	err_quiet(true);
	err = r->ifindex ? chain__read(r->ifname, &c) : -ENODEV;
	err_quiet(false);
	if (err || c.kind != CHAIN_DISPATCHER || !c.managed)
		return 0; /* no live chain of that name here: maps stay empty */
	for (size_t i = 0; !err && i < r->n; i++) {
		const struct chain_prog *p = chain__find(&c, r->m[i].name);

		if (p && !p->is_final && !p->is_tap)
			err = fill_member(r, &r->m[i], &c, p);
	}
	r->live = !err;
	return err;
}

int replay__load_live(struct replay *r, const char *ifname, bool force)
{
	static struct chain c;
	struct member_rec recs[CHAIN_MAX_PROGS];
	char hex[CHAIN_MAX_PROGS][SHA256_HEX];
	struct chain_want w[CHAIN_MAX_PROGS];
	struct chain_spec s = { .ifname = ifname, .want = w, .where = ifname };
	int err;

	err = chain__read(ifname, &c);
	if (err)
		return err;
	if (c.kind != CHAIN_DISPATCHER || !c.managed || !chain__user_count(&c))
		return err_set(
			-ENOENT,
			"%s has no xdpchain chain to replay; replay a chain file with --file",
			ifname);
	err = live_wants(&c, w, recs, hex, &s.n);
	if (!err)
		err = replay__load_spec(r, &s, force);
	for (size_t i = 0; !err && i < r->n; i++) {
		const struct chain_prog *p = chain__find(&c, r->m[i].name);

		if (p)
			err = fill_member(r, &r->m[i], &c, p);
	}
	if (err)
		replay__free(r);
	r->live = !err;
	return err;
}
