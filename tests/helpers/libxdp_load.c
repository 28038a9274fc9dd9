// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Test helper: xdp-loader's load/unload through the *shared* libxdp.
 *
 * Debian's xdp-loader links libxdp statically, and a static libxdp prefers
 * its embedded copy of xdp-dispatcher.o to $LIBXDP_OBJECT_PATH. This helper
 * links libxdp.so, which looks the dispatcher up there, so tests can build
 * chains from a dispatcher object of their choice.
 *
 *   libxdp_load load [-m skb|native] [-P PRIO] IFACE OBJ...
 *                                 attach OBJs (first program each; PRIO for all)
 *   libxdp_load unload IFACE PROG_ID                detach one program
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xdp/libxdp.h>

#define MAX_PROGS 10

static int usage(void)
{
	fprintf(stderr, "usage: libxdp_load load [-m skb|native] [-P PRIO] IFACE OBJ...\n"
			"       libxdp_load unload IFACE PROG_ID\n");
	return 2;
}

static int report(const char *what, int err)
{
	char msg[128];

	if (!err)
		return 0;
	libxdp_strerror(err, msg, sizeof(msg));
	fprintf(stderr, "libxdp_load: %s: %s (%d)\n", what, msg, err);
	return 1;
}

static int do_load(int argc, char **argv)
{
	enum xdp_attach_mode mode = XDP_MODE_NATIVE;
	struct xdp_program *progs[MAX_PROGS] = {};
	int n = 0, err = 0, ifindex, i = 0, prio = -1;

	while (argc > 2 && argv[0][0] == '-') {
		if (!strcmp(argv[0], "-m"))
			mode = !strcmp(argv[1], "skb") ? XDP_MODE_SKB : XDP_MODE_NATIVE;
		else if (!strcmp(argv[0], "-P"))
			prio = atoi(argv[1]);
		else
			return usage();
		argc -= 2;
		argv += 2;
	}
	if (argc < 2 || argc - 1 > MAX_PROGS)
		return usage();
	ifindex = if_nametoindex(argv[0]);
	if (!ifindex)
		return report(argv[0], -errno);
	for (i = 1; i < argc && !err; i++, n++) {
		progs[n] = xdp_program__open_file(argv[i], NULL, NULL);
		err = libxdp_get_error(progs[n]);
		if (err)
			progs[n] = NULL;
		else if (prio >= 0)
			err = xdp_program__set_run_prio(progs[n], prio);
	}
	if (!err)
		err = xdp_program__attach_multi(progs, n, ifindex, mode, 0);
	else
		fprintf(stderr, "libxdp_load: cannot open %s\n", argv[i - 1]);
	for (i = 0; i < n; i++)
		xdp_program__close(progs[i]);
	return report("attach", err);
}

static int do_unload(int argc, char **argv)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	unsigned int id;
	int ifindex, err = -ENOENT;

	if (argc != 2)
		return usage();
	ifindex = if_nametoindex(argv[0]);
	if (!ifindex)
		return report(argv[0], -errno);
	id = strtoul(argv[1], NULL, 0);
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	err = libxdp_get_error(mp);
	if (err)
		return report("read dispatcher", err);
	err = -ENOENT;
	for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp))
		if (xdp_program__id(p) == id)
			break;
	if (p)
		err = xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(mp), 0);
	xdp_multiprog__close(mp);
	return report("detach", err);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "load"))
		return do_load(argc - 2, argv + 2);
	if (!strcmp(argv[1], "unload"))
		return do_unload(argc - 2, argv + 2);
	return usage();
}
