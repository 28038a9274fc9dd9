// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* apply --dry-run --replay: the running chain against the planned one (whatif.h). */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "log.h"
#include "whatif.h"

/* A chain of no members: every packet passes after it, as it came. */
static void load_empty(struct replay *r, const char *ifname)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->ifname, sizeof(r->ifname), "%s", ifname);
	r->ifindex = if_nametoindex(ifname);
}

/* @ifname's chain as it runs: none, or the live members with their maps. */
static int load_running(struct replay *r, const char *ifname, bool *running)
{
	static struct chain c;
	char why[512];
	int err;

	err = chain__read(ifname, &c);
	if (err)
		return err;
	*running = c.kind != CHAIN_NONE;
	if (!*running) {
		load_empty(r, ifname);
		return 0;
	}
	err = replay__load_live(r, ifname, false);
	if (err != -ESTALE)
		return err;
	/* the live program's object is gone from disk as it was: no "before" */
	snprintf(why, sizeof(why), "%s", err_last());
	if (strstr(why, "; replay it as it is now"))
		*strstr(why, "; replay it as it is now") = '\0';
	err_clear();
	return err_set(
		err,
		"%s: cannot replay the chain as it runs: %s; to compare, give the new version another path in the chain file and keep the running one",
		ifname, why);
}

/* The chain @s plans: its objects as apply takes them, maps from the live members'. */
static int load_planned(struct replay *r, const struct chain_spec *s)
{
	int err;

	if (!s->n) {
		load_empty(r, s->ifname);
		return 0;
	}
	err = replay__load_spec(r, s, !s->strict);
	return err ?: replay__fill_from_live(r);
}

static int note_change(struct whatif *w, __u64 k, const struct golden_fate *b,
		       const struct golden_fate *a, const char *line)
{
	struct whatif_change *c;

	if (w->n_ch == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		void *p = realloc(w->ch, cap * sizeof(*w->ch));

		if (!p)
			return err_set(-ENOMEM, "out of memory");
		w->ch = p;
		w->cap = cap;
	}
	if (w->n_ch < EXPECT_LINES)
		snprintf(w->lines[w->n_ch], sizeof(w->lines[0]), "%s", line);
	c = &w->ch[w->n_ch++];
	*c = (struct whatif_change){ .packet = k, .before = *b, .after = *a };
	c->before.data = c->after.data = NULL;
	return 0;
}

struct both {
	struct replay *before, *after;
	struct replay_pkt *pb, *pa;
};

/* Packet @k through both chains; a change noted. */
static int one_packet(struct whatif *w, struct both *x, const char *in, __u64 k, const u_char *data,
		      __u32 caplen, __u32 cut)
{
	char desc[128], line[EXPECT_LINE_MAX];
	struct golden_fate b, a;
	int err;

	err = replay__packet(x->before, data, caplen, x->pb);
	if (err)
		return replay_packet_failed(err, in, k, caplen, x->before, x->pb);
	err = replay__packet(x->after, data, caplen, x->pa);
	if (err)
		return replay_packet_failed(err, in, k, caplen, x->after, x->pa);
	golden__fate_of(x->before, x->pb, cut, &b);
	golden__fate_of(x->after, x->pa, cut, &a);
	golden__describe(data, caplen, desc, sizeof(desc));
	if (!golden__fate_differs(k, desc, &b, &a, line, sizeof(line)))
		return 0;
	return note_change(w, k, &b, &a, line);
}

static int compare_all(struct whatif *w, const char *in, struct both *x)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc;
	int ret, err;

	err = replay_open_in(in, false, &pc);
	if (err)
		return err;
	while (!err && (ret = pcaplib()->next_ex(pc, &h, &data)) == 1) {
		__u32 cut = h->len > h->caplen ? h->len - h->caplen : 0;

		w->packets++;
		w->cut += !!cut;
		err = one_packet(w, x, in, w->packets, data, h->caplen, cut);
	}
	if (!err && ret == PCAP_ERROR)
		err = replay_read_failed(pc, in, w->packets + 1);
	pcaplib()->close(pc);
	return err;
}

int whatif__run(struct whatif *w, const char *in, const struct chain_spec *s)
{
	struct both x = {
		.before = calloc(1, sizeof(*x.before)),
		.after = calloc(1, sizeof(*x.after)),
		.pb = malloc(sizeof(*x.pb)),
		.pa = malloc(sizeof(*x.pa)),
	};
	int err = -ENOMEM;

	memset(w, 0, sizeof(*w));
	if (!x.before || !x.after || !x.pb || !x.pa) {
		err_set(err, "out of memory");
		goto out;
	}
	err = load_running(x.before, s->ifname, &w->running);
	if (!err)
		err = load_planned(x.after, s);
	if (!err)
		err = compare_all(w, in, &x);
	if (err)
		whatif__free(w);
out:
	if (x.before)
		replay__free(x.before);
	if (x.after)
		replay__free(x.after);
	free(x.before);
	free(x.after);
	free(x.pb);
	free(x.pa);
	return err;
}

void whatif__free(struct whatif *w)
{
	free(w->ch);
	w->ch = NULL;
	w->n_ch = w->cap = 0;
}
