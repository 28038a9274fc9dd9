// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* replay --expect's reading of all-stages files and its packet names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "golden.h"
#include "log.h"
#include "pcapout.h"
#include "unit.h"

/* Ethernet + IPv4 + UDP 192.0.2.2.40000 > 192.0.2.1.@dport, @vlan tags in front. */
static size_t udp4_frame(unsigned char *f, int vlans, unsigned int dport)
{
	size_t off = 12;

	memset(f, 0, 128);
	for (int i = 0; i < vlans; i++, off += 4) {
		f[off] = 0x81;
		f[off + 3] = 100 + i;
	}
	f[off] = 0x08;
	off += 2;
	f[off] = 0x45;
	f[off + 9] = 17;
	memcpy(f + off + 12, (unsigned char[]){ 192, 0, 2, 2, 192, 0, 2, 1 }, 8);
	f[off + 20] = 40000 >> 8;
	f[off + 21] = 40000 & 0xff;
	f[off + 22] = dport >> 8;
	f[off + 23] = dport & 0xff;
	return off + 28;
}

TEST(golden_describe_names_packets_as_tcpdump)
{
	unsigned char f[128];
	char buf[128];
	size_t n;

	n = udp4_frame(f, 0, 7003);
	CHECK_STR(golden__describe(f, n, buf, sizeof(buf)), "udp 192.0.2.2.40000 > 192.0.2.1.7003");
	n = udp4_frame(f, 2, 53);
	CHECK_STR(golden__describe(f, n, buf, sizeof(buf)), "udp 192.0.2.2.40000 > 192.0.2.1.53");
	/* cut inside the UDP header: no ports */
	n = udp4_frame(f, 0, 53);
	CHECK_STR(golden__describe(f, n - 6, buf, sizeof(buf)), "udp 192.0.2.2 > 192.0.2.1");
	memset(f, 0, sizeof(f));
	f[12] = 0x08;
	f[13] = 0x06;
	CHECK_STR(golden__describe(f, 42, buf, sizeof(buf)), "ethertype 0x0806, 42 bytes");
	CHECK_STR(golden__describe(f, 6, buf, sizeof(buf)), "6 bytes");
	memset(f, 0, sizeof(f));
	f[12] = 0x86;
	f[13] = 0xdd;
	f[14 + 6] = 6;
	f[14 + 8] = 0x20;
	f[14 + 9] = 0x01;
	f[14 + 24] = 0x20;
	f[14 + 25] = 0x01;
	f[14 + 40 + 1] = 80;
	f[14 + 40 + 3] = 22;
	CHECK_STR(golden__describe(f, 74, buf, sizeof(buf)), "tcp 2001::.80 > 2001::.22");
}

/* An all-stages file as capture and replay write it, read back. */
static void write_stages(char **out, size_t *size)
{
	static char path[] = "/tmp/xdpchain-unit-XXXXXX";
	unsigned char f[128];
	struct pcap_out *o;
	size_t n = udp4_frame(f, 0, 7003);
	int fd = mkstemp(path);
	FILE *in;
	char *buf = malloc(1 << 16);

	*out = buf;
	*size = 0;
	close(fd);
	CHECK_EQ_INT(pcapout__open(&o, path, true, 262144, "xc0:entry"), 0);
	CHECK_EQ_INT(pcapout__add_interface(o, "xc0:exit"), 1);
	CHECK_EQ_INT(pcapout__add_interface(o, "xc0:after fw"), 2);
	pcapout__write_on(o, 0, 5, 1, f, n, n, PCAPOUT_NO_ACTION, NULL);
	pcapout__write_on(o, 2, 5, 1, f, n, n, PCAPOUT_NO_ACTION, "after fw (id 9)");
	pcapout__write_on(o, 1, 5, 1, f, n, n, XDP_DROP, "deny (id 7)");
	pcapout__write_on(o, 0, 6, 2, f, n - 6, n, PCAPOUT_NO_ACTION, NULL);
	pcapout__write_on(o, 1, 6, 2, f, n - 6, n, XDP_PASS, NULL);
	CHECK_EQ_INT(pcapout__close(o, NULL), 0);
	in = fopen(path, "r");
	*size = fread(buf, 1, 1 << 16, in);
	fclose(in);
	unlink(path);
}

TEST(golden_reads_the_fates_of_an_all_stages_file)
{
	struct golden g;
	char why[160];
	size_t size;
	char *buf;

	write_stages(&buf, &size);

	CHECK_EQ_INT(golden__parse(&g, (unsigned char *)buf, size, why, sizeof(why)), 0);
	CHECK_EQ_INT(g.n, 2);
	CHECK_EQ_INT(g.fates[0].action, XDP_DROP);
	CHECK_STR(g.fates[0].stage, "deny"); /* the live program id is no part of it */
	CHECK_EQ_INT(g.fates[1].action, XDP_PASS);
	CHECK_STR(g.fates[1].stage, "");
	CHECK_EQ_INT(g.fates[1].caplen, g.fates[0].caplen - 6);
	CHECK_EQ_INT(g.fates[1].len, g.fates[0].len);
	free(g.fates);
	/*
	 * cut anywhere: refused, never read past the end; a cut between two
	 * blocks is a whole file of fewer packets (pcapng counts none)
	 */
	for (size_t cut = 4; cut < size; cut += 4) {
		bool ok = !golden__parse(&g, (unsigned char *)buf, size - cut, why, sizeof(why));
		size_t n = g.n;

		free(g.fates);
		CHECK(!ok || n < 2);
	}
	CHECK(golden__parse(&g, (unsigned char *)buf, size - 4, why, sizeof(why)) < 0);
	free(g.fates);
	CHECK(strstr(why, "bad length") != NULL);
	free(buf);
}

TEST(golden_keeps_every_stage_for_show)
{
	struct golden g;
	char why[160];
	size_t size;
	char *buf;

	write_stages(&buf, &size);
	CHECK_EQ_INT(golden__parse_all(&g, (unsigned char *)buf, size, why, sizeof(why)), 0);
	CHECK(g.stages);
	CHECK_EQ_INT(g.n, 2);
	CHECK_EQ_INT(g.n_recs, 5);
	CHECK_EQ_INT(g.n_ifs, 3);
	CHECK_EQ_INT(g.ifs[0].kind, GOLDEN_IF_ENTRY);
	CHECK_EQ_INT(g.ifs[1].kind, GOLDEN_IF_EXIT);
	CHECK_EQ_INT(g.ifs[2].kind, GOLDEN_IF_AFTER);
	CHECK_STR(g.ifs[2].stage, "fw");
	CHECK_EQ_INT(g.recs[0].pkt_id, 5);
	CHECK_EQ_INT(g.recs[1].ifid, 2);
	CHECK_EQ_INT(g.recs[1].f.action, XDP_ACTION_COUNT); /* on the way: no verdict */
	CHECK_EQ_INT(g.recs[2].f.action, XDP_DROP);
	CHECK_STR(g.recs[2].f.stage, "deny");
	CHECK_EQ_INT(g.recs[3].pkt_id, 6);
	CHECK_EQ_INT(g.recs[3].f.caplen, g.recs[3].f.len - 6);
	free(g.fates);
	free(g.recs);
	free(g.ifs);
	free(buf);
}

/* The one comparison --expect and apply --dry-run --replay share. */
TEST(golden_fate_differs_words_each_change)
{
	unsigned char a[8] = "abcdefg", b[8] = "abcdefX";
	struct golden_fate was = {
		.action = XDP_DROP, .stage = "fw", .caplen = 7, .len = 7, .data = a
	};
	struct golden_fate now = was;
	char line[256];

	CHECK(!golden__fate_differs(4, "udp x", &was, &now, line, sizeof(line)));
	now.action = XDP_PASS;
	now.stage[0] = '\0';
	CHECK(golden__fate_differs(4, "udp x", &was, &now, line, sizeof(line)));
	CHECK_STR(line, "packet 4 (udp x): was drop by fw, now pass after the chain");
	now = was;
	now.data = b;
	CHECK(golden__fate_differs(4, "udp x", &was, &now, line, sizeof(line)));
	CHECK_STR(
		line,
		"packet 4 (udp x): drop by fw both times, but its bytes at the fate differ (was 7 bytes, now 7)");
	now = was;
	now.len = 9; /* the same bytes kept, more cut: not the same packet */
	CHECK(golden__fate_differs(4, "udp x", &was, &now, line, sizeof(line)));
}
