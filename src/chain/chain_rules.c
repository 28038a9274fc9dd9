// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Rules over a chain as read: no kernel, no libbpf, so the unit tests cover
 * them on any host.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xdp/prog_dispatcher.h>

#include "chain.h"
#include "dispatcher.h"
#include "log.h"

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

const char *chain__foreign_dispatcher(const struct chain *c, char *buf, size_t size)
{
	int v = c->dispatcher_version;

	if (c->kind != CHAIN_DISPATCHER || !v || v == XDP_DISPATCHER_VERSION)
		return NULL;
	snprintf(
		buf, size,
		"the dispatcher on %s has config version %d (built by %s), and this xdpchain's libxdp %s (version %d) can %s; change it with tools of %s, or detach it ('ip link set dev %s xdp off') and add again",
		c->ifname, v, dispatcher__generation(v), XDPCHAIN_LIBXDP_BUILD,
		XDP_DISPATCHER_VERSION,
		v < XDP_DISPATCHER_VERSION ? "read but not change it" :
					     "neither read nor change it",
		dispatcher__generation(v), c->ifname);
	return buf;
}

const char *chain__problem(const struct chain *c)
{
	const struct chain_prog *final = chain__final(c);
	static char foreign[400];

	if (chain__foreign_dispatcher(c, foreign, sizeof(foreign)))
		return foreign;
	if (c->kind == CHAIN_SINGLE && c->managed)
		return "a single program replaced the chain's dispatcher: the final stage and the hook are not in the packet path";
	if (c->kind == CHAIN_DISPATCHER && c->managed && !final)
		return "the final stage is missing (removed by another tool?): captures after the chain see nothing; re-add a program or run 'xdpchain flush'";
	if (final && final != &c->progs[c->n - 1])
		return "the final stage is not last: a program with a priority above 2147483647 runs after it";
	if (c->managed && c->hook_id && c->hook_pin_id != c->hook_id)
		return c->hook_pin_id ?
			       "the map pinned at the hook's path is not the hook the final stage calls (replaced by hand?): captures from that pin see nothing; 'xdpchain flush' and re-add, or capture with --hook on the right pin" :
			       "the hook's pin is gone (removed by hand?): the next 'xdpchain add' pins it again";
	if (c->kind == CHAIN_NONE && c->managed)
		return "xdpchain state is pinned but no program is attached; 'xdpchain flush' removes it";
	/*
	 * An observer still tied to a dispatcher another tool replaced is what
	 * counters_off explains, with its fix: not a problem of its own.
	 */
	for (size_t i = 0; i < c->n_leftovers; i++)
		if (c->leftovers[i].kind != LEFTOVER_OBSERVER)
			return "an interrupted run left pins or programs behind; 'xdpchain flush' (this interface) or 'xdpchain cleanup' (all) removes them";
	return NULL;
}

const char *chain__counters_off(const struct chain *c)
{
	if (c->kind != CHAIN_DISPATCHER || !c->managed)
		return NULL;
	if (!c->own_dispatcher)
		return "the dispatcher is libxdp's own (rebuilt by xdp-loader, or XDPCHAIN_DISPATCHER=system): no per-member counters, and only packets the whole chain passed reach the hook; the next 'xdpchain add' or 'remove' brings them back";
	if (!c->observed)
		return "no observer on the dispatcher (an interrupted change?): no per-member counters, and packets a member ends do not reach the hook; 'xdpchain cleanup' attaches it";
	return NULL;
}

const char *leftover__what(enum leftover_kind kind)
{
	switch (kind) {
	case LEFTOVER_LIBXDP_DIR:
		return "libxdp pins of a dispatcher that is not attached";
	case LEFTOVER_TAP_HOOK:
		return "hook pin of a tap that is gone";
	case LEFTOVER_STALE_TAP:
		return "tap of a capture that is gone";
	case LEFTOVER_STATE:
		return "xdpchain state of an interface that is gone";
	case LEFTOVER_TMP_DIR:
		return "dispatcher object directory of a killed run";
	case LEFTOVER_CAPTURE:
		return "capture program of a killed capture in the hook";
	case LEFTOVER_OBSERVER:
		return "observer of a dispatcher that no longer runs (keeps it loaded)";
	}
	return "leftover";
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
	if (!strcmp(name, FINAL_NAME) || !strcmp(name, TAP_NAME))
		return err_set(-EINVAL, "'%s' is the name of xdpchain's %s; rename the program",
			       name, strcmp(name, FINAL_NAME) ? "capture tap" : "final stage");
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->progs[i].name, name))
			return err_set(
				-EEXIST,
				"a program named '%s' is already in the chain on %s (id %u); remove it first with 'xdpchain remove %s %u'",
				name, c->ifname, c->progs[i].id, c->ifname, c->progs[i].id);
	need = c->n + 1 + (chain__final(c) ? 0 : 1);
	for (size_t i = 0; i < c->n; i++)
		need -= c->progs[i].tap_stale; /* they leave with this change */
	if (need > CHAIN_MAX_PROGS)
		return err_set(
			-E2BIG,
			"the dispatcher on %s is full: libxdp runs at most %d programs and one slot is xdpchain's final stage; remove a program first",
			c->ifname, CHAIN_MAX_PROGS);
	return 0;
}

/* libxdp's order: priority, then name. */
static bool runs_before(__u32 prio_a, const char *name_a, __u32 prio_b, const char *name_b)
{
	return prio_a != prio_b ? prio_a < prio_b : strcmp(name_a, name_b) < 0;
}

long chain__tap_prio(const struct chain *c, size_t i)
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

size_t chain__remove_set(const struct chain *c, size_t i, size_t idx[CHAIN_MAX_PROGS])
{
	const struct chain_prog *t = &c->progs[i];
	bool last_user = !t->is_final && !t->is_tap && chain__user_count(c) == 1;
	size_t n = 0;

	idx[n++] = i;
	for (size_t k = 0; k < c->n; k++) {
		const struct chain_prog *p = &c->progs[k];

		if (k == i)
			continue;
		/* the last program takes ours along; dead captures' taps go anyway */
		if ((last_user && (p->is_final || p->is_tap)) || p->tap_stale)
			idx[n++] = k;
	}
	return n;
}
