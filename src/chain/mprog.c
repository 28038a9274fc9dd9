// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* A chain's members in libxdp's view of its dispatcher (mprog.h). */
#include "mprog.h"

struct xdp_program *mprog__find(struct xdp_multiprog *mp, __u32 id)
{
	struct xdp_program *p;

	for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp))
		if (xdp_program__id(p) == id)
			return p;
	return NULL;
}

void mprog__kept_member(struct xdp_multiprog *mp, const struct chain_prog *p, struct swap_member *m)
{
	struct xdp_program *xp = mprog__find(mp, p->id);

	*m = (struct swap_member){ .id = p->id,
				   .name = p->name,
				   .prio = p->prio,
				   .actions = p->actions,
				   .frags = xp && xdp_program__xdp_frags_support(xp),
				   .is_final = p->is_final };
}
