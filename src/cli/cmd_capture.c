// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/magic.h>

#include "bpffs.h"
#include "capture.h"
#include "../../dispatcher/stats.h"
#include "chain.h"
#include "commands.h"
#include "filter.h"
#include "log.h"
#include "notes.h"
#include "output.h"
#include "redirect_view.h"
#include "pcapout.h"
#include "prog.h"
#include "xdp_action.h"

#define DEFAULT_SNAPLEN 262144

struct capture_cfg {
	const char *ifname;
	struct rest_args filter;
	const char *out;
	__u32 count;
	__u32 actions;
	bool actions_set;
	__u32 snaplen;
	bool pcapng;
	const char *hook;
	const char *after;
	__u32 buffer;
	bool entry;
	bool all_stages;
};

static const struct param capture_params[] = {
	{ "write", 'w', PT_STR, offsetof(struct capture_cfg, out), PARAM_NO_SET, "FILE",
	  "write packets to FILE, '-' for stdout (a pipe, not a terminal; -j errors then go to stderr)",
	  0 },
	{ "count", 'c', PT_U32, offsetof(struct capture_cfg, count), PARAM_NO_SET, "N",
	  "stop after N packets (default: until SIGINT/SIGTERM/SIGHUP or the chain goes away)",
	  0xffffffffUL },
	{ "actions", 'a', PT_ACTIONS, offsetof(struct capture_cfg, actions),
	  offsetof(struct capture_cfg, actions_set), NULL,
	  "capture packets with these fates (default: all five)", 0 },
	{ "snaplen", 's', PT_U32, offsetof(struct capture_cfg, snaplen), PARAM_NO_SET, "N",
	  "bytes kept of each packet (default 262144, as tcpdump)", 0xffffffffUL },
	{ "pcapng", 0, PT_FLAG, offsetof(struct capture_cfg, pcapng), PARAM_NO_SET, NULL,
	  "write pcapng, each packet's action in its comment", 0 },
	{ "hook", 0, PT_STR, offsetof(struct capture_cfg, hook), PARAM_NO_SET, "PIN",
	  "capture from any xdpcap hook map pinned at PIN instead of IFACE's chain", 0 },
	{ "after", 0, PT_STR, offsetof(struct capture_cfg, after), PARAM_NO_SET, "PROG",
	  "capture the chain as it is right after program PROG (a tap, removed at the end)", 0 },
	{ "entry", 0, PT_FLAG, offsetof(struct capture_cfg, entry), PARAM_NO_SET, NULL,
	  "capture packets as they enter the chain, before its first program", 0 },
	{ "all-stages", 0, PT_FLAG, offsetof(struct capture_cfg, all_stages), PARAM_NO_SET, NULL,
	  "capture each packet at entry, after each program that let it go on and at its fate: one pcapng, an interface per stage, the same packet id at each",
	  0 },
	{ "buffer", 0, PT_U32, offsetof(struct capture_cfg, buffer), PARAM_NO_SET, "PAGES",
	  "ring buffer pages per CPU, a power of two, 256 MiB at most for all CPUs together (default: 64 MiB in all, at most 32 MiB per CPU)",
	  65536 },
	{ NULL, 0, 0, 0, 0, NULL, NULL, 0 },
};

static const struct positional capture_args[] = {
	{ .name = "IFACE",
	  .off = offsetof(struct capture_cfg, ifname),
	  .optional = true,
	  .help = "interface whose chain to capture after (not with --hook)" },
	{ .name = "FILTER",
	  .off = offsetof(struct capture_cfg, filter),
	  .optional = true,
	  .help = "tcpdump filter expression, run in the kernel (default: everything)",
	  .rest = true },
	{},
};

const struct cmd_desc capture_desc = {
	.name = "capture",
	.summary =
		"Capture packets as the chain on IFACE left them, with their action, filtered in the kernel, into pcap.",
	.details =
		"Programs go into the slots of the interface's shared xdpcap hook: the final stage hands\n"
		"it every packet the chain passed, member programs their drops, TXs and redirects.",
	.params = capture_params,
	.args = capture_args,
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* Names of the chain's members, for the stage that decided each packet. */
struct stages {
	const char *ifname;
	size_t n;
	__u32 ids[CHAIN_MAX_PROGS];
	char labels[CHAIN_MAX_PROGS][PROG_NAME_MAX + 24];
};

static void stages__load(struct stages *st)
{
	struct chain c;

	st->n = 0;
	err_quiet(true);
	if (!chain__read(st->ifname, &c))
		for (size_t i = 0; i < c.n; i++) {
			st->ids[st->n] = c.progs[i].id;
			snprintf(st->labels[st->n++], sizeof(st->labels[0]), "%s (id %u)",
				 c.progs[i].name, c.progs[i].id);
		}
	err_quiet(false);
}

/* "NAME (id N)" of the program that decided; NULL: after the whole chain. */
static const char *stages__label(struct stages *st, const struct capture_meta *m)
{
	static char unknown[32];

	/* a fresh stats map holds zeros: no program has id 0 */
	if (m->stage_slot == STAGE_UNKNOWN || m->stage_slot == FATE_EXIT || !m->stage_prog)
		return NULL;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < st->n; i++)
			if (st->ids[i] == m->stage_prog)
				return st->labels[i];
		stages__load(st); /* the chain changed meanwhile */
	}
	snprintf(unknown, sizeof(unknown), "program id %u", m->stage_prog);
	return unknown;
}

/* With --all-stages, pcapng interface blocks: one per stage. */
#define STAGE_IFS_MAX 64

struct sink {
	struct pcap_out *out;
	const char *stage; /* a tap's; else the one each packet names */
	struct stages *stages; /* NULL: no stage attribution */
	enum capture_stages stage_mode;
	__u32 if_exit; /* interface of the fates (all stages) */
	size_t n_ifs;
	__u32 if_prog[STAGE_IFS_MAX]; /* "IFACE:after NAME": the program's id ... */
	__u32 if_id[STAGE_IFS_MAX]; /* ... and its interface block */
	__u64 written;
	__u64 limit;
	__u64 clock_offset; /* realtime - monotonic */
	int write_err;
	/* a chain's fates: the interface (XDP_TX leaves by it), redirect notes */
	const struct chain *chain;
	const struct capture *cap;
	__u32 map_id; /* the last redirect map named, and its name */
	char map[16];
};

/* "NAME (id N)" of the program a stage capture came after; NULL: at entry. */
static const char *stages__after(struct stages *st, const struct capture_meta *m)
{
	if (m->stage_slot == FATE_ENTRY)
		return NULL;
	return stages__label(st, m);
}

/* The interface block of the stage after program @prog_id, made on first use. */
static int stage_interface(struct sink *s, const struct capture_meta *m, const char *label)
{
	char name[IF_NAMESIZE + PROG_NAME_MAX + 40];
	int id;

	for (size_t i = 0; i < s->n_ifs; i++)
		if (s->if_prog[i] == m->stage_prog)
			return s->if_id[i];
	if (s->n_ifs == STAGE_IFS_MAX)
		return s->if_exit; /* the chain changed very often: rare */
	snprintf(name, sizeof(name), "%s:after %s", s->stages->ifname, label);
	/* the label ends in " (id N)": the name of the stage is the program's */
	if (strstr(name, " (id "))
		*strstr(name, " (id ") = '\0';
	id = pcapout__add_interface(s->out, name);
	if (id < 0)
		return id;
	s->if_prog[s->n_ifs] = m->stage_prog;
	s->if_id[s->n_ifs++] = id;
	return id;
}

/* "redirect to vc (ifindex 5)", "... : ENETDOWN", "tx via eth0 (ifindex 3)"; NULL: the action's name */
static const char *fate_what(struct sink *s, __u32 action, char *buf, size_t size)
{
	const struct redirect_note *n = s->cap ? capture__note(s->cap) : NULL;
	struct redirect_target t = {};
	char target[96], e[16];

	if (action == XDP_TX && s->chain && s->chain->ifindex) {
		snprintf(buf, size, "tx via %s (ifindex %d)", s->chain->ifname, s->chain->ifindex);
		return buf;
	}
	if (action != XDP_REDIRECT || !n)
		return NULL;
	t.ifindex = n->ifindex;
	t.map_id = n->map_id;
	t.key = n->key;
	if (t.ifindex && !if_indextoname(t.ifindex, t.ifname))
		t.ifname[0] = '\0';
	if (t.map_id && t.map_id != s->map_id) {
		redirect_view__map_name(t.map_id, s->map, sizeof(s->map));
		s->map_id = t.map_id;
	}
	if (t.map_id)
		snprintf(t.map, sizeof(t.map), "%s", s->map);
	redirect_view__target(&t, target, sizeof(target));
	if (n->err)
		snprintf(buf, size, "redirect to %s: %s", target,
			 redirects__outcome(n->err, e, sizeof(e)));
	else
		snprintf(buf, size, "redirect to %s", target);
	return buf;
}

static void on_packet(void *ctx, const struct capture_meta *m, const void *pkt)
{
	char after[PROG_NAME_MAX + 40], what[160];
	struct sink *s = ctx;
	const char *label;
	__u32 action = m->action, ifid = 0;
	int err;

	if (s->write_err || (s->limit && s->written >= s->limit))
		return;
	if (action == STAGE_ACTION) {
		/* on its way through the chain: no fate yet */
		action = PCAPOUT_NO_ACTION;
		label = stages__after(s->stages, m);
		if (label && s->stage_mode == STAGES_ALL) {
			err = stage_interface(s, m, label);
			if (err < 0) {
				s->write_err = err;
				return;
			}
			ifid = err;
		}
		if (label) {
			snprintf(after, sizeof(after), "after %s", label);
			label = after;
		}
	} else {
		label = s->stage || !s->stages ? s->stage : stages__label(s->stages, m);
		if (s->stage_mode == STAGES_ALL)
			ifid = s->if_exit;
	}
	err = pcapout__write_fate(s->out, ifid, s->stage_mode != STAGES_NONE ? m->pkt_id : 0,
				  m->ts_ns + s->clock_offset, pkt, m->caplen, m->len, action,
				  fate_what(s, action, what, sizeof(what)), label);
	if (err)
		s->write_err = err;
	else
		s->written++;
}

static __u64 clock_offset(void)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return (rt.tv_sec - mono.tv_sec) * 1000000000ULL + rt.tv_nsec - mono.tv_nsec;
}

static char *join_args(const struct rest_args *r)
{
	size_t len = 1;
	char *s;

	for (int i = 0; i < r->argc; i++)
		len += strlen(r->argv[i]) + 1;
	s = calloc(1, len);
	if (!s)
		return NULL;
	for (int i = 0; i < r->argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, r->argv[i]);
	}
	return s;
}

/* --after names a program a tap can follow. */
static int check_after(const char *ifname, const char *after, char *stage, size_t size)
{
	const struct chain_prog *p;
	struct chain c;
	int err;

	err = chain__read(ifname, &c);
	if (err)
		return err;
	p = chain__find(&c, after);
	if (!p || p->is_final || p->is_tap)
		return err_set(
			-ENOENT,
			"--after %s: no such program in the chain on %s; see 'xdpchain status %s'",
			after, ifname, ifname);
	snprintf(stage, size, "after %s", p->name);
	return 0;
}

/*
 * The hook of IFACE's chain, by its pin; @stats_fd gets the chain's stats
 * map when the observer names the stage that decided each packet.
 */
static int open_chain_hook(const char *ifname, char *pin, size_t size, int *stats_fd,
			   struct chain *chain)
{
	char path[PATH_MAX];
	struct chain c;
	int err;

	*stats_fd = -1;
	err = chain__read(ifname, &c);
	if (err)
		return err;
	*chain = c;
	if (!c.managed || !c.hook_id)
		return err_set(
			-ENOENT,
			"%s has no xdpchain chain, so no hook to capture from; add a program with 'xdpchain add %s prog.o', or capture from a pinned hook with --hook PIN",
			ifname, ifname);
	snprintf(pin, size, "%s", c.hook_pin);
	if (c.hook_pin_id != c.hook_id)
		return err_set(
			-ESTALE,
			"the map pinned at %s (id %u) is not the chain's hook (the chain on %s calls map id %u): a capture there would see nothing; remove that pin and re-add a program, or 'xdpchain flush %s'",
			pin, c.hook_pin_id, ifname, c.hook_id, ifname);
	if (c.kind == CHAIN_DISPATCHER && !chain__counters_off(&c) &&
	    snprintf(path, sizeof(path), "%s/" STATS_PIN, c.state_dir) < (int)sizeof(path))
		*stats_fd = bpf_obj_get(path);
	else
		pr_info("%s: %s\n", ifname,
			chain__counters_off(&c) ? chain__counters_off(&c) : "no stage attribution");
	return hook__open(pin);
}

/*
 * With --entry/--all-stages: the dispatcher of @c, which must be
 * xdpchain's with counters on (the stubs and the stats map); fills
 * @slot_prog. Returns its fd or -errno.
 */
static int stage_dispatcher(const struct chain *c, int stats_fd, __u32 slot_prog[CHAIN_MAX_PROGS])
{
	const char *off = chain__counters_off(c);
	int fd;

	if (c->kind != CHAIN_DISPATCHER || !c->own_dispatcher || stats_fd < 0)
		return err_set(
			-EOPNOTSUPP,
			"capturing stages on %s needs xdpchain's dispatcher with its counters (%s); any 'xdpchain add' or 'remove' on %s restores them",
			c->ifname, off ? off : "not running", c->ifname);
	/* 0: no stage after the final stage, the packet is at its fate there */
	for (size_t i = 0; i < c->n; i++)
		slot_prog[i] = c->progs[i].is_final ? 0 : c->progs[i].id;
	fd = bpf_prog_get_fd_by_id(c->main_id);
	if (fd < 0)
		return err_set(-errno, "cannot open the dispatcher of %s (id %u): %s", c->ifname,
			       c->main_id, strerror(errno));
	return fd;
}

/*
 * libxdp built a new dispatcher (the chain changed): the stage programs
 * follow it. 0, or -errno when the chain is no longer one they can watch.
 */
static int follow_dispatcher(struct capture *cap, const char *ifname, int stats_fd,
			     struct stages *st)
{
	__u32 slot_prog[CHAIN_MAX_PROGS];
	struct chain c;
	int fd, err;

	err = chain__read(ifname, &c);
	if (err)
		return err;
	fd = stage_dispatcher(&c, stats_fd, slot_prog);
	if (fd < 0)
		return fd;
	err = capture__attach_stages(cap, fd, slot_prog, c.n);
	close(fd);
	stages__load(st);
	return err;
}

static bool hook_still_there(const char *pin, __u32 id)
{
	int fd = bpf_obj_get(pin);
	bool same;

	if (fd < 0)
		return false;
	same = hook__id(fd) == id;
	close(fd);
	return same;
}

static void print_status(const struct capture *c, const struct sink *s, bool final)
{
	struct capture_stats st;
	char seen[40] = "", malformed[40] = "";

	capture__stats(c, &st);
	if (st.seen_known)
		snprintf(seen, sizeof(seen), "seen %llu, ", (unsigned long long)st.seen);
	if (st.malformed)
		snprintf(malformed, sizeof(malformed), ", malformed %llu",
			 (unsigned long long)st.malformed);
	/* one write: captures running side by side share the terminal */
	fprintf(stderr, "%s%llu packets written (%smatched %llu, lost %llu%s)%s",
		final ? "xdpchain capture: " : "\r", (unsigned long long)s->written, seen,
		(unsigned long long)st.matched, (unsigned long long)st.output_err, malformed,
		final ? "\n" : "  ");
}

/* What kind of BPF object @fd is, from its anonymous inode: "bpf-map", ... */
static const char *bpf_obj_kind(int fd, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, size - 1);
	if (n < 0)
		return "";
	buf[n] = '\0';
	return strncmp(buf, "anon_inode:", 11) ? buf : buf + 11;
}

/* A pinned program: "NAME (id N)", for saying what --hook was given. */
static void prog_of_fd(int fd, char *buf, size_t size)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		snprintf(buf, size, "a BPF program");
	else
		snprintf(buf, size, "the BPF program %s (id %u)", info.name, info.id);
}

/*
 * --hook PIN names what it holds when that is no map: a directory, a file
 * off bpffs, a pinned program or link. A map's shape is hook__open()'s to
 * check, and so is a path that does not open.
 */
static int check_hook_pin(const char *pin)
{
	char kind[64], what[PROG_NAME_MAX + 48];
	struct statfs sfs;
	struct stat st;
	int fd;

	if (stat(pin, &st) || statfs(pin, &sfs))
		return 0;
	if (S_ISDIR(st.st_mode))
		return err_set(
			-EISDIR,
			"--hook %s is a directory, not a hook map; give the pin of the hook map in it (e.g. %s/xdpcap_hook)",
			pin, pin);
	if (sfs.f_type != BPF_FS_MAGIC)
		return err_set(
			-EINVAL,
			"--hook %s is a file off bpffs, not a pinned hook map; give where the hook map is pinned on bpffs (/sys/fs/bpf/...)",
			pin);
	fd = bpf_obj_get(pin);
	if (fd < 0)
		return 0;
	if (!strcmp(bpf_obj_kind(fd, kind, sizeof(kind)), "bpf-prog")) {
		prog_of_fd(fd, what, sizeof(what));
		close(fd);
		return err_set(
			-EINVAL,
			"--hook %s is %s, not a hook map; give the pin of the xdpcap hook map it uses ('bpftool prog show pinned %s' lists its maps)",
			pin, what, pin);
	}
	close(fd);
	if (!strcmp(kind, "bpf_link"))
		return err_set(
			-EINVAL,
			"--hook %s is a BPF link, not a hook map; give the pin of the xdpcap hook map",
			pin);
	return 0;
}

/* Whether program @id holds map @map_id. */
static bool prog_holds_map(__u32 id, __u32 map_id, char name[BPF_OBJ_NAME_LEN])
{
	__u32 ids[64], len;
	struct bpf_prog_info info;
	bool holds = false;
	int fd = bpf_prog_get_fd_by_id(id);

	if (fd < 0)
		return false;
	memset(&info, 0, sizeof(info));
	len = sizeof(info);
	info.nr_map_ids = 64;
	info.map_ids = (__u64)(unsigned long)ids;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
		for (__u32 i = 0; i < info.nr_map_ids && i < 64; i++)
			holds |= ids[i] == map_id;
		memcpy(name, info.name, BPF_OBJ_NAME_LEN);
	}
	close(fd);
	return holds;
}

/*
 * The stage of a standalone hook's packets: the program holding the hook
 * map (its owner, that hands it the packets), "NAME (id N)" as a chain's
 * members are named; there is no chain to be after.
 */
static void hook_owner_label(int hook_fd, char *buf, size_t size)
{
	char name[BPF_OBJ_NAME_LEN];
	__u32 id = 0, map_id = hook__id(hook_fd), first = 0, more = 0;

	snprintf(buf, size, "a program holding hook map id %u", map_id);
	while (!bpf_prog_get_next_id(id, &id)) {
		if (!prog_holds_map(id, map_id, name))
			continue;
		if (!first++)
			snprintf(buf, size, "%.*s (id %u)", BPF_OBJ_NAME_LEN, name, id);
		else
			more++;
	}
	if (more) {
		size_t n = strlen(buf);

		snprintf(buf + n, size - n, " or %u more program%s", more, more == 1 ? "" : "s");
	}
}

/*
 * With -w - stdout carries the packets: there a JSON error goes to stderr,
 * never into the packet stream.
 */
static int capture_fail(const struct capture_cfg *cfg)
{
	struct json j;

	if (!g_opts.json || !cfg->out || strcmp(cfg->out, "-"))
		return cmd_fail("capture");
	json_init(&j, stderr, g_opts.pretty);
	json_object_start(&j);
	json_kv_string(&j, "error", *err_last() ? err_last() : strerror(errno));
	json_object_end(&j);
	json_finish(&j);
	return EXIT_FAIL;
}

/* Whether argv writes the packets to stdout (-w -): errors must stay off it. */
static bool writes_stdout(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "-w-") || !strcmp(argv[i], "--write=-") ||
		    ((!strcmp(argv[i], "-w") || !strcmp(argv[i], "--write")) && i + 1 < argc &&
		     !strcmp(argv[i + 1], "-")))
			return true;
	return false;
}

/* Option combinations and values: a usage error names the option; -1 to go on. */
static int check_options(const struct capture_cfg *cfg)
{
	unsigned int max_pages;
	int ncpu;

	if (!cfg->hook && !cfg->ifname)
		return cmd_usage("capture", "missing argument IFACE (or --hook PIN)");
	if (!cfg->out)
		return cmd_usage("capture", "missing -w FILE ('-w -' writes to stdout)");
	if (!cfg->snaplen)
		return cmd_usage(
			"capture",
			"invalid value '0' for --snaplen: expected a positive number of bytes");
	/* --buffer 0 or none: capture__default_pages() */
	if (cfg->buffer & (cfg->buffer - 1))
		return cmd_usage(
			"capture",
			"invalid value '%u' for --buffer: expected a power of two (pages per CPU)",
			cfg->buffer);
	max_pages = capture__max_pages(&ncpu);
	if (max_pages && cfg->buffer > max_pages)
		return cmd_usage(
			"capture",
			"--buffer %u asks for %lu MiB per CPU, %lu MiB for the %d CPUs; the rings may take %lu MiB in all: use --buffer %u or less",
			cfg->buffer, ((unsigned long)cfg->buffer * sysconf(_SC_PAGESIZE)) >> 20,
			((unsigned long)cfg->buffer * sysconf(_SC_PAGESIZE) * ncpu) >> 20, ncpu,
			CAPTURE_BUFFER_MAX_TOTAL >> 20, max_pages);
	if (cfg->after && (cfg->hook || (cfg->actions_set && cfg->actions != 1U << XDP_PASS)))
		return cmd_usage(
			"capture",
			"--after taps IFACE's chain, where packets go on: no --hook, and --actions pass only");
	if ((cfg->entry || cfg->all_stages) &&
	    (cfg->hook || cfg->after || cfg->actions_set || (cfg->entry && cfg->all_stages)))
		return cmd_usage(
			"capture",
			"--entry and --all-stages capture inside IFACE's chain: one of them, without --hook, --after or --actions");
	return -1;
}

/* One capture, from its arguments to its summary: what do_capture's steps share. */
struct session {
	struct capture_cfg cfg;
	struct sink sink;
	struct capture cap;
	struct filter filt;
	struct chain_tap tap;
	char pin[PATH_MAX], stage[PROG_NAME_MAX + 8], owner[PROG_NAME_MAX + 64], *expr;
	const char *why_end; /* a capture that ends without an error: why */
	bool tty, started;
	int hook_fd, stats_fd, disp_fd;
	__u32 slot_prog[CHAIN_MAX_PROGS];
	struct stages stages;
	struct chain chain;
};

/* The arguments: an exit code for a usage error (or a refusal), -1 to go on. */
static int session_args(struct session *s, int argc, char **argv)
{
	struct capture_cfg *cfg = &s->cfg;
	int ret;

	/* a usage error found before -w - is parsed stays off the packet stream too */
	g_opts.errors_to_stderr = writes_stdout(argc, argv);
	ret = cmd_parse(&capture_desc, argc, argv, cfg);
	if (ret >= 0)
		return ret;
	if (cfg->hook && cfg->ifname && if_nametoindex(cfg->ifname)) {
		fprintf(stderr,
			"xdpchain capture: --hook PIN captures from that hook, not from an interface's chain: drop '%s', or --hook to capture its chain (see 'xdpchain capture --help')\n",
			cfg->ifname);
		return EXIT_USAGE;
	}
	if (cfg->hook && cfg->ifname) { /* with --hook every argument is filter */
		cfg->filter.argv--;
		cfg->filter.argc++;
		cfg->ifname = NULL;
	}
	ret = check_options(cfg);
	if (ret >= 0)
		return ret;
	if (cfg->all_stages)
		cfg->pcapng = true; /* an interface per stage, packet ids: pcapng only */
	if (!strcmp(cfg->out, "-") && isatty(STDOUT_FILENO)) {
		err_set(-EINVAL,
			"refusing to write binary capture data to a terminal; use -w FILE or pipe it, e.g. '-w - | tcpdump -r -'");
		return capture_fail(cfg);
	}
	return -1;
}

/* The filter, the hook to serve (a tap's, --hook's or the chain's) and, for stages, the dispatcher. */
static int session_open(struct session *s)
{
	const struct capture_cfg *cfg = &s->cfg;
	int err;

	s->expr = join_args(&cfg->filter);
	if (!s->expr)
		return err_set(-ENOMEM, "out of memory");
	err = filter__compile(s->expr, cfg->snaplen, &s->filt);
	if (err)
		return err;
	if (cfg->after) {
		/* the tap's own hook: served by the capture before the tap goes in */
		err = check_after(cfg->ifname, cfg->after, s->stage, sizeof(s->stage));
		if (err)
			return err;
		s->sink.stage = s->stage;
		s->hook_fd = hook__create();
		s->pin[0] = '\0';
	} else if (cfg->hook) {
		snprintf(s->pin, sizeof(s->pin), "%s", cfg->hook);
		s->hook_fd = check_hook_pin(s->pin);
		if (!s->hook_fd)
			s->hook_fd = hook__open(s->pin);
		if (s->hook_fd >= 0) {
			hook_owner_label(s->hook_fd, s->owner, sizeof(s->owner));
			s->sink.stage = s->owner;
		}
	} else {
		s->hook_fd = open_chain_hook(cfg->ifname, s->pin, sizeof(s->pin), &s->stats_fd,
					     &s->chain);
		s->stages.ifname = cfg->ifname;
		if (s->stats_fd >= 0) {
			stages__load(&s->stages);
			s->sink.stages = &s->stages;
		}
		s->sink.chain = &s->chain;
		s->sink.cap = &s->cap;
	}
	if (s->hook_fd < 0)
		return s->hook_fd;
	if (cfg->entry || cfg->all_stages) {
		s->sink.stage_mode = cfg->all_stages ? STAGES_ALL : STAGES_ENTRY;
		s->disp_fd = stage_dispatcher(&s->chain, s->stats_fd, s->slot_prog);
		if (s->disp_fd < 0)
			return s->disp_fd;
	}
	return 0;
}

/*
 * As tcpdump does, the output is created or emptied only once the capture
 * runs (packets wait in the rings meanwhile): a capture that cannot start
 * leaves an existing file as it was.
 */
static int session_output(struct session *s)
{
	const struct capture_cfg *cfg = &s->cfg;
	char ifname_entry[IF_NAMESIZE + 16];
	int err;

	/* stages are interfaces of their own, named as xdpdump names its points */
	snprintf(ifname_entry, sizeof(ifname_entry), "%s:entry", cfg->ifname ? cfg->ifname : "");
	err = pcapout__open(&s->sink.out, cfg->out, cfg->pcapng, cfg->snaplen,
			    s->sink.stage_mode != STAGES_NONE ? ifname_entry :
			    cfg->ifname			      ? cfg->ifname :
								"xdpcap-hook");
	if (!err && s->sink.stage_mode == STAGES_ALL) {
		char name[IF_NAMESIZE + 16];

		snprintf(name, sizeof(name), "%s:exit", cfg->ifname);
		err = pcapout__add_interface(s->sink.out, name);
		s->sink.if_exit = err;
		err = err < 0 ? err : 0;
	}
	if (err == -EPIPE) {
		s->why_end = "the reader of the output went away";
		err = 0;
	}
	return err;
}

/* The programs into the hook (and the tap into the chain), then the output. */
static int session_start(struct session *s)
{
	const struct capture_cfg *cfg = &s->cfg;
	struct sigaction sa = {};
	struct capture_opts copts = {
		.hook_fd = s->hook_fd,
		.actions = cfg->after	    ? 1U << XDP_PASS :
			   cfg->actions_set ? cfg->actions :
					      XDP_ACTION_ALL,
		.filter = &s->filt,
		.stats_fd = s->stats_fd,
		.snaplen = cfg->snaplen,
		.buffer_pages = cfg->buffer,
		.on_packet = on_packet,
		.ctx = &s->sink,
		.stages = s->sink.stage_mode,
		.disp_fd = s->disp_fd,
		.slot_prog = s->slot_prog,
		.n_slots = s->chain.n,
		/* a chain's fates: where its redirects went, in the comments */
		.ifindex = s->sink.chain && s->stats_fd >= 0 ? s->chain.ifindex : 0,
	};
	int err;

	s->sink.limit = cfg->count;
	s->sink.clock_offset = clock_offset();
	if (cfg->entry)
		copts.actions = 0; /* the entry alone */
	sa.sa_handler = on_signal; /* no SA_RESTART: the poll returns at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL); /* a closed terminal or session ends it cleanly too */
	/* a write past a pipe's reader or the file size limit fails, and says so */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);

	err = capture__start(&s->cap, &copts);
	notes_print(&s->cap.notes);
	if (err)
		return err;
	s->started = true;
	if (cfg->after) {
		struct notes notes = NOTES_INIT;

		err = chain__add_tap(cfg->ifname, cfg->after, s->hook_fd, &s->tap, &notes);
		notes_print(&notes);
		if (err)
			return err;
		snprintf(s->pin, sizeof(s->pin), "%s", s->tap.pin);
		pr_debug("tap (id %u) placed after %s\n", s->tap.prog_id, s->tap.after);
	}
	return session_output(s);
}

/*
 * Once a second: whether the hook is still there, stage programs following
 * a new dispatcher, the status line. False (why_end set) to stop.
 */
static bool session_tick(struct session *s)
{
	int err;

	if (!hook_still_there(s->pin, s->cap.hook_id)) {
		s->why_end = s->cfg.ifname ? "the chain went away" : "the hook was unpinned";
		return false;
	}
	if (s->sink.stage_mode != STAGES_NONE &&
	    prog__attached_id(s->chain.ifindex) != s->cap.stage_disp_id) {
		/* packets between the two went uncaptured at their stages */
		err = follow_dispatcher(&s->cap, s->cfg.ifname, s->stats_fd, &s->stages);
		if (err) {
			s->why_end = err_last();
			return false;
		}
		pr_debug("the chain changed: stage capture follows dispatcher id %u\n",
			 s->cap.stage_disp_id);
	}
	if (s->tty)
		print_status(&s->cap, &s->sink, false);
	return true;
}

/* Packets to the output until a signal, the count, an error or the hook's end. */
static int session_run(struct session *s)
{
	struct sink *sink = &s->sink;
	time_t last = 0, now;
	int err = 0;

	pr_debug("capturing from the hook pinned at %s (map id %u)%s%s\n", s->pin, s->cap.hook_id,
		 *s->expr ? ", filter: " : "", s->expr);
	while (!stop_signal) {
		err = capture__poll(&s->cap, 200);
		if (err) {
			err = err_set(err, "reading the ring buffers failed: %s", strerror(-err));
			break;
		}
		/*
		 * What the batch wrote goes through to the file now: a reader
		 * of the file or pipe sees it, a failed write shows at once.
		 */
		if (!sink->write_err)
			sink->write_err = pcapout__flush(sink->out);
		if (sink->write_err)
			break; /* reported when the output is closed */
		if (sink->limit && sink->written >= sink->limit)
			break;
		now = time(NULL);
		if (now != last) {
			last = now;
			if (!session_tick(s))
				break;
		}
	}
	/* a stop leaves what the buffer already holds to the file, too */
	if (!err && !sink->write_err) {
		err = capture__drain(&s->cap);
		if (err)
			err = err_set(err, "reading the ring buffers failed: %s", strerror(-err));
	}
	if (s->tty)
		fputc('\n', stderr);
	return err;
}

/* The output closed, the summary, everything taken back out: the exit code. */
static int session_end(struct session *s, int err)
{
	const struct capture_cfg *cfg = &s->cfg;

	if (s->sink.out) {
		__u64 in_file;
		int werr = pcapout__close(s->sink.out, &in_file);

		/* the summary counts what reached the output */
		s->sink.written = in_file;
		if (werr == -EPIPE && !err)
			s->why_end = "the reader of the output went away";
		else if (werr && !err)
			err = err_set(werr, "writing %s failed: %s; %llu packet%s reached it",
				      strcmp(cfg->out, "-") ? cfg->out : "standard output",
				      strerror(-werr), (unsigned long long)in_file,
				      in_file == 1 ? "" : "s");
	}
	/* a capture that fails says so in one line, its error */
	if (s->why_end && !err)
		pr_info("xdpchain capture: stopping: %s\n", s->why_end);
	if (s->started && !err)
		print_status(&s->cap, &s->sink, true);
	if (s->cap.hook_fd >= 0)
		capture__stop(&s->cap);
	if (s->stats_fd >= 0)
		close(s->stats_fd);
	if (s->disp_fd >= 0)
		close(s->disp_fd);
	if (s->hook_fd >= 0)
		close(s->hook_fd);
	if (cfg->after) {
		struct notes notes = NOTES_INIT;

		chain__remove_tap(cfg->ifname, &s->tap, &notes);
		notes_print(&notes);
	}
	filter__free(&s->filt);
	free(s->expr);
	return err ? capture_fail(cfg) : EXIT_OK;
}

int do_capture(int argc, char **argv)
{
	struct session *s = &(struct session){
		.cfg = { .out = NULL, .snaplen = DEFAULT_SNAPLEN },
		.cap = { .hook_fd = -1 },
		.tty = isatty(STDERR_FILENO),
		.hook_fd = -1,
		.stats_fd = -1,
		.disp_fd = -1,
	};
	int ret, err;

	ret = session_args(s, argc, argv);
	if (ret >= 0)
		return ret;
	err = session_open(s);
	if (!err)
		err = session_start(s);
	if (!err && !s->why_end)
		err = session_run(s);
	return session_end(s, err);
}
