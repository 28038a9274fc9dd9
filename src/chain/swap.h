/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * One dispatcher replacement for any new set of members (swap.c): the
 * members of the new dispatcher, and putting an old one back.
 */
#ifndef __XDPCHAIN_SWAP_H
#define __XDPCHAIN_SWAP_H

#include <stdbool.h>
#include <linux/types.h>

struct bpf_object;
struct bpf_program;
struct member_rec;

/* A member of the dispatcher swap.c builds (txn__swap()). */
struct swap_member {
	__u32 id; /* a running program, kept: its id; 0: @prog, loaded now */
	struct bpf_object *obj; /* @prog's */
	struct bpf_program *prog;
	const char *name;
	__u32 prio;
	__u32 actions; /* proceed-on, (1 << XDP_x) */
	bool frags;
	bool is_final; /* xdpchain's final stage */
	const struct member_rec *rec; /* a new member's origin, recorded before the switch */
	__u32 new_id; /* set: the program id in the new dispatcher */
};

/*
 * For txn__unswap() and the journal: puts dispatcher @old_id back
 * on @ifindex (0: no program) in place of @new_id (-ESTALE when @new_id is
 * not what runs there) and removes @new_id's pins (@n_new members).
 */
int swap__revert(int ifindex, __u32 old_id, __u32 new_id, __u32 flags, size_t n_new);
/* Removes libxdp's pins of dispatcher @id on @ifindex (@n members). */
void swap__unpin(int ifindex, __u32 id, size_t n);

#endif
