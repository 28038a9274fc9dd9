// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "insn.h"

void insn_buf__emit(struct insn_buf *b, struct bpf_insn insn)
{
	if (b->oom)
		return;
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 256;
		struct bpf_insn *v = NULL;

		if (cap <= SIZE_MAX / sizeof(*v) && cap > b->cap)
			v = realloc(b->v, cap * sizeof(*v));
		if (!v) {
			b->oom = true;
			return;
		}
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n++] = insn;
}

void insn_buf__patch(struct insn_buf *b, size_t at, size_t target)
{
	if (b->oom || at >= b->n)
		return;
	b->v[at].off = (long)target - (long)(at + 1);
}

void insn_buf__free(struct insn_buf *b)
{
	free(b->v);
	memset(b, 0, sizeof(*b));
}
