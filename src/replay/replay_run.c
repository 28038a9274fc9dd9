// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* One packet through the copies, the dispatcher's way (replay.h). */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "replay.h"

/*
 * One member over the packet in @in (@meta bytes of metadata, then the
 * frame, @len bytes in all), into @out the same way. BPF_PROG_TEST_RUN
 * takes the metadata in front of the frame with ctx.data its length, and
 * gives back data_out from the metadata on, ctx_out saying where the
 * frame starts and ends in it.
 */
static int run_one(const struct replay *r, const struct replay_member *m, const void *in, __u32 len,
		   __u32 *meta, void *out, __u32 *out_len, __u32 *ret)
{
	struct xdp_md ctx_in = {
		.data = *meta,
		.data_end = len,
		.ingress_ifindex = r->ifindex,
		.rx_queue_index = r->ifindex ? r->rx_queue : 0,
	};
	struct xdp_md ctx_out = {};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = len, .data_out = out,
		    .data_size_out = REPLAY_PKT_MAX + REPLAY_META_MAX, .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out), .repeat = 1);

	if (bpf_prog_test_run_opts(m->prog_fd, &o))
		return -errno;
	if (ctx_out.data > ctx_out.data_end || ctx_out.data_end > o.data_size_out)
		return -EPROTO;
	*meta = ctx_out.data;
	*out_len = ctx_out.data_end;
	*ret = o.retval;
	return 0;
}

static void fate(struct replay_pkt *p, int member, __u32 action, const unsigned char *buf,
		 __u32 meta, __u32 len)
{
	p->member = member;
	p->action = action;
	p->data = buf + meta;
	p->len = len - meta;
}

int replay__packet(struct replay *r, const void *data, __u32 len, struct replay_pkt *p)
{
	const unsigned char *in = data;
	__u32 meta = 0, in_len = len, ret = 0;
	int err;

	if (len > REPLAY_PKT_MAX)
		return -EMSGSIZE;
	if (r->disp)
		return replay__disp_packet(r, data, len, p);
	p->n_stages = 0;
	r->packets++;
	for (size_t i = 0; i < r->n; i++) {
		struct replay_member *m = &r->m[i];
		unsigned char *out = p->buf[i];
		__u32 out_len = 0;

		err = run_one(r, m, in, in_len, &meta, out, &out_len, &ret);
		if (err) {
			r->packets--;
			p->member = i; /* who refused, for the caller's message */
			return err;
		}
		m->pkts[replay__action_slot(ret)]++;
		if (!replay__proceeds(m->actions, ret)) {
			fate(p, i, ret, out, meta, out_len);
			return 0;
		}
		p->stages[p->n_stages++] = (struct replay_stage){ .member = i,
								  .len = out_len - meta,
								  .data = out + meta };
		in = out;
		in_len = out_len;
	}
	r->passed_end++;
	fate(p, REPLAY_END, XDP_PASS, in, meta, in_len);
	return 0;
}
