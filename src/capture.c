// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "capture.h"
#include "../dispatcher/stats.h"
#include "chain.h"
#include "filter.h"
#include "insn.h"
#include "lock.h"
#include "log.h"
#include "observer.h"
#include "params.h"
#include "stage.skel.h"

/*
 * Stack layout of the generated program; the filter owns fp-64..fp-1.
 * What must outlive a helper call is kept here, not in callee-saved
 * registers: the JIT would save and restore each on every run, for the
 * packets the filter refuses too.
 */
#define META_OFF (-104) /* struct capture_meta, 40 bytes */
#define KEY_OFF (-112) /* map key */
#define CNT_OFF (-120) /* this CPU's counters (struct xdpchain_stats *) */
#define CTX_OFF (-128) /* the program's context */

_Static_assert(sizeof(struct capture_meta) == 40 && META_OFF + 40 <= -64,
	       "struct capture_meta fits between the filter's stack and the key");
/* the stage that decided is copied with one 64-bit load and store */
_Static_assert(offsetof(struct xdpchain_stats, fate_slot) % 8 == 0 &&
		       offsetof(struct xdpchain_stats, fate_prog) ==
			       offsetof(struct xdpchain_stats, fate_slot) + 4 &&
		       offsetof(struct capture_meta, stage_slot) == 24 &&
		       offsetof(struct capture_meta, stage_prog) == 28,
	       "fate_slot and fate_prog lie as capture_meta's stage_slot and stage_prog");

#define CAP_OFF(k) (offsetof(struct xdpchain_stats, cap) + (k) * sizeof(__u64))

/* counters->cap[k]++, the pointer kept at CNT_OFF; clobbers r1 and r2. */
static void emit_count(struct insn_buf *b, int k)
{
	EMIT(b, LDX_MEM(BPF_DW, BPF_REG_2, BPF_REG_10, CNT_OFF),
	     LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_2, CAP_OFF(k)), ALU64_IMM(BPF_ADD, BPF_REG_1, 1),
	     STX_MEM(BPF_DW, BPF_REG_2, BPF_REG_1, CAP_OFF(k)));
}

_Static_assert(CAPTURE_RECORD_SIZE(CAPTURE_MAX_CAPLEN) <= CAPTURE_RECORD_MAX &&
		       CAPTURE_RECORD_SIZE(CAPTURE_MAX_CAPLEN + 1) > CAPTURE_RECORD_MAX,
	       "CAPTURE_MAX_CAPLEN must be the longest copy a perf record can hold");
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

/*
 * The capture program for one hook slot:
 *   ctx to the stack; the packet's bounds (and, for a filter reading it,
 *   the frame's length) in the filter's registers; <filter> -> r0 = snap
 *   no match (the filter's refusals jump straight there): return at once,
 *   nothing else runs for a packet the filter refuses
 *   one lookup of this CPU's counters (the chain's stats map, or the
 *   capture's own of the same layout); with a chain's: the stage that
 *   decided (the observer or the final stage noted it right before the
 *   hook, a stage program before its tail call) and the packet's id
 *   metadata on the stack, bpf_perf_event_output(packet, min(snap, snaplen,
 *   len, CAPTURE_MAX_CAPLEN) bytes) to the perf buffer; matched++ or
 *   output_err++
 *   return @ret: a hook slot's action, as the program that tail-called would
 *   have; for a stage, what its stub returns (see dispatcher/stage.bpf.c)
 * No callee-saved register is used (see CTX_OFF). Packets the filter
 * refused are not counted here: what reached the hook is what the chain's
 * counters say its members and final stage handed it (capture__stats()).
 */
static int gen_prog(struct insn_buf *b, const struct capture *c, const struct filter *f,
		    __u32 action, __u32 ret, __u32 snaplen, bool frags)
{
	bool uses_len = f && f->n && f->uses_len;
	size_t frag, jmp_out, jmp_nocnt, jmp_err, after_ok;

	/* frames over 64 KiB (multi-buffer) are cut to what a record holds */
	if (snaplen > CAPTURE_MAX_CAPLEN)
		snaplen = CAPTURE_MAX_CAPLEN;

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
		EMIT(b, MOV64_IMM(BPF_REG_0, snaplen));
	}
	jmp_out = b->n;
	EMIT(b, JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 0 /* patched */));
	/* matched: r2 = the frame's length; r0 = the snap length */
	if (uses_len) {
		EMIT(b, MOV64_REG(BPF_REG_2, FILTER_REG_LEN));
	} else if (frags) {
		EMIT(b, STX_MEM(BPF_W, BPF_REG_10, BPF_REG_0, META_OFF + 20));
		emit_len(b, BPF_REG_2, true);
		EMIT(b, LDX_MEM(BPF_W, BPF_REG_0, BPF_REG_10, META_OFF + 20));
	} else {
		emit_len(b, BPF_REG_2, false);
	}
	EMIT(b, /* caplen = min(snap, snaplen, len) */
	     JMP_IMM(BPF_JLE, BPF_REG_0, snaplen, 1), MOV64_IMM(BPF_REG_0, snaplen),
	     JMP_REG(BPF_JLE, BPF_REG_0, BPF_REG_2, 1), MOV64_REG(BPF_REG_0, BPF_REG_2),
	     STX_MEM(BPF_W, BPF_REG_10, BPF_REG_0, META_OFF + 20),
	     STX_MEM(BPF_W, BPF_REG_10, BPF_REG_2, META_OFF + 16),
	     ST_MEM(BPF_W, BPF_REG_10, KEY_OFF, 0), LD_MAP_FD(BPF_REG_1, c->counters_fd),
	     MOV64_REG(BPF_REG_2, BPF_REG_10), ALU64_IMM(BPF_ADD, BPF_REG_2, KEY_OFF),
	     CALL(BPF_FUNC_map_lookup_elem));
	jmp_nocnt = b->n;
	EMIT(b, JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 0 /* patched */),
	     STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_0, CNT_OFF));
	if (c->stats_fd >= 0)
		/* the stage that decided and the packet's id, one 64-bit load each */
		EMIT(b,
		     LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_0,
			     offsetof(struct xdpchain_stats, fate_slot)),
		     STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_1, META_OFF + 24),
		     LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_0, offsetof(struct xdpchain_stats, pkt_id)),
		     STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_1, META_OFF + 32));
	else
		EMIT(b, ST_MEM(BPF_W, BPF_REG_10, META_OFF + 24, STAGE_UNKNOWN),
		     ST_MEM(BPF_W, BPF_REG_10, META_OFF + 28, 0),
		     ST_MEM(BPF_DW, BPF_REG_10, META_OFF + 32, 0));
	EMIT(b, LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_10, CTX_OFF),
	     LDX_MEM(BPF_W, BPF_REG_1, BPF_REG_1, offsetof(struct xdp_md, ingress_ifindex)),
	     STX_MEM(BPF_W, BPF_REG_10, BPF_REG_1, META_OFF + 12),
	     ST_MEM(BPF_W, BPF_REG_10, META_OFF + 8, action), CALL(BPF_FUNC_ktime_get_ns),
	     STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_0, META_OFF),
	     /* flags: BPF_F_CURRENT_CPU | caplen << 32 */
	     LDX_MEM(BPF_W, BPF_REG_3, BPF_REG_10, META_OFF + 20),
	     ALU64_IMM(BPF_LSH, BPF_REG_3, 32), MOV32_IMM(BPF_REG_1, -1),
	     ALU64_REG(BPF_OR, BPF_REG_3, BPF_REG_1),
	     LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_10, CTX_OFF), LD_MAP_FD(BPF_REG_2, c->perf_fd),
	     MOV64_REG(BPF_REG_4, BPF_REG_10), ALU64_IMM(BPF_ADD, BPF_REG_4, META_OFF),
	     MOV64_IMM(BPF_REG_5, sizeof(struct capture_meta)), CALL(BPF_FUNC_perf_event_output));
	jmp_err = b->n;
	EMIT(b, JMP_IMM(BPF_JNE, BPF_REG_0, 0, 0 /* patched */));
	emit_count(b, CAP_MATCHED);
	after_ok = b->n;
	EMIT(b, JMP_A(0 /* patched */));
	insn_buf__patch(b, jmp_err, b->n);
	emit_count(b, CAP_OUTPUT_ERR);
	insn_buf__patch(b, after_ok, b->n);
	insn_buf__patch(b, jmp_out, b->n);
	insn_buf__patch(b, jmp_nocnt, b->n);
	if (f && f->n && f->nomatch >= 0)
		retarget(b, frag, f->n, frag + f->nomatch, b->n);
	EMIT(b, MOV64_IMM(BPF_REG_0, ret), EXIT_INSN());
	return b->oom ? -ENOMEM : 0;
}

static bool prog_is_ours(__u32 id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);
	bool ours;

	if (fd < 0)
		return false;
	ours = !bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, CAPTURE_PROG_NAME);
	close(fd);
	return ours;
}

/* flock on LOCK_DIR/hook-ID.lock: held for a capture's lifetime and
 * released by the kernel however it ends. Returns fd, or -EBUSY with the
 * holder's pid in *holder. */
/* LOCK_DIR/hook-ID.lock: one per hook map. */
static void hook_lock_name(__u32 hook_id, char *buf, size_t size)
{
	snprintf(buf, size, "hook-%u.lock", hook_id);
}

static int lock_hook(__u32 hook_id, int *holder, bool capture)
{
	char name[32], buf[32];
	int fd, n, err;

	*holder = 0;
	hook_lock_name(hook_id, name, sizeof(name));
	fd = lock__open(name);
	if (fd < 0)
		return fd;
	/*
	 * A status clearing stale slots holds the lock for milliseconds: a
	 * capture waits that out; a running capture holds it for good.
	 */
	err = lock__wait(fd, capture ? 2000 : 0);
	if (err) {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		if (n > 0) {
			buf[n] = '\0';
			*holder = atoi(buf);
		}
		close(fd);
		return err;
	}
	if (!capture)
		return fd;
	n = snprintf(buf, sizeof(buf), "%d\n", getpid());
	if (ftruncate(fd, 0) || pwrite(fd, buf, n, 0) != n)
		pr_debug("cannot record our pid in %s/%s\n", LOCK_DIR, name);
	return fd;
}

static int clear_ours(int hook_fd)
{
	__u32 ids[HOOK_SLOTS];
	int n = 0;

	if (hook__slots(hook_fd, ids))
		return -errno;
	for (__u32 k = 0; k < HOOK_SLOTS; k++) {
		if (!ids[k] || !prog_is_ours(ids[k]))
			continue;
		if (!bpf_map_delete_elem(hook_fd, &k))
			n++;
	}
	return n;
}

int capture__clear_stale(int hook_fd)
{
	int holder, lock, n;
	__u32 id = hook__id(hook_fd);

	lock = lock_hook(id, &holder, false);
	if (lock < 0)
		return lock == -EBUSY ? 0 : lock; /* a live capture owns them */
	n = clear_ours(hook_fd);
	close(lock);
	return n;
}

int capture__parse_sample(const struct perf_event_header *rec, struct capture_meta *m,
			  const void **pkt)
{
	const char *raw = (const char *)(rec + 1) + sizeof(__u32);
	__u32 size;

	/* the record: header, the raw data's size, the raw data (padded) */
	if (rec->size < sizeof(*rec) + sizeof(size))
		return -EINVAL;
	memcpy(&size, rec + 1, sizeof(size));
	if (size > rec->size - sizeof(*rec) - sizeof(size) || size < sizeof(*m))
		return -EINVAL;
	/* perf samples are only 4-byte aligned */
	memcpy(m, raw, sizeof(*m));
	if (m->caplen > size - sizeof(*m) || m->caplen > m->len)
		return -EINVAL;
	*pkt = raw + sizeof(*m);
	return 0;
}

/*
 * Each CPU's buffer holds its packets in time order; the file gets them
 * merged by time. A round reads every buffer into its CPU's queue, then
 * writes, oldest first, what no buffer can still precede: packets older
 * than the time the round began, less a margin for a packet whose time was
 * taken but whose copy was not yet in the buffer: in NAPI that is well
 * under a microsecond; a program run by BPF_PROG_TEST_RUN (process
 * context) can be preempted in between. What is held back is copied again
 * each round, so a long margin costs a flood dearly (20 ms: 10-20 % fewer
 * packets written at 1 M packets in 0.2 s); 2 ms showed no packet out of
 * order in make bench's floods from both CPUs. The rest waits for the next
 * round; a drain writes everything.
 */
#define MERGE_MARGIN_NS 2000000ULL

struct queued {
	__u32 size; /* of this entry, 8-byte aligned */
	__u32 pad;
	struct capture_meta m;
	/* the packet's caplen bytes follow */
};

static int queue_put(struct capture_queue *q, const struct capture_meta *m, const void *pkt)
{
	size_t size = (sizeof(struct queued) + m->caplen + 7) & ~(size_t)7;
	struct queued *e;

	if (q->len + size > q->cap) {
		size_t cap = q->cap ? q->cap : 1 << 16;
		char *b;

		while (cap < q->len + size)
			cap *= 2;
		b = realloc(q->buf, cap);
		if (!b)
			return -ENOMEM;
		q->buf = b;
		q->cap = cap;
	}
	e = (struct queued *)(q->buf + q->len);
	e->size = size;
	e->m = *m;
	memcpy(e + 1, pkt, m->caplen);
	q->len += size;
	return 0;
}

static struct queued *queue_head(const struct capture_queue *q)
{
	return q->head < q->len ? (struct queued *)(q->buf + q->head) : NULL;
}

/* Writes the queued packets up to @horizon (ns, CLOCK_MONOTONIC), oldest first. */
static void merge_out(struct capture *c, __u64 horizon)
{
	int active[64], na = 0, k;
	bool all = false;

	/* the CPUs with packets; with very many, every CPU is looked at */
	for (int i = 0; i < c->nq && !all; i++) {
		if (!queue_head(&c->q[i]))
			continue;
		if (na < (int)(sizeof(active) / sizeof(active[0])))
			active[na++] = i;
		else
			all = true;
	}
	if (all)
		na = c->nq;
	for (;;) {
		struct queued *best = NULL, *e;

		k = -1;
		for (int j = 0; j < na; j++) {
			int i = all ? j : active[j];

			e = queue_head(&c->q[i]);
			if (e && e->m.ts_ns <= horizon && (!best || e->m.ts_ns < best->m.ts_ns)) {
				best = e;
				k = i;
			}
		}
		if (!best)
			break;
		c->on_packet(c->ctx, &best->m, best + 1);
		c->q[k].head += best->size;
	}
	for (int i = 0; i < c->nq; i++) {
		struct capture_queue *q = &c->q[i];

		/* moved to the front only when that is at most what was written */
		if (!q->head || q->len - q->head > q->head)
			continue;
		memmove(q->buf, q->buf + q->head, q->len - q->head);
		q->len -= q->head;
		q->head = 0;
	}
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * Reads every buffer into the queues; @begun: when the round began, so
 * every packet older than that was in some buffer read after it.
 */
/* Whether buffer @i holds records: its head is past its tail. */
static bool buffer_busy(struct capture *c, size_t i)
{
	struct perf_event_mmap_page *h;
	size_t size;
	void *base;

	if (perf_buffer__buffer(c->pb, i, &base, &size))
		return true;
	h = base;
	return __atomic_load_n(&h->data_head, __ATOMIC_ACQUIRE) != h->data_tail;
}

static bool queues_empty(const struct capture *c)
{
	for (int i = 0; i < c->nq; i++)
		if (queue_head(&c->q[i]))
			return false;
	return true;
}

static int read_buffers(struct capture *c, __u64 *begun)
{
	size_t n = perf_buffer__buffer_cnt(c->pb), busy = n;
	int err = 0;

	*begun = mono_ns();
	/*
	 * One CPU's buffer holds packets, and nothing waits in the queues
	 * (one CPU busy, the common case even under a flood): nothing can
	 * precede its packets older than the merge's horizon, so those go
	 * to on_packet straight from the buffer, not through a queue.
	 */
	for (size_t i = 0; i < n && busy <= n; i++)
		if (buffer_busy(c, i))
			busy = busy == n ? i : n + 1;
	if (busy < n && queues_empty(c))
		c->direct_before = *begun - MERGE_MARGIN_NS;
	for (size_t i = 0; i < n; i++) {
		err = perf_buffer__consume_buffer(c->pb, i);
		if (err < 0 && err != -ENOENT)
			break;
		err = 0;
	}
	c->direct_before = 0;
	return err;
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
	/* a power of two, as perf wants */
	while (pages & (pages - 1))
		pages &= pages - 1;
	return pages;
}

static enum bpf_perf_event_ret on_event(void *ctx, int cpu, struct perf_event_header *rec)
{
	struct capture *c = ctx;
	struct capture_meta m;
	const void *pkt;
	__u64 lost;

	switch (rec->type) {
	case PERF_RECORD_SAMPLE:
		if (capture__parse_sample(rec, &m, &pkt))
			c->malformed++;
		else if (m.ts_ns < c->direct_before && cpu >= 0 && cpu < c->nq &&
			 !queue_head(&c->q[cpu]))
			c->on_packet(c->ctx, &m, pkt); /* see read_buffers() */
		else if (cpu < 0 || cpu >= c->nq || queue_put(&c->q[cpu], &m, pkt))
			c->on_packet(c->ctx, &m, pkt); /* no room to merge: as it comes */
		break;
	case PERF_RECORD_LOST:
		/* header, id, lost */
		if (rec->size >= sizeof(*rec) + 2 * sizeof(lost)) {
			memcpy(&lost, (const char *)(rec + 1) + sizeof(lost), sizeof(lost));
			c->lost += lost;
		}
		break;
	}
	return LIBBPF_PERF_EVENT_CONT;
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
		err = gen_prog(&b, c, o->filter, action, ret, o->snaplen, combos[i].frags);
		if (err)
			goto out;
		fd = load_prog(b.v, b.n, combos[i].attach_type, combos[i].frags);
		if (fd < 0) {
			load_err = fd;
			continue;
		}
		if (!bpf_map_update_elem(map_fd, &key, &fd, BPF_ANY)) {
			pr_debug(
				"capture program for %s joined the hook with expected_attach_type %s, frags %s\n",
				what, combos[i].attach_type ? "BPF_XDP" : "0",
				combos[i].frags ? "on" : "off");
			*prog_fd = fd;
			if (prog_id)
				*prog_id = chain__prog_id(fd);
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
	c->stage_disp_id = chain__prog_id(disp_fd);
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

int capture__start(struct capture *c, const struct capture_opts *o)
{
	/*
	 * What perf_buffer__new() sets up, but with the whole record handed
	 * to on_event(), so the reader sees the record's own size.
	 */
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_BPF_OUTPUT,
		.sample_type = PERF_SAMPLE_RAW,
		.sample_period = 1,
		.watermark = 1,
	};
	__u32 ids[HOOK_SLOTS];
	int holder, err, n;
	unsigned int pages;

	memset(c, 0, sizeof(*c));
	c->lock_fd = c->counters_fd = c->perf_fd = c->stage_map_fd = c->stage_prog_fd = -1;
	c->stages = o->stages;
	for (int i = 0; i < HOOK_SLOTS; i++)
		c->prog_fd[i] = -1;
	c->hook_fd = o->hook_fd;
	c->stats_fd = o->stats_fd;
	c->actions = o->actions;
	c->hook_id = hook__id(o->hook_fd);
	c->on_packet = o->on_packet;
	c->ctx = o->ctx;

	c->lock_fd = lock_hook(c->hook_id, &holder, true);
	if (c->lock_fd == -EBUSY)
		return err_set(
			-EBUSY,
			"another xdpchain capture (pid %d) is capturing from this hook (map id %u); stop it first",
			holder, c->hook_id);
	if (c->lock_fd < 0)
		return c->lock_fd; /* err_last() says why */
	n = clear_ours(c->hook_fd);
	if (n > 0) {
		pr_info("removed %d capture program%s a killed capture left in the hook\n", n,
			n == 1 ? "" : "s");
	}
	if (hook__slots(c->hook_fd, ids)) {
		err = err_set(-errno, "cannot read the hook's slots: %s", strerror(errno));
		goto err;
	}
	for (__u32 a = 0; a < HOOK_SLOTS; a++) {
		if ((o->actions & (1U << a)) && ids[a]) {
			err = err_set(
				-EBUSY,
				"the hook's %s slot is taken by program id %u (another capture tool, e.g. xdpcap?); stop it or choose other --actions",
				action_name(a), ids[a]);
			goto err;
		}
	}

	/* the chain's counters, or the capture's own of the same layout */
	c->counters_fd = c->stats_fd >= 0 ?
				 dup(c->stats_fd) :
				 bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "xdpchain_capcnt", 4,
						sizeof(struct xdpchain_stats), 1, NULL);
	c->perf_fd = bpf_map_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY, "xdpchain_capbuf", 4, 4,
				    libbpf_num_possible_cpus(), NULL);
	if (c->counters_fd < 0 || c->perf_fd < 0) {
		err = err_set(-errno, "cannot create the capture maps: %s", strerror(errno));
		goto err;
	}
	pages = o->buffer_pages ? o->buffer_pages : capture__default_pages();
	attr.wakeup_watermark = (size_t)pages * sysconf(_SC_PAGESIZE) / CAPTURE_WAKEUP_FRACTION;
	c->nq = libbpf_num_possible_cpus();
	c->q = calloc(c->nq > 0 ? c->nq : 1, sizeof(*c->q));
	if (!c->q) {
		err = err_set(-ENOMEM, "out of memory");
		goto err;
	}
	c->pb = perf_buffer__new_raw(c->perf_fd, pages, &attr, on_event, c, NULL);
	err = libbpf_get_error(c->pb);
	if (err) {
		c->pb = NULL;
		err = err_set(err, "cannot set up the perf buffer: %s", strerror(-err));
		goto err;
	}
	for (__u32 a = 0; a < HOOK_SLOTS; a++) {
		if (!(o->actions & (1U << a)))
			continue;
		err = insert_slot(c, o, a);
		if (err)
			goto err;
	}
	if (c->stages != STAGES_NONE) {
		/*
		 * The stage programs first: the prog array takes its owner's
		 * properties from them, the capture program tries until it
		 * fits. Until it is in, the stubs find the slot empty.
		 */
		c->stage_map_fd =
			bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "xdpchain_stage", 4, 4, 1, NULL);
		if (c->stage_map_fd < 0) {
			err = err_set(-errno, "cannot create the capture maps: %s",
				      strerror(errno));
			goto err;
		}
		err = capture__attach_stages(c, o->disp_fd, o->slot_prog, o->n_slots);
		if (err)
			goto err;
		err = insert_prog(c, o, c->stage_map_fd, 0, STAGE_ACTION, c->stages == STAGES_ALL,
				  &c->stage_prog_fd, NULL);
		if (err)
			goto err;
	}
	/* from here on what the chain hands the slots meets our programs */
	read_counters(c, c->base);
	return 0;
err:
	capture__stop(c);
	return err;
}

int capture__poll(struct capture *c, int timeout_ms)
{
	__u64 begun;
	int err = perf_buffer__poll(c->pb, timeout_ms);

	if (err < 0 && err != -EINTR)
		return err;
	/* buffers under their wakeup watermark too: a trickle shows within @timeout_ms */
	err = read_buffers(c, &begun);
	if (err)
		return err;
	merge_out(c, begun - MERGE_MARGIN_NS);
	return 0;
}

int capture__drain(struct capture *c)
{
	__u64 begun;
	int err = read_buffers(c, &begun);

	merge_out(c, ~0ULL);
	return err;
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
	ncpu = observer__read_percpu(c->counters_fd, &v);
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
	s->lost = c->lost;
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
	perf_buffer__free(c->pb);
	c->pb = NULL;
	for (int i = 0; c->q && i < c->nq; i++)
		free(c->q[i].buf);
	free(c->q);
	c->q = NULL;
	c->nq = 0;
	if (c->counters_fd >= 0)
		close(c->counters_fd);
	if (c->perf_fd >= 0)
		close(c->perf_fd);
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	c->counters_fd = c->perf_fd = c->lock_fd = -1;
}

bool capture__hook_busy(__u32 hook_id)
{
	char name[32];

	hook_lock_name(hook_id, name, sizeof(name));
	return lock__held(name);
}
