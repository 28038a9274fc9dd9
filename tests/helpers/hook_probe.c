// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * hook_probe - test helper, not part of the product: captures what reaches
 * one slot of a pinned xdpcap hook map into a pcap file.
 *
 *   hook_probe [-a ACTION] [-c COUNT] [-t SECONDS] [-o OBJ] [--ready FILE]
 *              HOOK_PIN OUT.pcap
 *
 * It plays the role cloudflare's xdpcap plays in production, with none of
 * its filtering: it loads tests/bpf/hook_probe.bpf.c the way xdpcap loads
 * its filters (expected_attach_type 0, no frags, retried once with frags on
 * EINVAL), puts it into the slot of ACTION, and writes every packet the
 * ring buffer brings to OUT.pcap. Tests can thus check both that a chain
 * hands its verdicts to the hook and that the hook's owner is what xdpcap
 * expects.
 *
 * Exit: 0 when COUNT packets were captured (or COUNT is 0 and the capture
 * was stopped), 3 when fewer arrived before the timeout or a signal (the
 * pcap file still holds them), 1 on errors, 2 on usage errors.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
/*
 * pcap/bpf.h defines a struct bpf_insn of its own (classic BPF), which
 * clashes with linux/bpf.h; nothing here needs it, only the DLT values.
 */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/dlt.h>
#include <pcap/pcap.h>

#include "../bpf/hook_probe.h"

#define EXIT_ERR 1
#define EXIT_USAGE 2
#define EXIT_SHORT 3

#define DEFAULT_OBJ ".output/tests/hook_probe.o"
/* From the helper's own directory, .output/bin/. */
#define DEFAULT_OBJ_FROM_BIN "../tests/hook_probe.o"

/* Upper bound of one poll, so the deadline is checked often enough. */
#define POLL_MS 200

static const char *const action_names[] = {
	"aborted", "drop", "pass", "tx", "redirect",
};

#define NR_ACTIONS (sizeof(action_names) / sizeof(action_names[0]))

static volatile sig_atomic_t stop;

struct probe {
	struct bpf_object *obj;
	int prog_fd;
	__u32 prog_id;
	int ring_fd;
	int counts_fd;
};

struct capture {
	pcap_dumper_t *dumper;
	unsigned long count; /* 0: no limit */
	unsigned long got;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hook_probe [-a ACTION] [-c COUNT] [-t SECONDS] [-o OBJ] [--ready FILE]\n"
		   "                  HOOK_PIN OUT.pcap\n"
		   "  -a ACTION     slot to capture: aborted, drop, pass, tx, redirect (pass)\n"
		   "  -c COUNT      stop after COUNT packets, 0 for no limit (1)\n"
		   "  -t SECONDS    give up after SECONDS, 0 for never (10)\n"
		   "  -o OBJ        capture program (" DEFAULT_OBJ ",\n"
		   "                else " DEFAULT_OBJ_FROM_BIN " next to this binary)\n"
		   "  --ready FILE  write \"ready\" to FILE once the program is in its slot\n"
		   "exit: 0 COUNT captured, 3 fewer (timeout or signal), 1 error, 2 usage\n");
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int parse_action(const char *s, __u32 *slot)
{
	char *end;
	unsigned long n;
	size_t i;

	for (i = 0; i < NR_ACTIONS; i++) {
		if (!strcasecmp(s, action_names[i])) {
			*slot = i;
			return 0;
		}
	}
	/* The number too, since that is what the slot is. */
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || end == s || *end || n >= NR_ACTIONS)
		return -1;
	*slot = n;
	return 0;
}

/* The default object, from the working directory or next to the binary. */
static int find_obj(char *buf, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n;

	if (!access(DEFAULT_OBJ, R_OK)) {
		snprintf(buf, size, "%s", DEFAULT_OBJ);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -1;
	exe[n] = '\0';
	if ((size_t)snprintf(buf, size, "%s/%s", dirname(exe), DEFAULT_OBJ_FROM_BIN) >= size)
		return -1;
	return access(buf, R_OK);
}

static int open_hook(const char *pin, __u32 slot)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd, err;

	fd = bpf_obj_get(pin);
	if (fd < 0) {
		fprintf(stderr, "hook_probe: %s: %s\n", pin, strerror(errno));
		return -1;
	}
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (err) {
		fprintf(stderr, "hook_probe: %s: map info: %s\n", pin, strerror(errno));
		goto fail;
	}
	/* The checks xdpcap makes, plus the slot, which it leaves to the kernel. */
	if (info.type != BPF_MAP_TYPE_PROG_ARRAY || info.key_size != 4 || info.value_size != 4) {
		fprintf(stderr,
			"hook_probe: %s is not an xdpcap hook (map type %u, key %u, value %u; want prog_array, 4, 4)\n",
			pin, info.type, info.key_size, info.value_size);
		goto fail;
	}
	if (slot >= info.max_entries) {
		fprintf(stderr, "hook_probe: %s has %u slots, no slot %u\n", pin, info.max_entries,
			slot);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* The program id in @slot, 0 when empty, -1 on error. */
static long long slot_prog_id(int hook_fd, __u32 slot)
{
	__u32 id;

	/* From user space a prog array lookup gives the program's id. */
	if (!bpf_map_lookup_elem(hook_fd, &slot, &id))
		return id;
	return errno == ENOENT ? 0 : -1;
}

/*
 * Writes the action into the object's rodata before load. Found by name
 * through BTF rather than assumed at offset 0, so adding a variable to the
 * BPF side does not silently break the helper.
 */
static int set_action(struct bpf_object *obj, __u32 action)
{
	const struct btf_var_secinfo *vs;
	const struct btf_type *t;
	struct bpf_map *map, *rodata = NULL;
	struct btf *btf = bpf_object__btf(obj);
	const void *init;
	size_t size;
	void *buf;
	int id, i, err;

	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);
		size_t n = strlen(name);

		if (bpf_map__is_internal(map) && n >= 7 && !strcmp(name + n - 7, ".rodata")) {
			rodata = map;
			break;
		}
	}
	id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -1;
	if (!rodata || id < 0)
		goto missing;

	t = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(t);
	for (i = 0; i < btf_vlen(t); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);

		if (!strcmp(btf__name_by_offset(btf, var->name_off), "action"))
			break;
	}
	init = bpf_map__initial_value(rodata, &size);
	if (i == btf_vlen(t) || vs->size != sizeof(action) || !init ||
	    vs->offset + sizeof(action) > size)
		goto missing;

	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, init, size);
	memcpy((char *)buf + vs->offset, &action, sizeof(action));
	err = bpf_map__set_initial_value(rodata, buf, size);
	free(buf);
	return err;
missing:
	fprintf(stderr, "hook_probe: no 4-byte rodata variable \"action\"\n");
	return -ENOENT;
}

static void probe_unload(struct probe *p)
{
	bpf_object__close(p->obj);
	p->obj = NULL;
	p->prog_fd = p->ring_fd = p->counts_fd = -1;
	p->prog_id = 0;
}

static int probe_load(struct probe *p, const char *path, __u32 action, bool frags)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct bpf_program *prog;
	__u32 flags;
	int err;

	p->obj = bpf_object__open_file(path, NULL);
	if (!p->obj) {
		err = -errno;
		fprintf(stderr, "hook_probe: %s: %s\n", path, strerror(-err));
		return err;
	}
	/* -o may name an object whose one program has another name */
	prog = bpf_object__find_program_by_name(p->obj, "hook_probe");
	if (!prog)
		prog = bpf_object__next_program(p->obj, NULL);
	if (!prog) {
		fprintf(stderr, "hook_probe: %s: no program\n", path);
		err = -ENOENT;
		goto fail;
	}
	err = set_action(p->obj, action);
	if (err)
		goto fail;

	/*
	 * libbpf loads SEC("xdp") as BPF_XDP; a hook owned by a program loaded
	 * with 0 (as xdpchain and xdpcap do) refuses that, so match the owner.
	 */
	err = bpf_program__set_expected_attach_type(prog, 0);
	if (err)
		goto fail;
	flags = bpf_program__flags(prog) & ~BPF_F_XDP_HAS_FRAGS;
	if (frags)
		flags |= BPF_F_XDP_HAS_FRAGS;
	err = bpf_program__set_flags(prog, flags);
	if (err)
		goto fail;

	err = bpf_object__load(p->obj);
	if (err) {
		fprintf(stderr, "hook_probe: loading %s (frags %s): %s\n", path,
			frags ? "on" : "off", strerror(-err));
		goto fail;
	}
	p->prog_fd = bpf_program__fd(prog);
	p->ring_fd = bpf_object__find_map_fd_by_name(p->obj, "hook_probe_ring");
	p->counts_fd = bpf_object__find_map_fd_by_name(p->obj, "hook_probe_counts");
	if (p->ring_fd < 0 || p->counts_fd < 0) {
		fprintf(stderr, "hook_probe: %s: maps missing\n", path);
		err = -ENOENT;
		goto fail;
	}
	if (bpf_obj_get_info_by_fd(p->prog_fd, &info, &len)) {
		err = -errno;
		fprintf(stderr, "hook_probe: program info: %s\n", strerror(-err));
		goto fail;
	}
	p->prog_id = info.id;
	return 0;
fail:
	probe_unload(p);
	return err;
}

/*
 * Puts the probe into @slot. Prog arrays accept only BPF_ANY as update flag
 * (BPF_NOEXIST fails with EINVAL, indistinguishable from an owner
 * mismatch), so "only if empty" is a lookup before the update and a check
 * of the id after it; the window between them only matters to two probes
 * racing for one slot, which the tests do not do.
 *
 * Returns 0, -EEXIST when the slot is taken, or another negative errno.
 */
static int join_hook(struct probe *p, int hook_fd, __u32 slot, const char *obj_path, __u32 action)
{
	bool frags = false;
	long long id;
	int err;

	err = probe_load(p, obj_path, action, frags);
	if (err)
		return err;

	id = slot_prog_id(hook_fd, slot);
	if (id)
		goto taken;

	err = bpf_map_update_elem(hook_fd, &slot, &p->prog_fd, BPF_ANY);
	if (err && errno == EINVAL) {
		/*
		 * The kernel refuses programs whose type, attach type or frags
		 * flag differ from the hook's owner. Attach type 0 is the only
		 * one the protocol uses, so the frags flag is what is left to
		 * try, as xdpcap does.
		 */
		probe_unload(p);
		frags = true;
		err = probe_load(p, obj_path, action, frags);
		if (err)
			return err;
		err = bpf_map_update_elem(hook_fd, &slot, &p->prog_fd, BPF_ANY);
	}
	if (err) {
		err = -errno;
		fprintf(stderr,
			"hook_probe: slot %u refuses the probe with expected_attach_type 0, frags off or on: %s%s\n",
			slot, strerror(-err),
			err == -EINVAL ? " (the hook's owner has another attach type?)" : "");
		return err;
	}
	id = slot_prog_id(hook_fd, slot);
	if (id != p->prog_id)
		goto taken;
	fprintf(stderr, "hook_probe: joined with expected_attach_type 0, frags %s\n",
		frags ? "on" : "off");
	return 0;
taken:
	if (id < 0) {
		fprintf(stderr, "hook_probe: slot %u: %s\n", slot, strerror(errno));
		return -errno;
	}
	fprintf(stderr, "hook_probe: slot %u (%s) is taken by program id %lld\n", slot,
		action_names[slot], id);
	return -EEXIST;
}

/* Leaves the slot alone if someone else replaced the probe meanwhile. */
static void leave_hook(struct probe *p, int hook_fd, __u32 slot)
{
	if (!p->prog_id || slot_prog_id(hook_fd, slot) != p->prog_id)
		return;
	if (bpf_map_delete_elem(hook_fd, &slot) && errno != ENOENT)
		fprintf(stderr, "hook_probe: deleting slot %u: %s\n", slot, strerror(errno));
}

/* Written under a temporary name first: a reader never sees it half done. */
static int write_ready(const char *path)
{
	char tmp[PATH_MAX];
	FILE *f;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fputs("ready\n", f);
	if (fclose(f) || rename(tmp, path)) {
		int err = -errno;

		unlink(tmp);
		return err;
	}
	return 0;
}

static int on_packet(void *ctx, void *data, size_t size)
{
	struct capture *cap = ctx;
	const struct hook_probe_pkt *pkt = data;
	struct pcap_pkthdr h;

	/* Packets past COUNT are drained but not written. */
	if (cap->count && cap->got >= cap->count)
		return 0;
	if (size < offsetof(struct hook_probe_pkt, data))
		return 0;

	/* Timestamps from user space, as xdpcap does: good enough for tests. */
	gettimeofday(&h.ts, NULL);
	h.caplen = pkt->caplen;
	if (h.caplen > HOOK_PROBE_SNAPLEN)
		h.caplen = HOOK_PROBE_SNAPLEN;
	if (h.caplen > size - offsetof(struct hook_probe_pkt, data))
		h.caplen = size - offsetof(struct hook_probe_pkt, data);
	h.len = pkt->len < h.caplen ? h.caplen : pkt->len;
	pcap_dump((u_char *)cap->dumper, &h, pkt->data);
	/* Flushed per packet so a killed probe still leaves a usable file. */
	pcap_dump_flush(cap->dumper);
	cap->got++;
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Returns 0 when done (count reached, timeout or signal), -errno on error. */
static int capture_loop(struct ring_buffer *rb, struct capture *cap, double timeout)
{
	double deadline = timeout > 0 ? now() + timeout : 0;
	int ms, err;

	while (!stop && (!cap->count || cap->got < cap->count)) {
		ms = POLL_MS;
		if (deadline) {
			double left = deadline - now();

			if (left <= 0)
				break;
			if (left * 1000 < ms)
				ms = (int)(left * 1000) + 1;
		}
		err = ring_buffer__poll(rb, ms);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "hook_probe: ring buffer: %s\n", strerror(-err));
			return err;
		}
	}
	/* Whatever the last poll left behind. */
	ring_buffer__consume(rb);
	return 0;
}

static void report_lost(const struct probe *p)
{
	__u32 key = HOOK_PROBE_LOST;
	__u64 lost = 0;

	if (p->counts_fd >= 0 && !bpf_map_lookup_elem(p->counts_fd, &key, &lost) && lost)
		fprintf(stderr, "hook_probe: %llu packets lost (ring buffer full)\n",
			(unsigned long long)lost);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = { { "ready", required_argument, NULL, 'r' },
						  { "help", no_argument, NULL, 'h' },
						  {} };
	struct probe p = { .prog_fd = -1, .ring_fd = -1, .counts_fd = -1 };
	struct capture cap = { .count = 1 };
	const char *obj_arg = NULL, *ready = NULL, *pin, *out;
	struct sigaction sa = { .sa_handler = on_signal };
	char obj_path[PATH_MAX];
	struct ring_buffer *rb = NULL;
	pcap_t *pcap = NULL;
	double timeout = 10;
	__u32 slot = 2; /* XDP_PASS */
	int hook_fd = -1, ret = EXIT_ERR, opt;
	bool joined = false;
	char *end;

	while ((opt = getopt_long(argc, argv, "a:c:t:o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			if (parse_action(optarg, &slot)) {
				fprintf(stderr, "hook_probe: unknown action %s\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'c':
			errno = 0;
			cap.count = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || *optarg == '-') {
				fprintf(stderr, "hook_probe: bad count %s\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 't':
			errno = 0;
			timeout = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(timeout) || timeout < 0) {
				fprintf(stderr, "hook_probe: bad timeout %s\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o':
			obj_arg = optarg;
			break;
		case 'r':
			ready = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	pin = argv[optind];
	out = argv[optind + 1];

	if (obj_arg) {
		snprintf(obj_path, sizeof(obj_path), "%s", obj_arg);
	} else if (find_obj(obj_path, sizeof(obj_path))) {
		fprintf(stderr,
			"hook_probe: no %s here nor next to the binary; build it (make test-build) or use -o\n",
			DEFAULT_OBJ);
		return EXIT_ERR;
	}

	/*
	 * Without SA_RESTART, so a signal ends the ring buffer's epoll wait
	 * at once; installed before joining so a signal at any point still
	 * goes through the cleanup below.
	 */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	hook_fd = open_hook(pin, slot);
	if (hook_fd < 0)
		goto out;

	/* Opened before joining: a bad path must not cost a capture. */
	pcap = pcap_open_dead(DLT_EN10MB, 65535);
	if (!pcap) {
		fprintf(stderr, "hook_probe: pcap_open_dead failed\n");
		goto out;
	}
	cap.dumper = pcap_dump_open(pcap, out);
	if (!cap.dumper) {
		/* pcap_geterr() already names the file. */
		fprintf(stderr, "hook_probe: %s\n", pcap_geterr(pcap));
		goto out;
	}

	if (join_hook(&p, hook_fd, slot, obj_path, slot))
		goto out;
	joined = true;

	rb = ring_buffer__new(p.ring_fd, on_packet, &cap, NULL);
	if (!rb) {
		fprintf(stderr, "hook_probe: ring buffer: %s\n", strerror(errno));
		goto out;
	}
	if (ready) {
		int err = write_ready(ready);

		if (err) {
			fprintf(stderr, "hook_probe: %s: %s\n", ready, strerror(-err));
			goto out;
		}
	}

	if (capture_loop(rb, &cap, timeout))
		goto out;
	ret = !cap.count || cap.got >= cap.count ? 0 : EXIT_SHORT;
out:
	if (joined)
		leave_hook(&p, hook_fd, slot);
	if (joined)
		report_lost(&p);
	ring_buffer__free(rb);
	probe_unload(&p);
	if (cap.dumper)
		pcap_dump_close(cap.dumper);
	if (pcap)
		pcap_close(pcap);
	if (hook_fd >= 0)
		close(hook_fd);
	fprintf(stderr, "hook_probe: %lu packets\n", cap.got);
	return ret;
}
