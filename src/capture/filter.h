/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Packet filters for capture: a tcpdump expression is compiled to classic
 * BPF by libpcap, then translated into an eBPF fragment that the capture
 * program generated at run time embeds.
 *
 * Classic programs are held as struct sock_filter (<linux/filter.h>): it
 * has the layout of libpcap's struct bpf_insn, whose name clashes with the
 * eBPF struct bpf_insn of <linux/bpf.h> used here. Only filter.c talks to
 * libpcap.
 *
 * Register contract of the fragment in struct filter.insns:
 *  - on entry R4 = ctx->data, R5 = ctx->data_end and, when struct
 *    filter.uses_len says it reads it, R3 = the packet length classic
 *    BPF's "len" sees; the fragment keeps R4-R9 and R10 unchanged;
 *  - it may clobber R0, R2, its X register (struct filter.reg_x: R3 when
 *    it does not read the length, so R1, the program's context, lives
 *    through it; else R1) and the stack from fp-64 to fp-1
 *    (FILTER_STACK_SIZE: the classic scratch words M[0..15]); it calls no
 *    helpers. Its registers are all caller-saved ones: a program running
 *    it needs no callee-saved register (each costs a push and a pop on
 *    every run) unless it wants one for itself;
 *  - it ends by falling through to the instruction after its last one, with
 *    R0 = the classic program's return value: 0 = no match, otherwise the
 *    snap length asked for;
 *  - jumps to its instruction struct filter.nomatch (when >= 0) are for
 *    packets it refuses: that instruction sets R0 = 0 and goes on to the
 *    end, doing nothing else, so the embedding program may point those
 *    jumps at its own no-match exit instead.
 */
#ifndef __XDPCHAIN_FILTER_H
#define __XDPCHAIN_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/bpf.h>
#include <linux/filter.h>

#define FILTER_REG_LEN BPF_REG_3
#define FILTER_REG_DATA BPF_REG_4
#define FILTER_REG_DATA_END BPF_REG_5
/* Bytes below the frame pointer the fragment may use. */
#define FILTER_STACK_SIZE (BPF_MEMWORDS * 4)
/* libpcap's largest snap length: what filter__compile() uses for 0. */
#define FILTER_SNAPLEN_MAX 262144

struct filter {
	struct bpf_insn *insns; /* the eBPF fragment */
	size_t n;
	bool uses_len; /* the fragment reads FILTER_REG_LEN */
	__u8 reg_x; /* the register it keeps X in, which it clobbers: R3 or R1 */
	long nomatch; /* the "R0 = 0" of refused packets, or -1 (see above) */
	struct sock_filter *cbpf; /* the classic program it was made from */
	size_t cbpf_n;
};

/*
 * Compiles @expr (tcpdump syntax; "" or NULL matches everything) for
 * Ethernet with libpcap's optimiser, matching packets asking for @snaplen
 * bytes (0: FILTER_SNAPLEN_MAX), and translates it. Returns 0 or a negative
 * errno with err_set(): libpcap's message for a bad expression, or which
 * classic instruction cannot be translated and why.
 */
int filter__compile(const char *expr, unsigned int snaplen, struct filter *f);

/*
 * Translates any classic BPF program, as libpcap or a user wrote it.
 * Returns 0, -EINVAL for a program that is not valid classic BPF,
 * -EOPNOTSUPP for valid classic BPF that XDP cannot run (Linux ancillary
 * loads, backward jumps), -ENOMEM.
 */
int filter__translate(const struct sock_filter *insns, size_t n, struct filter *f);

/*
 * Runs the classic program of @f on @pkt in libpcap's interpreter: the
 * reference the fragment must agree with. @caplen bytes are present,
 * @wirelen is what "len" sees.
 */
unsigned int filter__run_classic(const struct filter *f, const void *pkt, unsigned int caplen,
				 unsigned int wirelen);

void filter__free(struct filter *f);

#endif
