// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * xdpchain(8): the fixed sections are here, every command and option comes
 * from the tables --help prints (params.h), so the page lists exactly what
 * the binary that wrote it accepts.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "commands.h"
#include "manpage.h"
#include "params.h"

void manpage_text(FILE *out, const char *s)
{
	bool line_start = true, bold = false;

	for (; *s; s++) {
		/* a line starting with . or ' would be a request */
		if (line_start && (*s == '.' || *s == '\''))
			fputs("\\&", out);
		line_start = *s == '\n';
		switch (*s) {
		case '\\':
			fputs("\\e", out);
			break;
		case '-':
			/* a minus, not a hyphen: options must copy and paste as typed */
			fputs("\\-", out);
			break;
		case '`':
			fputs(bold ? "\\fR" : "\\fB", out);
			bold = !bold;
			break;
		default:
			fputc(*s, out);
		}
	}
	if (bold)
		fputs("\\fR", out);
}

/* "\fB-m\fR, \fB--mode\fR \fIskb|native\fR" on a .TP tag line */
static void option_tag(FILE *out, const struct param *p)
{
	fputs(".TP\n", out);
	if (p->short_name)
		fprintf(out, "\\fB\\-%c\\fR, ", p->short_name);
	fputs("\\fB\\-\\-", out);
	manpage_text(out, p->name);
	fputs("\\fR", out);
	if (p->type != PT_FLAG) {
		fputs(" \\fI", out);
		manpage_text(out, params_metavar(p));
		fputs("\\fR", out);
	}
	fputc('\n', out);
}

static void options(FILE *out, const struct param *p)
{
	for (; p && p->name; p++) {
		option_tag(out, p);
		manpage_text(out, p->help);
		fputc('\n', out);
	}
}

static void command(FILE *out, const struct cmd_desc *cmd)
{
	const struct positional *a;

	/* the heading as --help's usage line */
	fprintf(out, ".SS \"%s ", "xdpchain");
	manpage_text(out, cmd->name);
	fputs(" [options]", out);
	for (a = cmd->args; a && a->name; a++) {
		fputs(a->optional || a->rest ? " [" : " ", out);
		manpage_text(out, a->name);
		fputs(a->optional || a->rest ? "]" : "", out);
	}
	fputs("\"\n", out);
	manpage_text(out, cmd->summary);
	fputc('\n', out);
	for (a = cmd->args; a && a->name; a++) {
		fputs(".TP\n\\fI", out);
		manpage_text(out, a->name);
		fputs("\\fR\n", out);
		manpage_text(out, a->help);
		fputc('\n', out);
	}
	options(out, cmd->params);
	if (cmd->details) {
		fputs(".PP\n", out);
		manpage_text(out, cmd->details);
		fputc('\n', out);
	}
}

static const char head[] =
	".SH NAME\n"
	"xdpchain \\- several XDP programs on one interface, in order, and what the chain did to each packet\n"
	".SH SYNOPSIS\n"
	".B xdpchain\n"
	"[\\fB\\-v\\fR|\\fB\\-vv\\fR] [\\fB\\-j\\fR|\\fB\\-p\\fR] \\fICOMMAND\\fR [\\fIoptions\\fR] [\\fIargs\\fR]\n"
	".br\n"
	".B xdpchain\n"
	"\\fB\\-h\\fR|\\fB\\-V\\fR\n"
	".SH DESCRIPTION\n"
	".B xdpchain\n"
	"puts XDP programs on a network interface through libxdp's multi\\-program dispatcher\n"
	"(the one\n"
	".BR xdp\\-loader (8)\n"
	"uses), ordered by priority and pinned in bpffs, so a chain outlives the command that\n"
	"made it. To every chain it appends a final stage of its own that hands each packet,\n"
	"after all programs modified it, to a shared, pinned xdpcap hook map: a capture tool\n"
	"in the hook sees the packets as the chain left them, with their action, which\n"
	".BR tcpdump (8)\n"
	"on the interface cannot.\n"
	".PP\n"
	"Changes to a chain need root (CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN).\n"
	"Concurrent runs take turns. Any unique prefix of a command works\n"
	"(\\fBxdpchain st eth0\\fR); a prefix of several is refused, naming them.\n"
	".SH OPTIONS\n"
	"These come before the command, and every command takes them too.\n";

static const char version_opt[] =
	".TP\n"
	"\\fB\\-V\\fR, \\fB\\-\\-version\\fR\n"
	"print the version of xdpchain, of the libxdp it was built with and of the libbpf it runs with\n";

static const char tail[] =
	".SH \"EXIT STATUS\"\n"
	".TP\n"
	".B %d\n"
	"success\n"
	".TP\n"
	".B %d\n"
	"failure: one line on stderr names the problem and the fix (with \\fB\\-j\\fR, a JSON object\n"
	"{\"error\": ...} on stdout)\n"
	".TP\n"
	".B %d\n"
	"usage error: an unknown command or option, a missing or invalid argument\n"
	".TP\n"
	".B %d\n"
	"\\fBapply \\-\\-dry\\-run\\fR: applying would change a chain (0: it would change nothing)\n"
	".TP\n"
	".B %d\n"
	"\\fBapply \\-\\-dry\\-run\\fR: applying would change a chain, but this kernel cannot build\n"
	"chains (it refuses freplace); a line on stderr says so\n"
	".SH FILES\n"
	".TP\n"
	".I /sys/fs/bpf/xdpchain\n"
	"xdpchain's pins, a directory per interface: the chain's state and its shared xdpcap hook\n"
	"(\\fIIFACE/xdpcap_hook\\fR, unless \\fB\\-\\-hook\\-pin\\fR put it elsewhere), the hooks of\n"
	"capture taps. libxdp pins the dispatcher under \\fI/sys/fs/bpf/xdp\\fR.\n"
	".TP\n"
	".I /run/xdpchain\n"
	"locks by which concurrent runs take turns\n"
	".TP\n"
	".I /etc/xdpchain/*.conf\n"
	"chains to set up, read by the \\fBxdpchain.service\\fR unit at boot\n"
	".SH \"SEE ALSO\"\n"
	".BR xdp\\-loader (8),\n"
	".BR bpftool (8),\n"
	".BR xdpdump (8),\n"
	".BR tcpdump (8)\n";

int manpage_write(FILE *out, const struct cmd_desc *const *cmds, size_t n, const char *date)
{
	fputs(".\\\" SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause\n"
	      ".\\\" Generated by 'xdpchain man' from the tables of --help; do not edit.\n",
	      out);
	fputs(".TH XDPCHAIN 8 \"", out);
	if (date)
		manpage_text(out, date);
	fputs("\" \"xdpchain " XDPCHAIN_VERSION "\" \"System Administration\"\n", out);
	/* no hyphenation, ragged right: option names and paths stay whole */
	fputs(".nh\n.ad l\n", out);
	fputs(head, out);
	options(out, params_globals());
	fputs(version_opt, out);
	fputs(".SH COMMANDS\n", out);
	for (size_t i = 0; i < n; i++)
		command(out, cmds[i]);
	fprintf(out, tail, EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_WOULD_CHANGE, EXIT_CANNOT_CHAIN);
	return fflush(out) || ferror(out) ? -EIO : 0;
}
