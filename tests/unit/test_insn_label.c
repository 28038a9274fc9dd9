// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Labels of the instruction emitter: a jump names where it goes before that
 * place exists; insn_buf__resolve() gives every jump its offset at the end
 * and refuses a label that was never bound.
 */
#include <errno.h>
#include <stdint.h>

#include "insn.h"
#include "unit.h"

TEST(insn_label_forward_and_backward_jumps)
{
	struct insn_buf b = {};
	int out = insn_buf__label(&b), top = insn_buf__label(&b);

	insn_buf__bind(&b, top);
	EMIT(&b, MOV64_IMM(BPF_REG_0, 0)); /* 0: top */
	insn_buf__jmp(&b, JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 99), out); /* 1 */
	EMIT(&b, ALU64_IMM(BPF_ADD, BPF_REG_0, 1)); /* 2 */
	insn_buf__jmp(&b, JMP_A(0), top); /* 3: back to 0 */
	insn_buf__jmp(&b, JMP_A(0), out); /* 4 */
	insn_buf__bind(&b, out);
	EMIT(&b, EXIT_INSN()); /* 5: out */
	CHECK_EQ_INT(insn_buf__resolve(&b), 0);
	CHECK_EQ_INT(b.n, 6);
	CHECK_EQ_INT(b.v[1].off, 3); /* 1 + 1 + 3 = 5 */
	CHECK_EQ_INT(b.v[1].imm, 0);
	CHECK_EQ_INT(b.v[1].code, BPF_JMP | BPF_JEQ | BPF_K);
	CHECK_EQ_INT(b.v[3].off, -4); /* 3 + 1 - 4 = 0 */
	CHECK_EQ_INT(b.v[4].off, 0); /* the next one */
	insn_buf__free(&b);
	CHECK(!b.v && !b.label_at && !b.fix && !b.nlabels);
}

TEST(insn_label_unbound_or_bound_twice_is_an_error)
{
	struct insn_buf b = {};
	int nowhere = insn_buf__label(&b), twice;

	insn_buf__jmp(&b, JMP_A(0), nowhere);
	EMIT(&b, EXIT_INSN());
	CHECK_EQ_INT(insn_buf__resolve(&b), -EINVAL);
	insn_buf__free(&b);

	twice = insn_buf__label(&b);
	insn_buf__bind(&b, twice);
	insn_buf__jmp(&b, JMP_A(0), twice);
	insn_buf__bind(&b, twice);
	EMIT(&b, EXIT_INSN());
	CHECK_EQ_INT(insn_buf__resolve(&b), -EINVAL);
	insn_buf__free(&b);

	insn_buf__jmp(&b, JMP_A(0), 5); /* no such label */
	CHECK_EQ_INT(insn_buf__resolve(&b), -EINVAL);
	insn_buf__free(&b);
}

TEST(insn_label_too_far_is_an_error)
{
	struct insn_buf b = {};
	int far = insn_buf__label(&b);

	insn_buf__jmp(&b, JMP_A(0), far);
	for (int i = 0; i < INT16_MAX + 1; i++)
		EMIT(&b, MOV64_IMM(BPF_REG_0, i));
	insn_buf__bind(&b, far);
	EMIT(&b, EXIT_INSN());
	CHECK_EQ_INT(insn_buf__resolve(&b), -ERANGE);
	insn_buf__free(&b);
}
