// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <xdp/prog_dispatcher.h>

#include "bpffs.h"
#include "feature.h"
#include "log.h"
#include "probe_ext.skel.h"
#include "probe_target.skel.h"

int features__probe_freplace(void)
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

static void find_dispatcher_obj(char *buf, size_t size)
{
	static const char *const dirs[] = { "/usr/lib/x86_64-linux-gnu/bpf", "/usr/lib/bpf",
					    "/usr/local/lib/bpf" };
	const char *env = getenv("LIBXDP_OBJECT_PATH");

	buf[0] = '\0';
	if (env && *env) {
		snprintf(buf, size, "%s/xdp-dispatcher.o", env);
		if (!access(buf, R_OK))
			return;
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(buf, size, "%s/xdp-dispatcher.o", dirs[i]);
		if (!access(buf, R_OK))
			return;
	}
	buf[0] = '\0';
}

void features__probe(struct features *f)
{
	struct utsname u;

	memset(f, 0, sizeof(*f));
	if (!uname(&u))
		snprintf(f->kernel, sizeof(f->kernel), "%s", u.release);
	f->freplace_err = features__probe_freplace();
	f->frags = probe_frags();
	f->btf = !access("/sys/kernel/btf/vmlinux", R_OK);
	f->bpffs = bpffs__is_mounted();
	snprintf(f->libbpf, sizeof(f->libbpf), "%s", libbpf_version_string());
	snprintf(f->libxdp, sizeof(f->libxdp), "%s", XDPCHAIN_LIBXDP_BUILD);
	f->dispatcher_version = XDP_DISPATCHER_VERSION;
	find_dispatcher_obj(f->dispatcher_obj, sizeof(f->dispatcher_obj));
}

int features__require_freplace(void)
{
	int err = features__probe_freplace();

	if (!err)
		return 0;
	return err_set(-EOPNOTSUPP,
		       "this kernel refuses freplace (BPF_PROG_TYPE_EXT) programs (%s), which libxdp's multi-program dispatcher needs, so a chain cannot be built here and nothing was changed; run on a kernel that allows BPF_PROG_TYPE_EXT, or try the chain in the VM with 'make demo' / 'make vm-test'",
		       strerror(-err));
}
