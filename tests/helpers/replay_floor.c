// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * replay_floor - bench helper, not part of the product: the floor of
 * `xdpchain replay`, what no replay can do in less. It loads the first XDP
 * program of each OBJ (its maps unpinned, as replay loads its copies),
 * reads every frame of IN into memory, then runs each frame through the
 * programs in the order given with BPF_PROG_TEST_RUN, the bytes one leaves
 * the input of the next, on while a program returns XDP_PASS; nothing is
 * written.
 *
 *   replay_floor IN.pcap OBJ...
 *
 * Prints "packets N runs M" (M test runs). Exit: 0 ok, 1 error, 2 usage.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>

#define MAX_PROGS 16
#define PKT_MAX 65536
#define META_MAX 32

struct frames {
	unsigned char *buf;
	size_t size, cap;
	size_t n;
};

static int load(const char *path, struct bpf_object **objp)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog, *first = NULL;
	struct bpf_map *map;

	if (libbpf_get_error(obj)) {
		fprintf(stderr, "replay_floor: cannot open %s\n", path);
		return -1;
	}
	bpf_object__for_each_program(prog, obj) {
		bool xdp = bpf_program__type(prog) == BPF_PROG_TYPE_XDP && !first;

		if (xdp)
			first = prog;
		bpf_program__set_autoload(prog, xdp);
	}
	bpf_object__for_each_map(map, obj)
		bpf_map__set_pin_path(map, NULL);
	if (!first || bpf_object__load(obj)) {
		fprintf(stderr, "replay_floor: cannot load an XDP program of %s\n", path);
		bpf_object__close(obj);
		return -1;
	}
	*objp = obj;
	return bpf_program__fd(first);
}

/* Every frame of @path as [__u32 len][bytes] records in @f. */
static int read_frames(const char *path, struct frames *f)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, errbuf);
	struct pcap_pkthdr *h;
	const u_char *data;

	if (!pc) {
		fprintf(stderr, "replay_floor: %s: %s\n", path, errbuf);
		return -1;
	}
	while (pcap_next_ex(pc, &h, &data) == 1) {
		if (f->size + 4 + h->caplen > f->cap) {
			f->cap = f->cap ? 2 * f->cap : 1 << 20;
			f->buf = realloc(f->buf, f->cap);
			if (!f->buf)
				return -1;
		}
		memcpy(f->buf + f->size, &h->caplen, 4);
		memcpy(f->buf + f->size + 4, data, h->caplen);
		f->size += 4 + h->caplen;
		f->n++;
	}
	pcap_close(pc);
	return 0;
}

/* One frame through the programs; the test runs it took, or -1. */
static long run_frame(const int *fds, int n, const unsigned char *data, __u32 len,
		      unsigned char bufs[2][PKT_MAX + META_MAX])
{
	const unsigned char *in = data;
	__u32 meta = 0;
	long runs = 0;

	for (int i = 0; i < n; i++) {
		struct xdp_md ctx_in = { .data = meta, .data_end = len }, ctx_out = {};
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = len,
			    .data_out = bufs[i & 1], .data_size_out = PKT_MAX + META_MAX,
			    .ctx_in = &ctx_in, .ctx_size_in = sizeof(ctx_in), .ctx_out = &ctx_out,
			    .ctx_size_out = sizeof(ctx_out), .repeat = 1);

		if (bpf_prog_test_run_opts(fds[i], &o))
			return -1;
		runs++;
		if (o.retval != XDP_PASS)
			break;
		in = bufs[i & 1];
		meta = ctx_out.data;
		len = ctx_out.data_end;
	}
	return runs;
}

static int warnings_only(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(int argc, char **argv)
{
	static unsigned char bufs[2][PKT_MAX + META_MAX];
	struct bpf_object *objs[MAX_PROGS] = {};
	struct frames f = {};
	int fds[MAX_PROGS], n = argc - 2, ret = 1;
	long runs = 0, r;
	__u32 len;

	if (argc < 3 || n > MAX_PROGS) {
		fprintf(stderr, "usage: replay_floor IN.pcap OBJ...\n");
		return 2;
	}
	libbpf_set_print(warnings_only);
	for (int i = 0; i < n; i++)
		if ((fds[i] = load(argv[2 + i], &objs[i])) < 0)
			goto out;
	if (read_frames(argv[1], &f))
		goto out;
	for (size_t off = 0; off < f.size; off += 4 + len) {
		memcpy(&len, f.buf + off, 4);
		r = run_frame(fds, n, f.buf + off + 4, len, bufs);
		if (r < 0) {
			fprintf(stderr, "replay_floor: BPF_PROG_TEST_RUN: %s\n", strerror(errno));
			goto out;
		}
		runs += r;
	}
	ret = 0;
out:
	printf("packets %zu runs %ld\n", f.n, runs);
	for (int i = 0; i < n; i++)
		bpf_object__close(objs[i]);
	free(f.buf);
	return ret;
}
