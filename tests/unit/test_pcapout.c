// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The capture writers, read back with libpcap: pcap and pcapng files hold
 * the packets, lengths and timestamps given, pcapng each packet's action
 * and stage in its comment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>

#include "pcapout.h"
#include "unit.h"

static const unsigned char pkt[61] = { 0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00, 0x45 };

static int read_back(const char *path, struct pcap_pkthdr *hdrs, unsigned char (*data)[64], int max)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	const unsigned char *d;
	struct pcap_pkthdr *h;
	pcap_t *p = pcap_open_offline(path, errbuf);
	int n = 0;

	if (!p)
		return -1;
	while (n < max && pcap_next_ex(p, &h, &d) == 1) {
		hdrs[n] = *h;
		memcpy(data[n], d, h->caplen < 64 ? h->caplen : 64);
		n++;
	}
	pcap_close(p);
	return n;
}

static void write_three(const char *path, bool pcapng)
{
	struct pcap_out *o = NULL;

	CHECK_EQ_INT(pcapout__open(&o, path, pcapng, 262144, "xc0"), 0);
	CHECK_EQ_INT(pcapout__write(o, 1500000000123456789ULL, pkt, sizeof(pkt), 61, 2, NULL), 0);
	CHECK_EQ_INT(pcapout__write(o, 1500000001000000000ULL, pkt, 42, 61, 1, NULL), 0);
	CHECK_EQ_INT(pcapout__write(o, 1500000002000000000ULL, pkt, 17, 17, 1, "after x"), 0);
	pcapout__close(o);
}

static void check_three(const char *path)
{
	struct pcap_pkthdr h[4];
	unsigned char d[4][64];

	CHECK_EQ_INT(read_back(path, h, d, 4), 3);
	CHECK_EQ_INT(h[0].caplen, 61);
	CHECK_EQ_INT(h[0].len, 61);
	CHECK_EQ_INT(h[1].caplen, 42);
	CHECK_EQ_INT(h[1].len, 61);
	CHECK_EQ_INT(h[2].caplen, 17);
	CHECK_EQ_INT(h[0].ts.tv_sec, 1500000000);
	CHECK_EQ_INT(h[0].ts.tv_usec, 123456);
	CHECK(!memcmp(d[0], pkt, 61));
	CHECK(!memcmp(d[1], pkt, 42));
}

TEST(pcapout_pcap_reads_back)
{
	char path[] = "/tmp/xdpchain-unit-XXXXXX";
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	write_three(path, false);
	check_three(path);
	unlink(path);
}

TEST(pcapout_pcapng_reads_back_with_comments)
{
	char path[] = "/tmp/xdpchain-unit-XXXXXX", buf[4096];
	int fd = mkstemp(path);
	FILE *f;
	size_t n;

	CHECK(fd >= 0);
	close(fd);
	write_three(path, true);
	check_three(path);
	f = fopen(path, "rb");
	CHECK(f != NULL);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	CHECK(memmem(buf, n, "xdp action: pass; stage: after the chain", 40) != NULL);
	CHECK(memmem(buf, n, "xdp action: drop; stage: after the chain", 40) != NULL);
	/* the stage changes for the same action: the comment follows */
	CHECK(memmem(buf, n, "xdp action: drop; stage: after x", 32) != NULL);
	unlink(path);
}

TEST(pcapout_unwritable_path)
{
	struct pcap_out *o = NULL;

	CHECK(pcapout__open(&o, "/proc/nope/x.pcap", false, 65535, "x") < 0);
	CHECK(pcapout__open(&o, "/proc/nope/x.pcapng", true, 65535, "x") < 0);
}
