// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * xdp_flood - bench helper, not part of the product: sends COUNT real
 * 64-byte UDP frames out of IFACE as fast as the kernel can, with
 * BPF_PROG_TEST_RUN in live-frames mode running
 * tests/bpf/flood_redirect.o (which redirects each frame to IFACE). On a
 * veth, the frames arrive at the peer's XDP program in its NAPI poll, as
 * frames from a wire do.
 *
 *   xdp_flood OBJ IFACE COUNT
 *
 * Prints "COUNT frames in SECONDS s". Exit: 0 ok, 1 error, 2 usage error.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static const unsigned char frame[64] = {
	0x02, 0,    0,	  0,	0,   1,	 0x02, 0, 0,  0,  0,	2,    0x08, 0x00, /* ethernet */
	0x45, 0,    0,	  50,	0,   1,	 0,    0, 64, 17, 0xf6, 0xb6, /* ipv4, checksum right */
	192,  0,    2,	  2,	192, 0,	 2,    1, /* 192.0.2.2 -> 192.0.2.1 */
	0x30, 0x39, 0x9c, 0x43, 0,   30, 0,    0, /* udp 12345 -> 40003 */
};

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *rodata;
	struct timespec t0, t1;
	unsigned long count;
	__u32 ifindex;
	size_t size;
	const void *init;
	char *vals = NULL;

	if (argc != 4)
		goto usage;
	ifindex = if_nametoindex(argv[2]);
	count = strtoul(argv[3], NULL, 10);
	if (!ifindex || !count || count > 0xffffffffUL)
		goto usage;
	obj = bpf_object__open_file(argv[1], NULL);
	if (libbpf_get_error(obj)) {
		fprintf(stderr, "xdp_flood: cannot open %s\n", argv[1]);
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, "xdp_flood_redirect");
	rodata = bpf_object__find_map_by_name(obj, ".rodata");
	init = rodata ? bpf_map__initial_value(rodata, &size) : NULL;
	if (!prog || !init || size < sizeof(ifindex)) {
		fprintf(stderr, "xdp_flood: %s is not flood_redirect.o\n", argv[1]);
		goto err;
	}
	/* target_ifindex is the only constant: the start of .rodata */
	vals = malloc(size);
	if (!vals)
		goto err;
	memcpy(vals, init, size);
	memcpy(vals, &ifindex, sizeof(ifindex));
	if (bpf_map__set_initial_value(rodata, vals, size) || bpf_object__load(obj)) {
		fprintf(stderr, "xdp_flood: cannot load %s\n", argv[1]);
		goto err;
	}
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = sizeof(frame),
		    .repeat = count, .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &o)) {
		fprintf(stderr, "xdp_flood: live-frames test run: %s\n", strerror(errno));
		goto err;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%lu frames in %.6f s\n", count,
	       t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	bpf_object__close(obj);
	free(vals);
	return 0;
err:
	bpf_object__close(obj);
	free(vals);
	return 1;
usage:
	fprintf(stderr, "usage: xdp_flood OBJ IFACE COUNT\n");
	return 2;
}
