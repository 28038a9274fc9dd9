/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The metric families `xdpchain metrics` writes: one table for the
 * exposition's HELP and TYPE lines and for xdpchain.conf(5).
 */
#ifndef __XDPCHAIN_METRICS_H
#define __XDPCHAIN_METRICS_H

enum metric_id {
	M_PACKETS,
	M_CHAIN_PROGRAMS,
	M_COUNTERS_ENABLED,
	M_CHAIN_PROBLEM,
	M_LEFTOVERS,
	M_CAPTURE_PACKETS,
	M_RUN_SECONDS, /* cost sampling (issue 20) */
	M_RUN_SAMPLES,
	M_REDIRECTS,
	M_NR,
};

struct metric_desc {
	const char *name;
	const char *type; /* counter or gauge */
	const char *labels; /* comma-separated */
	const char *help; /* the exposition's HELP text */
};

extern const struct metric_desc metric_descs[M_NR];

#endif
