// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"
#include "output.h"
#include "redirect_view.h"

void redirect_view__read(const struct chain *c, struct redirect_view *rv)
{
	memset(rv, 0, sizeof(*rv));
	if (!c->managed || !c->state_dir[0])
		return;
	rv->on = redirects__active(c->state_dir);
	if (redirects__read(c->state_dir, &rv->v, &rv->n))
		rv->n = 0;
}

void redirect_view__free(struct redirect_view *rv)
{
	free(rv->v);
	memset(rv, 0, sizeof(*rv));
}

void redirect_view__map_name(__u32 id, char *buf, size_t size)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_map_get_fd_by_id(id);

	buf[0] = 0;
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		snprintf(buf, size, "%s", info.name);
	close(fd);
}

bool redirect_view__next(const struct redirect_view *rv, size_t *pos, struct redirect_target *t)
{
	const struct redirect_key *k;

	if (*pos >= rv->n)
		return false;
	k = &rv->v[*pos].k;
	memset(t, 0, sizeof(*t));
	t->prog = k->prog;
	t->ifindex = k->ifindex;
	t->map_id = k->map_id;
	t->key = k->key;
	t->first = *pos;
	for (; *pos < rv->n; (*pos)++) {
		const struct redirect_count *e = &rv->v[*pos];

		if (e->k.prog != t->prog || e->k.ifindex != t->ifindex ||
		    e->k.map_id != t->map_id || e->k.key != t->key)
			break;
		if (e->k.err)
			t->errors += e->packets;
		else
			t->packets += e->packets;
		t->n++;
	}
	if (!t->ifindex || !if_indextoname(t->ifindex, t->ifname))
		t->ifname[0] = 0;
	if (t->map_id)
		redirect_view__map_name(t->map_id, t->map, sizeof(t->map));
	return true;
}

const char *redirect_view__target(const struct redirect_target *t, char *buf, size_t size)
{
	char dev[IF_NAMESIZE + 32] = "";

	if (t->ifindex)
		snprintf(dev, sizeof(dev), "%s (ifindex %u)", t->ifname[0] ? t->ifname : "?",
			 t->ifindex);
	if (t->map_id)
		snprintf(buf, size, "map %s (id %u) key %u%s%s", t->map[0] ? t->map : "?",
			 t->map_id, t->key, dev[0] ? " -> " : "", dev);
	else
		snprintf(buf, size, "%s", dev[0] ? dev : "?");
	return buf;
}

void redirect_view__text(const struct redirect_view *rv, const struct chain *c, __u32 prog,
			 __u64 tx)
{
	struct redirect_target t;
	char buf[128], e[16];
	size_t pos = 0;

	if (tx)
		printf("      tx: leaves by %s (ifindex %d)\n", c->ifname, c->ifindex);
	while (redirect_view__next(rv, &pos, &t)) {
		if (t.prog != prog)
			continue;
		printf("      redirect to %s: sent %llu",
		       redirect_view__target(&t, buf, sizeof(buf)), (unsigned long long)t.packets);
		for (size_t i = t.first; i < t.first + t.n; i++)
			if (rv->v[i].k.err)
				printf(", %s %llu",
				       redirects__outcome(rv->v[i].k.err, e, sizeof(e)),
				       (unsigned long long)rv->v[i].packets);
		printf("\n");
	}
}

static void json_target(struct json *j, const struct redirect_view *rv,
			const struct redirect_target *t)
{
	char e[16];

	json_object_start(j);
	json_key(j, "ifname");
	if (t->ifname[0])
		json_string(j, t->ifname);
	else
		json_null(j);
	json_kv_uint(j, "ifindex", t->ifindex);
	json_key(j, "map");
	if (t->map_id)
		json_string(j, t->map);
	else
		json_null(j);
	json_kv_uint(j, "map_id", t->map_id);
	json_key(j, "key");
	if (t->map_id)
		json_uint(j, t->key);
	else
		json_null(j);
	json_kv_uint(j, "packets", t->packets);
	json_kv_uint(j, "errors", t->errors);
	json_key(j, "error_names");
	json_object_start(j);
	for (size_t i = t->first; i < t->first + t->n; i++)
		if (rv->v[i].k.err)
			json_kv_uint(j, redirects__outcome(rv->v[i].k.err, e, sizeof(e)),
				     rv->v[i].packets);
	json_object_end(j);
	json_object_end(j);
}

void redirect_view__json(struct json *j, const struct redirect_view *rv, __u32 prog)
{
	struct redirect_target t;
	size_t pos = 0;

	json_key(j, "redirects");
	if (!rv->on && !rv->n) {
		json_null(j);
		return;
	}
	json_array_start(j);
	while (redirect_view__next(rv, &pos, &t))
		if (t.prog == prog)
			json_target(j, rv, &t);
	json_array_end(j);
}
