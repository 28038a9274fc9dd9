// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * make bench: what xdpchain costs, as ratios against a baseline measured in
 * the same run, on the same machine.
 *
 *  - The final stage's hook exit (a tail call into an empty slot), and a
 *    capture program with a kernel filter behind it, against a program that
 *    only returns XDP_PASS: BPF_PROG_TEST_RUN with a repeat count, the
 *    kernel's own per-run time. Plain XDP programs: no freplace needed.
 *  - The kernel filter against libpcap's user-space interpreter deciding
 *    the same packet (what a capture that copies everything out and filters
 *    afterwards pays at least).
 *  - Writing pcap and pcapng against a bare fwrite() of the same bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "capture.h"
#include "filter.h"
#include "hook.h"
#include "log.h"
#include "pcapout.h"

#define REPEAT 1000000

static unsigned char pkt_udp53[64], pkt_udp40000[64];

static void build_udp(unsigned char *p, unsigned short dport)
{
	static const unsigned char hdr[] = {
		0x02, 0, 0, 0,	0,   1, 0x02, 0, 0,    0,    0, 2, 0x08, 0x00, /* ethernet */
		0x45, 0, 0, 50, 0,   1, 0,    0, 64,   17,   0, 0, /* ipv4, no checksum */
		192,  0, 2, 2,	192, 0, 2,    1, 0x30, 0x39, 0, 0, 0,	 30,
		0,    0, /* udp 12345 -> dport */
	};

	memcpy(p, hdr, sizeof(hdr));
	p[36] = dport >> 8;
	p[37] = dport & 0xff;
	memset(p + sizeof(hdr), 'x', 64 - sizeof(hdr));
}

/* ns per run of @prog_fd on @pkt, from the kernel's test-run timer */
static double test_run_ns(int prog_fd, const void *pkt, size_t len, __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len, .repeat = REPEAT);

	if (bpf_prog_test_run_opts(prog_fd, &o)) {
		fprintf(stderr, "bench: test run failed: %s\n", strerror(errno));
		exit(1);
	}
	*retval = o.retval;
	return o.duration;
}

static int load_obj_prog(const char *path, const char *name, int hook_fd, struct bpf_object **objp)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	struct bpf_map *m;

	if (libbpf_get_error(obj)) {
		fprintf(stderr, "bench: cannot open %s (run 'make test-build')\n", path);
		exit(1);
	}
	prog = bpf_object__find_program_by_name(obj, name);
	m = bpf_object__find_map_by_name(obj, "xdpcap_hook");
	if (!prog || (m && bpf_map__reuse_fd(m, hook_fd)))
		exit(1);
	bpf_program__set_expected_attach_type(prog, 0);
	bpf_program__set_flags(prog, 0);
	if (bpf_object__load(obj)) {
		fprintf(stderr, "bench: cannot load %s\n", path);
		exit(1);
	}
	*objp = obj;
	return bpf_program__fd(prog);
}

static void count_pkt(void *ctx, const struct capture_meta *m, const void *pkt)
{
	(void)m;
	(void)pkt;
	(*(unsigned long *)ctx)++;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void row(const char *what, double ns, double base)
{
	printf("  %-58s %9.1f ns  %6.2fx\n", what, ns, ns / base);
}

static void bench_kernel(void)
{
	struct bpf_object *pass_obj, *final_obj;
	struct capture cap;
	struct filter f = {};
	unsigned long got = 0;
	int hook_fd, pass_fd, final_fd;
	double base, t;
	__u32 ret;

	hook_fd = hook__create();
	if (hook_fd < 0) {
		fprintf(stderr, "bench: %s\n", err_last());
		exit(1);
	}
	pass_fd = load_obj_prog(".output/tests/pass.o", "xdp_test_pass", hook_fd, &pass_obj);
	/*
	 * hook_owner.o holds the final stage's very instructions in a plain
	 * SEC("xdp"); final.o's "xdp.frags" section makes libbpf load it with
	 * frags, which a no-frags hook refuses outside a dispatcher.
	 */
	final_fd = load_obj_prog(".output/dispatcher/hook_owner.o", "xdpchain_owner", hook_fd,
				 &final_obj);

	printf("BPF_PROG_TEST_RUN, %d runs each, 64-byte UDP packet\n", REPEAT);
	base = test_run_ns(pass_fd, pkt_udp53, sizeof(pkt_udp53), &ret);
	row("baseline: return XDP_PASS", base, base);
	t = test_run_ns(final_fd, pkt_udp53, sizeof(pkt_udp53), &ret);
	row("final stage, empty hook (no capture running)", t, base);

	if (filter__compile("udp port 53", 262144, &f)) {
		fprintf(stderr, "bench: %s\n", err_last());
		exit(1);
	}
	struct capture_opts o = {
		.hook_fd = hook_fd,
		.actions = 1U << 2,
		.filter = &f,
		.stats_fd = -1,
		.snaplen = 262144,
		.buffer_pages = 256,
		.on_packet = count_pkt,
		.ctx = &got,
	};
	if (capture__start(&cap, &o)) {
		fprintf(stderr, "bench: %s\n", err_last());
		exit(1);
	}
	t = test_run_ns(final_fd, pkt_udp40000, sizeof(pkt_udp40000), &ret);
	row("final stage + capture 'udp port 53', packet not matching", t, base);
	t = test_run_ns(final_fd, pkt_udp53, sizeof(pkt_udp53), &ret);
	row("final stage + capture 'udp port 53', matching (copied out)", t, base);
	while (capture__poll(&cap, 100) == 0 && got < REPEAT) {
		struct capture_stats st;

		capture__stats(&cap, &st);
		if (got + st.lost + st.output_err >= REPEAT)
			break;
	}
	{
		struct capture_stats st;

		capture__stats(&cap, &st);
		printf("  (matching run: %lu packets read, %llu lost: a reader far slower than\n"
		       "   the kernel's test-run loop; loss is counted, never hidden)\n",
		       got, (unsigned long long)(st.lost + st.output_err));
	}
	capture__stop(&cap);

	/* the same decision in libpcap's user-space interpreter */
	{
		double t0 = now_ns();
		unsigned int sum = 0;

		for (int i = 0; i < REPEAT; i++)
			sum += filter__run_classic(&f, i & 1 ? pkt_udp53 : pkt_udp40000, 64, 64);
		t = (now_ns() - t0) / REPEAT;
		row("libpcap's interpreter, same filter (user space, no copy)", t, base);
		if (!sum)
			printf("?");
	}
	filter__free(&f);
	bpf_object__close(pass_obj);
	bpf_object__close(final_obj);
	close(hook_fd);
}

static double write_rate(int kind, int n)
{
	struct pcap_out *o = NULL;
	double t0;
	FILE *f = NULL;

	if (kind == 0)
		f = fopen("/dev/null", "w");
	else if (pcapout__open(&o, "/dev/null", kind == 2, 262144, "bench"))
		exit(1);
	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		if (f)
			fwrite(pkt_udp53, 1, sizeof(pkt_udp53), f);
		else
			pcapout__write(o, 1000000000ULL * i, pkt_udp53, 64, 64, 2, NULL);
	}
	if (f)
		fclose(f);
	else
		pcapout__close(o, NULL);
	return (now_ns() - t0) / n;
}

int main(void)
{
	double base;
	int n = 2000000;

	log_hook_libraries();
	log_set_level(getenv("BENCH_DEBUG") ? LOG_LIB : LOG_WARN);
	build_udp(pkt_udp53, 53);
	build_udp(pkt_udp40000, 40000);
	bench_kernel();

	printf("\nWriting %d 64-byte packets to /dev/null\n", n);
	base = write_rate(0, n);
	row("baseline: fwrite() of the packet bytes", base, base);
	row("pcap through libpcap's pcap_dump()", write_rate(1, n), base);
	row("pcapng with the action comment", write_rate(2, n), base);
	return 0;
}
