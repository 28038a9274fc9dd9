// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Stand-ins for the two functions src/xdpchain.c (left out of the unit
 * binary, it has main) gives the cmd_*.c files, so the link resolves. No
 * test calls them: they abort to make an accidental use loud.
 */
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"

int cmd_parse(const struct cmd_desc *desc, int argc, char **argv, void *cfg)
{
	(void)argc;
	(void)argv;
	(void)cfg;
	fprintf(stderr, "unit-tests: stub cmd_parse(%s) called\n", desc->name);
	abort();
}

int cmd_fail(const char *cmd)
{
	fprintf(stderr, "unit-tests: stub cmd_fail(%s) called\n", cmd);
	abort();
}
