// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "chain.h"
#include "commands.h"
#include "log.h"
#include "observer.h"
#include "output.h"

struct top_cfg {
	const char *ifname;
	__u32 interval_ms;
};

static const struct param top_params[] = {
	{ "interval", 'i', PT_U32, offsetof(struct top_cfg, interval_ms), PARAM_NO_SET, "MS",
	  "time between samples in milliseconds (default 1000)", 3600000 },
	PARAMS_END,
};

static const struct positional top_args[] = {
	ARG_IFACE(struct top_cfg, false, IFACE_HELP),
	{},
};

const struct cmd_desc top_desc = {
	.name = "top",
	.summary =
		"The chain as a funnel, refreshed in place until q or Ctrl-C: what enters, what each member ends per action, what leaves, each member's cost.",
	.details = "With -j, one sample over the interval as JSON, then exit.",
	.params = top_params,
	.args = top_args,
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct sample {
	struct chain c;
	struct prog_stats st[CHAIN_MAX_PROGS];
	struct timespec at;
};

static int take(const char *ifname, struct sample *s)
{
	int err = chain__read(ifname, &s->c);

	if (err)
		return err;
	if (s->c.kind != CHAIN_DISPATCHER || !s->c.managed)
		return err_set(
			-ENOENT,
			"%s has no xdpchain chain; add programs with 'xdpchain add %s prog.o'",
			ifname, ifname);
	if (chain__counters_off(&s->c))
		return err_set(-EOPNOTSUPP, "%s: %s", ifname, chain__counters_off(&s->c));
	clock_gettime(CLOCK_MONOTONIC, &s->at);
	err = observer__read(&s->c, s->st);
	if (err)
		return err_set(err, "cannot read the counters of %s: %s", ifname, strerror(-err));
	return 0;
}

/* Rate of program @i of @now over @then (0 for a program new since then). */
static double rate(const struct sample *then, const struct sample *now, size_t i, int a)
{
	double secs =
		(now->at.tv_sec - then->at.tv_sec) + (now->at.tv_nsec - then->at.tv_nsec) / 1e9;

	for (size_t k = 0; k < then->c.n; k++)
		if (then->c.progs[k].id == now->c.progs[i].id && then->st[k].valid &&
		    now->st[i].valid && secs > 0)
			return (now->st[i].pkts[a] - then->st[k].pkts[a]) / secs;
	return 0;
}

/*
 * Program @i's cost over the interval: ns per timed packet (< 0: none
 * timed), and how many were timed in *@samples.
 */
static double cost(const struct sample *then, const struct sample *now, size_t i, __u64 *samples)
{
	__u64 ns = now->st[i].cost_ns, n = now->st[i].cost_samples;

	for (size_t k = 0; k < then->c.n; k++)
		if (then->c.progs[k].id == now->c.progs[i].id && then->st[k].valid) {
			ns -= then->st[k].cost_ns;
			n -= then->st[k].cost_samples;
		}
	*samples = n;
	return n ? (double)ns / n : -1;
}

static void json_cost(struct json *j, const struct sample *then, const struct sample *now, size_t i)
{
	__u64 n;
	double ns = cost(then, now, i, &n);

	json_key(j, "cost");
	json_object_start(j);
	json_key(j, "ns_per_packet");
	if (ns >= 0)
		json_uint(j, (__u64)(ns + 0.5));
	else
		json_null(j);
	json_kv_uint(j, "samples", n);
	json_object_end(j);
}

static void print_json(const struct sample *then, const struct sample *now)
{
	struct json j;

	json_init(&j, stdout, g_opts.pretty);
	json_object_start(&j);
	json_kv_string(&j, "ifname", now->c.ifname);
	json_kv_uint(&j, "interval_ms",
		     (now->at.tv_sec - then->at.tv_sec) * 1000 +
			     (now->at.tv_nsec - then->at.tv_nsec) / 1000000);
	json_key(&j, "programs");
	json_array_start(&j);
	for (size_t i = 0; i < now->c.n; i++) {
		json_object_start(&j);
		json_kv_string(&j, "name", now->c.progs[i].name);
		json_kv_uint(&j, "id", now->c.progs[i].id);
		json_key(&j, "pps");
		json_object_start(&j);
		for (int a = 0; a < XDP_ACTION_COUNT; a++)
			json_kv_uint(&j, action_name(a), (__u64)(rate(then, now, i, a) + 0.5));
		json_object_end(&j);
		json_cost(&j, then, now, i);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
}

/* A rate in at most 6 columns: 999999, then 1000k, then 9999M. */
static const char *fmt_rate(double r, char buf[16])
{
	if (r < 999999.5)
		snprintf(buf, 16, "%.0f", r);
	else if (r < 9999.5e3)
		snprintf(buf, 16, "%.0fk", r / 1e3);
	else
		snprintf(buf, 16, "%.0fM", r / 1e6);
	return buf;
}

/* What reaches member @i: it returns one verdict for each packet. */
static double rate_in(const struct sample *then, const struct sample *now, size_t i)
{
	double in = 0;

	for (int a = 0; a < XDP_ACTION_COUNT; a++)
		in += rate(then, now, i, a);
	return in;
}

/* Order of the "ends" columns: what members end packets with, most often first. */
static const int end_actions[] = { XDP_DROP, XDP_TX, XDP_REDIRECT, XDP_ABORTED, XDP_PASS };
#define FUNNEL_BAR 8

/*
 * Member @i as a row of the funnel: what reaches it (a bar against what
 * enters the chain, @enter), what it ends per action (an action it goes on
 * after shows '.'), its cost: 79 columns.
 */
static void funnel_row(const struct sample *then, const struct sample *now, size_t i, double enter)
{
	const struct chain_prog *p = &now->c.progs[i];
	double in = rate_in(then, now, i), ns;
	int bar = enter > 0 ? (int)(in / enter * FUNNEL_BAR + 0.5) : 0;
	char b[16];
	__u64 n;

	printf("%-2zu %-17.17s %-*.*s %7s", i, p->name, FUNNEL_BAR, bar, "##########",
	       fmt_rate(in, b));
	for (size_t k = 0; k < sizeof(end_actions) / sizeof(end_actions[0]); k++) {
		int a = end_actions[k];

		if (p->actions & (1U << a))
			printf(" %6s", ".");
		else
			printf(" %6s", fmt_rate(rate(then, now, i, a), b));
	}
	ns = cost(then, now, i, &n);
	if (ns >= 0)
		printf(" %6.0f\n", ns);
	else
		printf(" %6s\n", "-");
}

/*
 * The chain as a funnel: what enters (what the first member sees), what
 * each member ends and with which action, what leaves (the final stage's
 * passes); totals on top.
 */
static void print_screen(const struct sample *then, const struct sample *now, bool tty)
{
	double enter = now->c.n ? rate_in(then, now, 0) : 0, ended[XDP_ACTION_COUNT] = {};
	double leave = 0;
	char b[6][16];

	for (size_t i = 0; i < now->c.n; i++)
		for (int a = 0; a < XDP_ACTION_COUNT; a++)
			if (now->c.progs[i].is_final)
				leave += rate(then, now, i, a);
			else if (!(now->c.progs[i].actions & (1U << a)))
				ended[a] += rate(then, now, i, a);
	if (tty)
		fputs("\033[H\033[2J", stdout); /* home, clear: redraw in place */
	printf("xdpchain top %s: packets per second per action (q or Ctrl-C quits)\n",
	       now->c.ifname);
	printf("enter %s   leave %s   ended: drop %s tx %s redirect %s aborted %s\n\n",
	       fmt_rate(enter, b[0]), fmt_rate(leave, b[1]), fmt_rate(ended[XDP_DROP], b[2]),
	       fmt_rate(ended[XDP_TX], b[3]), fmt_rate(ended[XDP_REDIRECT], b[4]),
	       fmt_rate(ended[XDP_ABORTED], b[5]));
	printf("%-2s %-17s %-*s %7s %6s %6s %6s %6s %6s %6s\n", "#", "member", FUNNEL_BAR, "", "in",
	       "drop", "tx", "redir", "abort", "pass", "ns/pkt");
	for (size_t i = 0; i < now->c.n; i++)
		funnel_row(then, now, i, enter);
	fflush(stdout);
}

/* Waits up to @ms; true when q was typed. */
static bool wait_key(int ms, bool tty)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	char ch;

	if (!tty) {
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		return false;
	}
	if (poll(&p, 1, ms) <= 0)
		return false;
	return read(STDIN_FILENO, &ch, 1) == 1 && (ch == 'q' || ch == 'Q');
}

int do_top(int argc, char **argv)
{
	struct top_cfg cfg = { .interval_ms = 1000 };
	static struct sample a, b;
	struct sample *then = &a, *now = &b, *tmp;
	struct sigaction sa = {};
	struct termios old, raw;
	bool tty, raw_on = false;
	int ret;

	ret = cmd_parse(&top_desc, argc, argv, &cfg);
	if (ret >= 0)
		return ret;
	if (!cfg.interval_ms) {
		return cmd_usage("top", "--interval must be positive");
	}
	if (take(cfg.ifname, then))
		return cmd_fail("top");
	if (g_opts.json) {
		wait_key(cfg.interval_ms, false);
		if (take(cfg.ifname, now))
			return cmd_fail("top");
		print_json(then, now);
		return EXIT_OK;
	}
	tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (tty && !tcgetattr(STDIN_FILENO, &old)) {
		raw = old;
		raw.c_lflag &= ~(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		raw_on = !tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	ret = EXIT_OK;
	while (!stop) {
		if (wait_key(cfg.interval_ms, tty))
			break;
		if (stop)
			break;
		if (take(cfg.ifname, now)) {
			ret = cmd_fail("top");
			break;
		}
		print_screen(then, now, tty);
		tmp = then;
		then = now;
		now = tmp;
	}
	if (raw_on)
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
	return ret;
}
