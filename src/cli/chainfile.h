/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Chain files: chains written down, as `xdpchain save` prints them and
 * `xdpchain apply` reads them (YAML, read with libyaml's document API so
 * every error can name its line):
 *
 *   version: 1
 *   interfaces:
 *     eth0:
 *       mode: native                 # optional: skb or native
 *       hook-pin: /sys/fs/bpf/xdpcap # optional
 *       programs:                    # in run order; [] removes the chain
 *         - object: /usr/lib/xdp/filter.o   # relative: to the file's directory
 *           program: my_filter      # optional: the first XDP program
 *           priority: 10            # optional: XDP_RUN_CONFIG, else 50
 *           proceed-on: [pass]      # optional: XDP_RUN_CONFIG, else pass
 *           sha256: 9f2c...         # optional: the object's content when saved
 *
 * Interfaces the files do not name are left alone.
 */
#ifndef __XDPCHAIN_CHAINFILE_H
#define __XDPCHAIN_CHAINFILE_H

#include <stdio.h>

#include "chain.h"

#define CHAINFILE_MAX_IFACES 64
#define CHAINFILE_SUFFIX ".conf"
/* Far above any real chain file (64 interfaces of 9 programs: ~200 KiB). */
#define CHAINFILE_MAX (1 << 20)
/* A chain file nests 5 deep (proceed-on lists); a bound keeps libyaml fast. */
#define CHAINFILE_MAX_DEPTH 16

struct chainfile_iface {
	struct chain_spec spec; /* points into the members below */
	struct chain_want want[CHAIN_MAX_PROGS];
	char ifname[IF_NAMESIZE];
	char where[PATH_MAX + 16];
	char want_where[CHAIN_MAX_PROGS][PATH_MAX + 16];
};

struct chainfile {
	struct chainfile_iface *ifs;
	size_t n;
	char **strs; /* strings the specs point to */
	size_t n_strs;
	size_t n_files;
};

/*
 * Reads @path, a chain file, a directory of them (every *.conf in it, in
 * name order) or "-" (stdin), into @cf (zeroed the first time; more paths add to it).
 * 0, or -errno and one line naming the file, the line and the fix.
 */
int chainfile__load(struct chainfile *cf, const char *path);
void chainfile__free(struct chainfile *cf);

/* Writes a YAML double-quoted scalar. */
void chainfile__quote(FILE *out, const char *s);
/* Writes @s plain when YAML reads it back unchanged, else double-quoted. */
void chainfile__name(FILE *out, const char *s);

#endif
