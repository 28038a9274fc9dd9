// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A replay through a real dispatcher (replay.h, replay --dispatcher):
 * xdpchain's own dispatcher object, loaded on no interface with the
 * chain's config as libxdp would write it, the members' objects loaded
 * again as freplace programs in its slots, and dispatcher/replay_tap.bpf.c
 * on its stage stubs. Each packet is one BPF_PROG_TEST_RUN of the
 * dispatcher; the stages come back through the tap's ring buffer into the
 * same struct replay_pkt the one-by-one path fills, so what writes and
 * compares a replay does not know which path ran.
 *
 * The members share the maps of the one-by-one copies (bpf_map__reuse_fd):
 * what replay__load_live() copied from the live maps is what they see.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/prog_dispatcher.h>

#include "feature.h"
#include "log.h"
#include "objfile.h"
#include "replay.h"
#include "../../dispatcher/replay_tap.h"
#include "replay_tap.skel.h"
#include "xdp_dispatcher.skel.h"

struct replay_disp {
	struct xdp_dispatcher_bpf *disp;
	struct bpf_object *obj[CHAIN_MAX_PROGS]; /* the members as freplace programs */
	struct bpf_link *link[CHAIN_MAX_PROGS];
	struct replay_tap_bpf *tap;
	struct bpf_link *tap_link[3];
	struct ring_buffer *ring;
	int disp_fd;
};

/* What the ring's records fill while one packet's run is read back. */
struct disp_read {
	struct replay *r;
	struct replay_pkt *p;
	int err;
	bool entry, exit;
	__u32 slot, verdict;
	__u64 verdicts;
};

/* The config libxdp would write for @r's chain: slot i runs r->m[i]. */
static int load_dispatcher(struct replay *r, struct replay_disp *d)
{
	struct xdp_dispatcher_config *cfg;
	int err;

	d->disp = xdp_dispatcher_bpf__open();
	if (!d->disp)
		return err_set(-errno, "cannot open xdpchain's embedded dispatcher: %s",
			       strerror(errno));
	cfg = (struct xdp_dispatcher_config *)&d->disp->rodata->conf;
	cfg->magic = XDP_DISPATCHER_MAGIC;
	cfg->dispatcher_version = XDP_DISPATCHER_VERSION;
	cfg->num_progs_enabled = r->n;
	for (size_t i = 0; i < r->n; i++) {
		cfg->chain_call_actions[i] = r->m[i].actions | 1U << XDP_DISPATCHER_RETVAL;
		cfg->run_prios[i] = r->m[i].prio;
	}
	bpf_program__set_autoload(d->disp->progs.xdp_pass, false);
	err = xdp_dispatcher_bpf__load(d->disp);
	if (err)
		return err_set(err, "cannot load xdpchain's dispatcher for the replay: %s",
			       strerror(-err));
	d->disp_fd = bpf_program__fd(d->disp->progs.xdp_dispatcher);
	return 0;
}

/*
 * Every map of @obj shares the same-named map of the one-by-one copy @m.
 * Prog arrays only when the copy's point at tail-call targets: a kernel
 * that ties a prog array to the type of its first user (6.1: XDP, the
 * copy) refuses it to an freplace program, and an empty one of the
 * member's own does the same. None is pinned: nothing reaches bpffs.
 */
static int share_maps(struct bpf_object *obj, const struct replay_member *m)
{
	struct bpf_map *map, *mine;
	int err;

	bpf_object__for_each_map(map, obj) {
		bpf_map__set_pin_path(map, NULL);
		if (bpf_map__type(map) == BPF_MAP_TYPE_PROG_ARRAY && !m->tail_slots)
			continue;
		mine = bpf_object__find_map_by_name(m->obj, bpf_map__name(map));
		if (!mine || bpf_map__fd(mine) < 0)
			continue;
		err = bpf_map__reuse_fd(map, bpf_map__fd(mine));
		if (err)
			return err_set(err,
				       "'%s': cannot share map %s with the dispatcher's copy: %s",
				       m->name, bpf_map__name(map), strerror(-err));
	}
	return 0;
}

/* @m's object again, its program as an freplace program of slot @i. */
static int open_ext(struct replay_disp *d, const struct replay_member *m, size_t i,
		    struct bpf_object **out)
{
	struct bpf_program *prog, *p;
	struct bpf_object *obj;
	struct objfile f;
	char slot[32];
	int err;

	err = objfile__read(&f, m->object, NULL);
	if (err)
		return err;
	if (memcmp(f.sha256, m->sha256, sizeof(m->sha256))) {
		objfile__free(&f);
		return err_set(-ESTALE, "%s changed during the replay; run it again", m->object);
	}
	obj = bpf_object__open_mem(f.data, f.size, NULL);
	objfile__free(&f); /* libbpf keeps its own copy */
	err = libbpf_get_error(obj);
	if (err)
		return err_set(err, "cannot open BPF object %s again: %s", m->object,
			       strerror(-err));
	*out = obj;
	prog = bpf_object__find_program_by_name(obj, m->name);
	if (!prog)
		return err_set(-ENOENT, "%s has no program '%s' any more", m->object, m->name);
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == prog);
	snprintf(slot, sizeof(slot), "prog%zu", i);
	bpf_program__set_type(prog, BPF_PROG_TYPE_EXT);
	bpf_program__set_expected_attach_type(prog, 0);
	err = bpf_program__set_attach_target(prog, d->disp_fd, slot);
	return err ?: share_maps(obj, m);
}

static int load_member(struct replay_disp *d, const struct replay_member *m, size_t i)
{
	struct bpf_program *prog;
	char slot[32];
	int err;

	err = open_ext(d, m, i, &d->obj[i]);
	if (err)
		return err;
	err = bpf_object__load(d->obj[i]);
	if (err && m->tail_slots)
		return err_set(
			err,
			"'%s' tail-calls through a prog array, which this kernel does not let an freplace program share with the replay's copies (%s); replay without --dispatcher",
			m->name, strerror(-err));
	if (err)
		return err_set(
			err,
			"loading '%s' from %s as an freplace program of the replay's dispatcher failed: %s; run with -vv for the verifier log, or replay without --dispatcher",
			m->name, m->object, strerror(-err));
	prog = bpf_object__find_program_by_name(d->obj[i], m->name);
	snprintf(slot, sizeof(slot), "prog%zu", i);
	d->link[i] = bpf_program__attach_freplace(prog, d->disp_fd, slot);
	err = libbpf_get_error(d->link[i]);
	if (err) {
		d->link[i] = NULL;
		return err_set(err, "cannot attach '%s' to slot %s of the replay's dispatcher: %s",
			       m->name, slot, strerror(-err));
	}
	return 0;
}

static int read_rec(void *ctx, void *data, size_t size);

static int load_tap(struct replay_disp *d, struct disp_read *rd)
{
	struct bpf_program *progs[3];
	static const char *const funcs[3] = { "xdpchain_entry", "xdpchain_step", "xdpchain_exit" };
	int err = 0;

	d->tap = replay_tap_bpf__open();
	if (!d->tap)
		return err_set(-errno, "cannot open the replay's stage programs: %s",
			       strerror(errno));
	progs[0] = d->tap->progs.replay_entry;
	progs[1] = d->tap->progs.replay_step;
	progs[2] = d->tap->progs.replay_exit;
	for (int i = 0; i < 3 && !err; i++)
		err = bpf_program__set_attach_target(progs[i], d->disp_fd, funcs[i]);
	if (!err)
		err = replay_tap_bpf__load(d->tap);
	for (int i = 0; i < 3 && !err; i++) {
		d->tap_link[i] = bpf_program__attach_freplace(progs[i], d->disp_fd, funcs[i]);
		err = libbpf_get_error(d->tap_link[i]);
		if (err)
			d->tap_link[i] = NULL;
	}
	if (err)
		return err_set(err, "cannot load the replay's stage programs on its dispatcher: %s",
			       strerror(-err));
	d->ring = ring_buffer__new(bpf_map__fd(d->tap->maps.replay_ring), read_rec, rd, NULL);
	if (!d->ring)
		return err_set(-errno, "cannot read the replay's ring buffer: %s", strerror(errno));
	return 0;
}

/* Filled per packet; one replay at a time per process. */
static struct disp_read g_read;

int replay__use_dispatcher(struct replay *r)
{
	struct replay_disp *d;
	int err;

	err_quiet(true);
	err = features__require_freplace();
	err_quiet(false);
	if (err)
		return err_set(
			-EOPNOTSUPP,
			"replay --dispatcher needs freplace (BPF_PROG_TYPE_EXT) programs, which this kernel refuses (see 'xdpchain features'); replay without --dispatcher, one member after the other");
	d = calloc(1, sizeof(*d));
	if (!d)
		return err_set(-ENOMEM, "out of memory");
	r->disp = d;
	err = load_dispatcher(r, d);
	for (size_t i = 0; i < r->n && !err; i++)
		err = load_member(d, &r->m[i], i);
	if (!err)
		err = load_tap(d, &g_read);
	if (err)
		replay__disp_free(r);
	return err;
}

void replay__disp_free(struct replay *r)
{
	struct replay_disp *d = r->disp;

	if (!d)
		return;
	ring_buffer__free(d->ring);
	for (int i = 0; i < 3; i++)
		bpf_link__destroy(d->tap_link[i]);
	replay_tap_bpf__destroy(d->tap);
	for (size_t i = 0; i < CHAIN_MAX_PROGS; i++) {
		bpf_link__destroy(d->link[i]);
		bpf_object__close(d->obj[i]);
	}
	xdp_dispatcher_bpf__destroy(d->disp);
	free(d);
	r->disp = NULL;
}

/* A stage record: the bytes after member rec->slot, into the next buffer. */
static int read_step(struct disp_read *rd, const struct replay_tap_rec *rec)
{
	struct replay_pkt *p = rd->p;
	size_t k = p->n_stages;

	if (rec->slot >= rd->r->n || k >= rd->r->n)
		return -EPROTO;
	memcpy(p->buf[k], rec->data, rec->copied);
	p->stages[k] =
		(struct replay_stage){ .member = rec->slot, .len = rec->copied, .data = p->buf[k] };
	p->n_stages++;
	return 0;
}

static int read_rec(void *ctx, void *data, size_t size)
{
	struct disp_read *rd = ctx;
	const struct replay_tap_rec *rec = data;

	if (size < sizeof(*rec) || rec->copied != rec->len) {
		/* a packet longer than a stage record holds, or a failed copy */
		rd->err = -EMSGSIZE;
		return 0;
	}
	switch (rec->kind) {
	case REPLAY_TAP_ENTRY:
		rd->entry = true;
		break;
	case REPLAY_TAP_STEP:
		if (!rd->err)
			rd->err = read_step(rd, rec);
		break;
	case REPLAY_TAP_EXIT:
		rd->exit = true;
		rd->slot = rec->slot;
		rd->verdict = rec->verdict;
		rd->verdicts = rec->verdicts;
		break;
	default:
		rd->err = -EPROTO;
	}
	return 0;
}

/* What each member returned, from the fate's record, counted as replay_run.c counts. */
static void count(struct replay *r, const struct disp_read *rd)
{
	size_t last = rd->slot < r->n ? rd->slot : r->n;

	for (size_t i = 0; i < last; i++)
		r->m[i].pkts[replay__action_slot((rd->verdicts >> (4 * i)) & 0xf)]++;
	if (rd->slot < r->n)
		r->m[rd->slot].pkts[replay__action_slot(rd->verdict)]++;
	else
		r->passed_end++;
}

/* One test run of the dispatcher; the fate's bytes into the last buffer. */
static int run_disp(struct replay *r, const void *data, __u32 len, struct replay_pkt *p, __u32 *ret)
{
	unsigned char *out = p->buf[CHAIN_MAX_PROGS];
	struct xdp_md ctx_in = {
		.data_end = len,
		.ingress_ifindex = r->ifindex,
		.rx_queue_index = r->ifindex ? r->rx_queue : 0,
	};
	struct xdp_md ctx_out = {};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = data, .data_size_in = len, .data_out = out,
		    .data_size_out = REPLAY_PKT_MAX + REPLAY_META_MAX, .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out), .repeat = 1);

	if (bpf_prog_test_run_opts(r->disp->disp_fd, &o))
		return -errno;
	if (ctx_out.data > ctx_out.data_end || ctx_out.data_end > o.data_size_out)
		return -EPROTO;
	p->data = out + ctx_out.data;
	p->len = ctx_out.data_end - ctx_out.data;
	*ret = o.retval;
	return 0;
}

int replay__disp_packet(struct replay *r, const void *data, __u32 len, struct replay_pkt *p)
{
	struct disp_read *rd = &g_read;
	__u32 ret = 0;
	int err;

	memset(rd, 0, sizeof(*rd));
	rd->r = r;
	rd->p = p;
	p->n_stages = 0;
	err = run_disp(r, data, len, p, &ret);
	if (ring_buffer__consume(r->disp->ring) < 0 && !err)
		err = -EIO;
	if (!err)
		err = rd->err;
	if (!err && (!rd->entry || !rd->exit || rd->verdict != ret))
		err = -EPROTO; /* a stage missing: the ring was full */
	if (err)
		return err_set(err, "packet %llu (%u bytes): the replay's dispatcher failed: %s%s",
			       (unsigned long long)r->packets + 1, len, strerror(-err),
			       err == -EMSGSIZE ? " (longer than a stage record holds)" : "");
	r->packets++;
	count(r, rd);
	p->action = ret;
	p->member = rd->slot < r->n ? (int)rd->slot : REPLAY_END;
	return 0;
}
