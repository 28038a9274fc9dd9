// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>

#include "chain.h"
#include "commands.h"
#include "log.h"
#include "output.h"

struct cleanup_cfg {
	int unused;
};

static const struct param cleanup_params[] = {
	{ NULL, 0, 0, 0, 0, NULL, NULL, 0 },
};

static const struct positional cleanup_args[] = {
	{},
};

const struct cmd_desc cleanup_desc = {
	.name = "cleanup",
	.summary =
		"Remove what interrupted runs left on every interface, those that are gone included; chains stay.",
	.details =
		"Taps of killed captures, hook pins no tap uses, libxdp's pins of dispatchers that are not\n"
		"attached, xdpchain state of deleted interfaces, dispatcher object directories of killed runs.",
	.params = cleanup_params,
	.args = cleanup_args,
};

struct report {
	struct json *j;
	size_t n;
};

static void on_removed(const struct leftover *l, void *ctx)
{
	struct report *r = ctx;

	r->n++;
	if (r->j)
		json_string(r->j, l->path);
	else
		pr_info("removed %s (%s)\n", l->path, leftover__what(l->kind));
}

int do_cleanup(int argc, char **argv)
{
	struct cleanup_cfg cfg = {};
	struct if_nameindex *ifs, *it;
	struct report r = {};
	struct json j;
	int ret, n;

	ret = cmd_parse(&cleanup_desc, argc, argv, &cfg);
	if (ret >= 0)
		return ret;
	/* taps are chain changes: each its own transaction, before the rest */
	ifs = if_nameindex();
	for (it = ifs; it && it->if_index; it++) {
		size_t taps;
		bool observer;

		err_quiet(true); /* an interface without a chain is no error here */
		chain__repair(it->if_name, &taps, &observer);
		err_quiet(false);
		if (taps && !g_opts.json)
			pr_info("removed %zu tap%s of killed captures from %s\n", taps,
				taps == 1 ? "" : "s", it->if_name);
		if (observer && !g_opts.json)
			pr_info("%s: per-member counters and stage attribution are on again\n",
				it->if_name);
	}
	if (ifs)
		if_freenameindex(ifs);
	if (g_opts.json) {
		json_init(&j, stdout, g_opts.pretty);
		r.j = &j;
		json_object_start(&j);
		json_key(&j, "removed");
		json_array_start(&j);
	}
	n = leftover__clean_all(on_removed, &r);
	if (r.j) {
		json_array_end(&j);
		json_object_end(&j);
		if (n < 0) {
			json_finish(&j); /* what was removed before the failure */
			return cmd_fail("cleanup");
		}
		json_finish(&j);
	} else if (n < 0) {
		return cmd_fail("cleanup");
	} else if (!r.n) {
		pr_info("nothing to clean up\n");
	}
	return EXIT_OK;
}
