// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * xdpchain(8): the fixed sections are here, every command and option comes
 * from the tables --help prints (params.h), so the page lists exactly what
 * the binary that wrote it accepts.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "bpffs.h"
#include "commands.h"
#include "journal.h"
#include "lock.h"
#include "manpage.h"
#include "members.h"
#include "params.h"

/*
 * No hyphenation, ragged right: option names and paths stay whole. HY 0, as
 * the man macros turn hyphenation back on at each paragraph.
 */
const char manpage_layout[] = ".nh\n.nr HY 0\n.ad l\n";

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

static void exit_status(FILE *out)
{
	fprintf(out,
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
		"usage error: an unknown command or option, a missing or invalid argument, an ambiguous\n"
		"prefix\n"
		".TP\n"
		".B %d\n"
		"\\fBapply \\-\\-dry\\-run\\fR: applying would change a chain (0: it would change nothing;\n"
		"1: applying would fail)\n"
		".TP\n"
		".B %d\n"
		"\\fBapply \\-\\-dry\\-run\\fR: applying would change a chain, but this kernel cannot build\n"
		"chains (it refuses freplace); a line on stderr says so\n",
		EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_WOULD_CHANGE, EXIT_CANNOT_CHAIN);
}

static const char environment[] =
	".SH ENVIRONMENT\n"
	".TP\n"
	".B LIBXDP_BPFFS\n"
	"where bpffs is mounted (default \\fI/sys/fs/bpf\\fR), as for libxdp: xdpchain's pins and\n"
	"libxdp's move with it\n"
	".TP\n"
	".BR XDPCHAIN_DISPATCHER =\\fBsystem\\fR|\\fBown\\fR\n"
	"which dispatcher object chains are built on, overriding the probe \\fBxdpchain features\\fR\n"
	"reports: xdpchain's own (counters per member, every fate captured) or libxdp's (no\n"
	"counters; on kernels from 6.12 an add then fails, naming the reason)\n"
	".TP\n"
	".BR XDPCHAIN_COST_EVERY =\fIN\fR\n"
	"cost sampling of the chain a change (add, remove, apply, cleanup) builds: one packet in\n"
	"\\fIN\\fR (0 or a power of two up to 65536) is timed across each member, \\fB0\\fR turns it\n"
	"off (the default); later changes keep the chain's setting; \\fBstatus -s\\fR shows it\n"
	".TP\n"
	".B LIBXDP_OBJECT_PATH\n"
	"set by xdpchain itself, to a private directory under \\fI" LOCK_DIR "\\fR, while libxdp\n"
	"loads xdpchain's dispatcher object; a value of the caller's is put back afterwards\n"
	".PP\n"
	"When xdpchain runs set\\-uid or with file capabilities it ignores these (as\n"
	"\\fBsecure_getenv\\fR(3) does) and refuses to build chains on its own dispatcher object,\n"
	"which libxdp would then not load.\n";

/* Pin and file names from the headers that define them. */
static const char files[] =
	".SH FILES\n"
	"\\fI/sys/fs/bpf\\fR below stands for \\fB$LIBXDP_BPFFS\\fR when it is set.\n"
	".TP\n"
	".I /sys/fs/bpf/xdpchain/IFACE/\n"
	"xdpchain's state of the chain on IFACE, a directory of root's, mode 0700:\n"
	".RS\n"
	".TP\n"
	".I xdpcap_hook\n"
	"the shared xdpcap hook map, unless \\fB\\-\\-hook\\-pin\\fR put it elsewhere: point\n"
	"\\fBxdpcap\\fR here\n"
	".TP\n"
	".I state\n"
	"the interface index and its network namespace, where the hook is pinned and its map id;\n"
	"xdpchain's own programs (final stage, taps) use this map, which marks them as xdpchain's\n"
	".TP\n"
	".I " TAP_HOOK_PREFIX "ID\n"
	"the hook of a running \\fBcapture \\-\\-after\\fR's tap\n"
	".TP\n"
	".I \"" STATS_PIN ", " ROWS_PIN ", " OBSERVER_PIN "\"\n"
	"the observer's per\\-CPU counters per member and action, which program counts in which row,\n"
	"and its link to the running dispatcher\n"
	".TP\n"
	".I \"" REDIRECTS_PIN ", " REDIRECT_LINK_PIN ", " REDIRECT_ERR_LINK_PIN "\"\n"
	"where each member's redirects went (target, sent or the kernel's error), and the links of\n"
	"the tracer on the kernel's xdp_redirect tracepoints that counts them\n"
	".TP\n"
	".I " MEMBERS_PIN "\n"
	"where each member came from: object path, program name, the object's SHA\\-256\n"
	".RE\n"
	".TP\n"
	".I /sys/fs/bpf/xdp/dispatch\\-IFINDEX\\-ID/\n"
	"libxdp's pins of a dispatcher and its programs, shared with \\fBxdp\\-loader\\fR(8);\n"
	"libxdp's lock is a flock on \\fI/sys/fs/bpf/xdp\\fR\n"
	".TP\n"
	".I " LOCK_DIR "/\n"
	"xdpchain's locks and journal, a directory only root can open (mode 0700, files 0600):\n"
	".RS\n"
	".TP\n"
	".I chain.lock\n"
	"held while a run changes a chain (add, remove, flush, a capture's tap), by apply across all\n"
	"its interfaces\n"
	".TP\n"
	".I " JOURNAL_NAME ".NETNS\n"
	"an apply's dispatcher switches not yet committed, one per network namespace: the next\n"
	"change or \\fBcleanup\\fR in that namespace completes or rolls back an apply that was killed\n"
	".TP\n"
	".I hook\\-ID.lock\n"
	"held by the capture serving hook map ID: its pid and the programs it put into the hook\n"
	".TP\n"
	".I dispatcher.XXXXXX/\n"
	"a run's copy of xdpchain's dispatcher object for libxdp, locked while the run lives\n"
	".RE\n"
	".TP\n"
	".I /etc/xdpchain/*.conf\n"
	"chains to set up, read by the \\fBxdpchain.service\\fR unit at boot; see\n"
	".BR xdpchain.conf (5)\n";

static const char examples[] =
	".SH EXAMPLES\n"
	"Is this kernel able to build chains?\n"
	".PP\n"
	".EX\n"
	"xdpchain features\n"
	".EE\n"
	".PP\n"
	"A chain of two programs on eth0, and the packets each returned per action:\n"
	".PP\n"
	".EX\n"
	"xdpchain add eth0 rewrite.o \\-\\-priority 10\n"
	"xdpchain add eth0 firewall.o\n"
	"xdpchain status \\-s eth0\n"
	".EE\n"
	".PP\n"
	"Every packet once, with its action and the program that decided it, filtered in the\n"
	"kernel; and cloudflare's xdpcap on the same hook:\n"
	".PP\n"
	".EX\n"
	"xdpchain capture eth0 \\-\\-pcapng \\-w fates.pcapng \\(aqudp port 53\\(aq\n"
	"xdpchain capture eth0 \\-w \\- | tcpdump \\-n \\-r \\-\n"
	"xdpcap /sys/fs/bpf/xdpchain/eth0/xdpcap_hook out.pcap \\(aqudp\\(aq\n"
	".EE\n"
	".PP\n"
	"Write the chains down, check what applying the file would change, and apply it:\n"
	".PP\n"
	".EX\n"
	"xdpchain save > /etc/xdpchain/chains.conf\n"
	"xdpchain apply \\-\\-dry\\-run /etc/xdpchain; echo $?\n"
	"xdpchain apply /etc/xdpchain\n"
	".EE\n"
	".PP\n"
	"A chain in the network namespace blue, and what interrupted runs left removed:\n"
	".PP\n"
	".EX\n"
	"xdpchain \\-n blue add veth0 count.o\n"
	"xdpchain cleanup\n"
	".EE\n";

static const char see_also[] = ".SH \"SEE ALSO\"\n"
			       ".BR xdpchain.conf (5),\n"
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
	fputs(manpage_layout, out);
	fputs(head, out);
	options(out, params_globals());
	fputs(version_opt, out);
	fputs(".SH COMMANDS\n", out);
	for (size_t i = 0; i < n; i++)
		command(out, cmds[i]);
	exit_status(out);
	fputs(environment, out);
	fputs(files, out);
	fputs(examples, out);
	fputs(see_also, out);
	return fflush(out) || ferror(out) ? -EIO : 0;
}
