/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The chain model: what an interface runs (libxdp's dispatcher and its
 * members) and xdpchain's own state for it on bpffs.
 *
 *   chain_rules.c  pure rules over struct chain (no libbpf: unit-tested)
 *   chain.c        reading a chain from the kernel and bpffs
 *   txn.c          a change to one chain as a transaction (see txn.h)
 *   op_*.c         add, remove, flush, taps and apply, each one transaction
 *   leftover.c     what interrupted runs left behind, found and removed
 *
 * No printing here: failures return -errno with the reason in err_last().
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
#define PROG_MAX_MAPS 8
#define CHAIN_MAX_LEFTOVERS 16

struct chain_prog {
	char name[PROG_NAME_MAX];
	__u32 id;
	__u32 prio;
	__u32 actions; /* chain-call actions, bit (1 << XDP_x) */
	char tag[17];
	/*
	 * Ours: the program carries our name and uses the interface's state
	 * map, which only xdpchain creates. A user program of the same name
	 * is a user program.
	 */
	bool is_final;
	bool is_tap; /* a capture's tap, see chain__add_tap() */
	bool uses_hook; /* calls into this chain's hook map */
	__u32 tap_hook_id; /* a tap's own hook */
	bool tap_stale; /* a tap whose capture is gone */
	__u32 map_ids[PROG_MAX_MAPS];
	__u32 n_maps;
};

enum chain_kind {
	CHAIN_NONE, /* no XDP program on the interface */
	CHAIN_SINGLE, /* one program, not through libxdp's dispatcher */
	CHAIN_DISPATCHER,
};

enum leftover_kind {
	LEFTOVER_LIBXDP_DIR, /* libxdp's pins of a dispatcher that is not attached */
	LEFTOVER_TAP_HOOK, /* a tap's hook pin no tap uses */
	LEFTOVER_STALE_TAP, /* a tap in the chain whose capture is gone */
	LEFTOVER_STATE, /* xdpchain state of an interface that is gone */
	LEFTOVER_TMP_DIR, /* a dispatcher object directory of a killed run */
	LEFTOVER_CAPTURE, /* a killed capture's programs in the hook's slots */
	LEFTOVER_OBSERVER, /* an observer link to a dispatcher no longer running */
};

struct leftover {
	enum leftover_kind kind;
	char path[PATH_MAX];
	__u32 id; /* LIBXDP_DIR: dispatcher id; STALE_TAP: program id */
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
	/*
	 * The dispatcher's config version (0: unknown). When it is not the
	 * version of the libxdp xdpchain was built with, libxdp cannot change
	 * the chain (and older libxdp cannot read it: progs is empty).
	 */
	int dispatcher_version;
	size_t n;
	struct chain_prog progs[CHAIN_MAX_PROGS]; /* in run order */

	bool managed; /* xdpchain state is pinned for the interface */
	bool state_elsewhere; /* under another name: the interface was renamed */
	bool name_taken; /* <bpffs>/xdpchain/IFNAME holds another interface's state */
	__u32 state_id; /* map id of the state map */
	__u32 state_hook_id; /* the hook xdpchain made, as its state records */
	__u32 hook_id; /* what the final stage calls (else the pin's map); 0: none */
	__u32 hook_pin_id; /* the map pinned at hook_pin; 0: nothing there */
	/*
	 * The observer (observer.h): attached to the running dispatcher, or
	 * to which one its pinned link still holds (0: none).
	 */
	bool observed;
	__u32 observer_target;
	__u32 hook_slots[HOOK_SLOTS];
	char hook_slot_names[HOOK_SLOTS][16]; /* BPF program names, "" if gone */

	size_t n_leftovers;
	/*
	 * The long fields last: chain__read() zeroes what comes before
	 * state_dir and ends these strings; leftovers[] is read only up to
	 * n_leftovers, each entry written whole when added.
	 */
	char state_dir[PATH_MAX]; /* where the state is: <bpffs>/xdpchain/NAME */
	char hook_pin[PATH_MAX];
	struct leftover leftovers[CHAIN_MAX_LEFTOVERS];
};

/* ---- chain.c: kernel queries shared by the commands ------------------- */

/* A libxdp program's proceed-on (chain-call) actions, (1 << XDP_x). */
__u32 chain__prog_actions(const struct xdp_program *prog);

/* ---- chain_rules.c: pure ---------------------------------------------- */

/* A decimal program id; -EINVAL if @s is not one. */
int parse_id(const char *s, __u32 *id);
size_t chain__user_count(const struct chain *c);
const struct chain_prog *chain__final(const struct chain *c);
/* By numeric id or by name. */
const struct chain_prog *chain__find(const struct chain *c, const char *sel);
/* Problems a status should flag; 0 if none, else a short description. */
const char *chain__problem(const struct chain *c);
/*
 * Why per-member counters and stage attribution are off on @c, with the
 * fix; NULL when they are on or there is no xdpchain chain.
 */
const char *chain__counters_off(const struct chain *c);
/*
 * NULL if the libxdp xdpchain was built with can change @c's dispatcher;
 * else (one of another generation) one line in @buf saying why not and
 * what to do, and @buf.
 */
const char *chain__foreign_dispatcher(const struct chain *c, char *buf, size_t size);
/* One word for a leftover's kind. */
const char *leftover__what(enum leftover_kind kind);

/*
 * Whether a program called @name with priority @prio can join @c: the
 * interface is free or runs a dispatcher, the name is new and not one of
 * xdpchain's own, the priority is not reserved, and a slot is left (the
 * final stage needs one too).
 */
int chain__check_add(const struct chain *c, const char *name, __u32 prio);

/*
 * A priority that puts a tap right after program @i and before its
 * successor in libxdp's order (priority, then name), or -ERANGE.
 */
long chain__tap_prio(const struct chain *c, size_t i);

/*
 * Members that leave with the program at index @i on a remove: when it is
 * the last user program, xdpchain's final stage and taps go too. Fills
 * @idx (indexes into c->progs, @i first) and returns how many.
 */
size_t chain__remove_set(const struct chain *c, size_t i, size_t idx[CHAIN_MAX_PROGS]);

/* ---- chain.c: reading --------------------------------------------------- */

/* Resolves @ifname; -ENODEV with a message if there is no such interface. */
int chain__ifindex(const char *ifname);
/*
 * Reads @ifname's chain and xdpchain state; changes nothing. Leftovers are
 * not looked for (a bpffs scan): chain__read_leftovers() does both.
 */
int chain__read(const char *ifname, struct chain *c);
/*
 * Calls @fn with the chain of each interface, read quietly by @read
 * (chain__read, or chain__read_leftovers where leftovers are wanted; one
 * that cannot be read is passed over), until @fn returns non-zero; returns
 * that, 0, or -errno when the interfaces cannot be listed.
 */
int chain__for_each(int (*read)(const char *ifname, struct chain *c),
		    int (*fn)(const struct chain *c, void *ctx), void *ctx);
/* The prog_array a program calls (its hook); fd or -ENOENT. */
int chain__prog_hook_fd(__u32 prog_id);

/* ---- op_*.c: changes -------------------------------------------------- */
/*
 * What a change has to tell besides its result ("mounted bpffs", "removed
 * 2 taps a killed capture left", a warning) is added to @notes (notes.h;
 * NULL: dropped) for the command to print; nothing here prints.
 */
struct notes;

struct chain_add_opts {
	const char *file;
	const char *prog_name; /* NULL: the object's first XDP program */
	__u32 prio;
	bool prio_set; /* else the object's XDP_RUN_CONFIG, else 50 */
	__u32 actions;
	bool actions_set;
	enum xdp_attach_mode mode;
	const char *hook_pin; /* NULL: <bpffs>/xdpchain/IFACE/xdpcap_hook */
	const char *where; /* "FILE:LINE" of a chain file, for messages; NULL for add */
};

int chain__add(const char *ifname, const struct chain_add_opts *o, struct chain_prog *added,
	       struct notes *notes);
int chain__remove(const char *ifname, const char *sel, struct chain_prog *removed,
		  struct notes *notes);
/*
 * Removes every program, xdpchain's pins and the interface's leftovers;
 * @n_removed counts programs, @n_cleaned leftovers.
 */
int chain__flush(const char *ifname, size_t *n_removed, size_t *n_cleaned, struct notes *notes);

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
int chain__add_tap(const char *ifname, const char *after, int hook_fd, struct chain_tap *tap,
		   struct notes *notes);
void chain__remove_tap(const char *ifname, struct chain_tap *tap, struct notes *notes);
/*
 * Takes taps whose capture is gone out of IFACE's chain (@n_taps), and
 * attaches the observer where xdpchain's dispatcher runs without one
 * (@observer). 0 or -errno.
 */
int chain__repair(const char *ifname, size_t *n_taps, bool *observer, struct notes *notes);

/*
 * apply: make one interface's chain what a chain file says (chainfile.h),
 * as one transaction. Members are matched by program name; one is kept
 * (same program id) when its object, content hash, priority and proceed-on
 * are the same, and loaded anew from its object otherwise (libxdp cannot
 * change a loaded program's priority); one the file does not name is
 * removed. Every object is opened and checked before anything changes; the
 * change is one dispatcher replacement (txn__swap() on xdpchain's
 * dispatcher object), and nothing changes when it fails.
 */
struct chain_want {
	const char *object; /* the object file, as the chain file names it */
	const char *prog; /* NULL: the object's first XDP program */
	__u32 prio;
	bool prio_set;
	__u32 actions;
	bool actions_set;
	const char *sha256; /* hex as saved, or NULL */
	const char *where; /* "FILE:LINE", for messages */
};

struct chain_spec {
	const char *ifname;
	enum xdp_attach_mode mode; /* UNSPEC: the chain's, or libxdp's default */
	const char *hook_pin; /* NULL: the default */
	const struct chain_want *want;
	size_t n;
	const char *where;
	bool strict; /* an object whose sha256 is not the file's fails (else a warning) */
};

enum apply_step { STEP_KEEP, STEP_ADD, STEP_RELOAD, STEP_CHANGE, STEP_REMOVE };

struct apply_item {
	enum apply_step step;
	char name[PROG_NAME_MAX];
	__u32 old_id, new_id;
	__u32 prio, actions;
	char object[PATH_MAX];
	char why[128];
};

struct apply_result {
	struct apply_item items[2 * CHAIN_MAX_PROGS];
	size_t n;
	bool changed;
	size_t n_swaps; /* dispatcher replacements the change took */
	__u32 old_main, new_main; /* dispatcher ids before and after */
	bool undoable; /* planned as one replacement that can be put back */
	bool failed; /* the interface whose change failed */
	bool rolled_back; /* changed, then put back: another interface failed */
	bool not_rolled_back; /* changed by libxdp's path: could not be put back */
};

/*
 * apply over several interfaces, all or nothing: every interface planned
 * and checked first (the whole of a dry run), then changed one after the
 * other under one chain lock (lock__chain_hold()), each old dispatcher
 * kept; when the kernel refuses one interface, those changed before it
 * get their previous dispatcher back (same programs, r[i].rolled_back).
 * A kill in between is finished by the next run (journal.h). 0 or -errno,
 * the failed interface's reason in err_last().
 */
int chain__apply_all(const struct chain_spec *const *s, size_t n, bool dry_run,
		     struct apply_result *r, struct notes *notes);
int chain__apply(const struct chain_spec *s, bool dry_run, struct apply_result *r,
		 struct notes *notes);

/* ---- leftover.c ------------------------------------------------------- */

/* Adds what interrupted runs left for @c's interface to c->leftovers. */
void leftover__scan(struct chain *c);
/* chain__read() and leftover__scan(): for status, metrics, a change's begin, cleanup. */
int chain__read_leftovers(const char *ifname, struct chain *c);
/* Removes one leftover (not a stale tap: that is a chain change). */
int leftover__remove(const struct leftover *l);
/*
 * Removes the leftovers of every interface, those of interfaces that are
 * gone included; calls @on_removed for each. Returns how many, or -errno.
 */
int leftover__clean_all(void (*on_removed)(const struct leftover *l, void *ctx), void *ctx);

#endif
