/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * xdpchain(8) in roff, from the command and option tables --help and the
 * bash completion read: the manual cannot drift from the tool.
 */
#ifndef __XDPCHAIN_MANPAGE_H
#define __XDPCHAIN_MANPAGE_H

#include <stddef.h>
#include <stdio.h>

#include "params.h"

/*
 * Writes the page for the commands @cmds (in that order) to @out. @date goes
 * into the title line (NULL or "" for none). Returns 0, or -EIO when @out
 * failed.
 */
int manpage_write(FILE *out, const struct cmd_desc *const *cmds, size_t n, const char *date);

/*
 * xdpchain.conf(5): the chain-file format and the metric names, from their
 * tables (chainfile_keys.h, metrics.h). 0, or -EIO when @out failed.
 */
int manpage_conf_write(FILE *out, const char *date);

/* After .TH: no hyphenation, ragged right. */
extern const char manpage_layout[];

/*
 * @s as roff text: backslashes, dashes and control characters at the start of
 * a line escaped, `code` set in bold. For unit tests too.
 */
void manpage_text(FILE *out, const char *s);

#endif
