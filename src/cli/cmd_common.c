// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* What every command does the same way: parse its options, report failure. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "chain.h"
#include "commands.h"
#include "log.h"
#include "netns.h"
#include "output.h"

int cmd_parse(const struct cmd_desc *desc, int argc, char **argv, void *cfg)
{
	int ret = params_parse(desc, argc, argv, cfg);

	if (ret == PARAMS_HELP)
		return EXIT_OK;
	if (ret == PARAMS_USAGE)
		return EXIT_USAGE;
	log_set_level(g_opts.verbose >= 2 ? LOG_LIB : g_opts.verbose ? LOG_DEBUG : LOG_INFO);
	/* before anything reads an interface: ifindexes are per namespace */
	if (g_opts.netns && netns__enter(g_opts.netns))
		return cmd_fail(desc->name);
	return -1;
}

int cmd_fail(const char *cmd)
{
	const char *msg = err_last();

	print_error(cmd, *msg ? msg : strerror(errno));
	return EXIT_FAIL;
}

int cmd_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	params_usage_verror(cmd, fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

int cmd_chains(const char *ifname, int (*read)(const char *ifname, struct chain *c),
	       int (*one)(const struct chain *c, void *ctx),
	       int (*any)(const struct chain *c, void *ctx), void *ctx)
{
	struct chain c;
	int err;

	if (!ifname)
		return chain__for_each(read, any, ctx);
	err = read(ifname, &c);
	return err ? err : one(&c, ctx);
}
