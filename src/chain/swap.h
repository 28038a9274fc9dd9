/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * One dispatcher replacement for any new set of members (swap.c): the
 * members of the new dispatcher, and putting an old one back.
 */
#ifndef __XDPCHAIN_SWAP_H
#define __XDPCHAIN_SWAP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <xdp/libxdp.h>

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

/* The interface whose dispatcher is replaced. */
struct swap_target {
	const char *ifname;
	int ifindex;
	__u32 old_id; /* the running dispatcher; 0: the interface has none */
	size_t n_old; /* its members */
	const char *state_dir; /* where new members are recorded (members.h); "": nowhere */
	enum xdp_attach_mode mode;
	bool timed; /* the dispatcher object with cost sampling (observer__cost_wanted()) */
};

/*
 * What the caller does around the switch (txn.c: the observer's steps, the
 * journal, keeping the old dispatcher), in this order; @ctx is theirs.
 */
struct swap_hooks {
	/*
	 * After the members are linked to the new dispatcher @disp_fd, before
	 * anything runs it: 1 when something was prepared (then arm() and
	 * end() follow), 0 when nothing, -errno on failure (the swap goes on).
	 */
	int (*prepare)(void *ctx, const struct swap_member *m, size_t n, int disp_fd);
	/* Right before the switch, after pinning: -errno stops the swap (NULL: none). */
	int (*before_switch)(void *ctx, __u32 new_id, __u32 flags);
	/* Right before the switch: 0, or -errno with prepare()'s work undone (the swap goes on). */
	int (*arm)(void *ctx);
	/*
	 * Right after the switch, libxdp's lock still held (NULL: none):
	 * @prepared says whether what prepare() made now runs. True: the
	 * caller keeps the old dispatcher's pins and what prepare() made
	 * (end() is not called); false: they go.
	 */
	bool (*switched)(void *ctx, __u32 new_id, __u32 flags, bool prepared);
	/* What prepare() made stays (@ok: after the switch) or goes (a failure). */
	void (*end)(void *ctx, bool ok);
	void *ctx;
};

/*
 * Replaces @tg's running dispatcher with one running exactly @m (sorted
 * here into libxdp's order) in one step, however many members leave or
 * come. Nothing changes if it fails. 0 or -errno (err_last()).
 */
int swap__run(const struct swap_target *tg, struct swap_member *m, size_t n,
	      const struct swap_hooks *h);

/*
 * For txn__unswap() and the journal: puts dispatcher @old_id back
 * on @ifindex (0: no program) in place of @new_id (-ESTALE when @new_id is
 * not what runs there) and removes @new_id's pins (@n_new members).
 */
int swap__revert(int ifindex, __u32 old_id, __u32 new_id, __u32 flags, size_t n_new);
/* Removes libxdp's pins of dispatcher @id on @ifindex (@n members). */
void swap__unpin(int ifindex, __u32 id, size_t n);

#endif
