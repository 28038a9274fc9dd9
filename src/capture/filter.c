// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Classic BPF to an eBPF fragment for XDP.
 *
 * Register allocation: A is R0, so "ret a" costs nothing and the result is
 * already where the contract wants it; X is R1; R2 is the scratch pointer
 * of packet loads. M[k] lives at fp - 64 + 4 * k. A and X stay 32-bit:
 * every write to R0 and R1 is a 32-bit ALU operation or a zero-extending
 * load, so their upper halves are always 0 and the verifier knows it.
 *
 * Each reachable classic instruction becomes a short block, laid out in
 * classic order: classic jumps only go forward, so they stay forward jumps
 * and only their offsets change. Jumps are emitted with a symbolic target
 * (a classic instruction, the end of the fragment, or "return 0") and
 * patched once every block has its place.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/types.h>

#include "filter.h"
#include "insn.h"
#include "log.h"
#include "pcaplib.h"

/*
 * libpcap's <pcap/bpf.h> defines a struct bpf_insn that clashes with the
 * eBPF one of <linux/bpf.h> (filter.h needs the latter). Keep pcap's header
 * out and complete the struct bpf_program that pcap.h then leaves opaque
 * with struct sock_filter, which has the layout of pcap's instruction
 * (checked below): both are the classic BPF ABI. It comes before pcap.h,
 * whose prototypes would otherwise each declare a struct of their own.
 */
struct bpf_program {
	u_int bf_len;
	struct sock_filter *bf_insns;
};

#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/dlt.h>
#include <pcap/pcap.h>

_Static_assert(sizeof(struct sock_filter) == 8 && offsetof(struct sock_filter, jt) == 2 &&
		       offsetof(struct sock_filter, k) == 4,
	       "struct sock_filter must match libpcap's classic instruction");

#define REG_A BPF_REG_0
#define REG_TMP BPF_REG_2

/*
 * The verifier only records a checked packet range while offset plus
 * variable part stays within its MAX_PACKET_OFF (0xffff). XDP's linear data
 * is never that long, so a load reaching past it fails like any load past
 * the end of the packet.
 */
#define MAX_PKT_OFF 0xffff

/* The most eBPF instructions one classic instruction becomes: an IND load. */
#define MAX_EXPANSION 7
/* Zeroing A, X and M[0..15], then the translation, then "return 0". */
#define MAX_OUT(n) (2 + BPF_MEMWORDS + MAX_EXPANSION * (n) + 1)

/* So the longest classic program's longest jump fits eBPF's 16-bit offset. */
_Static_assert(MAX_OUT(BPF_MAXINSNS) <= INT16_MAX, "eBPF jump offsets could overflow");

/* Classic state tracked for "read before written": M[0..15], A, X. */
#define ST_A (1u << BPF_MEMWORDS)
#define ST_X (1u << (BPF_MEMWORDS + 1))

/* Symbolic jump targets; a target >= 0 is a classic instruction index. */
enum {
	TGT_NONE = -1, /* not a jump, or a jump inside its own block */
	TGT_END = -2, /* the instruction after the fragment */
	TGT_FAIL = -3, /* "return 0": a packet load failed, or a division by X == 0 */
	TGT_SLOW = -4, /* the checked version, from its start (see emit_fast()) */
};

/* A jump of the output and its symbolic target, resolved at the end. */
struct jump {
	size_t at;
	int target;
};

struct xlate {
	const struct sock_filter *prog;
	size_t n;
	bool *reach;
	uint32_t *written; /* state surely written when entering each insn */
	uint32_t need_init; /* state some path reads before writing it */
	uint32_t *proven; /* packet bytes every path to each insn has checked */
	uint32_t *xmax; /* the largest value X can hold entering each insn */
	/*
	 * Per insn, 2 or 4: a load of that many bytes kept in host order, or
	 * a jeq/jset whose constant is byte-swapped to match (plan_swaps())
	 */
	uint8_t *swap;
	long ret0; /* a reachable "ret #0" to reuse as TGT_FAIL, or -1 */

	struct insn_buf out;
	struct jump *jumps;
	size_t n_jumps, max_jumps;
	size_t *start; /* per classic insn: its first eBPF insn (checked version) */
	/*
	 * The fast version (emit_fast()): while @fast, loads rely on the
	 * checks it made up front and jumps to classic insns land in it
	 * (targets n + i); @ind_base: per "ldx 4*([k]&0xf)", the bytes past
	 * data + X its indexed loads read, 0 if none
	 */
	bool fast;
	bool fast_ret0_gone; /* its "ret #0" left out: jumps there go to TGT_FAIL */
	uint32_t abs_max;
	uint32_t *ind_base;
	uint32_t *ind_end; /* per indexed load: the ind_base of its X's load */
	size_t *start_fast;
	size_t slow_begin;
	bool fail_used;
	bool uses_len; /* some instruction reads FILTER_REG_LEN */
	__u8 reg_x; /* see struct filter.reg_x */
	long nomatch; /* see struct filter */
	bool overflow;
};

__attribute__((format(printf, 4, 5))) static int
insn_err(int err, size_t i, const struct sock_filter *in, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return err_set(err, "classic BPF instruction %zu (code 0x%02x, jt %u, jf %u, k 0x%x): %s",
		       i, in->code, in->jt, in->jf, in->k, why);
}

static const char *const anc_names[SKF_AD_MAX / 4] = {
	[SKF_AD_PROTOCOL / 4] = "protocol",
	[SKF_AD_PKTTYPE / 4] = "pkttype (inbound/outbound)",
	[SKF_AD_IFINDEX / 4] = "ifindex",
	[SKF_AD_NLATTR / 4] = "nlattr",
	[SKF_AD_NLATTR_NEST / 4] = "nlattr_nest",
	[SKF_AD_MARK / 4] = "mark",
	[SKF_AD_QUEUE / 4] = "queue",
	[SKF_AD_HATYPE / 4] = "hatype",
	[SKF_AD_RXHASH / 4] = "rxhash",
	[SKF_AD_CPU / 4] = "cpu",
	[SKF_AD_ALU_XOR_X / 4] = "alu_xor_x",
	[SKF_AD_VLAN_TAG / 4] = "vlan_tag",
	[SKF_AD_VLAN_TAG_PRESENT / 4] = "vlan_tag_present",
	[SKF_AD_PAY_OFFSET / 4] = "pay_offset",
	[SKF_AD_RANDOM / 4] = "random",
	[SKF_AD_VLAN_TPID / 4] = "vlan_tpid",
};

/*
 * Offsets from SKF_LL_OFF up ("negative" ones) are Linux extensions that
 * read socket-buffer metadata or headers the skb has located: an XDP
 * buffer has neither. Other huge offsets are plain out-of-bounds loads.
 */
static int check_pkt_off(size_t i, const struct sock_filter *in)
{
	uint32_t k = in->k, rel;

	if (k < (uint32_t)SKF_LL_OFF)
		return 0;
	if (k >= (uint32_t)SKF_AD_OFF) {
		rel = k - (uint32_t)SKF_AD_OFF;
		return insn_err(
			-EOPNOTSUPP, i, in,
			"Linux ancillary load SKF_AD_OFF+%u (%s) reads socket-buffer metadata, which XDP does not have: filter on packet bytes only",
			rel,
			rel < SKF_AD_MAX && !(rel % 4) && anc_names[rel / 4] ? anc_names[rel / 4] :
									       "unknown");
	}
	if (k >= (uint32_t)SKF_NET_OFF)
		return insn_err(
			-EOPNOTSUPP, i, in,
			"load relative to the network header (SKF_NET_OFF+%u) needs the socket buffer's header offsets, which XDP does not have",
			k - (uint32_t)SKF_NET_OFF);
	return insn_err(
		-EOPNOTSUPP, i, in,
		"load relative to the link-layer header (SKF_LL_OFF+%u) is a socket-buffer extension XDP does not have",
		k - (uint32_t)SKF_LL_OFF);
}

/* Accepts exactly the opcodes of libpcap's interpreter and Linux's checker. */
/* Whether @code is an instruction every operand of which is valid. */
static bool always_valid(__u16 code)
{
	switch (code) {
	case BPF_LD | BPF_IMM:
	case BPF_LDX | BPF_IMM:
	case BPF_LD | BPF_W | BPF_LEN:
	case BPF_LDX | BPF_W | BPF_LEN:
	case BPF_ALU | BPF_ADD | BPF_K:
	case BPF_ALU | BPF_SUB | BPF_K:
	case BPF_ALU | BPF_MUL | BPF_K:
	case BPF_ALU | BPF_AND | BPF_K:
	case BPF_ALU | BPF_OR | BPF_K:
	case BPF_ALU | BPF_XOR | BPF_K:
	case BPF_ALU | BPF_ADD | BPF_X:
	case BPF_ALU | BPF_SUB | BPF_X:
	case BPF_ALU | BPF_MUL | BPF_X:
	case BPF_ALU | BPF_DIV | BPF_X:
	case BPF_ALU | BPF_MOD | BPF_X:
	case BPF_ALU | BPF_AND | BPF_X:
	case BPF_ALU | BPF_OR | BPF_X:
	case BPF_ALU | BPF_XOR | BPF_X:
	case BPF_ALU | BPF_LSH | BPF_X:
	case BPF_ALU | BPF_RSH | BPF_X:
	case BPF_ALU | BPF_NEG:
	case BPF_RET | BPF_K:
	case BPF_RET | BPF_A:
	case BPF_MISC | BPF_TAX:
	case BPF_MISC | BPF_TXA:
		return true;
	default:
		return false;
	}
}

static int check_insn(const struct sock_filter *prog, size_t n, size_t i)
{
	const struct sock_filter *in = &prog[i];
	size_t left = n - i - 1; /* instructions after this one */

	if (always_valid(in->code))
		return 0;
	switch (in->code) {
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_LD | BPF_H | BPF_ABS:
	case BPF_LD | BPF_B | BPF_ABS:
	case BPF_LD | BPF_W | BPF_IND:
	case BPF_LD | BPF_H | BPF_IND:
	case BPF_LD | BPF_B | BPF_IND:
	case BPF_LDX | BPF_B | BPF_MSH:
		return check_pkt_off(i, in);
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
		if (in->k >= BPF_MEMWORDS)
			return insn_err(-EINVAL, i, in,
					"scratch word M[%u] does not exist (M[0] to M[%d])", in->k,
					BPF_MEMWORDS - 1);
		return 0;
	case BPF_ALU | BPF_DIV | BPF_K:
	case BPF_ALU | BPF_MOD | BPF_K:
		if (!in->k)
			return insn_err(-EINVAL, i, in, "division by the constant 0");
		return 0;
	case BPF_ALU | BPF_LSH | BPF_K:
	case BPF_ALU | BPF_RSH | BPF_K:
		/* Undefined in classic BPF; Linux and the eBPF verifier refuse it. */
		if (in->k >= 32)
			return insn_err(-EINVAL, i, in, "shift by %u bits of a 32-bit register",
					in->k);
		return 0;
	case BPF_JMP | BPF_JA:
		/* libpcap's interpreter reads k as signed for "protochain". */
		if ((int32_t)in->k < 0)
			return insn_err(
				-EOPNOTSUPP, i, in,
				"backward jump (libpcap emits these for 'protochain'): only forward jumps are translated");
		if (in->k >= left)
			return insn_err(-EINVAL, i, in, "jump past the end of the program");
		return 0;
	case BPF_JMP | BPF_JEQ | BPF_K:
	case BPF_JMP | BPF_JGT | BPF_K:
	case BPF_JMP | BPF_JGE | BPF_K:
	case BPF_JMP | BPF_JSET | BPF_K:
	case BPF_JMP | BPF_JEQ | BPF_X:
	case BPF_JMP | BPF_JGT | BPF_X:
	case BPF_JMP | BPF_JGE | BPF_X:
	case BPF_JMP | BPF_JSET | BPF_X:
		if (in->jt >= left || in->jf >= left)
			return insn_err(-EINVAL, i, in, "jump past the end of the program");
		return 0;
	default:
		return insn_err(-EINVAL, i, in, "unknown opcode");
	}
}

static int check_program(const struct sock_filter *prog, size_t n)
{
	int err;

	if (!prog || !n)
		return err_set(-EINVAL, "classic BPF program is empty");
	if (n > BPF_MAXINSNS)
		return err_set(-EINVAL, "classic BPF program has %zu instructions, more than %d", n,
			       BPF_MAXINSNS);
	for (size_t i = 0; i < n; i++) {
		err = check_insn(prog, n, i);
		if (err)
			return err;
	}
	if (BPF_CLASS(prog[n - 1].code) != BPF_RET)
		return insn_err(-EINVAL, n - 1, &prog[n - 1],
				"a classic BPF program must end with a return");
	return 0;
}

static unsigned int size_bytes(__u8 code)
{
	switch (BPF_SIZE(code)) {
	case BPF_B:
		return 1;
	case BPF_H:
		return 2;
	default:
		return 4;
	}
}

static void state_use(const struct sock_filter *in, uint32_t *reads, uint32_t *writes)
{
	uint32_t mem = 1u << (in->k & (BPF_MEMWORDS - 1));

	*reads = 0;
	*writes = 0;
	switch (BPF_CLASS(in->code)) {
	case BPF_LD:
		*writes = ST_A;
		if (BPF_MODE(in->code) == BPF_IND)
			*reads = ST_X;
		else if (BPF_MODE(in->code) == BPF_MEM)
			*reads = mem;
		break;
	case BPF_LDX:
		*writes = ST_X;
		if (BPF_MODE(in->code) == BPF_MEM)
			*reads = mem;
		break;
	case BPF_ST:
		*reads = ST_A;
		*writes = mem;
		break;
	case BPF_STX:
		*reads = ST_X;
		*writes = mem;
		break;
	case BPF_ALU:
		*reads = ST_A;
		if (BPF_OP(in->code) != BPF_NEG && BPF_SRC(in->code) == BPF_X)
			*reads |= ST_X;
		*writes = ST_A;
		break;
	case BPF_JMP:
		if (BPF_OP(in->code) != BPF_JA)
			*reads = ST_A | (BPF_SRC(in->code) == BPF_X ? ST_X : 0);
		break;
	case BPF_RET:
		if (BPF_RVAL(in->code) == BPF_A)
			*reads = ST_A;
		break;
	case BPF_MISC:
		*reads = BPF_MISCOP(in->code) == BPF_TAX ? ST_A : ST_X;
		*writes = BPF_MISCOP(in->code) == BPF_TAX ? ST_X : ST_A;
		break;
	}
}

/*
 * Packet bytes known present after @in, given @proven before it: a
 * constant-offset load's bounds check tells the verifier (and us) that
 * data + k + size <= data_end, so later loads within it need no check.
 */
static uint32_t proves(const struct sock_filter *in, uint32_t proven)
{
	uint32_t end;

	if (in->code != (BPF_LDX | BPF_B | BPF_MSH) &&
	    (BPF_CLASS(in->code) != BPF_LD || BPF_MODE(in->code) != BPF_ABS))
		return proven;
	if (in->k > MAX_PKT_OFF - size_bytes(in->code))
		return proven; /* always fails: nothing checked */
	end = in->k + size_bytes(in->code);
	return end > proven ? end : proven;
}

/* The instructions that can run after insn @i (@in): 0, 1 or 2 of them. */
static size_t successors(const struct sock_filter *in, size_t i, size_t succ[2])
{
	switch (BPF_CLASS(in->code)) {
	case BPF_RET:
		return 0;
	case BPF_JMP:
		if (BPF_OP(in->code) == BPF_JA) {
			succ[0] = i + 1 + in->k;
			return 1;
		}
		succ[0] = i + 1 + in->jt;
		succ[1] = i + 1 + in->jf;
		return 2;
	default:
		succ[0] = i + 1;
		return 1;
	}
}

/*
 * The largest value X holds after @in, given @xmax before it: known after
 * "ldx 4*([k]&0xf)" (at most 60) and "ldx #k"; anything else that writes X
 * makes it unknown. An indexed load needs no overflow check when X + k
 * cannot pass MAX_PKT_OFF; the verifier, tracking X's bounds on each path,
 * agrees.
 */
static uint32_t x_after(const struct sock_filter *in, uint32_t xmax)
{
	if (in->code == (BPF_LDX | BPF_B | BPF_MSH))
		return 60;
	if (in->code == (BPF_LDX | BPF_IMM))
		return in->k;
	if (BPF_CLASS(in->code) == BPF_LDX || in->code == (BPF_MISC | BPF_TAX))
		return UINT32_MAX;
	return xmax;
}

/*
 * One pass in program order is a complete data-flow analysis because
 * classic jumps only go forward: every predecessor of an instruction comes
 * before it. It finds the reachable instructions (the verifier refuses
 * unreachable code), the state some path reads before writing it (the
 * kernel refuses such programs, libpcap reads garbage, we start it at 0),
 * how many packet bytes all paths have already checked, and X's bound.
 */
static void analyse(struct xlate *x)
{
	const struct sock_filter *in;
	uint32_t reads, writes, out, proven, xmax;
	size_t succ[2], n_succ;

	x->ret0 = -1;
	x->reach[0] = true;
	x->written[0] = 0;
	x->xmax[0] = 0; /* X read before written starts at 0 (emit_prologue()) */
	for (size_t i = 0; i < x->n; i++) {
		if (!x->reach[i])
			continue;
		in = &x->prog[i];
		state_use(in, &reads, &writes);
		x->need_init |= reads & ~x->written[i];
		out = x->written[i] | writes;
		proven = proves(in, x->proven[i]);
		xmax = x_after(in, x->xmax[i]);

		/* The last "ret #0": likely after every load that jumps to it. */
		if (in->code == (BPF_RET | BPF_K) && !in->k)
			x->ret0 = i;
		n_succ = successors(in, i, succ);
		for (size_t s = 0; s < n_succ; s++) {
			if (!x->reach[succ[s]]) {
				x->reach[succ[s]] = true;
				x->written[succ[s]] = out;
				x->proven[succ[s]] = proven;
				x->xmax[succ[s]] = xmax;
			} else {
				x->written[succ[s]] &= out;
				if (proven < x->proven[succ[s]])
					x->proven[succ[s]] = proven;
				if (xmax > x->xmax[succ[s]])
					x->xmax[succ[s]] = xmax;
			}
		}
	}
}

/* Union-find over the definitions of A (plan_swaps()). */
static size_t web_find(size_t *parent, size_t v)
{
	while (parent[v] != v) {
		parent[v] = parent[parent[v]];
		v = parent[v];
	}
	return v;
}

static void web_union(size_t *parent, size_t a, size_t b)
{
	a = web_find(parent, a);
	b = web_find(parent, b);
	if (a != b)
		parent[b] = a;
}

enum { WEB_NONE = 0, WEB_BAD = 0xff }; /* else the byte size of its loads */

/*
 * Classic loads are big-endian, eBPF's in host order: each 16- or 32-bit
 * load would need a byte swap. Where the value is only ever compared for
 * equality or tested bit by bit against constants (jeq #k, jset #k: most
 * of what tcpdump expressions compile to), the constants can be swapped
 * once here instead. A "web" is the definitions of A that reach a common
 * use; it is swapped only when all of its definitions are loads of one
 * size and all of its uses such jumps. Little-endian hosts only.
 */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* plan_swaps()'s webs: a union-find over definitions of A (n: A at the start). */
struct webs {
	size_t *parent; /* union-find, n + 1 */
	size_t *a_in; /* the definition of A reaching each insn (SIZE_MAX: none yet) */
	uint8_t *kind; /* each web's: WEB_NONE, WEB_BAD or a load size, n + 1 */
	uint8_t *live_at; /* whether A is live entering each insn */
};

static void webs_free(struct webs *w)
{
	free(w->parent);
	free(w->a_in);
	free(w->kind);
	free(w->live_at);
}

static int webs_alloc(struct webs *w, size_t n)
{
	w->parent = calloc(n + 1, sizeof(*w->parent));
	w->a_in = calloc(n, sizeof(*w->a_in));
	w->kind = calloc(n + 1, sizeof(*w->kind));
	w->live_at = calloc(n, sizeof(*w->live_at));
	if (!w->parent || !w->a_in || !w->kind || !w->live_at) {
		webs_free(w);
		return -ENOMEM;
	}
	for (size_t v = 0; v <= n; v++)
		w->parent[v] = v;
	w->kind[n] = WEB_BAD; /* A as the program starts: no load */
	for (size_t i = 0; i < n; i++)
		w->a_in[i] = SIZE_MAX;
	w->a_in[0] = n;
	return 0;
}

/*
 * Where A is live (some path reads it before writing it): only there do
 * paths that meet join their webs. One pass backwards suffices, jumps
 * going forward only.
 */
static void webs_live(const struct xlate *x, struct webs *w)
{
	uint32_t reads, writes;

	for (size_t i = x->n; i-- > 0;) {
		const struct sock_filter *in = &x->prog[i];
		size_t succ[2], n_succ = successors(in, i, succ);
		bool live = false;

		state_use(in, &reads, &writes);
		for (size_t k = 0; k < n_succ; k++)
			live |= w->live_at[succ[k]];
		w->live_at[i] = (reads & ST_A) || (!(writes & ST_A) && live);
	}
}

/* Definitions and uses, their webs joined where paths meet. */
static void webs_join(const struct xlate *x, struct webs *w)
{
	uint32_t reads, writes;

	for (size_t i = 0; i < x->n; i++) {
		const struct sock_filter *in = &x->prog[i];
		size_t out, succ[2], n_succ;
		__u8 op = BPF_OP(in->code);

		if (!x->reach[i])
			continue;
		state_use(in, &reads, &writes);
		if (reads & ST_A) {
			bool ok = BPF_CLASS(in->code) == BPF_JMP && BPF_SRC(in->code) == BPF_K &&
				  (op == BPF_JEQ || op == BPF_JSET);
			size_t web = web_find(w->parent, w->a_in[i]);

			if (!ok)
				w->kind[web] = WEB_BAD;
		}
		if (writes & ST_A) {
			bool load =
				BPF_CLASS(in->code) == BPF_LD &&
				(BPF_MODE(in->code) == BPF_ABS || BPF_MODE(in->code) == BPF_IND);

			w->kind[i] = load ? size_bytes(in->code) : WEB_BAD;
			out = i;
		} else {
			out = w->a_in[i];
		}
		n_succ = successors(in, i, succ);
		for (size_t k = 0; k < n_succ; k++) {
			size_t t = succ[k];

			if (w->a_in[t] == SIZE_MAX)
				w->a_in[t] = out; /* the first path to reach it */
			else if (w->live_at[t])
				web_union(w->parent, w->a_in[t], out);
		}
	}
}

/* A web's kind: one load size, or bad; then the swap of each insn in a good one. */
static void webs_mark(struct xlate *x, struct webs *w)
{
	size_t n = x->n;

	for (size_t v = 0; v <= n; v++) {
		size_t web = web_find(w->parent, v);

		if (v == web || w->kind[v] == WEB_NONE)
			continue;
		if (w->kind[web] == WEB_NONE)
			w->kind[web] = w->kind[v];
		else if (w->kind[web] != w->kind[v])
			w->kind[web] = WEB_BAD;
	}
	for (size_t i = 0; i < n; i++) {
		const struct sock_filter *in = &x->prog[i];
		uint32_t r, wr;
		uint8_t k;

		if (!x->reach[i])
			continue;
		state_use(in, &r, &wr);
		if (wr & ST_A)
			k = w->kind[web_find(w->parent, i)];
		else if (r & ST_A)
			k = w->kind[web_find(w->parent, w->a_in[i])];
		else
			continue;
		if (k == 2 || k == 4)
			x->swap[i] = k;
	}
}
#endif

static int plan_swaps(struct xlate *x)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	struct webs w;

	if (webs_alloc(&w, x->n))
		return -ENOMEM;
	webs_live(x, &w);
	webs_join(x, &w);
	webs_mark(x, &w);
	webs_free(&w);
#else
	(void)x;
#endif
	return 0;
}

/*
 * The fast version: most packets are long enough for every load a filter
 * makes, so it checks once up front that the packet holds the furthest
 * byte any constant-offset load reads (@abs_max), and once where X is
 * loaded ("ldx 4*([k]&0xf)", the IPv4 header length) the furthest byte
 * the indexed loads through that X read; its loads then go unchecked. A
 * packet too short for either takes the checked version, from its start,
 * which answers as classic BPF does for every packet. Only when every
 * indexed load's X comes from one such load (what libpcap emits), for
 * programs short enough that both versions fit eBPF's jump offsets.
 */
#define FAST_MAX_INSNS 1024
enum { XDEF_UNSET = -3, XDEF_MULTI = -2, XDEF_OTHER = -1 };

static int plan_fast(struct xlate *x, bool *fast)
{
	size_t n = x->n;
	bool ok = n <= FAST_MAX_INSNS, any = false;
	long *xdef;

	*fast = false;
	if (!ok)
		return 0;
	xdef = malloc(n * sizeof(*xdef));
	if (!xdef)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		xdef[i] = XDEF_UNSET;
	xdef[0] = XDEF_OTHER; /* X starts at 0 */
	x->abs_max = 0;
	for (size_t i = 0; ok && i < n; i++) {
		const struct sock_filter *in = &x->prog[i];
		unsigned int sz = size_bytes(in->code);
		bool msh = in->code == (BPF_LDX | BPF_B | BPF_MSH);
		size_t succ[2], n_succ;
		long out = xdef[i];

		if (!x->reach[i])
			continue;
		if ((msh || (BPF_CLASS(in->code) == BPF_LD && BPF_MODE(in->code) == BPF_ABS)) &&
		    in->k <= MAX_PKT_OFF - sz && in->k + sz > x->abs_max) {
			x->abs_max = in->k + sz;
			any = true;
		}
		if (BPF_CLASS(in->code) == BPF_LD && BPF_MODE(in->code) == BPF_IND &&
		    in->k <= MAX_PKT_OFF - sz) {
			if (xdef[i] < 0)
				ok = false;
			else if (in->k + sz > x->ind_base[xdef[i]])
				x->ind_base[xdef[i]] = in->k + sz;
			any = true;
		}
		/*
		 * An "ldx 4*([k]&0xf)" past any packet always fails: no packet
		 * gets X from it, but the verifier walks on with X = 0 and no
		 * pointer checked (emit_always_fail()), so it is no X's source.
		 */
		if (msh && in->k <= MAX_PKT_OFF - sz)
			out = (long)i;
		else if (BPF_CLASS(in->code) == BPF_LDX || in->code == (BPF_MISC | BPF_TAX))
			out = XDEF_OTHER;
		n_succ = successors(in, i, succ);
		for (size_t k = 0; k < n_succ; k++) {
			size_t t = succ[k];

			if (xdef[t] == XDEF_UNSET)
				xdef[t] = out;
			else if (xdef[t] != out)
				xdef[t] = XDEF_MULTI;
		}
	}
	for (size_t i = 0; ok && i < n; i++)
		if (x->reach[i] && BPF_CLASS(x->prog[i].code) == BPF_LD &&
		    BPF_MODE(x->prog[i].code) == BPF_IND && xdef[i] >= 0)
			x->ind_end[i] = x->ind_base[xdef[i]];
	free(xdef);
	/*
	 * The verifier keeps a checked range while offset and X (<= 60) stay in
	 * 16 bits; loads through R2 reach back by up to the checked bytes.
	 */
	for (size_t i = 0; ok && i < n; i++)
		if (x->ind_base[i] > INT16_MAX)
			ok = false;
	if (x->abs_max > INT16_MAX)
		ok = false;
	if (!ok || !any) {
		memset(x->ind_base, 0, n * sizeof(*x->ind_base));
		memset(x->ind_end, 0, n * sizeof(*x->ind_end));
	}
	*fast = ok && any;
	return 0;
}

static void emit(struct xlate *x, __u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm, int target)
{
	insn_buf__emit(&x->out, INSN(code, dst, src, off, imm));
	if (x->fast && target >= 0)
		target = target == x->ret0 && x->fast_ret0_gone ? TGT_FAIL : target + (int)x->n;
	if (target == TGT_NONE || x->out.oom)
		return;
	if (x->n_jumps == x->max_jumps) {
		x->overflow = true;
		return;
	}
	x->jumps[x->n_jumps++] = (struct jump){ .at = x->out.n - 1, .target = target };
	if (target == TGT_FAIL)
		x->fail_used = true;
}

static void emit_mov32_imm(struct xlate *x, __u8 dst, uint32_t imm)
{
	emit(x, BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, (__s32)imm, TGT_NONE);
}

static void emit_mov32_reg(struct xlate *x, __u8 dst, __u8 src)
{
	emit(x, BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0, TGT_NONE);
}

static void emit_ja(struct xlate *x, int target)
{
	emit(x, BPF_JMP | BPF_JA, 0, 0, 0, 0, target);
}

static __s16 mem_off(uint32_t k)
{
	return -FILTER_STACK_SIZE + 4 * (__s16)k;
}

/*
 * A load that can never succeed still needs a structural fall-through: the
 * verifier refuses code it cannot reach by the control-flow graph, and the
 * next classic instruction may be reachable only from here. "data == data" is
 * always true at run time; @dst is set on the dead path for the verifier.
 */
static void emit_always_fail(struct xlate *x, __u8 dst)
{
	emit(x, BPF_JMP | BPF_JEQ | BPF_X, FILTER_REG_DATA, FILTER_REG_DATA, 0, 0, TGT_FAIL);
	emit_mov32_imm(x, dst, 0);
}

/* Classic loads are big-endian; eBPF loads are in host order. */
static void emit_to_be(struct xlate *x, __u8 dst, unsigned int sz)
{
	if (sz > 1)
		emit(x, BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, sz * 8, TGT_NONE);
}

/*
 * dst = @sz bytes at packet offset @k, or "return 0" when the packet is
 * shorter. R2 points just past the bytes, so one compare with data_end
 * gives the verifier the range (for R7 too), and the load reads back from
 * it. When every path here has checked @proven bytes, the load needs no
 * check. Returns false when the load always fails.
 */
static bool emit_load_abs(struct xlate *x, __u8 dst, __u8 size, uint32_t k, uint32_t proven,
			  bool host_order)
{
	unsigned int sz = size_bytes(size);

	if (k > MAX_PKT_OFF - sz) {
		emit_always_fail(x, dst);
		return false;
	}
	if (k + sz <= proven && k <= INT16_MAX) {
		emit(x, BPF_LDX | BPF_MEM | size, dst, FILTER_REG_DATA, k, 0, TGT_NONE);
		if (!host_order)
			emit_to_be(x, dst, sz);
		return true;
	}
	emit(x, BPF_ALU64 | BPF_MOV | BPF_X, REG_TMP, FILTER_REG_DATA, 0, 0, TGT_NONE);
	emit(x, BPF_ALU64 | BPF_ADD | BPF_K, REG_TMP, 0, 0, k + sz, TGT_NONE);
	emit(x, BPF_JMP | BPF_JGT | BPF_X, REG_TMP, FILTER_REG_DATA_END, 0, 0, TGT_FAIL);
	emit(x, BPF_LDX | BPF_MEM | size, dst, REG_TMP, -(__s16)sz, 0, TGT_NONE);
	if (!host_order)
		emit_to_be(x, dst, sz);
	return true;
}

/*
 * A = @sz bytes at packet offset X + @k. The sum is computed in 64 bits
 * (X's upper half is 0), so it cannot wrap, as in libpcap. Bounding X
 * first gives the verifier a variable offset it accepts; the constant part
 * then rides on the pointer as in an ABS load.
 */
static void emit_load_ind(struct xlate *x, __u8 size, uint32_t k, uint32_t xmax, bool host_order,
			  uint32_t base_end)
{
	unsigned int sz = size_bytes(size);

	if (k > MAX_PKT_OFF - sz) {
		emit_always_fail(x, REG_A);
		return;
	}
	if (x->fast) {
		/* R2 = data + X + @base_end, checked where X was loaded */
		emit(x, BPF_LDX | BPF_MEM | size, REG_A, REG_TMP, (__s16)(k - base_end), 0,
		     TGT_NONE);
		if (!host_order)
			emit_to_be(x, REG_A, sz);
		return;
	}
	if (xmax > MAX_PKT_OFF - sz - k)
		emit(x, BPF_JMP | BPF_JGT | BPF_K, x->reg_x, 0, 0, MAX_PKT_OFF - sz - k, TGT_FAIL);
	emit(x, BPF_ALU64 | BPF_MOV | BPF_X, REG_TMP, FILTER_REG_DATA, 0, 0, TGT_NONE);
	emit(x, BPF_ALU64 | BPF_ADD | BPF_X, REG_TMP, x->reg_x, 0, 0, TGT_NONE);
	emit(x, BPF_ALU64 | BPF_ADD | BPF_K, REG_TMP, 0, 0, k + sz, TGT_NONE);
	emit(x, BPF_JMP | BPF_JGT | BPF_X, REG_TMP, FILTER_REG_DATA_END, 0, 0, TGT_FAIL);
	emit(x, BPF_LDX | BPF_MEM | size, REG_A, REG_TMP, -(__s16)sz, 0, TGT_NONE);
	if (!host_order)
		emit_to_be(x, REG_A, sz);
}

static void emit_alu(struct xlate *x, const struct sock_filter *in)
{
	__u8 op = BPF_OP(in->code);

	if (op == BPF_NEG) {
		emit(x, BPF_ALU | BPF_NEG, REG_A, 0, 0, 0, TGT_NONE);
		return;
	}
	if (BPF_SRC(in->code) == BPF_K) {
		/* Checked: no division by 0, no shift by 32 or more. */
		emit(x, BPF_ALU | op | BPF_K, REG_A, 0, 0, (__s32)in->k, TGT_NONE);
		return;
	}
	switch (op) {
	case BPF_DIV:
	case BPF_MOD:
		/* Classic BPF returns 0; eBPF would give 0 or keep A. */
		emit(x, BPF_JMP32 | BPF_JEQ | BPF_K, x->reg_x, 0, 0, 0, TGT_FAIL);
		break;
	case BPF_LSH:
	case BPF_RSH:
		/*
		 * libpcap defines a shift by 32 or more as 0; eBPF masks the
		 * count, so "A << 32" would keep A.
		 */
		emit(x, BPF_JMP32 | BPF_JGT | BPF_K, x->reg_x, 0, 2, 31, TGT_NONE);
		emit(x, BPF_ALU | op | BPF_X, REG_A, x->reg_x, 0, 0, TGT_NONE);
		emit(x, BPF_JMP | BPF_JA, 0, 0, 1, 0, TGT_NONE);
		emit_mov32_imm(x, REG_A, 0);
		return;
	}
	emit(x, BPF_ALU | op | BPF_X, REG_A, x->reg_x, 0, 0, TGT_NONE);
}

static __u8 invert_jmp(__u8 op)
{
	switch (op) {
	case BPF_JEQ:
		return BPF_JNE;
	case BPF_JGT:
		return BPF_JLE;
	default: /* BPF_JGE; jset has no inverse */
		return BPF_JLT;
	}
}

/*
 * The constant of a jeq or jset whose A stays in host order (plan_swaps()).
 * A 16-bit value never equals a k above 0xffff, in either order.
 */
static uint32_t swapped_k(const struct sock_filter *in, uint8_t swap)
{
	uint32_t k = in->k;

	if (swap == 4)
		return __builtin_bswap32(k);
	if (swap != 2)
		return k;
	if (BPF_OP(in->code) == BPF_JSET)
		return __builtin_bswap16(k & 0xffff);
	return k > 0xffff ? k : __builtin_bswap16(k);
}

/* 32-bit compares: A and X are u32 and k must not be sign-extended. */
static void emit_cond(struct xlate *x, size_t i, const struct sock_filter *in)
{
	size_t t = i + 1 + in->jt, f = i + 1 + in->jf;
	__u8 op = BPF_OP(in->code), src = BPF_SRC(in->code);
	__u8 src_reg = src == BPF_X ? x->reg_x : 0;
	__s32 imm = src == BPF_X ? 0 : (__s32)swapped_k(in, x->swap[i]);

	if (t == f) {
		if (in->jt)
			emit_ja(x, t);
		return;
	}
	if (!in->jf) {
		emit(x, BPF_JMP32 | op | src, REG_A, src_reg, 0, imm, t);
	} else if (!in->jt && op != BPF_JSET) {
		emit(x, BPF_JMP32 | invert_jmp(op) | src, REG_A, src_reg, 0, imm, f);
	} else {
		emit(x, BPF_JMP32 | op | src, REG_A, src_reg, 0, imm, t);
		emit_ja(x, f);
	}
}

/*
 * Whether classic insn @i is reached by falling through from the one
 * before it. The fast version leaves its "ret #0" out when not: jumps
 * there go to the checked version's, the fragment's one "no match"
 * (struct filter.nomatch) that an embedding program jumps past.
 */
static bool falls_into(const struct xlate *x, size_t i)
{
	const struct sock_filter *in = &x->prog[i - 1];

	if (!x->reach[i - 1] || BPF_CLASS(in->code) == BPF_RET)
		return false;
	if (BPF_CLASS(in->code) != BPF_JMP)
		return true;
	if (BPF_OP(in->code) == BPF_JA)
		return in->k == 0;
	return in->jt == 0 || in->jf == 0;
}

/*
 * Fast version: R2 = data + X + @bytes, checked at once against the
 * packet's end (too short a packet takes the checked version); its indexed
 * loads read back from it. The check is made on R2 itself, so the verifier
 * knows the range for the loads through it.
 */
static void emit_ind_base(struct xlate *x, uint32_t bytes)
{
	emit(x, BPF_ALU64 | BPF_MOV | BPF_X, REG_TMP, FILTER_REG_DATA, 0, 0, TGT_NONE);
	emit(x, BPF_ALU64 | BPF_ADD | BPF_X, REG_TMP, x->reg_x, 0, 0, TGT_NONE);
	emit(x, BPF_ALU64 | BPF_ADD | BPF_K, REG_TMP, 0, 0, bytes, TGT_NONE);
	emit(x, BPF_JMP | BPF_JGT | BPF_X, REG_TMP, FILTER_REG_DATA_END, 0, 0, TGT_SLOW);
}

static void emit_insn(struct xlate *x, size_t i)
{
	const struct sock_filter *in = &x->prog[i];
	__u8 size = BPF_SIZE(in->code);

	switch (BPF_CLASS(in->code)) {
	case BPF_LD:
		switch (BPF_MODE(in->code)) {
		case BPF_ABS:
			emit_load_abs(x, REG_A, size, in->k, x->fast ? x->abs_max : x->proven[i],
				      x->swap[i]);
			break;
		case BPF_IND:
			emit_load_ind(x, size, in->k, x->xmax[i], x->swap[i], x->ind_end[i]);
			break;
		case BPF_LEN:
			emit_mov32_reg(x, REG_A, FILTER_REG_LEN);
			break;
		case BPF_IMM:
			emit_mov32_imm(x, REG_A, in->k);
			break;
		case BPF_MEM:
			emit(x, BPF_LDX | BPF_MEM | BPF_W, REG_A, BPF_REG_10, mem_off(in->k), 0,
			     TGT_NONE);
			break;
		}
		break;
	case BPF_LDX:
		switch (BPF_MODE(in->code)) {
		case BPF_MSH:
			/* X = 4 * (P[k] & 0xf), the IPv4 header length. */
			if (emit_load_abs(x, x->reg_x, BPF_B, in->k,
					  x->fast ? x->abs_max : x->proven[i], false)) {
				emit(x, BPF_ALU | BPF_AND | BPF_K, x->reg_x, 0, 0, 0xf, TGT_NONE);
				emit(x, BPF_ALU | BPF_LSH | BPF_K, x->reg_x, 0, 0, 2, TGT_NONE);
				if (x->fast && x->ind_base[i])
					emit_ind_base(x, x->ind_base[i]);
			}
			break;
		case BPF_LEN:
			emit_mov32_reg(x, x->reg_x, FILTER_REG_LEN);
			break;
		case BPF_IMM:
			emit_mov32_imm(x, x->reg_x, in->k);
			break;
		case BPF_MEM:
			emit(x, BPF_LDX | BPF_MEM | BPF_W, x->reg_x, BPF_REG_10, mem_off(in->k), 0,
			     TGT_NONE);
			break;
		}
		break;
	case BPF_ST:
	case BPF_STX:
		emit(x, BPF_STX | BPF_MEM | BPF_W, BPF_REG_10,
		     BPF_CLASS(in->code) == BPF_ST ? REG_A : x->reg_x, mem_off(in->k), 0, TGT_NONE);
		break;
	case BPF_ALU:
		emit_alu(x, in);
		break;
	case BPF_JMP:
		if (BPF_OP(in->code) == BPF_JA)
			emit_ja(x, i + 1 + in->k);
		else
			emit_cond(x, i, in);
		break;
	case BPF_RET:
		if (BPF_RVAL(in->code) == BPF_K)
			emit_mov32_imm(x, REG_A, in->k);
		emit_ja(x, TGT_END);
		break;
	case BPF_MISC:
		if (BPF_MISCOP(in->code) == BPF_TAX)
			emit_mov32_reg(x, x->reg_x, REG_A);
		else
			emit_mov32_reg(x, REG_A, x->reg_x);
		break;
	}
}

static void emit_prologue(struct xlate *x)
{
	if (x->need_init & ST_A)
		emit_mov32_imm(x, REG_A, 0);
	if (x->need_init & ST_X)
		emit_mov32_imm(x, x->reg_x, 0);
	for (uint32_t k = 0; k < BPF_MEMWORDS; k++)
		if (x->need_init & (1u << k))
			emit(x, BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, mem_off(k), 0, TGT_NONE);
}

/* Places "return 0" and the end, then turns symbolic targets into offsets. */
static int resolve(struct xlate *x)
{
	const struct jump *last = x->n_jumps ? &x->jumps[x->n_jumps - 1] : NULL;
	size_t fail = 0, pos;

	if (x->fail_used && x->ret0 < 0) {
		fail = x->out.n;
		emit_mov32_imm(x, REG_A, 0);
	} else if (last && last->at + 1 == x->out.n && last->target == TGT_END) {
		/* The last "goto end" would jump to the next instruction. */
		x->out.n--;
		x->n_jumps--;
	}
	if (x->ret0 >= 0)
		fail = x->start[x->ret0];
	x->nomatch = x->fail_used || x->ret0 >= 0 ? (long)fail : -1;
	if (x->out.oom)
		return err_set(-ENOMEM, "filter: out of memory");
	if (x->overflow)
		return err_set(-EFAULT,
			       "filter: translation has more jumps than instructions (a bug)");

	for (size_t j = 0; j < x->n_jumps; j++) {
		switch (x->jumps[j].target) {
		case TGT_END:
			pos = x->out.n;
			break;
		case TGT_FAIL:
			pos = fail;
			break;
		case TGT_SLOW:
			pos = x->slow_begin;
			break;
		default:
			pos = x->jumps[j].target >= (int)x->n ?
				      x->start_fast[x->jumps[j].target - x->n] :
				      x->start[x->jumps[j].target];
		}
		insn_buf__patch(&x->out, x->jumps[j].at, pos);
	}
	return 0;
}

/* The translation's tables for an @n-instruction program: 0 or -ENOMEM. */
static int xlate_alloc(struct xlate *x, size_t n)
{
	/* room for both versions (plan_fast()) and the checks they add */
	x->max_jumps = 3 * MAX_OUT(n);
	x->reach = calloc(n, sizeof(*x->reach));
	x->written = calloc(n, sizeof(*x->written));
	x->proven = calloc(n, sizeof(*x->proven));
	x->xmax = calloc(n, sizeof(*x->xmax));
	x->swap = calloc(n, sizeof(*x->swap));
	x->start = calloc(n, sizeof(*x->start));
	x->start_fast = calloc(n, sizeof(*x->start_fast));
	x->ind_base = calloc(n, sizeof(*x->ind_base));
	x->ind_end = calloc(n, sizeof(*x->ind_end));
	x->jumps = calloc(x->max_jumps, sizeof(*x->jumps));
	if (!x->reach || !x->written || !x->proven || !x->xmax || !x->swap || !x->start ||
	    !x->start_fast || !x->ind_base || !x->ind_end || !x->jumps)
		return -ENOMEM;
	return 0;
}

static void xlate_free(struct xlate *x)
{
	free(x->reach);
	free(x->written);
	free(x->proven);
	free(x->xmax);
	free(x->swap);
	free(x->start);
	free(x->start_fast);
	free(x->ind_base);
	free(x->ind_end);
	free(x->jumps);
	insn_buf__free(&x->out);
}

/*
 * The eBPF program: with @fast, first the version without per-load bounds
 * checks (one check up front, falling back to the slow one), then the
 * version that checks each load.
 */
static void xlate_emit(struct xlate *x, bool fast)
{
	size_t n = x->n;

	emit_prologue(x);
	if (fast) {
		x->fast = true;
		if (x->abs_max) {
			emit(x, BPF_ALU64 | BPF_MOV | BPF_X, REG_TMP, FILTER_REG_DATA, 0, 0,
			     TGT_NONE);
			emit(x, BPF_ALU64 | BPF_ADD | BPF_K, REG_TMP, 0, 0, x->abs_max, TGT_NONE);
			emit(x, BPF_JMP | BPF_JGT | BPF_X, REG_TMP, FILTER_REG_DATA_END, 0, 0,
			     TGT_SLOW);
		}
		x->fast_ret0_gone = x->ret0 > 0 && !falls_into(x, x->ret0);
		for (size_t i = 0; i < n; i++) {
			x->start_fast[i] = x->out.n;
			if (x->reach[i] && !(x->fast_ret0_gone && (long)i == x->ret0))
				emit_insn(x, i);
		}
		x->fast = false;
		x->slow_begin = x->out.n;
		emit_prologue(x);
	}
	for (size_t i = 0; i < n; i++) {
		x->start[i] = x->out.n;
		if (x->reach[i])
			emit_insn(x, i);
	}
}

int filter__translate(const struct sock_filter *insns, size_t n, struct filter *f)
{
	struct xlate x = { .prog = insns, .n = n };
	bool fast;
	int err;

	memset(f, 0, sizeof(*f));
	err = check_program(insns, n);
	if (err)
		return err;
	f->cbpf = calloc(n, sizeof(*f->cbpf));
	if (xlate_alloc(&x, n) || !f->cbpf) {
		err = err_set(-ENOMEM, "filter: out of memory");
		goto out;
	}

	/* X where the length would be, when the program never reads the length */
	for (size_t i = 0; i < n; i++)
		x.uses_len |= insns[i].code == (BPF_LD | BPF_W | BPF_LEN) ||
			      insns[i].code == (BPF_LDX | BPF_W | BPF_LEN);
	x.reg_x = x.uses_len ? BPF_REG_1 : FILTER_REG_LEN;
	analyse(&x);
	err = plan_swaps(&x);
	if (!err)
		err = plan_fast(&x, &fast);
	if (err) {
		err = err_set(err, "filter: out of memory");
		goto out;
	}
	xlate_emit(&x, fast);
	err = resolve(&x);
	if (err)
		goto out;

	memcpy(f->cbpf, insns, n * sizeof(*insns));
	f->cbpf_n = n;
	f->insns = x.out.v;
	f->n = x.out.n;
	f->uses_len = x.uses_len;
	f->reg_x = x.reg_x;
	f->nomatch = x.nomatch;
	x.out.v = NULL;
out:
	if (err)
		filter__free(f);
	xlate_free(&x);
	return err;
}

int filter__compile(const char *expr, unsigned int snaplen, struct filter *f)
{
	const struct pcaplib *pcap = pcaplib();
	struct bpf_program prog = {};
	pcap_t *p;
	int err;

	memset(f, 0, sizeof(*f));
	if (!pcap)
		return -ENOENT; /* err_last() says why */
	if (!expr)
		expr = "";
	if (!snaplen)
		snaplen = FILTER_SNAPLEN_MAX;
	p = pcap->open_dead(DLT_EN10MB, snaplen);
	if (!p)
		return err_set(-ENOMEM, "filter: libpcap could not open a dead handle");
	/*
	 * A dead handle is not live, so libpcap reads VLAN tags from the
	 * packet rather than Linux metadata; "inbound" or "ifindex" still
	 * compile to ancillary loads, which the translation refuses.
	 */
	if (pcap->compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		err = err_set(-EINVAL, "bad filter expression '%s': %s", expr, pcap->geterr(p));
		goto out;
	}
	err = filter__translate(prog.bf_insns, prog.bf_len, f);
	pcap->freecode(&prog);
out:
	pcap->close(p);
	return err;
}

unsigned int filter__run_classic(const struct filter *f, const void *pkt, unsigned int caplen,
				 unsigned int wirelen)
{
	struct bpf_program prog = { .bf_len = f->cbpf_n, .bf_insns = f->cbpf };
	struct pcap_pkthdr hdr = { .caplen = caplen, .len = wirelen };
	const struct pcaplib *pcap = pcaplib();

	/* libpcap's interpreter aborts on unknown opcodes: only checked programs. */
	if (!f->cbpf || !pcap)
		return 0;
	return (unsigned int)pcap->offline_filter(&prog, &hdr, pkt);
}

void filter__free(struct filter *f)
{
	free(f->insns);
	free(f->cbpf);
	memset(f, 0, sizeof(*f));
}
