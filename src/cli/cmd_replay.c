// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * replay: recorded packets through fresh copies of a chain's members
 * (replay.h), written as `capture --all-stages` writes them.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/dlt.h>

#include "bpffs.h"
#include "chainfile.h"
#include "commands.h"
#include "golden.h"
#include "log.h"
#include "output.h"
#include "pcaplib.h"
#include "pcapout.h"
#include "replay.h"
#include "whatif.h"
#include "xdp_action.h"

struct replay_cfg {
	const char *ifname;
	const char *file;
	const char *iface;
	const char *in;
	const char *out;
	const char *expect;
	bool force;
	bool dispatcher;
};

static const struct param replay_params[] = {
	{ "file", 'f', PT_STR, offsetof(struct replay_cfg, file), PARAM_NO_SET, "CHAIN.conf",
	  "replay through the chain a chain file describes (as save writes and apply reads); maps from the same-named members of its interface's live chain where it runs here, else empty",
	  0 },
	{ "interface", 'i', PT_STR, offsetof(struct replay_cfg, iface), PARAM_NO_SET, "IFACE",
	  "with --file: the interface whose chain to take when the file names several (it need not exist here)",
	  0 },
	{ "read", 'r', PT_STR, offsetof(struct replay_cfg, in), PARAM_NO_SET, "IN",
	  "the packets to replay: a pcap or pcapng file of Ethernet frames, or a pipe or - (stdin); packets a snaplen cut are replayed as captured and marked",
	  0 },
	{ "write", 'w', PT_STR, offsetof(struct replay_cfg, out), PARAM_NO_SET, "OUT",
	  "write every stage of every packet to OUT, pcapng as 'capture --all-stages' writes it ('-': stdout)",
	  0 },
	{ "expect", 'e', PT_STR, offsetof(struct replay_cfg, expect), PARAM_NO_SET, "GOLDEN.pcapng",
	  "compare each packet's fate (verdict, deciding member) and its bytes there with GOLDEN, an earlier replay -w or capture --all-stages file; exit 1 when any differs",
	  0 },
	{ "force", 0, PT_FLAG, offsetof(struct replay_cfg, force), PARAM_NO_SET, NULL,
	  "replay objects whose sha256 is not the recorded one, as they are now", 0 },
	{ "dispatcher", 'D', PT_FLAG, offsetof(struct replay_cfg, dispatcher), PARAM_NO_SET, NULL,
	  "run each packet through a real xdpchain dispatcher (one BPF_PROG_TEST_RUN of it, the members as freplace programs in its slots) instead of one member after the other; needs a kernel with freplace (see 'xdpchain features')",
	  0 },
	{ NULL, 0, 0, 0, 0, NULL, NULL, 0 },
};

static const struct positional replay_args[] = {
	{ .name = "IFACE",
	  .off = offsetof(struct replay_cfg, ifname),
	  .optional = true,
	  .help = "interface whose live chain to replay through, its maps' entries copied (not with --file)" },
	{},
};

const struct cmd_desc replay_desc = {
	.name = "replay",
	.summary =
		"Run recorded packets through a chain's members, loaded anew, and show each packet's stages and fate.",
	.details =
		"Each packet of IN goes through fresh copies of the members, one after the other with\n"
		"BPF_PROG_TEST_RUN, as the dispatcher runs them: priority order, proceed-on actions,\n"
		"changed bytes and length, the metadata area. Nothing live changes. The summary counts\n"
		"what each member returned, as 'status -s' does; -j prints it as JSON. With --dispatcher,\n"
		"each packet is one run of a real xdpchain dispatcher instead (kernels with freplace).",
	.params = replay_params,
	.args = replay_args,
};

/* The interfaces of the output: entry (0), exit, and "after NAME" per member. */
struct replay_sink {
	struct pcap_out *out;
	__u32 if_exit;
	int if_after[CHAIN_MAX_PROGS]; /* 0: not made yet */
	char label[CHAIN_MAX_PROGS][PROG_NAME_MAX + 8]; /* "after NAME", made with it */
};

static int sink_open(struct replay_sink *s, const char *path, const char *ifname)
{
	char name[IF_NAMESIZE + 16];
	int err;

	memset(s, 0, sizeof(*s));
	if (!path)
		return 0;
	snprintf(name, sizeof(name), "%s:entry", ifname);
	err = pcapout__open(&s->out, path, true, REPLAY_PKT_MAX, name);
	if (err)
		return err;
	snprintf(name, sizeof(name), "%s:exit", ifname);
	err = pcapout__add_interface(s->out, name);
	if (err < 0)
		return err;
	s->if_exit = err;
	return 0;
}

/* The interface of the stage after member @i, made on first use as capture makes it. */
static int sink_after(struct replay_sink *s, const struct replay *r, int i)
{
	char name[IF_NAMESIZE + PROG_NAME_MAX + 16];
	int id;

	if (s->if_after[i])
		return s->if_after[i];
	snprintf(name, sizeof(name), "%s:after %s", r->ifname, r->m[i].name);
	id = pcapout__add_interface(s->out, name);
	if (id > 0)
		s->if_after[i] = id;
	snprintf(s->label[i], sizeof(s->label[i]), "after %s", r->m[i].name);
	return id;
}

/* One record of @caplen bytes that @cut more would make whole: a cut one is marked. */
static int sink_rec(struct replay_sink *s, __u32 ifid, __u64 id, __u64 ts, const void *data,
		    __u32 caplen, __u32 cut, __u32 action, const char *stage)
{
	char note[96];

	if (cut) /* only then: no snprintf per record of a whole packet */
		snprintf(note, sizeof(note),
			 "cut by the capture's snaplen: replayed as captured, %u of %u bytes",
			 caplen, caplen + cut);
	pcapout__note(s->out, cut ? note : NULL);
	return pcapout__write_on(s->out, ifid, id, ts, data, caplen, caplen + cut, action, stage);
}

/* One packet's entry, stages and fate; @cut: bytes the capture did not keep. */
static int sink_write(struct replay_sink *s, const struct replay *r, const struct replay_pkt *p,
		      __u64 id, __u64 ts, const u_char *data, __u32 caplen, __u32 cut)
{
	int err, ifid;

	if (!s->out)
		return 0;
	err = sink_rec(s, 0, id, ts, data, caplen, cut, PCAPOUT_NO_ACTION, NULL);
	for (size_t k = 0; !err && k < p->n_stages; k++) {
		const struct replay_stage *st = &p->stages[k];

		ifid = sink_after(s, r, st->member);
		if (ifid < 0)
			return ifid;
		err = sink_rec(s, ifid, id, ts, st->data, st->len, cut, PCAPOUT_NO_ACTION,
			       s->label[st->member]);
	}
	if (!err)
		err = sink_rec(s, s->if_exit, id, ts, p->data, p->len, cut, p->action,
			       p->member == REPLAY_END ? NULL : r->m[p->member].name);
	return err;
}

static const char *file_kind(mode_t mode)
{
	return S_ISDIR(mode)  ? "a directory" :
	       S_ISCHR(mode)  ? "a character device" :
	       S_ISBLK(mode)  ? "a block device" :
	       S_ISSOCK(mode) ? "a socket" :
	       S_ISFIFO(mode) ? "a pipe" :
				"not a regular file";
}

/*
 * A regular file, or (@pipe_ok) a pipe or "-" (stdin), read once as it
 * comes; never a device or a directory: a terminal or a device would hold
 * the command reading what never ends.
 */
static int check_in(const char *path, bool pipe_ok)
{
	struct stat st;

	if (!strcmp(path, "-"))
		return pipe_ok ?
			       0 :
			       err_set(-EINVAL,
				       "--replay reads IN once per interface: give a file, not - (stdin)");
	if (stat(path, &st))
		return err_set(-errno,
			       "cannot read %s: %s; give a pcap or pcapng file (tcpdump -w)", path,
			       strerror(errno));
	if (S_ISREG(st.st_mode) || (pipe_ok && S_ISFIFO(st.st_mode)))
		return 0;
	return err_set(-EINVAL, "%s is %s, not a capture file; give a pcap or pcapng file%s", path,
		       file_kind(st.st_mode),
		       pipe_ok ? ", or a pipe ('tcpdump -w - | xdpchain replay ... -r -')" :
				 " (--replay reads it once per interface: not a pipe)");
}

int replay_open_in(const char *path, bool pipe_ok, pcap_t **pc)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	const struct pcaplib *pl = pcaplib();
	int err;

	if (!pl)
		return -ENOENT;
	err = check_in(path, pipe_ok);
	if (err)
		return err;
	*pc = pl->open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!*pc)
		return err_set(-EINVAL,
			       "cannot read %s: %s; give a pcap or pcapng file (tcpdump -w)", path,
			       errbuf);
	if (pl->datalink(*pc) != DLT_EN10MB) {
		err_set(-EINVAL, "%s holds %s frames; replay takes Ethernet frames (DLT_EN10MB)",
			path, pl->datalink_val_to_name(pl->datalink(*pc)) ?: "unknown");
		pl->close(*pc);
		return -EINVAL;
	}
	return 0;
}

int replay_packet_failed(int err, const char *in, __u64 id, __u32 caplen, const struct replay *r,
			 const struct replay_pkt *p)
{
	return err_set(err, "%s: packet %llu (%u bytes): BPF_PROG_TEST_RUN of '%s' failed: %s", in,
		       (unsigned long long)id, caplen,
		       err == -EMSGSIZE ? "-" : r->m[p->member].name, strerror(-err));
}

int replay_read_failed(pcap_t *pc, const char *in, __u64 id)
{
	return err_set(-EINVAL, "%s: packet %llu: %s; the file is damaged", in,
		       (unsigned long long)id, pcaplib()->geterr(pc));
}

struct run_totals {
	__u64 cut; /* packets a snaplen cut short: replayed as captured */
	struct golden *golden; /* --expect's, or NULL */
	__u64 differ;
	char lines[EXPECT_LINES + 1][EXPECT_LINE_MAX];
	size_t n_lines;
};

static void expect_packet(struct run_totals *t, const struct replay *r, const struct replay_pkt *p,
			  __u64 id, const u_char *data, __u32 caplen, __u32 cut)
{
	char line[sizeof(t->lines[0])];

	if (!t->golden ||
	    !golden__differs(t->golden, id, r, p, data, caplen, cut, line, sizeof(line)))
		return;
	if (t->n_lines < EXPECT_LINES)
		memcpy(t->lines[t->n_lines++], line, sizeof(line));
	t->differ++;
}

/* After the last packet: fates the expected file has beyond it. */
static void expect_end(struct run_totals *t, const struct replay *r)
{
	if (!t->golden || t->golden->n <= r->packets)
		return;
	snprintf(
		t->lines[t->n_lines++], sizeof(t->lines[0]),
		"the expected file has %zu fates, the replay %llu packets: %llu packets are missing",
		t->golden->n, (unsigned long long)r->packets,
		(unsigned long long)(t->golden->n - r->packets));
	t->differ += t->golden->n - r->packets;
}

/* Every packet of @pc through @r, into @s. */
static int run_all(pcap_t *pc, const char *in, struct replay *r, struct replay_sink *s,
		   struct run_totals *t)
{
	struct replay_pkt *p = malloc(sizeof(*p));
	struct pcap_pkthdr *h;
	const u_char *data;
	__u64 id = 0;
	int ret, err = 0;

	if (!p)
		return err_set(-ENOMEM, "out of memory");
	while (!err && (ret = pcaplib()->next_ex(pc, &h, &data)) == 1) {
		__u64 ts = h->ts.tv_sec * 1000000000ULL + h->ts.tv_usec; /* ns precision */
		__u32 cut = h->len > h->caplen ? h->len - h->caplen : 0;

		id++;
		t->cut += !!cut;
		err = replay__packet(r, data, h->caplen, p);
		if (err) {
			replay_packet_failed(err, in, id, h->caplen, r, p);
			break;
		}
		expect_packet(t, r, p, id, data, h->caplen, cut);
		err = sink_write(s, r, p, id, ts, data, h->caplen, cut);
		if (err)
			err_set(err, "cannot write the replay's output: %s", strerror(-err));
	}
	if (!err && ret == PCAP_ERROR)
		err = replay_read_failed(pc, in, id + 1);
	if (!err)
		expect_end(t, r);
	free(p);
	return err;
}

static void json_member(struct json *j, const char *name, __u32 prio, const __u64 *pkts,
			int maps_filled)
{
	json_object_start(j);
	json_kv_string(j, "name", name);
	json_kv_uint(j, "priority", prio);
	if (maps_filled >= 0)
		json_kv_uint(j, "maps_from_live", maps_filled);
	json_key(j, "stats");
	json_object_start(j);
	for (unsigned int a = 0; a < XDP_ACTION_COUNT; a++)
		json_kv_uint(j, action_name(a), pkts[a]);
	json_object_end(j);
	json_object_end(j);
}

/* The final stage's row: what every member let go on passes after the chain. */
static void final_pkts(const struct replay *r, __u64 pkts[XDP_ACTION_COUNT])
{
	memset(pkts, 0, XDP_ACTION_COUNT * sizeof(*pkts));
	pkts[XDP_PASS] = r->passed_end;
}

static void print_json(FILE *f, const struct replay *r, const struct run_totals *t)
{
	__u64 fin[XDP_ACTION_COUNT];
	struct json j;

	json_init(&j, f, g_opts.pretty);
	json_object_start(&j);
	json_kv_string(&j, "ifname", r->ifname);
	json_kv_uint(&j, "packets", r->packets);
	json_kv_uint(&j, "cut_by_snaplen", t->cut);
	json_kv_string(&j, "maps", r->live ? "live" : "empty");
	json_kv_string(&j, "through", r->disp ? "dispatcher" : "members");
	if (r->live)
		json_kv_uint(&j, "map_entries", r->entries_copied);
	json_key(&j, "programs");
	json_array_start(&j);
	for (size_t i = 0; i < r->n; i++)
		json_member(&j, r->m[i].name, r->m[i].prio, r->m[i].pkts, r->m[i].maps_filled);
	final_pkts(r, fin);
	json_member(&j, FINAL_NAME, PRIO_FINAL, fin, -1);
	json_array_end(&j);
	if (t->golden) {
		json_key(&j, "expect");
		json_object_start(&j);
		json_kv_uint(&j, "differ", t->differ);
		json_key(&j, "lines");
		json_array_start(&j);
		for (size_t i = 0; i < t->n_lines; i++)
			json_string(&j, t->lines[i]);
		json_array_end(&j);
		json_object_end(&j);
	}
	json_object_end(&j);
	json_finish(&j);
}

static void text_member(FILE *f, size_t i, const char *name, __u32 prio, const char *note,
			const __u64 *pkts)
{
	fprintf(f, "  %-3zu %-10u %-24s %s\n      packets:", i, prio, name, note);
	for (unsigned int a = 0; a < XDP_ACTION_COUNT; a++)
		fprintf(f, " %s %llu", action_name(a), (unsigned long long)pkts[a]);
	fprintf(f, "\n");
}

static void print_text(FILE *f, const struct replay *r, const struct run_totals *t,
		       const struct replay_cfg *cfg)
{
	__u64 fin[XDP_ACTION_COUNT];
	char maps[64] = "maps empty";

	if (r->live)
		snprintf(maps, sizeof(maps), "maps as live: %llu entries",
			 (unsigned long long)r->entries_copied);
	fprintf(f, "%s: replayed %llu packets from %s through %zu programs%s (%s)%s%s\n", r->ifname,
		(unsigned long long)r->packets, cfg->in, r->n,
		r->disp ? " in a real dispatcher" : "", maps, cfg->out ? ", stages in " : "",
		cfg->out ? cfg->out : "");
	if (t->cut)
		fprintf(f,
			"  %llu packets were cut by the capture's snaplen: replayed as captured\n",
			(unsigned long long)t->cut);
	fprintf(f, "  %-3s %-10s %-24s %s\n", "#", "priority", "name", "notes");
	for (size_t i = 0; i < r->n; i++) {
		char note[96];

		snprintf(note, sizeof(note), "%s%s%s",
			 r->m[i].changed ? "object changed since recorded (--force)" : "",
			 r->m[i].changed && r->live ? "; " : "",
			 !r->live	     ? "" :
			 r->m[i].maps_filled ? "maps as live" :
					       "maps empty (no live map of its name and shape)");
		text_member(f, i, r->m[i].name, r->m[i].prio, note, r->m[i].pkts);
	}
	final_pkts(r, fin);
	text_member(f, r->n, FINAL_NAME, PRIO_FINAL, "final stage", fin);
	if (!t->golden)
		return;
	for (size_t i = 0; i < t->n_lines; i++)
		fprintf(f, "%s\n", t->lines[i]);
	if (t->differ > t->n_lines)
		fprintf(f, "... and %llu more packets differ\n",
			(unsigned long long)(t->differ - t->n_lines));
	if (t->differ)
		fprintf(f, "expect: %llu packets differ from %s\n", (unsigned long long)t->differ,
			cfg->expect);
	else
		fprintf(f, "expect: every packet's fate and bytes as in %s\n", cfg->expect);
}

/* The chain file's interface @want names, or its only one. */
static int pick_iface(const struct chainfile *cf, const struct replay_cfg *cfg,
		      const struct chainfile_iface **out)
{
	for (size_t i = 0; cfg->iface && i < cf->n; i++)
		if (!strcmp(cf->ifs[i].ifname, cfg->iface)) {
			*out = &cf->ifs[i];
			return 0;
		}
	if (cfg->iface)
		return err_set(-ENOENT, "%s has no chain for %s; name one it has with --interface",
			       cfg->file, cfg->iface);
	if (cf->n != 1)
		return err_set(-EINVAL, "%s describes %zu interfaces; pick one with --interface",
			       cfg->file, cf->n);
	*out = &cf->ifs[0];
	return 0;
}

static int check_cfg(const struct replay_cfg *cfg)
{
	if (!cfg->in)
		return cmd_usage("replay", "give the packets to replay with -r IN");
	if (!cfg->file && !cfg->ifname)
		return cmd_usage("replay", "name the chain: IFACE, or --file CHAIN.conf");
	if (cfg->file && cfg->ifname)
		return cmd_usage("replay",
				 "IFACE or --file, not both (--interface picks one of the file's)");
	if (cfg->iface && !cfg->file)
		return cmd_usage("replay", "--interface picks an interface of --file's chain file");
	return -1;
}

/* The members: a chain file's interface, or the live chain on IFACE. */
static int load_chain(const struct replay_cfg *cfg, struct replay *r)
{
	const struct chainfile_iface *ci = NULL;
	struct chainfile cf = {};
	bool bpffs_ok;
	int err;

	if (!cfg->file)
		return bpffs__check_mountable() ?: replay__load_live(r, cfg->ifname, cfg->force);
	err = chainfile__load(&cf, cfg->file);
	if (!err)
		err = pick_iface(&cf, cfg, &ci);
	if (!err)
		err = replay__load_spec(r, &ci->spec, cfg->force);
	chainfile__free(&cf);
	/* the interface's live maps where it runs here: a bpffs to read them from */
	if (err || !r->ifindex)
		return err;
	err_quiet(true);
	bpffs_ok = !bpffs__check_mountable();
	err_quiet(false);
	return bpffs_ok ? replay__fill_from_live(r) : 0;
}

static int replay_all(const struct replay_cfg *cfg, pcap_t *pc, struct replay *r,
		      struct run_totals *t)
{
	struct replay_sink sink;
	int err, cerr;

	err = load_chain(cfg, r);
	if (!err && cfg->dispatcher)
		err = replay__use_dispatcher(r);
	if (err)
		return err;
	err = sink_open(&sink, cfg->out, r->ifname);
	if (!err)
		err = run_all(pc, cfg->in, r, &sink, t);
	if (sink.out) {
		cerr = pcapout__close(sink.out, NULL);
		if (!err && cerr)
			err = err_set(cerr, "cannot write %s: %s", cfg->out, strerror(-cerr));
	}
	return err;
}

int do_replay(int argc, char **argv)
{
	struct replay_cfg cfg = {};
	static struct run_totals t;
	struct golden golden = {};
	struct replay r = {};
	FILE *sum;
	pcap_t *pc;
	int ret;

	ret = cmd_parse(&replay_desc, argc, argv, &cfg);
	if (ret >= 0)
		return ret;
	ret = check_cfg(&cfg);
	if (ret >= 0)
		return ret;
	if (cfg.out && !strcmp(cfg.out, "-"))
		g_opts.errors_to_stderr = true;
	if (cfg.expect && golden__read(&golden, cfg.expect))
		return cmd_fail("replay");
	t.golden = cfg.expect ? &golden : NULL;
	if (replay_open_in(cfg.in, true, &pc)) {
		golden__free(&golden);
		return cmd_fail("replay");
	}
	ret = replay_all(&cfg, pc, &r, &t);
	pcaplib()->close(pc);
	if (ret) {
		replay__free(&r);
		golden__free(&golden);
		return cmd_fail("replay");
	}
	/* -w -: stdout is the packets, the summary goes to stderr */
	sum = cfg.out && !strcmp(cfg.out, "-") ? stderr : stdout;
	if (g_opts.json)
		print_json(sum, &r, &t);
	else
		print_text(sum, &r, &t, &cfg);
	replay__free(&r);
	golden__free(&golden);
	return t.differ ? EXIT_FAIL : EXIT_OK;
}
