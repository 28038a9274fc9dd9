// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <stddef.h>
#include <stdio.h>

#include "chain.h"
#include "commands.h"
#include "log.h"
#include "notes.h"
#include "output.h"

struct remove_cfg {
	const char *ifname;
	const char *prog;
};

static const struct param remove_params[] = {
	PARAMS_END,
};

static const struct positional remove_args[] = {
	ARG_IFACE(struct remove_cfg, false, IFACE_HELP),
	{ .name = "PROG",
	  .off = offsetof(struct remove_cfg, prog),
	  .optional = false,
	  .help = "program name or id, as 'status' shows" },
	{},
};

const struct cmd_desc remove_desc = {
	.name = "remove",
	.summary =
		"Remove a program from the chain on IFACE; the final stage and the hook go with the last one.",
	.params = remove_params,
	.args = remove_args,
};

int do_remove(int argc, char **argv)
{
	struct notes notes = NOTES_INIT;
	struct remove_cfg cfg = {};
	struct chain_prog p;
	int ret, err;

	ret = cmd_parse(&remove_desc, argc, argv, &cfg);
	if (ret >= 0)
		return ret;
	err = chain__remove(cfg.ifname, cfg.prog, &p, &notes);
	notes_print(&notes);
	if (err)
		return cmd_fail("remove");
	if (g_opts.json) {
		struct json j;

		json_init(&j, stdout, g_opts.pretty);
		json_object_start(&j);
		json_kv_string(&j, "ifname", cfg.ifname);
		json_kv_string(&j, "removed", p.name);
		json_kv_uint(&j, "id", p.id);
		json_object_end(&j);
		json_finish(&j);
	} else {
		pr_info("removed %s (id %u) from %s\n", p.name, p.id, cfg.ifname);
	}
	return EXIT_OK;
}
