// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The capture writers, read back with libpcap: pcap and pcapng files hold
 * the packets, lengths and timestamps given, pcapng each packet's action
 * and stage in its comment.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>

#include "log.h"
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
	CHECK_EQ_INT(pcapout__close(o, NULL), 0);
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

/* A file that cannot take the header fails at open, naming the file. */
TEST(pcapout_full_device_fails_at_open)
{
	struct pcap_out *o = NULL;

	CHECK_EQ_INT(pcapout__open(&o, "/dev/full", false, 65535, "x"), -ENOSPC);
	CHECK_CONTAINS(err_last(), "writing /dev/full failed: No space left on device");
	CHECK_EQ_INT(pcapout__open(&o, "/dev/full", true, 65535, "x"), -ENOSPC);
	CHECK_CONTAINS(err_last(), "writing /dev/full failed: No space left on device");
	CHECK(o == NULL);
}

/*
 * A write that fails half way (here past RLIMIT_FSIZE: EFBIG) is reported,
 * by a write or the next flush, with nothing written after it; the count of
 * packets in the file is the number of whole packets before the point the
 * writes reached, as libpcap reads them back.
 */
static void cut_short(bool pcapng)
{
	char path[] = "/tmp/xdpchain-unit-XXXXXX";
	struct rlimit old, lim = { .rlim_cur = 2000 };
	struct pcap_pkthdr h[64];
	unsigned char d[64][64];
	struct pcap_out *o = NULL;
	int fd = mkstemp(path), i, n, open_err, err = 0, again, close_err;
	__u64 in_file = 0;

	CHECK(fd >= 0);
	close(fd);
	CHECK(!getrlimit(RLIMIT_FSIZE, &old));
	lim.rlim_max = old.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	CHECK(!setrlimit(RLIMIT_FSIZE, &lim));
	/* no CHECK until the limit is restored */
	open_err = pcapout__open(&o, path, pcapng, 65535, "x");
	for (i = 0; !open_err && i < 40 && !err; i++)
		err = pcapout__write(o, 1000000000ULL * i, pkt, sizeof(pkt), 61, 2, NULL);
	if (!open_err && !err)
		err = pcapout__flush(o);
	again = open_err ? 0 : pcapout__write(o, 0, pkt, sizeof(pkt), 61, 2, NULL);
	close_err = pcapout__close(o, &in_file);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	n = read_back(path, h, d, 64);
	unlink(path);
	CHECK_EQ_INT(open_err, 0);
	CHECK_EQ_INT(err, -EFBIG);
	CHECK_EQ_INT(again, -EFBIG);
	CHECK_EQ_INT(close_err, -EFBIG);
	CHECK(in_file > 0 && in_file < 40);
	CHECK_EQ_INT(n, in_file);
	CHECK_EQ_INT(h[n - 1].caplen, sizeof(pkt));
}

TEST(pcapout_pcap_write_error_counts_whole_packets)
{
	cut_short(false);
}

TEST(pcapout_pcapng_write_error_counts_whole_packets)
{
	cut_short(true);
}
