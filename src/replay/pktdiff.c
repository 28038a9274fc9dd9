// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* What a stage changed in a packet, by header field (pktdiff.h). */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "pktdiff.h"

#define ARROW "\xe2\x86\x92" /* → */
#define ETH_HLEN 14
#define VLAN_MAX 2 /* QinQ */

/* The fields of one packet as far as its captured bytes go. */
struct hdrs {
	bool eth;
	const unsigned char *dst, *src;
	__u16 type; /* under the VLAN tags */
	int n_vlan;
	__u16 vid[VLAN_MAX];
	int ip; /* 4, 6, or 0: none read */
	const unsigned char *ip_src, *ip_dst;
	__u8 proto, ttl;
	__u16 ip_len; /* IPv4 total length, IPv6 payload length */
	bool ports;
	__u16 sport, dport;
	__u32 payload; /* where the bytes after the headers read start */
};

static __u16 be16(const unsigned char *p)
{
	return p[0] << 8 | p[1];
}

static void parse_l4(const unsigned char *p, __u32 len, __u32 off, struct hdrs *h)
{
	__u32 hlen = h->proto == 17 ? 8 : h->proto == 6 ? 20 : 0;

	if (!hlen || off + 4 > len)
		return;
	h->ports = true;
	h->sport = be16(p + off);
	h->dport = be16(p + off + 2);
	if (h->proto == 6 && off + 13 <= len && (p[off + 12] >> 4) >= 5)
		hlen = (p[off + 12] >> 4) * 4;
	h->payload = off + hlen < len ? off + hlen : len;
}

static void parse_l3(const unsigned char *p, __u32 len, __u32 off, struct hdrs *h)
{
	if (h->type == 0x0800 && off + 20 <= len && p[off] >> 4 == 4 && (p[off] & 0xf) >= 5) {
		h->ip = 4;
		h->ip_len = be16(p + off + 2);
		h->ttl = p[off + 8];
		h->proto = p[off + 9];
		h->ip_src = p + off + 12;
		h->ip_dst = p + off + 16;
		h->payload = off + (p[off] & 0xf) * 4 < len ? off + (p[off] & 0xf) * 4 : len;
	} else if (h->type == 0x86dd && off + 40 <= len) {
		h->ip = 6;
		h->ip_len = be16(p + off + 4);
		h->proto = p[off + 6];
		h->ttl = p[off + 7];
		h->ip_src = p + off + 8;
		h->ip_dst = p + off + 24;
		h->payload = off + 40;
	}
	if (h->ip)
		parse_l4(p, len, h->payload, h);
}

static void parse(const unsigned char *p, __u32 len, struct hdrs *h)
{
	__u32 off = 12;

	memset(h, 0, sizeof(*h));
	if (len < ETH_HLEN)
		return;
	h->eth = true;
	h->dst = p;
	h->src = p + 6;
	h->type = be16(p + off);
	while (h->n_vlan < VLAN_MAX && (h->type == 0x8100 || h->type == 0x88a8) && off + 6 <= len) {
		h->vid[h->n_vlan++] = be16(p + off + 2) & 0xfff;
		off += 4;
		h->type = be16(p + off);
	}
	off += 2;
	h->payload = off;
	parse_l3(p, len, off, h);
}

static void __attribute__((format(printf, 2, 3))) add(struct pktdiff *d, const char *fmt, ...)
{
	va_list ap;

	if (d->n == PKTDIFF_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(d->what[d->n++], sizeof(d->what[0]), fmt, ap);
	va_end(ap);
}

static void mac_change(struct pktdiff *d, const char *field, const unsigned char *a,
		       const unsigned char *b)
{
	char x[18], y[18];

	if (!memcmp(a, b, 6))
		return;
	snprintf(x, sizeof(x), "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4], a[5]);
	snprintf(y, sizeof(y), "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
	add(d, "eth %s %s" ARROW "%s", field, x, y);
}

/* "100" or "100.200", the tags outermost first */
static const char *vlans(const struct hdrs *h, char *buf, size_t size)
{
	snprintf(buf, size, "%u", h->vid[0]);
	if (h->n_vlan > 1)
		snprintf(buf + strlen(buf), size - strlen(buf), ".%u", h->vid[1]);
	return buf;
}

static void vlan_change(struct pktdiff *d, const struct hdrs *a, const struct hdrs *b)
{
	char x[16], y[16];

	if (a->n_vlan == b->n_vlan && !memcmp(a->vid, b->vid, a->n_vlan * sizeof(a->vid[0])))
		return;
	if (!b->n_vlan)
		add(d, "vlan %s removed", vlans(a, x, sizeof(x)));
	else if (!a->n_vlan)
		add(d, "vlan %s added", vlans(b, y, sizeof(y)));
	else
		add(d, "vlan %s" ARROW "%s", vlans(a, x, sizeof(x)), vlans(b, y, sizeof(y)));
}

static void addr_change(struct pktdiff *d, const char *field, int family, const unsigned char *a,
			const unsigned char *b)
{
	char x[INET6_ADDRSTRLEN], y[INET6_ADDRSTRLEN];

	if (!memcmp(a, b, family == AF_INET ? 4 : 16))
		return;
	inet_ntop(family, a, x, sizeof(x));
	inet_ntop(family, b, y, sizeof(y));
	add(d, "%s %s" ARROW "%s", field, x, y);
}

static void num_change(struct pktdiff *d, const char *field, unsigned int a, unsigned int b)
{
	if (a != b)
		add(d, "%s %u" ARROW "%u", field, a, b);
}

/* IPv4/IPv6 and the ports, when both packets have the same network layer. */
static void l3_change(struct pktdiff *d, const struct hdrs *a, const struct hdrs *b)
{
	bool v4 = a->ip == 4;
	const char *l4 = a->proto == 17 ? "udp" : "tcp";
	char f[16];

	if (!a->ip || a->ip != b->ip)
		return;
	addr_change(d, v4 ? "ip src" : "ip6 src", v4 ? AF_INET : AF_INET6, a->ip_src, b->ip_src);
	addr_change(d, v4 ? "ip dst" : "ip6 dst", v4 ? AF_INET : AF_INET6, a->ip_dst, b->ip_dst);
	num_change(d, v4 ? "ip ttl" : "ip6 hlim", a->ttl, b->ttl);
	num_change(d, v4 ? "ip len" : "ip6 plen", a->ip_len, b->ip_len);
	num_change(d, v4 ? "ip proto" : "ip6 next", a->proto, b->proto);
	if (a->proto != b->proto || !a->ports || !b->ports)
		return;
	snprintf(f, sizeof(f), "%s sport", l4);
	num_change(d, f, a->sport, b->sport);
	snprintf(f, sizeof(f), "%s dport", l4);
	num_change(d, f, a->dport, b->dport);
}

void pktdiff__compare(const unsigned char *a, __u32 alen, const unsigned char *b, __u32 blen,
		      struct pktdiff *d)
{
	struct hdrs x, y;
	bool same_shape;

	memset(d, 0, sizeof(*d));
	if (alen == blen && !memcmp(a, b, alen))
		return;
	parse(a, alen, &x);
	parse(b, blen, &y);
	same_shape = x.eth && y.eth;
	if (same_shape) {
		mac_change(d, "dst", x.dst, y.dst);
		mac_change(d, "src", x.src, y.src);
		vlan_change(d, &x, &y);
		if (x.type != y.type)
			add(d, "eth type 0x%04x" ARROW "0x%04x", x.type, y.type);
		same_shape = x.type == y.type;
	}
	if (same_shape) {
		l3_change(d, &x, &y);
		same_shape = x.ip == y.ip && x.proto == y.proto && x.ports == y.ports;
	}
	if (!same_shape || alen - x.payload != blen - y.payload ||
	    memcmp(a + x.payload, b + y.payload, alen - x.payload))
		add(d, "payload");
	if (!d->n)
		add(d, "header bytes");
}
