// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <xdp/prog_dispatcher.h>

#include "commands.h"
#include "dispatcher.h"
#include "feature.h"
#include "output.h"

static const struct param features_params[] = {
	PARAMS_END,
};

const struct cmd_desc features_desc = {
	.name = "features",
	.summary =
		"Show what this kernel and the installed libraries allow: freplace (needed for chains), frags, BTF, bpffs, versions.",
	.params = features_params,
	.args = NULL,
};

/* Why freplace and frags are unknown: programs do not load for this user. */
static void blind_reason(const struct features *f, char *buf, size_t size)
{
	snprintf(buf, size, "cannot load BPF programs as uid %u (%s): %s", (unsigned int)geteuid(),
		 strerror(-f->load_err),
		 geteuid() ? "run 'sudo xdpchain features' to see freplace and frags" :
			     "this kernel loads no XDP program");
}

static void print_json(const struct features *f)
{
	char why[256];
	struct json j;

	json_init(&j, stdout, g_opts.pretty);
	json_object_start(&j);
	json_kv_string(&j, "kernel", f->kernel);
	if (f->load_err) {
		/* unknown, not false: null where no probe could see */
		blind_reason(f, why, sizeof(why));
		json_kv_string(&j, "probe_error", why);
		json_key(&j, "freplace");
		json_null(&j);
		json_key(&j, "multiprog");
		json_null(&j);
		json_key(&j, "frags");
		json_null(&j);
	} else {
		json_kv_bool(&j, "freplace", !f->freplace_err);
		if (f->freplace_err)
			json_kv_string(&j, "freplace_error", strerror(-f->freplace_err));
		json_kv_bool(&j, "multiprog", !f->freplace_err);
		json_kv_bool(&j, "frags", f->frags);
	}
	json_kv_bool(&j, "btf", f->btf);
	json_kv_bool(&j, "bpffs", f->bpffs);
	json_kv_string(&j, "libbpf", f->libbpf);
	json_kv_string(&j, "libxdp", f->libxdp);
	json_kv_string(&j, "libxdp_generation", dispatcher__generation(XDP_DISPATCHER_VERSION));
	json_kv_uint(&j, "dispatcher_version", f->dispatcher_version);
	json_kv_string(&j, "dispatcher", f->dispatcher_own ? "xdpchain" : "libxdp");
	json_kv_string(&j, "dispatcher_reason", f->dispatcher_reason);
	json_object_end(&j);
	json_finish(&j);
}

int do_features(int argc, char **argv)
{
	struct features f;
	char dummy, why[256];
	int ret;

	ret = cmd_parse(&features_desc, argc, argv, &dummy);
	if (ret >= 0)
		return ret;
	features__probe(&f);
	if (g_opts.json) {
		print_json(&f);
		return EXIT_OK;
	}
	printf("kernel:               %s\n", f.kernel);
	if (f.load_err) {
		blind_reason(&f, why, sizeof(why));
		printf("freplace (EXT progs): unknown: %s\n", why);
		printf("XDP frags:            unknown\n");
	} else {
		printf("freplace (EXT progs): %s", f.freplace_err ? "no" : "yes");
		if (f.freplace_err)
			printf(" (%s): libxdp's multi-program dispatcher cannot run here; use the VM ('make vm-test')",
			       strerror(-f.freplace_err));
		printf("\nXDP frags:            %s\n", f.frags ? "yes" : "no");
	}
	printf("kernel BTF:           %s\n", f.btf ? "yes" : "no");
	printf("bpffs mounted:        %s\n",
	       f.bpffs ? "yes" : "no (xdpchain mounts it when needed)");
	printf("libbpf:               %s\n", f.libbpf);
	printf("libxdp:               %s (built against; %s, dispatcher config version %d: changes only chains of that version)\n",
	       f.libxdp, dispatcher__generation(XDP_DISPATCHER_VERSION), XDP_DISPATCHER_VERSION);
	printf("dispatcher object:    %s (config version %d): %s\n",
	       f.dispatcher_own ? "xdpchain's own" : "libxdp's", f.dispatcher_version,
	       f.dispatcher_reason);
	return EXIT_OK;
}
