/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef __XDPCHAIN_NOTES_H
#define __XDPCHAIN_NOTES_H
#include <stddef.h>
#include "log.h"

/*
 * What a library call has to tell the operator besides its result ("removed
 * a capture program left by a killed run", "counting is off until ..."),
 * carried back in the caller's result struct. Library code never prints:
 * it adds notes; the command prints them (notes_print) where its output
 * wants them. A note that cannot be stored (no memory) is dropped: notes
 * inform, they never decide. A note is one line, without its newline.
 */
struct note {
	enum log_level level;
	char *text;
};

struct notes {
	struct note *v;
	size_t n;
};

/* clang-format 14 and 19 lay out brace macros differently: kept as written */
// clang-format off
#define NOTES_INIT { 0 }
// clang-format on

void notes_add(struct notes *notes, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Appends all of src's notes to dst, leaving src empty. */
void notes_move(struct notes *dst, struct notes *src);
/* Prints each note as a line through log_msg at its level, in order, and frees them. */
void notes_print(struct notes *notes);
void notes_free(struct notes *notes);

#endif
