/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Which XDP dispatcher object libxdp builds chains from.
 *
 * libxdp loads its dispatcher from a file, xdp-dispatcher.o, looked up in
 * $LIBXDP_OBJECT_PATH when that is set (and only there), else in the
 * directory it was built with (/usr/lib/x86_64-linux-gnu/bpf on Debian).
 * libxdp 1.3's object cannot take members that change packet data (tail
 * calls, bpf_xdp_adjust_*) on kernels from 6.12 on. xdpchain embeds its own
 * object (dispatcher/xdp_dispatcher.bpf.c) and, where a probe shows it is
 * needed, hands it to libxdp for the life of this process: written to a
 * private directory, /run/xdpchain/dispatcher.XXXXXX (mode 0700, in the
 * root-only LOCK_DIR), that LIBXDP_OBJECT_PATH points at until
 * dispatcher__cleanup().
 *
 * While ours is installed, libxdp finds no other object by file name
 * either (xsk_def_xdp_prog*.o for AF_XDP sockets), which xdpchain never
 * asks for.
 */
#ifndef __XDPCHAIN_DISPATCHER_H
#define __XDPCHAIN_DISPATCHER_H

#include <stdbool.h>

#include <linux/types.h>

enum dispatcher_choice {
	DISPATCHER_SYSTEM, /* libxdp's own xdp-dispatcher.o */
	DISPATCHER_OWN, /* xdpchain's embedded object */
};

struct dispatcher_info {
	enum dispatcher_choice choice;
	/*
	 * 0 when the probe decided (or XDPCHAIN_DISPATCHER did); else why it
	 * could not, e.g. -EPERM where the kernel refuses freplace programs.
	 */
	int probe_err;
	int version; /* config version of the chosen object (libxdp 1.3: 2) */
	char reason[160]; /* one line: why this choice */
};

/*
 * Decides, without changing anything, which object chains should use:
 * XDPCHAIN_DISPATCHER=system|own forces the choice; otherwise (or "auto")
 * libxdp's object is loaded and one of ours is loaded as an freplace
 * program, one that may change packet data, against its prog0 and its
 * xdp_dispatcher. If the kernel refuses that ("Extension program changes
 * packet data, while original does not") where it takes ours, ours is
 * chosen. Probes once per process. Returns 0 or -errno (err_last()).
 */
int dispatcher__probe(struct dispatcher_info *info);

/*
 * dispatcher__probe(), then installs our object for the libxdp calls that
 * follow if it was chosen. Call before any libxdp call that may build a
 * dispatcher (attach, detach of one program); idempotent.
 */
int dispatcher__setup(struct dispatcher_info *info);
/*
 * dispatcher__setup() for a chain that, after the change, has only
 * members that go on after one action each (@lean): then our object's lean
 * variant, which keeps no verdicts and lets packets the whole chain passed
 * leave without calling xdpchain_exit(). dispatcher__setup() installs the
 * variant that keeps them, right for every chain.
 */
int dispatcher__setup_for(struct dispatcher_info *info, bool lean);

/* Removes the private directory and restores LIBXDP_OBJECT_PATH. Idempotent. */
void dispatcher__cleanup(void);

/*
 * Removes the private directories runs killed before dispatcher__cleanup()
 * left in /run/xdpchain: a run holds a flock on its directory for as long as
 * the directory exists, so one nobody holds is a leftover; those of live
 * runs stay. Returns how many it removed, or -errno (err_last()).
 */
int dispatcher__clear_stale_dirs(void (*removed)(const char *path, void *ctx), void *ctx);
/* Calls @found for each such directory, changing nothing; how many. */
int dispatcher__list_stale_dirs(void (*found)(const char *path, void *ctx), void *ctx);

/*
 * 1 if the XDP program @prog_id (a running dispatcher) was loaded from
 * xdpchain's object, 0 if from another (libxdp's), else -errno. Looks for a
 * function only our object has in the BTF the kernel keeps with the
 * program: reads, loads nothing.
 */
int dispatcher__runs_own(__u32 prog_id);

/*
 * Probes, whatever XDPCHAIN_DISPATCHER says, whether libxdp's own object
 * refuses members that change packet data where xdpchain's takes them:
 * explains an attach that failed with the stock object forced.
 */
bool dispatcher__stock_refuses_pkt_changes(void);

/*
 * The config version of the running dispatcher @prog_id, as libxdp reads it
 * (the magic and version bytes of its config, else its BTF): 0 if @prog_id
 * is not a libxdp dispatcher, else -errno. Reads, loads nothing.
 */
int dispatcher__running_version(__u32 prog_id);

/*
 * The libxdp releases that build dispatchers of config version @version: a
 * libxdp changes only dispatchers of its own version (1.6 refuses to
 * upgrade version 2 ones, older releases cannot read version 3).
 */
static inline const char *dispatcher__generation(int version)
{
	return version < 2  ? "libxdp 1.2 or older" :
	       version == 2 ? "libxdp 1.3-1.5" :
	       version == 3 ? "libxdp 1.6+" :
			      "a libxdp newer than 1.6";
}

#endif
