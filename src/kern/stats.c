// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "stats.h"

int stats__read_percpu(int stats_fd, struct xdpchain_stats **out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct xdpchain_stats *v;
	__u32 key = 0;

	*out = NULL;
	if (ncpu <= 0 || stats_fd < 0)
		return -EINVAL;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(stats_fd, &key, v)) {
		free(v);
		return -errno;
	}
	*out = v;
	return ncpu;
}
