// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpffs.h"
#include "chain.h"
#include "log.h"
#include "observer.h"
#include "txn.h"
#include "../dispatcher/stats.h"
#include "observer.skel.h"

_Static_assert(STATS_ACTIONS == XDP_ACTION_COUNT, "a counter per XDP action");
_Static_assert(STATS_SLOTS == CHAIN_MAX_PROGS, "a slot per dispatcher slot");

/*
 * A counter row: whose it is, where that member runs in the current
 * dispatcher, and what to add or take off the kernel's counts. The observer
 * counts each packet once, for the member that ended it; a member's
 * proceed-on count is what members after it ended (epoch_counts()). Each
 * dispatcher is an epoch: when the order changes, what a row's member
 * collected so far is folded into carried.
 */
struct row {
	__u32 prog_id; /* 0: free */
	__u16 pos; /* slot in the running dispatcher */
	__u8 cont; /* proceed-on actions, (1 << XDP_x) */
	__u8 pad;
	__u64 carried[STATS_ACTIONS]; /* counted under earlier dispatchers */
	__u64 base[STATS_ACTIONS]; /* pkts[row] when this dispatcher came */
	__u64 base_cont[STATS_ACTIONS]; /* cont[row] likewise */
};

struct sums {
	__u64 pkts[STATS_ROWS][STATS_ACTIONS];
	__u64 cont[STATS_ROWS][STATS_ACTIONS];
};

static int pin_path(const char *dir, const char *name, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int open_pin(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (!dir[0] || pin_path(dir, name, path, sizeof(path)))
		return -ENOENT;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int observer__stats_map(struct chain_txn *t)
{
	const char *dir = txn__state_dir(t);
	char path[PATH_MAX];
	int fd, rows, err;

	fd = open_pin(dir, STATS_PIN);
	if (fd >= 0)
		return fd;
	fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, STATS_MAP_NAME, sizeof(__u32),
			    sizeof(struct xdpchain_stats), 1, NULL);
	rows = bpf_map_create(BPF_MAP_TYPE_ARRAY, ROWS_MAP_NAME, sizeof(__u32), sizeof(struct row),
			      STATS_ROWS, NULL);
	err = fd < 0 || rows < 0 ?
		      err_set(-errno, "cannot create the counter maps: %s", strerror(errno)) :
		      0;
	if (!err)
		err = pin_path(dir, STATS_PIN, path, sizeof(path));
	if (!err)
		err = txn__pin(t, fd, path, "the counters");
	if (!err)
		err = pin_path(dir, ROWS_PIN, path, sizeof(path));
	if (!err)
		err = txn__pin(t, rows, path, "the counter rows");
	if (rows >= 0)
		close(rows);
	if (err) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	return fd;
}

int observer__read_percpu(int stats_fd, struct xdpchain_stats **out)
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

/* The per-CPU counters, summed. */
static int read_sums(int stats_fd, struct sums *sum)
{
	struct xdpchain_stats *v;
	int ncpu;

	memset(sum, 0, sizeof(*sum));
	ncpu = observer__read_percpu(stats_fd, &v);
	if (ncpu < 0)
		return ncpu;
	for (int cpu = 0; cpu < ncpu; cpu++)
		for (int r = 0; r < STATS_ROWS; r++)
			for (int a = 0; a < STATS_ACTIONS; a++) {
				sum->pkts[r][a] += v[cpu].pkts[r][a];
				sum->cont[r][a] += v[cpu].cont[r][a];
			}
	free(v);
	return 0;
}

static int read_rows(int rows_fd, struct row rows[STATS_ROWS])
{
	for (__u32 r = 0; r < STATS_ROWS; r++)
		if (bpf_map_lookup_elem(rows_fd, &r, &rows[r]))
			return -errno;
	return 0;
}

/* What row @r's member returned under the running dispatcher, per action. */
static void epoch_counts(const struct row rows[STATS_ROWS], const struct sums *sum, int r,
			 __u64 out[STATS_ACTIONS])
{
	const struct row *w = &rows[r];
	__u64 after = 0;

	for (int a = 0; a < STATS_ACTIONS; a++)
		out[a] = sum->pkts[r][a] - w->base[a];
	if (xdp_actions_several(w->cont)) {
		for (int a = 0; a < STATS_ACTIONS; a++)
			out[a] += sum->cont[r][a] - w->base_cont[a];
		return;
	}
	if (!w->cont)
		return; /* every verdict of it ends the chain */
	/* every packet a member after it ended went on from it */
	for (int q = 0; q < STATS_ROWS; q++) {
		if (!rows[q].prog_id || rows[q].pos <= w->pos)
			continue;
		for (int a = 0; a < STATS_ACTIONS; a++)
			after += sum->pkts[q][a] - rows[q].base[a];
	}
	out[__builtin_ctz(w->cont)] += after;
}

/*
 * A new dispatcher: fold each row's counts into carried, then give each
 * member of @c its row (kept, or a free one) and slot; fills @slot_row and
 * @multi (slots whose member goes on after several actions).
 */
static int assign_rows(const struct chain *c, int stats_fd, int rows_fd, __u8 slot_row[STATS_SLOTS],
		       __u16 *multi)
{
	struct row rows[STATS_ROWS];
	bool used[STATS_ROWS] = {};
	struct sums sum;
	int err;

	err = read_rows(rows_fd, rows);
	if (!err)
		err = read_sums(stats_fd, &sum);
	if (err)
		return err;
	for (int r = 0; r < STATS_ROWS; r++) {
		__u64 n[STATS_ACTIONS];

		if (!rows[r].prog_id)
			continue;
		epoch_counts(rows, &sum, r, n);
		for (int a = 0; a < STATS_ACTIONS; a++)
			rows[r].carried[a] += n[a];
	}
	for (int r = 0; r < STATS_ROWS; r++) {
		memcpy(rows[r].base, sum.pkts[r], sizeof(rows[r].base));
		memcpy(rows[r].base_cont, sum.cont[r], sizeof(rows[r].base_cont));
	}

	*multi = 0;
	for (size_t i = 0; i < STATS_SLOTS; i++)
		slot_row[i] = STATS_ROWS; /* none */
	for (size_t i = 0; i < c->n; i++) {
		if (c->progs[i].is_final) {
			/* the final stage counts in its fixed row (dispatcher/final.bpf.c) */
			if (rows[STATS_FINAL_ROW].prog_id != c->progs[i].id)
				memset(rows[STATS_FINAL_ROW].carried, 0,
				       sizeof(rows[STATS_FINAL_ROW].carried));
			rows[STATS_FINAL_ROW].prog_id = c->progs[i].id;
			slot_row[i] = STATS_FINAL_ROW;
			used[STATS_FINAL_ROW] = true;
			continue;
		}
		for (int r = 0; r < STATS_FINAL_ROW; r++)
			if (rows[r].prog_id == c->progs[i].id) {
				slot_row[i] = r;
				used[r] = true;
			}
	}
	for (size_t i = 0; i < c->n; i++) {
		int r;

		if (slot_row[i] == STATS_ROWS) {
			/* a new member: a free row, counting from now */
			for (r = 0; r < STATS_FINAL_ROW && (used[r] || rows[r].prog_id); r++)
				;
			if (r == STATS_FINAL_ROW)
				for (r = 0; r < STATS_FINAL_ROW && used[r]; r++)
					;
			if (r == STATS_FINAL_ROW)
				return -ENOSPC;
			memset(rows[r].carried, 0, sizeof(rows[r].carried));
			rows[r].prog_id = c->progs[i].id;
			used[r] = true;
			slot_row[i] = r;
		}
		rows[slot_row[i]].pos = i;
		rows[slot_row[i]].cont = c->progs[i].actions;
		if (xdp_actions_several(c->progs[i].actions))
			*multi |= 1U << i;
	}
	for (__u32 r = 0; r < STATS_ROWS; r++) {
		if (!used[r])
			memset(&rows[r], 0, sizeof(rows[r])); /* its member left */
		if (bpf_map_update_elem(rows_fd, &r, &rows[r], 0))
			return -errno;
	}
	return 0;
}

static int attach_new(const struct chain *c, int state_fd, int stats_fd, int rows_fd)
{
	struct observer_bpf *skel = NULL;
	struct bpf_link *link = NULL;
	char path[PATH_MAX], tmp[PATH_MAX];
	int disp_fd = -1, hook_fd = -1, err;
	__u8 slot_row[STATS_SLOTS];
	__u16 multi;

	err = assign_rows(c, stats_fd, rows_fd, slot_row, &multi);
	if (err)
		return err_set(err, "cannot give the members counter rows: %s", strerror(-err));
	disp_fd = bpf_prog_get_fd_by_id(c->main_id);
	hook_fd = bpf_map_get_fd_by_id(c->hook_id);
	if (disp_fd < 0 || hook_fd < 0) {
		err = err_set(-errno, "cannot open the dispatcher or hook of %s: %s", c->ifname,
			      strerror(errno));
		goto out;
	}
	skel = observer_bpf__open();
	if (!skel) {
		err = err_set(-errno, "cannot open the embedded observer: %s", strerror(errno));
		goto out;
	}
	skel->rodata->n_members = c->n;
	skel->rodata->multi_mask = multi;
	for (size_t i = 0; i < c->n && i < STATS_SLOTS; i++) {
		skel->rodata->slot_prog[i] = c->progs[i].id;
		skel->rodata->slot_row[i] = slot_row[i];
	}
	err = bpf_map__reuse_fd(skel->maps.xdpcap_hook, hook_fd);
	if (!err)
		err = bpf_map__reuse_fd(skel->maps.xdpchain_state, state_fd);
	if (!err)
		err = bpf_map__reuse_fd(skel->maps.xdpchain_stats, stats_fd);
	if (!err)
		err = bpf_program__set_attach_target(skel->progs.xdpchain_observe, disp_fd,
						     "xdpchain_exit");
	if (!err)
		err = observer_bpf__load(skel);
	if (err) {
		err = err_set(err,
			      "cannot load the observer: %s; run with -vv for the verifier log",
			      strerror(-err));
		goto out;
	}
	link = bpf_program__attach_freplace(skel->progs.xdpchain_observe, disp_fd, "xdpchain_exit");
	err = libbpf_get_error(link);
	if (err) {
		link = NULL;
		err = err_set(err, "cannot attach the observer to the dispatcher of %s: %s",
			      c->ifname, strerror(-err));
		goto out;
	}
	/* the new link replaces the old one, whose observer leaves with it */
	err = pin_path(c->state_dir, OBSERVER_PIN, path, sizeof(path));
	if (!err)
		err = pin_path(c->state_dir, OBSERVER_PIN "_new", tmp, sizeof(tmp));
	if (!err) {
		unlink(tmp);
		err = bpf_link__pin(link, tmp);
	}
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		err = err_set(err, "cannot pin the observer's link at %s: %s", path,
			      strerror(-err));
	}
out:
	bpf_link__destroy(link); /* the pin keeps it */
	observer_bpf__destroy(skel);
	if (disp_fd >= 0)
		close(disp_fd);
	if (hook_fd >= 0)
		close(hook_fd);
	return err;
}

int observer__attach(struct chain_txn *t)
{
	char ifname[IF_NAMESIZE];
	struct chain c;
	int stats_fd = -1, rows_fd = -1, state_fd, err;

	snprintf(ifname, sizeof(ifname), "%s", t->c.ifname);
	err = chain__read(ifname, &c);
	if (err)
		return err;
	if (c.kind != CHAIN_DISPATCHER || !c.own_dispatcher || !c.managed || !chain__final(&c))
		return 0; /* nothing to observe: libxdp's dispatcher has no xdpchain_exit */
	state_fd = txn__state(t, NULL, 0);
	if (state_fd < 0)
		return state_fd;
	stats_fd = open_pin(c.state_dir, STATS_PIN);
	rows_fd = open_pin(c.state_dir, ROWS_PIN);
	if (stats_fd < 0 || rows_fd < 0)
		err = err_set(
			-ENOENT,
			"the chain on %s has no counter maps (made by an older xdpchain); 'xdpchain flush %s' and add its programs again",
			c.ifname, c.ifname);
	else
		err = attach_new(&c, state_fd, stats_fd, rows_fd);
	if (stats_fd >= 0)
		close(stats_fd);
	if (rows_fd >= 0)
		close(rows_fd);
	return err;
}

int observer__read(const struct chain *c, struct prog_stats *out)
{
	struct row rows[STATS_ROWS];
	int stats_fd, rows_fd, err;
	struct sums sum;

	memset(out, 0, sizeof(*out) * c->n);
	stats_fd = open_pin(c->state_dir, STATS_PIN);
	rows_fd = open_pin(c->state_dir, ROWS_PIN);
	err = stats_fd < 0 || rows_fd < 0 ? -ENOENT : read_rows(rows_fd, rows);
	if (!err)
		err = read_sums(stats_fd, &sum);
	for (int r = 0; !err && r < STATS_ROWS; r++) {
		__u64 n[STATS_ACTIONS];

		if (!rows[r].prog_id)
			continue;
		epoch_counts(rows, &sum, r, n);
		for (size_t i = 0; i < c->n; i++) {
			if (c->progs[i].id != rows[r].prog_id)
				continue;
			out[i].valid = true;
			for (int a = 0; a < STATS_ACTIONS; a++)
				out[i].pkts[a] = rows[r].carried[a] + n[a];
		}
	}
	if (stats_fd >= 0)
		close(stats_fd);
	if (rows_fd >= 0)
		close(rows_fd);
	return err;
}
