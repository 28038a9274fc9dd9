// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>
#include <xdp/libxdp.h>

#include "output.h"
#include "params.h"
#include "xdp_action.h"

static const struct param global_params[] = {
	{ "verbose", 'v', PT_FLAG, 0, PARAM_NO_SET, NULL,
	  "more messages; twice (-vv) adds libbpf/libxdp output", 0 },
	{ "json", 'j', PT_FLAG, 0, PARAM_NO_SET, NULL, "JSON output", 0 },
	{ "pretty", 'p', PT_FLAG, 0, PARAM_NO_SET, NULL, "indented JSON output (implies -j)", 0 },
	{ "help", 'h', PT_FLAG, 0, PARAM_NO_SET, NULL, "show this help", 0 },
	/* -n only before the command: apply's -n is --dry-run */
	{ "netns", 0, PT_STR, 0, PARAM_NO_SET, "NETNS",
	  "run in network namespace NETNS (/run/netns/NETNS, as 'ip -n'; -n NETNS before the command), on this mount namespace's bpffs",
	  0 },
	PARAMS_END,
};

static size_t count_params(const struct param *p)
{
	size_t n = 0;

	while (p && p[n].name)
		n++;
	return n;
}

const struct param *params_globals(void)
{
	return global_params;
}

const char *params_metavar(const struct param *p)
{
	if (p->metavar)
		return p->metavar;
	switch (p->type) {
	case PT_U32:
		return "N";
	case PT_ACTIONS:
		return "ACTION[,ACTION...]";
	case PT_MODE:
		return "skb|native";
	default:
		return "ARG";
	}
}

static void print_param(FILE *out, const struct param *p)
{
	char left[64];
	int n;

	if (p->short_name)
		n = snprintf(left, sizeof(left), "-%c, --%s", p->short_name, p->name);
	else
		n = snprintf(left, sizeof(left), "    --%s", p->name);
	if (p->type != PT_FLAG && n > 0 && (size_t)n < sizeof(left))
		snprintf(left + n, sizeof(left) - n, " %s", params_metavar(p));
	fprintf(out, "  %-30s %s\n", left, p->help);
}

void params_usage(FILE *out, const char *prog, const struct cmd_desc *cmd)
{
	const struct positional *a;
	size_t i;

	fprintf(out, "Usage: %s %s [options]", prog, cmd->name);
	for (a = cmd->args; a && a->name; a++)
		fprintf(out, a->optional || a->rest ? " [%s]" : " %s", a->name);
	fprintf(out, "\n\n%s\n", cmd->summary);
	if (cmd->args && cmd->args->name) {
		fprintf(out, "\nArguments:\n");
		for (a = cmd->args; a->name; a++)
			fprintf(out, "  %-30s %s\n", a->name, a->help);
	}
	fprintf(out, "\nOptions:\n");
	for (i = 0; i < count_params(cmd->params); i++)
		print_param(out, &cmd->params[i]);
	for (i = 0; i < count_params(global_params); i++)
		print_param(out, &global_params[i]);
	if (cmd->details)
		fprintf(out, "\n%s\n", cmd->details);
}

/* Set while params_parse() runs when its argv asks for JSON (-j may follow the error). */
static bool json_hint;

bool params_argv_wants_json(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json") ||
		    !strcmp(argv[i], "-p") || !strcmp(argv[i], "--pretty"))
			return true;
	return false;
}

int params_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	params_usage_verror(cmd, fmt, ap);
	va_end(ap);
	return PARAMS_USAGE;
}

int params_usage_verror(const char *cmd, const char *fmt, va_list ap)
{
	char msg[1024];
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);

	if (n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, " (see 'xdpchain %s%s--help')", cmd ? cmd : "",
			 cmd ? " " : "");
	g_opts.json |= json_hint; /* the command ends here */
	if (g_opts.json)
		print_error(cmd ? cmd : "", msg);
	else
		fprintf(stderr, "xdpchain%s%s: %s\n", cmd ? " " : "", cmd ? cmd : "", msg);
	return PARAMS_USAGE;
}

static int store(const struct cmd_desc *cmd, const struct param *p, const char *arg, void *cfg)
{
	char *base = cfg;
	__u32 v;

	switch (p->type) {
	case PT_FLAG:
		*(bool *)(base + p->off) = true;
		break;
	case PT_U32:
		if (parse_u32(arg, p->max, &v)) {
			return params_usage_error(
				cmd->name,
				"invalid value '%s' for --%s: expected an integer from 0 to %lu",
				arg, p->name, p->max);
		}
		*(__u32 *)(base + p->off) = v;
		break;
	case PT_STR:
		*(const char **)(base + p->off) = arg;
		break;
	case PT_ACTIONS:
		if (parse_actions(arg, &v))
			return params_usage_error(
				cmd->name,
				"invalid action list '%s' for --%s: use aborted, drop, pass, tx, redirect separated by commas",
				arg, p->name);
		*(__u32 *)(base + p->off) = v;
		break;
	case PT_MODE:
		if (!strcmp(arg, "skb") || !strcmp(arg, "generic"))
			*(enum xdp_attach_mode *)(base + p->off) = XDP_MODE_SKB;
		else if (!strcmp(arg, "native") || !strcmp(arg, "drv"))
			*(enum xdp_attach_mode *)(base + p->off) = XDP_MODE_NATIVE;
		else
			return params_usage_error(cmd->name,
						  "invalid mode '%s' for --%s: use skb or native",
						  arg, p->name);
		break;
	}
	if (p->set_off != PARAM_NO_SET)
		*(bool *)(base + p->set_off) = true;
	return PARAMS_OK;
}

/* The @i-th option of @cmd's table followed by the global one. */
static const struct param *param_at(const struct cmd_desc *cmd, size_t n_cmd, size_t i)
{
	return i < n_cmd ? &cmd->params[i] : &global_params[i - n_cmd];
}

/* getopt_long's tables for @cmd's options and the global ones (@n in all). */
static void getopt_tables(const struct cmd_desc *cmd, size_t n_cmd, size_t n,
			  struct option *longopts, char *shortopts)
{
	size_t sp = 0;

	/* GNU permutation: options may follow the arguments, as users expect. */
	shortopts[sp++] = ':';
	for (size_t i = 0; i < n; i++) {
		const struct param *p = param_at(cmd, n_cmd, i);

		longopts[i].name = p->name;
		longopts[i].has_arg = p->type == PT_FLAG ? no_argument : required_argument;
		longopts[i].val = 256 + (int)i;
		if (p->short_name) {
			shortopts[sp++] = p->short_name;
			if (p->type != PT_FLAG)
				shortopts[sp++] = ':';
		}
	}
}

/* A global option (-v, -j, -p, -n, --help); PARAMS_HELP for --help. */
static int store_global(const struct cmd_desc *cmd, const char *g)
{
	if (!strcmp(g, "verbose"))
		g_opts.verbose++;
	else if (!strcmp(g, "json"))
		g_opts.json = true;
	else if (!strcmp(g, "pretty"))
		g_opts.json = g_opts.pretty = true;
	else if (!strcmp(g, "netns"))
		g_opts.netns = optarg;
	else {
		params_usage(stdout, "xdpchain", cmd);
		return PARAMS_HELP;
	}
	return PARAMS_OK;
}

/* The options, with getopt_long over the tables getopt_tables() made. */
static int parse_options(const struct cmd_desc *cmd, int argc, char **argv, void *cfg,
			 const struct option *longopts, const char *shortopts)
{
	size_t n_cmd = count_params(cmd->params), n = n_cmd + count_params(global_params), i;
	int ret = PARAMS_OK, c, idx;

	optind = 0; /* 0, not 1: also resets getopt's state inside a "-abc" group */
	opterr = 0;
	while (!ret && (c = getopt_long(argc, argv, shortopts, longopts, &idx)) != -1) {
		char optname[3] = { '-', (char)optopt, 0 };

		if (c == '?')
			return params_usage_error(cmd->name, "unknown option '%s'",
						  optopt && optopt < 256 ? optname :
									   argv[optind - 1]);
		if (c == ':')
			return params_usage_error(cmd->name, "option '%s' needs a value",
						  optopt && optopt < 256 ? optname :
									   argv[optind - 1]);
		if (c >= 256)
			i = c - 256;
		else
			for (i = 0; i < n && param_at(cmd, n_cmd, i)->short_name != c; i++)
				;
		if (i >= n_cmd)
			ret = store_global(cmd, global_params[i - n_cmd].name);
		else
			ret = store(cmd, &cmd->params[i], optarg, cfg);
	}
	return ret;
}

/* The positional arguments from optind on, into @cfg. */
static int parse_args(const struct cmd_desc *cmd, int argc, char **argv, void *cfg)
{
	int ret = PARAMS_OK;

	for (const struct positional *a = cmd->args; a && a->name; a++) {
		if (a->rest) {
			struct rest_args *r = (struct rest_args *)((char *)cfg + a->off);

			r->argc = argc - optind;
			r->argv = argv + optind;
			optind = argc;
			if (!r->argc && !a->optional)
				ret = params_usage_error(cmd->name, "missing argument %s", a->name);
			break;
		}
		if (optind >= argc) {
			if (a->optional)
				break;
			return params_usage_error(cmd->name, "missing argument %s", a->name);
		}
		*(const char **)((char *)cfg + a->off) = argv[optind++];
	}
	if (optind < argc)
		ret = params_usage_error(cmd->name, "unexpected argument '%s'", argv[optind]);
	return ret;
}

int params_parse(const struct cmd_desc *cmd, int argc, char **argv, void *cfg)
{
	size_t n_cmd = count_params(cmd->params), n = n_cmd + count_params(global_params);
	struct option *longopts = calloc(n + 1, sizeof(*longopts));
	char *shortopts = calloc(2 * n + 3, 1);
	int ret;

	if (!longopts || !shortopts) {
		free(longopts);
		free(shortopts);
		fprintf(stderr, "xdpchain: out of memory\n");
		return PARAMS_USAGE;
	}
	json_hint = params_argv_wants_json(argc, argv);
	getopt_tables(cmd, n_cmd, n, longopts, shortopts);
	ret = parse_options(cmd, argc, argv, cfg, longopts, shortopts);
	if (!ret)
		ret = parse_args(cmd, argc, argv, cfg);
	json_hint = false;
	free(longopts);
	free(shortopts);
	return ret;
}

void params_complete_words(FILE *out, const struct cmd_desc *cmd)
{
	const struct param *tables[] = { cmd->params, global_params };

	for (size_t t = 0; t < 2; t++) {
		for (size_t i = 0; i < count_params(tables[t]); i++) {
			fprintf(out, " --%s", tables[t][i].name);
			if (tables[t][i].short_name)
				fprintf(out, " -%c", tables[t][i].short_name);
		}
	}
}
