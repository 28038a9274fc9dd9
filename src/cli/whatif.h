/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * apply --dry-run --replay IN: the packets of IN through an interface's
 * chain as it runs and through the chain a chain file plans for it, both
 * replayed (replay.h) side by side, each packet's two fates compared as
 * replay --expect compares them (golden__fate_differs()). Nothing live
 * moves: both chains are fresh copies.
 */
#ifndef __XDPCHAIN_WHATIF_H
#define __XDPCHAIN_WHATIF_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "golden.h"
#include "pcaplib.h"
#include "replay.h"

#define EXPECT_LINES 20 /* differing packets named, then a count */
#define EXPECT_LINE_MAX 320

/* A packet whose fate or bytes would change; the fates keep no data. */
struct whatif_change {
	__u64 packet;
	struct golden_fate before, after;
};

struct whatif {
	__u64 packets;
	__u64 cut; /* packets a snaplen cut short: replayed as captured */
	bool running; /* the interface runs a chain now (else: every packet passes) */
	struct whatif_change *ch;
	size_t n_ch, cap;
	char lines[EXPECT_LINES][EXPECT_LINE_MAX]; /* the first changes, as --expect words them */
};

/*
 * Every packet of @in through @s->ifname's chain as it runs and through
 * the chain @s plans (objects as apply would take them: changed ones only
 * under !s->strict), into @w (zeroed here). 0 or -errno with err_set().
 */
int whatif__run(struct whatif *w, const char *in, const struct chain_spec *s);
void whatif__free(struct whatif *w);

/* ---- cmd_replay.c: shared by replay and apply --replay -------------------- */

/*
 * Opens @path, a pcap or pcapng file of Ethernet frames: a regular file, or
 * with @pipe_ok a pipe or "-" (stdin); 0 or -errno with err_set().
 */
int replay_open_in(const char *path, bool pipe_ok, pcap_t **pc);
/* The one-line error for packet @id of @in that @r refused (replay__packet()). */
int replay_packet_failed(int err, const char *in, __u64 id, __u32 caplen, const struct replay *r,
			 const struct replay_pkt *p);
/* The one-line error for a capture file that ends in a damaged packet @id. */
int replay_read_failed(pcap_t *pc, const char *in, __u64 id);

#endif
