// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * show: an all-stages file (capture --all-stages, replay -w) as each
 * packet's way through the chain, naming the header fields every stage
 * changed, e.g.
 *   packet 3 (udp 10.0.0.2.40000 > 10.0.0.1.7000): entry → vlan_strip (-4 bytes):
 *   vlan 100 removed → rewrite: udp dport 7000→7001 → fw: drop
 * The stages of a packet share its epb_packetid; a tcpdump filter selects
 * packets by their bytes at entry.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "filter.h"
#include "golden.h"
#include "log.h"
#include "output.h"
#include "pktdiff.h"
#include "xdp_action.h"

#define ARROW "\xe2\x86\x92" /* → */
#define NO_REC SIZE_MAX
#define ID_WINDOW 64 /* how far back a live capture's stages of one packet may lie */

struct show_cfg {
	const char *file;
	struct rest_args filter;
};

static const struct param show_params[] = {
	PARAMS_END,
};

static const struct positional show_args[] = {
	{ .name = "FILE",
	  .off = offsetof(struct show_cfg, file),
	  .help = "an all-stages pcapng file: capture --all-stages -w or replay -w wrote it" },
	{ .name = "FILTER",
	  .off = offsetof(struct show_cfg, filter),
	  .optional = true,
	  .help = "tcpdump filter expression: the packets whose bytes at entry match (default: every packet)",
	  .rest = true },
	{},
};

const struct cmd_desc show_desc = {
	.name = "show",
	.summary =
		"Show each packet of an all-stages file: the stages it went through, the header fields each changed, and its fate.",
	.details =
		"A line per packet: entry, then every member that let it go on, with the change in length\n"
		"and the fields it changed (Ethernet, VLAN, IPv4/IPv6, TCP/UDP ports; 'payload' otherwise),\n"
		"then its fate and the member that decided it. -j prints the same as JSON.",
	.params = show_params,
	.args = show_args,
};

struct way;

/* A packet: its blocks in file order, linked through show.next. */
struct show_pkt {
	__u64 id;
	size_t head, tail;
};

struct show {
	struct golden g;
	size_t *next; /* per record: the packet's next record, or NO_REC */
	struct show_pkt *pkts;
	size_t n_pkts;
	struct filter filter;
	bool filtered;
	struct way *way; /* the packet at hand's */
	__u64 shown;
};

/* The packet @id of the last few, or NO_REC: a packet's stages lie close together. */
static size_t find_pkt(const struct show *s, __u64 id)
{
	for (size_t k = s->n_pkts, w = 0; id && k > 0 && w < ID_WINDOW; k--, w++)
		if (s->pkts[k - 1].id == id)
			return k - 1;
	return NO_REC;
}

/* The records into packets by their packet id (a record without one: a packet of its own). */
static int group(struct show *s)
{
	const struct golden *g = &s->g;

	s->next = malloc((g->n_recs + 1) * sizeof(*s->next));
	s->pkts = malloc((g->n_recs + 1) * sizeof(*s->pkts));
	if (!s->next || !s->pkts)
		return err_set(-ENOMEM, "out of memory for %zu packet blocks", g->n_recs);
	for (size_t i = 0; i < g->n_recs; i++) {
		size_t k = find_pkt(s, g->recs[i].pkt_id);

		s->next[i] = NO_REC;
		if (k == NO_REC) {
			s->pkts[s->n_pkts++] =
				(struct show_pkt){ .id = g->recs[i].pkt_id, .head = i, .tail = i };
			continue;
		}
		s->next[s->pkts[k].tail] = i;
		s->pkts[k].tail = i;
	}
	return 0;
}

/* One step of a packet's way: a member that let it go on, or its fate. */
struct step {
	const char *name; /* the member; NULL: the fate after the chain */
	const struct golden_fate *f;
	long delta; /* bytes longer than before */
	bool fate;
	struct pktdiff d;
};

struct way {
	const struct golden_fate *entry;
	size_t n;
	struct step steps[CHAIN_MAX_PROGS + 2];
};

static enum golden_if_kind kind(const struct show *s, size_t rec)
{
	return s->g.ifs[s->g.recs[rec].ifid].kind;
}

/* @p's records as its way: the entry, each stage after it, the fate. */
static void way_of(const struct show *s, const struct show_pkt *p, struct way *w)
{
	const struct golden_fate *prev = NULL;

	memset(w, 0, sizeof(*w));
	for (size_t i = p->head; i != NO_REC && w->n < CHAIN_MAX_PROGS + 2; i = s->next[i]) {
		const struct golden_rec *r = &s->g.recs[i];
		struct step *st;

		if (kind(s, i) == GOLDEN_IF_ENTRY || !prev) {
			if (!prev)
				w->entry = prev = &r->f;
			continue;
		}
		st = &w->steps[w->n++];
		st->fate = kind(s, i) == GOLDEN_IF_EXIT;
		st->name = st->fate ? (*r->f.stage ? r->f.stage : NULL) : s->g.ifs[r->ifid].stage;
		st->f = &r->f;
		st->delta = (long)r->f.len - (long)prev->len;
		pktdiff__compare(prev->data, prev->caplen, r->f.data, r->f.caplen, &st->d);
		prev = &r->f;
	}
}

static void print_changes(FILE *f, const struct step *st)
{
	if (st->delta)
		fprintf(f, " (%+ld bytes)", st->delta);
	for (size_t k = 0; k < st->d.n; k++)
		fprintf(f, "%s%s", k ? ", " : ": ", st->d.what[k]);
}

static void print_text(FILE *f, size_t n, const struct way *w)
{
	char desc[128];
	bool fate = false;

	golden__describe(w->entry->data, w->entry->caplen, desc, sizeof(desc));
	fprintf(f, "packet %zu (%s): entry", n, desc);
	for (size_t k = 0; k < w->n; k++) {
		const struct step *st = &w->steps[k];
		const char *act = st->f->action < XDP_ACTION_COUNT ? action_name(st->f->action) :
								     "no verdict";

		fprintf(f, " " ARROW " %s", st->name ? st->name : "");
		if (!st->fate) {
			print_changes(f, st);
			continue;
		}
		fate = true;
		if (st->name) {
			print_changes(f, st);
			fprintf(f, "%s%s", st->d.n ? "; " : ": ", act);
		} else {
			fprintf(f, "%s%s", act, st->d.n || st->delta ? " after" : "");
			if (st->d.n || st->delta)
				print_changes(f, st);
		}
	}
	fprintf(f, "%s\n", fate ? "" : " " ARROW " (no fate in the file)");
}

static void json_step(struct json *j, const struct step *st)
{
	json_object_start(j);
	json_key(j, "stage");
	if (st->name)
		json_string(j, st->name);
	else
		json_null(j);
	if (st->fate)
		json_kv_string(j, "verdict",
			       st->f->action < XDP_ACTION_COUNT ? action_name(st->f->action) :
								  "none");
	json_kv_uint(j, "len", st->f->len);
	json_key(j, "changes");
	json_array_start(j);
	for (size_t k = 0; k < st->d.n; k++)
		json_string(j, st->d.what[k]);
	json_array_end(j);
	json_object_end(j);
}

static void print_json(struct json *j, size_t n, const struct show_pkt *p, const struct way *w)
{
	char desc[128];
	bool fate = false;

	json_object_start(j);
	json_kv_uint(j, "packet", n);
	json_kv_uint(j, "id", p->id);
	json_kv_string(j, "summary",
		       golden__describe(w->entry->data, w->entry->caplen, desc, sizeof(desc)));
	json_kv_uint(j, "len", w->entry->len);
	json_key(j, "stages");
	json_array_start(j);
	for (size_t k = 0; k < w->n; k++)
		if (!w->steps[k].fate)
			json_step(j, &w->steps[k]);
	json_array_end(j);
	json_key(j, "fate");
	for (size_t k = 0; k < w->n; k++)
		if (w->steps[k].fate && !fate) {
			json_step(j, &w->steps[k]);
			fate = true;
		}
	if (!fate)
		json_null(j);
	json_object_end(j);
}

static bool selected(const struct show *s, const struct golden_fate *entry)
{
	return !s->filtered ||
	       filter__run_classic(&s->filter, entry->data, entry->caplen, entry->len);
}

static void print_all(struct show *s)
{
	struct way *w = s->way;
	struct json j;

	if (g_opts.json) {
		json_init(&j, stdout, g_opts.pretty);
		json_object_start(&j);
		json_key(&j, "packets");
		json_array_start(&j);
	}
	for (size_t k = 0; k < s->n_pkts; k++) {
		way_of(s, &s->pkts[k], w);
		if (!selected(s, w->entry))
			continue;
		s->shown++;
		if (g_opts.json)
			print_json(&j, k + 1, &s->pkts[k], w);
		else
			print_text(stdout, k + 1, w);
	}
	if (g_opts.json) {
		json_array_end(&j);
		json_kv_uint(&j, "shown", s->shown);
		json_kv_uint(&j, "total", s->n_pkts);
		json_object_end(&j);
		json_finish(&j);
	}
}

static char *join_args(const struct rest_args *r)
{
	size_t len = 1;
	char *s;

	for (int i = 0; i < r->argc; i++)
		len += strlen(r->argv[i]) + 1;
	s = calloc(1, len);
	for (int i = 0; s && i < r->argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, r->argv[i]);
	}
	return s;
}

static int load(struct show *s, const struct show_cfg *cfg)
{
	char *expr;
	int err;

	if (cfg->filter.argc) {
		expr = join_args(&cfg->filter);
		if (!expr)
			return err_set(-ENOMEM, "out of memory");
		err = filter__compile(expr, 0, &s->filter);
		free(expr);
		if (err)
			return err;
		s->filtered = true;
	}
	s->way = malloc(sizeof(*s->way));
	if (!s->way)
		return err_set(-ENOMEM, "out of memory");
	err = golden__read_all(&s->g, cfg->file);
	if (err)
		return err;
	if (!s->g.stages)
		return err_set(
			-EINVAL,
			"%s has no stages (no interface named IFACE:exit); give a file capture --all-stages or replay -w wrote",
			cfg->file);
	return group(s);
}

int do_show(int argc, char **argv)
{
	struct show_cfg cfg = {};
	struct show s = {};
	int ret;

	ret = cmd_parse(&show_desc, argc, argv, &cfg);
	if (ret >= 0)
		return ret;
	ret = load(&s, &cfg) ? cmd_fail("show") : EXIT_OK;
	if (ret == EXIT_OK)
		print_all(&s);
	free(s.way);
	free(s.next);
	free(s.pkts);
	filter__free(&s.filter);
	golden__free(&s.g);
	return ret;
}
