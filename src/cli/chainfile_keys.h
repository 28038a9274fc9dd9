/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The keys of a chain file, by where they stand, for xdpchain.conf(5).
 * chainfile.c's parser does not read this list yet (its key handlers are
 * being made a table of their own); until it does, a unit test checks that
 * the keys the parser names as known are exactly these, in this order.
 */
#ifndef __XDPCHAIN_CHAINFILE_KEYS_H
#define __XDPCHAIN_CHAINFILE_KEYS_H

#include <stdbool.h>

enum chainfile_level {
	CF_FILE, /* the document's top mapping */
	CF_IFACE, /* under interfaces: NAME: */
	CF_PROGRAM, /* an item of programs: */
	CF_NR_LEVELS,
};

struct chainfile_key {
	enum chainfile_level level;
	const char *name;
	const char *value; /* what it takes, as the page shows it */
	bool required;
	const char *help; /* manpage_text(): `code` in backquotes */
};

/* Ends with an entry whose name is NULL. */
extern const struct chainfile_key chainfile_keys[];

#endif
