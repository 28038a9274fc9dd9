// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <unistd.h>

#include <bpf/bpf.h>

#include "bpffs.h"
#include "capture.h"
#include "chain.h"
#include "commands.h"
#include "log.h"
#include "observer.h"
#include "output.h"
#include "redirect_view.h"

struct status_cfg {
	const char *ifname;
	bool stats;
};

static const struct param status_params[] = {
	{ "stats", 's', PT_FLAG, offsetof(struct status_cfg, stats), PARAM_NO_SET, NULL,
	  "per program, the packets it returned per action since it joined", 0 },
	PARAMS_END,
};

static const struct positional status_args[] = {
	ARG_IFACE(struct status_cfg, true, IFACE_ANY_HELP),
	{},
};

const struct cmd_desc status_desc = {
	.name = "status",
	.summary =
		"Show the chain on IFACE in run order: priorities, ids, proceed-on actions, the hook and its capture slots.",
	.params = status_params,
	.args = status_args,
};

static const char *kind_str(enum chain_kind k)
{
	return k == CHAIN_DISPATCHER ? "dispatcher" : k == CHAIN_SINGLE ? "single" : "none";
}

static const char *mode_str(enum xdp_attach_mode m)
{
	switch (m) {
	case XDP_MODE_SKB:
		return "skb";
	case XDP_MODE_NATIVE:
		return "native";
	case XDP_MODE_HW:
		return "hw";
	default:
		return "unspec";
	}
}

/* Counters per program, or NULL when the chain has none (or -s was not given). */
static struct prog_stats *read_stats(const struct chain *c, bool want)
{
	static struct prog_stats st[CHAIN_MAX_PROGS];

	if (!want || chain__counters_off(c) || c->kind != CHAIN_DISPATCHER || !c->managed)
		return NULL;
	return observer__read(c, st) ? NULL : st;
}

static void json_stats(struct json *j, const struct prog_stats *s)
{
	json_key(j, "stats");
	if (!s || !s->valid) {
		json_null(j);
		return;
	}
	json_object_start(j);
	for (unsigned int a = 0; a < XDP_ACTION_COUNT; a++)
		json_kv_uint(j, action_name(a), s->pkts[a]);
	json_object_end(j);
}

/* .programs[].cost: what the program took per timed packet, and how many were */
static void json_cost(struct json *j, const struct prog_stats *s)
{
	json_key(j, "cost");
	if (!s || !s->valid) {
		json_null(j);
		return;
	}
	json_object_start(j);
	json_key(j, "ns_per_packet");
	if (s->cost_samples)
		json_uint(j, (s->cost_ns + s->cost_samples / 2) / s->cost_samples);
	else
		json_null(j);
	json_kv_uint(j, "samples", s->cost_samples);
	json_object_end(j);
}

static void json_hook(struct json *j, const struct chain *c)
{
	json_key(j, "hook");
	if (!c->hook_id && !c->managed) {
		json_null(j);
		return;
	}
	json_object_start(j);
	json_kv_uint(j, "id", c->hook_id);
	json_kv_string(j, "pin", c->hook_pin);
	json_key(j, "slots");
	json_object_start(j);
	for (unsigned int a = 0; a < HOOK_SLOTS; a++)
		json_kv_uint(j, action_name(a), c->hook_slots[a]);
	json_object_end(j);
	json_key(j, "slot_names");
	json_object_start(j);
	for (unsigned int a = 0; a < HOOK_SLOTS; a++)
		json_kv_string(j, action_name(a), c->hook_slot_names[a]);
	json_object_end(j);
	json_object_end(j);
}

static void json_prog(struct json *j, const struct chain_prog *p, size_t pos, bool want_stats,
		      const struct prog_stats *st, const struct redirect_view *rv)
{
	json_object_start(j);
	json_kv_uint(j, "position", pos);
	json_kv_string(j, "name", p->name);
	json_kv_uint(j, "id", p->id);
	json_kv_uint(j, "priority", p->prio);
	json_kv_string(j, "tag", p->tag);
	json_key(j, "proceed_on");
	json_array_start(j);
	for (unsigned int a = 0; a < HOOK_SLOTS; a++)
		if (p->actions & (1U << a))
			json_string(j, action_name(a));
	json_array_end(j);
	json_kv_bool(j, "final", p->is_final);
	json_kv_bool(j, "tap", p->is_tap);
	json_kv_bool(j, "uses_hook", p->uses_hook);
	if (want_stats) {
		json_stats(j, st);
		json_cost(j, st);
		redirect_view__json(j, rv, p->id);
	}
	json_object_end(j);
}

static void json_leftovers(struct json *j, const struct chain *c)
{
	json_key(j, "leftovers");
	json_array_start(j);
	for (size_t i = 0; i < c->n_leftovers; i++) {
		json_object_start(j);
		json_kv_string(j, "path", c->leftovers[i].path);
		json_kv_string(j, "what", leftover__what(c->leftovers[i].kind));
		json_kv_uint(j, "id", c->leftovers[i].id);
		json_object_end(j);
	}
	json_array_end(j);
}

static void json_chain(struct json *j, const struct chain *c, bool want_stats)
{
	const char *problem = chain__problem(c), *off = chain__counters_off(c);
	const struct prog_stats *st = read_stats(c, want_stats);
	struct redirect_view rv = {};
	__u32 every;

	if (st)
		redirect_view__read(c, &rv);
	json_object_start(j);
	json_kv_string(j, "ifname", c->ifname);
	json_kv_uint(j, "ifindex", c->ifindex);
	json_kv_string(j, "kind", kind_str(c->kind));
	if (c->kind != CHAIN_NONE) {
		json_kv_string(j, "mode", mode_str(c->mode));
		json_kv_uint(j, c->kind == CHAIN_DISPATCHER ? "dispatcher_id" : "prog_id",
			     c->main_id);
	}
	if (c->kind == CHAIN_SINGLE)
		json_kv_string(j, "prog_name", c->main_name);
	if (c->kind == CHAIN_DISPATCHER) {
		json_kv_string(j, "dispatcher_object", c->own_dispatcher ? "xdpchain" : "libxdp");
		json_kv_uint(j, "dispatcher_version", c->dispatcher_version);
	}
	json_kv_bool(j, "frags", c->frags);
	json_kv_bool(j, "managed", c->managed);
	json_hook(j, c);
	json_key(j, "programs");
	json_array_start(j);
	for (size_t i = 0; i < c->n; i++)
		json_prog(j, &c->progs[i], i, want_stats, st ? &st[i] : NULL, &rv);
	json_array_end(j);
	redirect_view__free(&rv);
	if (c->kind == CHAIN_DISPATCHER && c->managed) {
		json_kv_bool(j, "counters", !off);
		if (off)
			json_kv_string(j, "counters_off", off);
	}
	if (st && !observer__cost_every(c, &every))
		json_kv_uint(j, "cost_every", every);
	json_leftovers(j, c);
	if (c->state_elsewhere)
		json_kv_string(j, "state_dir", c->state_dir);
	json_key(j, "problem");
	if (problem)
		json_string(j, problem);
	else
		json_null(j);
	json_object_end(j);
}

static void text_stats(const struct prog_stats *s)
{
	if (!s->valid)
		return;
	printf("      packets:");
	for (unsigned int a = 0; a < XDP_ACTION_COUNT; a++)
		printf(" %s %llu", action_name(a), (unsigned long long)s->pkts[a]);
	if (s->cost_samples)
		printf("  ns/pkt %llu (%llu timed)",
		       (unsigned long long)((s->cost_ns + s->cost_samples / 2) / s->cost_samples),
		       (unsigned long long)s->cost_samples);
	else
		printf("  ns/pkt - (0 timed)");
	printf("\n");
}

/* The members in run order, with their counts and redirect targets (@st: -s). */
static void text_progs(const struct chain *c, const struct prog_stats *st)
{
	struct redirect_view rv = {};
	char acts[64];

	if (!c->n)
		return;
	if (st)
		redirect_view__read(c, &rv);
	printf("  %-3s %-10s %-24s %-7s %-16s %-18s %s\n", "#", "priority", "name", "id", "tag",
	       "proceed-on", "notes");
	for (size_t i = 0; i < c->n; i++) {
		const struct chain_prog *p = &c->progs[i];

		printf("  %-3zu %-10u %-24s %-7u %-16s %-18s %s%s\n", i, p->prio, p->name, p->id,
		       p->tag, format_actions(p->actions, acts, sizeof(acts)),
		       p->is_final  ? "final stage" :
		       p->tap_stale ? "tap of a capture that is gone" :
		       p->is_tap    ? "tap of a running capture" :
				      "",
		       p->uses_hook && !p->is_final ? "calls hook" : "");
		if (!st)
			continue;
		text_stats(&st[i]);
		redirect_view__text(&rv, c, p->id, st[i].valid ? st[i].pkts[XDP_TX] : 0);
	}
	redirect_view__free(&rv);
}

static void text_chain(const struct chain *c, bool want_stats)
{
	const char *problem = chain__problem(c), *off = chain__counters_off(c);
	const struct prog_stats *st = read_stats(c, want_stats);
	__u32 every;
	bool any = false;

	switch (c->kind) {
	case CHAIN_NONE:
		printf("%s: no XDP program\n", c->ifname);
		break;
	case CHAIN_SINGLE:
		printf("%s: single XDP program %s (id %u), %s mode, not a libxdp chain\n",
		       c->ifname, c->main_name, c->main_id, mode_str(c->mode));
		break;
	case CHAIN_DISPATCHER:
		printf("%s: libxdp dispatcher (id %u, %s object), %s mode, frags %s\n", c->ifname,
		       c->main_id, c->own_dispatcher ? "xdpchain's" : "libxdp's", mode_str(c->mode),
		       c->frags ? "yes" : "no");
		break;
	}
	if (c->hook_id || c->managed) {
		printf("  hook: map id %u pinned at %s; capture slots:", c->hook_id, c->hook_pin);
		for (unsigned int a = 0; a < HOOK_SLOTS; a++) {
			if (!c->hook_slots[a])
				continue;
			printf(" %s=%s(id %u)", action_name(a),
			       c->hook_slot_names[a][0] ? c->hook_slot_names[a] : "?",
			       c->hook_slots[a]);
			any = true;
		}
		printf("%s\n", any ? "" : " none");
	}
	text_progs(c, st);
	if (off)
		printf("  counters: off: %s\n", off);
	if (st && !observer__cost_every(c, &every)) {
		if (every)
			printf("  cost: one packet in %u timed across each member\n", every);
		else
			printf("  cost: not sampled (%s=64 on a change samples one packet in 64)\n",
			       COST_ENV);
	}
	for (size_t i = 0; i < c->n_leftovers; i++)
		printf("  leftover: %s%s (%s)\n",
		       c->leftovers[i].kind == LEFTOVER_STALE_TAP ? "program " : "",
		       c->leftovers[i].path, leftover__what(c->leftovers[i].kind));
	if (c->state_elsewhere)
		printf("  state: kept under %s (the interface was renamed)\n", c->state_dir);
	if (problem)
		printf("  WARNING: %s\n", problem);
}

static void print_chain(const struct chain *c, struct json *j, bool want_stats)
{
	if (j)
		json_chain(j, c, want_stats);
	else
		text_chain(c, want_stats);
}

struct status_all {
	struct json *j;
	bool want_stats;
	int n;
};

/* With every interface: the ones with a program, state or leftovers. */
static int print_any(const struct chain *c, void *ctx)
{
	struct status_all *a = ctx;

	if (c->kind == CHAIN_NONE && !c->managed && !c->n_leftovers)
		return 0;
	print_chain(c, a->j, a->want_stats);
	a->n++;
	return 0;
}

int do_status(int argc, char **argv)
{
	struct status_cfg cfg = {};
	struct status_all all = {};
	struct chain c;
	struct json j;
	int ret;

	ret = cmd_parse(&status_desc, argc, argv, &cfg);
	if (ret >= 0)
		return ret;
	if (g_opts.json) {
		json_init(&j, stdout, g_opts.pretty);
		all.j = &j;
	}
	if (cfg.ifname) {
		if (chain__read_leftovers(cfg.ifname, &c))
			return cmd_fail("status");
		print_chain(&c, all.j, cfg.stats);
		if (all.j)
			json_finish(all.j);
		return EXIT_OK;
	}

	/* the reads below are quiet: not "no interface" when libxdp's pins are not root's */
	if (bpffs__check_libxdp_dir(false))
		return cmd_fail("status");
	all.want_stats = cfg.stats;
	if (all.j)
		json_array_start(all.j);
	if (chain__for_each(chain__read_leftovers, print_any, &all))
		return cmd_fail("status");
	if (all.j) {
		json_array_end(all.j);
		json_finish(all.j);
	} else if (!all.n) {
		printf("no interface has an XDP program\n");
	}
	return EXIT_OK;
}
