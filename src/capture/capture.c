// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "capture.h"
#include "../../dispatcher/redirect.h"
#include "filter.h"
#include "insn.h"
#include "lock.h"
#include "log.h"
#include "prog.h"
#include "stats.h"
#include "stage.skel.h"

/*
 * Stack layout of the generated program; the filter owns fp-64..fp-1.
 * What must outlive a helper call is kept here, not in callee-saved
 * registers: the JIT would save and restore each on every run, for the
 * packets the filter refuses too. The record itself is made in the
 * capture's scratch map (the ring helpers may not read packet memory).
 */
#define CAPLEN_OFF (-72) /* bytes to copy, 64 bits: the verifier keeps its bounds */
#define LEN_OFF (-80) /* the frame's length */
#define SCR_OFF (-88) /* this CPU's scratch record */
#define RING_OFF (-96) /* this CPU's ring */
#define KEY_OFF (-112) /* map key */
#define CNT_OFF (-120) /* this CPU's counters (struct xdpchain_stats *) */
#define CTX_OFF (-128) /* the program's context */

_Static_assert(sizeof(struct capture_meta) == 40, "struct capture_meta is 40 bytes");
/* the stage that decided is copied with one 64-bit load and store */
_Static_assert(offsetof(struct xdpchain_stats, fate_slot) % 8 == 0 &&
		       offsetof(struct xdpchain_stats, fate_prog) ==
			       offsetof(struct xdpchain_stats, fate_slot) + 4 &&
		       offsetof(struct capture_meta, stage_slot) == 24 &&
		       offsetof(struct capture_meta, stage_prog) == 28,
	       "fate_slot and fate_prog lie as capture_meta's stage_slot and stage_prog");

#define CAP_OFF(k) (offsetof(struct xdpchain_stats, cap) + (k) * sizeof(__u64))
#define META(field) offsetof(struct capture_meta, field)

/* counters->cap[k]++, the pointer kept at CNT_OFF; clobbers r1 and r2. */
static void emit_count(struct insn_buf *b, int k)
{
	EMIT(b, LDX_MEM(BPF_DW, BPF_REG_2, BPF_REG_10, CNT_OFF),
	     LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_2, CAP_OFF(k)), ALU64_IMM(BPF_ADD, BPF_REG_1, 1),
	     STX_MEM(BPF_DW, BPF_REG_2, BPF_REG_1, CAP_OFF(k)));
}

_Static_assert(CAP_NR_COUNTERS == sizeof(((struct xdpchain_stats *)0)->cap) / sizeof(__u64),
	       "a capture counter per enum capture_counter");

/*
 * @dst = the frame's length, all fragments: with @frags a helper call
 * (r0-r5 taken; ctx from the stack), else data_end - data from the
 * filter's registers.
 */
static void emit_len(struct insn_buf *b, __u8 dst, bool frags)
{
	if (frags)
		EMIT(b, LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_10, CTX_OFF),
		     CALL(BPF_FUNC_xdp_get_buff_len), MOV64_REG(dst, BPF_REG_0));
	else
		EMIT(b, MOV64_REG(dst, FILTER_REG_DATA_END),
		     ALU64_REG(BPF_SUB, dst, FILTER_REG_DATA));
}

/* The packet's bounds in the filter's registers, from the ctx in r1. */
static void emit_data(struct insn_buf *b)
{
	EMIT(b, LDX_MEM(BPF_W, FILTER_REG_DATA, BPF_REG_1, offsetof(struct xdp_md, data)),
	     LDX_MEM(BPF_W, FILTER_REG_DATA_END, BPF_REG_1, offsetof(struct xdp_md, data_end)));
}

/*
 * Points the jumps among @b's @n instructions from @from that land on @old
 * at @target instead (where the offset fits), all but the first: the
 * verifier refuses code no jump reaches.
 */
static void retarget(struct insn_buf *b, size_t from, size_t n, size_t old, size_t target)
{
	bool first = true;

	for (size_t at = from; !b->oom && at < from + n; at++) {
		const struct bpf_insn *in = &b->v[at];
		__u8 cls = BPF_CLASS(in->code), op = BPF_OP(in->code);

		if ((cls != BPF_JMP && cls != BPF_JMP32) || op == BPF_CALL || op == BPF_EXIT ||
		    (long)at + 1 + in->off != (long)old)
			continue;
		if (!first && target - at - 1 <= INT16_MAX)
			insn_buf__patch(b, at, target);
		first = false;
	}
}

/* What the steps of gen_prog() share: where they emit, and the labels they jump to. */
struct gen {
	struct insn_buf *b;
	const struct capture *c;
	__u32 snaplen;
	int out; /* return at once: the filter refused, or no map entry */
	int lost; /* output_err++, then out */
};

/*
 * The packet's bounds (and, for a filter reading it, the frame's length)
 * in the filter's registers; the filter; no match: to out. Returns where
 * the filter's instructions begin.
 */
static size_t emit_filter(struct gen *g, const struct filter *f, bool uses_len, bool frags)
{
	struct insn_buf *b = g->b;
	size_t frag;

	/* a filter that reads no length keeps r1: the ctx is stored once matched */
	if (uses_len)
		EMIT(b, STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_1, CTX_OFF));
	if (uses_len && frags) /* the helper call first: it takes r1-r5 */
		EMIT(b, CALL(BPF_FUNC_xdp_get_buff_len), MOV64_REG(FILTER_REG_LEN, BPF_REG_0),
		     LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_10, CTX_OFF));
	emit_data(b);
	if (uses_len && !frags)
		emit_len(b, FILTER_REG_LEN, false);
	frag = b->n;
	if (f && f->n) {
		for (size_t i = 0; i < f->n; i++)
			insn_buf__emit(b, f->insns[i]);
	} else {
		EMIT(b, MOV64_IMM(BPF_REG_0, g->snaplen));
	}
	insn_buf__jmp(b, JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 0), g->out);
	if (!uses_len)
		EMIT(b, STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_1, CTX_OFF));
	return frag;
}

/* Matched: caplen = min(snap, snaplen, len), and this CPU's counters. */
static void emit_caplen(struct gen *g, bool uses_len, bool frags)
{
	struct insn_buf *b = g->b;

	/* r2 = the frame's length; r0 = the snap length */
	if (uses_len) {
		EMIT(b, MOV64_REG(BPF_REG_2, FILTER_REG_LEN));
	} else if (frags) {
		EMIT(b, STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_0, CAPLEN_OFF));
		emit_len(b, BPF_REG_2, true);
		EMIT(b, LDX_MEM(BPF_DW, BPF_REG_0, BPF_REG_10, CAPLEN_OFF));
	} else {
		emit_len(b, BPF_REG_2, false);
	}
	EMIT(b, JMP_IMM(BPF_JLE, BPF_REG_0, g->snaplen, 1), MOV64_IMM(BPF_REG_0, g->snaplen),
	     JMP_REG(BPF_JLE, BPF_REG_0, BPF_REG_2, 1), MOV64_REG(BPF_REG_0, BPF_REG_2),
	     STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_0, CAPLEN_OFF),
	     STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_2, LEN_OFF),
	     /* this CPU's counters */
	     ST_MEM(BPF_W, BPF_REG_10, KEY_OFF, 0), LD_MAP_FD(BPF_REG_1, g->c->counters_fd),
	     MOV64_REG(BPF_REG_2, BPF_REG_10), ALU64_IMM(BPF_ADD, BPF_REG_2, KEY_OFF),
	     CALL(BPF_FUNC_map_lookup_elem));
	insn_buf__jmp(b, JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 0), g->out);
	EMIT(b, STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_0, CNT_OFF));
}

/* This CPU's scratch record, and the record's metadata but the time. */
static void emit_meta(struct gen *g, __u32 action)
{
	struct insn_buf *b = g->b;

	EMIT(b, CALL(BPF_FUNC_get_smp_processor_id), STX_MEM(BPF_W, BPF_REG_10, BPF_REG_0, KEY_OFF),
	     LD_MAP_FD(BPF_REG_1, g->c->scratch_fd), MOV64_REG(BPF_REG_2, BPF_REG_10),
	     ALU64_IMM(BPF_ADD, BPF_REG_2, KEY_OFF), CALL(BPF_FUNC_map_lookup_elem));
	insn_buf__jmp(b, JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 0), g->out);
	EMIT(b, STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_0, SCR_OFF),
	     ST_MEM(BPF_W, BPF_REG_0, META(action), action),
	     LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_10, LEN_OFF),
	     STX_MEM(BPF_W, BPF_REG_0, BPF_REG_1, META(len)),
	     LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_10, CAPLEN_OFF),
	     STX_MEM(BPF_W, BPF_REG_0, BPF_REG_1, META(caplen)),
	     LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_10, CTX_OFF),
	     LDX_MEM(BPF_W, BPF_REG_1, BPF_REG_1, offsetof(struct xdp_md, ingress_ifindex)),
	     STX_MEM(BPF_W, BPF_REG_0, BPF_REG_1, META(ifindex)));
	if (g->c->stats_fd >= 0)
		/* the stage that decided and the packet's id, one 64-bit load each */
		EMIT(b, LDX_MEM(BPF_DW, BPF_REG_2, BPF_REG_10, CNT_OFF),
		     LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_2,
			     offsetof(struct xdpchain_stats, fate_slot)),
		     STX_MEM(BPF_DW, BPF_REG_0, BPF_REG_1, META(stage_slot)),
		     LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_2, offsetof(struct xdpchain_stats, pkt_id)),
		     STX_MEM(BPF_DW, BPF_REG_0, BPF_REG_1, META(pkt_id)));
	else
		EMIT(b, ST_MEM(BPF_W, BPF_REG_0, META(stage_slot), STAGE_UNKNOWN),
		     ST_MEM(BPF_W, BPF_REG_0, META(stage_prog), 0),
		     ST_MEM(BPF_DW, BPF_REG_0, META(pkt_id), 0));
}

/* This CPU's ring; the packet's bytes into the record, then its time. */
static void emit_copy(struct gen *g)
{
	struct insn_buf *b = g->b;

	EMIT(b, LD_MAP_FD(BPF_REG_1, g->c->rings_fd), MOV64_REG(BPF_REG_2, BPF_REG_10),
	     ALU64_IMM(BPF_ADD, BPF_REG_2, KEY_OFF), CALL(BPF_FUNC_map_lookup_elem));
	insn_buf__jmp(b, JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 0), g->lost);
	EMIT(b, STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_0, RING_OFF),
	     /*
	      * caplen in 1..snaplen in the very register (the verifier learns
	      * no bound from the min() above)
	      */
	     LDX_MEM(BPF_DW, BPF_REG_4, BPF_REG_10, CAPLEN_OFF), ALU64_IMM(BPF_SUB, BPF_REG_4, 1));
	/* caplen 0: no frame is that short */
	insn_buf__jmp(b, JMP_IMM(BPF_JGT, BPF_REG_4, g->snaplen - 1, 0), g->lost);
	EMIT(b, ALU64_IMM(BPF_ADD, BPF_REG_4, 1),
	     STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_4, CAPLEN_OFF),
	     LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_10, CTX_OFF), MOV64_IMM(BPF_REG_2, 0),
	     LDX_MEM(BPF_DW, BPF_REG_3, BPF_REG_10, SCR_OFF),
	     ALU64_IMM(BPF_ADD, BPF_REG_3, sizeof(struct capture_meta)),
	     CALL(BPF_FUNC_xdp_load_bytes));
	insn_buf__jmp(b, JMP_IMM(BPF_JNE, BPF_REG_0, 0, 0), g->lost);
	EMIT(b, CALL(BPF_FUNC_ktime_get_ns), LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_10, SCR_OFF),
	     STX_MEM(BPF_DW, BPF_REG_1, BPF_REG_0, META(ts_ns)));
}

/*
 * bpf_ringbuf_output() of the record, waking the reader only when this
 * record takes the ring past the mark; matched++, or output_err++ (lost).
 */
static void emit_output(struct gen *g)
{
	struct insn_buf *b = g->b;
	int quiet = insn_buf__label(b);

	EMIT(b, LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_10, RING_OFF),
	     MOV64_IMM(BPF_REG_2, BPF_RB_AVAIL_DATA), CALL(BPF_FUNC_ringbuf_query),
	     MOV64_IMM(BPF_REG_4, BPF_RB_NO_WAKEUP));
	insn_buf__jmp(b, JMP_IMM(BPF_JGE, BPF_REG_0, g->c->wakeup_bytes, 0), quiet);
	EMIT(b, LDX_MEM(BPF_DW, BPF_REG_3, BPF_REG_10, CAPLEN_OFF),
	     ALU64_REG(BPF_ADD, BPF_REG_0, BPF_REG_3),
	     ALU64_IMM(BPF_ADD, BPF_REG_0, sizeof(struct capture_meta) + BPF_RINGBUF_HDR_SZ));
	insn_buf__jmp(b, JMP_IMM(BPF_JLT, BPF_REG_0, g->c->wakeup_bytes, 0), quiet);
	EMIT(b, MOV64_IMM(BPF_REG_4, BPF_RB_FORCE_WAKEUP));
	insn_buf__bind(b, quiet);
	EMIT(b, LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_10, RING_OFF),
	     LDX_MEM(BPF_DW, BPF_REG_2, BPF_REG_10, SCR_OFF),
	     LDX_MEM(BPF_DW, BPF_REG_3, BPF_REG_10, CAPLEN_OFF),
	     ALU64_IMM(BPF_ADD, BPF_REG_3, sizeof(struct capture_meta)),
	     CALL(BPF_FUNC_ringbuf_output));
	insn_buf__jmp(b, JMP_IMM(BPF_JNE, BPF_REG_0, 0, 0), g->lost);
	emit_count(b, CAP_MATCHED);
	insn_buf__jmp(b, JMP_A(0), g->out);
	insn_buf__bind(b, g->lost);
	emit_count(b, CAP_OUTPUT_ERR);
}

/*
 * The capture program for one hook slot:
 *   the packet's bounds (and, for a filter reading it, the frame's length)
 *   in the filter's registers; <filter> -> r0 = snap (a filter that reads
 *   the length has X in r1: the ctx goes to the stack first; else once
 *   matched)
 *   no match (the filter's refusals jump straight there): return at once,
 *   nothing else runs for a packet the filter refuses
 *   caplen = min(snap, snaplen, len); one lookup of this CPU's counters
 *   (the chain's stats map, or the capture's own of the same layout), then
 *   by CPU number (array lookups, inlined) its scratch record and its ring
 *   the record's metadata: with a chain's counters the stage that decided
 *   (the observer or the final stage noted it right before the hook, a
 *   stage program before its tail call) and the packet's id
 *   bpf_xdp_load_bytes(caplen bytes, fragments too) into the record, then
 *   bpf_ringbuf_output() of it, waking the reader only when the ring's
 *   fill crosses the watermark (bpf_ringbuf_query() first); matched++ or
 *   output_err++
 *   return @ret: a hook slot's action, as the program that tail-called would
 *   have; for a stage, what its stub returns (see dispatcher/stage.bpf.c)
 * No callee-saved register is used (see CTX_OFF). Packets the filter
 * refused are not counted here: what reached the hook is what the chain's
 * counters say its members and final stage handed it (capture__stats()).
 */
static int gen_prog(struct insn_buf *b, const struct capture *c, const struct filter *f,
		    __u32 action, __u32 ret, bool frags)
{
	bool uses_len = f && f->n && f->uses_len;
	struct gen g = { .b = b, .c = c, .snaplen = c->max_caplen };
	size_t frag;

	g.out = insn_buf__label(b);
	g.lost = insn_buf__label(b);
	frag = emit_filter(&g, f, uses_len, frags);
	emit_caplen(&g, uses_len, frags);
	emit_meta(&g, action);
	emit_copy(&g);
	emit_output(&g);
	insn_buf__bind(b, g.out);
	if (f && f->n && f->nomatch >= 0)
		retarget(b, frag, f->n, frag + f->nomatch, b->n);
	EMIT(b, MOV64_IMM(BPF_REG_0, ret), EXIT_INSN());
	return insn_buf__resolve(b);
}

/* The hook's lock is ours: a killed capture's programs out, our pid in. */
static void take_over_hook(struct capture *c)
{
	int n = hook__clear_recorded(c->hook_fd, c->lock_fd);

	lock__hook_record_self(c->lock_fd, c->hook_id);
	if (n > 0)
		notes_add(&c->notes, LOG_INFO,
			  "removed %d capture program%s a killed capture left in the hook", n,
			  n == 1 ? "" : "s");
}

const struct capture_meta *capture__parse_record(const void *rec, __u32 len, const void **pkt)
{
	const struct capture_meta *m = rec;

	if (len < sizeof(*m) || m->caplen > len - sizeof(*m) || m->caplen > m->len)
		return NULL;
	*pkt = m + 1;
	return m;
}

/*
 * Each CPU's ring holds its packets in time order; the file gets them
 * merged by time, read in place: a round writes, oldest first, what no
 * ring can still precede: packets older than the time the round began,
 * less a margin for a packet whose time was taken but whose record was
 * not yet in its ring: in NAPI that is well under a microsecond; a program
 * run by BPF_PROG_TEST_RUN (process context) can be preempted in between.
 * 2 ms showed no packet out of order in make bench's floods from both
 * CPUs. The rest stays in its ring for the next round (which then comes
 * as soon as the oldest of it may go, not at the next wakeup); a drain
 * writes everything.
 */
#define MERGE_MARGIN_NS 250000ULL

/* The kernel is told what was read every this many records, and at the end of a round. */
#define RELEASE_EVERY 64

/*
 * The kernel's ring layout (linux/bpf.h): each record an 8-byte header
 * (length, busy and discard bits), its data, padded to 8 bytes; the data
 * pages mapped twice in a row, so a record that wraps reads as one.
 * libbpf's ring_buffer reads records only in the order of one ring; the
 * merge needs the head of every ring, so the rings are read here.
 */
static __u64 ring_producer(const struct capture_ring *r)
{
	return __atomic_load_n((__u64 *)r->prod_pages, __ATOMIC_ACQUIRE);
}

static void ring_release(struct capture_ring *r)
{
	if (r->released == r->pos)
		return;
	__atomic_store_n((__u64 *)r->cons_page, r->pos, __ATOMIC_RELEASE);
	r->released = r->pos;
}

/*
 * The oldest record of @r not yet read, or NULL: none, or the next one is
 * still being written. Discarded and malformed records are passed over.
 * The producer's position is read again only when the records it showed
 * are used up: the sending CPU writes it for every record.
 */
static const struct capture_meta *ring_head(struct capture *c, struct capture_ring *r,
					    const void **pkt, __u32 *size)
{
	for (;;) {
		const __u32 *hdr = (const __u32 *)(r->data + (r->pos & (r->size - 1)));
		const struct capture_meta *m;
		__u32 h, len;

		if (r->pos >= r->prod) {
			r->prod = ring_producer(r);
			if (r->pos >= r->prod)
				return NULL;
		}
		h = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
		if (h & BPF_RINGBUF_BUSY_BIT)
			return NULL;
		len = h & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
		*size = (BPF_RINGBUF_HDR_SZ + len + 7) & ~7U;
		if (len > r->size || *size > r->prod - r->pos) {
			/* not a record the kernel wrote: the rest of the ring is lost */
			c->malformed++;
			r->pos = r->prod;
			return NULL;
		}
		if (!(h & BPF_RINGBUF_DISCARD_BIT)) {
			m = capture__parse_record(hdr + BPF_RINGBUF_HDR_SZ / sizeof(*hdr), len,
						  pkt);
			if (m && !capnote__is_note(m))
				return m;
			if (!m)
				c->malformed++;
		}
		r->pos += *size;
	}
}

/*
 * The note right after the redirected packet at the head of @r (@size
 * bytes), or NULL; *@skip: the bytes it takes. The tracepoint writes it
 * microseconds after the packet, well inside the merge's margin.
 */
static const struct redirect_note *ring_note(struct capture_ring *r, __u32 size, __u32 *skip)
{
	__u64 pos = r->pos + size;
	const __u32 *hdr = (const __u32 *)(r->data + (pos & (r->size - 1)));
	const struct capture_meta *m;
	const void *pkt;
	__u32 h, len;

	*skip = 0;
	if (pos >= r->prod)
		r->prod = ring_producer(r);
	if (pos >= r->prod)
		return NULL;
	h = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
	len = h & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
	if (h & (BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT) || len > r->size ||
	    ((BPF_RINGBUF_HDR_SZ + len + 7) & ~7U) > r->prod - pos)
		return NULL;
	m = capture__parse_record(hdr + BPF_RINGBUF_HDR_SZ / sizeof(*hdr), len, &pkt);
	if (!m || !capnote__is_note(m))
		return NULL;
	*skip = (BPF_RINGBUF_HDR_SZ + len + 7) & ~7U;
	return (const struct redirect_note *)m;
}

/* Hands the packet at @h's head to on_packet, with its note if it has one. */
static void deliver(struct capture *c, struct capture_head *h)
{
	struct capture_ring *r = &c->ring[h->ring];
	__u32 skip = 0;

	c->note = NULL;
	if (c->note_skel && h->m->action == XDP_REDIRECT)
		c->note = ring_note(r, h->size, &skip);
	c->on_packet(c->ctx, h->m, h->pkt);
	c->note = NULL;
	r->pos += h->size + skip;
}

/*
 * Writes the rings' packets up to @horizon (ns, CLOCK_MONOTONIC), oldest
 * first; notes whether any were left (c->held).
 */
static void merge_out(struct capture *c, __u64 horizon)
{
	struct capture_head *h = c->head, *best;
	int nh = 0;

	c->held = false;
	/* the rings with packets */
	for (int i = 0; i < c->nring; i++) {
		struct capture_head *e = &h[nh];

		e->m = ring_head(c, &c->ring[i], &e->pkt, &e->size);
		if (!e->m)
			continue;
		e->ring = i;
		e->since_release = 0;
		nh++;
	}
	while (nh) {
		struct capture_ring *r;

		best = &h[0];
		for (int j = 1; j < nh; j++)
			if (h[j].m->ts_ns < best->m->ts_ns)
				best = &h[j];
		if (best->m->ts_ns > horizon) {
			c->held = true;
			c->held_until = best->m->ts_ns + MERGE_MARGIN_NS;
			break;
		}
		deliver(c, best);
		r = &c->ring[best->ring];
		if (++best->since_release == RELEASE_EVERY) {
			ring_release(r);
			best->since_release = 0;
		}
		best->m = ring_head(c, r, &best->pkt, &best->size);
		if (!best->m) {
			ring_release(r);
			*best = h[--nh];
		}
	}
	for (int j = 0; j < nh; j++)
		ring_release(&c->ring[h[j].ring]);
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

unsigned int capture__default_pages(void)
{
	long page = sysconf(_SC_PAGESIZE);
	int ncpu = libbpf_num_possible_cpus();
	unsigned long per_cpu = CAPTURE_BUFFER_PER_CPU, pages;

	if (ncpu > 0 && per_cpu * ncpu > CAPTURE_BUFFER_TOTAL)
		per_cpu = CAPTURE_BUFFER_TOTAL / ncpu;
	pages = per_cpu / (page > 0 ? page : 4096);
	if (pages < CAPTURE_BUFFER_MIN_PAGES)
		return CAPTURE_BUFFER_MIN_PAGES;
	/* a power of two, as the ring buffer wants */
	while (pages & (pages - 1))
		pages &= pages - 1;
	return pages;
}

unsigned int capture__max_pages(int *ncpu)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long pages;

	*ncpu = libbpf_num_possible_cpus();
	if (*ncpu <= 0)
		return 0;
	pages = CAPTURE_BUFFER_MAX_TOTAL / *ncpu / (page > 0 ? page : 4096);
	while (pages & (pages - 1))
		pages &= pages - 1;
	return pages < CAPTURE_BUFFER_MIN_PAGES ? CAPTURE_BUFFER_MIN_PAGES : pages;
}

/* Unmaps and closes the rings. */
static void rings_free(struct capture *c)
{
	size_t page = sysconf(_SC_PAGESIZE);

	for (int i = 0; c->ring && i < c->nring; i++) {
		struct capture_ring *r = &c->ring[i];

		if (r->cons_page)
			munmap(r->cons_page, page);
		if (r->prod_pages)
			munmap(r->prod_pages, page + 2 * r->size);
		if (r->fd >= 0)
			close(r->fd);
	}
	free(c->ring);
	free(c->head);
	c->ring = NULL;
	c->head = NULL;
	c->nring = 0;
	if (c->rings_fd >= 0)
		close(c->rings_fd);
	if (c->epoll_fd >= 0)
		close(c->epoll_fd);
	c->rings_fd = c->epoll_fd = -1;
}

/*
 * A ring of @size bytes per possible CPU, mapped, in the array of maps the
 * programs look their CPU's up in, each watched by the epoll set.
 */
static int rings_make(struct capture *c, size_t size)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	size_t page = sysconf(_SC_PAGESIZE);
	int ncpu = libbpf_num_possible_cpus();
	int err;

	if (ncpu <= 0)
		return err_set(ncpu ? ncpu : -EINVAL, "cannot count this machine's CPUs");
	c->ring = calloc(ncpu, sizeof(*c->ring));
	c->head = calloc(ncpu, sizeof(*c->head));
	if (!c->ring || !c->head)
		return err_set(-ENOMEM, "out of memory");
	for (int i = 0; i < ncpu; i++)
		c->ring[i].fd = -1;
	c->nring = ncpu;
	c->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epoll_fd < 0)
		return err_set(-errno, "cannot create an epoll set: %s", strerror(errno));
	for (int i = 0; i < ncpu; i++) {
		struct capture_ring *r = &c->ring[i];
		/* edge-triggered: data a merge holds back must not wake the reader again */
		struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u32 = i };

		r->size = size;
		r->fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "xdpchain_capring", 0, 0, size, NULL);
		if (r->fd < 0)
			return err_set(-errno,
				       "cannot create a %zu KiB ring buffer for CPU %d: %s%s",
				       size >> 10, i, strerror(errno),
				       errno == ENOMEM || errno == EPERM ?
					       "; --buffer PAGES asks for smaller ones" :
					       "");
		r->cons_page = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
		if (r->cons_page == MAP_FAILED) {
			r->cons_page = NULL;
			return err_set(-errno, "cannot map a ring buffer: %s", strerror(errno));
		}
		r->prod_pages = mmap(NULL, page + 2 * size, PROT_READ, MAP_SHARED, r->fd, page);
		if (r->prod_pages == MAP_FAILED) {
			r->prod_pages = NULL;
			return err_set(-errno, "cannot map a ring buffer: %s", strerror(errno));
		}
		r->data = (const char *)r->prod_pages + page;
		r->pos = r->released = r->prod =
			__atomic_load_n((__u64 *)r->cons_page, __ATOMIC_ACQUIRE);
		if (epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, r->fd, &ev))
			return err_set(-errno, "cannot watch a ring buffer: %s", strerror(errno));
	}
	opts.inner_map_fd = c->ring[0].fd;
	c->rings_fd =
		bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "xdpchain_caprings", 4, 4, ncpu, &opts);
	if (c->rings_fd < 0)
		return err_set(-errno, "cannot create the capture's map of rings: %s",
			       strerror(errno));
	for (__u32 i = 0; i < (__u32)ncpu; i++) {
		if (bpf_map_update_elem(c->rings_fd, &i, &c->ring[i].fd, BPF_ANY)) {
			err = -errno;
			return err_set(err, "cannot fill the capture's map of rings: %s",
				       strerror(-err));
		}
	}
	return 0;
}

/* Loads the program for @action with one attach type / frags combination. */
static int load_prog(const struct bpf_insn *insns, size_t n, __u32 attach_type, bool frags)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach_type,
		    .prog_flags = frags ? BPF_F_XDP_HAS_FRAGS : 0);
	char *log = NULL;
	int fd;

	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, CAPTURE_PROG_NAME, "Dual BSD/GPL", insns, n, &opts);
	if (fd >= 0 || log_get_level() < LOG_LIB)
		return fd < 0 ? -errno : fd;
	/* show the verifier's reason at -vv */
	log = malloc(1 << 20);
	if (log) {
		opts.log_buf = log;
		opts.log_size = 1 << 20;
		opts.log_level = 1;
		fd = bpf_prog_load(BPF_PROG_TYPE_XDP, CAPTURE_PROG_NAME, "Dual BSD/GPL", insns, n,
				   &opts);
		log_msg(LOG_LIB, "verifier log of the capture program:\n%s\n", log);
		free(log);
	}
	return fd < 0 ? -errno : fd;
}

/*
 * The kernel takes a program into a prog array only if its attach type and
 * frags flag match the array's owner. Try what xdpcap does first (0, no
 * frags: what libxdp's dispatcher members are), then the rest.
 */
static const struct {
	__u32 attach_type;
	bool frags;
} combos[] = {
	{ 0, false },
	{ 0, true },
	{ BPF_XDP, false },
	{ BPF_XDP, true },
};

/*
 * Generates the capture program for @action (STAGE_ACTION: a stage's,
 * returning @ret) and puts it into slot @key of the prog array @map_fd.
 */
static int insert_prog(struct capture *c, const struct capture_opts *o, int map_fd, __u32 key,
		       __u32 action, __u32 ret, int *prog_fd, __u32 *prog_id)
{
	const char *what = action == STAGE_ACTION ? "stage" : action_name(action);
	int err, fd, load_err = 0, upd_err = 0;
	struct insn_buf b = {};

	for (size_t i = 0; i < sizeof(combos) / sizeof(combos[0]); i++) {
		/* a program without frags never sees a multi-buffer packet */
		insn_buf__free(&b);
		err = gen_prog(&b, c, o->filter, action, ret, combos[i].frags);
		if (err)
			goto out;
		fd = load_prog(b.v, b.n, combos[i].attach_type, combos[i].frags);
		if (fd < 0) {
			load_err = fd;
			continue;
		}
		err = hook__record_prog(c->lock_fd, prog__id(fd));
		if (err) {
			close(fd);
			goto out;
		}
		if (!bpf_map_update_elem(map_fd, &key, &fd, BPF_ANY)) {
			pr_debug(
				"capture program for %s joined the hook with expected_attach_type %s, frags %s\n",
				what, combos[i].attach_type ? "BPF_XDP" : "0",
				combos[i].frags ? "on" : "off");
			*prog_fd = fd;
			if (prog_id)
				*prog_id = prog__id(fd);
			goto out;
		}
		upd_err = -errno;
		close(fd);
		if (upd_err != -EINVAL)
			break;
	}
	if (upd_err == -EINVAL)
		err = err_set(
			upd_err,
			"the hook refuses the capture programs with every attach type and frags combination (is its owner an XDP program?); run with -vv");
	else if (upd_err)
		err = err_set(upd_err, "cannot put the capture program into the hook's %s slot: %s",
			      what, strerror(-upd_err));
	else
		err = err_set(
			load_err,
			"the kernel refused the capture program: %s; run with -vv for the verifier log",
			strerror(-load_err));
out:
	insn_buf__free(&b);
	return err;
}

static int insert_slot(struct capture *c, const struct capture_opts *o, __u32 action)
{
	return insert_prog(c, o, c->hook_fd, action, action, action, &c->prog_fd[action],
			   &c->prog_id[action]);
}

static void detach_stages(struct capture *c)
{
	for (int i = 0; i < 2; i++) {
		bpf_link__destroy(c->stage_link[i]);
		c->stage_link[i] = NULL;
	}
	stage_bpf__destroy(c->stage_skel);
	c->stage_skel = NULL;
	c->stage_disp_id = 0;
}

int capture__attach_stages(struct capture *c, int disp_fd, const __u32 *slot_prog, size_t n)
{
	struct stage_bpf *skel;
	struct bpf_link *link[2] = {};
	int err;

	skel = stage_bpf__open();
	if (!skel)
		return err_set(-errno, "cannot open the embedded stage programs: %s",
			       strerror(errno));
	skel->rodata->all_stages = c->stages == STAGES_ALL;
	for (size_t i = 0; i < n && i < 16; i++)
		skel->rodata->slot_prog[i] = slot_prog[i];
	err = bpf_map__reuse_fd(skel->maps.xdpchain_stats, c->stats_fd);
	if (!err)
		err = bpf_map__reuse_fd(skel->maps.xdpchain_stage_hook, c->stage_map_fd);
	if (!err)
		err = bpf_program__set_attach_target(skel->progs.xdpchain_entry_cap, disp_fd,
						     "xdpchain_entry");
	if (!err)
		err = bpf_program__set_attach_target(skel->progs.xdpchain_step_cap, disp_fd,
						     "xdpchain_step");
	if (!err)
		err = stage_bpf__load(skel);
	if (err) {
		err = err_set(
			err,
			"cannot load the stage capture programs: %s (a dispatcher older than this xdpchain has no stage stubs: any chain change rebuilds it)",
			strerror(-err));
		goto err;
	}
	/* the step first: from the entry's first packet on, every stage shows */
	link[1] = bpf_program__attach_freplace(skel->progs.xdpchain_step_cap, disp_fd,
					       "xdpchain_step");
	err = libbpf_get_error(link[1]);
	if (!err) {
		link[0] = bpf_program__attach_freplace(skel->progs.xdpchain_entry_cap, disp_fd,
						       "xdpchain_entry");
		err = libbpf_get_error(link[0]);
	}
	if (err) {
		if (libbpf_get_error(link[0]))
			link[0] = NULL;
		if (libbpf_get_error(link[1]))
			link[1] = NULL;
		if (err == -EBUSY)
			err = err_set(
				err, "another capture of stages runs on this chain; stop it first");
		else
			err = err_set(
				err,
				"cannot attach the stage capture programs to the dispatcher: %s",
				strerror(-err));
		goto err;
	}
	detach_stages(c);
	c->stage_skel = skel;
	c->stage_link[0] = link[0];
	c->stage_link[1] = link[1];
	c->stage_disp_id = prog__id(disp_fd);
	return 0;
err:
	bpf_link__destroy(link[0]);
	bpf_link__destroy(link[1]);
	stage_bpf__destroy(skel);
	return err;
}

static int read_counters(const struct capture *c, __u64 sum[CAP_NR_COUNTERS]);

/* Whether the chain's counters say what reached the capture (see read_counters()). */
static bool seen_known(const struct capture *c)
{
	return c->stats_fd >= 0 && c->stages == STAGES_NONE;
}

/* @c empty (nothing to close), with what it keeps of the options. */
static void capture_init(struct capture *c, const struct capture_opts *o)
{
	memset(c, 0, sizeof(*c));
	c->lock_fd = c->counters_fd = c->rings_fd = c->scratch_fd = c->epoll_fd = -1;
	c->stage_map_fd = c->stage_prog_fd = -1;
	c->stages = o->stages;
	for (int i = 0; i < HOOK_SLOTS; i++)
		c->prog_fd[i] = -1;
	c->hook_fd = o->hook_fd;
	c->stats_fd = o->stats_fd;
	c->actions = o->actions;
	c->hook_id = hook__id(o->hook_fd);
	c->on_packet = o->on_packet;
	c->ctx = o->ctx;
}

/* The hook's lock, a killed capture's programs out, and the slots we serve free. */
static int capture_take_hook(struct capture *c, const struct capture_opts *o)
{
	__u32 ids[HOOK_SLOTS];
	int holder;

	c->lock_fd = lock__hook(c->hook_id, &holder, true);
	if (c->lock_fd == -EBUSY)
		return err_set(
			-EBUSY,
			"another xdpchain capture (pid %d) is capturing from this hook (map id %u); stop it first",
			holder, c->hook_id);
	if (c->lock_fd < 0)
		return c->lock_fd; /* err_last() says why */
	take_over_hook(c);
	if (hook__slots(c->hook_fd, ids))
		return err_set(-errno, "cannot read the hook's slots: %s", strerror(errno));
	for (__u32 a = 0; a < HOOK_SLOTS; a++) {
		if ((o->actions & (1U << a)) && ids[a])
			return err_set(
				-EBUSY,
				"the hook's %s slot is taken by program id %u (another capture tool, e.g. xdpcap?); stop it or choose other --actions",
				action_name(a), ids[a]);
	}
	return 0;
}

/* The counters, the scratch records and the rings. */
static int capture_maps(struct capture *c, const struct capture_opts *o)
{
	unsigned int pages;
	size_t size;

	/* the chain's counters, or the capture's own of the same layout */
	c->counters_fd = c->stats_fd >= 0 ?
				 dup(c->stats_fd) :
				 bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "xdpchain_capcnt", 4,
						sizeof(struct xdpchain_stats), 1, NULL);
	/* the record being made, per CPU: the metadata and the packet's first bytes */
	c->max_caplen = o->snaplen < CAPTURE_MAX_CAPLEN ? o->snaplen : CAPTURE_MAX_CAPLEN;
	c->scratch_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xdpchain_capscr", 4,
				       sizeof(struct capture_meta) + ((c->max_caplen + 7) & ~7U),
				       libbpf_num_possible_cpus(), NULL);
	if (c->counters_fd < 0 || c->scratch_fd < 0)
		return err_set(-errno, "cannot create the capture maps: %s", strerror(errno));
	pages = o->buffer_pages ? o->buffer_pages : capture__default_pages();
	size = (size_t)pages * sysconf(_SC_PAGESIZE);
	c->wakeup_bytes = size / CAPTURE_WAKEUP_FRACTION;
	return rings_make(c, size);
}

/*
 * The stage programs first: the prog array takes its owner's properties
 * from them, the capture program tries until it fits. Until it is in, the
 * stubs find the slot empty.
 */
static int capture_stages(struct capture *c, const struct capture_opts *o)
{
	int err;

	c->stage_map_fd = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "xdpchain_stage", 4, 4, 1, NULL);
	if (c->stage_map_fd < 0)
		return err_set(-errno, "cannot create the capture maps: %s", strerror(errno));
	err = capture__attach_stages(c, o->disp_fd, o->slot_prog, o->n_slots);
	if (err)
		return err;
	return insert_prog(c, o, c->stage_map_fd, 0, STAGE_ACTION, c->stages == STAGES_ALL,
			   &c->stage_prog_fd, NULL);
}

int capture__start(struct capture *c, const struct capture_opts *o)
{
	int err;

	capture_init(c, o);
	err = capture_take_hook(c, o);
	if (c->lock_fd < 0)
		return err; /* nothing taken yet */
	if (!err)
		err = capture_maps(c, o);
	/*
	 * The tracepoint programs before the hook's: once a slot holds one of
	 * ours (what a caller waiting for the capture sees), all of it runs.
	 */
	if (!err && o->kdrop_ifindex)
		err = kdrop__start(c, o->kdrop_ifindex, c->max_caplen);
	/* a capture goes on without the redirect notes */
	if (!err && o->ifindex && (o->actions & (1U << XDP_REDIRECT)) &&
	    capnote__start(c, o->ifindex))
		notes_add(
			&c->notes, LOG_INFO,
			"redirect targets are not in the comments: cannot attach to the xdp_redirect tracepoints");
	for (__u32 a = 0; !err && a < HOOK_SLOTS; a++)
		if (o->actions & (1U << a))
			err = insert_slot(c, o, a);
	if (!err && c->stages != STAGES_NONE)
		err = capture_stages(c, o);
	if (err) {
		capture__stop(c);
		return err;
	}
	/* from here on what the chain hands the slots meets our programs */
	read_counters(c, c->base);
	return 0;
}

int capture__poll(struct capture *c, int timeout_ms)
{
	struct timespec wait = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000L };
	struct epoll_event ev[16];
	int n;

	/*
	 * Packets held back for the time order go out as soon as they may:
	 * the reader sleeps until the oldest is old enough, not until the
	 * next wakeup (under a flood the ring would fill with what it holds)
	 */
	if (c->held) {
		__u64 now = mono_ns();
		__u64 ns = c->held_until > now ? c->held_until - now : 0;

		if (ns < (__u64)timeout_ms * 1000000) {
			wait.tv_sec = 0;
			wait.tv_nsec = ns;
		}
	}
	n = epoll_pwait2(c->epoll_fd, ev, sizeof(ev) / sizeof(ev[0]), &wait, NULL);
	if (n < 0 && errno == ENOSYS) /* before Linux 5.11: whole milliseconds */
		n = epoll_wait(c->epoll_fd, ev, sizeof(ev) / sizeof(ev[0]),
			       wait.tv_sec * 1000 + wait.tv_nsec / 1000000);
	if (n < 0 && errno != EINTR)
		return -errno;
	/* rings under their wakeup mark too: a trickle shows within @timeout_ms */
	merge_out(c, mono_ns() - MERGE_MARGIN_NS);
	return 0;
}

int capture__drain(struct capture *c)
{
	merge_out(c, ~0ULL);
	return 0;
}

/*
 * The capture counters summed over CPUs, and as CAP_SEEN the packets the
 * chain handed the slots @c serves: the fates of those actions, by any
 * member or the final stage (those the chain passed); 0 or -errno.
 */
static int read_counters(const struct capture *c, __u64 sum[CAP_NR_COUNTERS])
{
	struct xdpchain_stats *v;
	int ncpu;

	memset(sum, 0, sizeof(__u64) * CAP_NR_COUNTERS);
	ncpu = stats__read_percpu(c->counters_fd, &v);
	if (ncpu < 0)
		return ncpu;
	for (int i = 0; i < ncpu; i++) {
		for (int k = CAP_MATCHED; k < CAP_NR_COUNTERS; k++)
			sum[k] += v[i].cap[k];
		for (int r = 0; seen_known(c) && r < STATS_ROWS; r++)
			for (int a = 0; a < STATS_ACTIONS; a++)
				if (c->actions & (1U << a))
					sum[CAP_SEEN] += v[i].pkts[r][a];
	}
	free(v);
	return 0;
}

void capture__stats(const struct capture *c, struct capture_stats *s)
{
	__u64 sum[CAP_NR_COUNTERS];

	memset(s, 0, sizeof(*s));
	s->malformed = c->malformed;
	if (read_counters(c, sum))
		return;
	/* a chain's counters go on from earlier captures */
	s->seen_known = seen_known(c);
	s->seen = sum[CAP_SEEN] - c->base[CAP_SEEN];
	s->matched = sum[CAP_MATCHED] - c->base[CAP_MATCHED];
	s->output_err = sum[CAP_OUTPUT_ERR] - c->base[CAP_OUTPUT_ERR];
}

void capture__stop(struct capture *c)
{
	__u32 ids[HOOK_SLOTS];

	/* the dispatcher runs its empty stubs again */
	detach_stages(c);
	capnote__stop(c);
	kdrop__stop(c);
	if (c->stage_prog_fd >= 0)
		close(c->stage_prog_fd);
	if (c->stage_map_fd >= 0)
		close(c->stage_map_fd);
	c->stage_prog_fd = c->stage_map_fd = -1;
	if (c->hook_fd >= 0 && !hook__slots(c->hook_fd, ids)) {
		for (__u32 a = 0; a < HOOK_SLOTS; a++)
			if (c->prog_id[a] && ids[a] == c->prog_id[a])
				bpf_map_delete_elem(c->hook_fd, &a);
	}
	for (int a = 0; a < HOOK_SLOTS; a++) {
		if (c->prog_fd[a] >= 0)
			close(c->prog_fd[a]);
		c->prog_fd[a] = -1;
		c->prog_id[a] = 0;
	}
	rings_free(c);
	if (c->counters_fd >= 0)
		close(c->counters_fd);
	if (c->scratch_fd >= 0)
		close(c->scratch_fd);
	lock__hook_release(c->lock_fd, c->hook_id);
	c->counters_fd = c->scratch_fd = c->lock_fd = -1;
}
