// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The dispatcher's rules, without libbpf: unit-tested on any host. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "replay.h"

static int by_prio_name(const void *a, const void *b)
{
	const struct replay_member *x = a, *y = b;

	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	return strcmp(x->name, y->name);
}

void replay__sort(struct replay_member *m, size_t n)
{
	qsort(m, n, sizeof(*m), by_prio_name);
}

bool replay__proceeds(__u32 actions, __u32 ret)
{
	/* libxdp's dispatcher: if (!((1U << ret) & chain_call_actions)) return ret */
	return ret < 32 && (actions & (1U << ret));
}

unsigned int replay__action_slot(__u32 ret)
{
	return ret < XDP_ACTION_COUNT ? ret : XDP_ABORTED;
}

bool replay__sha_matches(const char *hex, const __u8 *sha)
{
	char mine[3];

	if (!hex || !*hex)
		return true;
	if (strlen(hex) != 2 * 32)
		return false;
	for (int i = 0; i < 32; i++) {
		snprintf(mine, sizeof(mine), "%02x", sha[i]);
		if (strncasecmp(hex + 2 * i, mine, 2))
			return false;
	}
	return true;
}
