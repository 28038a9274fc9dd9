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
 *    tool reported; from one CPU and from both.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>

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
		if (got + capture_stats__lost(&st) >= REPEAT)
			break;
	}
	{
		struct capture_stats st;

		capture__stats(&cap, &st);
		printf("  (matching run: %lu packets read, %llu lost: a reader far slower than\n"
		       "   the kernel's test-run loop; loss is counted, never hidden)\n",
		       got, (unsigned long long)capture_stats__lost(&st));
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
	waitpid(pid, &status, 0);
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
	printf("  %-44s %6.2f s %6.2fx  %8ld written %8ld lost%s", t->name, secs, secs / *base,
	       written, lost, ooo ? "" : "\n");
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
