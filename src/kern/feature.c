// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <xdp/prog_dispatcher.h>

#include "bpffs.h"
#include "dispatcher.h"
#include "feature.h"
#include "log.h"
#include "probe_ext.skel.h"
#include "probe_target.skel.h"

/* 0 if the kernel loads freplace programs, else -errno (EPERM here). */
static int features__probe_freplace(void)
{
	struct probe_target_bpf *target;
	struct probe_ext_bpf *ext = NULL;
	int err;

	target = probe_target_bpf__open_and_load();
	if (!target)
		return -errno;
	ext = probe_ext_bpf__open();
	if (!ext) {
		err = -errno;
		goto out;
	}
	err = bpf_program__set_attach_target(ext->progs.xdpchain_probe_ext,
					     bpf_program__fd(target->progs.xdpchain_probe),
					     "xdpchain_probe_slot");
	if (!err)
		err = probe_ext_bpf__load(ext);
out:
	probe_ext_bpf__destroy(ext);
	probe_target_bpf__destroy(target);
	return err;
}

/* 0 if a plain XDP program loads here, else -errno: can the other probes see? */
static int probe_load(void)
{
	struct probe_target_bpf *skel = probe_target_bpf__open_and_load();
	int err = skel ? 0 : -errno;

	probe_target_bpf__destroy(skel);
	return err ? err : 0;
}

static bool probe_frags(void)
{
	struct probe_target_bpf *skel = probe_target_bpf__open();
	bool ok;

	if (!skel)
		return false;
	bpf_program__set_flags(skel->progs.xdpchain_probe, BPF_F_XDP_HAS_FRAGS);
	ok = !probe_target_bpf__load(skel);
	probe_target_bpf__destroy(skel);
	return ok;
}

void features__probe(struct features *f)
{
	struct dispatcher_info d;
	struct utsname u;

	memset(f, 0, sizeof(*f));
	if (!uname(&u))
		snprintf(f->kernel, sizeof(f->kernel), "%s", u.release);
	f->load_err = probe_load();
	if (!f->load_err) {
		f->freplace_err = features__probe_freplace();
		f->frags = probe_frags();
	}
	f->btf = !access("/sys/kernel/btf/vmlinux", R_OK);
	f->bpffs = bpffs__is_mounted();
	snprintf(f->libbpf, sizeof(f->libbpf), "%s", libbpf_version_string());
	snprintf(f->libxdp, sizeof(f->libxdp), "%s", XDPCHAIN_LIBXDP_BUILD);
	if (!dispatcher__probe(&d)) {
		f->dispatcher_version = d.version;
		f->dispatcher_own = d.choice == DISPATCHER_OWN;
		snprintf(f->dispatcher_reason, sizeof(f->dispatcher_reason), "%s", d.reason);
	} else {
		f->dispatcher_version = XDP_DISPATCHER_VERSION;
		snprintf(f->dispatcher_reason, sizeof(f->dispatcher_reason), "%s", err_last());
	}
}

int features__require_freplace(void)
{
	int err = features__probe_freplace();

	if (!err)
		return 0;
	return err_set(
		-EOPNOTSUPP,
		"this kernel refuses freplace (BPF_PROG_TYPE_EXT) programs (%s), which libxdp's multi-program dispatcher needs, so a chain cannot be built here and nothing was changed; run on a kernel that allows BPF_PROG_TYPE_EXT, or try the chain in the VM with 'make demo' / 'make vm-test'",
		strerror(-err));
}
