/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The user-space side of dispatcher/stats.h: reading the per-CPU counters
 * the observer, the final stage and capture programs write.
 */
#ifndef __XDPCHAIN_KERN_STATS_H
#define __XDPCHAIN_KERN_STATS_H

#include "../../dispatcher/stats.h"

/*
 * The stats map's entry of every CPU (the capture's own map has the same
 * layout), in an array the caller frees; returns how many CPUs or -errno.
 */
int stats__read_percpu(int stats_fd, struct xdpchain_stats **out);
/* The cost map's entry of every CPU (stats.h), likewise. */
int stats__read_cost(int cost_fd, struct xdpchain_cost **out);

#endif
