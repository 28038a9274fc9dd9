/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What the operations (op_*.c: add, remove, taps, apply) share; chain.h
 * is what the commands see.
 */
#ifndef __XDPCHAIN_OPS_INTERNAL_H
#define __XDPCHAIN_OPS_INTERNAL_H

#include <limits.h>
#include <xdp/libxdp.h>

#include "chain.h"
#include "members.h"
#include "notes.h"
#include "objfile.h"
#include "txn.h"

/* One of xdpchain's own programs (final stage, tap), ready to attach. */
struct own_prog {
	struct bpf_object *obj;
	struct xdp_program *prog;
};

int own_prog__make(struct own_prog *o, const void *elf, size_t size, const char *name, int hook_fd,
		   int state_fd, int stats_fd, __u32 prio);
void own_prog__free(struct own_prog *o);

struct add_plan {
	struct notes *notes; /* what the command prints: see notes.h */
	struct objfile of; /* the object's bytes, read once */
	struct member_rec rec;
	struct bpf_object *obj;
	struct xdp_program *progs[2];
	struct own_prog final;
	int hook_fd;
	int member_hook_fd; /* an empty one: the observer captures members' fates */
	int stats_fd;
	bool new_hook_for_state; /* the state named a hook that is gone */
	signed char final_renew; /* final_renewal(): 0 not asked yet, 1 replace, -1 keep */
	char hook_pin[PATH_MAX];
};

/* op_object.c */
int user_obj_load(const struct chain_add_opts *o, struct objfile *f, struct bpf_object **objp,
		  struct xdp_program **progp, struct member_rec *rec);

/* op_common.c */
void explain_attach_error(int err, const char *name, const struct chain_add_opts *o);
int hook_check(const struct chain *c, const char *hook_pin);
int plan_hook(struct chain_txn *t, const struct chain_add_opts *o, struct add_plan *p);
int reread(struct chain_txn *t);
int reread_mp(struct chain_txn *t, const char *during);
int drop_stale_taps(struct chain_txn *t, struct notes *notes);
int add_prepare(struct chain_txn *t, struct notes *notes);
int give_hook(struct bpf_object *obj, const char *file, int hook_fd, int *member_hook_fd,
	      bool *uses_hook);
/*
 * Whether the chain's running final stage is an older build's that this
 * change replaces (asked once per plan; @tell: a note says so).
 */
bool final_renewal(struct chain_txn *t, struct add_plan *p, bool tell);
int add_final(struct chain_txn *t, struct add_plan *p, struct xdp_program **progs, size_t *nprogs);
void record_new_hook(struct chain_txn *t, struct add_plan *p);
void record_member(struct chain_txn *t, __u32 prog_id, const struct member_rec *rec,
		   struct notes *notes);

/* op_remove.c */
int remove_prog(struct chain_txn *t, const struct chain_prog *target);

#endif
