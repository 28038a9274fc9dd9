// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* show's naming of what a stage changed in a packet. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "pktdiff.h"
#include "unit.h"

#define ARROW "\xe2\x86\x92"

/* Ethernet (@vlan: one tag of VLAN 100) + IPv4 + UDP 10.0.0.2.40000 > 10.0.0.1.@dport, 8 bytes of data. */
static size_t udp4(unsigned char *f, bool vlan, unsigned int dport)
{
	size_t off = 12;

	memset(f, 0, 128);
	memcpy(f, (unsigned char[]){ 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 }, 12);
	if (vlan) {
		f[off] = 0x81;
		f[off + 3] = 100;
		off += 4;
	}
	f[off] = 0x08;
	off += 2;
	f[off] = 0x45;
	f[off + 3] = 36; /* total length */
	f[off + 8] = 64;
	f[off + 9] = 17;
	memcpy(f + off + 12, (unsigned char[]){ 10, 0, 0, 2, 10, 0, 0, 1 }, 8);
	f[off + 20] = 40000 >> 8;
	f[off + 21] = 40000 & 0xff;
	f[off + 22] = dport >> 8;
	f[off + 23] = dport & 0xff;
	memcpy(f + off + 28, "payload!", 8);
	return off + 36;
}

static void joined(const struct pktdiff *d, char *buf, size_t size)
{
	*buf = '\0';
	for (size_t k = 0; k < d->n; k++)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", k ? ", " : "", d->what[k]);
}

TEST(pktdiff_names_the_fields_a_stage_changed)
{
	unsigned char a[128], b[128];
	struct pktdiff d;
	char s[512];
	size_t na, nb;

	na = udp4(a, false, 7000);
	pktdiff__compare(a, na, a, na, &d);
	CHECK_EQ_INT(d.n, 0);
	nb = udp4(b, false, 7001);
	b[14 + 8] = 63;
	pktdiff__compare(a, na, b, nb, &d);
	joined(&d, s, sizeof(s));
	CHECK_STR(s, "ip ttl 64" ARROW "63, udp dport 7000" ARROW "7001");
	/* a VLAN tag popped: 4 bytes shorter, nothing else */
	na = udp4(a, true, 53);
	nb = udp4(b, false, 53);
	pktdiff__compare(a, na, b, nb, &d);
	joined(&d, s, sizeof(s));
	CHECK_STR(s, "vlan 100 removed");
	pktdiff__compare(b, nb, a, na, &d);
	joined(&d, s, sizeof(s));
	CHECK_STR(s, "vlan 100 added");
	/* MACs swapped, an address rewritten, the data changed */
	na = udp4(a, false, 53);
	nb = udp4(b, false, 53);
	memcpy(b, a + 6, 6);
	memcpy(b + 6, a, 6);
	b[14 + 19] = 9;
	b[nb - 1] = '?';
	pktdiff__compare(a, na, b, nb, &d);
	joined(&d, s, sizeof(s));
	CHECK_STR(s, "eth dst 02:00:00:00:00:01" ARROW
		     "02:00:00:00:00:02, eth src 02:00:00:00:00:02" ARROW
		     "02:00:00:00:00:01, ip dst 10.0.0.1" ARROW "10.0.0.9, payload");
	/* a checksum alone: no field here names it */
	nb = udp4(b, false, 53);
	b[14 + 10] = 0xab;
	pktdiff__compare(a, na, b, nb, &d);
	joined(&d, s, sizeof(s));
	CHECK_STR(s, "header bytes");
	/* cut short: never read past either end */
	for (size_t cut = 0; cut < na; cut++) {
		pktdiff__compare(a, na - cut, b, nb, &d);
		CHECK(d.n > 0);
	}
}

TEST(pktdiff_names_ipv6_fields)
{
	unsigned char a[128] = {}, b[128];
	struct pktdiff d;
	char s[512];

	a[12] = 0x86;
	a[13] = 0xdd;
	a[14] = 0x60;
	a[14 + 5] = 8; /* payload length */
	a[14 + 6] = 17;
	a[14 + 7] = 64;
	a[14 + 8] = 0x20;
	a[14 + 9] = 0x01;
	a[14 + 24] = 0x20;
	a[14 + 25] = 0x01;
	a[14 + 39] = 1;
	a[54 + 3] = 53;
	memcpy(b, a, sizeof(a));
	b[14 + 7] = 63;
	b[14 + 39] = 2;
	b[54 + 1] = 7;
	pktdiff__compare(a, 62, b, 62, &d);
	joined(&d, s, sizeof(s));
	CHECK_STR(s,
		  "ip6 dst 2001::1" ARROW "2001::2, ip6 hlim 64" ARROW "63, udp sport 0" ARROW "7");
	/* an IPv4 frame become IPv6: the type, and the rest is payload */
	udp4(b, false, 53);
	memcpy(a, b, 12);
	pktdiff__compare(b, 50, a, 62, &d);
	joined(&d, s, sizeof(s));
	CHECK_STR(s, "eth type 0x0800" ARROW "0x86dd, payload");
}
