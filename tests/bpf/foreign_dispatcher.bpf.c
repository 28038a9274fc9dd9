// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Test fixture: what another libxdp generation's dispatcher looks like to
 * this build, without that libxdp. libxdp (and xdpchain) take an XDP program
 * named xdp_dispatcher with one read-only map for a dispatcher, and read its
 * config version from the map's second byte after the magic. This one says
 * version 3 where xdpchain is built against libxdp 1.3-1.5 (version 2), and
 * version 2 where it is built against libxdp 1.6 (version 3). No members.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <xdp/prog_dispatcher.h>

#define FOREIGN_VERSION (XDP_DISPATCHER_VERSION == 2 ? 3 : 2)

const volatile __u8 conf[128] = { XDP_DISPATCHER_MAGIC, FOREIGN_VERSION };

SEC("xdp")
int xdp_dispatcher(struct xdp_md *ctx)
{
	/* reads the config, so the map is the program's */
	return conf[1] ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
