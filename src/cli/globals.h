/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The options every command takes (-v, -j, -p, -n), set by params_parse()
 * and read by the output helpers and the commands: below both, so the
 * parser can print errors (output.h) and the printers can see -j.
 */
#ifndef __XDPCHAIN_GLOBALS_H
#define __XDPCHAIN_GLOBALS_H

#include <stdbool.h>

struct global_opts {
	int verbose;
	bool json;
	bool pretty;
	bool errors_to_stderr; /* stdout is data (capture -w -): JSON errors go to stderr */
	const char *netns; /* -n/--netns: joined by cmd_parse() */
};

extern struct global_opts g_opts;

#endif
