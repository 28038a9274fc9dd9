// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "notes.h"

void notes_add(struct notes *notes, enum log_level level, const char *fmt, ...)
{
	struct note *v;
	char *text;
	va_list ap;
	int len;

	if (!notes)
		return;
	va_start(ap, fmt);
	len = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	v = realloc(notes->v, (notes->n + 1) * sizeof(*v));
	if (!v) {
		free(text);
		return;
	}
	v[notes->n].level = level;
	v[notes->n].text = text;
	notes->v = v;
	notes->n++;
}

void notes_move(struct notes *dst, struct notes *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		notes_add(dst, src->v[i].level, "%s", src->v[i].text);
	notes_free(src);
}

void notes_print(struct notes *notes)
{
	size_t i;

	for (i = 0; i < notes->n; i++)
		log_msg(notes->v[i].level, "%s\n", notes->v[i].text);
	notes_free(notes);
}

void notes_free(struct notes *notes)
{
	size_t i;

	for (i = 0; i < notes->n; i++)
		free(notes->v[i].text);
	free(notes->v);
	notes->v = NULL;
	notes->n = 0;
}
