/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What a stage changed in a packet, by header field: Ethernet (src, dst,
 * the ethertype under the VLAN tags), the VLAN tags, IPv4/IPv6 (src, dst,
 * ttl or hop limit, length, protocol), TCP/UDP ports; "payload" when the
 * bytes after the headers differ, "header bytes" when only bytes no field
 * here names did (a checksum alone, options). For `show`.
 *
 * Pure: bytes in, words out, no kernel (unit-tested).
 */
#ifndef __XDPCHAIN_PKTDIFF_H
#define __XDPCHAIN_PKTDIFF_H

#include <stddef.h>
#include <linux/types.h>

#define PKTDIFF_MAX 16 /* changes named; more are "..." */

struct pktdiff {
	size_t n;
	char what[PKTDIFF_MAX][96]; /* "udp dport 7000→7001", "vlan 100 removed", "payload" */
};

/*
 * The fields that differ between @a (@alen bytes captured) and @b, in
 * header order. Nothing when the bytes are the same.
 */
void pktdiff__compare(const unsigned char *a, __u32 alen, const unsigned char *b, __u32 blen,
		      struct pktdiff *d);

#endif
