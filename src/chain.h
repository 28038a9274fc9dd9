/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The chain model: read an interface's libxdp dispatcher and xdpchain's state
 * from bpffs, and change it (add, remove, flush). No printing here: failures
 * return -errno with the reason in err_last().
 */
#ifndef __XDPCHAIN_CHAIN_H
#define __XDPCHAIN_CHAIN_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <xdp/libxdp.h>

#include "hook.h"

#define CHAIN_MAX_PROGS 10 /* libxdp's dispatcher slots, final stage included */
#define PRIO_USER_MAX 0x7fffffffU /* the upper half is reserved ... */
#define PRIO_FINAL 0xffffffffU /* ... so the final stage always runs last */
#define FINAL_NAME "xdpchain_final"
#define TAP_NAME "xdpchain_tap"
#define PROG_NAME_MAX 64

struct chain_prog {
	char name[PROG_NAME_MAX];
	__u32 id;
	__u32 prio;
	__u32 actions; /* chain-call actions, bit (1 << XDP_x) */
	char tag[17];
	bool is_final;
	bool is_tap; /* a capture's tap, see chain__add_tap() */
	bool uses_hook; /* calls into this chain's hook map */
};

enum chain_kind {
	CHAIN_NONE, /* no XDP program on the interface */
	CHAIN_SINGLE, /* one program, not through libxdp's dispatcher */
	CHAIN_DISPATCHER,
};

struct chain {
	char ifname[IF_NAMESIZE];
	int ifindex;
	enum chain_kind kind;
	enum xdp_attach_mode mode;
	__u32 main_id; /* dispatcher, or the single program */
	char main_name[PROG_NAME_MAX];
	bool frags;
	bool own_dispatcher; /* built from xdpchain's dispatcher object */
	size_t n;
	struct chain_prog progs[CHAIN_MAX_PROGS]; /* in run order */

	bool managed; /* xdpchain state is pinned for the interface */
	char hook_pin[PATH_MAX];
	__u32 hook_id; /* 0: no hook found */
	__u32 hook_slots[HOOK_SLOTS];
	char hook_slot_names[HOOK_SLOTS][16]; /* BPF program names, "" if gone */
};

int chain__read(const char *ifname, struct chain *c);
/* A decimal program id; -EINVAL if @s is not one. */
int parse_id(const char *s, __u32 *id);
size_t chain__user_count(const struct chain *c);
const struct chain_prog *chain__final(const struct chain *c);
/* By numeric id or by name. */
const struct chain_prog *chain__find(const struct chain *c, const char *sel);
/* Problems a status should flag; 0 if none, else a short description. */
const char *chain__problem(const struct chain *c);

/*
 * Whether a program called @name with priority @prio can join @c: the
 * interface is free or runs a dispatcher, the name is new, the priority is
 * not reserved, and a slot is left (the final stage needs one too).
 */
int chain__check_add(const struct chain *c, const char *name, __u32 prio);

struct chain_add_opts {
	const char *file;
	const char *prog_name; /* NULL: the object's first XDP program */
	__u32 prio;
	bool prio_set; /* else the object's XDP_RUN_CONFIG, else 50 */
	__u32 actions;
	bool actions_set;
	enum xdp_attach_mode mode;
	const char *hook_pin; /* NULL: <bpffs>/xdpchain/IFACE/xdpcap_hook */
};

int chain__add(const char *ifname, const struct chain_add_opts *o, struct chain_prog *added);
int chain__remove(const char *ifname, const char *sel, struct chain_prog *removed);
/*
 * A tap: a member placed right after program @after (name or id) that hands
 * packets to its own hook's PASS slot, for a capture of that stage.
 */
struct chain_tap {
	__u32 prog_id;
	char pin[PATH_MAX];
	char after[PROG_NAME_MAX];
};

/*
 * Pins @hook_fd (a hook__create() map, which a capture should already
 * serve, so packets find it ready) and places the tap calling it.
 */
int chain__add_tap(const char *ifname, const char *after, int hook_fd, struct chain_tap *tap);
void chain__remove_tap(const char *ifname, struct chain_tap *tap);
/* Pin path of a tap's hook, from its map id. */
int chain__tap_pin(const char *ifname, __u32 hook_id, char *buf, size_t size);
/* The prog_array a program calls (its hook); fd or -ENOENT. */
int chain__prog_hook_fd(__u32 prog_id);

/* Removes every program and xdpchain's pins; @n_removed counts programs. */
int chain__flush(const char *ifname, size_t *n_removed);

#endif
