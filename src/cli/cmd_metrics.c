// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * metrics: the chains' counters and health in Prometheus' text exposition
 * format, for node_exporter's textfile collector (deploy/systemd/).
 */
#include <errno.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "capture.h"
#include "chain.h"
#include "commands.h"
#include "log.h"
#include "metrics.h"
#include "observer.h"
#include "output.h"
#include "redirect_view.h"
#include "replace.h"
#include "stats.h"

struct metrics_cfg {
	const char *ifname;
	const char *out;
	const char *append;
};

static const struct param metrics_params[] = {
	{ "output", 'o', PT_STR, offsetof(struct metrics_cfg, out), PARAM_NO_SET, "FILE",
	  "write FILE whole or not at all: a new file in FILE's directory renamed over it, never through a link (node_exporter's textfile collector)",
	  0 },
	{ "append", 0, PT_STR, offsetof(struct metrics_cfg, append), PARAM_NO_SET, "FILE",
	  "add the metrics in FILE ('-': standard input) after xdpchain's own, e.g. a script's gauges",
	  0 },
	PARAMS_END,
};

static const struct positional metrics_args[] = {
	ARG_IFACE(struct metrics_cfg, true, IFACE_ANY_HELP),
	{},
};

const struct cmd_desc metrics_desc = {
	.name = "metrics",
	.summary =
		"Print the chains' counters and problems as Prometheus metrics (text exposition format).",
	.details =
		"Per member, the packets it returned per action (as 'status -s'); per chain, whether it is\n"
		"counted, has a problem or leftovers, and what captures saw and lost. For node_exporter's\n"
		"textfile collector: deploy/systemd/xdpchain-metrics.timer writes them every 15 s with -o.",
	.params = metrics_params,
	.args = metrics_args,
};

struct mchain {
	struct chain c;
	struct prog_stats st[CHAIN_MAX_PROGS];
	bool have_stats;
	__u64 cap[CAP_NR_COUNTERS];
	bool have_cap;
	struct redirect_view rv; /* where members' redirects went */
};

/* A label value, escaped as the exposition format wants. */
static void label(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(out, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

const struct metric_desc metric_descs[M_NR] = {
	[M_PACKETS] = { "xdpchain_packets_total", "counter", "interface,program,program_id,action",
			"Packets each chain member returned, per XDP action, since it joined the chain (xdpchain_final: packets the whole chain passed)." },
	[M_CHAIN_PROGRAMS] = { "xdpchain_chain_programs", "gauge", "interface",
			       "Programs in the chain, xdpchain's own (final stage, taps) not counted." },
	[M_COUNTERS_ENABLED] = { "xdpchain_counters_enabled", "gauge", "interface",
				 "1 when xdpchain's observer counts the chain's packets per member ('xdpchain status -s' says why not)." },
	[M_CHAIN_PROBLEM] = { "xdpchain_chain_problem", "gauge", "interface",
			      "1 while 'xdpchain status' warns about the chain (final stage missing, hook replaced, ...)." },
	[M_LEFTOVERS] = { "xdpchain_leftovers", "gauge", "interface",
			  "What interrupted runs left for the interface; 'xdpchain cleanup' removes it." },
	[M_CAPTURE_PACKETS] = { "xdpchain_capture_packets_total", "counter", "interface,result",
				"Packets capture programs on the chain's hook matched, and lost (the capture's buffer was full)." },
	[M_RUN_SECONDS] = { "xdpchain_program_run_seconds_total", "counter",
			    "interface,program,program_id",
			    "Time each chain member ran on the packets the dispatcher timed (one in XDPCHAIN_COST_EVERY; none while it is off, the default), since it joined the chain; divided by xdpchain_program_run_samples_total, its cost per packet." },
	[M_RUN_SAMPLES] = { "xdpchain_program_run_samples_total", "counter",
			    "interface,program,program_id",
			    "Packets the dispatcher timed across each chain member (cost sampling), since it joined the chain." },
	[M_REDIRECTS] = { "xdpchain_redirect_packets_total", "counter",
			  "interface,program,program_id,target_interface,target_ifindex,map,map_id,key,result",
			  "Packets each chain member redirected, per target (device, or map entry) and result: sent, or the kernel's error (ENETDOWN, EINVAL, ...)." },
};

static void family(FILE *out, enum metric_id m)
{
	const struct metric_desc *d = &metric_descs[m];

	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", d->name, d->help, d->name, d->type);
}

static void iface_gauge(FILE *out, enum metric_id m, const struct chain *c, unsigned long long v)
{
	fprintf(out, "%s{interface=\"", metric_descs[m].name);
	label(out, c->ifname);
	fprintf(out, "\"} %llu\n", v);
}

static void read_cap(struct mchain *m)
{
	struct xdpchain_stats *v;
	char path[PATH_MAX];
	int fd, ncpu;

	if (snprintf(path, sizeof(path), "%s/" STATS_PIN, m->c.state_dir) >= (int)sizeof(path))
		return;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	ncpu = stats__read_percpu(fd, &v);
	close(fd);
	if (ncpu < 0)
		return;
	for (int i = 0; i < ncpu; i++)
		for (int k = 0; k < CAP_NR_COUNTERS; k++)
			m->cap[k] += v[i].cap[k];
	free(v);
	m->have_cap = true;
}

struct mlist {
	struct mchain *list;
	size_t n;
};

/* The chain @c, its counters and its captures' into the list @ctx. */
static int add_one(const struct chain *c, void *ctx)
{
	struct mlist *l = ctx;
	struct mchain *m, *grown;

	grown = realloc(l->list, (l->n + 1) * sizeof(*l->list));
	if (!grown)
		return err_set(-ENOMEM, "out of memory");
	l->list = grown;
	m = &grown[l->n];
	memset(m, 0, sizeof(*m));
	m->c = *c;
	if (m->c.managed) {
		err_quiet(true);
		m->have_stats = !chain__counters_off(&m->c) && !observer__read(&m->c, m->st);
		err_quiet(false);
		read_cap(m);
		redirect_view__read(&m->c, &m->rv);
	}
	l->n++;
	return 0;
}

/* With every interface: the ones with a program, state or leftovers. */
static int add_any(const struct chain *c, void *ctx)
{
	if (c->kind == CHAIN_NONE && !c->managed && !c->n_leftovers)
		return 0;
	return add_one(c, ctx);
}

/*
 * Per member and action; the program id is a label too, so two members of
 * one name (a program added twice, two taps) stay two series: node_exporter
 * refuses a whole file with a duplicate.
 */
static void print_packets(FILE *out, const struct mchain *list, size_t n)
{
	family(out, M_PACKETS);
	for (size_t i = 0; i < n; i++) {
		const struct mchain *m = &list[i];

		for (size_t k = 0; m->have_stats && k < m->c.n; k++) {
			if (!m->st[k].valid)
				continue;
			for (int a = 0; a < XDP_ACTION_COUNT; a++) {
				fprintf(out, "%s{interface=\"", metric_descs[M_PACKETS].name);
				label(out, m->c.ifname);
				fprintf(out, "\",program=\"");
				label(out, m->c.progs[k].name);
				fprintf(out, "\",program_id=\"%u\",action=\"%s\"} %llu\n",
					m->c.progs[k].id, action_name(a),
					(unsigned long long)m->st[k].pkts[a]);
			}
		}
	}
}

/* Per member, what cost sampling timed: seconds and packets. */
static void print_cost(FILE *out, const struct mchain *list, size_t n, enum metric_id id)
{
	family(out, id);
	for (size_t i = 0; i < n; i++) {
		const struct mchain *m = &list[i];

		for (size_t k = 0; m->have_stats && k < m->c.n; k++) {
			if (!m->st[k].valid)
				continue;
			fprintf(out, "%s{interface=\"", metric_descs[id].name);
			label(out, m->c.ifname);
			fprintf(out, "\",program=\"");
			label(out, m->c.progs[k].name);
			if (id == M_RUN_SECONDS)
				fprintf(out, "\",program_id=\"%u\"} %.9f\n", m->c.progs[k].id,
					m->st[k].cost_ns / 1e9);
			else
				fprintf(out, "\",program_id=\"%u\"} %llu\n", m->c.progs[k].id,
					(unsigned long long)m->st[k].cost_samples);
		}
	}
}

static const char *prog_name(const struct chain *c, __u32 id)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->progs[i].id == id)
			return c->progs[i].name;
	return "";
}

static void redirect_series(FILE *out, const struct mchain *m, const struct redirect_target *t,
			    const struct redirect_count *e)
{
	char buf[16];

	fprintf(out, "%s{interface=\"", metric_descs[M_REDIRECTS].name);
	label(out, m->c.ifname);
	fprintf(out, "\",program=\"");
	label(out, prog_name(&m->c, t->prog));
	fprintf(out, "\",program_id=\"%u\",target_interface=\"", t->prog);
	label(out, t->ifname);
	fprintf(out, "\",target_ifindex=\"%u\",map=\"", t->ifindex);
	label(out, t->map);
	fprintf(out, "\",map_id=\"%u\",key=\"%u\",result=\"%s\"} %llu\n", t->map_id, t->key,
		redirects__outcome(e->k.err, buf, sizeof(buf)), (unsigned long long)e->packets);
}

/* Per member, target and result: one series per outcome seen. */
static void print_redirects(FILE *out, const struct mchain *list, size_t n)
{
	family(out, M_REDIRECTS);
	for (size_t i = 0; i < n; i++) {
		struct redirect_target t;
		size_t pos = 0;

		while (redirect_view__next(&list[i].rv, &pos, &t))
			for (size_t k = t.first; k < t.first + t.n; k++)
				redirect_series(out, &list[i], &t, &list[i].rv.v[k]);
	}
}

static void print_metrics(FILE *out, const struct mchain *list, size_t n)
{
	static const char *const results[CAP_NR_COUNTERS] = {
		[CAP_MATCHED] = "matched", [CAP_OUTPUT_ERR] = "lost"
	};

	print_packets(out, list, n);
	print_cost(out, list, n, M_RUN_SECONDS);
	print_cost(out, list, n, M_RUN_SAMPLES);
	family(out, M_CHAIN_PROGRAMS);
	for (size_t i = 0; i < n; i++)
		iface_gauge(out, M_CHAIN_PROGRAMS, &list[i].c, chain__user_count(&list[i].c));
	family(out, M_COUNTERS_ENABLED);
	for (size_t i = 0; i < n; i++)
		iface_gauge(out, M_COUNTERS_ENABLED, &list[i].c, list[i].have_stats);
	family(out, M_CHAIN_PROBLEM);
	for (size_t i = 0; i < n; i++)
		iface_gauge(out, M_CHAIN_PROBLEM, &list[i].c, chain__problem(&list[i].c) != NULL);
	family(out, M_LEFTOVERS);
	for (size_t i = 0; i < n; i++)
		iface_gauge(out, M_LEFTOVERS, &list[i].c, list[i].c.n_leftovers);
	family(out, M_CAPTURE_PACKETS);
	for (size_t i = 0; i < n; i++) {
		/* what captures saw is what the chain handed the hook: packets_total */
		for (int k = CAP_MATCHED; list[i].have_cap && k < CAP_NR_COUNTERS; k++) {
			fprintf(out, "%s{interface=\"", metric_descs[M_CAPTURE_PACKETS].name);
			label(out, list[i].c.ifname);
			fprintf(out, "\",result=\"%s\"} %llu\n", results[k],
				(unsigned long long)list[i].cap[k]);
		}
	}
	print_redirects(out, list, n);
}

/* --append: the metrics in @path ("-": stdin) after ours, ending in a newline. */
static int append_file(FILE *out, const char *path)
{
	FILE *in = strcmp(path, "-") ? fopen(path, "re") : stdin;
	char buf[4096];
	size_t got;
	int last = '\n';

	if (!in)
		return err_set(-errno, "--append %s: %s; give a readable file or '-'", path,
			       strerror(errno));
	while ((got = fread(buf, 1, sizeof(buf), in)) > 0) {
		fwrite(buf, 1, got, out);
		last = buf[got - 1];
	}
	if (ferror(in)) {
		int err = err_set(-EIO, "--append %s: reading it failed", path);

		if (in != stdin)
			fclose(in);
		return err;
	}
	if (in != stdin)
		fclose(in);
	if (last != '\n')
		fputc('\n', out);
	return 0;
}

/* To stdout, or with -o into a file replaced whole or not at all. */
static int write_metrics(const struct metrics_cfg *cfg, const struct mchain *list, size_t n)
{
	struct replace r;
	FILE *out = stdout;
	int err;

	if (cfg->out) {
		err = replace__open(&r, cfg->out);
		if (err)
			return err;
		out = r.f;
	}
	print_metrics(out, list, n);
	err = cfg->append ? append_file(out, cfg->append) : 0;
	if (cfg->out) {
		if (err)
			replace__abort(&r);
		else
			err = replace__commit(&r);
		return err;
	}
	if (!err && (fflush(stdout) || ferror(stdout)))
		err = err_set(-EIO, "writing the metrics failed: %s", strerror(errno));
	return err;
}

int do_metrics(int argc, char **argv)
{
	struct metrics_cfg cfg = {};
	struct mlist l = {};
	int ret, err;

	ret = cmd_parse(&metrics_desc, argc, argv, &cfg);
	if (ret >= 0)
		return ret;
	err = cmd_chains(cfg.ifname, chain__read_leftovers, add_one, add_any, &l);
	if (!err)
		err = write_metrics(&cfg, l.list, l.n);
	for (size_t i = 0; i < l.n; i++)
		redirect_view__free(&l.list[i].rv);
	free(l.list);
	return err ? cmd_fail("metrics") : EXIT_OK;
}
