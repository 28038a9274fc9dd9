// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpffs.h"
#include "chain.h"
#include "log.h"
#include "notes.h"
#include "observer.h"
#include "redirects.h"
#include "stats.h"
#include "swap.h"
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
	/*
	 * Cost: cost_ns[row] and cost_n[row] when this member got the row.
	 * A member's time is its own (no epoch derives it), so a row that
	 * keeps its member across dispatchers keeps its base.
	 */
	__u64 cost_base_ns, cost_base_n;
	/* the final stage's row only: the chain's cost sampling, set or not */
	__u32 cost_every; /* one packet in this many timed; 0: off */
	__u32 cost_set;
};

struct sums {
	__u64 pkts[STATS_ROWS][STATS_ACTIONS];
	__u64 cont[STATS_ROWS][STATS_ACTIONS];
	__u64 cost_ns[STATS_ROWS];
	__u64 cost_n[STATS_ROWS];
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

/*
 * The stats and rows maps of @dir, or -ENOENT for both when one is
 * missing or has another layout (an older xdpchain's, before cost
 * sampling): the caller says so.
 */
static bool value_size_is(int fd, size_t want)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) && info.value_size == want;
}

static int open_counters(const char *dir, int *stats_fd, int *rows_fd)
{
	*stats_fd = open_pin(dir, STATS_PIN);
	*rows_fd = open_pin(dir, ROWS_PIN);
	if (value_size_is(*stats_fd, sizeof(struct xdpchain_stats)) &&
	    value_size_is(*rows_fd, sizeof(struct row)))
		return 0;
	if (*stats_fd >= 0)
		close(*stats_fd);
	if (*rows_fd >= 0)
		close(*rows_fd);
	*stats_fd = *rows_fd = -ENOENT;
	return -ENOENT;
}

int observer__open_stats(const char *state_dir)
{
	return open_pin(state_dir, STATS_PIN);
}

int observer__create_maps(int *stats_fd, int *rows_fd)
{
	int err;

	*stats_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, STATS_MAP_NAME, sizeof(__u32),
				   sizeof(struct xdpchain_stats), 1, NULL);
	*rows_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, ROWS_MAP_NAME, sizeof(__u32),
				  sizeof(struct row), STATS_ROWS, NULL);
	if (*stats_fd >= 0 && *rows_fd >= 0)
		return 0;
	err = err_set(-errno, "cannot create the counter maps: %s", strerror(errno));

	if (*stats_fd >= 0)
		close(*stats_fd);
	if (*rows_fd >= 0)
		close(*rows_fd);
	*stats_fd = *rows_fd = -1;
	return err;
}

int observer__pin_path(const char *state_dir, bool rows, char *path, size_t size)
{
	return pin_path(state_dir, rows ? ROWS_PIN : STATS_PIN, path, size);
}

/* The per-CPU counters, summed. */
static int read_sums(int stats_fd, struct sums *sum)
{
	struct xdpchain_stats *v;
	int ncpu;

	memset(sum, 0, sizeof(*sum));
	ncpu = stats__read_percpu(stats_fd, &v);
	if (ncpu < 0)
		return ncpu;
	for (int cpu = 0; cpu < ncpu; cpu++)
		for (int r = 0; r < STATS_ROWS; r++) {
			for (int a = 0; a < STATS_ACTIONS; a++) {
				sum->pkts[r][a] += v[cpu].pkts[r][a];
				sum->cont[r][a] += v[cpu].cont[r][a];
			}
			sum->cost_ns[r] += v[cpu].cost_ns[r];
			sum->cost_n[r] += v[cpu].cost_n[r];
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

/* A row whose member left; the final stage's keeps the chain's cost setting. */
static void free_row(struct row *w)
{
	__u32 every = w->cost_every, set = w->cost_set;

	memset(w, 0, sizeof(*w));
	w->cost_every = every;
	w->cost_set = set;
}

/* Row @r's cost counts start now: what its earlier member ran is not its own. */
static void cost_base(struct row *w, const struct sums *sum, int r)
{
	w->cost_base_ns = sum->cost_ns[r];
	w->cost_base_n = sum->cost_n[r];
}

int observer__cost_env(__u32 *every)
{
	const char *env = secure_getenv(COST_ENV);
	unsigned long v;
	char *end;

	if (!env || !*env)
		return -ENOENT;
	errno = 0;
	v = strtoul(env, &end, 10);
	if (errno || *end || env[0] == '-' || v > COST_EVERY_MAX || (v & (v - 1)))
		return err_set(
			-EINVAL,
			COST_ENV
			"='%s' is not 0 (cost sampling off) or a power of two up to %d; set one or unset it",
			env, COST_EVERY_MAX);
	*every = v;
	return 0;
}

/*
 * The chain's cost sampling, kept in the final stage's row: what
 * XDPCHAIN_COST_EVERY says when set, else what the chain had, else the
 * default.
 */
static int cost_setting(struct row *final)
{
	__u32 every;
	int err = observer__cost_env(&every);

	if (err == -ENOENT) {
		if (final->cost_set)
			return 0;
		every = COST_EVERY_DEFAULT;
	} else if (err) {
		return err;
	}
	final->cost_every = every;
	final->cost_set = 1;
	return 0;
}

/*
 * A new dispatcher: fold each row's counts (@sum) into carried, then give
 * each member of @c its row (kept, or a free one) and slot; fills @slot_row
 * and @multi (slots whose member goes on after several actions). Works on
 * @rows, as read from the rows map; which row a member gets depends on
 * @rows only, not on @sum.
 */
static int assign_rows(const struct chain *c, struct row rows[STATS_ROWS], const struct sums *sum,
		       __u8 slot_row[STATS_SLOTS], __u16 *multi)
{
	bool used[STATS_ROWS] = {};

	for (int r = 0; r < STATS_ROWS; r++) {
		__u64 n[STATS_ACTIONS];

		if (!rows[r].prog_id)
			continue;
		epoch_counts(rows, sum, r, n);
		for (int a = 0; a < STATS_ACTIONS; a++)
			rows[r].carried[a] += n[a];
	}
	for (int r = 0; r < STATS_ROWS; r++) {
		memcpy(rows[r].base, sum->pkts[r], sizeof(rows[r].base));
		memcpy(rows[r].base_cont, sum->cont[r], sizeof(rows[r].base_cont));
	}

	*multi = 0;
	for (size_t i = 0; i < STATS_SLOTS; i++)
		slot_row[i] = STATS_ROWS; /* none */
	for (size_t i = 0; i < c->n; i++) {
		if (c->progs[i].is_final) {
			/* the final stage counts in its fixed row (dispatcher/final.bpf.c) */
			if (rows[STATS_FINAL_ROW].prog_id != c->progs[i].id) {
				memset(rows[STATS_FINAL_ROW].carried, 0,
				       sizeof(rows[STATS_FINAL_ROW].carried));
				cost_base(&rows[STATS_FINAL_ROW], sum, STATS_FINAL_ROW);
			}
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
			cost_base(&rows[r], sum, r);
			rows[r].prog_id = c->progs[i].id;
			used[r] = true;
			slot_row[i] = r;
		}
		rows[slot_row[i]].pos = i;
		rows[slot_row[i]].cont = c->progs[i].actions;
		if (xdp_actions_several(c->progs[i].actions))
			*multi |= 1U << i;
	}
	for (int r = 0; r < STATS_ROWS; r++)
		if (!used[r])
			free_row(&rows[r]); /* its member left */
	return cost_setting(&rows[STATS_FINAL_ROW]);
}

static int write_rows(int rows_fd, const struct row rows[STATS_ROWS])
{
	for (__u32 r = 0; r < STATS_ROWS; r++)
		if (bpf_map_update_elem(rows_fd, &r, &rows[r], 0))
			return -errno;
	return 0;
}

/*
 * Loads an observer for the members of @c (in slot order, with their
 * counter rows @slot_row) and attaches it to the dispatcher @disp_fd;
 * the link, not pinned yet, in @out.
 */
static int load_observer(const struct chain *c, int disp_fd, int hook_fd, int state_fd,
			 int stats_fd, const __u8 slot_row[STATS_SLOTS], __u16 multi,
			 __u32 cost_every, struct bpf_link **out)
{
	struct observer_bpf *skel;
	struct bpf_link *link;
	int err;

	*out = NULL;
	skel = observer_bpf__open();
	if (!skel)
		return err_set(-errno, "cannot open the embedded observer: %s", strerror(errno));
	skel->rodata->n_members = c->n;
	skel->rodata->multi_mask = multi;
	skel->rodata->cost_on = cost_every != 0;
	skel->rodata->cost_mask = cost_every ? cost_every - 1 : 0;
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
		err = err_set(err, "cannot attach the observer to the dispatcher of %s: %s",
			      c->ifname, strerror(-err));
		goto out;
	}
	*out = link;
out:
	observer_bpf__destroy(skel); /* the link holds the program */
	return err;
}

/*
 * Pins the link @link_fd as the observer's in @dir, in place of the one
 * there: pinned beside it, then renamed over it, so the pin always holds
 * one observer or the other.
 */
static int pin_link(const char *dir, int link_fd)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int err;

	err = pin_path(dir, OBSERVER_PIN, path, sizeof(path));
	if (!err)
		err = pin_path(dir, OBSERVER_PIN "_new", tmp, sizeof(tmp));
	if (err)
		return err_set(err, "the observer's pin path under %s is too long", dir);
	unlink(tmp);
	if (bpf_obj_pin(link_fd, tmp) || rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
		return err_set(err, "cannot pin the observer's link at %s: %s", path,
			       strerror(-err));
	}
	return 0;
}

static int attach_new(const struct chain *c, int state_fd, int stats_fd, int rows_fd)
{
	struct row rows[STATS_ROWS];
	struct bpf_link *link = NULL;
	int disp_fd = -1, hook_fd = -1, err;
	__u8 slot_row[STATS_SLOTS];
	struct sums sum;
	__u16 multi;

	err = read_rows(rows_fd, rows);
	if (!err)
		err = read_sums(stats_fd, &sum);
	if (!err)
		err = assign_rows(c, rows, &sum, slot_row, &multi);
	if (!err)
		err = write_rows(rows_fd, rows);
	if (err)
		return err_set(err, "cannot give the members counter rows: %s", strerror(-err));
	disp_fd = bpf_prog_get_fd_by_id(c->main_id);
	hook_fd = bpf_map_get_fd_by_id(c->hook_id);
	if (disp_fd < 0 || hook_fd < 0) {
		err = err_set(-errno, "cannot open the dispatcher or hook of %s: %s", c->ifname,
			      strerror(errno));
		goto out;
	}
	err = load_observer(c, disp_fd, hook_fd, state_fd, stats_fd, slot_row, multi,
			    rows[STATS_FINAL_ROW].cost_every, &link);
	/* the new link replaces the old one, whose observer leaves with it */
	if (!err)
		err = pin_link(c->state_dir, bpf_link__fd(link));
	/* where redirected packets go: optional, said at info level if refused */
	if (!err)
		redirects__ensure(c->state_dir, c->ifindex, stats_fd, NULL);
out:
	bpf_link__destroy(link); /* the pin keeps it */
	if (disp_fd >= 0)
		close(disp_fd);
	if (hook_fd >= 0)
		close(hook_fd);
	return err;
}

bool observer__wanted(const struct chain *c)
{
	/* libxdp's dispatcher has no xdpchain_exit: nothing to observe */
	return c->kind == CHAIN_DISPATCHER && c->own_dispatcher && c->managed && chain__final(c);
}

int observer__attach(const struct chain *c, int state_fd)
{
	int stats_fd, rows_fd, err;

	if (open_counters(c->state_dir, &stats_fd, &rows_fd))
		err = err_set(
			-ENOENT,
			"the chain on %s has no counter maps (made by an older xdpchain); 'xdpchain flush %s' and add its programs again",
			c->ifname, c->ifname);
	else
		err = attach_new(c, state_fd, stats_fd, rows_fd);
	if (stats_fd >= 0)
		close(stats_fd);
	if (rows_fd >= 0)
		close(rows_fd);
	return err;
}

struct observer_next {
	struct chain c; /* the chain as the new dispatcher runs it (ids, actions) */
	char dir[PATH_MAX]; /* the state directory */
	struct bpf_link *link; /* attached to the new dispatcher */
	int stats_fd, rows_fd;
	int old_link_fd; /* what the observer's pin held before observer__arm() */
	struct row rows_before[STATS_ROWS];
	__u8 slot_row[STATS_SLOTS];
	__u16 multi;
	bool rows_written, pinned;
	struct notes *notes;
};

int observer__prepare(const struct observer_at *at, const struct swap_member *m, size_t n,
		      int disp_fd, struct observer_next **out)
{
	const char *dir = at->state_dir;
	struct observer_next *o;
	struct row rows[STATS_ROWS];
	int hook_fd = -1, state_fd, final = -1, err;
	struct sums sum;

	*out = NULL;
	for (size_t i = 0; i < n; i++)
		if (m[i].is_final)
			final = i;
	/* no final stage, no state: nothing to count for (as observer__attach()) */
	if (final < 0 || n > STATS_SLOTS || !dir[0])
		return 0;
	o = calloc(1, sizeof(*o));
	if (!o)
		return err_set(-ENOMEM, "out of memory");
	o->stats_fd = o->rows_fd = o->old_link_fd = -1;
	o->notes = at->notes;
	snprintf(o->dir, sizeof(o->dir), "%s", dir);
	snprintf(o->c.ifname, sizeof(o->c.ifname), "%s", at->ifname);
	o->c.n = n;
	for (size_t i = 0; i < n; i++) {
		o->c.progs[i].id = m[i].new_id;
		o->c.progs[i].actions = m[i].actions;
		o->c.progs[i].is_final = m[i].is_final;
	}
	state_fd = at->state_fd;
	if (state_fd < 0) {
		err = state_fd;
		goto out;
	}
	if (open_counters(dir, &o->stats_fd, &o->rows_fd)) {
		err = err_set(
			-ENOENT,
			"the chain on %s has no counter maps (made by an older xdpchain); 'xdpchain flush %s' and add its programs again",
			at->ifname, at->ifname);
		goto out;
	}
	/* the hook the final stage calls: the observer hands packets to it too */
	hook_fd = chain__prog_hook_fd(m[final].new_id);
	if (hook_fd < 0) {
		err = err_set(hook_fd, "cannot open the hook of %s's final stage: %s", at->ifname,
			      strerror(-hook_fd));
		goto out;
	}
	/* the rows it will count in; taken for real in observer__arm() */
	err = read_rows(o->rows_fd, o->rows_before);
	if (!err)
		err = read_sums(o->stats_fd, &sum);
	if (!err) {
		memcpy(rows, o->rows_before, sizeof(rows));
		err = assign_rows(&o->c, rows, &sum, o->slot_row, &o->multi);
	}
	if (err) {
		err = err_set(err, "cannot give the members counter rows: %s", strerror(-err));
		goto out;
	}
	err = load_observer(&o->c, disp_fd, hook_fd, state_fd, o->stats_fd, o->slot_row, o->multi,
			    rows[STATS_FINAL_ROW].cost_every, &o->link);
out:
	if (hook_fd >= 0)
		close(hook_fd);
	if (err)
		observer__end(o, false);
	else
		*out = o;
	return err;
}

int observer__arm(struct observer_next *o)
{
	struct row rows[STATS_ROWS];
	__u8 slot_row[STATS_SLOTS];
	char path[PATH_MAX];
	struct sums sum;
	__u16 multi;
	int err;

	/*
	 * The counts so far go to the old dispatcher's epoch. What the old
	 * one still ends until it is replaced counts for the same members'
	 * rows: only a member leaving now loses the packets it ends in that
	 * moment, and it leaves.
	 */
	memcpy(rows, o->rows_before, sizeof(rows));
	err = read_sums(o->stats_fd, &sum);
	if (!err)
		err = assign_rows(&o->c, rows, &sum, slot_row, &multi);
	if (!err && memcmp(slot_row, o->slot_row, sizeof(slot_row)))
		err = -EAGAIN; /* the rows changed under xdpchain's lock: cannot be */
	if (!err) {
		o->rows_written = true;
		err = write_rows(o->rows_fd, rows);
	}
	if (err) {
		err = err_set(err, "cannot give the members counter rows: %s", strerror(-err));
		goto fail;
	}
	/* the old link stays open: its observer runs until the switch */
	if (!pin_path(o->dir, OBSERVER_PIN, path, sizeof(path))) {
		o->old_link_fd = bpf_obj_get(path);
		if (o->old_link_fd < 0 && errno != ENOENT) {
			err = err_set(-errno, "cannot open the observer's link at %s: %s", path,
				      strerror(errno));
			goto fail;
		}
	}
	err = pin_link(o->dir, bpf_link__fd(o->link));
	if (err)
		goto fail;
	o->pinned = true;
	/* where redirected packets go: optional, a note if the kernel refuses */
	redirects__ensure(o->dir, if_nametoindex(o->c.ifname), o->stats_fd, o->notes);
	return 0;
fail:
	observer__disarm(o);
	return err;
}

void observer__disarm(struct observer_next *o)
{
	char path[PATH_MAX];
	int err = 0;

	if (o->pinned) {
		/* the old link back at the pin (or no pin, as before) */
		err_quiet(true);
		if (o->old_link_fd >= 0)
			err = pin_link(o->dir, o->old_link_fd);
		else if (!pin_path(o->dir, OBSERVER_PIN, path, sizeof(path)) && unlink(path))
			err = -errno;
		err_quiet(false);
		if (err)
			notes_add(
				o->notes, LOG_WARN,
				"%s: could not put the observer's old link back at %s/%s: %s; 'xdpchain cleanup' attaches a new one",
				o->c.ifname, o->dir, OBSERVER_PIN, strerror(-err));
		o->pinned = false;
	}
	if (o->rows_written && write_rows(o->rows_fd, o->rows_before))
		notes_add(
			o->notes, LOG_WARN,
			"%s: could not put the counter rows back: %s; this chain's counts may be off",
			o->c.ifname, strerror(errno));
	o->rows_written = false;
}

void observer__end(struct observer_next *o, bool ok)
{
	if (!o)
		return;
	if (!ok)
		observer__disarm(o);
	/* detaches the new observer unless its pin holds it */
	bpf_link__destroy(o->link);
	if (o->old_link_fd >= 0)
		close(o->old_link_fd);
	if (o->stats_fd >= 0)
		close(o->stats_fd);
	if (o->rows_fd >= 0)
		close(o->rows_fd);
	free(o);
}

int observer__read(const struct chain *c, struct prog_stats *out)
{
	struct row rows[STATS_ROWS];
	int stats_fd, rows_fd, err;
	struct sums sum;

	memset(out, 0, sizeof(*out) * c->n);
	err = open_counters(c->state_dir, &stats_fd, &rows_fd);
	if (!err)
		err = read_rows(rows_fd, rows);
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
			out[i].cost_ns = sum.cost_ns[r] - rows[r].cost_base_ns;
			out[i].cost_samples = sum.cost_n[r] - rows[r].cost_base_n;
		}
	}
	if (stats_fd >= 0)
		close(stats_fd);
	if (rows_fd >= 0)
		close(rows_fd);
	return err;
}

int observer__cost_every(const struct chain *c, __u32 *every)
{
	struct row rows[STATS_ROWS];
	int stats_fd, rows_fd, err;

	*every = 0;
	err = open_counters(c->state_dir, &stats_fd, &rows_fd);
	if (!err)
		err = read_rows(rows_fd, rows);
	if (!err)
		*every = rows[STATS_FINAL_ROW].cost_every;
	if (stats_fd >= 0)
		close(stats_fd);
	if (rows_fd >= 0)
		close(rows_fd);
	return err;
}

bool observer__cost_wanted(const char *state_dir)
{
	struct row rows[STATS_ROWS];
	int stats_fd, rows_fd;
	__u32 every;
	bool on = COST_EVERY_DEFAULT != 0;

	if (!observer__cost_env(&every))
		return every != 0;
	err_quiet(true);
	if (!open_counters(state_dir, &stats_fd, &rows_fd) && !read_rows(rows_fd, rows) &&
	    rows[STATS_FINAL_ROW].cost_set)
		on = rows[STATS_FINAL_ROW].cost_every != 0;
	err_quiet(false);
	if (stats_fd >= 0)
		close(stats_fd);
	if (rows_fd >= 0)
		close(rows_fd);
	return on;
}
