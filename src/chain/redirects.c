// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpffs.h"
#include "log.h"
#include "netns.h"
#include "notes.h"
#include "redirects.h"
#include "redirect.skel.h"

static int pin_at(const char *dir, const char *name, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int redirects__active(const char *state_dir)
{
	char path[PATH_MAX];

	return !pin_at(state_dir, REDIRECT_LINK_PIN, path, sizeof(path)) && !access(path, F_OK);
}

/*
 * The counts kept from an earlier tracer (pinned: 1), or the new one's map
 * pinned (@loaded); 0 or -errno.
 */
static int reuse_or_pin_map(struct redirect_bpf *skel, const char *dir, bool loaded)
{
	char path[PATH_MAX];
	int fd, err;

	err = pin_at(dir, REDIRECTS_PIN, path, sizeof(path));
	if (err)
		return err;
	if (loaded)
		return bpf_map__pin(skel->maps.xdpchain_redir, path);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	err = bpf_map__reuse_fd(skel->maps.xdpchain_redir, fd);
	close(fd);
	return err ? err : 1;
}

/*
 * Attached and pinned in place of the tracer there: pinned beside it, then
 * renamed over it, so one tracer or the other counts.
 */
static int attach_pin(struct bpf_program *prog, const char *tp, const char *dir, const char *name)
{
	struct bpf_link *link = bpf_program__attach_raw_tracepoint(prog, tp);
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	int err = libbpf_get_error(link);

	if (err)
		return err;
	err = pin_at(dir, name, path, sizeof(path));
	if (!err && snprintf(tmp, sizeof(tmp), "%s_new", path) >= (int)sizeof(tmp))
		err = -ENAMETOOLONG;
	if (!err) {
		unlink(tmp);
		err = bpf_link__pin(link, tmp);
	}
	if (!err && rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
	}
	bpf_link__destroy(link); /* the pin keeps it */
	return err;
}

static int load(const char *dir, int ifindex, int stats_fd)
{
	struct redirect_bpf *skel = redirect_bpf__open();
	int err, reused = 0;

	if (!skel)
		return -errno;
	skel->rodata->chain_ifindex = ifindex;
	skel->rodata->chain_netns = netns__inum();
	err = bpf_map__reuse_fd(skel->maps.xdpchain_stats, stats_fd);
	if (!err)
		err = reused = reuse_or_pin_map(skel, dir, false);
	if (err >= 0)
		err = redirect_bpf__load(skel);
	if (!err && !reused)
		err = reuse_or_pin_map(skel, dir, true);
	if (!err)
		err = attach_pin(skel->progs.xdpchain_redirect_err, "xdp_redirect_err", dir,
				 REDIRECT_ERR_LINK_PIN);
	if (!err)
		err = attach_pin(skel->progs.xdpchain_redirect, "xdp_redirect", dir,
				 REDIRECT_LINK_PIN);
	redirect_bpf__destroy(skel);
	return err;
}

int redirects__ensure(const char *state_dir, int ifindex, int stats_fd, struct notes *notes)
{
	int err;

	/*
	 * Anew with every observer: the interface may be another one of the
	 * same name (state kept under it) and the stats map another one.
	 */
	err = load(state_dir, ifindex, stats_fd);
	if (err)
		notes_add(
			notes, LOG_INFO,
			"redirect targets are not counted: cannot attach to the xdp_redirect tracepoints: %s",
			strerror(-err));
	return err;
}

static int cmp_count(const void *a, const void *b)
{
	const struct redirect_key *x = &((const struct redirect_count *)a)->k;
	const struct redirect_key *y = &((const struct redirect_count *)b)->k;

	if (x->prog != y->prog)
		return x->prog < y->prog ? -1 : 1;
	if (x->map_id != y->map_id)
		return x->map_id < y->map_id ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	return x->err < y->err ? 1 : x->err > y->err ? -1 : 0; /* sent first */
}

static __u64 sum_cpus(int fd, const struct redirect_key *k, __u64 *v, int ncpu)
{
	__u64 sum = 0;

	if (bpf_map_lookup_elem(fd, k, v))
		return 0;
	for (int cpu = 0; cpu < ncpu; cpu++)
		sum += v[cpu];
	return sum;
}

static int read_all(int fd, struct redirect_count *out, size_t *n)
{
	int ncpu = libbpf_num_possible_cpus();
	struct redirect_key k, *prev = NULL;
	__u64 *v;

	if (ncpu <= 0)
		return -EINVAL;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*n = 0;
	while (*n < REDIRECTS_MAX && !bpf_map_get_next_key(fd, prev, &k)) {
		out[*n].k = k;
		out[*n].packets = sum_cpus(fd, &k, v, ncpu);
		prev = &out[*n].k;
		if (out[*n].packets)
			(*n)++;
	}
	free(v);
	return 0;
}

int redirects__read(const char *state_dir, struct redirect_count **out, size_t *n)
{
	char path[PATH_MAX];
	int fd, err;

	*out = NULL;
	*n = 0;
	if (!state_dir[0] || pin_at(state_dir, REDIRECTS_PIN, path, sizeof(path)))
		return -ENOENT;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	*out = calloc(REDIRECTS_MAX, sizeof(**out));
	err = *out ? read_all(fd, *out, n) : -ENOMEM;
	close(fd);
	if (err) {
		free(*out);
		*out = NULL;
		return err;
	}
	qsort(*out, *n, sizeof(**out), cmp_count);
	return 0;
}

const char *redirects__outcome(int err, char *buf, size_t size)
{
	const char *name = err < 0 ? strerrorname_np(-err) : NULL;

	if (!err)
		return "sent";
	if (name)
		return name;
	snprintf(buf, size, "E%d", err < 0 ? -err : err);
	return buf;
}
