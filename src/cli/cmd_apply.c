// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* apply: make the interfaces' chains what chain files say (chainfile.h). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "chainfile.h"
#include "commands.h"
#include "feature.h"
#include "log.h"
#include "notes.h"
#include "output.h"
#include "whatif.h"

struct apply_cfg {
	struct rest_args files;
	bool dry_run;
	const char *iface;
	bool skip_missing;
	bool strict;
	const char *replay;
};

static const struct param apply_params[] = {
	{ "dry-run", 'n', PT_FLAG, offsetof(struct apply_cfg, dry_run), PARAM_NO_SET, NULL,
	  "print the plan in run order (what is kept, added, reloaded, changed, removed) after every check apply makes, and change nothing; exit 0: nothing would change, 3: applying would change a chain, 4: it would, but this kernel cannot build chains (no freplace), 1: applying would fail",
	  0 },
	{ "interface", 'i', PT_STR, offsetof(struct apply_cfg, iface), PARAM_NO_SET, "IFACE",
	  "only IFACE's chain (every file is still read); nothing to do when the files do not name it",
	  0 },
	{ "skip-missing", 0, PT_FLAG, offsetof(struct apply_cfg, skip_missing), PARAM_NO_SET, NULL,
	  "leave interfaces that do not exist (yet) for later, with a line each, instead of failing: for boot, where 'apply --interface IFACE' applies a late one when it appears",
	  0 },
	{ "strict", 0, PT_FLAG, offsetof(struct apply_cfg, strict), PARAM_NO_SET, NULL,
	  "fail when an object's content is not the sha256 the file records (default: a warning, and the object as it is now is used)",
	  0 },
	{ "replay", 0, PT_STR, offsetof(struct apply_cfg, replay), PARAM_NO_SET, "IN",
	  "with --dry-run: replay IN (pcap or pcapng) through each interface's chain as it runs and as the files plan it, and list the packets whose fate or bytes would change; loads copies only, nothing live moves",
	  0 },
	PARAMS_END,
};

static const struct positional apply_args[] = {
	{ .name = "FILE...",
	  .off = offsetof(struct apply_cfg, files),
	  .optional = false,
	  .help = "chain files, or directories of *.conf files (e.g. /etc/xdpchain); - reads one from stdin",
	  .rest = true },
	{},
};

const struct cmd_desc apply_desc = {
	.name = "apply",
	.summary =
		"Make the chains of the interfaces the files name what they say, each interface in one change.",
	.details =
		"Every file is read and every object opened and checked before anything changes: a bad\n"
		"file changes nothing. Programs are matched by name: kept as they run when object,\n"
		"content, priority and proceed-on are the same, reloaded when the object changed on\n"
		"disk, removed when the file does not name them. Applying the same files again changes\n"
		"nothing. Interfaces the files do not name are left alone. An interface the files name\n"
		"that does not exist fails the run before anything changes, unless --skip-missing.",
	.params = apply_params,
	.args = apply_args,
};

static const char *step_name(enum apply_step s)
{
	static const char *const names[] = { "keep", "add", "reload", "change", "remove" };

	return names[s];
}

/* libxdp's run order (priority, then name); what leaves comes last. */
static int run_order(const void *a, const void *b)
{
	const struct apply_item *x = *(const struct apply_item *const *)a;
	const struct apply_item *y = *(const struct apply_item *const *)b;

	if ((x->step == STEP_REMOVE) != (y->step == STEP_REMOVE))
		return x->step == STEP_REMOVE ? 1 : -1;
	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* @r's items in run order, into @out (r->n of them). */
static void sorted(const struct apply_result *r, const struct apply_item **out)
{
	for (size_t i = 0; i < r->n; i++)
		out[i] = &r->items[i];
	qsort(out, r->n, sizeof(*out), run_order);
}

static void print_text(const struct chain_spec *s, const struct apply_result *r, bool dry_run)
{
	const struct apply_item *items[sizeof(r->items) / sizeof(r->items[0])];
	char acts[64];
	bool changes = false;

	sorted(r, items);
	for (size_t i = 0; i < r->n; i++) {
		const struct apply_item *it = items[i];

		changes |= it->step != STEP_KEEP;
		format_actions(it->actions, acts, sizeof(acts));
		printf("%s: %-6s %s", s->ifname, step_name(it->step), it->name);
		if (it->old_id)
			printf(" (id %u)", it->old_id);
		if (it->step == STEP_ADD || it->step == STEP_RELOAD)
			printf(" from %s, priority %u, proceed on %s", it->object, it->prio, acts);
		if (it->why[0])
			printf(": %s", it->why);
		if (!dry_run && it->new_id && it->new_id != it->old_id)
			printf(" -> id %u", it->new_id);
		printf("\n");
	}
	if (!changes)
		printf("%s: unchanged\n", s->ifname);
	else if (dry_run)
		printf("%s: would change (dry run: nothing was changed)\n", s->ifname);
	else
		printf("%s: changed\n", s->ifname);
}

static void print_whatif_text(const char *ifname, const struct whatif *w, const char *in)
{
	printf("%s: replayed %llu packets from %s through the chain %s and as planned: %zu would change\n",
	       ifname, (unsigned long long)w->packets, in,
	       w->running ? "as it runs" : "that runs (none: every packet passes)", w->n_ch);
	if (w->cut)
		printf("%s: %llu packets were cut by the capture's snaplen: replayed as captured\n",
		       ifname, (unsigned long long)w->cut);
	for (size_t i = 0; i < w->n_ch && i < EXPECT_LINES; i++)
		printf("%s\n", w->lines[i]);
	if (w->n_ch > EXPECT_LINES)
		printf("... and %zu more packets would change\n", w->n_ch - EXPECT_LINES);
}

static void json_fate(struct json *j, const char *key, const struct golden_fate *f)
{
	json_key(j, key);
	json_object_start(j);
	json_kv_string(j, "verdict", action_name(f->action));
	json_kv_string(j, "stage", f->stage[0] ? f->stage : FINAL_NAME);
	json_kv_uint(j, "len", f->len);
	json_object_end(j);
}

static void print_whatif_json(struct json *j, const struct whatif *w, const char *in)
{
	json_key(j, "replay");
	json_object_start(j);
	json_kv_string(j, "in", in);
	json_kv_uint(j, "packets", w->packets);
	json_kv_uint(j, "cut_by_snaplen", w->cut);
	json_kv_bool(j, "running", w->running);
	json_key(j, "changed");
	json_array_start(j);
	for (size_t i = 0; i < w->n_ch; i++) {
		json_object_start(j);
		json_kv_uint(j, "packet", w->ch[i].packet);
		json_fate(j, "before", &w->ch[i].before);
		json_fate(j, "after", &w->ch[i].after);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
}

static void print_json(struct json *j, const struct chain_spec *s, const struct apply_result *r,
		       bool dry_run, const struct whatif *w, const char *in)
{
	const struct apply_item *items[sizeof(r->items) / sizeof(r->items[0])];
	char acts[64];

	sorted(r, items);
	json_object_start(j);
	json_kv_string(j, "ifname", s->ifname);
	json_kv_bool(j, "changed", r->changed);
	json_kv_bool(j, "dry_run", dry_run);
	json_kv_uint(j, "dispatcher_replacements", r->n_swaps);
	json_key(j, "steps");
	json_array_start(j);
	for (size_t i = 0; i < r->n; i++) {
		const struct apply_item *it = items[i];

		json_object_start(j);
		json_kv_string(j, "step", step_name(it->step));
		json_kv_string(j, "name", it->name);
		json_kv_uint(j, "old_id", it->old_id);
		json_kv_uint(j, "new_id", it->new_id);
		json_kv_uint(j, "priority", it->prio);
		json_kv_string(j, "proceed_on", format_actions(it->actions, acts, sizeof(acts)));
		if (it->object[0])
			json_kv_string(j, "object", it->object);
		if (it->why[0])
			json_kv_string(j, "why", it->why);
		json_object_end(j);
	}
	json_array_end(j);
	if (w)
		print_whatif_json(j, w, in);
	json_object_end(j);
}

static bool named(const struct chainfile *cf, const char *ifname)
{
	for (size_t i = 0; i < cf->n; i++)
		if (!strcmp(cf->ifs[i].spec.ifname, ifname))
			return true;
	return false;
}

enum skip {
	SKIP_NONE,
	SKIP_OTHER, /* not the --interface */
	SKIP_MISSING, /* --skip-missing and no such interface */
};

/* Whether to leave @s out. */
static enum skip choose(const struct apply_cfg *cfg, const struct chain_spec *s)
{
	bool missing;

	if (cfg->iface && strcmp(s->ifname, cfg->iface))
		return SKIP_OTHER;
	if (!cfg->skip_missing)
		return SKIP_NONE;
	/* a probe: its "no interface" must not stand in for a later real error */
	err_quiet(true);
	missing = chain__ifindex(s->ifname) == -ENODEV;
	err_quiet(false);
	if (!missing)
		return SKIP_NONE;
	pr_warn("xdpchain apply: %s: no such interface (yet): left for later; 'xdpchain apply --interface %s FILE...' applies it once it exists\n",
		s->ifname, s->ifname);
	return SKIP_MISSING;
}

/* Names the interfaces of @r (@n of them) whose @flag is set: "xa, xb". */
static size_t names_of(const struct chain_spec *const *s, const struct apply_result *r, size_t n,
		       size_t flag_off, char *buf, size_t size)
{
	size_t k = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!*(const bool *)((const char *)&r[i] + flag_off))
			continue;
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", k++ ? ", " : "",
			 s[i]->ifname);
	}
	return k;
}

/* The failure's line says what became of the interfaces changed before it. */
static void explain_rollback(const struct chain_spec *const *s, const struct apply_result *r,
			     size_t n)
{
	static const char unchanged[] = "; nothing was changed";
	char back[256], kept[256], why[512], msg[1024];
	size_t n_back, n_kept, len;

	n_back = names_of(s, r, n, offsetof(struct apply_result, rolled_back), back, sizeof(back));
	n_kept = names_of(s, r, n, offsetof(struct apply_result, not_rolled_back), kept,
			  sizeof(kept));
	if (!n_back && !n_kept)
		return;
	/* the failed interface's own "nothing was changed" now says it of all */
	snprintf(why, sizeof(why), "%s", err_last());
	len = strlen(why);
	if (len >= strlen(unchanged) && !strcmp(why + len - strlen(unchanged), unchanged))
		why[len - strlen(unchanged)] = '\0';
	if (!n_kept)
		snprintf(msg, sizeof(msg), "%s; nothing was changed: %s %s rolled back to %s", why,
			 back, n_back == 1 ? "was" : "were",
			 n_back == 1 ? "its previous chain" : "their previous chains");
	else
		snprintf(
			msg, sizeof(msg),
			"%s%s%s%s; could not roll back %s (changed through libxdp's own dispatcher object): apply their previous file",
			why, n_back ? "; " : "", back,
			n_back ? (n_back == 1 ? " was rolled back" : " were rolled back") : "",
			kept);
	err_clear();
	err_set(-ECANCELED, "%s", msg);
}

/* The interfaces not skipped, all or nothing (chain__apply_all()), results into @r. */
static int apply_all(const struct chainfile *cf, const enum skip *skip, bool dry_run,
		     struct apply_result *r)
{
	const struct chain_spec **s = calloc(cf->n ? cf->n : 1, sizeof(*s));
	struct apply_result *rr = calloc(cf->n ? cf->n : 1, sizeof(*rr));
	struct notes notes = NOTES_INIT;
	size_t n = 0;
	int err;

	if (!s || !rr) {
		free(s);
		free(rr);
		return err_set(-ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < cf->n; i++)
		if (!skip[i])
			s[n++] = &cf->ifs[i].spec;
	err = n ? chain__apply_all(s, n, dry_run, rr, &notes) : 0;
	notes_print(&notes);
	if (err)
		explain_rollback(s, rr, n);
	for (size_t i = 0, k = 0; i < cf->n; i++)
		if (!skip[i])
			r[i] = rr[k++];
	free(s);
	free(rr);
	return err;
}

static void print_all(const struct apply_cfg *cfg, const struct chainfile *cf,
		      const struct apply_result *r, const enum skip *skip, const char *cannot,
		      const struct whatif *w)
{
	struct json j;

	if (!g_opts.json) {
		for (size_t i = 0; i < cf->n; i++)
			if (!skip[i]) {
				print_text(&cf->ifs[i].spec, &r[i], cfg->dry_run);
				if (w)
					print_whatif_text(cf->ifs[i].ifname, &w[i], cfg->replay);
			}
		if (cannot)
			fprintf(stderr, "xdpchain apply: %s\n", cannot);
		if (!cf->n)
			pr_info("%zu chain file%s, no interfaces in them: nothing to do\n",
				cf->n_files, cf->n_files == 1 ? "" : "s");
		else if (cfg->iface && !named(cf, cfg->iface))
			pr_info("the chain files do not name %s: nothing to do\n", cfg->iface);
		return;
	}
	json_init(&j, stdout, g_opts.pretty);
	json_object_start(&j);
	json_kv_uint(&j, "files", cf->n_files);
	json_key(&j, "interfaces");
	json_array_start(&j);
	for (size_t i = 0; i < cf->n; i++)
		if (!skip[i])
			print_json(&j, &cf->ifs[i].spec, &r[i], cfg->dry_run, w ? &w[i] : NULL,
				   cfg->replay);
	json_array_end(&j);
	json_key(&j, "missing");
	json_array_start(&j);
	for (size_t i = 0; i < cf->n; i++)
		if (skip[i] == SKIP_MISSING)
			json_string(&j, cf->ifs[i].spec.ifname);
	json_array_end(&j);
	if (cannot)
		json_kv_string(&j, "error", cannot);
	json_object_end(&j);
	json_finish(&j);
}

/* A dry run's exit status: whether applying would change anything, and can. */
static int dry_run_status(const struct chainfile *cf, const struct apply_result *r,
			  const enum skip *skip, const char **cannot)
{
	bool changes = false;

	for (size_t i = 0; i < cf->n; i++)
		for (size_t k = 0; !skip[i] && k < r[i].n; k++)
			changes |= r[i].items[k].step != STEP_KEEP;
	if (!changes)
		return EXIT_OK;
	/* what apply would hit before changing anything */
	if (features__require_freplace()) {
		*cannot = err_last();
		return EXIT_CANNOT_CHAIN;
	}
	return EXIT_WOULD_CHANGE;
}

static void free_whatifs(struct whatif *w, size_t n)
{
	for (size_t i = 0; w && i < n; i++)
		whatif__free(&w[i]);
	free(w);
}

/* --replay: IN through each interface's chain as it runs and as planned. */
static int replay_all(const struct apply_cfg *cfg, const struct chainfile *cf,
		      const enum skip *skip, struct whatif **out)
{
	struct whatif *w;
	int err = 0;

	*out = NULL;
	if (!cfg->replay)
		return 0;
	w = calloc(cf->n ? cf->n : 1, sizeof(*w));
	if (!w)
		return err_set(-ENOMEM, "out of memory");
	for (size_t i = 0; !err && i < cf->n; i++)
		if (!skip[i])
			err = whatif__run(&w[i], cfg->replay, &cf->ifs[i].spec);
	if (err) {
		free_whatifs(w, cf->n);
		return err;
	}
	*out = w;
	return 0;
}

int do_apply(int argc, char **argv)
{
	struct apply_cfg cfg = {};
	struct chainfile cf = {};
	struct apply_result *r = NULL;
	enum skip *skip = NULL;
	struct whatif *w = NULL;
	const char *cannot = NULL;
	int ret, err = 0;

	ret = cmd_parse(&apply_desc, argc, argv, &cfg);
	if (ret >= 0)
		return ret;
	if (cfg.replay && !cfg.dry_run)
		return cmd_usage(
			"apply",
			"--replay IN shows what applying would do to IN's packets and applies nothing: give it with --dry-run");
	for (int i = 0; !err && i < cfg.files.argc; i++)
		err = chainfile__load(&cf, cfg.files.argv[i]);
	if (!err && cf.n) {
		r = calloc(cf.n, sizeof(*r));
		skip = calloc(cf.n, sizeof(*skip));
		if (!r || !skip)
			err = err_set(-ENOMEM, "out of memory");
	}
	for (size_t i = 0; !err && i < cf.n; i++) {
		skip[i] = choose(&cfg, &cf.ifs[i].spec);
		cf.ifs[i].spec.strict = cfg.strict;
	}
	/* every interface planned, every object checked, before the first change */
	if (!err)
		err = apply_all(&cf, skip, cfg.dry_run, r);
	if (!err)
		err = replay_all(&cfg, &cf, skip, &w);
	if (!err && cfg.dry_run)
		ret = dry_run_status(&cf, r, skip, &cannot);
	else
		ret = err ? cmd_fail("apply") : EXIT_OK;
	if (!err)
		print_all(&cfg, &cf, r, skip, cannot, w);
	free_whatifs(w, cf.n);
	free(r);
	free(skip);
	chainfile__free(&cf);
	return ret;
}
