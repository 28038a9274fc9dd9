/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Building eBPF instructions by hand, for the programs xdpchain generates at
 * run time (capture programs with a tcpdump filter compiled in). The names
 * follow the kernel's internal include/linux/filter.h, which user space
 * does not get. One emitter serves every generator (capture.c, filter.c).
 */
#ifndef __XDPCHAIN_INSN_H
#define __XDPCHAIN_INSN_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/bpf.h>

#define INSN(CODE, DST, SRC, OFF, IMM) \
	((struct bpf_insn){            \
		.code = (CODE), .dst_reg = (DST), .src_reg = (SRC), .off = (OFF), .imm = (IMM) })

#define MOV64_REG(DST, SRC) INSN(BPF_ALU64 | BPF_MOV | BPF_X, DST, SRC, 0, 0)
#define MOV64_IMM(DST, IMM) INSN(BPF_ALU64 | BPF_MOV | BPF_K, DST, 0, 0, IMM)
#define MOV32_IMM(DST, IMM) INSN(BPF_ALU | BPF_MOV | BPF_K, DST, 0, 0, IMM)
#define ALU64_REG(OP, DST, SRC) INSN(BPF_ALU64 | BPF_OP(OP) | BPF_X, DST, SRC, 0, 0)
#define ALU64_IMM(OP, DST, IMM) INSN(BPF_ALU64 | BPF_OP(OP) | BPF_K, DST, 0, 0, IMM)
#define LDX_MEM(SIZE, DST, SRC, OFF) INSN(BPF_LDX | BPF_SIZE(SIZE) | BPF_MEM, DST, SRC, OFF, 0)
#define STX_MEM(SIZE, DST, SRC, OFF) INSN(BPF_STX | BPF_SIZE(SIZE) | BPF_MEM, DST, SRC, OFF, 0)
#define ST_MEM(SIZE, DST, OFF, IMM) INSN(BPF_ST | BPF_SIZE(SIZE) | BPF_MEM, DST, 0, OFF, IMM)
#define JMP_IMM(OP, DST, IMM, OFF) INSN(BPF_JMP | BPF_OP(OP) | BPF_K, DST, 0, OFF, IMM)
#define JMP_REG(OP, DST, SRC, OFF) INSN(BPF_JMP | BPF_OP(OP) | BPF_X, DST, SRC, OFF, 0)
#define JMP_A(OFF) INSN(BPF_JMP | BPF_JA, 0, 0, OFF, 0)
#define CALL(FUNC) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, FUNC)
#define EXIT_INSN() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
/* Two instructions: a map's fd, turned into the map by the kernel. */
#define LD_MAP_FD(DST, FD) \
	INSN(BPF_LD | BPF_DW | BPF_IMM, DST, BPF_PSEUDO_MAP_FD, 0, FD), INSN(0, 0, 0, 0, 0)

/* A jump waiting for its label's place (insn_buf__resolve()). */
struct insn_fixup {
	size_t at; /* the jump's index */
	int label;
};

/*
 * A growing buffer of instructions. Emitting cannot fail on the spot: when
 * memory runs out, @oom is set and later instructions are dropped, so a
 * generator checks once, at its end, instead of after every instruction.
 * Jumps may name a label instead of an offset: a generator emits its steps
 * in order, binds each label where its code begins, and resolves them all
 * at the end.
 */
struct insn_buf {
	struct bpf_insn *v;
	size_t n, cap;
	bool oom;
	bool bad_label; /* a label bound twice, or one that does not exist */
	long *label_at; /* each label's instruction index; -1 while unbound */
	int nlabels;
	size_t label_cap;
	struct insn_fixup *fix;
	size_t nfix, fix_cap;
};

void insn_buf__emit(struct insn_buf *b, struct bpf_insn insn);
/* Points the jump at index @at to land on instruction index @target. */
void insn_buf__patch(struct insn_buf *b, size_t at, size_t target);
/* A new label, bound nowhere yet (or -1 with @oom set). */
int insn_buf__label(struct insn_buf *b);
/* Binds @label to the next instruction emitted. */
void insn_buf__bind(struct insn_buf *b, int label);
/* Emits the jump @jmp (its offset ignored) to land where @label is bound. */
void insn_buf__jmp(struct insn_buf *b, struct bpf_insn jmp, int label);
/*
 * Gives each jump to a label its offset, forward or backward. 0, -ENOMEM
 * when emitting ran out of memory, -EINVAL for a label jumped to but never
 * bound (or bound twice), -ERANGE for an offset a jump cannot hold.
 */
int insn_buf__resolve(struct insn_buf *b);
/* Frees the instructions and labels; the buffer is empty and usable again. */
void insn_buf__free(struct insn_buf *b);

/* Emits one or more instructions: EMIT(b, MOV64_IMM(...), EXIT_INSN()). */
#define EMIT(b, ...)                                                            \
	do {                                                                    \
		const struct bpf_insn __i[] = { __VA_ARGS__ };                  \
		for (size_t __k = 0; __k < sizeof(__i) / sizeof(__i[0]); __k++) \
			insn_buf__emit(b, __i[__k]);                            \
	} while (0)

#endif
