// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The fates of an expected file, and a replay against them (golden.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "golden.h"
#include "log.h"
#include "xdp_action.h"

#define PCAPNG_SHB 0x0A0D0D0AU
#define PCAPNG_IDB 0x00000001U
#define PCAPNG_EPB 0x00000006U
#define BYTE_ORDER_MAGIC 0x1A2B3C4DU
#define OPT_COMMENT 1
#define OPT_IF_NAME 2
#define OPT_EPB_PACKETID 5
#define OPT_EPB_VERDICT 7
#define VERDICT_TYPE_EBPF_XDP 2
#define MAX_IFS 256

struct parse {
	struct golden *g;
	bool if_exit[MAX_IFS]; /* interface k is a stages file's IFACE:exit */
	size_t n_ifs;
	bool stages; /* some interface is an IFACE:exit */
	char *why;
	size_t why_size;
};

static __u32 rd32(const unsigned char *p)
{
	__u32 v;

	memcpy(&v, p, 4);
	return v;
}

static int bad(struct parse *x, size_t off, const char *what)
{
	snprintf(x->why, x->why_size, "%s at byte %zu", what, off);
	return -EINVAL;
}

/* Calls @fn on each option of the @len bytes at @p; -EINVAL if they overrun. */
static int each_opt(const unsigned char *p, size_t len,
		    void (*fn)(void *ctx, __u16 code, const unsigned char *v, __u16 n), void *ctx)
{
	size_t off = 0;

	while (off + 4 <= len) {
		__u16 code, n;

		memcpy(&code, p + off, 2);
		memcpy(&n, p + off + 2, 2);
		if (!code)
			return 0;
		if (off + 4 + n > len)
			return -EINVAL;
		fn(ctx, code, p + off + 4, n);
		off += 4 + ((n + 3) & ~3U);
	}
	return 0;
}

struct idb {
	char name[IF_NAMESIZE + PROG_NAME_MAX + 16];
};

static void idb_opt(void *ctx, __u16 code, const unsigned char *v, __u16 n)
{
	struct idb *d = ctx;

	if (code == OPT_IF_NAME)
		snprintf(d->name, sizeof(d->name), "%.*s", n, (const char *)v);
}

/* "eth0:entry", "eth0:after fw", "eth0:exit": what a stages file's interface holds. */
static void if_kind(struct golden_if *gi, const char *name)
{
	const char *colon = strrchr(name, ':');
	const char *after = strstr(name, ":after ");

	memset(gi, 0, sizeof(*gi));
	if (after) {
		gi->kind = GOLDEN_IF_AFTER;
		snprintf(gi->stage, sizeof(gi->stage), "%s", after + strlen(":after "));
	} else if (colon && !strcmp(colon, ":entry")) {
		gi->kind = GOLDEN_IF_ENTRY;
	} else if (colon && !strcmp(colon, ":exit")) {
		gi->kind = GOLDEN_IF_EXIT;
	}
}

/* "xdp action: drop; stage: fw (id 7)" -> action and "fw"; "after the chain" -> "". */
static void fate_comment(struct golden_fate *f, const unsigned char *v, __u16 n)
{
	char c[256], *s;

	snprintf(c, sizeof(c), "%.*s", n, (const char *)v);
	for (unsigned int a = 0; a < XDP_ACTION_COUNT && f->action == XDP_ACTION_COUNT; a++) {
		char want[48];

		snprintf(want, sizeof(want), "xdp action: %s;", action_name(a));
		if (!strncmp(c, want, strlen(want)))
			f->action = a;
	}
	s = strstr(c, "; stage: ");
	if (!s)
		return;
	s += strlen("; stage: ");
	if (strstr(s, " (id "))
		*strstr(s, " (id ") = '\0';
	snprintf(f->stage, sizeof(f->stage), "%s", strcmp(s, "after the chain") ? s : "");
}

struct epb_ctx {
	struct golden_fate f;
	__u64 pkt_id;
};

static void epb_opt(void *ctx, __u16 code, const unsigned char *v, __u16 n)
{
	struct epb_ctx *c = ctx;
	__u64 act;

	if (code == OPT_COMMENT) {
		fate_comment(&c->f, v, n);
	} else if (code == OPT_EPB_VERDICT && n == 9 && v[0] == VERDICT_TYPE_EBPF_XDP) {
		memcpy(&act, v + 1, 8);
		c->f.action = act < XDP_ACTION_COUNT ? act : XDP_ABORTED;
	} else if (code == OPT_EPB_PACKETID && n == 8) {
		memcpy(&c->pkt_id, v, 8);
	}
}

static int add_fate(struct golden *g, const struct golden_fate *f)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 256;
		void *p = realloc(g->fates, cap * sizeof(*g->fates));

		if (!p)
			return -ENOMEM;
		g->fates = p;
		g->cap = cap;
	}
	g->fates[g->n++] = *f;
	return 0;
}

static int add_rec(struct golden *g, __u32 ifid, __u64 pkt_id, const struct golden_fate *f)
{
	if (g->n_recs == g->cap_recs) {
		size_t cap = g->cap_recs ? 2 * g->cap_recs : 256;
		void *p = realloc(g->recs, cap * sizeof(*g->recs));

		if (!p)
			return -ENOMEM;
		g->recs = p;
		g->cap_recs = cap;
	}
	g->recs[g->n_recs++] = (struct golden_rec){ .ifid = ifid, .pkt_id = pkt_id, .f = *f };
	return 0;
}

/* Every block, stages and fates, with its packet id (golden__read_all()). */
static int keep_rec(struct parse *x, const unsigned char *b, __u32 ifid, __u32 pad, __u32 olen,
		    const struct golden_fate *f)
{
	struct epb_ctx c = { .f = *f };

	if (each_opt(b + 28 + pad, olen, epb_opt, &c))
		return -EINVAL;
	return add_rec(x->g, ifid, c.pkt_id, &c.f);
}

static int epb(struct parse *x, const unsigned char *b, __u32 len, size_t off)
{
	struct golden_fate f = { .action = XDP_ACTION_COUNT };
	struct epb_ctx c;
	__u32 ifid, pad;
	int err;

	if (len < 32)
		return bad(x, off, "a packet block too short");
	ifid = rd32(b + 8);
	f.caplen = rd32(b + 20);
	f.len = rd32(b + 24);
	pad = (f.caplen + 3) & ~3U;
	if (f.caplen > len - 32 || pad > len - 32)
		return bad(x, off, "a packet longer than its block");
	if (ifid >= x->n_ifs)
		return bad(x, off, "a packet on an interface the file never described");
	f.data = b + 28;
	if (x->g->all) {
		err = keep_rec(x, b, ifid, pad, len - 32 - pad, &f);
		if (err == -EINVAL)
			return bad(x, off, "a packet's options overrun its block");
		if (err)
			return err;
	}
	if (x->stages && !x->if_exit[ifid])
		return 0; /* a stage on the way, not a fate */
	c = (struct epb_ctx){ .f = f };
	if (each_opt(b + 28 + pad, len - 32 - pad, epb_opt, &c))
		return bad(x, off, "a packet's options overrun its block");
	return add_fate(x->g, &c.f);
}

/* The interfaces first: whether the file is a stages file decides what a fate is. */
static int scan_ifs(struct parse *x, const unsigned char *buf, size_t size)
{
	for (size_t off = 0; off < size;) {
		__u32 type, len;

		if (size - off < 12)
			return bad(x, off, "a block cut short (a cut or damaged file)");
		type = rd32(buf + off);
		len = rd32(buf + off + 4);
		if (len < 12 || len % 4 || len > size - off || rd32(buf + off + len - 4) != len)
			return bad(x, off, "a block of a bad length (a cut or damaged file)");
		if (type == PCAPNG_SHB && (len < 28 || rd32(buf + off + 8) != BYTE_ORDER_MAGIC))
			return bad(x, off, "a section header not in this machine's byte order");
		if (type == PCAPNG_IDB) {
			struct golden_if gi;
			struct idb d = {};

			if (len < 20 || x->n_ifs == MAX_IFS)
				return bad(x, off, "an interface block too short, or too many");
			if (each_opt(buf + off + 16, len - 20, idb_opt, &d))
				return bad(x, off, "an interface's options overrun its block");
			if_kind(&gi, d.name);
			if (x->g->ifs)
				x->g->ifs[x->n_ifs] = gi;
			x->if_exit[x->n_ifs++] = gi.kind == GOLDEN_IF_EXIT;
			x->stages |= gi.kind == GOLDEN_IF_EXIT;
		}
		off += len;
	}
	return 0;
}

static int parse(struct golden *g, unsigned char *buf, size_t size, bool all, char *why,
		 size_t why_size)
{
	struct parse x = { .g = g, .why = why, .why_size = why_size };
	int err;

	memset(g, 0, sizeof(*g));
	g->buf = buf;
	g->size = size;
	g->all = all;
	if (all && !(g->ifs = calloc(MAX_IFS, sizeof(*g->ifs)))) {
		snprintf(why, why_size, "out of memory");
		return -ENOMEM;
	}
	if (size < 28 || rd32(buf) != PCAPNG_SHB) {
		snprintf(why, why_size, "not a pcapng file");
		return -EINVAL;
	}
	if (size % 4) {
		snprintf(why, why_size,
			 "%zu bytes, not whole pcapng blocks (a cut or damaged file)", size);
		return -EINVAL;
	}
	err = scan_ifs(&x, buf, size);
	for (size_t off = 0; !err && off < size; off += rd32(buf + off + 4))
		if (rd32(buf + off) == PCAPNG_EPB)
			err = epb(&x, buf + off, rd32(buf + off + 4), off);
	if (err == -ENOMEM)
		snprintf(why, why_size, "out of memory");
	g->stages = x.stages;
	g->n_ifs = x.n_ifs;
	return err;
}

int golden__parse(struct golden *g, unsigned char *buf, size_t size, char *why, size_t why_size)
{
	return parse(g, buf, size, false, why, why_size);
}

int golden__parse_all(struct golden *g, unsigned char *buf, size_t size, char *why, size_t why_size)
{
	return parse(g, buf, size, true, why, why_size);
}

static int read_file(struct golden *g, const char *path, bool all)
{
	char why[160];
	unsigned char *buf = NULL;
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd, err = 0;

	memset(g, 0, sizeof(*g));
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return err_set(-errno, "cannot read %s: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (unsigned long long)st.st_size > GOLDEN_MAX) {
		err = err_set(-EINVAL, "%s is not a regular file of at most %lu MiB", path,
			      GOLDEN_MAX >> 20);
		goto out;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf) {
		err = err_set(-ENOMEM, "out of memory for %s", path);
		goto out;
	}
	while (got < (size_t)st.st_size && (n = read(fd, buf + got, st.st_size - got)) > 0)
		got += n;
	err = parse(g, buf, got, all, why, sizeof(why));
	if (err)
		err_set(err, "%s: %s; give a file replay -w or capture --all-stages wrote", path,
			why);
out:
	close(fd);
	if (err) {
		g->buf = buf;
		golden__free(g);
	}
	return err;
}

int golden__read(struct golden *g, const char *path)
{
	return read_file(g, path, false);
}

int golden__read_all(struct golden *g, const char *path)
{
	return read_file(g, path, true);
}

void golden__free(struct golden *g)
{
	free(g->fates);
	free(g->recs);
	free(g->ifs);
	free(g->buf);
	memset(g, 0, sizeof(*g));
}

#define ETH_HLEN 14
#define VLAN_HLEN 4

static const char *proto_name(__u8 p)
{
	return p == 6 ? "tcp" : p == 17 ? "udp" : p == 1 ? "icmp" : p == 58 ? "icmp6" : NULL;
}

/* "udp A.PORT > B.PORT" (ports for tcp and udp), or "proto N A > B". */
static void describe_l4(char *buf, size_t size, __u8 proto, const char *src, const char *dst,
			const unsigned char *l4, long l4_len)
{
	const char *name = proto_name(proto);

	if ((proto == 6 || proto == 17) && l4_len >= 4)
		snprintf(buf, size, "%s %s.%u > %s.%u", name, src, l4[0] << 8 | l4[1], dst,
			 l4[2] << 8 | l4[3]);
	else if (name)
		snprintf(buf, size, "%s %s > %s", name, src, dst);
	else
		snprintf(buf, size, "proto %u %s > %s", proto, src, dst);
}

const char *golden__describe(const unsigned char *pkt, __u32 len, char *buf, size_t size)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	__u32 off = 12;
	__u16 type;

	snprintf(buf, size, "%u bytes", len);
	if (len < ETH_HLEN)
		return buf;
	type = pkt[off] << 8 | pkt[off + 1];
	/* up to two VLAN tags, as a QinQ frame has */
	for (int i = 0; i < 2 && (type == 0x8100 || type == 0x88a8) && off + 6 <= len; i++) {
		off += VLAN_HLEN;
		type = pkt[off] << 8 | pkt[off + 1];
	}
	off += 2;
	if (type == 0x0800 && off + 20 <= len && (pkt[off] & 0xf) >= 5) {
		__u32 ihl = (pkt[off] & 0xf) * 4;

		inet_ntop(AF_INET, pkt + off + 12, src, sizeof(src));
		inet_ntop(AF_INET, pkt + off + 16, dst, sizeof(dst));
		describe_l4(buf, size, pkt[off + 9], src, dst, pkt + off + ihl,
			    (long)len - off - ihl);
	} else if (type == 0x86dd && off + 40 <= len) {
		inet_ntop(AF_INET6, pkt + off + 8, src, sizeof(src));
		inet_ntop(AF_INET6, pkt + off + 24, dst, sizeof(dst));
		describe_l4(buf, size, pkt[off + 6], src, dst, pkt + off + 40,
			    (long)len - off - 40);
	} else {
		snprintf(buf, size, "ethertype 0x%04x, %u bytes", type, len);
	}
	return buf;
}

/* "drop by fw" or "pass after the chain" */
static void fate_words(char *buf, size_t size, __u32 action, const char *stage)
{
	if (action >= XDP_ACTION_COUNT)
		snprintf(buf, size, "no verdict");
	else if (*stage)
		snprintf(buf, size, "%s by %s", action_name(action), stage);
	else
		snprintf(buf, size, "%s after the chain", action_name(action));
}

void golden__fate_of(const struct replay *r, const struct replay_pkt *p, __u32 cut,
		     struct golden_fate *f)
{
	memset(f, 0, sizeof(*f));
	f->action = p->action;
	if (p->member != REPLAY_END)
		snprintf(f->stage, sizeof(f->stage), "%s", r->m[p->member].name);
	f->caplen = p->len;
	f->len = p->len + cut;
	f->data = p->data;
}

bool golden__fate_differs(size_t k, const char *desc, const struct golden_fate *was,
			  const struct golden_fate *now, char *line, size_t size)
{
	char w[PROG_NAME_MAX + 32], n[PROG_NAME_MAX + 32];

	fate_words(w, sizeof(w), was->action, was->stage);
	fate_words(n, sizeof(n), now->action, now->stage);
	if (was->action != now->action || strcmp(was->stage, now->stage)) {
		snprintf(line, size, "packet %zu (%s): was %s, now %s", k, desc, w, n);
		return true;
	}
	if (was->caplen != now->caplen || was->len != now->len ||
	    memcmp(was->data, now->data, now->caplen)) {
		snprintf(
			line, size,
			"packet %zu (%s): %s both times, but its bytes at the fate differ (was %u bytes, now %u)",
			k, desc, n, was->len, now->len);
		return true;
	}
	return false;
}

bool golden__differs(const struct golden *g, size_t k, const struct replay *r,
		     const struct replay_pkt *p, const unsigned char *entry, __u32 entry_len,
		     __u32 cut, char *line, size_t size)
{
	char desc[128], now_words[PROG_NAME_MAX + 32];
	struct golden_fate now;

	golden__describe(entry, entry_len, desc, sizeof(desc));
	golden__fate_of(r, p, cut, &now);
	if (k < 1 || k > g->n) {
		fate_words(now_words, sizeof(now_words), now.action, now.stage);
		snprintf(line, size, "packet %zu (%s): was not in the expected file, now %s", k,
			 desc, now_words);
		return true;
	}
	return golden__fate_differs(k, desc, &g->fates[k - 1], &now, line, size);
}
