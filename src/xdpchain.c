// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * xdpchain: several XDP programs on one interface through libxdp's
 * dispatcher, ordered by priority, with a final stage that hands every packet
 * to a shared xdpcap hook after the whole chain ran.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "log.h"
#include "output.h"

struct cmd_entry {
	const struct cmd_desc *desc;
	int (*run)(int argc, char **argv);
	bool needs_root;
};

static const struct cmd_entry commands[] = {
	{ &add_desc, do_add, true },	     { &remove_desc, do_remove, true },
	{ &status_desc, do_status, true },   { &flush_desc, do_flush, true },
	{ &capture_desc, do_capture, true }, { &features_desc, do_features, false },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out, "Usage: xdpchain [-v|-vv] [-j|-p] COMMAND [options] [args]\n\n"
		     "Commands (any unique prefix works):\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i].desc->name, commands[i].desc->summary);
	fprintf(out, "\nGlobal options:\n"
		     "  -v, --verbose   more messages; -vv adds libbpf/libxdp output\n"
		     "  -j, --json      JSON output\n"
		     "  -p, --pretty    indented JSON output\n"
		     "  -h, --help      this help; 'xdpchain COMMAND --help' for a command\n"
		     "  -V, --version   version\n");
}

static const struct cmd_entry *find_command(const char *name, int *matches)
{
	const struct cmd_entry *found = NULL;
	size_t len = strlen(name);

	*matches = 0;
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (!strcmp(commands[i].desc->name, name)) {
			*matches = 1;
			return &commands[i];
		}
		if (!strncmp(commands[i].desc->name, name, len)) {
			found = &commands[i];
			(*matches)++;
		}
	}
	return *matches == 1 ? found : NULL;
}

int main(int argc, char **argv)
{
	const struct cmd_entry *cmd;
	int i, matches;

	log_hook_libraries();
	/* Global options before the command; commands accept them too. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("xdpchain %s (libxdp %s)\n", XDPCHAIN_VERSION,
			       XDPCHAIN_LIBXDP_BUILD);
			return EXIT_OK;
		} else if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			g_opts.json = true;
		} else if (!strcmp(a, "-p") || !strcmp(a, "--pretty")) {
			g_opts.json = g_opts.pretty = true;
		} else if (!strcmp(a, "--verbose")) {
			g_opts.verbose++;
		} else if (a[1] == 'v' && strspn(a + 1, "v") == strlen(a + 1)) {
			g_opts.verbose += strlen(a + 1);
		} else {
			fprintf(stderr, "xdpchain: unknown option '%s' (see 'xdpchain --help')\n",
				a);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	cmd = find_command(argv[i], &matches);
	if (!cmd) {
		fprintf(stderr, "xdpchain: %s command '%s' (see 'xdpchain --help')\n",
			matches > 1 ? "ambiguous" : "unknown", argv[i]);
		return EXIT_USAGE;
	}
	if (cmd->needs_root && geteuid() != 0) {
		/* --help needs no privileges */
		for (int k = i + 1; k < argc; k++)
			if (!strcmp(argv[k], "-h") || !strcmp(argv[k], "--help"))
				return cmd->run(argc - i, argv + i);
		err_set(-EPERM,
			"needs root (CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN); run it with sudo");
		return cmd_fail(cmd->desc->name);
	}
	return cmd->run(argc - i, argv + i);
}
