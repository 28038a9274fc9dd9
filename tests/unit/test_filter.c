// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The classic-to-eBPF filter translation, judged by libpcap: each fragment
 * is wrapped in a small XDP program, loaded, and run on crafted packets with
 * BPF_PROG_TEST_RUN. The kernel's verdict and snap length must equal what
 * libpcap's interpreter returns for the same bytes. Loading needs root;
 * without it those tests say SKIP and pass.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/if_ether.h>
#include <netinet/in.h>

#include "filter.h"
#include "log.h"
#include "unit.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define NEED_ROOT()                                                         \
	do {                                                                \
		if (geteuid()) {                                            \
			printf("SKIP (loading BPF programs needs root)\n"); \
			return;                                             \
		}                                                           \
	} while (0)

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

/* An odd snap length, so a fragment returning a constant of its own shows. */
#define SNAPLEN 0xabc

/* ---- Packets ---------------------------------------------------------- */

#define PKT_MAX 1600

enum mac { MAC_HOST2, MAC_MCAST, MAC_BCAST };

/* One test frame, described rather than written out as bytes. */
struct pkt_desc {
	const char *name;
	enum mac dst_mac;
	bool from_host1; /* source MAC 02:00:00:00:00:01 */
	uint16_t vlan; /* 802.1Q VLAN ID; 0: untagged */
	uint16_t l3; /* ETH_P_IP, ETH_P_IPV6 or ETH_P_ARP */
	uint8_t proto; /* IPPROTO_* */
	const char *src, *dst;
	uint16_t sport, dport;
	uint8_t tcp_flags;
	uint8_t icmp_type;
	uint8_t ttl; /* 0: 64 */
	uint16_t frag; /* IPv4 flags and fragment offset */
	uint8_t ip_opts; /* bytes of IPv4 options, a multiple of 4 */
	const char *payload;
	uint16_t pad; /* zero bytes after the payload */
	uint16_t cut; /* the frame ends after this many bytes; 0: whole */
};

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_PSH 0x08
#define TCP_ACK 0x10

static const struct pkt_desc pkts[] = {
	{ "udp4_dns_query", .l3 = ETH_P_IP, .proto = IPPROTO_UDP, .src = "10.1.2.3",
	  .dst = "192.0.2.1", .sport = 40000, .dport = 53, .payload = "query" },
	{ "udp4_dns_reply", .l3 = ETH_P_IP, .proto = IPPROTO_UDP, .src = "192.0.2.1",
	  .dst = "10.1.2.3", .sport = 53, .dport = 40000, .payload = "answer", .pad = 120 },
	{ "udp4_abcd", .l3 = ETH_P_IP, .proto = IPPROTO_UDP, .src = "198.51.100.7",
	  .dst = "203.0.113.9", .sport = 5000, .dport = 6000, .ttl = 63, .payload = "ABCD" },
	{ "udp4_abce", .l3 = ETH_P_IP, .proto = IPPROTO_UDP, .src = "198.51.100.7",
	  .dst = "203.0.113.9", .sport = 5000, .dport = 6000, .payload = "ABCE" },
	{ "udp4_ports_1000_1500", .l3 = ETH_P_IP, .proto = IPPROTO_UDP, .src = "10.250.0.1",
	  .dst = "10.250.0.2", .sport = 1000, .dport = 1500, .pad = 300 },
	{ "tcp4_syn", .l3 = ETH_P_IP, .proto = IPPROTO_TCP, .src = "10.0.0.5", .dst = "192.0.2.1",
	  .sport = 12345, .dport = 80, .tcp_flags = TCP_SYN },
	{ "tcp4_synack", .l3 = ETH_P_IP, .proto = IPPROTO_TCP, .src = "192.0.2.1",
	  .dst = "10.0.0.5", .sport = 80, .dport = 12345, .tcp_flags = TCP_SYN | TCP_ACK,
	  .ttl = 63 },
	/* Ports behind 8 bytes of IP options: only the MSH path finds them. */
	{ "tcp4_ipopts_http", .l3 = ETH_P_IP, .proto = IPPROTO_TCP, .src = "10.9.9.9",
	  .dst = "198.51.100.1", .sport = 1500, .dport = 80, .tcp_flags = TCP_ACK | TCP_PSH,
	  .ip_opts = 8, .payload = "GET / HTTP/1.0\r\n" },
	{ "tcp4_ipopts_fin", .l3 = ETH_P_IP, .proto = IPPROTO_TCP, .src = "192.0.2.1",
	  .dst = "10.9.9.9", .sport = 8080, .dport = 1500, .tcp_flags = TCP_FIN | TCP_ACK,
	  .ip_opts = 40 },
	{ "tcp4_bulk_1500", .l3 = ETH_P_IP, .proto = IPPROTO_TCP, .src = "172.16.0.1",
	  .dst = "10.2.3.4", .sport = 443, .dport = 1999, .tcp_flags = TCP_ACK,
	  .pad = 1500 - 14 - 20 - 20 },
	{ "tcp4_ttl1_from_host1", .from_host1 = true, .l3 = ETH_P_IP, .proto = IPPROTO_TCP,
	  .src = "10.0.0.1", .dst = "10.5.5.5", .sport = 3000, .dport = 22, .ttl = 1,
	  .tcp_flags = TCP_SYN, .payload = "x" },
	{ "icmp4_echo", .l3 = ETH_P_IP, .proto = IPPROTO_ICMP, .src = "192.0.2.1",
	  .dst = "10.0.0.1", .icmp_type = 8, .pad = 56 },
	{ "icmp4_echo_reply", .l3 = ETH_P_IP, .proto = IPPROTO_ICMP, .src = "10.0.0.1",
	  .dst = "192.0.2.1", .icmp_type = 0, .pad = 56 },
	{ "gre4", .l3 = ETH_P_IP, .proto = IPPROTO_GRE, .src = "10.200.0.1", .dst = "10.200.0.2",
	  .pad = 20 },
	/* A later fragment: its "UDP header" is payload, libpcap skips ports. */
	{ "udp4_frag_later", .l3 = ETH_P_IP, .proto = IPPROTO_UDP, .src = "10.3.3.3",
	  .dst = "192.0.2.1", .sport = 53, .dport = 53, .frag = 185, .pad = 100 },
	{ "udp4_frag_first", .l3 = ETH_P_IP, .proto = IPPROTO_UDP, .src = "10.3.3.3",
	  .dst = "192.0.2.1", .sport = 1024, .dport = 53, .frag = 0x2000, .pad = 200 },
	{ "udp6_dns", .l3 = ETH_P_IPV6, .proto = IPPROTO_UDP, .src = "2001:db8::2",
	  .dst = "2001:db8::1", .sport = 5353, .dport = 53, .payload = "q" },
	{ "tcp6_syn", .l3 = ETH_P_IPV6, .proto = IPPROTO_TCP, .src = "2001:db8::1",
	  .dst = "2001:db8::99", .sport = 33000, .dport = 80, .tcp_flags = TCP_SYN },
	{ "icmp6_echo", .l3 = ETH_P_IPV6, .proto = IPPROTO_ICMPV6, .src = "2001:db8::7",
	  .dst = "2001:db8::8", .icmp_type = 128, .pad = 200 },
	{ "vlan100_udp_dns", .vlan = 100, .l3 = ETH_P_IP, .proto = IPPROTO_UDP, .src = "10.0.0.7",
	  .dst = "192.0.2.1", .sport = 1234, .dport = 53 },
	{ "vlan200_tcp", .vlan = 200, .l3 = ETH_P_IP, .proto = IPPROTO_TCP, .src = "10.0.0.8",
	  .dst = "10.0.0.9", .sport = 1000, .dport = 2000, .tcp_flags = TCP_SYN },
	{ "arp_request", .dst_mac = MAC_BCAST, .from_host1 = true, .l3 = ETH_P_ARP,
	  .src = "10.0.0.1", .dst = "10.0.0.2" },
	/* TCP ports present, flags cut off. */
	{ "tcp4_cut_in_tcp", .l3 = ETH_P_IP, .proto = IPPROTO_TCP, .src = "10.0.0.5",
	  .dst = "192.0.2.1", .sport = 1000, .dport = 80, .tcp_flags = TCP_SYN,
	  .cut = 14 + 20 + 4 },
	/*
	 * Long enough for every constant-offset load, not for the indexed
	 * ones behind 40 bytes of options: the fast version's check at X
	 * fails mid-way, the checked one still finds the source port.
	 */
	{ "tcp4_ipopts_cut_after_sport", .l3 = ETH_P_IP, .proto = IPPROTO_TCP, .src = "192.0.2.1",
	  .dst = "10.9.9.9", .sport = 8080, .dport = 1500, .tcp_flags = TCP_ACK, .ip_opts = 40,
	  .cut = 14 + 60 + 2 },
	/* Protocol present, addresses cut off. */
	{ "udp4_cut_in_ip", .l3 = ETH_P_IP, .proto = IPPROTO_UDP, .src = "192.0.2.1",
	  .dst = "192.0.2.1", .sport = 53, .dport = 53, .cut = 14 + 10 },
	{ "ether_only", .l3 = ETH_P_IP, .proto = IPPROTO_UDP, .src = "192.0.2.1",
	  .dst = "192.0.2.1", .cut = 14 },
	{ "udp4_mdns_mcast", .dst_mac = MAC_MCAST, .from_host1 = true, .l3 = ETH_P_IP,
	  .proto = IPPROTO_UDP, .src = "10.0.0.20", .dst = "224.0.0.251", .sport = 5353,
	  .dport = 5353, .ttl = 255, .pad = 80 },
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static size_t l4_hdr_len(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return 20;
	case IPPROTO_UDP:
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return 8;
	default: /* GRE */
		return 4;
	}
}

static size_t build_l4(const struct pkt_desc *d, uint8_t *b, size_t payload_len)
{
	size_t n = l4_hdr_len(d->proto);

	memset(b, 0, n);
	switch (d->proto) {
	case IPPROTO_TCP:
		put16(b, d->sport);
		put16(b + 2, d->dport);
		put32(b + 4, 0x11223344); /* sequence */
		put32(b + 8, d->tcp_flags & TCP_ACK ? 0x55667788 : 0);
		b[12] = 5 << 4;
		b[13] = d->tcp_flags;
		put16(b + 14, 65535);
		break;
	case IPPROTO_UDP:
		put16(b, d->sport);
		put16(b + 2, d->dport);
		put16(b + 4, n + payload_len);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		b[0] = d->icmp_type;
		put16(b + 4, 0x4242); /* identifier */
		put16(b + 6, 1);
		break;
	default:
		put16(b + 2, ETH_P_IP);
	}
	return n;
}

/* Checksums stay 0: no filter here looks at them. */
static size_t pkt_build(const struct pkt_desc *d, uint8_t *b)
{
	static const uint8_t mac[][6] = {
		[MAC_HOST2] = { 0x02, 0, 0, 0, 0, 0x02 },
		[MAC_MCAST] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb },
		[MAC_BCAST] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	};
	static const uint8_t host1[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const uint8_t host3[6] = { 0x02, 0, 0, 0, 0, 0x03 };
	size_t off = 12, payload_len = (d->payload ? strlen(d->payload) : 0) + d->pad;
	size_t l4_len = l4_hdr_len(d->proto) + payload_len, ihl;
	uint8_t *ip;

	memset(b, 0, PKT_MAX);
	memcpy(b, mac[d->dst_mac], 6);
	memcpy(b + 6, d->from_host1 ? host1 : host3, 6);
	if (d->vlan) {
		put16(b + off, ETH_P_8021Q);
		put16(b + off + 2, d->vlan);
		off += 4;
	}
	put16(b + off, d->l3);
	off += 2;
	ip = b + off;

	switch (d->l3) {
	case ETH_P_ARP:
		put16(ip, 1); /* Ethernet */
		put16(ip + 2, ETH_P_IP);
		ip[4] = 6;
		ip[5] = 4;
		put16(ip + 6, 1); /* request */
		memcpy(ip + 8, host1, 6);
		inet_pton(AF_INET, d->src, ip + 14);
		inet_pton(AF_INET, d->dst, ip + 24);
		off += 28;
		l4_len = 0;
		break;
	case ETH_P_IP:
		ihl = 20 + d->ip_opts;
		ip[0] = 0x40 | ihl / 4;
		put16(ip + 2, ihl + l4_len);
		put16(ip + 4, 0x1234);
		put16(ip + 6, d->frag);
		ip[8] = d->ttl ? d->ttl : 64;
		ip[9] = d->proto;
		inet_pton(AF_INET, d->src, ip + 12);
		inet_pton(AF_INET, d->dst, ip + 16);
		memset(ip + 20, 1, d->ip_opts); /* NOP options */
		off += ihl;
		break;
	case ETH_P_IPV6:
		ip[0] = 0x60;
		put16(ip + 4, l4_len);
		ip[6] = d->proto;
		ip[7] = d->ttl ? d->ttl : 64;
		inet_pton(AF_INET6, d->src, ip + 8);
		inet_pton(AF_INET6, d->dst, ip + 24);
		off += 40;
		break;
	}
	if (l4_len) {
		off += build_l4(d, b + off, payload_len);
		if (d->payload)
			memcpy(b + off, d->payload, strlen(d->payload));
		off += payload_len;
	}
	return d->cut && d->cut < off ? d->cut : off;
}

/* ---- Harness ---------------------------------------------------------- */

/*
 * The fragment between the contract's prologue and an epilogue that leaves
 * R0 in the packet's first 4 bytes (BPF_PROG_TEST_RUN returns the data, so
 * the exact snap length is visible) and returns PASS for a match, DROP
 * otherwise. @len: the "len" FILTER_REG_LEN holds; 0 for data_end - data.
 */
static int harness_load(const struct filter *f, int len)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	struct bpf_insn *p;
	size_t n = 0;
	char *log;
	int fd;

	p = calloc(f->n + 16, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p[n++] = INSN(BPF_LDX | BPF_MEM | BPF_W, FILTER_REG_DATA, 1, offsetof(struct xdp_md, data),
		      0);
	p[n++] = INSN(BPF_LDX | BPF_MEM | BPF_W, FILTER_REG_DATA_END, 1,
		      offsetof(struct xdp_md, data_end), 0);
	if (len) {
		p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, FILTER_REG_LEN, 0, 0, len);
	} else {
		p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, FILTER_REG_LEN, FILTER_REG_DATA_END, 0,
			      0);
		p[n++] = INSN(BPF_ALU64 | BPF_SUB | BPF_X, FILTER_REG_LEN, FILTER_REG_DATA, 0, 0);
	}
	memcpy(p + n, f->insns, f->n * sizeof(*p));
	n += f->n;
	p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, FILTER_REG_DATA, 0, 0);
	p[n++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, 4);
	p[n++] = INSN(BPF_JMP | BPF_JGT | BPF_X, 2, FILTER_REG_DATA_END, 1, 0);
	p[n++] = INSN(BPF_STX | BPF_MEM | BPF_W, FILTER_REG_DATA, 0, 0, 0);
	p[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 2, 0);
	p[n++] = INSN(BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, XDP_DROP);
	p[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	p[n++] = INSN(BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, XDP_PASS);
	p[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "filter_test", "GPL", p, n, &opts);
	if (fd < 0) {
		/* Again with the verifier's log, to show why. */
		size_t log_sz = 4 << 20;

		log = calloc(1, log_sz);
		opts.log_buf = log;
		opts.log_size = log ? log_sz : 0;
		opts.log_level = log ? 1 : 0;
		fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "filter_test", "GPL", p, n, &opts);
		if (fd < 0 && log) {
			size_t l = strlen(log);

			fprintf(stderr, "verifier log (tail):\n%s\n",
				l > 6000 ? log + l - 6000 : log);
		}
		free(log);
	}
	free(p);
	return fd;
}

/* Returns the fragment's R0 after running on @pkt, or -errno. */
static long long harness_run(int fd, const uint8_t *pkt, size_t len)
{
	uint8_t out[PKT_MAX + 256];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);
	uint32_t r0;
	int err;

	err = bpf_prog_test_run_opts(fd, &opts);
	if (err)
		return err;
	memcpy(&r0, out, sizeof(r0));
	/* The verdict must follow R0 as the epilogue says. */
	if (opts.retval != (r0 ? XDP_PASS : XDP_DROP))
		return -EPROTO;
	return r0;
}

/* Translates, loads and runs a raw classic program on @pkt: R0 or -errno. */
static long long run_raw_on(const struct sock_filter *prog, size_t n, const uint8_t *pkt,
			    size_t len, unsigned int *classic)
{
	struct filter f;
	long long r0;
	int fd, err;

	err = filter__translate(prog, n, &f);
	if (err)
		return err;
	fd = harness_load(&f, 0);
	if (fd < 0) {
		filter__free(&f);
		return fd;
	}
	r0 = harness_run(fd, pkt, len);
	if (classic)
		*classic = filter__run_classic(&f, pkt, len, len);
	close(fd);
	filter__free(&f);
	return r0;
}

static uint8_t dummy_pkt[60] = { 0x02, 0, 0,	0,    0,    0x02, 0x02, 0,    0,
				 0,    0, 0x03, 0x08, 0x00, 0x45, 0x00, 0x00, 0x2e };

#define run_raw(prog, classic) \
	run_raw_on(prog, ARRAY_SIZE(prog), dummy_pkt, sizeof(dummy_pkt), classic)

#define STMT(c, k) ((struct sock_filter){ (c), 0, 0, (k) })
#define JUMP(c, k, t, f) ((struct sock_filter){ (c), (t), (f), (k) })

/* ---- Expressions against libpcap -------------------------------------- */

/* The first matches everything; every other one must tell packets apart. */
static const char *const exprs[] = {
	"",
	"udp",
	"tcp",
	"icmp",
	"ip6",
	"arp",
	"udp port 53",
	"tcp dst port 80",
	"portrange 1000-2000",
	"host 192.0.2.1",
	"src net 10.0.0.0/8",
	"ip6 host 2001:db8::1",
	"vlan",
	"vlan 100 and udp",
	"tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
	"tcp[13] & 2 != 0",
	"len > 100",
	"greater 200",
	"less 80",
	"ip[8] == 63",
	"ether[0] & 1 == 1",
	"ether host 02:00:00:00:00:01",
	"ip[6:2] & 0x1fff = 0",
	"udp and not port 53",
	"(tcp or udp) and host 192.0.2.1",
	"ip and udp[8:4] == 0x41424344",
	"icmp[icmptype] == icmp-echo",
	"ip proto 47",
	"ip6 and tcp",
	"tcp port 80",
	"tcp src port 8080 or tcp dst port 1500",
	"ip[2:2] - ((ip[0]&0xf)<<2) - ((tcp[12]&0xf0)>>2) > 0",
	"ip[2:2] / 4 > 10",
	"ip[2:2] % 3 == 1",
	/* X is 0 for UDP (TCP): classic BPF then returns 0 from the filter. */
	"ip[2:2] / (ip[9] - 17) >= 0",
	"ip[2:2] % (ip[9] - 6) >= 0",
	/* Shifts by X >= 32 give 0 in libpcap; eBPF would mask the count. */
	"(ip[9] << ip[8]) != 0",
	"(ip[2:2] >> (ip[8] - 1)) != 0",
	"ip[2:2] * ip[8] > 3000",
	"(ip[8] ^ ip[9]) & 0x40 != 0",
	"-ip[8] & 0xff == 193",
	/* Constants with bit 31 set: compares must be unsigned 32-bit. */
	"ip[12:4] > 0x80000000",
	"ip[16:4] & 0xf0000000 == 0xc0000000",
	"ether broadcast",
	"ether multicast and not ether broadcast",
	"icmp6",
	"ip6 and dst port 53",
	"ip6 and ip6[40] == 128",
	"udp[4:2] > 100 and udp[4:2] < 300",
	"tcp[tcpflags] & (tcp-fin) != 0",
};

/* Compares one expression on every packet; 0 or -1 with @why filled. */
static int check_expr(const char *expr, const uint8_t (*bytes)[PKT_MAX], const size_t *lens,
		      bool one_sided, size_t *pairs, char *why, size_t why_sz)
{
	size_t matched = 0;
	struct filter f;
	int fd, ret = -1;

	if (filter__compile(expr, SNAPLEN, &f)) {
		snprintf(why, why_sz, "'%s': %s", expr, err_last());
		return -1;
	}
	fd = harness_load(&f, 0);
	if (fd < 0) {
		snprintf(why, why_sz, "'%s': the verifier refused it (%d)", expr, fd);
		goto out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(pkts); i++) {
		unsigned int want = filter__run_classic(&f, bytes[i], lens[i], lens[i]);
		long long got = harness_run(fd, bytes[i], lens[i]);

		(*pairs)++;
		if (got != want) {
			snprintf(why, why_sz, "'%s' on %s: kernel %lld, libpcap %u", expr,
				 pkts[i].name, got, want);
			goto out;
		}
		matched += want != 0;
	}
	/* A row that never changes cannot tell a wrong translation from a right one. */
	if (!one_sided && (!matched || matched == ARRAY_SIZE(pkts))) {
		snprintf(why, why_sz, "'%s' matches %zu of %zu packets: add packets it tells apart",
			 expr, matched, ARRAY_SIZE(pkts));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	filter__free(&f);
	return ret;
}

TEST(filter_kernel_agrees_with_libpcap)
{
	static uint8_t bytes[ARRAY_SIZE(pkts)][PKT_MAX];
	size_t lens[ARRAY_SIZE(pkts)], pairs = 0;
	char why[512];

	NEED_ROOT();
	for (size_t i = 0; i < ARRAY_SIZE(pkts); i++)
		lens[i] = pkt_build(&pkts[i], bytes[i]);
	for (size_t e = 0; e < ARRAY_SIZE(exprs); e++) {
		if (check_expr(exprs[e], bytes, lens, !*exprs[e], &pairs, why, sizeof(why))) {
			unit_fail(__FILE__, __LINE__, "%s", why);
			return;
		}
	}
	CHECK_EQ_INT(pairs, ARRAY_SIZE(exprs) * ARRAY_SIZE(pkts));
	if (getenv("UNIT_VERBOSE"))
		printf("filter: %zu expressions x %zu packets = %zu pairs compared\n",
		       ARRAY_SIZE(exprs), ARRAY_SIZE(pkts), pairs);
}

/* Hundreds of branches: the verifier must still accept it, on every kernel. */
TEST(filter_large_expression)
{
	static uint8_t bytes[ARRAY_SIZE(pkts)][PKT_MAX];
	size_t lens[ARRAY_SIZE(pkts)], pairs = 0, len = 0;
	char *expr = unit_autofree(calloc(1, 64 * 32));
	char why[512];

	NEED_ROOT();
	CHECK(expr);
	for (int h = 1; h <= 64; h++)
		len += sprintf(expr + len, "%shost 10.0.0.%d", h > 1 ? " or " : "", h * 3 - 1);
	len += sprintf(expr + len, " or udp port 53 or tcp[13] == 0x12");
	for (size_t i = 0; i < ARRAY_SIZE(pkts); i++)
		lens[i] = pkt_build(&pkts[i], bytes[i]);
	if (check_expr(expr, bytes, lens, false, &pairs, why, sizeof(why)))
		unit_fail(__FILE__, __LINE__, "%.300s", why);
}

/* The packets are what they claim: libpcap itself sorts a few of them. */
TEST(filter_test_packets_are_well_formed)
{
	static const struct {
		const char *expr, *pkt;
	} checks[] = {
		{ "udp dst port 53 and dst host 192.0.2.1", "udp4_dns_query" },
		{ "tcp port 80 and src host 10.9.9.9", "tcp4_ipopts_http" },
		{ "vlan 100 and udp dst port 53", "vlan100_udp_dns" },
		{ "ip6 and udp dst port 53", "udp6_dns" },
		{ "arp and ether src 02:00:00:00:00:01", "arp_request" },
		{ "ip[6:2] & 0x1fff != 0", "udp4_frag_later" },
		{ "len == 1500", "tcp4_bulk_1500" },
		{ "icmp6 and ip6[40] == 128", "icmp6_echo" },
	};
	static uint8_t b[PKT_MAX];

	for (size_t c = 0; c < ARRAY_SIZE(checks); c++) {
		const struct pkt_desc *d = NULL;
		struct filter f;
		unsigned int r;
		size_t len;

		for (size_t i = 0; i < ARRAY_SIZE(pkts); i++)
			if (!strcmp(pkts[i].name, checks[c].pkt))
				d = &pkts[i];
		CHECK(d);
		len = pkt_build(d, b);
		CHECK_EQ_INT(filter__compile(checks[c].expr, 0, &f), 0);
		r = filter__run_classic(&f, b, len, len);
		filter__free(&f);
		CHECK_EQ_INT(r, FILTER_SNAPLEN_MAX);
	}
}

/* "len" comes from FILTER_REG_LEN, not from the bytes present (XDP frags, snap). */
TEST(filter_len_comes_from_its_register)
{
	struct filter f;
	long long got;
	int fd;

	NEED_ROOT();
	CHECK_EQ_INT(filter__compile("len >= 1000", SNAPLEN, &f), 0);
	fd = harness_load(&f, 4000);
	filter__free(&f);
	CHECK(fd >= 0);
	got = harness_run(fd, dummy_pkt, sizeof(dummy_pkt));
	close(fd);
	CHECK_EQ_INT(got, SNAPLEN);
}

/* ---- Raw classic programs --------------------------------------------- */

static uint32_t alu_ref(uint16_t op, uint32_t a, uint32_t b)
{
	switch (op) {
	case BPF_ADD:
		return a + b;
	case BPF_SUB:
		return a - b;
	case BPF_MUL:
		return a * b;
	case BPF_DIV:
		return a / b;
	case BPF_MOD:
		return a % b;
	case BPF_AND:
		return a & b;
	case BPF_OR:
		return a | b;
	case BPF_XOR:
		return a ^ b;
	case BPF_LSH:
		return b < 32 ? a << b : 0;
	case BPF_RSH:
		return b < 32 ? a >> b : 0;
	default: /* BPF_NEG */
		return 0u - a;
	}
}

TEST(filter_raw_alu_k_and_x)
{
	static const uint16_t ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD, BPF_AND,
					BPF_OR,	 BPF_XOR, BPF_LSH, BPF_RSH, BPF_NEG };
	/* Operands with bit 31 set catch signed or 64-bit arithmetic. */
	static const uint32_t a_vals[] = { 0x87654321, 1000 };
	static const uint32_t b_vals[] = { 7, 0x80000001, 31 };

	NEED_ROOT();
	for (size_t o = 0; o < ARRAY_SIZE(ops); o++) {
		for (size_t ai = 0; ai < ARRAY_SIZE(a_vals); ai++) {
			for (size_t bi = 0; bi < ARRAY_SIZE(b_vals); bi++) {
				uint32_t a = a_vals[ai], b = b_vals[bi];
				bool shift = ops[o] == BPF_LSH || ops[o] == BPF_RSH;
				struct sock_filter with_k[] = {
					STMT(BPF_LD | BPF_IMM, a),
					STMT(BPF_ALU | ops[o] | BPF_K, b),
					STMT(BPF_RET | BPF_A, 0),
				};
				struct sock_filter with_x[] = {
					STMT(BPF_LD | BPF_IMM, a),
					STMT(BPF_LDX | BPF_IMM, b),
					STMT(BPF_ALU | ops[o] | (ops[o] == BPF_NEG ? 0 : BPF_X), 0),
					STMT(BPF_RET | BPF_A, 0),
				};
				uint32_t want = alu_ref(ops[o], a, b);
				unsigned int classic;

				if (!(shift && b >= 32)) {
					CHECK_EQ_INT(run_raw(with_k, &classic), want);
					CHECK_EQ_INT(classic, want);
				}
				CHECK_EQ_INT(run_raw(with_x, &classic), want);
				CHECK_EQ_INT(classic, want);
			}
		}
	}
}

TEST(filter_raw_shift_by_x_32_or_more)
{
	static const uint32_t counts[] = { 31, 32, 33, 63, 64, 0xffffffff };

	NEED_ROOT();
	for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
		struct sock_filter lsh[] = {
			STMT(BPF_LD | BPF_IMM, 0xffffffff),
			STMT(BPF_LDX | BPF_IMM, counts[i]),
			STMT(BPF_ALU | BPF_LSH | BPF_X, 0),
			STMT(BPF_RET | BPF_A, 0),
		};
		struct sock_filter rsh[] = {
			STMT(BPF_LD | BPF_IMM, 0xffffffff),
			STMT(BPF_LDX | BPF_IMM, counts[i]),
			STMT(BPF_ALU | BPF_RSH | BPF_X, 0),
			STMT(BPF_RET | BPF_A, 0),
		};
		unsigned int classic;

		CHECK_EQ_INT(run_raw(lsh, &classic), alu_ref(BPF_LSH, 0xffffffff, counts[i]));
		CHECK_EQ_INT(classic, alu_ref(BPF_LSH, 0xffffffff, counts[i]));
		CHECK_EQ_INT(run_raw(rsh, &classic), alu_ref(BPF_RSH, 0xffffffff, counts[i]));
		CHECK_EQ_INT(classic, alu_ref(BPF_RSH, 0xffffffff, counts[i]));
	}
}

TEST(filter_raw_division_by_zero_x)
{
	struct sock_filter div0[] = {
		STMT(BPF_LD | BPF_IMM, 100),
		STMT(BPF_LDX | BPF_IMM, 0),
		STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
		STMT(BPF_RET | BPF_K, 77),
	};
	struct sock_filter mod0[] = {
		STMT(BPF_LD | BPF_IMM, 100),
		STMT(BPF_LDX | BPF_IMM, 0),
		STMT(BPF_ALU | BPF_MOD | BPF_X, 0),
		STMT(BPF_RET | BPF_A, 0),
	};
	/* X from the packet, 0 at run time: no constant folding helps. */
	struct sock_filter div_pkt[] = {
		STMT(BPF_LD | BPF_B | BPF_ABS, 40), STMT(BPF_MISC | BPF_TAX, 0),
		STMT(BPF_LD | BPF_IMM, 100),	    STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
		STMT(BPF_ALU | BPF_ADD | BPF_K, 5), STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_filter div7[] = {
		STMT(BPF_LD | BPF_IMM, 100),
		STMT(BPF_LDX | BPF_IMM, 7),
		STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
		STMT(BPF_RET | BPF_K, 77),
	};
	unsigned int classic;

	NEED_ROOT();
	CHECK_EQ_INT(run_raw(div0, &classic), 0);
	CHECK_EQ_INT(classic, 0);
	CHECK_EQ_INT(run_raw(mod0, &classic), 0);
	CHECK_EQ_INT(classic, 0);
	CHECK_EQ_INT(run_raw(div_pkt, &classic), 0);
	CHECK_EQ_INT(classic, 0);
	CHECK_EQ_INT(run_raw(div7, &classic), 77);
	CHECK_EQ_INT(classic, 77);
}

/* Every load that runs past the 60-byte packet ends the filter with 0. */
TEST(filter_raw_out_of_bounds_loads)
{
	static const struct {
		struct sock_filter load[2]; /* then "ret #9" */
		bool in_bounds;
	} cases[] = {
		{ { STMT(BPF_LD | BPF_W | BPF_ABS, 56) }, true },
		{ { STMT(BPF_LD | BPF_W | BPF_ABS, 57) }, false },
		{ { STMT(BPF_LD | BPF_H | BPF_ABS, 58) }, true },
		{ { STMT(BPF_LD | BPF_H | BPF_ABS, 59) }, false },
		{ { STMT(BPF_LD | BPF_B | BPF_ABS, 59) }, true },
		{ { STMT(BPF_LD | BPF_B | BPF_ABS, 60) }, false },
		{ { STMT(BPF_LD | BPF_W | BPF_ABS, 0x10000) }, false },
		{ { STMT(BPF_LD | BPF_W | BPF_ABS, 0xfffe) }, false },
		{ { STMT(BPF_LD | BPF_B | BPF_ABS, 0x7fffffff) }, false },
		{ { STMT(BPF_LD | BPF_B | BPF_ABS, 0xffdfffff) }, false },
		{ { STMT(BPF_LDX | BPF_IMM, 50), STMT(BPF_LD | BPF_W | BPF_IND, 6) }, true },
		{ { STMT(BPF_LDX | BPF_IMM, 50), STMT(BPF_LD | BPF_W | BPF_IND, 7) }, false },
		{ { STMT(BPF_LDX | BPF_IMM, 58), STMT(BPF_LD | BPF_H | BPF_IND, 0) }, true },
		{ { STMT(BPF_LDX | BPF_IMM, 58), STMT(BPF_LD | BPF_H | BPF_IND, 1) }, false },
		{ { STMT(BPF_LDX | BPF_IMM, 59), STMT(BPF_LD | BPF_B | BPF_IND, 0) }, true },
		{ { STMT(BPF_LDX | BPF_IMM, 0), STMT(BPF_LD | BPF_B | BPF_IND, 60) }, false },
		/* X + k must not wrap around to a small offset. */
		{ { STMT(BPF_LDX | BPF_IMM, 0xffffffff), STMT(BPF_LD | BPF_B | BPF_IND, 1) },
		  false },
		{ { STMT(BPF_LDX | BPF_IMM, 0xfffffff0), STMT(BPF_LD | BPF_W | BPF_IND, 0x10) },
		  false },
		{ { STMT(BPF_LDX | BPF_IMM, 0x10000), STMT(BPF_LD | BPF_B | BPF_IND, 0) }, false },
		{ { STMT(BPF_LDX | BPF_IMM, 0), STMT(BPF_LD | BPF_B | BPF_IND, 0x20000) }, false },
		{ { STMT(BPF_LDX | BPF_B | BPF_MSH, 59) }, true },
		{ { STMT(BPF_LDX | BPF_B | BPF_MSH, 60) }, false },
		{ { STMT(BPF_LDX | BPF_B | BPF_MSH, 0x12345) }, false },
	};

	NEED_ROOT();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t n = cases[i].load[1].code || cases[i].load[1].k ? 2 : 1;
		struct sock_filter prog[3] = { cases[i].load[0], cases[i].load[1] };
		unsigned int classic;
		long long got;

		prog[n] = STMT(BPF_RET | BPF_K, 9);
		got = run_raw_on(prog, n + 1, dummy_pkt, sizeof(dummy_pkt), &classic);
		if (got != (cases[i].in_bounds ? 9 : 0) || classic != got) {
			unit_fail(__FILE__, __LINE__, "case %zu: kernel %lld, libpcap %u, want %d",
				  i, got, classic, cases[i].in_bounds ? 9 : 0);
			return;
		}
	}
}

/*
 * A load checked on one path only must not spare the check after the
 * paths join (the verifier would refuse the program, or worse).
 */
TEST(filter_raw_bounds_checks_after_join)
{
	struct sock_filter prog[] = {
		STMT(BPF_LD | BPF_B | BPF_ABS, 14), JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x45, 0, 1),
		STMT(BPF_LD | BPF_W | BPF_ABS, 50), STMT(BPF_LD | BPF_B | BPF_ABS, 40),
		STMT(BPF_RET | BPF_A, 0),
	};
	static uint8_t other[48] = { [14] = 0x60, [40] = 0x77 };
	static uint8_t ipv4_short[48] = { [14] = 0x45, [40] = 0x77 };
	static uint8_t ipv4_long[60] = { [14] = 0x45, [40] = 0x77 };
	unsigned int classic;

	NEED_ROOT();
	CHECK_EQ_INT(run_raw_on(prog, ARRAY_SIZE(prog), other, sizeof(other), &classic), 0x77);
	CHECK_EQ_INT(classic, 0x77);
	CHECK_EQ_INT(run_raw_on(prog, ARRAY_SIZE(prog), ipv4_short, sizeof(ipv4_short), &classic),
		     0);
	CHECK_EQ_INT(classic, 0);
	CHECK_EQ_INT(run_raw_on(prog, ARRAY_SIZE(prog), ipv4_long, sizeof(ipv4_long), &classic),
		     0x77);
	CHECK_EQ_INT(classic, 0x77);
}

TEST(filter_raw_loads_are_big_endian)
{
	static uint8_t pkt[20] = { [14] = 0x12, 0x34, 0x56, 0x78, 0x9a };
	struct sock_filter w[] = { STMT(BPF_LD | BPF_W | BPF_ABS, 15), STMT(BPF_RET | BPF_A, 0) };
	struct sock_filter h[] = { STMT(BPF_LD | BPF_H | BPF_ABS, 14), STMT(BPF_RET | BPF_A, 0) };
	struct sock_filter b[] = { STMT(BPF_LD | BPF_B | BPF_ABS, 18), STMT(BPF_RET | BPF_A, 0) };
	struct sock_filter ind[] = {
		STMT(BPF_LDX | BPF_IMM, 10),
		STMT(BPF_LD | BPF_H | BPF_IND, 4),
		STMT(BPF_RET | BPF_A, 0),
	};
	/* 0x9a & 0xf = 10, times 4. */
	struct sock_filter msh[] = {
		STMT(BPF_LDX | BPF_B | BPF_MSH, 18),
		STMT(BPF_MISC | BPF_TXA, 0),
		STMT(BPF_RET | BPF_A, 0),
	};

	NEED_ROOT();
	CHECK_EQ_INT(run_raw_on(w, 2, pkt, sizeof(pkt), NULL), 0x3456789a);
	CHECK_EQ_INT(run_raw_on(h, 2, pkt, sizeof(pkt), NULL), 0x1234);
	CHECK_EQ_INT(run_raw_on(b, 2, pkt, sizeof(pkt), NULL), 0x9a);
	CHECK_EQ_INT(run_raw_on(ind, 3, pkt, sizeof(pkt), NULL), 0x1234);
	CHECK_EQ_INT(run_raw_on(msh, 3, pkt, sizeof(pkt), NULL), 40);
}

TEST(filter_raw_scratch_memory)
{
	/* Every slot, A and X paths, in an order that catches swapped slots. */
	struct sock_filter roundtrip[] = {
		STMT(BPF_LD | BPF_IMM, 0x11111111),  STMT(BPF_ST, 0),
		STMT(BPF_LDX | BPF_IMM, 0x0f000000), STMT(BPF_STX, 15),
		STMT(BPF_LD | BPF_IMM, 0x00220000),  STMT(BPF_ST, 7),
		STMT(BPF_LD | BPF_IMM, 0),	     STMT(BPF_LDX | BPF_IMM, 0),
		STMT(BPF_LDX | BPF_MEM, 15),	     STMT(BPF_LD | BPF_MEM, 0),
		STMT(BPF_ALU | BPF_ADD | BPF_X, 0),  STMT(BPF_LDX | BPF_MEM, 7),
		STMT(BPF_ALU | BPF_ADD | BPF_X, 0),  STMT(BPF_RET | BPF_A, 0),
	};
	/* Never written: reads as 0, even after the stack held something. */
	struct sock_filter uninit[] = {
		STMT(BPF_LD | BPF_MEM, 3),	   STMT(BPF_LDX | BPF_MEM, 12),
		STMT(BPF_ALU | BPF_OR | BPF_X, 0), STMT(BPF_ALU | BPF_ADD | BPF_K, 1),
		STMT(BPF_RET | BPF_A, 0),
	};
	/* Written on one path only: the other reads 0. */
	struct sock_filter one_path[] = {
		STMT(BPF_LD | BPF_B | BPF_ABS, 14), JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x45, 0, 2),
		STMT(BPF_LD | BPF_IMM, 1234),	    STMT(BPF_ST, 5),
		STMT(BPF_LD | BPF_MEM, 5),	    STMT(BPF_ALU | BPF_ADD | BPF_K, 1),
		STMT(BPF_RET | BPF_A, 0),
	};
	static uint8_t other[60] = { [14] = 0x60 };
	unsigned int classic;

	NEED_ROOT();
	CHECK_EQ_INT(run_raw(roundtrip, &classic), 0x20331111);
	CHECK_EQ_INT(classic, 0x20331111);
	/* libpcap reads garbage here: only the kernel's answer is defined. */
	CHECK_EQ_INT(run_raw(uninit, NULL), 1);
	CHECK_EQ_INT(run_raw(one_path, NULL), 1235);
	CHECK_EQ_INT(run_raw_on(one_path, ARRAY_SIZE(one_path), other, sizeof(other), NULL), 1);
}

TEST(filter_raw_jumps)
{
	/*
	 * A = 0x80000010, X = 0x10. Each row: jump, then the result says which
	 * way it went (1 taken, 2 not taken).
	 */
	static const struct {
		struct sock_filter j;
		uint32_t want;
	} rows[] = {
		{ JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x80000010, 0, 1), 1 },
		{ JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x10, 0, 1), 2 },
		{ JUMP(BPF_JMP | BPF_JGT | BPF_K, 0x7fffffff, 0, 1), 1 },
		{ JUMP(BPF_JMP | BPF_JGT | BPF_K, 0x80000010, 0, 1), 2 },
		{ JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x80000010, 0, 1), 1 },
		{ JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x80000011, 0, 1), 2 },
		{ JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x80000000, 0, 1), 1 },
		{ JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x0000000f, 0, 1), 2 },
		{ JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 1), 2 },
		{ JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 1), 1 },
		{ JUMP(BPF_JMP | BPF_JGE | BPF_X, 0, 0, 1), 1 },
		{ JUMP(BPF_JMP | BPF_JSET | BPF_X, 0, 0, 1), 1 },
		/* jt == 0, jf == 0, jt == jf: the three short forms. */
		{ JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x80000010, 0, 0), 1 },
		{ JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1, 1, 1), 2 },
		{ JUMP(BPF_JMP | BPF_JA, 1, 0, 0), 2 },
		{ JUMP(BPF_JMP | BPF_JA, 0, 0, 0), 1 },
	};

	NEED_ROOT();
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct sock_filter prog[] = {
			STMT(BPF_LD | BPF_IMM, 0x80000010),
			STMT(BPF_LDX | BPF_IMM, 0x10),
			rows[i].j,
			STMT(BPF_RET | BPF_K, 1),
			STMT(BPF_RET | BPF_K, 2),
		};
		/* Inverted: not-taken first, exercises the jt == 0 form. */
		struct sock_filter inv[] = {
			STMT(BPF_LD | BPF_IMM, 0x80000010),
			STMT(BPF_LDX | BPF_IMM, 0x10),
			JUMP(rows[i].j.code, rows[i].j.k, rows[i].j.jf, rows[i].j.jt),
			STMT(BPF_RET | BPF_K, 1),
			STMT(BPF_RET | BPF_K, 2),
		};
		unsigned int classic, want;
		long long got;

		got = run_raw(prog, &classic);
		if (got != rows[i].want || classic != rows[i].want) {
			unit_fail(__FILE__, __LINE__, "row %zu: kernel %lld, libpcap %u, want %u",
				  i, got, classic, rows[i].want);
			return;
		}
		if (BPF_OP(rows[i].j.code) == BPF_JA)
			continue;
		want = rows[i].j.jt == rows[i].j.jf ? rows[i].want : 3 - rows[i].want;
		got = run_raw(inv, &classic);
		if (got != want || classic != want) {
			unit_fail(__FILE__, __LINE__,
				  "row %zu inverted: kernel %lld, libpcap %u, want %u", i, got,
				  classic, want);
			return;
		}
	}
}

TEST(filter_raw_ret_a_and_misc)
{
	struct sock_filter len[] = { STMT(BPF_LD | BPF_W | BPF_LEN, 0), STMT(BPF_RET | BPF_A, 0) };
	struct sock_filter xlen[] = {
		STMT(BPF_LDX | BPF_W | BPF_LEN, 0),
		STMT(BPF_MISC | BPF_TXA, 0),
		STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_filter big[] = {
		STMT(BPF_LD | BPF_IMM, 0xffffffff), STMT(BPF_MISC | BPF_TAX, 0),
		STMT(BPF_LD | BPF_IMM, 0),	    STMT(BPF_MISC | BPF_TXA, 0),
		STMT(BPF_RET | BPF_A, 0),
	};
	/* A and X start at 0 (the kernel and libpcap agree). */
	struct sock_filter zero[] = {
		STMT(BPF_ALU | BPF_ADD | BPF_X, 0),
		STMT(BPF_ALU | BPF_ADD | BPF_K, 3),
		STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_filter unreachable[] = {
		STMT(BPF_RET | BPF_K, 5),
		STMT(BPF_RET | BPF_K, 6),
	};
	/* The "ret a" after a load that always fails is reached only by it. */
	struct sock_filter after_fail[] = {
		STMT(BPF_LD | BPF_W | BPF_ABS, 70000),
		STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_filter msh_fail[] = {
		STMT(BPF_LDX | BPF_B | BPF_MSH, 70000),
		STMT(BPF_MISC | BPF_TXA, 0),
		STMT(BPF_RET | BPF_A, 0),
	};
	unsigned int classic;

	NEED_ROOT();
	CHECK_EQ_INT(run_raw(len, &classic), sizeof(dummy_pkt));
	CHECK_EQ_INT(classic, sizeof(dummy_pkt));
	CHECK_EQ_INT(run_raw(xlen, &classic), sizeof(dummy_pkt));
	CHECK_EQ_INT(run_raw(big, &classic), 0xffffffff);
	CHECK_EQ_INT(classic, 0xffffffff);
	CHECK_EQ_INT(run_raw(zero, &classic), 3);
	CHECK_EQ_INT(classic, 3);
	CHECK_EQ_INT(run_raw(unreachable, &classic), 5);
	CHECK_EQ_INT(run_raw(after_fail, &classic), 0);
	CHECK_EQ_INT(run_raw(msh_fail, &classic), 0);
}

/* ---- Refusals and the contract (no BPF loading needed) ---------------- */

#define CHECK_REFUSED(prog, err, what)                                             \
	do {                                                                       \
		struct filter f_;                                                  \
		err_clear();                                                       \
		CHECK_EQ_INT(filter__translate(prog, ARRAY_SIZE(prog), &f_), err); \
		CHECK(!f_.insns && !f_.cbpf && !f_.n);                             \
		CHECK_CONTAINS(err_last(), what);                                  \
	} while (0)

TEST(filter_refuses_ancillary_loads)
{
	struct sock_filter proto[] = {
		STMT(BPF_LD | BPF_IMM, 1),
		STMT(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL),
		STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_filter vlan[] = {
		STMT(BPF_LD | BPF_B | BPF_ABS, SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT),
		STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_filter net[] = {
		STMT(BPF_LDX | BPF_IMM, 4),
		STMT(BPF_LD | BPF_W | BPF_IND, SKF_NET_OFF + 12),
		STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_filter ll[] = {
		STMT(BPF_LDX | BPF_B | BPF_MSH, SKF_LL_OFF + 14),
		STMT(BPF_RET | BPF_K, 1),
	};

	CHECK_REFUSED(proto, -EOPNOTSUPP, "instruction 1 (code 0x28");
	CHECK_CONTAINS(err_last(), "ancillary load SKF_AD_OFF+0 (protocol)");
	CHECK_REFUSED(vlan, -EOPNOTSUPP, "instruction 0 (code 0x30");
	CHECK_CONTAINS(err_last(), "vlan_tag_present");
	CHECK_REFUSED(net, -EOPNOTSUPP, "instruction 1 (code 0x40");
	CHECK_CONTAINS(err_last(), "SKF_NET_OFF+12");
	CHECK_REFUSED(ll, -EOPNOTSUPP, "instruction 0 (code 0xb1");
	CHECK_CONTAINS(err_last(), "SKF_LL_OFF+14");
}

TEST(filter_refuses_invalid_programs)
{
	struct sock_filter jump_out[] = {
		STMT(BPF_LD | BPF_IMM, 1),
		JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 2),
		STMT(BPF_RET | BPF_K, 1),
		STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_filter ja_out[] = {
		JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
		STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_filter ja_back[] = {
		STMT(BPF_RET | BPF_K, 0),
		JUMP(BPF_JMP | BPF_JA, (uint32_t)-2, 0, 0),
		STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_filter no_ret[] = {
		STMT(BPF_LD | BPF_IMM, 1),
		STMT(BPF_RET | BPF_A, 0),
		STMT(BPF_MISC | BPF_TAX, 0),
	};
	struct sock_filter mem16[] = { STMT(BPF_ST, 16), STMT(BPF_RET | BPF_K, 0) };
	struct sock_filter div0[] = { STMT(BPF_ALU | BPF_DIV | BPF_K, 0),
				      STMT(BPF_RET | BPF_A, 0) };
	struct sock_filter mod0[] = { STMT(BPF_ALU | BPF_MOD | BPF_K, 0),
				      STMT(BPF_RET | BPF_A, 0) };
	struct sock_filter lsh32[] = { STMT(BPF_ALU | BPF_LSH | BPF_K, 32),
				       STMT(BPF_RET | BPF_A, 0) };
	struct sock_filter ldx_abs[] = {
		STMT(BPF_LDX | BPF_W | BPF_ABS, 12), /* not an opcode */
		STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_filter ret_x[] = { STMT(BPF_RET | BPF_X, 0) };
	struct sock_filter one = STMT(BPF_RET | BPF_K, 0);
	struct filter f;

	CHECK_REFUSED(jump_out, -EINVAL, "instruction 1 (code 0x15, jt 0, jf 2");
	CHECK_CONTAINS(err_last(), "past the end");
	CHECK_REFUSED(ja_out, -EINVAL, "instruction 0 (code 0x05");
	CHECK_REFUSED(ja_back, -EOPNOTSUPP, "backward jump");
	CHECK_REFUSED(no_ret, -EINVAL, "instruction 2 (code 0x07");
	CHECK_CONTAINS(err_last(), "must end with a return");
	CHECK_REFUSED(mem16, -EINVAL, "M[16]");
	CHECK_REFUSED(div0, -EINVAL, "division by the constant 0");
	CHECK_REFUSED(mod0, -EINVAL, "division by the constant 0");
	CHECK_REFUSED(lsh32, -EINVAL, "shift by 32");
	CHECK_REFUSED(ldx_abs, -EINVAL, "instruction 0 (code 0x21");
	CHECK_CONTAINS(err_last(), "unknown opcode");
	CHECK_REFUSED(ret_x, -EINVAL, "unknown opcode");

	err_clear();
	CHECK_EQ_INT(filter__translate(&one, 0, &f), -EINVAL);
	CHECK_CONTAINS(err_last(), "empty");
	CHECK_EQ_INT(filter__translate(NULL, 1, &f), -EINVAL);
}

TEST(filter_compile_errors)
{
	struct filter f;
	int err;

	err_clear();
	CHECK_EQ_INT(filter__compile("udp prot 53", 0, &f), -EINVAL);
	CHECK(!f.insns && !f.cbpf);
	CHECK_CONTAINS(err_last(), "'udp prot 53'");
	/* libpcap's own words. */
	CHECK_CONTAINS(err_last(), "syntax error");

	err_clear();
	CHECK_EQ_INT(filter__compile("port 70000", 0, &f), -EINVAL);
	CHECK_CONTAINS(err_last(), "port 70000");
	/* libpcap's words: 1.10.3-1.10.5 (Debian 12, 13), and 1.10.6+ (unstable) */
	CHECK(strstr(err_last(), "illegal port number") ||
	      strstr(err_last(), "greater than maximum 65535"));

	/*
	 * Valid tcpdump, but the code needs Linux socket-buffer metadata:
	 * libpcap 1.10 compiles it to ancillary loads, which the translation
	 * refuses; 1.11 (unstable) refuses it on a dead handle itself.
	 */
	err_clear();
	err = filter__compile("inbound", 0, &f);
	CHECK(err == -EOPNOTSUPP || err == -EINVAL);
	CHECK_CONTAINS(err_last(), err == -EOPNOTSUPP ? "pkttype" : "'inbound' not supported");
	err_clear();
	err = filter__compile("ifindex 3", 0, &f);
	CHECK(err == -EOPNOTSUPP || err == -EINVAL);
	CHECK_CONTAINS(err_last(), "ifindex");
	/* libpcap loops over IPv6 extension headers with backward jumps. */
	err_clear();
	CHECK_EQ_INT(filter__compile("ip6 protochain 6", 0, &f), -EOPNOTSUPP);
	CHECK_CONTAINS(err_last(), "backward jump");
}

TEST(filter_compile_match_all)
{
	struct filter f;

	CHECK_EQ_INT(filter__compile(NULL, 0, &f), 0);
	CHECK_EQ_INT(f.cbpf_n, 1);
	CHECK_EQ_INT(f.cbpf[0].code, BPF_RET | BPF_K);
	CHECK_EQ_INT(f.cbpf[0].k, FILTER_SNAPLEN_MAX);
	/* "r0 = snaplen", falling through to the end. */
	CHECK_EQ_INT(f.n, 1);
	CHECK_EQ_INT(f.insns[0].code, BPF_ALU | BPF_MOV | BPF_K);
	CHECK_EQ_INT(f.insns[0].dst_reg, BPF_REG_0);
	CHECK_EQ_INT(f.insns[0].imm, FILTER_SNAPLEN_MAX);
	filter__free(&f);

	CHECK_EQ_INT(filter__compile("", 96, &f), 0);
	CHECK_EQ_INT(f.cbpf[0].k, 96);
	filter__free(&f);
	CHECK(!f.insns && !f.n);
}

/*
 * Statically, for every expression: only R0, R2 and X's register written
 * (R3 for a filter that reads no length, so R1 keeps the ctx; else R1),
 * the stack only in [fp-64, fp-1], no calls or exits, every jump inside
 * the fragment or to the instruction right after it.
 */
TEST(filter_fragment_keeps_the_contract)
{
	for (size_t e = 0; e < ARRAY_SIZE(exprs); e++) {
		struct filter f;
		int err;

		err = filter__compile(exprs[e], SNAPLEN, &f);
		if (err) {
			unit_fail(__FILE__, __LINE__, "'%s': %s", exprs[e], err_last());
			return;
		}
		if (f.reg_x != (f.uses_len ? BPF_REG_1 : BPF_REG_3)) {
			unit_fail(__FILE__, __LINE__, "'%s': X in r%u, uses_len %d", exprs[e],
				  f.reg_x, f.uses_len);
			filter__free(&f);
			return;
		}
		for (size_t j = 0; j < f.n; j++) {
			const struct bpf_insn *in = &f.insns[j];
			__u8 cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
			bool jmp = cls == BPF_JMP || cls == BPF_JMP32;
			bool bad = false;

			/* R0, R2 and X's register; R1 (the ctx) only when X is there */
			if (!jmp && cls != BPF_STX && cls != BPF_ST && in->dst_reg != BPF_REG_0 &&
			    in->dst_reg != BPF_REG_2 && in->dst_reg != f.reg_x)
				bad = true;
			if ((cls == BPF_STX || cls == BPF_ST) &&
			    (in->dst_reg != BPF_REG_10 || in->off < -FILTER_STACK_SIZE ||
			     in->off + 4 > 0))
				bad = true;
			if (cls == BPF_LDX && in->src_reg == BPF_REG_10 &&
			    (in->off < -FILTER_STACK_SIZE || in->off + 4 > 0))
				bad = true;
			if (jmp && (op == BPF_CALL || op == BPF_EXIT))
				bad = true;
			if (jmp && (long)j + 1 + in->off > (long)f.n)
				bad = true;
			if (jmp && in->off < 0)
				bad = true;
			if (bad) {
				unit_fail(
					__FILE__, __LINE__,
					"'%s' insn %zu (code 0x%02x dst r%u off %d) breaks the contract",
					exprs[e], j, in->code, in->dst_reg, in->off);
				filter__free(&f);
				return;
			}
		}
		filter__free(&f);
	}
}

/* Sizes stay near today's (measured + ~10%); UNIT_VERBOSE=1 prints them. */
TEST(filter_fragment_sizes)
{
	static const struct {
		const char *expr;
		size_t max;
	} rows[] = {
		/* both versions: unchecked loads, then the checked one (plan_fast()) */
		{ "", 1 },
		{ "udp", 46 },
		{ "udp port 53", 86 },
		{ "tcp port 80", 86 },
		{ "host 192.0.2.1", 54 },
		{ "vlan 100 and udp", 70 },
		{ "ip[2:2] - ((ip[0]&0xf)<<2) - ((tcp[12]&0xf0)>>2) > 0", 74 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct filter f;
		size_t n, cn;

		CHECK_EQ_INT(filter__compile(rows[i].expr, 0, &f), 0);
		n = f.n;
		cn = f.cbpf_n;
		filter__free(&f);
		if (getenv("UNIT_VERBOSE"))
			printf("filter: '%s': %zu classic -> %zu eBPF instructions\n", rows[i].expr,
			       cn, n);
		if (n > rows[i].max) {
			unit_fail(__FILE__, __LINE__, "'%s' became %zu instructions, more than %zu",
				  rows[i].expr, n, rows[i].max);
			return;
		}
	}
}

/* What the fragment leaves out: byte swaps, X checks, the length. */
static size_t count_code(const struct filter *f, __u8 code)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		n += f->insns[i].code == code;
	return n;
}

TEST(filter_fragment_shape)
{
	static const struct {
		const char *expr;
		bool swaps; /* some load stays big-endian: an ordered compare uses it */
		bool uses_len;
	} rows[] = {
		/* equality and bit tests only: constants swapped, no byte swap */
		{ "udp port 53", false, false },
		{ "host 192.0.2.1", false, false },
		{ "ip[6:2] & 0x1fff = 0", false, false },
		/* ordered compares need the value big-endian */
		{ "portrange 1000-2000", true, false },
		{ "ip[2:2] > 100", true, false },
		{ "len > 100", false, true },
	};
	const __u8 be = BPF_ALU | BPF_END | BPF_TO_BE, xcheck = BPF_JMP | BPF_JGT | BPF_K;

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct filter f;
		size_t n_be, n_xcheck = 0;

		CHECK_EQ_INT(filter__compile(rows[i].expr, 0, &f), 0);
		n_be = count_code(&f, be);
		/* X comes from "ldx 4*([14]&0xf)" here: at most 60, never checked */
		for (size_t k = 0; k < f.n; k++)
			n_xcheck += f.insns[k].code == xcheck && f.insns[k].dst_reg == f.reg_x;
		if ((n_be > 0) != rows[i].swaps || n_xcheck || f.uses_len != rows[i].uses_len ||
		    f.nomatch < 0) {
			unit_fail(__FILE__, __LINE__,
				  "'%s': %zu byte swaps, %zu checks of X, uses_len %d, nomatch %ld",
				  rows[i].expr, n_be, n_xcheck, f.uses_len, f.nomatch);
			filter__free(&f);
			return;
		}
		filter__free(&f);
	}
}

/*
 * "ldx 4*([k]&0xf)" at an offset no packet reaches always fails: it is not
 * where X comes from for the loads after it (the fast version would read
 * through a pointer that load never set, and the verifier refuses that).
 */
TEST(filter_raw_failing_msh_defines_no_x)
{
	struct sock_filter alone[] = {
		STMT(BPF_LDX | BPF_B | BPF_MSH, 0x12345),
		STMT(BPF_LD | BPF_B | BPF_IND, 14),
		STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_filter two_loads[] = {
		STMT(BPF_LD | BPF_B | BPF_ABS, 12), STMT(BPF_LDX | BPF_B | BPF_MSH, 0x10000),
		STMT(BPF_LD | BPF_B | BPF_IND, 14), STMT(BPF_LD | BPF_H | BPF_IND, 40),
		STMT(BPF_RET | BPF_A, 0),
	};
	/* joined with a real "ldx 4*([14]&0xf)" on the other path */
	struct sock_filter joined[] = {
		STMT(BPF_LD | BPF_B | BPF_ABS, 14),
		JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x45, 0, 2),
		STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
		JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
		STMT(BPF_LDX | BPF_B | BPF_MSH, 0x10000),
		STMT(BPF_LD | BPF_B | BPF_IND, 16),
		STMT(BPF_RET | BPF_A, 0),
	};
	static uint8_t ipv4[60] = { [14] = 0x45, [36] = 0x99 };
	static uint8_t other[60] = { [14] = 0x60, [36] = 0x99 };
	unsigned int classic;

	NEED_ROOT();
	CHECK_EQ_INT(run_raw_on(alone, ARRAY_SIZE(alone), ipv4, sizeof(ipv4), &classic), 0);
	CHECK_EQ_INT(classic, 0);
	CHECK_EQ_INT(run_raw_on(two_loads, ARRAY_SIZE(two_loads), ipv4, sizeof(ipv4), &classic), 0);
	CHECK_EQ_INT(classic, 0);
	CHECK_EQ_INT(run_raw_on(joined, ARRAY_SIZE(joined), ipv4, sizeof(ipv4), &classic), 0x99);
	CHECK_EQ_INT(classic, 0x99);
	CHECK_EQ_INT(run_raw_on(joined, ARRAY_SIZE(joined), other, sizeof(other), &classic), 0);
	CHECK_EQ_INT(classic, 0);
}

/* ---- Random programs against libpcap --------------------------------- */

/* libpcap's checker; its struct bpf_insn has struct sock_filter's layout. */
int bpf_validate(const struct sock_filter *f, int len);

#define FUZZ_SEED 0x5eed2026u
#define FUZZ_PROGS 500
#define FUZZ_MAX_LEN 24

static uint32_t fuzz_next(uint32_t *s)
{
	/* xorshift32: the same programs on every run and every machine */
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Offsets: mostly inside the test packets, some past them, some past 64 KiB. */
static uint32_t fuzz_off(uint32_t *s)
{
	static const uint32_t far[] = { 0xfffe, 0xffff, 0x10000, 0x12345, 0x7fffffff };
	uint32_t r = fuzz_next(s) % 16;

	if (r < 12)
		return fuzz_next(s) % 64;
	if (r < 15)
		return fuzz_next(s) % 1600;
	return far[fuzz_next(s) % ARRAY_SIZE(far)];
}

static uint32_t fuzz_const(uint32_t *s)
{
	static const uint32_t common[] = { 0, 1, 2, 4, 6, 17, 0x45, 0x800, 0x86dd, 0xffffffff };

	switch (fuzz_next(s) % 4) {
	case 0:
		return common[fuzz_next(s) % ARRAY_SIZE(common)];
	case 1:
		return fuzz_next(s) % 256;
	case 2:
		return fuzz_next(s) % 70;
	default:
		return fuzz_next(s);
	}
}

static const __u16 fuzz_codes[] = {
	BPF_LD | BPF_W | BPF_ABS,
	BPF_LD | BPF_H | BPF_ABS,
	BPF_LD | BPF_B | BPF_ABS,
	BPF_LD | BPF_W | BPF_IND,
	BPF_LD | BPF_H | BPF_IND,
	BPF_LD | BPF_B | BPF_IND,
	BPF_LDX | BPF_B | BPF_MSH,
	BPF_LDX | BPF_B | BPF_MSH,
	BPF_LD | BPF_MEM,
	BPF_LDX | BPF_MEM,
	BPF_ST,
	BPF_STX,
	BPF_LD | BPF_IMM,
	BPF_LDX | BPF_IMM,
	BPF_LD | BPF_W | BPF_LEN,
	BPF_LDX | BPF_W | BPF_LEN,
	BPF_ALU | BPF_ADD | BPF_K,
	BPF_ALU | BPF_SUB | BPF_K,
	BPF_ALU | BPF_MUL | BPF_K,
	BPF_ALU | BPF_DIV | BPF_K,
	BPF_ALU | BPF_MOD | BPF_K,
	BPF_ALU | BPF_AND | BPF_K,
	BPF_ALU | BPF_OR | BPF_K,
	BPF_ALU | BPF_XOR | BPF_K,
	BPF_ALU | BPF_LSH | BPF_K,
	BPF_ALU | BPF_RSH | BPF_K,
	BPF_ALU | BPF_ADD | BPF_X,
	BPF_ALU | BPF_SUB | BPF_X,
	BPF_ALU | BPF_MUL | BPF_X,
	BPF_ALU | BPF_DIV | BPF_X,
	BPF_ALU | BPF_MOD | BPF_X,
	BPF_ALU | BPF_AND | BPF_X,
	BPF_ALU | BPF_OR | BPF_X,
	BPF_ALU | BPF_XOR | BPF_X,
	BPF_ALU | BPF_LSH | BPF_X,
	BPF_ALU | BPF_RSH | BPF_X,
	BPF_ALU | BPF_NEG,
	BPF_MISC | BPF_TAX,
	BPF_MISC | BPF_TXA,
	BPF_JMP | BPF_JA,
	BPF_JMP | BPF_JEQ | BPF_K,
	BPF_JMP | BPF_JGT | BPF_K,
	BPF_JMP | BPF_JGE | BPF_K,
	BPF_JMP | BPF_JSET | BPF_K,
	BPF_JMP | BPF_JEQ | BPF_X,
	BPF_JMP | BPF_JGT | BPF_X,
	BPF_JMP | BPF_JGE | BPF_X,
	BPF_JMP | BPF_JSET | BPF_X,
	BPF_RET | BPF_K,
	BPF_RET | BPF_A,
};

/*
 * Instruction @i of @n, given the scratch words every path to it has
 * written (@mem; all ones where no path reaches it): libpcap's interpreter
 * leaves unwritten words undefined, so the program reads only written ones.
 */
static struct sock_filter fuzz_insn(uint32_t *s, size_t i, size_t n, uint32_t mem)
{
	size_t left = n - i - 1;
	struct sock_filter in = {};

	for (;;) {
		in.code = fuzz_codes[fuzz_next(s) % ARRAY_SIZE(fuzz_codes)];
		if ((in.code == (BPF_LD | BPF_MEM) || in.code == (BPF_LDX | BPF_MEM)) && !mem)
			continue;
		if (BPF_CLASS(in.code) == BPF_JMP && !left)
			continue;
		break;
	}
	switch (BPF_CLASS(in.code)) {
	case BPF_LD:
	case BPF_LDX:
		if (BPF_MODE(in.code) == BPF_MEM) {
			do
				in.k = fuzz_next(s) % BPF_MEMWORDS;
			while (!(mem & (1u << in.k)));
		} else if (BPF_MODE(in.code) == BPF_IMM) {
			in.k = fuzz_const(s);
		} else {
			in.k = fuzz_off(s);
		}
		break;
	case BPF_ST:
	case BPF_STX:
		in.k = fuzz_next(s) % BPF_MEMWORDS;
		break;
	case BPF_ALU:
		in.k = fuzz_const(s);
		if (BPF_OP(in.code) == BPF_LSH || BPF_OP(in.code) == BPF_RSH)
			in.k %= 32;
		if ((BPF_OP(in.code) == BPF_DIV || BPF_OP(in.code) == BPF_MOD) && !in.k)
			in.k = 3;
		break;
	case BPF_JMP:
		in.k = BPF_OP(in.code) == BPF_JA ? fuzz_next(s) % left : fuzz_const(s);
		in.jt = fuzz_next(s) % (left < 6 ? left : 6);
		in.jf = fuzz_next(s) % (left < 6 ? left : 6);
		if (BPF_OP(in.code) == BPF_JA)
			in.jt = in.jf = 0;
		break;
	case BPF_RET:
		in.k = fuzz_next(s) % 3 ? fuzz_next(s) % 2000 : 0;
		break;
	}
	return in;
}

/* A random program that libpcap's bpf_validate() accepts, ending in a return. */
static size_t fuzz_program(uint32_t *s, struct sock_filter *prog)
{
	size_t n = 2 + fuzz_next(s) % (FUZZ_MAX_LEN - 1);
	uint32_t mem[FUZZ_MAX_LEN + 1], out;
	size_t succ[2], n_succ;

	for (size_t i = 0; i < n; i++)
		mem[i] = UINT32_MAX;
	mem[0] = 0;
	for (size_t i = 0; i < n; i++) {
		prog[i] = i + 1 < n ? fuzz_insn(s, i, n, mem[i]) :
				      STMT(BPF_RET | (fuzz_next(s) % 2 ? BPF_A : BPF_K), 0x1234);
		out = mem[i];
		if (BPF_CLASS(prog[i].code) == BPF_ST || BPF_CLASS(prog[i].code) == BPF_STX)
			out |= 1u << prog[i].k;
		n_succ = 0;
		if (BPF_CLASS(prog[i].code) == BPF_JMP && BPF_OP(prog[i].code) == BPF_JA) {
			succ[n_succ++] = i + 1 + prog[i].k;
		} else if (BPF_CLASS(prog[i].code) == BPF_JMP) {
			succ[n_succ++] = i + 1 + prog[i].jt;
			succ[n_succ++] = i + 1 + prog[i].jf;
		} else if (BPF_CLASS(prog[i].code) != BPF_RET) {
			succ[n_succ++] = i + 1;
		}
		/* jumps go forward only: every path to i + 1 is known by then */
		for (size_t k = 0; k < n_succ; k++)
			mem[succ[k]] &= out;
	}
	return n;
}

/* One random program on every test packet: 0, or -1 with @why filled. */
static int fuzz_check(const struct sock_filter *prog, size_t n, const uint8_t (*bytes)[PKT_MAX],
		      const size_t *lens, char *why, size_t why_sz)
{
	struct filter f;
	int fd, ret = -1;

	if (filter__translate(prog, n, &f)) {
		snprintf(why, why_sz, "translation refused: %s", err_last());
		return -1;
	}
	fd = harness_load(&f, 0);
	if (fd < 0) {
		snprintf(why, why_sz, "the verifier refused the translation (%d)", fd);
		goto out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(pkts); i++) {
		unsigned int want = filter__run_classic(&f, bytes[i], lens[i], lens[i]);
		long long got = harness_run(fd, bytes[i], lens[i]);

		if (got != want) {
			snprintf(why, why_sz, "on %s: kernel %lld, libpcap %u", pkts[i].name, got,
				 want);
			goto out;
		}
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	filter__free(&f);
	return ret;
}

static void fuzz_dump(const struct sock_filter *prog, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "  %2zu: { 0x%02x, %u, %u, 0x%x }\n", i, prog[i].code, prog[i].jt,
			prog[i].jf, prog[i].k);
}

/*
 * Random classic programs (fixed seed, so every run tries the same ones)
 * that libpcap accepts: the translation, run by the kernel, must answer as
 * libpcap's interpreter on every test packet.
 */
TEST(filter_random_programs_agree_with_libpcap)
{
	static uint8_t bytes[ARRAY_SIZE(pkts)][PKT_MAX];
	struct sock_filter prog[FUZZ_MAX_LEN];
	size_t lens[ARRAY_SIZE(pkts)], n, tried = 0;
	uint32_t seed = FUZZ_SEED;
	char why[512];

	NEED_ROOT();
	for (size_t i = 0; i < ARRAY_SIZE(pkts); i++)
		lens[i] = pkt_build(&pkts[i], bytes[i]);
	for (int p = 0; p < FUZZ_PROGS; p++) {
		do {
			n = fuzz_program(&seed, prog);
			CHECK(++tried < 100 * FUZZ_PROGS);
		} while (!bpf_validate(prog, (int)n));
		err_clear();
		if (fuzz_check(prog, n, bytes, lens, why, sizeof(why))) {
			fuzz_dump(prog, n);
			unit_fail(__FILE__, __LINE__, "random program %d: %s", p, why);
			return;
		}
	}
	if (getenv("UNIT_VERBOSE"))
		printf("filter: %d random programs (%zu generated) x %zu packets\n", FUZZ_PROGS,
		       tried, ARRAY_SIZE(pkts));
}
