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
 *  - Capturing a flood: 1,000,000 64-byte packets pushed with
 *    BPF_PROG_TEST_RUN through a standalone program that owns an xdpcap
 *    hook, while a capture tool (xdpchain capture at its defaults,
 *    cloudflare's xdpcap tuned and at its defaults) drains the hook into a
 *    pcap on a tmpfs: the flood's wall time, packets written, losses the
 *    tool reported, the tool's CPU time per packet, packets out of time
 *    order; from one CPU and from both.
 *  - A captured packet against the bare copy of it into a BPF ring buffer
 *    (what the capture uses, one ring per CPU) and into a perf buffer,
 *    readers draining on another CPU.
 *
 * Environment: BENCH=flood runs the flood part alone; XDPCAP=PATH the
 * xdpcap to compare with; XDPCHAIN=PATH the xdpchain to run (e.g. a script
 * that runs it under perf record); BENCH_LOG=1 prints each tool's stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>

#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "capture.h"
#include "filter.h"
#include "hook.h"
#include "insn.h"
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

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/*
 * ns per run of @prog_fd on @pkt from the kernel's test-run timer (whole
 * ns; time the thread spent scheduled out is not counted, so what else
 * the machine runs matters less than for a wall clock), the fastest of
 * @rounds rounds.
 */
/*
 * ns per run of @prog_fd on @pkt, the best of @rounds runs of REPEAT. The
 * kernel's own figure (opts.duration) is whole ns, too coarse for programs
 * of a few ns; the thread's CPU time around the call is as blind to time
 * the thread was scheduled out and divides into fractions of a ns (the
 * call's own setup, a few us, is well under 0.01 ns a run).
 */
static double test_run_ns(int prog_fd, const void *pkt, size_t len, __u32 *retval, int rounds)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len, .repeat = REPEAT);
	struct timespec t0, t1;
	double best = 0, ns;

	for (int i = 0; i < rounds; i++) {
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
		if (bpf_prog_test_run_opts(prog_fd, &o)) {
			fprintf(stderr, "bench: test run failed: %s\n", strerror(errno));
			exit(1);
		}
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
		ns = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / REPEAT;
		if (!i || ns < best)
			best = ns;
	}
	*retval = o.retval;
	return best;
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

static void row(const char *what, double ns, double base)
{
	printf("  %-58s %9.2f ns  %6.2fx\n", what, ns, ns / base);
}

/* A reader draining a capture (or a bare perf buffer) while the kernel runs. */
struct reader {
	struct capture *cap;
	struct perf_buffer *pb;
	struct ring_buffer *rb;
	volatile int stop;
};

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (cpu < 0) {
		for (int i = 0; i < CPU_SETSIZE; i++)
			CPU_SET(i, &set);
	} else {
		CPU_SET(cpu, &set);
	}
	sched_setaffinity(0, sizeof(set), &set);
}

static void *read_loop(void *arg)
{
	struct reader *r = arg;

	pin_cpu(sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0);
	while (!r->stop) {
		if (r->cap) {
			capture__poll(r->cap, 20);
		} else if (r->rb) {
			/* the bare copy wakes no one: the reader polls */
			ring_buffer__consume(r->rb);
			usleep(500);
		} else {
			perf_buffer__poll(r->pb, 20);
			perf_buffer__consume(r->pb);
		}
	}
	return NULL;
}

static enum bpf_perf_event_ret drop_event(void *ctx, int cpu, struct perf_event_header *e)
{
	(void)cpu;
	(void)e;
	(*(unsigned long *)ctx)++;
	return LIBBPF_PERF_EVENT_CONT;
}

static int drop_sample(void *ctx, void *data, size_t size)
{
	(void)data;
	(void)size;
	(*(unsigned long *)ctx)++;
	return 0;
}

/*
 * The bare copy: a program that hands the packet's 64 bytes to a perf
 * buffer set up as xdpchain's capture had it before the rings (8 MiB a
 * CPU, wakeups at 1/256), or to a BPF ring buffer of the capture's ring
 * size shared by all CPUs, waking no one (the reader polls every 0.5 ms:
 * the cheapest copy there is), and passes it.
 * Returns the ns per run; *read: samples the reader got; *failed: copies
 * that failed (buffer full).
 */
static double bare_copy_ns(bool ringbuf, unsigned long *read, __u64 *failed)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_BPF_OUTPUT,
		.sample_type = PERF_SAMPLE_RAW,
		.sample_period = 1,
		.watermark = 1,
	};
	unsigned int pages = capture__default_pages();
	size_t bytes = (size_t)pages * sysconf(_SC_PAGESIZE), skip;

	struct reader r = {};
	struct insn_buf b = {};
	pthread_t t;
	int buf_fd, prog_fd, cnt_fd, err;
	__u32 ret, key = 0;
	__u64 v[1024];
	double ns;

	*read = 0;
	if (!ringbuf) { /* the perf buffer as it was: 8 MiB a CPU */
		pages = (8UL << 20) / sysconf(_SC_PAGESIZE);
		bytes = 8UL << 20;
	}
	buf_fd = ringbuf ? bpf_map_create(BPF_MAP_TYPE_RINGBUF, "bench_ring", 0, 0, bytes, NULL) :
			   bpf_map_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY, "bench_bare", 4, 4,
					  libbpf_num_possible_cpus(), NULL);
	cnt_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "bench_fail", 4, 8, 1, NULL);
	if (buf_fd < 0 || cnt_fd < 0)
		exit(1);
	EMIT(&b, MOV64_REG(BPF_REG_6, BPF_REG_1));
	if (ringbuf) {
		/*
		 * bpf_ringbuf_output() may not read packet memory: reserve
		 * the room, copy with bpf_xdp_load_bytes(), submit
		 */
		EMIT(&b, LD_MAP_FD(BPF_REG_1, buf_fd), MOV64_IMM(BPF_REG_2, 64),
		     MOV64_IMM(BPF_REG_3, 0), CALL(BPF_FUNC_ringbuf_reserve),
		     /* reserved: past the failure count and its jump out */
		     JMP_IMM(BPF_JNE, BPF_REG_0, 0, 11));
	} else {
		/* flags: BPF_F_CURRENT_CPU | 64 << 32; no metadata of its own */
		EMIT(&b, MOV64_IMM(BPF_REG_3, 64), ALU64_IMM(BPF_LSH, BPF_REG_3, 32),
		     MOV32_IMM(BPF_REG_1, -1), ALU64_REG(BPF_OR, BPF_REG_3, BPF_REG_1),
		     MOV64_REG(BPF_REG_1, BPF_REG_6), LD_MAP_FD(BPF_REG_2, buf_fd),
		     ST_MEM(BPF_DW, BPF_REG_10, -8, 0), MOV64_REG(BPF_REG_4, BPF_REG_10),
		     ALU64_IMM(BPF_ADD, BPF_REG_4, -8), MOV64_IMM(BPF_REG_5, 8),
		     CALL(BPF_FUNC_perf_event_output), JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 10));
	}
	/* a failed copy: this CPU's count + 1 */
	EMIT(&b, ST_MEM(BPF_W, BPF_REG_10, -12, 0), LD_MAP_FD(BPF_REG_1, cnt_fd),
	     MOV64_REG(BPF_REG_2, BPF_REG_10), ALU64_IMM(BPF_ADD, BPF_REG_2, -12),
	     CALL(BPF_FUNC_map_lookup_elem), JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 3),
	     LDX_MEM(BPF_DW, BPF_REG_1, BPF_REG_0, 0), ALU64_IMM(BPF_ADD, BPF_REG_1, 1),
	     STX_MEM(BPF_DW, BPF_REG_0, BPF_REG_1, 0));
	if (ringbuf) {
		skip = b.n;
		EMIT(&b, JMP_A(0 /* patched */), MOV64_REG(BPF_REG_7, BPF_REG_0),
		     MOV64_REG(BPF_REG_1, BPF_REG_6), MOV64_IMM(BPF_REG_2, 0),
		     MOV64_REG(BPF_REG_3, BPF_REG_7), MOV64_IMM(BPF_REG_4, 64),
		     CALL(BPF_FUNC_xdp_load_bytes), MOV64_REG(BPF_REG_1, BPF_REG_7),
		     MOV64_IMM(BPF_REG_2, BPF_RB_NO_WAKEUP), CALL(BPF_FUNC_ringbuf_submit));
		insn_buf__patch(&b, skip, b.n);
	}
	EMIT(&b, MOV64_IMM(BPF_REG_0, XDP_PASS), EXIT_INSN());
	{
		static char log[1 << 16];
		LIBBPF_OPTS(bpf_prog_load_opts, lo, .log_buf = log, .log_size = sizeof(log),
			    .log_level = 1);

		prog_fd = b.oom ? -1 :
				  bpf_prog_load(BPF_PROG_TYPE_XDP, "bench_bare", "Dual BSD/GPL",
						b.v, b.n, &lo);
		insn_buf__free(&b);
		if (prog_fd < 0) {
			fprintf(stderr, "bench: bare copy program refused: %s\n%s\n",
				strerror(errno), log);
			exit(1);
		}
	}
	if (ringbuf) {
		r.rb = ring_buffer__new(buf_fd, drop_sample, read, NULL);
		err = libbpf_get_error(r.rb);
	} else {
		attr.wakeup_watermark = bytes / CAPTURE_WAKEUP_FRACTION;
		r.pb = perf_buffer__new_raw(buf_fd, pages, &attr, drop_event, read, NULL);
		err = libbpf_get_error(r.pb);
	}
	if (err)
		exit(1);
	pthread_create(&t, NULL, read_loop, &r);
	ns = test_run_ns(prog_fd, pkt_udp53, sizeof(pkt_udp53), &ret, 1);
	usleep(300000);
	r.stop = 1;
	pthread_join(t, NULL);
	*failed = 0;
	if (!bpf_map_lookup_elem(cnt_fd, &key, v))
		for (int i = 0; i < libbpf_num_possible_cpus() && i < 1024; i++)
			*failed += v[i];
	if (ringbuf) {
		ring_buffer__consume(r.rb);
		ring_buffer__free(r.rb);
	} else {
		perf_buffer__consume(r.pb);
		perf_buffer__free(r.pb);
	}
	close(prog_fd);
	close(cnt_fd);
	close(buf_fd);
	return ns;
}

#define PLACEMENTS 5

/*
 * One placement of the programs: a capture with @o's filter on @o's hook
 * (whose final stage is @final_fd) and a second final stage with an empty
 * hook of its own, run in turns on a packet the filter refuses, so the two
 * see the same load on the machine; the best of nine each.
 */
static void nomatch_turns(int final_fd, const struct capture_opts *o, double *nm, double *em)
{
	struct bpf_object *obj2;
	struct capture cap;
	int hook2_fd = hook__create(), fd2;
	double e, n;
	__u32 ret;

	if (hook2_fd < 0 || capture__start(&cap, o)) {
		fprintf(stderr, "bench: %s\n", err_last());
		exit(1);
	}
	fd2 = load_obj_prog(".output/dispatcher/hook_owner.o", "xdpchain_owner", hook2_fd, &obj2);
	for (int i = 0; i < 9; i++) {
		e = test_run_ns(fd2, pkt_udp40000, sizeof(pkt_udp40000), &ret, 1);
		n = test_run_ns(final_fd, pkt_udp40000, sizeof(pkt_udp40000), &ret, 1);
		if (!i || e < *em)
			*em = e;
		if (!i || n < *nm)
			*nm = n;
	}
	bpf_object__close(obj2);
	close(hook2_fd);
	capture__stop(&cap);
}

static void bench_kernel(void)
{
	struct bpf_object *pass_obj, *final_obj;
	struct capture cap;
	struct capture_stats st;
	struct filter f = {};
	struct reader r = {};
	pthread_t t_read;
	unsigned long got = 0, bare_read, ring_read;
	__u64 bare_failed, ring_failed;
	int hook_fd, pass_fd, final_fd;
	double base, empty, empty_t, tail, nomatch, match, bare, ring, ratio_lo, ratio_hi;
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
	/* the kernel runs on CPU 0, readers on CPU 1 */
	pin_cpu(0);

	printf("BPF_PROG_TEST_RUN, %d runs each, 64-byte UDP packet; readers drain on another CPU\n",
	       REPEAT);
	base = test_run_ns(pass_fd, pkt_udp53, sizeof(pkt_udp53), &ret, 5);
	row("baseline: return XDP_PASS", base, base);
	empty = test_run_ns(final_fd, pkt_udp53, sizeof(pkt_udp53), &ret, 5);
	row("final stage, empty hook (no capture running)", empty, base);

	/*
	 * Where a capture's ns go: the tail call into a program that only
	 * returns, in the slot a capture would take.
	 */
	{
		struct insn_buf b = {};
		__u32 slot = XDP_PASS;
		int fd;

		EMIT(&b, MOV64_IMM(BPF_REG_0, XDP_PASS), EXIT_INSN());
		fd = b.oom ? -1 :
			     bpf_prog_load(BPF_PROG_TYPE_XDP, "bench_ret", "Dual BSD/GPL", b.v, b.n,
					   NULL);
		insn_buf__free(&b);
		if (fd < 0 || bpf_map_update_elem(hook_fd, &slot, &fd, BPF_ANY)) {
			fprintf(stderr, "bench: cannot fill the hook's slot: %s\n",
				strerror(errno));
			exit(1);
		}
		tail = test_run_ns(final_fd, pkt_udp40000, sizeof(pkt_udp40000), &ret, 5);
		row("final stage, a program that only returns in the slot", tail, base);
		bpf_map_delete_elem(hook_fd, &slot);
		close(fd);
	}

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
		.buffer_pages = 0, /* the defaults */
		.on_packet = count_pkt,
		.ctx = &got,
	};
	/*
	 * The filter matching nothing against the empty hook: the median of
	 * PLACEMENTS placements (a ns moves with where the JIT put the
	 * programs), each the best of turns between the two.
	 */
	{
		double ratio[PLACEMENTS], nm[PLACEMENTS], em[PLACEMENTS];
		int k = PLACEMENTS / 2;

		for (int p = 0; p < PLACEMENTS; p++) {
			nomatch_turns(final_fd, &o, &nm[p], &em[p]);
			ratio[p] = nm[p] / em[p];
		}
		/* the placement of the median ratio */
		for (int p = 0; p < PLACEMENTS; p++) {
			int below = 0;

			for (int q = 0; q < PLACEMENTS; q++)
				below += ratio[q] < ratio[p] || (ratio[q] == ratio[p] && q < p);
			if (below == PLACEMENTS / 2)
				k = p;
		}
		nomatch = nm[k];
		empty_t = em[k];
		ratio_lo = ratio_hi = ratio[0];
		for (int p = 1; p < PLACEMENTS; p++) {
			ratio_lo = ratio[p] < ratio_lo ? ratio[p] : ratio_lo;
			ratio_hi = ratio[p] > ratio_hi ? ratio[p] : ratio_hi;
		}
	}
	if (capture__start(&cap, &o)) {
		fprintf(stderr, "bench: %s\n", err_last());
		exit(1);
	}
	r.cap = &cap;
	pthread_create(&t_read, NULL, read_loop, &r);
	row("final stage + capture 'udp port 53', packet not matching", nomatch, base);
	row("final stage, empty hook, measured in turns with the row above", empty_t, base);
	match = test_run_ns(final_fd, pkt_udp53, sizeof(pkt_udp53), &ret, 1);
	row("final stage + capture 'udp port 53', matching (copied out)", match, base);
	for (int i = 0; i < 50; i++) {
		capture__stats(&cap, &st);
		if (got + st.output_err >= REPEAT)
			break;
		usleep(100000);
	}
	r.stop = 1;
	pthread_join(t_read, NULL);
	capture__drain(&cap);
	capture__stats(&cap, &st);
	capture__stop(&cap);
	ring = bare_copy_ns(true, &ring_read, &ring_failed);
	bare = bare_copy_ns(false, &bare_read, &bare_failed);
	row("bare copy of the packet into a BPF ring buffer, nothing else", ring, base);
	row("the same into a perf buffer", bare, base);
	printf("  filter matching nothing: %.2fx the empty hook measured in turns with it (goal <= "
	       "1.15x;\n  median of %d placements, %.2f-%.2fx); the tail call alone %.2fx\n",
	       nomatch / empty_t, PLACEMENTS, ratio_lo, ratio_hi, tail / empty);
	printf("  a captured packet costs %.1f ns over the empty hook, the bare copy into a ring\n"
	       "  %.1f ns over XDP_PASS: %.2fx (goal <= 2x); read %lu, lost %llu (capture),\n"
	       "  read %lu, lost %llu (bare ring), read %lu, lost %llu (bare perf buffer)\n",
	       match - empty, ring - base, (match - empty) / (ring - base), got,
	       (unsigned long long)st.output_err, ring_read, (unsigned long long)ring_failed,
	       bare_read, (unsigned long long)bare_failed);

	/* the same decision in libpcap's user-space interpreter */
	{
		double t0 = now_ns(), t;
		unsigned int sum = 0;

		for (int i = 0; i < REPEAT; i++)
			sum += filter__run_classic(&f, i & 1 ? pkt_udp53 : pkt_udp40000, 64, 64);
		t = (now_ns() - t0) / REPEAT;
		row("libpcap's interpreter, same filter (user space, no copy)", t, base);
		if (!sum)
			printf("?");
	}
	pin_cpu(-1);
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

/* ---- a flood through a standalone program's hook, drained by a capture tool ---- */

#define FLOOD_PACKETS 1000000
/* cloudflare's xdpcap: $XDPCAP, else the shared peers' next to the repo or its worktree */
static const char *xdpcap_peer(void)
{
	static const char *const where[] = { "../shared/peers/xdpcap",
					     "../../shared/peers/xdpcap" };
	const char *env = getenv("XDPCAP");

	if (env)
		return access(env, X_OK) ? NULL : env;
	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++)
		if (!access(where[i], X_OK))
			return where[i];
	return NULL;
}

struct sender {
	int prog_fd;
	int cpu;
	__u32 repeat;
	int err;
};

static void *send_flood(void *arg)
{
	struct sender *s = arg;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt_udp53, .data_size_in = sizeof(pkt_udp53),
		    .repeat = s->repeat);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(s->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) || bpf_prog_test_run_opts(s->prog_fd, &o))
		s->err = errno;
	return NULL;
}

/* Seconds to push @n packets through @prog_fd from @ncpu CPUs at once. */
static double flood(int prog_fd, int ncpu, __u32 n)
{
	struct sender s[2];
	pthread_t t[2];
	double t0 = now_ns();

	for (int i = 0; i < ncpu; i++) {
		s[i] = (struct sender){ .prog_fd = prog_fd, .cpu = i, .repeat = n / ncpu };
		pthread_create(&t[i], NULL, send_flood, &s[i]);
	}
	for (int i = 0; i < ncpu; i++) {
		pthread_join(t[i], NULL);
		if (s[i].err) {
			fprintf(stderr, "bench: flood from CPU %d failed: %s\n", i,
				strerror(s[i].err));
			exit(1);
		}
	}
	return (now_ns() - t0) / 1e9;
}

static pid_t spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int null = open("/dev/null", O_RDWR);

		if (fd < 0 || null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

/* Packets in a pcap file, and how many have an earlier time than the one before. */
static long pcap_packets(const char *path, long *out_of_order)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	struct timeval prev = {};
	pcap_t *p = pcap_open_offline(path, errbuf);
	long n = 0;

	*out_of_order = 0;
	if (!p)
		return -1;
	while (pcap_next_ex(p, &h, &d) == 1) {
		if (timercmp(&h->ts, &prev, <))
			(*out_of_order)++;
		prev = h->ts;
		n++;
	}
	pcap_close(p);
	return n;
}

/* The losses a tool's last words report (xdpchain's summary, xdpcap's stats). */
static long reported_lost(const char *log, bool xdpchain)
{
	char line[512];
	long lost = xdpchain ? -1 : 0, v;
	FILE *f = fopen(log, "r");
	char *p;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (xdpchain) {
			p = strstr(line, "lost ");
			if (strstr(line, "xdpchain capture:") && p)
				lost = strtol(p + 5, NULL, 10);
		} else if ((p = strstr(line, "lost "))) {
			/* xdpcap: "Error: lost N packets" for each loss it saw */
			while (*p && (*p < '0' || *p > '9'))
				p++;
			v = strtol(p, NULL, 10);
			lost += v;
		}
	}
	fclose(f);
	return lost;
}

struct flood_tool {
	const char *name;
	bool xdpchain;
	const char *args[8]; /* between the program and HOOK OUT */
};

static void flood_row(const struct flood_tool *t, int prog_fd, int hook_fd, const char *pin,
		      const char *dir, int ncpu, double *base)
{
	char out[256], log[256], *argv[16];
	int argc = 0, status;
	long written, ooo, lost;
	__u32 ids[HOOK_SLOTS];
	struct rusage ru;
	double cpu;
	double secs;
	off_t size, last;
	pid_t pid;

	snprintf(out, sizeof(out), "%s/out.pcap", dir);
	snprintf(log, sizeof(log), "%s/tool.log", dir);
	unlink(out);
	argv[argc++] = (char *)(t->xdpchain ? (getenv("XDPCHAIN") ?: ".output/bin/xdpchain") :
					      xdpcap_peer());
	if (t->xdpchain)
		argv[argc++] = "capture";
	for (int i = 0; t->args[i]; i++)
		argv[argc++] = (char *)t->args[i];

	if (t->xdpchain) {
		argv[argc++] = "--hook";
		argv[argc++] = (char *)pin;
		argv[argc++] = "-w";
		argv[argc++] = out;
	} else {
		argv[argc++] = (char *)pin;
		argv[argc++] = out;
	}
	argv[argc] = NULL;
	pid = spawn(argv, log);
	/* until its program is in the PASS slot */
	for (int i = 0; i < 200; i++) {
		if (!hook__slots(hook_fd, ids) && ids[2])
			break;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			printf("  %-44s did not start (see %s)\n", t->name, log);
			return;
		}
		usleep(50000);
	}
	secs = flood(prog_fd, ncpu, FLOOD_PACKETS);
	/* the reader catches up: until the file stops growing */
	last = -1;
	while ((size = file_size(out)) != last) {
		last = size;
		usleep(300000);
	}
	kill(pid, SIGINT);
	wait4(pid, &status, 0, &ru);
	written = pcap_packets(out, &ooo);
	if (getenv("BENCH_LOG")) {
		FILE *l = fopen(log, "r");
		char line[512];

		while (l && fgets(line, sizeof(line), l))
			fputs(line, stdout);
		if (l)
			fclose(l);
	}

	lost = reported_lost(log, t->xdpchain);
	if (!*base)
		*base = secs;
	/* the tool's own CPU time (user + system) for each packet sent */
	cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	printf("  %-44s %6.2f s %6.2fx  %8ld written %8ld lost %5.0f ns%s", t->name, secs,
	       secs / *base, written, lost, cpu * 1e9 / FLOOD_PACKETS, ooo ? "" : "\n");
	if (ooo)
		printf("  %ld out of time order\n", ooo);
	if (written + lost != FLOOD_PACKETS)
		printf("    %ld packets neither written nor reported lost\n",
		       FLOOD_PACKETS - written - lost);
}

/*
 * A private mount namespace: bpffs for the hook pin and a tmpfs for the
 * files, gone with the process.
 */
static void flood_mounts(char *dir, char *bpffs, char *tmp)
{
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    !mkdtemp(dir)) {
		fprintf(stderr, "bench: no private mounts: %s\n", strerror(errno));
		exit(1);
	}
	sprintf(bpffs, "%s/bpf", dir);
	sprintf(tmp, "%s/tmp", dir);
	if (mkdir(bpffs, 0700) || mkdir(tmp, 0700) || mount("bpf", bpffs, "bpf", 0, NULL) ||
	    mount("tmpfs", tmp, "tmpfs", 0, "size=512m")) {
		fprintf(stderr, "bench: cannot mount bpffs and tmpfs: %s\n", strerror(errno));
		exit(1);
	}
}

static void bench_flood(void)
{
	static const struct flood_tool tools[] = {
		{ "cloudflare xdpcap, -buffer 8388608 -watermark 4096",
		  false,
		  { "-buffer", "8388608", "-watermark", "4096" } },
		{ "cloudflare xdpcap, defaults", false, {} },
		{ "xdpchain capture, defaults", true, {} },
	};
	char dir[] = "/tmp/xdpchain-bench.XXXXXX", bpffs[64], tmp[64], pin[96];
	struct bpf_object *obj;
	int hook_fd, prog_fd;
	bool peer = xdpcap_peer();

	flood_mounts(dir, bpffs, tmp);
	hook_fd = hook__create();
	if (hook_fd < 0) {
		fprintf(stderr, "bench: %s\n", err_last());
		exit(1);
	}
	prog_fd = load_obj_prog(".output/dispatcher/hook_owner.o", "xdpchain_owner", hook_fd, &obj);
	snprintf(pin, sizeof(pin), "%s/hook", bpffs);
	if (bpf_obj_pin(hook_fd, pin)) {
		fprintf(stderr, "bench: cannot pin the hook: %s\n", strerror(errno));
		exit(1);
	}
	for (int ncpu = 1; ncpu <= 2; ncpu++) {
		double base = 0;

		printf("\nFlood: %d 64-byte packets from %d CPU%s (BPF_PROG_TEST_RUN) through a hook, "
		       "every packet captured into a pcap on tmpfs\n",
		       FLOOD_PACKETS, ncpu, ncpu > 1 ? "s" : "");
		if (!peer)
			printf("  (no cloudflare xdpcap (set XDPCAP=PATH): its rows left out)\n");
		for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++)
			if (tools[i].xdpchain || peer)
				flood_row(&tools[i], prog_fd, hook_fd, pin, tmp, ncpu, &base);
	}
	bpf_object__close(obj);
	close(hook_fd);
	umount2(bpffs, MNT_DETACH);
	umount2(tmp, MNT_DETACH);
	rmdir(bpffs);
	rmdir(tmp);
	rmdir(dir);
}

int main(void)
{
	double base;
	int n = 2000000;

	log_hook_libraries();
	log_set_level(getenv("BENCH_DEBUG") ? LOG_LIB : LOG_WARN);
	build_udp(pkt_udp53, 53);
	build_udp(pkt_udp40000, 40000);
	/* BENCH=flood: that part alone */
	if (!getenv("BENCH") || strcmp(getenv("BENCH"), "flood")) {
		bench_kernel();
		printf("\nWriting %d 64-byte packets to /dev/null\n", n);
		base = write_rate(0, n);
		row("baseline: fwrite() of the packet bytes", base, base);
		row("pcap through libpcap's pcap_dump()", write_rate(1, n), base);
		row("pcapng with the action comment", write_rate(2, n), base);
	}
	bench_flood();
	return 0;
}
