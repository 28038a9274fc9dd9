// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "insn.h"

/* Room for one more of the @size-byte elements at *@v (@n in use, @cap allocated). */
static bool grow(struct insn_buf *b, void **v, size_t n, size_t *cap, size_t size, size_t first)
{
	size_t c = *cap ? 2 * *cap : first;
	void *nv = NULL;

	if (b->oom)
		return false;
	if (n < *cap)
		return true;
	if (c <= SIZE_MAX / size && c > *cap)
		nv = realloc(*v, c * size);
	if (!nv) {
		b->oom = true;
		return false;
	}
	*v = nv;
	*cap = c;
	return true;
}

void insn_buf__emit(struct insn_buf *b, struct bpf_insn insn)
{
	if (grow(b, (void **)&b->v, b->n, &b->cap, sizeof(*b->v), 256))
		b->v[b->n++] = insn;
}

int insn_buf__label(struct insn_buf *b)
{
	if (b->nlabels == INT32_MAX ||
	    !grow(b, (void **)&b->label_at, b->nlabels, &b->label_cap, sizeof(*b->label_at), 16))
		return -1;
	b->label_at[b->nlabels] = -1;
	return b->nlabels++;
}

void insn_buf__bind(struct insn_buf *b, int label)
{
	if (b->oom)
		return;
	if (label < 0 || label >= b->nlabels || b->label_at[label] >= 0)
		b->bad_label = true;
	else
		b->label_at[label] = b->n;
}

void insn_buf__jmp(struct insn_buf *b, struct bpf_insn jmp, int label)
{
	if (!grow(b, (void **)&b->fix, b->nfix, &b->fix_cap, sizeof(*b->fix), 16))
		return;
	b->fix[b->nfix++] = (struct insn_fixup){ .at = b->n, .label = label };
	jmp.off = 0;
	insn_buf__emit(b, jmp);
}

int insn_buf__resolve(struct insn_buf *b)
{
	long off;

	if (b->oom)
		return -ENOMEM;
	if (b->bad_label)
		return -EINVAL;
	for (size_t i = 0; i < b->nfix; i++) {
		const struct insn_fixup *x = &b->fix[i];

		if (x->label < 0 || x->label >= b->nlabels || b->label_at[x->label] < 0)
			return -EINVAL;
		off = b->label_at[x->label] - (long)(x->at + 1);
		if (off < INT16_MIN || off > INT16_MAX)
			return -ERANGE;
		b->v[x->at].off = off;
	}
	return 0;
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
	free(b->label_at);
	free(b->fix);
	memset(b, 0, sizeof(*b));
}
