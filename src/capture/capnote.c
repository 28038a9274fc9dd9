// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Redirect notes: where each redirected packet a capture copied went, and
 * whether the kernel sent it. The kernel decides that after the chain
 * returned, in xdp_do_redirect(), so the note is written by a tracepoint
 * program into the same CPU's ring right after the packet, and the reader
 * joins the two (capture.c's merge).
 */
#include <errno.h>
#include <stddef.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "capture.h"
#include "netns.h"
#include "../../dispatcher/redirect.h"
#include "redirect_note.skel.h"

_Static_assert(
	sizeof(struct redirect_note) == sizeof(struct capture_meta) &&
		offsetof(struct redirect_note, action) == offsetof(struct capture_meta, action) &&
		offsetof(struct redirect_note, caplen) == offsetof(struct capture_meta, caplen) &&
		offsetof(struct redirect_note, ts_ns) == offsetof(struct capture_meta, ts_ns),
	"a note reads as a record header");

int capnote__start(struct capture *c, int ifindex)
{
	struct redirect_note_bpf *skel = redirect_note_bpf__open();
	int err;

	if (!skel)
		return -errno;
	skel->rodata->chain_ifindex = ifindex;
	skel->rodata->chain_netns = netns__inum();
	err = bpf_map__reuse_fd(skel->maps.xdpchain_caprings, c->rings_fd);
	if (!err)
		err = bpf_map__reuse_fd(skel->maps.xdpchain_capscr, c->scratch_fd);
	if (!err)
		err = redirect_note_bpf__load(skel);
	if (err) {
		redirect_note_bpf__destroy(skel);
		return err;
	}
	c->note_skel = skel;
	c->note_link[0] =
		bpf_program__attach_raw_tracepoint(skel->progs.xdpchain_rnote, "xdp_redirect");
	err = libbpf_get_error(c->note_link[0]);
	if (!err) {
		c->note_link[1] = bpf_program__attach_raw_tracepoint(skel->progs.xdpchain_rnote_err,
								     "xdp_redirect_err");
		err = libbpf_get_error(c->note_link[1]);
	}
	if (err) {
		if (libbpf_get_error(c->note_link[0]))
			c->note_link[0] = NULL;
		c->note_link[1] = NULL;
		capnote__stop(c);
	}
	return err;
}

void capnote__stop(struct capture *c)
{
	for (int i = 0; i < 2; i++) {
		bpf_link__destroy(c->note_link[i]);
		c->note_link[i] = NULL;
	}
	redirect_note_bpf__destroy(c->note_skel);
	c->note_skel = NULL;
}

bool capnote__is_note(const struct capture_meta *m)
{
	return m->action == NOTE_ACTION && !m->caplen;
}

const struct redirect_note *capture__note(const struct capture *c)
{
	return c->note;
}
