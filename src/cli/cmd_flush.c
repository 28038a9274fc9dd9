// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <stddef.h>
#include <stdio.h>

#include "chain.h"
#include "commands.h"
#include "log.h"
#include "notes.h"
#include "output.h"

struct flush_cfg {
	const char *ifname;
};

static const struct param flush_params[] = {
	PARAMS_END,
};

static const struct positional flush_args[] = {
	ARG_IFACE(struct flush_cfg, false, IFACE_HELP),
	{},
};

const struct cmd_desc flush_desc = {
	.name = "flush",
	.summary =
		"Detach every XDP program from IFACE (xdp-loader's too), remove xdpchain's pins and what interrupted runs left for IFACE.",
	.params = flush_params,
	.args = flush_args,
};

int do_flush(int argc, char **argv)
{
	struct notes notes = NOTES_INIT;
	struct flush_cfg cfg = {};
	size_t n, cleaned;
	int ret, err;

	ret = cmd_parse(&flush_desc, argc, argv, &cfg);
	if (ret >= 0)
		return ret;
	err = chain__flush(cfg.ifname, &n, &cleaned, &notes);
	notes_print(&notes);
	if (err)
		return cmd_fail("flush");
	if (g_opts.json) {
		struct json j;

		json_init(&j, stdout, g_opts.pretty);
		json_object_start(&j);
		json_kv_string(&j, "ifname", cfg.ifname);
		json_kv_uint(&j, "removed", n);
		json_kv_uint(&j, "leftovers_removed", cleaned);
		json_object_end(&j);
		json_finish(&j);
	} else {
		pr_info("flushed %s: %zu program%s removed%s\n", cfg.ifname, n, n == 1 ? "" : "s",
			cleaned ? ", and what interrupted runs left" : "");
	}
	return EXIT_OK;
}
