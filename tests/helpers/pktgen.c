// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * pktgen - test helper, not part of the product: crafts a fixed, diverse set
 * of Ethernet frames and sends them through an interface or writes them to
 * a pcap file.
 *
 *   pktgen list
 *   pktgen write OUT.pcap [--repeat N] [--only NAME,...] [--dst-mac MAC]
 *                [--src-mac MAC]
 *   pktgen send IFACE [--repeat N] [--only NAME,...] [--dst-mac MAC]
 *               [--src-mac MAC] [--rate PPS]
 *   pktgen replay IFACE FILE.pcap [--repeat N] [--rate PPS]
 *
 * Tests push every kind of packet through a veth pair into XDP programs and
 * compare what a kernel-side capture filter picked with what libpcap's
 * filter picks from the same frames, so the frames must be real ones: every
 * IPv4 header, UDP, TCP and ICMP checksum is right (the receiving stack
 * would otherwise drop them before anything else looks at them), and the
 * only malformed frame is the one that is meant to be (ip4-trunc).
 * Addresses come from the documentation ranges only.
 *
 * Exit: 0 ok, 1 error, 2 usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#define EXIT_ERR 1
#define EXIT_USAGE 2

/* Large enough for any frame of the set, including a VLAN tag. */
#define MAX_FRAME 2048
#define SNAPLEN 65535

/* Give up on a frame the interface keeps refusing rather than hang a test. */
#define MAX_RETRIES_PER_FRAME 100000
#define RETRY_SLEEP_NS 50000L

enum l3 { L3_IP4, L3_IP6, L3_ARP };

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10

#define ICMP_ECHOREPLY 0
#define ICMP_ECHO 8
#define ICMP6_ECHO_REQUEST 128

struct kind {
	const char *name;
	const char *desc;
	uint16_t vlan; /* 802.1Q VLAN id, 0: untagged */
	enum l3 l3;
	uint8_t proto; /* IPPROTO_* */
	const char *src, *dst; /* NULL: the default pair of the family */
	uint16_t sport, dport; /* UDP/TCP ports */
	uint8_t tcp_flags;
	uint8_t icmp_type;
	uint8_t ttl; /* 0: 64 */
	const uint8_t *ipopt; /* IPv4 options, a multiple of 4 bytes */
	uint8_t ipopt_len;
	const uint8_t *payload; /* NULL: "ABCD..." of paylen bytes */
	uint16_t paylen;
	uint16_t ip_id; /* 0: derived from the index */
	/*
	 * Fragments carry the bytes [frag_off, frag_off + frag_len) of the
	 * whole L4 datagram (frag_len 0: up to its end); the L4 checksum is
	 * computed over the whole datagram, as the sender of a real fragmented
	 * datagram would, so reassembly gives a valid one.
	 */
	uint16_t frag_off, frag_len;
	bool more_frags;
	uint16_t trunc; /* cut the frame to this length */
	const uint8_t *dmac; /* fixed destination MAC */
	const struct kind *inner; /* what GRE carries */
};

static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_mdns[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };

/* A well-formed query, so that tcpdump -vv decodes it without complaint. */
static const uint8_t dns_query[] = {
	0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 7,    'e',  'x',
	'a',  'm',  'p',  'l',	'e',  3,    'c',  'o',	'm',  0,    0x00, 0x01, 0x00, 0x01,
};

static const uint8_t dns_reply[] = {
	0x12,
	0x34,
	0x81,
	0x80,
	0x00,
	0x01,
	0x00,
	0x01,
	0x00,
	0x00,
	0x00,
	0x00,
	7,
	'e',
	'x',
	'a',
	'm',
	'p',
	'l',
	'e',
	3,
	'c',
	'o',
	'm',
	0,
	0x00,
	0x01,
	0x00,
	0x01,
	/* answer: pointer to the name, A, IN, TTL 3600, 192.0.2.80 */
	0xc0,
	0x0c,
	0x00,
	0x01,
	0x00,
	0x01,
	0x00,
	0x00,
	0x0e,
	0x10,
	0x00,
	0x04,
	192,
	0,
	2,
	80,
};

/* Router alert, then NOPs and an EOL up to IHL 7. */
static const uint8_t ip_opts[] = {
	0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00,
};

static const struct kind gre_inner = {
	.l3 = L3_IP4,
	.proto = IPPROTO_UDP,
	.src = "198.51.100.7",
	.dst = "198.51.100.8",
	.sport = 40010,
	.dport = 7,
	.paylen = 16,
	.ip_id = 0x7e57,
};

#define UDP4 .l3 = L3_IP4, .proto = IPPROTO_UDP
#define TCP4 .l3 = L3_IP4, .proto = IPPROTO_TCP
#define DNSQ .payload = dns_query, .paylen = sizeof(dns_query)

static const struct kind kinds[] = {
	{ "udp4-dns", "UDP 192.0.2.2:40001 > 192.0.2.1:53, DNS query", UDP4, .sport = 40001,
	  .dport = 53, DNSQ },
	{ "udp4-data", "UDP to port 40000, 64-byte \"ABCD...\" payload", UDP4, .sport = 40002,
	  .dport = 40000, .paylen = 64 },
	{ "udp4-dns-reply", "UDP from port 53, DNS answer", UDP4, .sport = 53, .dport = 40001,
	  .payload = dns_reply, .paylen = sizeof(dns_reply) },
	{ "udp4-ports-1k", "UDP 1234 > 1500, both ports in 1000-2000", UDP4, .sport = 1234,
	  .dport = 1500, .paylen = 16 },
	{ "udp4-discard", "UDP to port 9 (discard)", UDP4, .sport = 40003, .dport = 9,
	  .paylen = 16 },
	{ "tcp4-syn", "TCP SYN to port 80", TCP4, .sport = 40004, .dport = 80,
	  .tcp_flags = TH_SYN },
	{ "tcp4-synack", "TCP SYN-ACK from port 80", TCP4, .sport = 80, .dport = 40004,
	  .tcp_flags = TH_SYN | TH_ACK },
	{ "tcp4-ack-data", "TCP PSH-ACK to port 443, 100-byte payload", TCP4, .sport = 40005,
	  .dport = 443, .tcp_flags = TH_PSH | TH_ACK, .paylen = 100 },
	{ "tcp4-ipopts", "TCP SYN to port 80, IHL 7 (RA,NOP,NOP,NOP,EOL)", TCP4, .sport = 40006,
	  .dport = 80, .tcp_flags = TH_SYN, .ipopt = ip_opts, .ipopt_len = sizeof(ip_opts) },
	{ "icmp4-echo", "ICMP echo request, 56-byte payload", .l3 = L3_IP4, .proto = IPPROTO_ICMP,
	  .icmp_type = ICMP_ECHO, .paylen = 56 },
	{ "icmp4-reply", "ICMP echo reply, 56-byte payload", .l3 = L3_IP4, .proto = IPPROTO_ICMP,
	  .icmp_type = ICMP_ECHOREPLY, .paylen = 56 },
	{ "ip4-frag-first", "UDP to port 5000, first fragment (MF, offset 0)", UDP4, .sport = 40007,
	  .dport = 5000, .paylen = 48, .ip_id = 0xf00d, .frag_len = 32, .more_frags = true },
	{ "ip4-frag-next", "last fragment of ip4-frag-first (offset 32)", UDP4, .sport = 40007,
	  .dport = 5000, .paylen = 48, .ip_id = 0xf00d, .frag_off = 32 },
	{ "gre4", "GRE (proto 47) carrying UDP 198.51.100.7 > 198.51.100.8:7", .l3 = L3_IP4,
	  .proto = IPPROTO_GRE, .inner = &gre_inner },
	{ "udp6-dns", "UDP 2001:db8::2 > 2001:db8::1:53, DNS query", .l3 = L3_IP6,
	  .proto = IPPROTO_UDP, .sport = 40008, .dport = 53, DNSQ },
	{ "tcp6-syn", "TCP SYN to port 80 over IPv6", .l3 = L3_IP6, .proto = IPPROTO_TCP,
	  .sport = 40009, .dport = 80, .tcp_flags = TH_SYN },
	{ "icmp6-echo", "ICMPv6 echo request, 56-byte payload", .l3 = L3_IP6,
	  .proto = IPPROTO_ICMPV6, .icmp_type = ICMP6_ECHO_REQUEST, .paylen = 56 },
	{ "arp-req", "ARP who-has 192.0.2.1 tell 192.0.2.2, broadcast", .l3 = L3_ARP,
	  .dmac = mac_bcast },
	{ "vlan100-udp4-dns", "VLAN 100, UDP to port 53, DNS query", .vlan = 100, UDP4,
	  .sport = 40011, .dport = 53, DNSQ },
	{ "vlan200-tcp4-syn", "VLAN 200, TCP SYN to port 22", .vlan = 200, TCP4, .sport = 40012,
	  .dport = 22, .tcp_flags = TH_SYN },
	{ "mcast-udp4", "UDP to 224.0.0.251:5353 (mDNS), MAC 01:00:5e:00:00:fb", UDP4,
	  .dst = "224.0.0.251", .sport = 5353, .dport = 5353, .ttl = 255, .dmac = mac_mdns, DNSQ },
	{ "udp4-large", "UDP to port 40000, 1400-byte frame", UDP4, .sport = 40013, .dport = 40000,
	  .paylen = 1400 - 42 },
	{ "udp4-tiny", "UDP to port 40000, no payload", UDP4, .sport = 40014, .dport = 40000 },
	{ "ip4-trunc", "IPv4 cut inside its header (14 + 6 bytes)", UDP4, .sport = 40015,
	  .dport = 40000, .paylen = 8, .trunc = 20 },
	{ "udp4-ttl63", "UDP to port 40000, TTL 63", UDP4, .sport = 40016, .dport = 40000,
	  .paylen = 16, .ttl = 63 },
	{ "udp4-ttl1", "UDP to port 40000, TTL 1", UDP4, .sport = 40017, .dport = 40000,
	  .paylen = 16, .ttl = 1 },
	{ "tcp4-from-198", "TCP SYN 198.51.100.7 > 192.0.2.1:443", TCP4, .src = "198.51.100.7",
	  .sport = 40018, .dport = 443, .tcp_flags = TH_SYN },
	{ "udp4-to-198", "UDP 192.0.2.2 > 198.51.100.9:53, not for this host", UDP4,
	  .dst = "198.51.100.9", .sport = 40019, .dport = 53, DNSQ },
};

#define NR_KINDS (sizeof(kinds) / sizeof(kinds[0]))

struct frame {
	uint8_t *data;
	size_t len;
};

struct frames {
	struct frame *v;
	size_t n, cap;
};

/* Byte-wise stores: no packed structs, no alignment or endianness traps. */
static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	return put16(p + 2, v);
}

/* Only the last chunk summed may have an odd length. */
static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static void parse_addr(int af, const char *s, void *out)
{
	if (inet_pton(af, s, out) != 1) {
		/* The table is fixed: a bad address is a bug in this file. */
		fprintf(stderr, "pktgen: bad address %s in the table\n", s);
		exit(EXIT_ERR);
	}
}

static size_t build_l3(const struct kind *k, uint16_t id, const uint8_t *smac, uint8_t *p);

/*
 * The whole L4 datagram, its checksum field zero; returns its length and
 * sets @csum to that field (NULL when there is none, as in GRE).
 */
static size_t build_l4(const struct kind *k, uint16_t id, uint8_t *l4, uint8_t **csum)
{
	size_t hlen, i;

	*csum = NULL;
	if (k->proto == IPPROTO_GRE) {
		/* No flags, version 0: the minimal GRE header. */
		put16(l4, 0);
		put16(l4 + 2, ETH_P_IP);
		return 4 + build_l3(k->inner, id, NULL, l4 + 4);
	}
	hlen = k->proto == IPPROTO_TCP ? 20 : 8;
	memset(l4, 0, hlen);
	if (k->payload)
		memcpy(l4 + hlen, k->payload, k->paylen);
	else
		for (i = 0; i < k->paylen; i++)
			l4[hlen + i] = 'A' + i % 26;

	switch (k->proto) {
	case IPPROTO_UDP:
		put16(l4, k->sport);
		put16(l4 + 2, k->dport);
		put16(l4 + 4, hlen + k->paylen);
		*csum = l4 + 6;
		break;
	case IPPROTO_TCP:
		put16(l4, k->sport);
		put16(l4 + 2, k->dport);
		/* Numbers that fit one handshake: SYN, SYN-ACK, then ACKs. */
		if ((k->tcp_flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK)) {
			put32(l4 + 4, 2000);
			put32(l4 + 8, 1001);
		} else if (k->tcp_flags & TH_ACK) {
			put32(l4 + 4, 1001);
			put32(l4 + 8, 2001);
		} else {
			put32(l4 + 4, 1000);
		}
		l4[12] = 5 << 4; /* data offset: no TCP options */
		l4[13] = k->tcp_flags;
		put16(l4 + 14, 64240);
		*csum = l4 + 16;
		break;
	default:
		/* ICMP and ICMPv6 echo: type, code, checksum, id, sequence. */
		l4[0] = k->icmp_type;
		put16(l4 + 4, 0x1234);
		put16(l4 + 6, 1);
		*csum = l4 + 2;
		break;
	}
	return hlen + k->paylen;
}

/* Fills in an L4 checksum over @pseudo (may be empty) and the datagram. */
static void l4_csum(const struct kind *k, const uint8_t *pseudo, size_t pseudo_len,
		    const uint8_t *l4, size_t len, uint8_t *csum)
{
	uint32_t sum;

	if (!csum)
		return;
	sum = csum_add(csum_add(0, pseudo, pseudo_len), l4, len);
	put16(csum, csum_fold(sum));
	/* 0 means "no checksum" in UDP; its one's complement twin is sent. */
	if (k->proto == IPPROTO_UDP && !csum[0] && !csum[1])
		put16(csum, 0xffff);
}

/*
 * IPv4, IPv6 or ARP from @p on; returns the length. @smac is only needed
 * for ARP, whose payload repeats the sender's MAC.
 */
static size_t build_l3(const struct kind *k, uint16_t id, const uint8_t *smac, uint8_t *p)
{
	uint8_t l4[MAX_FRAME], pseudo[40], *csum;
	size_t hlen, l4len, off, len;

	if (k->l3 == L3_ARP) {
		put16(p, 1); /* Ethernet */
		put16(p + 2, ETH_P_IP);
		p[4] = 6;
		p[5] = 4;
		put16(p + 6, 1); /* request */
		memcpy(p + 8, smac, 6);
		parse_addr(AF_INET, k->src ?: "192.0.2.2", p + 14);
		memset(p + 18, 0, 6);
		parse_addr(AF_INET, k->dst ?: "192.0.2.1", p + 24);
		return 28;
	}

	l4len = build_l4(k, id, l4, &csum);

	if (k->l3 == L3_IP6) {
		/* Pseudo-header: src, dst, 32-bit length, 3 zeros, next header. */
		parse_addr(AF_INET6, k->src ?: "2001:db8::2", pseudo);
		parse_addr(AF_INET6, k->dst ?: "2001:db8::1", pseudo + 16);
		put32(pseudo + 32, l4len);
		put32(pseudo + 36, k->proto);
		/* ICMPv6, unlike ICMP, covers the pseudo-header too. */
		l4_csum(k, pseudo, 40, l4, l4len, csum);

		put32(p, 6u << 28); /* version; traffic class, flow 0 */
		put16(p + 4, l4len);
		p[6] = k->proto;
		p[7] = k->ttl ?: 64;
		memcpy(p + 8, pseudo, 32);
		memcpy(p + 40, l4, l4len);
		return 40 + l4len;
	}

	/* Pseudo-header: src, dst, zero, protocol, 16-bit length. */
	parse_addr(AF_INET, k->src ?: "192.0.2.2", pseudo);
	parse_addr(AF_INET, k->dst ?: "192.0.2.1", pseudo + 4);
	pseudo[8] = 0;
	pseudo[9] = k->proto;
	put16(pseudo + 10, l4len);
	if (k->proto == IPPROTO_UDP || k->proto == IPPROTO_TCP)
		l4_csum(k, pseudo, 12, l4, l4len, csum);
	else
		l4_csum(k, NULL, 0, l4, l4len, csum);

	off = k->frag_off;
	len = k->frag_len ?: l4len - off;
	hlen = 20 + k->ipopt_len;
	p[0] = 4 << 4 | hlen / 4;
	p[1] = 0;
	put16(p + 2, hlen + len);
	put16(p + 4, k->ip_id ?: id);
	put16(p + 6, (k->more_frags ? 0x2000 : 0) | off / 8);
	p[8] = k->ttl ?: 64;
	p[9] = k->proto;
	put16(p + 10, 0);
	memcpy(p + 12, pseudo, 8);
	if (k->ipopt_len)
		memcpy(p + 20, k->ipopt, k->ipopt_len);
	put16(p + 10, csum_fold(csum_add(0, p, hlen)));
	memcpy(p + hlen, l4 + off, len);
	return hlen + len;
}

static size_t build_frame(const struct kind *k, uint16_t id, const uint8_t *dmac,
			  const uint8_t *smac, uint8_t *p)
{
	static const uint16_t ethertype[] = {
		[L3_IP4] = ETH_P_IP,
		[L3_IP6] = ETH_P_IPV6,
		[L3_ARP] = ETH_P_ARP,
	};
	size_t off = 12, len;

	memcpy(p, k->dmac ?: dmac, 6);
	memcpy(p + 6, smac, 6);
	if (k->vlan) {
		put16(p + off, ETH_P_8021Q);
		put16(p + off + 2, k->vlan); /* PCP 0, DEI 0 */
		off += 4;
	}
	put16(p + off, ethertype[k->l3]);
	off += 2;
	len = off + build_l3(k, id, smac, p + off);
	return k->trunc && k->trunc < len ? k->trunc : len;
}

static int frames_add(struct frames *f, const uint8_t *data, size_t len)
{
	struct frame *v;

	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 64;
		v = realloc(f->v, f->cap * sizeof(*v));
		if (!v)
			return -1;
		f->v = v;
	}
	f->v[f->n].data = malloc(len);
	if (!f->v[f->n].data)
		return -1;
	memcpy(f->v[f->n].data, data, len);
	f->v[f->n++].len = len;
	return 0;
}

static void frames_free(struct frames *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->v[i].data);
	free(f->v);
}

static int add_kind(struct frames *f, size_t i, const uint8_t *dmac, const uint8_t *smac)
{
	uint8_t buf[MAX_FRAME];
	size_t len;

	/* Distinct IP ids per kind make frames easy to tell apart. */
	len = build_frame(&kinds[i], 0x1000 + i, dmac, smac, buf);
	if (frames_add(f, buf, len)) {
		fprintf(stderr, "pktgen: out of memory\n");
		return -1;
	}
	return 0;
}

static ssize_t find_kind(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NR_KINDS; i++)
		if (strlen(kinds[i].name) == len && !strncmp(kinds[i].name, name, len))
			return i;
	return -1;
}

/* The whole set, or the kinds of @only in the order given. */
static int build_set(struct frames *f, const char *only, const uint8_t *dmac, const uint8_t *smac)
{
	const char *s, *end;
	ssize_t i;

	if (!only) {
		for (i = 0; i < (ssize_t)NR_KINDS; i++)
			if (add_kind(f, i, dmac, smac))
				return EXIT_ERR;
		return 0;
	}
	for (s = only; *s; s = *end ? end + 1 : end) {
		end = strchrnul(s, ',');
		i = find_kind(s, end - s);
		if (i < 0) {
			fprintf(stderr, "pktgen: unknown packet kind '%.*s' (see pktgen list)\n",
				(int)(end - s), s);
			return EXIT_USAGE;
		}
		if (add_kind(f, i, dmac, smac))
			return EXIT_ERR;
	}
	if (!f->n) {
		fprintf(stderr, "pktgen: --only names no packet kind\n");
		return EXIT_USAGE;
	}
	return 0;
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6];
	char end;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = b[i];
	return 0;
}

static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || *out > max)
		return -1;
	return 0;
}

static int cmd_list(void)
{
	uint8_t buf[MAX_FRAME];
	uint8_t dmac[6] = { 2, 0, 0, 0, 0, 1 }, smac[6] = { 2, 0, 0, 0, 0, 2 };
	size_t i;

	for (i = 0; i < NR_KINDS; i++)
		printf("%2zu %-17s %5zu  %s\n", i, kinds[i].name,
		       build_frame(&kinds[i], 0x1000 + i, dmac, smac, buf), kinds[i].desc);
	return 0;
}

static int cmd_write(const char *path, const struct frames *f, unsigned long repeat)
{
	struct pcap_pkthdr hdr;
	pcap_dumper_t *d;
	pcap_t *p;
	unsigned long r, n = 0;
	size_t i;
	int ret = 0;

	p = pcap_open_dead(DLT_EN10MB, SNAPLEN);
	if (!p) {
		fprintf(stderr, "pktgen: pcap_open_dead failed\n");
		return EXIT_ERR;
	}
	d = pcap_dump_open(p, path);
	if (!d) {
		fprintf(stderr, "pktgen: %s: %s\n", path, pcap_geterr(p));
		pcap_close(p);
		return EXIT_ERR;
	}
	for (r = 0; r < repeat; r++) {
		for (i = 0; i < f->n; i++, n++) {
			/*
			 * Fixed timestamps (2024-01-01 + 1 us per frame): the
			 * same invocation gives the same file byte for byte.
			 */
			hdr.ts.tv_sec = 1704067200 + n / 1000000;
			hdr.ts.tv_usec = n % 1000000;
			hdr.caplen = hdr.len = f->v[i].len;
			pcap_dump((u_char *)d, &hdr, f->v[i].data);
		}
	}
	if (pcap_dump_flush(d)) {
		fprintf(stderr, "pktgen: %s: write failed\n", path);
		ret = EXIT_ERR;
	}
	pcap_dump_close(d);
	pcap_close(p);
	if (!ret)
		fprintf(stderr, "pktgen: wrote %lu frames\n", n);
	return ret;
}

static void ts_add_ns(struct timespec *t, long ns)
{
	t->tv_nsec += ns;
	while (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
}

static int send_frames(const char *ifname, const struct frames *f, unsigned long repeat,
		       unsigned long rate)
{
	const struct timespec retry_sleep = { 0, RETRY_SLEEP_NS };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	unsigned long r, sent = 0, retries = 0, tries;
	struct timespec next;
	const struct frame *fr;
	int fd, ret = 0;
	size_t i;
	ssize_t n;

	sll.sll_ifindex = if_nametoindex(ifname);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "pktgen: %s: %s\n", ifname, strerror(errno));
		return EXIT_ERR;
	}
	/* Protocol 0: this socket only sends, it must not queue received frames. */
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		fprintf(stderr, "pktgen: AF_PACKET socket: %s\n", strerror(errno));
		return EXIT_ERR;
	}
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		fprintf(stderr, "pktgen: bind to %s: %s\n", ifname, strerror(errno));
		close(fd);
		return EXIT_ERR;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (r = 0; r < repeat && !ret; r++) {
		for (i = 0; i < f->n; i++) {
			fr = &f->v[i];
			/*
			 * SOCK_RAW takes the frame as it is; the address only
			 * names the interface and, from the frame's own
			 * ethertype, the skb protocol.
			 */
			sll.sll_halen = 6;
			memcpy(sll.sll_addr, fr->data, 6);
			sll.sll_protocol = fr->len >= 14 ? htons(fr->data[12] << 8 | fr->data[13]) :
							   0;
			if (rate) {
				/* Absolute deadlines keep the average rate. */
				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
				ts_add_ns(&next, 1000000000L / rate);
			}
			for (tries = 0;; tries++) {
				n = sendto(fd, fr->data, fr->len, 0, (struct sockaddr *)&sll,
					   sizeof(sll));
				if (n == (ssize_t)fr->len)
					break;
				if (n >= 0) {
					fprintf(stderr,
						"pktgen: short send of frame %zu: %zd of %zu bytes\n",
						i, n, fr->len);
					ret = EXIT_ERR;
					break;
				}
				if (errno == EINTR)
					continue;
				/*
				 * The device queue is full: let it drain.
				 * Anything else is a real error.
				 */
				if ((errno == ENOBUFS || errno == EAGAIN) &&
				    tries < MAX_RETRIES_PER_FRAME) {
					retries++;
					nanosleep(&retry_sleep, NULL);
					continue;
				}
				fprintf(stderr, "pktgen: send of frame %zu (%zu bytes) on %s: %s\n",
					i, fr->len, ifname, strerror(errno));
				ret = EXIT_ERR;
				break;
			}
			if (ret)
				break;
			sent++;
		}
	}
	close(fd);
	if (retries)
		fprintf(stderr, "pktgen: %lu retries after ENOBUFS\n", retries);
	fprintf(stderr, "pktgen: sent %lu frames\n", sent);
	return ret;
}

static int load_pcap(const char *path, struct frames *f)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	pcap_t *p;
	int rc, ret = 0;

	p = pcap_open_offline(path, err);
	if (!p) {
		/* libpcap's message already names the file. */
		fprintf(stderr, "pktgen: %s\n", err);
		return EXIT_ERR;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		fprintf(stderr, "pktgen: %s: link type %s, want EN10MB\n", path,
			pcap_datalink_val_to_name(pcap_datalink(p)) ?: "?");
		pcap_close(p);
		return EXIT_ERR;
	}
	/* All in memory first, so that reading does not limit the rate. */
	while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
		if (frames_add(f, data, hdr->caplen)) {
			fprintf(stderr, "pktgen: out of memory\n");
			ret = EXIT_ERR;
			break;
		}
	}
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "pktgen: %s: %s\n", path, pcap_geterr(p));
		ret = EXIT_ERR;
	}
	pcap_close(p);
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: pktgen list\n"
		   "       pktgen write OUT.pcap [--repeat N] [--only NAME[,NAME...]]\n"
		   "                    [--dst-mac MAC] [--src-mac MAC]\n"
		   "       pktgen send IFACE [--repeat N] [--only NAME[,NAME...]]\n"
		   "                   [--dst-mac MAC] [--src-mac MAC] [--rate PPS]\n"
		   "       pktgen replay IFACE FILE.pcap [--repeat N] [--rate PPS]\n"
		   "  list      one line per packet kind: index, name, frame length, description\n"
		   "  write     the set (repeated N times) to a pcap file, DLT_EN10MB\n"
		   "  send      the set through IFACE with an AF_PACKET socket\n"
		   "  replay    the frames of a pcap file through IFACE, as they are\n"
		   "  --repeat N      send/write the whole set N times (1)\n"
		   "  --only NAMES    only these kinds, in this order\n"
		   "  --dst-mac MAC   destination MAC (02:00:00:00:00:01); arp-req and\n"
		   "                  mcast-udp4 keep their broadcast/multicast one\n"
		   "  --src-mac MAC   source MAC (02:00:00:00:00:02)\n"
		   "  --rate PPS      frames per second, 0 for as fast as possible (0)\n"
		   "exit: 0 ok, 1 error, 2 usage\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "repeat", required_argument, NULL, 'n' },
					      { "only", required_argument, NULL, 'o' },
					      { "dst-mac", required_argument, NULL, 'd' },
					      { "src-mac", required_argument, NULL, 's' },
					      { "rate", required_argument, NULL, 'r' },
					      { "help", no_argument, NULL, 'h' },
					      {} };
	uint8_t dmac[6] = { 2, 0, 0, 0, 0, 1 }, smac[6] = { 2, 0, 0, 0, 0, 2 };
	unsigned long repeat = 1, rate = 0;
	bool set_opts = false, has_rate = false;
	struct frames f = {};
	const char *cmd, *only = NULL;
	char **args;
	int c, nargs, ret;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		usage(stdout);
		return 0;
	}
	/* Options follow the command; getopt sees the command as argv[0]. */
	while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_ulong(optarg, 1000000000UL, &repeat)) {
				fprintf(stderr, "pktgen: bad --repeat '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o':
			only = optarg;
			set_opts = true;
			break;
		case 'd':
		case 's':
			if (parse_mac(optarg, c == 'd' ? dmac : smac)) {
				fprintf(stderr, "pktgen: bad MAC '%s'\n", optarg);
				return EXIT_USAGE;
			}
			set_opts = true;
			break;
		case 'r':
			if (parse_ulong(optarg, 1000000000UL, &rate)) {
				fprintf(stderr, "pktgen: bad --rate '%s'\n", optarg);
				return EXIT_USAGE;
			}
			has_rate = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	args = argv + 1 + optind;
	nargs = argc - 1 - optind;

	if (!strcmp(cmd, "list") && !nargs && !set_opts && !has_rate && repeat == 1)
		return cmd_list();
	if (!strcmp(cmd, "write") && nargs == 1 && !has_rate) {
		ret = build_set(&f, only, dmac, smac);
		if (!ret)
			ret = cmd_write(args[0], &f, repeat);
	} else if (!strcmp(cmd, "send") && nargs == 1) {
		ret = build_set(&f, only, dmac, smac);
		if (!ret)
			ret = send_frames(args[0], &f, repeat, rate);
	} else if (!strcmp(cmd, "replay") && nargs == 2 && !set_opts) {
		ret = load_pcap(args[1], &f);
		if (!ret)
			ret = send_frames(args[0], &f, repeat, rate);
	} else {
		usage(stderr);
		return EXIT_USAGE;
	}
	frames_free(&f);
	return ret;
}
