/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef __XDPCHAIN_COMMANDS_H
#define __XDPCHAIN_COMMANDS_H

#include "params.h"

/* Exit codes, as xdpcap and most CLIs. */
#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2
/* apply --dry-run: applying would change a chain (0: it would change nothing) */
#define EXIT_WOULD_CHANGE 3
/* apply --dry-run: it would change a chain, but this kernel cannot build chains */
#define EXIT_CANNOT_CHAIN 4

struct command {
	const struct cmd_desc *desc;
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
};

int do_add(int argc, char **argv);
int do_remove(int argc, char **argv);
int do_status(int argc, char **argv);
int do_flush(int argc, char **argv);
int do_features(int argc, char **argv);
int do_capture(int argc, char **argv);
int do_cleanup(int argc, char **argv);
int do_top(int argc, char **argv);
int do_save(int argc, char **argv);
int do_apply(int argc, char **argv);
int do_metrics(int argc, char **argv);
int do_replay(int argc, char **argv);
int do_show(int argc, char **argv);

extern const struct cmd_desc add_desc, remove_desc, status_desc, flush_desc, features_desc,
	capture_desc, cleanup_desc, top_desc, save_desc, apply_desc, metrics_desc, replay_desc,
	show_desc;

/* Parses argv for @desc into @cfg and sets the log level; returns an exit
 * code to stop with, or -1 to go on. */
int cmd_parse(const struct cmd_desc *desc, int argc, char **argv, void *cfg);
/* Prints err_last() for @cmd and returns EXIT_FAIL. */
int cmd_fail(const char *cmd);
/* Prints a usage error of @cmd (JSON under -j) and returns EXIT_USAGE. */
int cmd_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct chain;
/*
 * IFACE's chain, read by @read, to @one (a read error is the command's), or
 * without IFACE every interface's to @any (chain__for_each()). 0 or -errno.
 */
int cmd_chains(const char *ifname, int (*read)(const char *ifname, struct chain *c),
	       int (*one)(const struct chain *c, void *ctx),
	       int (*any)(const struct chain *c, void *ctx), void *ctx);

#endif
