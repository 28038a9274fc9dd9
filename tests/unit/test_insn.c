// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The shared instruction emitter of the generated programs: it grows
 * without losing or reordering instructions, patches jumps to land where
 * asked, and turns running out of memory into one flag checked at the end.
 */
#include <stdint.h>

#include "insn.h"
#include "unit.h"

TEST(insn_buf_grows_in_order)
{
	struct insn_buf b = {};

	for (int i = 0; i < 1000; i++)
		insn_buf__emit(&b, MOV64_IMM(BPF_REG_0, i));
	unit_autofree(b.v);
	CHECK(!b.oom);
	CHECK_EQ_INT(b.n, 1000);
	CHECK(b.cap >= b.n);
	for (int i = 0; i < 1000; i++) {
		CHECK_EQ_INT(b.v[i].code, BPF_ALU64 | BPF_MOV | BPF_K);
		CHECK_EQ_INT(b.v[i].imm, i);
	}
}

TEST(insn_emit_macro_and_patch)
{
	struct insn_buf b = {};
	size_t jmp;

	EMIT(&b, MOV64_IMM(BPF_REG_0, 1));
	jmp = b.n;
	EMIT(&b, JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 0), LD_MAP_FD(BPF_REG_1, 7), EXIT_INSN());
	unit_autofree(b.v);
	CHECK_EQ_INT(b.n, 5);
	/* a map fd load is two instructions, the second all zero */
	CHECK_EQ_INT(b.v[2].code, BPF_LD | BPF_DW | BPF_IMM);
	CHECK_EQ_INT(b.v[2].src_reg, BPF_PSEUDO_MAP_FD);
	CHECK_EQ_INT(b.v[2].imm, 7);
	CHECK_EQ_INT(b.v[3].code, 0);
	/* offsets count from the instruction after the jump */
	insn_buf__patch(&b, jmp, 4);
	CHECK_EQ_INT(b.v[jmp].off, 2);
	insn_buf__patch(&b, jmp, b.n);
	CHECK_EQ_INT(b.v[jmp].off, 3);
	/* outside the buffer: nothing to patch */
	insn_buf__patch(&b, b.n, 0);
	CHECK_EQ_INT(b.v[jmp].off, 3);
}

TEST(insn_buf_out_of_memory_is_sticky)
{
	/* a buffer that cannot double any more stands for a failed realloc */
	size_t huge = SIZE_MAX / sizeof(struct bpf_insn) / 2 + 1;
	struct insn_buf b = { .n = huge, .cap = huge };

	insn_buf__emit(&b, EXIT_INSN());
	CHECK(b.oom);
	CHECK_EQ_INT(b.n, huge);
	insn_buf__patch(&b, 0, 1); /* no buffer behind it: must not touch it */
	insn_buf__free(&b);
	CHECK(!b.v && !b.n && !b.cap && !b.oom);
}
