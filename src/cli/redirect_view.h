/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Where each member's redirected packets went (chain/redirects.h), as
 * status -s, its JSON and metrics show them: one entry per member and
 * target, with the packets sent and the errors by name.
 */
#ifndef __XDPCHAIN_REDIRECT_VIEW_H
#define __XDPCHAIN_REDIRECT_VIEW_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "chain.h"
#include "redirects.h"

struct json;

struct redirect_view {
	bool on; /* the chain's redirect tracer is attached */
	struct redirect_count *v; /* sorted: per member, per target, sent first */
	size_t n;
};

/* One target of one member: v[first .. first + n) of a view. */
struct redirect_target {
	__u32 prog, ifindex, map_id, key;
	char ifname[IF_NAMESIZE]; /* "" when the device is gone or none */
	char map[16]; /* the map's name, "" for bpf_redirect() */
	__u64 packets, errors;
	size_t first, n;
};

/* Reads the counts of chain @c (nothing when it has none); never fails. */
void redirect_view__read(const struct chain *c, struct redirect_view *rv);
void redirect_view__free(struct redirect_view *rv);
/* The target at v[*pos] and on, *pos moved past it; false at the end. */
bool redirect_view__next(const struct redirect_view *rv, size_t *pos, struct redirect_target *t);
/* The name of map @id in @buf ("" when it is gone). */
void redirect_view__map_name(__u32 id, char *buf, size_t size);
/* "vc (ifindex 5)", "map tx_port (id 12) key 0 -> vc (ifindex 5)" */
const char *redirect_view__target(const struct redirect_target *t, char *buf, size_t size);
/* status -s: a line per target of program @prog, and for @tx packets the interface */
void redirect_view__text(const struct redirect_view *rv, const struct chain *c, __u32 prog,
			 __u64 tx);
/* .programs[].redirects of program @prog */
void redirect_view__json(struct json *j, const struct redirect_view *rv, __u32 prog);

#endif
