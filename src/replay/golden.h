/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * replay --expect: the fates of an earlier replay's or capture's file, to
 * compare a replay with, packet by packet; show: every block of such a
 * file, stages too (golden__read_all()). The file is pcapng as pcapout
 * writes it (libpcap reads neither interface names nor packet options):
 * with interfaces named IFACE:exit (--all-stages, a replay) the packets on
 * them are the fates, else every packet is one. The k-th fate in the file
 * is packet k of the replay: a replay writes them in file order, and so
 * does a capture of frames that came one after the other.
 *
 * Pure: parses a buffer and formats lines, no kernel (unit-tested).
 */
#ifndef __XDPCHAIN_GOLDEN_H
#define __XDPCHAIN_GOLDEN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "replay.h"

/* far above a golden file in a repository */
#define GOLDEN_MAX (1UL << 30)

struct golden_fate {
	__u32 action; /* XDP action; XDP_ACTION_COUNT: the file did not say */
	char stage[PROG_NAME_MAX]; /* the member that decided; "": after the chain */
	__u32 caplen, len;
	const unsigned char *data; /* into golden.buf */
};

/* What an interface of a stages file is, by its name. */
enum golden_if_kind {
	GOLDEN_IF_OTHER, /* a plain capture's */
	GOLDEN_IF_ENTRY, /* IFACE:entry */
	GOLDEN_IF_AFTER, /* IFACE:after NAME */
	GOLDEN_IF_EXIT, /* IFACE:exit: the fates */
};

struct golden_if {
	enum golden_if_kind kind;
	char stage[PROG_NAME_MAX]; /* GOLDEN_IF_AFTER: NAME */
};

/* Every packet block of a file, as golden__read_all() keeps them (for show). */
struct golden_rec {
	__u32 ifid; /* into golden.ifs */
	__u64 pkt_id; /* epb_packetid: the same at every stage of a packet; 0: none */
	struct golden_fate f; /* action: XDP_ACTION_COUNT on the way (no verdict) */
};

struct golden {
	unsigned char *buf;
	size_t size;
	struct golden_fate *fates;
	size_t n, cap;
	/* golden__read_all() only: */
	bool all;
	bool stages; /* some interface is an IFACE:exit */
	struct golden_rec *recs;
	size_t n_recs, cap_recs;
	struct golden_if *ifs;
	size_t n_ifs;
};

/*
 * Parses @size bytes at @buf (kept: the fates point into it) into @g
 * (zeroed here). 0, or -EINVAL with what is wrong in @why.
 */
int golden__parse(struct golden *g, unsigned char *buf, size_t size, char *why, size_t why_size);
/* Reads @path (at most GOLDEN_MAX bytes) and parses it; 0 or -errno with err_set(). */
int golden__read(struct golden *g, const char *path);
/*
 * As golden__read(), and also keeps every packet block in file order
 * (g->recs) and what each interface is (g->ifs): a stage on the way, an
 * entry or a fate.
 */
int golden__read_all(struct golden *g, const char *path);
/* golden__parse() keeping every block, as golden__read_all(). */
int golden__parse_all(struct golden *g, unsigned char *buf, size_t size, char *why,
		      size_t why_size);
void golden__free(struct golden *g);

/*
 * Compares packet @k (from 1; @entry its bytes as read) of @r with the
 * golden fate @k: true when they differ, with one line in @line, e.g.
 * "packet 4 (udp 10.11.0.2.40000 > 10.11.0.1.7003): was drop by fw, now pass after the chain".
 */
bool golden__differs(const struct golden *g, size_t k, const struct replay *r,
		     const struct replay_pkt *p, const unsigned char *entry, __u32 entry_len,
		     __u32 cut, char *line, size_t size);

/* Packet @p's fate in @r as a golden fate (its data points into @p); @cut: bytes not kept. */
void golden__fate_of(const struct replay *r, const struct replay_pkt *p, __u32 cut,
		     struct golden_fate *f);
/*
 * The one comparison of two fates of packet @k (@desc names it): true when
 * verdict, deciding member or bytes differ, with the line --expect prints.
 */
bool golden__fate_differs(size_t k, const char *desc, const struct golden_fate *was,
			  const struct golden_fate *now, char *line, size_t size);

/* "udp 10.11.0.2.40000 > 10.11.0.1.7003", as tcpdump names a packet, in @buf. */
const char *golden__describe(const unsigned char *pkt, __u32 len, char *buf, size_t size);

#endif
