/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Declarative command-line options: each command describes its options and
 * positional arguments in one table; parsing, --help, the bash completion,
 * the man page (manpage.c) and the docs checks in the tests all read that
 * table.
 */
#ifndef __XDPCHAIN_PARAMS_H
#define __XDPCHAIN_PARAMS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include "globals.h" /* g_opts: set by params_parse() */
#include "xdp_action.h"

enum param_type {
	PT_FLAG, /* bool */
	PT_U32, /* __u32, bounded by .max */
	PT_STR, /* const char * */
	PT_ACTIONS, /* __u32 bit mask of XDP actions: "pass,drop" */
	PT_MODE, /* enum xdp_attach_mode: skb|native */
};

#define PARAM_NO_SET ((size_t)-1)

struct param {
	const char *name; /* long name; NULL ends the table */
	char short_name; /* 0: none */
	enum param_type type;
	size_t off; /* where the value goes in the command's config */
	size_t set_off; /* a bool set to true when given, or PARAM_NO_SET */
	const char *metavar;
	const char *help;
	unsigned long max; /* PT_U32 only */
};

struct positional {
	const char *name; /* NULL ends the table */
	size_t off; /* const char * in the config, or struct rest_args if .rest */
	bool optional;
	const char *help;
	bool rest; /* takes every remaining argument (the last entry only) */
};

/* clang-format 14 and 19 lay out brace macros differently: kept as written */
// clang-format off
/* The end of an option table. */
#define PARAMS_END { NULL, 0, 0, 0, 0, NULL, NULL, 0 }

/* The IFACE argument most commands take first, into @cfg_type's ifname. */
#define ARG_IFACE(cfg_type, opt, help_text) \
	{ .name = "IFACE", .off = offsetof(cfg_type, ifname), .optional = (opt), \
	  .help = (help_text) }
// clang-format on
#define IFACE_HELP "network interface"
#define IFACE_ANY_HELP \
	"network interface (default: every interface with an XDP program or xdpchain state)"

struct rest_args {
	int argc;
	char **argv;
};

struct cmd_desc {
	const char *name;
	const char *summary; /* one line */
	const char *details; /* optional paragraph after the options */
	const struct param *params;
	const struct positional *args;
};

enum params_result {
	PARAMS_OK = 0,
	PARAMS_HELP = 1, /* --help was printed: exit 0 */
	PARAMS_USAGE = -1, /* a message was printed: exit 2 */
};

int params_parse(const struct cmd_desc *cmd, int argc, char **argv, void *cfg);
/*
 * Prints a usage error of @cmd (NULL: of xdpchain itself) with where to
 * look, as JSON on stdout under -j; returns PARAMS_USAGE.
 */
int params_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int params_usage_verror(const char *cmd, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Whether @argv holds -j/-p (before any "--"): usage errors found before it are JSON too. */
bool params_argv_wants_json(int argc, char **argv);
void params_usage(FILE *out, const char *prog, const struct cmd_desc *cmd);
/* The options every command takes (-v, -j, -p, -h); ends with a NULL name. */
const struct param *params_globals(void);
/* What --help shows after an option that takes a value ("N", "skb|native"). */
const char *params_metavar(const struct param *p);
/* Every option of @cmd as shell words (" --name -n ..."), for completion. */
void params_complete_words(FILE *out, const struct cmd_desc *cmd);

#endif
