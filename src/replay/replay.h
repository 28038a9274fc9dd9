/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Replay: packets through fresh copies of a chain's members, one member
 * after the other with BPF_PROG_TEST_RUN, as the dispatcher runs them
 * (libxdp's order: priority, then name; a member's proceed-on actions go
 * on to the next, any other action is the packet's fate; after the last
 * member the packet passes). Each member sees the packet as the one before
 * left it (bytes, length, the XDP metadata area) and the same ingress
 * ifindex and rx queue. Nothing live is touched: the copies have maps of
 * their own (no pinned map is reused) and their own empty xdpcap hooks, so
 * a member that exits through its hook returns its action, once.
 *
 *   replay_rules.c  pure: order, the dispatcher's step (unit-tested)
 *   replay.c        loading the copies (objects, sha256, XDP_RUN_CONFIG)
 *   replay_live.c   a live chain's members, their maps filled from the live ones
 *   replay_run.c    one packet through the copies
 *   replay_disp.c   or through a real dispatcher (--dispatcher; freplace)
 *
 * No printing: failures return -errno with the reason in err_last().
 */
#ifndef __XDPCHAIN_REPLAY_H
#define __XDPCHAIN_REPLAY_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "chain.h"
#include "xdp_action.h"

/* room for any frame BPF_PROG_TEST_RUN takes (a page, frags aside) and growth */
#define REPLAY_PKT_MAX 65536
#define REPLAY_META_MAX 32 /* the kernel's bound on the XDP metadata area */
/* the fate's member index when every member went on: the chain's end */
#define REPLAY_END ((int)CHAIN_MAX_PROGS)
/* other programs of a member's object a replay loads as tail-call targets */
#define REPLAY_SIBLINGS 8

struct replay_member {
	char name[PROG_NAME_MAX];
	char object[PATH_MAX];
	__u32 prio;
	__u32 actions; /* proceed-on, bit (1 << XDP_x) */
	bool changed; /* the object's sha256 is not the recorded one (--force) */
	__u8 sha256[32]; /* of the bytes loaded */
	int prog_fd;
	struct bpf_object *obj;
	struct bpf_object *sib[REPLAY_SIBLINGS]; /* tail-call targets, sharing obj's maps */
	size_t n_sib;
	__u32 maps_filled; /* maps filled from the live member's (replay__load_live()) */
	__u32 tail_slots; /* prog array slots pointed at copies */
	__u64 pkts[XDP_ACTION_COUNT]; /* what it returned, per action */
};

struct replay {
	char ifname[IF_NAMESIZE];
	__u32 ifindex; /* in the test run's context; 0 when not on this machine */
	__u32 rx_queue;
	size_t n;
	struct replay_member m[CHAIN_MAX_PROGS]; /* in run order */
	__u64 packets;
	__u64 passed_end; /* packets every member let go on */
	size_t n_changed; /* members whose object changed (loaded under --force) */
	bool live; /* maps filled from the live chain's */
	__u64 entries_copied;
	struct replay_disp *disp; /* set: packets go through a real dispatcher */
};

/* One packet's way: the bytes after each member that let it go on, and its fate. */
struct replay_stage {
	int member; /* index into replay.m */
	__u32 len;
	unsigned char *data;
};

struct replay_pkt {
	size_t n_stages;
	struct replay_stage stages[CHAIN_MAX_PROGS];
	__u32 action; /* the fate */
	int member; /* who decided it; REPLAY_END: after the chain */
	__u32 len; /* the bytes at the fate */
	const unsigned char *data;
	unsigned char buf[CHAIN_MAX_PROGS + 1][REPLAY_PKT_MAX + REPLAY_META_MAX];
};

/* ---- replay_rules.c: pure ----------------------------------------------- */

/* libxdp's run order: priority, then name. */
void replay__sort(struct replay_member *m, size_t n);
/* Whether the dispatcher goes on after a member returned @ret. */
bool replay__proceeds(__u32 actions, __u32 ret);
/* The counter an action return lands in (an unknown one: aborted, as the kernel). */
unsigned int replay__action_slot(__u32 ret);
/* Whether @hex (as a chain file has it) names @sha. NULL/"" names any. */
bool replay__sha_matches(const char *hex, const __u8 *sha);

/* ---- replay.c ----------------------------------------------------------- */

/*
 * Loads fresh copies of @s's members into @r (zeroed here): each object
 * read once, its sha256 against @s's; a changed object is refused unless
 * @force (then r->m[i].changed). @ifname names the interface for the
 * context (its ifindex when it exists here). 0 or -errno.
 */
int replay__load_spec(struct replay *r, const struct chain_spec *s, bool force);
void replay__free(struct replay *r);
/*
 * The program of @m's object whose name the kernel gives as @name (its
 * first 15 characters) loaded beside @m's copy, sharing its maps: the copy
 * of a tail-call target. Its fd, or -errno (-ENOENT: no such program).
 */
int replay__load_sibling(struct replay_member *m, const char *name);

/* ---- replay_live.c ------------------------------------------------------ */

/*
 * As replay__load_spec() for @ifname's live chain: the members' recorded
 * objects (sha256 as recorded at add/apply), priorities and proceed-on as
 * they run, and every hash, array, LRU, LPM trie and per-CPU map filled
 * with the live member's same-named map's entries (only read). A prog
 * array's slots point at copies: of the chain's member the live slot holds,
 * else of the program of that name in the member's object; a slot holding
 * any other program refuses the replay (it cannot run a copy of it, and
 * runs nothing live). 0 or -errno.
 */
int replay__load_live(struct replay *r, const char *ifname, bool force);
/*
 * For a chain file's members: fills each member's maps from the same-named
 * member of r->ifname's live chain, where it runs here and a map's name,
 * type and sizes match (m->maps_filled); nothing when there is no such
 * chain. 0 or -errno.
 */
int replay__fill_from_live(struct replay *r);

/* ---- replay_run.c ------------------------------------------------------- */

/*
 * Runs one packet of @len bytes through @r's members into @p, counting it.
 * 0 or -errno: -EMSGSIZE for a packet over REPLAY_PKT_MAX, else the
 * kernel refused member p->member's run (a packet too big for it).
 */
int replay__packet(struct replay *r, const void *data, __u32 len, struct replay_pkt *p);

/* ---- replay_disp.c ------------------------------------------------------ */

/*
 * From now on @r's packets go through a real xdpchain dispatcher, loaded
 * here on no interface, one BPF_PROG_TEST_RUN of it per packet: its config
 * is @r's (members, proceed-on actions, priorities), the members are the
 * objects @r loaded, again, as freplace programs in its slots, sharing the
 * maps of @r's copies, and freplace programs on its stage stubs hand each
 * stage to the replay. -EOPNOTSUPP, naming `xdpchain features`, where the
 * kernel refuses freplace. 0 or -errno.
 */
int replay__use_dispatcher(struct replay *r);
/* replay__packet()'s way through the dispatcher (called by it). */
int replay__disp_packet(struct replay *r, const void *data, __u32 len, struct replay_pkt *p);
/* Unloads the dispatcher and its programs (replay__free() calls it). */
void replay__disp_free(struct replay *r);

#endif
