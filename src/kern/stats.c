// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "stats.h"

/* Entry 0 of the per-CPU array @fd, @size bytes a CPU, in an array the caller frees. */
static int read_percpu(int fd, size_t size, void **out)
{
	int ncpu = libbpf_num_possible_cpus();
	__u32 key = 0;
	void *v;

	*out = NULL;
	if (ncpu <= 0 || fd < 0)
		return -EINVAL;
	v = calloc(ncpu, size);
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, v)) {
		free(v);
		return -errno;
	}
	*out = v;
	return ncpu;
}

int stats__read_percpu(int stats_fd, struct xdpchain_stats **out)
{
	return read_percpu(stats_fd, sizeof(**out), (void **)out);
}

int stats__read_cost(int cost_fd, struct xdpchain_cost **out)
{
	return read_percpu(cost_fd, sizeof(**out), (void **)out);
}
