// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* manpage_text's escaping and manpage_write's sections, from a small table. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "chainfile_keys.h"
#include "manpage.h"
#include "metrics.h"
#include "params.h"
#include "unit.h"

/* Into a fixed buffer: a failed check returns early and leaks nothing. */
static const char *text(const char *s, char *buf, size_t size)
{
	FILE *f = fmemopen(buf, size, "w");

	if (!f)
		return NULL;
	manpage_text(f, s);
	return fclose(f) ? NULL : buf;
}

TEST(manpage_text_escapes)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain words", "plain words" },
		{ "--hook-pin", "\\-\\-hook\\-pin" },
		{ "a\\b", "a\\eb" },
		/* . and ' open a request at the start of a line, nowhere else */
		{ ".hidden", "\\&.hidden" },
		{ "one\n'two' three.", "one\n\\&'two' three." },
		{ "an `xdpcap_hook` map", "an \\fBxdpcap_hook\\fR map" },
		{ "unclosed `code", "unclosed \\fBcode\\fR" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[128];

		CHECK_STR(text(cases[i].in, buf, sizeof(buf)), cases[i].out);
	}
}

struct demo_cfg {
	const char *ifname;
	unsigned int n;
	bool fast;
};

static const struct param demo_params[] = {
	{ "number", 'n', PT_U32, offsetof(struct demo_cfg, n), PARAM_NO_SET, "N", "how many", 9 },
	{ "fast", 0, PT_FLAG, offsetof(struct demo_cfg, fast), PARAM_NO_SET, NULL, "go fast", 0 },
	{ NULL, 0, 0, 0, 0, NULL, NULL, 0 },
};

static const struct positional demo_args[] = {
	{ .name = "IFACE", .off = offsetof(struct demo_cfg, ifname), .help = "an interface" },
	{},
};

static const struct cmd_desc demo_desc = {
	.name = "demo",
	.summary = "Do the demo.",
	.details = "More about it.",
	.params = demo_params,
	.args = demo_args,
};

TEST(manpage_write_sections)
{
	const struct cmd_desc *cmds[] = { &demo_desc };
	const char *sections[] = { ".TH XDPCHAIN 8 \"2026\\-01\\-02\"",
				   ".SH NAME",
				   ".SH SYNOPSIS",
				   ".SH DESCRIPTION",
				   ".SH OPTIONS",
				   ".SH COMMANDS",
				   ".SH \"EXIT STATUS\"",
				   ".SH ENVIRONMENT",
				   ".SH FILES",
				   ".SH EXAMPLES",
				   ".SH \"SEE ALSO\"" };
	static char buf[32768];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	const char *prev;
	int ret;

	CHECK(f != NULL);
	ret = manpage_write(f, cmds, 1, "2026-01-02");
	fclose(f);
	CHECK_EQ_INT(ret, 0);
	/* in this order */
	prev = buf;
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		const char *at = strstr(prev, sections[i]);

		CHECK_CONTAINS(prev, sections[i]);
		prev = at ? at : prev;
	}
	CHECK_CONTAINS(buf, ".SS \"xdpchain demo [options] IFACE\"\nDo the demo.\n");
	CHECK_CONTAINS(buf, ".TP\n\\fB\\-n\\fR, \\fB\\-\\-number\\fR \\fIN\\fR\nhow many\n");
	CHECK_CONTAINS(buf, ".TP\n\\fB\\-\\-fast\\fR\ngo fast\n");
	CHECK_CONTAINS(buf, ".TP\n\\fIIFACE\\fR\nan interface\n");
	CHECK_CONTAINS(buf, ".PP\nMore about it.\n");
	/* the global options, from params.c's table */
	CHECK_CONTAINS(buf, "\\fB\\-v\\fR, \\fB\\-\\-verbose\\fR\n");
	CHECK_CONTAINS(buf, ".BR xdp\\-loader (8),\n");
	CHECK_CONTAINS(buf, ".BR xdpchain.conf (5),\n");
	/* FILES from the headers that name them */
	CHECK_CONTAINS(buf, ".I /run/xdpchain/\n");
	CHECK_CONTAINS(buf, ".I apply.journal.NETNS\n");
	CHECK_CONTAINS(buf, ".I tap_hook_ID\n");
	CHECK_CONTAINS(buf, ".I \"stats, rows, observer_link\"\n");
	CHECK_CONTAINS(buf, ".B LIBXDP_BPFFS\n");
	/* every exit status, apply --dry-run's included */
	for (int code = 0; code <= 4; code++) {
		char line[16];

		snprintf(line, sizeof(line), ".B %d\n", code);
		CHECK_CONTAINS(buf, line);
	}
}

/* xdpchain.conf(5): every key of the list and every metric of the table. */
TEST(manpage_conf_keys_and_metrics)
{
	const char *sections[] = { ".TH XDPCHAIN.CONF 5 \"2026\\-01\\-02\"",
				   ".SH NAME",
				   ".SH SYNOPSIS",
				   ".SH DESCRIPTION",
				   ".SS \"The file\"",
				   ".SS \"An interface",
				   ".SS \"A program",
				   ".SH EXAMPLE",
				   ".SH METRICS",
				   ".SH FILES",
				   ".SH \"SEE ALSO\"" };
	static char buf[32768];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	const char *prev;
	char want[128];
	int ret, n = 0;

	CHECK(f != NULL);
	ret = manpage_conf_write(f, "2026-01-02");
	fclose(f);
	CHECK_EQ_INT(ret, 0);
	prev = buf;
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		const char *at = strstr(prev, sections[i]);

		CHECK_CONTAINS(prev, sections[i]);
		prev = at ? at : prev;
	}
	for (const struct chainfile_key *k = chainfile_keys; k->name; k++, n++) {
		char name[64];
		FILE *g = fmemopen(name, sizeof(name), "w");

		CHECK(g != NULL);
		manpage_text(g, k->name);
		fclose(g);
		snprintf(want, sizeof(want), ".TP\n\\fB%s:\\fR", name);
		CHECK_CONTAINS(buf, want);
	}
	CHECK_EQ_INT(n, 10);
	for (int m = 0; m < M_NR; m++) {
		snprintf(want, sizeof(want), ".TP\n\\fB%s\\fR (%s;", metric_descs[m].name,
			 metric_descs[m].type);
		CHECK_CONTAINS(buf, want);
	}
}

/* A full stdout (make's disk) is an error, not a truncated page. */
TEST(manpage_write_error)
{
	const struct cmd_desc *cmds[] = { &demo_desc };
	char small[64];
	FILE *f = fmemopen(small, sizeof(small), "w");
	int ret;

	CHECK(f != NULL);
	ret = manpage_write(f, cmds, 1, NULL);
	fclose(f);
	CHECK_EQ_INT(ret, -EIO);
}
