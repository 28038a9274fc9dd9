// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* parse_actions, format_actions, parse_u32, params_parse, params_usage. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>
#include <xdp/libxdp.h>

#include "params.h"
#include "unit.h"

#define A(x) (1U << XDP_##x)
#define ALL_ACTIONS (A(ABORTED) | A(DROP) | A(PASS) | A(TX) | A(REDIRECT))

TEST(actions_parse_single)
{
	__u32 m = 0;

	CHECK_EQ_INT(parse_actions("pass", &m), 0);
	CHECK_EQ_INT(m, A(PASS));
	CHECK_EQ_INT(parse_actions("drop,pass", &m), 0);
	CHECK_EQ_INT(m, A(DROP) | A(PASS));
	/* Order in the list does not matter, repeats are harmless. */
	CHECK_EQ_INT(parse_actions("pass,drop,pass", &m), 0);
	CHECK_EQ_INT(m, A(DROP) | A(PASS));
}

TEST(actions_parse_all_names)
{
	static const struct {
		const char *name;
		__u32 bit;
	} names[] = {
		{ "aborted", A(ABORTED) }, { "drop", A(DROP) },		{ "pass", A(PASS) },
		{ "tx", A(TX) },	   { "redirect", A(REDIRECT) },
	};
	__u32 m;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		m = 0;
		CHECK_EQ_INT(parse_actions(names[i].name, &m), 0);
		CHECK_EQ_INT(m, names[i].bit);
	}
	CHECK_EQ_INT(parse_actions("aborted,drop,pass,tx,redirect", &m), 0);
	CHECK_EQ_INT(m, ALL_ACTIONS);
}

TEST(actions_parse_rejects)
{
	static const char *const bad[] = {
		"",    "pass,", ",pass",     "PASS",  "pass,,drop", "foo",	 ",",
		"pas", "passx", "pass drop", " pass", "pass ",	    "drop;pass",
	};
	__u32 m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = 0xdead;
		if (parse_actions(bad[i], &m) != -EINVAL) {
			unit_fail(__FILE__, __LINE__, "parse_actions(\"%s\") accepted", bad[i]);
			return;
		}
		/* A rejected list leaves the caller's value alone. */
		CHECK_EQ_INT(m, 0xdead);
	}
}

TEST(actions_format)
{
	char buf[64];

	CHECK_STR(format_actions(A(PASS), buf, sizeof(buf)), "pass");
	CHECK_STR(format_actions(A(PASS) | A(DROP), buf, sizeof(buf)), "drop,pass");
	CHECK_STR(format_actions(ALL_ACTIONS, buf, sizeof(buf)), "aborted,drop,pass,tx,redirect");
	CHECK_STR(format_actions(0, buf, sizeof(buf)), "");
	/* Bits past XDP_REDIRECT name no action. */
	CHECK_STR(format_actions(1U << 5 | 1U << 31, buf, sizeof(buf)), "");
	CHECK(format_actions(A(TX), buf, sizeof(buf)) == buf);
}

TEST(actions_format_truncates_safely)
{
	char buf[16];

	memset(buf, 'X', sizeof(buf));
	format_actions(ALL_ACTIONS, buf, 8);
	CHECK_STR(buf, "aborted");
	/* Nothing written past the size given. */
	for (size_t i = 8; i < sizeof(buf); i++)
		CHECK_EQ_INT(buf[i], 'X');
	memset(buf, 'X', sizeof(buf));
	format_actions(ALL_ACTIONS, buf, 1);
	CHECK_EQ_INT(buf[0], '\0');
	CHECK_EQ_INT(buf[1], 'X');
}

TEST(actions_round_trip)
{
	char buf[64];
	__u32 m;

	for (__u32 mask = 0; mask <= 31; mask++) {
		format_actions(mask, buf, sizeof(buf));
		if (!mask) {
			CHECK_STR(buf, "");
			CHECK(parse_actions(buf, &m) != 0);
			continue;
		}
		m = 0;
		if (parse_actions(buf, &m) || m != mask) {
			unit_fail(__FILE__, __LINE__, "mask %u -> \"%s\" -> %u", mask, buf, m);
			return;
		}
	}
}

TEST(action_name)
{
	CHECK_STR(action_name(XDP_ABORTED), "aborted");
	CHECK_STR(action_name(XDP_REDIRECT), "redirect");
	CHECK_STR(action_name(XDP_REDIRECT + 1), "unknown");
	CHECK_STR(action_name(UINT_MAX), "unknown");
}

TEST(u32_parse)
{
	__u32 v = 0;

	CHECK_EQ_INT(parse_u32("0", 10, &v), 0);
	CHECK_EQ_INT(v, 0);
	CHECK_EQ_INT(parse_u32("42", 100, &v), 0);
	CHECK_EQ_INT(v, 42);
	CHECK_EQ_INT(parse_u32("0x10", 100, &v), 0);
	CHECK_EQ_INT(v, 16);
	CHECK_EQ_INT(parse_u32("100", 100, &v), 0);
	CHECK_EQ_INT(v, 100);
	CHECK_EQ_INT(parse_u32("4294967295", UINT32_MAX, &v), 0);
	CHECK_EQ_INT(v, UINT32_MAX);
	CHECK_EQ_INT(parse_u32("2147483647", 0x7fffffffUL, &v), 0);
	CHECK_EQ_INT(v, 0x7fffffff);
}

TEST(u32_rejects)
{
	static const struct {
		const char *s;
		unsigned long max;
	} bad[] = {
		{ "-1", UINT32_MAX },
		{ "+1", UINT32_MAX },
		{ "", UINT32_MAX },
		{ "12x", UINT32_MAX },
		{ "x", UINT32_MAX },
		{ "0x", 100 },
		{ "101", 100 },
		{ "0x65", 100 },
		{ "1", 0 },
		{ "2147483648", 0x7fffffffUL },
		{ "4294967296", UINT32_MAX },
		{ "99999999999999999999999", UINT32_MAX },
		{ "5 ", UINT32_MAX },
	};
	__u32 v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 0xdead;
		if (!parse_u32(bad[i].s, bad[i].max, &v)) {
			unit_fail(__FILE__, __LINE__, "parse_u32(\"%s\", %lu) accepted: %u",
				  bad[i].s, bad[i].max, v);
			return;
		}
		CHECK_EQ_INT(v, 0xdead);
	}
}

/* The result is a __u32 whatever .max says: 2^32 must not wrap to 0. */
TEST(u32_rejects_2_32_with_wide_max)
{
	__u32 v = 0xdead;

	CHECK(parse_u32("4294967296", ULONG_MAX, &v) != 0);
	CHECK_EQ_INT(v, 0xdead);
}

/* The sign check must not be bypassed by leading blanks strtoul skips. */
TEST(u32_rejects_leading_space_sign)
{
	__u32 v = 0xdead;

	CHECK(parse_u32(" +1", UINT32_MAX, &v) != 0);
	CHECK(parse_u32(" 1", UINT32_MAX, &v) != 0);
	CHECK_EQ_INT(v, 0xdead);
}

/* A command description covering every parameter type. */
struct tcfg {
	__u32 prio;
	bool prio_set;
	const char *name;
	__u32 actions;
	bool actions_set;
	enum xdp_attach_mode mode;
	bool force;
	const char *iface;
	const char *file;
};

static const struct param t_params[] = {
	{ "priority", 'P', PT_U32, offsetof(struct tcfg, prio), offsetof(struct tcfg, prio_set),
	  "PRIO", "run priority", 1000 },
	{ "name", 'N', PT_STR, offsetof(struct tcfg, name), PARAM_NO_SET, "NAME", "a name", 0 },
	{ "proceed-on", 'a', PT_ACTIONS, offsetof(struct tcfg, actions),
	  offsetof(struct tcfg, actions_set), NULL, "actions", 0 },
	{ "mode", 'm', PT_MODE, offsetof(struct tcfg, mode), PARAM_NO_SET, NULL, "attach mode", 0 },
	{ "force", 'f', PT_FLAG, offsetof(struct tcfg, force), PARAM_NO_SET, NULL, "no questions",
	  0 },
	{ NULL, 0, 0, 0, 0, NULL, NULL, 0 },
};

static const struct positional t_args[] = {
	{ .name = "IFACE", .off = offsetof(struct tcfg, iface), .help = "the interface" },
	{ .name = "FILE",
	  .off = offsetof(struct tcfg, file),
	  .optional = true,
	  .help = "an object file" },
	{},
};

static const struct cmd_desc t_desc = {
	.name = "tcmd",
	.summary = "A test command.",
	.details = "Some details after the options.",
	.params = t_params,
	.args = t_args,
};

static void tcfg_reset(struct tcfg *c)
{
	memset(&g_opts, 0, sizeof(g_opts));
	memset(c, 0, sizeof(*c));
	c->prio = 50;
	c->mode = XDP_MODE_UNSPEC;
}

/* argv[0] is the command name, as the commands get it. */
#define ARGV(...) ((char *[]){ "tcmd", ##__VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "tcmd", ##__VA_ARGS__ }) / sizeof(char *)))
#define PARSE(cfg, ...) params_parse(&t_desc, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (cfg))

/* A parse expected to print: its result, and the captured output in *out. */
static int parse_captured(struct tcfg *c, int argc, char **argv, char **out)
{
	int ret;

	unit_capture_begin();
	ret = params_parse(&t_desc, argc, argv, c);
	*out = unit_capture_end();
	return ret;
}

#define PARSE_CAPTURED(cfg, out, ...) \
	parse_captured((cfg), ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (out))

TEST(params_positionals_only)
{
	struct tcfg c;

	tcfg_reset(&c);
	CHECK_EQ_INT(PARSE(&c, "eth0", "x.o"), PARAMS_OK);
	CHECK_STR(c.iface, "eth0");
	CHECK_STR(c.file, "x.o");
	/* Options not given keep their defaults and stay "not set". */
	CHECK_EQ_INT(c.prio, 50);
	CHECK(!c.prio_set);
	CHECK(!c.actions_set);
	CHECK(!c.force);
	CHECK(c.name == NULL);
	CHECK_EQ_INT(c.mode, XDP_MODE_UNSPEC);
}

TEST(params_optional_positional)
{
	struct tcfg c;

	tcfg_reset(&c);
	CHECK_EQ_INT(PARSE(&c, "eth0"), PARAMS_OK);
	CHECK_STR(c.iface, "eth0");
	CHECK(c.file == NULL);
}

TEST(params_all_types)
{
	struct tcfg c;

	tcfg_reset(&c);
	CHECK_EQ_INT(PARSE(&c, "--priority=5", "--name", "xdp_a", "--proceed-on", "drop,pass",
			   "--mode", "skb", "--force", "eth0", "x.o"),
		     PARAMS_OK);
	CHECK_EQ_INT(c.prio, 5);
	CHECK(c.prio_set);
	CHECK_STR(c.name, "xdp_a");
	CHECK_EQ_INT(c.actions, A(DROP) | A(PASS));
	CHECK(c.actions_set);
	CHECK_EQ_INT(c.mode, XDP_MODE_SKB);
	CHECK(c.force);
	CHECK_STR(c.iface, "eth0");
	CHECK_STR(c.file, "x.o");
}

TEST(params_long_value_forms)
{
	struct tcfg c;

	tcfg_reset(&c);
	CHECK_EQ_INT(PARSE(&c, "eth0", "--priority", "7"), PARAMS_OK);
	CHECK_EQ_INT(c.prio, 7);
	CHECK(c.prio_set);
	tcfg_reset(&c);
	CHECK_EQ_INT(PARSE(&c, "eth0", "--priority=8"), PARAMS_OK);
	CHECK_EQ_INT(c.prio, 8);
	CHECK(c.prio_set);
	/* An explicit 0 is still "set". */
	tcfg_reset(&c);
	CHECK_EQ_INT(PARSE(&c, "eth0", "--priority=0"), PARAMS_OK);
	CHECK_EQ_INT(c.prio, 0);
	CHECK(c.prio_set);
	/* The last one given wins. */
	tcfg_reset(&c);
	CHECK_EQ_INT(PARSE(&c, "--priority=1", "eth0", "--priority=2"), PARAMS_OK);
	CHECK_EQ_INT(c.prio, 2);
}

TEST(params_short_options)
{
	struct tcfg c;

	tcfg_reset(&c);
	CHECK_EQ_INT(PARSE(&c, "-P", "9", "-Nfoo", "-a", "tx", "-m", "native", "-f", "eth0"),
		     PARAMS_OK);
	CHECK_EQ_INT(c.prio, 9);
	CHECK(c.prio_set);
	CHECK_STR(c.name, "foo");
	CHECK_EQ_INT(c.actions, A(TX));
	CHECK_EQ_INT(c.mode, XDP_MODE_NATIVE);
	CHECK(c.force);
	/* A cluster: flag then option with its value attached. */
	tcfg_reset(&c);
	CHECK_EQ_INT(PARSE(&c, "-fP3", "eth0"), PARAMS_OK);
	CHECK(c.force);
	CHECK_EQ_INT(c.prio, 3);
}

TEST(params_mode_aliases)
{
	struct tcfg c;

	tcfg_reset(&c);
	CHECK_EQ_INT(PARSE(&c, "eth0", "--mode=generic"), PARAMS_OK);
	CHECK_EQ_INT(c.mode, XDP_MODE_SKB);
	tcfg_reset(&c);
	CHECK_EQ_INT(PARSE(&c, "eth0", "--mode=drv"), PARAMS_OK);
	CHECK_EQ_INT(c.mode, XDP_MODE_NATIVE);
}

TEST(params_gnu_permutation)
{
	struct tcfg c;

	/* Options between and after the positionals. */
	tcfg_reset(&c);
	CHECK_EQ_INT(PARSE(&c, "eth0", "--priority", "5", "x.o", "-f", "--name=n1"), PARAMS_OK);
	CHECK_STR(c.iface, "eth0");
	CHECK_STR(c.file, "x.o");
	CHECK_EQ_INT(c.prio, 5);
	CHECK(c.force);
	CHECK_STR(c.name, "n1");
	/* An option value that looks like a positional is not taken as one. */
	tcfg_reset(&c);
	CHECK_EQ_INT(PARSE(&c, "--name", "eth9", "eth0"), PARAMS_OK);
	CHECK_STR(c.name, "eth9");
	CHECK_STR(c.iface, "eth0");
	CHECK(c.file == NULL);
}

TEST(params_double_dash)
{
	struct tcfg c;

	tcfg_reset(&c);
	CHECK_EQ_INT(PARSE(&c, "-f", "--", "-eth0", "--priority"), PARAMS_OK);
	CHECK(c.force);
	CHECK_STR(c.iface, "-eth0");
	CHECK_STR(c.file, "--priority");
	CHECK(!c.prio_set);
}

TEST(params_missing_positional)
{
	struct tcfg c;
	char *out;
	int ret;

	tcfg_reset(&c);
	ret = PARSE_CAPTURED(&c, &out);
	CHECK_EQ_INT(ret, PARAMS_USAGE);
	CHECK_CONTAINS(out, "IFACE");
	tcfg_reset(&c);
	ret = PARSE_CAPTURED(&c, &out, "-f", "--priority=3");
	CHECK_EQ_INT(ret, PARAMS_USAGE);
	CHECK_CONTAINS(out, "missing");
}

TEST(params_extra_argument)
{
	struct tcfg c;
	char *out;
	int ret;

	tcfg_reset(&c);
	ret = PARSE_CAPTURED(&c, &out, "eth0", "x.o", "surplus");
	CHECK_EQ_INT(ret, PARAMS_USAGE);
	CHECK_CONTAINS(out, "surplus");
}

TEST(params_unknown_option)
{
	struct tcfg c;
	char *out;
	int ret;

	tcfg_reset(&c);
	ret = PARSE_CAPTURED(&c, &out, "eth0", "--bogus");
	CHECK_EQ_INT(ret, PARAMS_USAGE);
	CHECK_CONTAINS(out, "--bogus");
	tcfg_reset(&c);
	ret = PARSE_CAPTURED(&c, &out, "-z", "eth0");
	CHECK_EQ_INT(ret, PARAMS_USAGE);
	CHECK_CONTAINS(out, "-z");
	/* A flag given a value. */
	tcfg_reset(&c);
	ret = PARSE_CAPTURED(&c, &out, "eth0", "--force=yes");
	CHECK_EQ_INT(ret, PARAMS_USAGE);
	CHECK_CONTAINS(out, "--force");
}

TEST(params_missing_value)
{
	struct tcfg c;
	char *out;
	int ret;

	tcfg_reset(&c);
	ret = PARSE_CAPTURED(&c, &out, "eth0", "--priority");
	CHECK_EQ_INT(ret, PARAMS_USAGE);
	CHECK_CONTAINS(out, "--priority");
	CHECK_CONTAINS(out, "needs a value");
	tcfg_reset(&c);
	ret = PARSE_CAPTURED(&c, &out, "eth0", "-P");
	CHECK_EQ_INT(ret, PARAMS_USAGE);
	CHECK_CONTAINS(out, "-P");
}

TEST(params_bad_values)
{
	static const char *const bad[][2] = {
		{ "--priority", "1001" }, { "--priority", "abc" },   { "--priority", "-1" },
		{ "--priority", "" },	  { "--proceed-on", "foo" }, { "--proceed-on", "pass," },
		{ "--mode", "xdp" },	  { "--mode", "SKB" },
	};
	struct tcfg c;
	char *out;
	int ret;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tcfg_reset(&c);
		ret = PARSE_CAPTURED(&c, &out, "eth0", (char *)bad[i][0], (char *)bad[i][1]);
		if (ret != PARAMS_USAGE) {
			unit_fail(__FILE__, __LINE__, "%s '%s' gave %d", bad[i][0], bad[i][1], ret);
			return;
		}
		/* The message names the option and the bad value. */
		if (!strstr(out, bad[i][0] + 2) || (*bad[i][1] && !strstr(out, bad[i][1]))) {
			unit_fail(__FILE__, __LINE__, "message for %s '%s': %s", bad[i][0],
				  bad[i][1], out);
			return;
		}
		CHECK(!c.prio_set);
		CHECK(!c.actions_set);
	}
}

TEST(params_help)
{
	struct tcfg c;
	char *out;
	int ret;

	tcfg_reset(&c);
	ret = PARSE_CAPTURED(&c, &out, "--help");
	CHECK_EQ_INT(ret, PARAMS_HELP);
	CHECK_CONTAINS(out, "Usage: xdpchain tcmd");
	/* Help wins over a missing positional, and -h is the same. */
	tcfg_reset(&c);
	ret = PARSE_CAPTURED(&c, &out, "-f", "-h");
	CHECK_EQ_INT(ret, PARAMS_HELP);
	CHECK_CONTAINS(out, "--priority");
}

TEST(params_global_options)
{
	struct tcfg c;

	tcfg_reset(&c);
	CHECK_EQ_INT(PARSE(&c, "-v", "eth0", "-v", "-j"), PARAMS_OK);
	CHECK_EQ_INT(g_opts.verbose, 2);
	CHECK(g_opts.json);
	CHECK(!g_opts.pretty);
	CHECK_STR(c.iface, "eth0");
	CHECK(c.file == NULL);

	tcfg_reset(&c);
	CHECK_EQ_INT(PARSE(&c, "-vv", "eth0", "--pretty"), PARAMS_OK);
	CHECK_EQ_INT(g_opts.verbose, 2);
	CHECK(g_opts.json);
	CHECK(g_opts.pretty);

	tcfg_reset(&c);
	CHECK_EQ_INT(PARSE(&c, "eth0", "--verbose", "--json"), PARAMS_OK);
	CHECK_EQ_INT(g_opts.verbose, 1);
	CHECK(g_opts.json);
	CHECK(!g_opts.pretty);

	tcfg_reset(&c);
	CHECK_EQ_INT(PARSE(&c, "eth0", "-p"), PARAMS_OK);
	CHECK_EQ_INT(g_opts.verbose, 0);
	CHECK(g_opts.json && g_opts.pretty);
	/* Global flags do not touch the command's config. */
	CHECK(!c.force);
}

/*
 * params_parse is called again in one process (these tests, a future batch
 * mode): an earlier parse that stopped inside a cluster of short options
 * must not leak into the next one.
 */
TEST(params_reparse_after_error_in_cluster)
{
	struct tcfg c;
	char *out;
	int ret;

	tcfg_reset(&c);
	ret = PARSE_CAPTURED(&c, &out, "-zf", "eth0");
	CHECK_EQ_INT(ret, PARAMS_USAGE);
	tcfg_reset(&c);
	ret = PARSE_CAPTURED(&c, &out, "eth1");
	CHECK_EQ_INT(ret, PARAMS_OK);
	CHECK(!c.force);
	CHECK_STR(c.iface, "eth1");
}

TEST(params_usage_lists_everything)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK(f != NULL);
	params_usage(f, "xdpchain", &t_desc);
	fclose(f);
	unit_autofree(buf);

	CHECK_CONTAINS(buf, "Usage: xdpchain tcmd [options] IFACE [FILE]\n");
	CHECK_CONTAINS(buf, "A test command.");
	CHECK_CONTAINS(buf, "Some details after the options.");
	for (const struct param *p = t_params; p->name; p++) {
		char want[64];

		snprintf(want, sizeof(want), "-%c, --%s", p->short_name, p->name);
		CHECK_CONTAINS(buf, want);
		CHECK_CONTAINS(buf, p->help);
	}
	/* Metavars: given, or the type's default; flags take none. */
	CHECK_CONTAINS(buf, "--priority PRIO ");
	CHECK_CONTAINS(buf, "--name NAME ");
	CHECK_CONTAINS(buf, "--proceed-on ACTION[,ACTION...] ");
	CHECK_CONTAINS(buf, "--mode skb|native ");
	CHECK(!strstr(buf, "--force ARG"));
	/* Each positional has its own help line. */
	CHECK_CONTAINS(buf, "\nArguments:\n");
	CHECK_CONTAINS(buf, "  IFACE ");
	CHECK_CONTAINS(buf, "the interface");
	CHECK_CONTAINS(buf, "  FILE ");
	CHECK_CONTAINS(buf, "an object file");
	/* Global options every command takes. */
	CHECK_CONTAINS(buf, "-v, --verbose");
	CHECK_CONTAINS(buf, "-j, --json");
	CHECK_CONTAINS(buf, "-p, --pretty");
	CHECK_CONTAINS(buf, "-h, --help");
}

TEST(params_usage_no_short_no_args)
{
	static const struct param p[] = {
		{ "only-long", 0, PT_U32, 0, PARAM_NO_SET, NULL, "long only", 10 },
		{ NULL, 0, 0, 0, 0, NULL, NULL, 0 },
	};
	static const struct cmd_desc d = { .name = "bare", .summary = "Bare.", .params = p };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK(f != NULL);
	params_usage(f, "xdpchain", &d);
	fclose(f);
	unit_autofree(buf);
	CHECK_CONTAINS(buf, "Usage: xdpchain bare [options]\n");
	CHECK_CONTAINS(buf, "    --only-long N ");
	CHECK(!strstr(buf, "Arguments:"));
}

struct rcfg {
	const char *iface;
	struct rest_args rest;
	__u32 count;
};

static const struct param r_params[] = {
	{ "count", 'c', PT_U32, offsetof(struct rcfg, count), PARAM_NO_SET, "N", "n", 10 },
	{ NULL, 0, 0, 0, 0, NULL, NULL, 0 },
};

static const struct positional r_args[] = {
	{ .name = "IFACE", .off = offsetof(struct rcfg, iface), .optional = true, .help = "i" },
	{ .name = "FILTER",
	  .off = offsetof(struct rcfg, rest),
	  .optional = true,
	  .help = "f",
	  .rest = true },
	{},
};

static const struct cmd_desc r_cmd = {
	.name = "rtest",
	.summary = "s",
	.params = r_params,
	.args = r_args,
};

/* A rest positional takes every remaining word, options permuted out. */
TEST(params_rest_positional)
{
	char *argv[] = { "rtest", "eth0", "udp", "-c", "3", "port", "53", NULL };
	struct rcfg cfg = {};

	CHECK_EQ_INT(params_parse(&r_cmd, 7, argv, &cfg), PARAMS_OK);
	CHECK_STR(cfg.iface, "eth0");
	CHECK_EQ_INT(cfg.rest.argc, 3);
	CHECK_STR(cfg.rest.argv[0], "udp");
	CHECK_STR(cfg.rest.argv[2], "53");
	CHECK_EQ_INT(cfg.count, 3);
}
