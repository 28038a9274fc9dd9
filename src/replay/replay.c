// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Fresh copies of a chain's members for a replay (replay.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "log.h"
#include "members.h"
#include "objfile.h"
#include "replay.h"

#define DEFAULT_PRIO 50 /* libxdp's, as apply takes it */

/* The program @want names, else the object's first XDP program. */
static struct bpf_program *pick_prog(struct bpf_object *obj, const struct chain_want *w)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, obj) {
		if (w->prog ? !strcmp(bpf_program__name(p), w->prog) :
			      bpf_program__type(p) == BPF_PROG_TYPE_XDP)
			return p;
	}
	return NULL;
}

/* Priority and proceed-on: the chain file's, else the object's XDP_RUN_CONFIG. */
static int run_config(struct replay_member *m, struct bpf_object *obj, const struct chain_want *w)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xo, .obj = obj, .prog_name = m->name);
	struct xdp_program *xp = xdp_program__create(&xo);
	int err = libxdp_get_error(xp);

	if (err)
		return err_set(err, "%s: cannot read %s as an XDP program: %s", w->where, w->object,
			       strerror(-err));
	m->prio = w->prio_set ? w->prio : xdp_program__run_prio(xp);
	m->actions = w->actions_set ? w->actions : chain__prog_actions(xp);
	xdp_program__close(xp); /* the object is ours: libxdp leaves it open */
	return 0;
}

/* No pinned map is reused: a copy never shares state with what runs live. */
static void unpin_maps(struct bpf_object *obj)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj)
		bpf_map__set_pin_path(map, NULL);
}

/* Named as bpf_object__open_file() names it (internal maps: "count.rodata"). */
static void object_name(const char *path, char *buf, size_t size)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	snprintf(buf, size, "%.*s", (int)strcspn(base, "."), base);
}

static int open_member(struct replay_member *m, const struct objfile *f, const struct chain_want *w)
{
	char oname[64];
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = oname);
	struct bpf_program *prog, *p;
	int err;

	object_name(f->path, oname, sizeof(oname));
	memcpy(m->sha256, f->sha256, sizeof(m->sha256));
	m->obj = bpf_object__open_mem(f->data, f->size, &oo);
	err = libbpf_get_error(m->obj);
	if (err) {
		m->obj = NULL;
		return err_set(err, "%s: cannot open BPF object %s: %s", w->where, w->object,
			       strerror(-err));
	}
	prog = pick_prog(m->obj, w);
	if (!prog)
		return err_set(-ENOENT, "%s: %s has no XDP program%s%s", w->where, w->object,
			       w->prog ? " named " : "", w->prog ? w->prog : "");
	bpf_object__for_each_program(p, m->obj)
		bpf_program__set_autoload(p, p == prog);
	snprintf(m->name, sizeof(m->name), "%s", bpf_program__name(prog));
	snprintf(m->object, sizeof(m->object), "%s", f->path);
	err = run_config(m, m->obj, w);
	if (err)
		return err;
	unpin_maps(m->obj);
	err = bpf_object__load(m->obj);
	if (err)
		return err_set(
			err,
			"%s: loading '%s' from %s failed: %s (the verifier or the kernel refused it); run with -vv for the verifier log",
			w->where, m->name, w->object, strerror(-err));
	m->prog_fd = bpf_program__fd(prog);
	return 0;
}

static int load_member(struct replay *r, struct replay_member *m, const struct chain_want *w,
		       bool force)
{
	struct objfile f;
	char hex[SHA256_HEX];
	int err;

	err = objfile__read(&f, w->object, w->where);
	if (err)
		return err;
	if (!replay__sha_matches(w->sha256, f.sha256)) {
		sha256_hex(f.sha256, hex);
		if (!force) {
			err = err_set(
				-ESTALE,
				"%s: %s changed since it was recorded (sha256 %.12s..., recorded %.12s...); replay it as it is now with --force, or put back the object",
				w->where, w->object, hex, w->sha256);
			goto out;
		}
		m->changed = true;
		r->n_changed++;
	}
	err = open_member(m, &f, w);
out:
	objfile__free(&f);
	return err;
}

int replay__load_spec(struct replay *r, const struct chain_spec *s, bool force)
{
	int err = 0;

	memset(r, 0, sizeof(*r));
	snprintf(r->ifname, sizeof(r->ifname), "%s", s->ifname ? s->ifname : "");
	r->ifindex = s->ifname ? if_nametoindex(s->ifname) : 0;
	if (!s->n)
		return err_set(-ENOENT, "%s: the chain of %s has no programs: nothing to replay",
			       s->where ? s->where : "", r->ifname);
	if (s->n > CHAIN_MAX_PROGS - 1)
		return err_set(-E2BIG, "%s: %zu programs, more than a chain holds (%d)", s->where,
			       s->n, CHAIN_MAX_PROGS - 1);
	for (size_t i = 0; i < s->n && !err; i++) {
		r->m[i].prog_fd = -1;
		r->n = i + 1;
		err = load_member(r, &r->m[i], &s->want[i], force);
	}
	if (err) {
		replay__free(r);
		return err;
	}
	replay__sort(r->m, r->n);
	return 0;
}

/* A sibling's maps are @m's copy's: the target sees what the member wrote. */
static int share_maps(struct replay_member *m, struct bpf_object *obj)
{
	struct bpf_map *map, *mine;
	int err;

	bpf_object__for_each_map(map, obj) {
		bpf_map__set_pin_path(map, NULL);
		mine = bpf_object__find_map_by_name(m->obj, bpf_map__name(map));
		if (!mine)
			continue;
		err = bpf_map__reuse_fd(map, bpf_map__fd(mine));
		if (err)
			return err;
	}
	return 0;
}

/* @name as the kernel keeps a program's name: its first BPF_OBJ_NAME_LEN - 1 characters. */
static struct bpf_program *find_prog(struct bpf_object *obj, const char *name)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, obj) {
		if (!strncmp(bpf_program__name(p), name, 15) &&
		    bpf_program__type(p) == BPF_PROG_TYPE_XDP)
			return p;
	}
	return NULL;
}

static int open_sibling(struct replay_member *m, const struct objfile *f, const char *name)
{
	char oname[64];
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = oname);
	struct bpf_program *prog, *p;
	struct bpf_object *obj;
	int err;

	object_name(f->path, oname, sizeof(oname));
	obj = bpf_object__open_mem(f->data, f->size, &oo);
	err = libbpf_get_error(obj);
	if (err)
		return err;
	prog = find_prog(obj, name);
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == prog);
	err = !prog ? -ENOENT : share_maps(m, obj) ?: bpf_object__load(obj);
	if (err) {
		bpf_object__close(obj);
		return err;
	}
	m->sib[m->n_sib++] = obj;
	return bpf_program__fd(prog);
}

int replay__load_sibling(struct replay_member *m, const char *name)
{
	struct bpf_program *prog;
	struct objfile f;
	int err;

	for (size_t i = 0; i < m->n_sib; i++) {
		prog = find_prog(m->sib[i], name);
		if (prog && bpf_program__fd(prog) >= 0)
			return bpf_program__fd(prog);
	}
	if (m->n_sib == REPLAY_SIBLINGS)
		return -E2BIG;
	err = objfile__read(&f, m->object, m->name);
	if (err)
		return err;
	/* the bytes the member's copy came from, or no sibling of it */
	err = memcmp(f.sha256, m->sha256, sizeof(m->sha256)) ? -ESTALE : open_sibling(m, &f, name);
	objfile__free(&f);
	return err;
}

void replay__free(struct replay *r)
{
	replay__disp_free(r);
	for (size_t i = 0; i < r->n; i++) {
		for (size_t k = 0; k < r->m[i].n_sib; k++)
			bpf_object__close(r->m[i].sib[k]);
		r->m[i].n_sib = 0;
		bpf_object__close(r->m[i].obj);
		r->m[i].obj = NULL;
		r->m[i].prog_fd = -1;
	}
	r->n = 0;
}
