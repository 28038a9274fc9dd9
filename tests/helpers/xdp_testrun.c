// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * xdp_testrun - test helper, not part of the product: runs a pinned XDP
 * program once per frame with BPF_PROG_TEST_RUN, on frames of the lengths
 * given, and can write the frames it ran to a pcap file to compare with.
 *
 *   xdp_testrun PROG_PIN [-w SENT.pcap] LEN...
 *
 * Frame i (from 0) is LEN bytes: Ethernet 02:00:00:00:00:02 ->
 * 02:00:00:00:00:01, ethertype 0x88b5 (local experimental: tcpdump prints
 * its length and bytes, nothing else), then byte k of the frame is
 * (k + 31 * i) & 0xff, so a byte out of place or from another frame shows.
 * Frames longer than one page become multi-buffer (frags) input, which the
 * kernel takes for programs loaded with BPF_F_XDP_HAS_FRAGS
 * (SEC("xdp.frags")), up to one page plus MAX_SKB_FRAGS pages.
 *
 * Prints "LEN: action N" per frame. Exit: 0 ok, 1 error, 2 usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/dlt.h>
#include <pcap/pcap.h>

#define MAX_LEN (1 << 20)

static int usage(void)
{
	fprintf(stderr, "usage: xdp_testrun PROG_PIN [-w SENT.pcap] LEN...\n");
	return 2;
}

static void make_frame(unsigned char *f, size_t len, unsigned int i)
{
	static const unsigned char hdr[14] = {
		0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x88, 0xb5
	};

	for (size_t k = 0; k < len; k++)
		f[k] = (k + 31 * i) & 0xff;
	memcpy(f, hdr, len < sizeof(hdr) ? len : sizeof(hdr));
}

int main(int argc, char **argv)
{
	const char *pin, *sent = NULL;
	pcap_dumper_t *d = NULL;
	unsigned char *frame = NULL;
	pcap_t *p = NULL;
	int fd = -1, ret = 1, first = 2;

	if (argc < 3)
		return usage();
	pin = argv[1];
	if (!strcmp(argv[2], "-w")) {
		if (argc < 5)
			return usage();
		sent = argv[3];
		first = 4;
	}
	for (int a = first; a < argc; a++) {
		char *end;
		unsigned long len = strtoul(argv[a], &end, 10);

		if (*end || !len || len > MAX_LEN) {
			fprintf(stderr, "xdp_testrun: bad length '%s' (1..%d)\n", argv[a], MAX_LEN);
			return 2;
		}
	}

	fd = bpf_obj_get(pin);
	if (fd < 0) {
		fprintf(stderr, "xdp_testrun: %s: %s\n", pin, strerror(errno));
		goto out;
	}
	frame = malloc(MAX_LEN);
	if (!frame) {
		fprintf(stderr, "xdp_testrun: out of memory\n");
		goto out;
	}
	if (sent) {
		p = pcap_open_dead(DLT_EN10MB, MAX_LEN);
		d = p ? pcap_dump_open(p, sent) : NULL;
		if (!d) {
			fprintf(stderr, "xdp_testrun: %s: %s\n", sent,
				p ? pcap_geterr(p) : "pcap_open_dead failed");
			goto out;
		}
	}
	for (int a = first; a < argc; a++) {
		unsigned int len = strtoul(argv[a], NULL, 10), i = a - first;
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len,
			    .repeat = 1);
		struct pcap_pkthdr h = { .caplen = len, .len = len };

		make_frame(frame, len, i);
		if (bpf_prog_test_run_opts(fd, &opts)) {
			fprintf(stderr, "xdp_testrun: running %s on a %u-byte frame: %s\n", pin,
				len, strerror(errno));
			goto out;
		}
		printf("%u: action %u\n", len, opts.retval);
		if (d)
			pcap_dump((unsigned char *)d, &h, frame);
	}
	ret = 0;
out:
	if (d && (pcap_dump_flush(d) || ferror(pcap_dump_file(d)))) {
		fprintf(stderr, "xdp_testrun: writing %s failed\n", sent);
		ret = 1;
	}
	if (d)
		pcap_dump_close(d);
	if (p)
		pcap_close(p);
	free(frame);
	if (fd >= 0)
		close(fd);
	return ret;
}
