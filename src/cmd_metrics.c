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
#include "observer.h"
#include "output.h"
#include "../dispatcher/stats.h"

struct metrics_cfg {
	const char *ifname;
};

static const struct param metrics_params[] = {
	{ NULL, 0, 0, 0, 0, NULL, NULL, 0 },
};

static const struct positional metrics_args[] = {
	{ .name = "IFACE",
	  .off = offsetof(struct metrics_cfg, ifname),
	  .optional = true,
	  .help = "network interface (default: every interface with an XDP program or xdpchain state)" },
	{},
};

const struct cmd_desc metrics_desc = {
	.name = "metrics",
	.summary =
		"Print the chains' counters and problems as Prometheus metrics (text exposition format).",
	.details =
		"Per member, the packets it returned per action (as 'status -s'); per chain, whether it is\n"
		"counted, has a problem or leftovers, and what captures saw and lost. For node_exporter's\n"
		"textfile collector: deploy/systemd/xdpchain-metrics.timer writes them every 15 s.",
	.params = metrics_params,
	.args = metrics_args,
};

struct mchain {
	struct chain c;
	struct prog_stats st[CHAIN_MAX_PROGS];
	bool have_stats;
	__u64 cap[CAP_NR_COUNTERS];
	bool have_cap;
};

/* A label value, escaped as the exposition format wants. */
static void label(const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			printf("\\%c", *s);
		else if (*s == '\n')
			printf("\\n");
		else
			putchar(*s);
	}
}

static void family(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void iface_gauge(const char *name, const struct chain *c, unsigned long long v)
{
	printf("%s{interface=\"", name);
	label(c->ifname);
	printf("\"} %llu\n", v);
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
	ncpu = observer__read_percpu(fd, &v);
	close(fd);
	if (ncpu < 0)
		return;
	for (int i = 0; i < ncpu; i++)
		for (int k = 0; k < CAP_NR_COUNTERS; k++)
			m->cap[k] += v[i].cap[k];
	free(v);
	m->have_cap = true;
}

static int read_one(const char *ifname, bool all, struct mchain **list, size_t *n)
{
	struct mchain *m, *grown;
	int err;

	grown = realloc(*list, (*n + 1) * sizeof(**list));
	if (!grown)
		return err_set(-ENOMEM, "out of memory");
	*list = grown;
	m = &grown[*n];
	memset(m, 0, sizeof(*m));
	if (all)
		err_quiet(true);
	err = chain__read(ifname, &m->c);
	if (all)
		err_quiet(false);
	if (all && (err || (m->c.kind == CHAIN_NONE && !m->c.managed && !m->c.n_leftovers)))
		return 0;
	if (err)
		return err;
	if (m->c.managed) {
		err_quiet(true);
		m->have_stats = !chain__counters_off(&m->c) && !observer__read(&m->c, m->st);
		err_quiet(false);
		read_cap(m);
	}
	(*n)++;
	return 0;
}

static void print_metrics(const struct mchain *list, size_t n)
{
	static const char *const results[CAP_NR_COUNTERS] = {
		[CAP_MATCHED] = "matched", [CAP_OUTPUT_ERR] = "lost"
	};

	family("xdpchain_packets_total", "counter",
	       "Packets each chain member returned, per XDP action, since it joined the chain (xdpchain_final: packets the whole chain passed).");
	for (size_t i = 0; i < n; i++) {
		const struct mchain *m = &list[i];

		for (size_t k = 0; m->have_stats && k < m->c.n; k++) {
			if (!m->st[k].valid)
				continue;
			for (int a = 0; a < XDP_ACTION_COUNT; a++) {
				printf("xdpchain_packets_total{interface=\"");
				label(m->c.ifname);
				printf("\",program=\"");
				label(m->c.progs[k].name);
				printf("\",action=\"%s\"} %llu\n", action_name(a),
				       (unsigned long long)m->st[k].pkts[a]);
			}
		}
	}
	family("xdpchain_chain_programs", "gauge",
	       "Programs in the chain, xdpchain's own (final stage, taps) not counted.");
	for (size_t i = 0; i < n; i++)
		iface_gauge("xdpchain_chain_programs", &list[i].c, chain__user_count(&list[i].c));
	family("xdpchain_counters_enabled", "gauge",
	       "1 when xdpchain's observer counts the chain's packets per member ('xdpchain status -s' says why not).");
	for (size_t i = 0; i < n; i++)
		iface_gauge("xdpchain_counters_enabled", &list[i].c, list[i].have_stats);
	family("xdpchain_chain_problem", "gauge",
	       "1 while 'xdpchain status' warns about the chain (final stage missing, hook replaced, ...).");
	for (size_t i = 0; i < n; i++)
		iface_gauge("xdpchain_chain_problem", &list[i].c,
			    chain__problem(&list[i].c) != NULL);
	family("xdpchain_leftovers", "gauge",
	       "What interrupted runs left for the interface; 'xdpchain cleanup' removes it.");
	for (size_t i = 0; i < n; i++)
		iface_gauge("xdpchain_leftovers", &list[i].c, list[i].c.n_leftovers);
	family("xdpchain_capture_packets_total", "counter",
	       "Packets capture programs on the chain's hook matched, and lost (the capture's buffer was full).");
	for (size_t i = 0; i < n; i++) {
		/* what captures saw is what the chain handed the hook: packets_total */
		for (int k = CAP_MATCHED; list[i].have_cap && k < CAP_NR_COUNTERS; k++) {
			printf("xdpchain_capture_packets_total{interface=\"");
			label(list[i].c.ifname);
			printf("\",result=\"%s\"} %llu\n", results[k],
			       (unsigned long long)list[i].cap[k]);
		}
	}
}

int do_metrics(int argc, char **argv)
{
	struct metrics_cfg cfg = {};
	struct if_nameindex *ifs;
	struct mchain *list = NULL;
	size_t n = 0;
	int ret, err = 0;

	ret = cmd_parse(&metrics_desc, argc, argv, &cfg);
	if (ret >= 0)
		return ret;
	if (cfg.ifname) {
		err = read_one(cfg.ifname, false, &list, &n);
	} else {
		ifs = if_nameindex();
		for (struct if_nameindex *it = ifs; !err && it && it->if_index; it++)
			err = read_one(it->if_name, true, &list, &n);
		if (ifs)
			if_freenameindex(ifs);
	}
	if (err) {
		free(list);
		return cmd_fail("metrics");
	}
	print_metrics(list, n);
	free(list);
	if (fflush(stdout) || ferror(stdout)) {
		err_set(-EIO, "writing the metrics failed: %s", strerror(errno));
		return cmd_fail("metrics");
	}
	return EXIT_OK;
}
