/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Where a chain's redirected packets went (dispatcher/redirect.bpf.c): a
 * tracer on the kernel's xdp_redirect tracepoints, attached beside the
 * observer and kept while the chain is managed, counts per deciding member,
 * target (device or map entry) and outcome (sent, or the error).
 *
 *   <bpffs>/xdpchain/IFACE/redirects           the counts (per-CPU hash)
 *   <bpffs>/xdpchain/IFACE/redirect_link       the tracer on xdp_redirect
 *   <bpffs>/xdpchain/IFACE/redirect_err_link   the tracer on xdp_redirect_err
 */
#ifndef __XDPCHAIN_REDIRECTS_H
#define __XDPCHAIN_REDIRECTS_H

#include <stddef.h>
#include <linux/types.h>

#include "../../dispatcher/redirect.h"

struct notes;

/* one target and outcome of one member's redirects, summed over the CPUs */
struct redirect_count {
	struct redirect_key k;
	__u64 packets;
};

/*
 * Attaches the tracer for the interface @ifindex whose state is in
 * @state_dir, counting for the members the stats map @stats_fd names, in
 * place of the one there (the counts stay). 0 or -errno; a failure changes
 * nothing that counts packets and is said in @notes (may be NULL).
 */
int redirects__ensure(const char *state_dir, int ifindex, int stats_fd, struct notes *notes);
/* Whether the tracer's links are pinned in @state_dir. */
int redirects__active(const char *state_dir);
/*
 * Every count in @state_dir's map, sorted by member, target and outcome,
 * in *@out (the caller frees it), their number in *@n; 0 or -errno
 * (-ENOENT: no tracer for this chain).
 */
int redirects__read(const char *state_dir, struct redirect_count **out, size_t *n);
/* The error's name ("ENETDOWN"), "sent" for 0, "E<number>" when unknown. */
const char *redirects__outcome(int err, char *buf, size_t size);

#endif
