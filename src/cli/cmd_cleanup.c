// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "hook.h"
#include "chain.h"
#include "commands.h"
#include "log.h"
#include "notes.h"
#include "output.h"

struct cleanup_cfg {
	int unused;
};

static const struct param cleanup_params[] = {
	PARAMS_END,
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
		"attached, xdpchain state of deleted interfaces, dispatcher object directories of killed runs,\n"
		"lock files of hooks that are gone.",
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

static void on_lock_removed(const char *path, void *ctx)
{
	struct report *r = ctx;

	r->n++;
	if (r->j)
		json_string(r->j, path);
	else
		pr_info("removed %s (the lock file of a hook that is gone)\n", path);
}

/* Taps of a killed capture and a missing observer on @c's interface: its own change. */
static int repair_one(const struct chain *c, void *ctx)
{
	struct notes notes = NOTES_INIT;
	struct report *r = ctx;
	size_t taps;
	bool observer;

	err_quiet(true); /* an interface without a chain is no error here */
	chain__repair(c->ifname, &taps, &observer, &notes);
	err_quiet(false);
	notes_print(&notes);
	if ((taps || observer) && r->j) {
		json_object_start(r->j);
		json_kv_string(r->j, "interface", c->ifname);
		json_kv_uint(r->j, "taps_removed", taps);
		json_kv_bool(r->j, "observer_restored", observer);
		json_object_end(r->j);
		return 0;
	}
	if (taps)
		pr_info("removed %zu tap%s of killed captures from %s\n", taps,
			taps == 1 ? "" : "s", c->ifname);
	if (observer)
		pr_info("%s: per-member counters and stage attribution are on again\n", c->ifname);
	return 0;
}

/* Taps of killed captures and missing observers, each interface its own change. */
static void repair_all(struct report *r)
{
	err_quiet(true);
	chain__for_each(chain__read, repair_one, r);
	err_quiet(false);
}

/* Under -j: one document, what was done and the error that stopped it. */
int do_cleanup(int argc, char **argv)
{
	struct cleanup_cfg cfg = {};
	struct report r = {};
	struct json j;
	int ret, n;

	ret = cmd_parse(&cleanup_desc, argc, argv, &cfg);
	if (ret >= 0)
		return ret;
	if (g_opts.json) {
		json_init(&j, stdout, g_opts.pretty);
		r.j = &j;
		json_object_start(&j);
		json_key(&j, "repaired");
		json_array_start(&j);
	}
	/* taps are chain changes: each its own transaction, before the rest */
	repair_all(&r);
	if (r.j) {
		json_array_end(&j);
		json_key(&j, "removed");
		json_array_start(&j);
	}
	n = leftover__clean_all(on_removed, &r);
	if (n >= 0)
		n = hook__remove_stale_locks(on_lock_removed, &r);
	if (r.j) {
		json_array_end(&j);
		if (n < 0)
			json_kv_string(&j, "error", *err_last() ? err_last() : strerror(-n));
		json_object_end(&j);
		json_finish(&j);
		return n < 0 ? EXIT_FAIL : EXIT_OK;
	}
	if (n < 0)
		return cmd_fail("cleanup");
	if (!r.n)
		pr_info("nothing to clean up\n");
	return EXIT_OK;
}
