/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* What the running kernel and the installed libraries allow. */
#ifndef __XDPCHAIN_FEATURES_H
#define __XDPCHAIN_FEATURES_H

#include <stdbool.h>

struct features {
	char kernel[128];
	/*
	 * 0 when a plain XDP program loads; else -errno, and freplace_err and
	 * frags say nothing (without privileges every load fails alike)
	 */
	int load_err;
	int freplace_err; /* 0: BPF_PROG_TYPE_EXT loads; else -errno */
	bool frags;
	bool btf;
	bool bpffs;
	char libbpf[32];
	char libxdp[32]; /* version xdpchain was built against */
	int dispatcher_version; /* the dispatcher config version libxdp expects */
	bool dispatcher_own; /* chains use xdpchain's embedded dispatcher object */
	char dispatcher_reason[160]; /* why that object */
};

void features__probe(struct features *f);
/* Fills err_last() with why chains cannot work and how to get out. */
int features__require_freplace(void);

#endif
