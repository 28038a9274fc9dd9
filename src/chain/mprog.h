/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A chain's members in libxdp's view of its dispatcher (xdp_multiprog):
 * what txn.c and the operations both look up there.
 */
#ifndef __XDPCHAIN_MPROG_H
#define __XDPCHAIN_MPROG_H

#include <xdp/libxdp.h>

#include "chain.h"
#include "swap.h"

/* The member of @mp with program id @id, or NULL. */
struct xdp_program *mprog__find(struct xdp_multiprog *mp, __u32 id);
/* The running member @p of @mp, kept as it runs in the dispatcher txn__swap() builds. */
void mprog__kept_member(struct xdp_multiprog *mp, const struct chain_prog *p,
			struct swap_member *m);

#endif
