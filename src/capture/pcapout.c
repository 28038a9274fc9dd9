// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* pcap's struct bpf_insn would clash with linux/bpf.h's: not needed here */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>
#include <pcap/dlt.h>

#include "log.h"
#include "pcaplib.h"
#include "pcapout.h"
#include "xdp_action.h"

#define PCAPNG_SHB 0x0A0D0D0A
#define PCAPNG_IDB 0x00000001
#define PCAPNG_EPB 0x00000006
#define PCAPNG_BOM 0x1A2B3C4D
#define OPT_END 0
#define OPT_COMMENT 1
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_TSRESOL 9
#define OPT_EPB_FLAGS 2
#define EPB_FLAG_INBOUND 1
#define OPT_EPB_PACKETID 5
#define OPT_EPB_VERDICT 7 /* a type octet, then the verdict */
#define VERDICT_TYPE_EBPF_XDP 2 /* followed by the XDP action as a u64 */
#define LINKTYPE_ETHERNET 1
#define PCAP_RECORD_HDR 16 /* libpcap's struct pcap_sf_pkthdr */
/*
 * stdio's buffer: a flood's packets leave in few large writes (stdio's
 * default is one 4 KiB write per ~50 small packets); a flush still pushes
 * each batch out as soon as it is read.
 */
#define OUT_BUFFER (1 << 20)
#define STAGE_SLOTS 32 /* interfaces whose stage comments are kept made */
#define COMMENT_SLOTS (XDP_ACTION_COUNT + STAGE_SLOTS)

struct pcap_out {
	bool pcapng;
	bool to_stdout;
	bool regular; /* a regular file: its position says what was written */
	off_t base; /* its position before the header */
	pcap_t *dead;
	pcap_dumper_t *dumper;
	FILE *f; /* the output; pcap's dumper writes to it too */
	int err; /* the first write error; nothing is written after it */
	__u64 offset; /* bytes handed to stdio, headers included */
	__u64 in_file; /* packets surely in the file */
	__u64 *ends; /* where each packet not yet flushed ends (offset) */
	size_t n_ends, cap_ends;
	char *iobuf; /* stdio's buffer for f */
	char *buf; /* one pcapng block */
	size_t cap;
	__u32 snaplen;
	__u32 n_ifs; /* interface blocks written */
	/*
	 * per action, and without one per interface (an all-stages file's
	 * stages each have theirs): the comment, made again when the stage
	 * changes
	 */
	char comment[COMMENT_SLOTS][96];
	int comment_len[COMMENT_SLOTS];
	char comment_stage[COMMENT_SLOTS][96]; /* the stage it names ("" for NULL) */
	char note[160]; /* pcapout__note(): a second comment on each packet */
	int note_len;
	char comment_what[192]; /* one packet's, naming where it went */
};

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* Appends an option (code, length, value padded to 4) at *off in o->buf. */
static void put_opt(char *buf, size_t *off, __u16 code, const void *val, __u16 len)
{
	memcpy(buf + *off, &code, 2);
	memcpy(buf + *off + 2, &len, 2);
	memset(buf + *off + 4, 0, pad4(len));
	if (len)
		memcpy(buf + *off + 4, val, len);
	*off += 4 + pad4(len);
}

static int ensure(struct pcap_out *o, size_t need)
{
	char *b;

	if (need <= o->cap)
		return 0;
	b = realloc(o->buf, need);
	if (!b)
		return -ENOMEM;
	o->buf = b;
	o->cap = need;
	return 0;
}

/*
 * Records the first write error: nothing is written after it. Of the
 * packets since the last good flush, a regular file holds those that end
 * before its position, where the last write that worked stopped.
 */
static int failed(struct pcap_out *o, int err)
{
	off_t pos;

	if (o->err)
		return o->err;
	o->err = err < 0 ? err : -EIO;
	pos = o->regular ? lseek(fileno(o->f), 0, SEEK_CUR) - o->base : -1;
	for (size_t i = 0; pos >= 0 && i < o->n_ends && o->ends[i] <= (__u64)pos; i++)
		o->in_file++;
	o->n_ends = 0;
	return o->err;
}

/* A packet's bytes went to stdio: remember where it ends. */
static int packet_done(struct pcap_out *o)
{
	/* a writer nobody flushes (a benchmark) still keeps a short list */
	if (o->n_ends >= 4096 && pcapout__flush(o))
		return o->err;
	if (o->n_ends == o->cap_ends) {
		size_t cap = o->cap_ends ? 2 * o->cap_ends : 256;
		__u64 *e = reallocarray(o->ends, cap, sizeof(*e));

		if (!e)
			return failed(o, -ENOMEM);
		o->ends = e;
		o->cap_ends = cap;
	}
	o->ends[o->n_ends++] = o->offset;
	return 0;
}

/* Fills type and both lengths of the block in o->buf[0..body) and writes it. */
static int write_block(struct pcap_out *o, __u32 type, size_t body)
{
	__u32 total = body + 4;

	memcpy(o->buf, &type, 4);
	memcpy(o->buf + 4, &total, 4);
	memcpy(o->buf + body, &total, 4);
	errno = 0;
	if (fwrite(o->buf, 1, total, o->f) != total)
		return failed(o, -errno);
	o->offset += total;
	return 0;
}

static int pcapng_header(struct pcap_out *o, __u32 snaplen, const char *ifname)
{
	const char *appl = "xdpchain " XDPCHAIN_VERSION;
	__u32 bom = PCAPNG_BOM;
	__u16 ver[2] = { 1, 0 };
	__s64 seclen = -1;
	size_t off;
	int err;

	err = ensure(o, 256 + strlen(ifname));
	if (err)
		return err;
	off = 8;
	memcpy(o->buf + off, &bom, 4);
	memcpy(o->buf + off + 4, ver, 4);
	memcpy(o->buf + off + 8, &seclen, 8);
	off += 16;
	put_opt(o->buf, &off, OPT_SHB_USERAPPL, appl, strlen(appl));
	put_opt(o->buf, &off, OPT_END, NULL, 0);
	err = write_block(o, PCAPNG_SHB, off);
	if (err)
		return err;
	o->snaplen = snaplen;
	return pcapout__add_interface(o, ifname);
}

int pcapout__add_interface(struct pcap_out *o, const char *name)
{
	__u16 lt[2] = { LINKTYPE_ETHERNET, 0 };
	__u8 tsresol = 9; /* nanoseconds */
	size_t off, len = strnlen(name, 256);
	int err;

	if (o->err)
		return o->err;
	if (!o->pcapng)
		return 0; /* pcap has one interface, unnamed */
	err = ensure(o, 64 + pad4(len));
	if (err)
		return failed(o, err);
	off = 8;
	memcpy(o->buf + off, lt, 4);
	memcpy(o->buf + off + 4, &o->snaplen, 4);
	off += 8;
	put_opt(o->buf, &off, OPT_IF_NAME, name, len);
	put_opt(o->buf, &off, OPT_IF_TSRESOL, &tsresol, 1);
	put_opt(o->buf, &off, OPT_END, NULL, 0);
	err = write_block(o, PCAPNG_IDB, off);
	return err ? err : (int)o->n_ifs++;
}

int pcapout__flush(struct pcap_out *o)
{
	if (o->err)
		return o->err;
	errno = 0;
	if (fflush(o->f))
		return failed(o, -errno);
	o->in_file += o->n_ends;
	o->n_ends = 0;
	return 0;
}

/*
 * Whether root writing into @st, found in the directory @dir, could write
 * where another user reads: in a directory others can write to (sticky or
 * not), a file or FIFO someone else owns, as fs.protected_regular and
 * fs.protected_fifos judge it, or a regular file with more than one name
 * (a hard link someone made to a file of root's).
 */
static bool foreign_entry(const struct stat *st, const struct stat *dir)
{
	return (dir->st_mode & (S_ISVTX | S_IWGRP | S_IWOTH)) &&
	       (st->st_uid != geteuid() || (S_ISREG(st->st_mode) && st->st_nlink > 1));
}

static int refuse_foreign(const char *path, const struct stat *st)
{
	if (st->st_uid == geteuid())
		return err_set(
			-EPERM,
			"-w %s has %lu hard links in a directory others can write to: emptying it would empty another file; remove it first or choose another path",
			path, (unsigned long)st->st_nlink);
	return err_set(
		-EPERM,
		"-w %s belongs to uid %u in a directory others can write to: root would write the packets where that user reads them; remove it first or choose another path",
		path, (unsigned)st->st_uid);
}

/* The directory of @path (a copy in @buf), opened for lookups only; @base gets the last component. */
static int open_parent(const char *path, char *buf, size_t size, const char **base)
{
	char *slash;
	int fd;

	if (snprintf(buf, size, "%s", path) >= (int)size)
		return err_set(-ENAMETOOLONG, "-w %s: the path is too long", path);
	slash = strrchr(buf, '/');
	if (!slash) {
		*base = path;
		fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	} else {
		*base = path + (slash - buf) + 1;
		slash[slash == buf] = '\0'; /* "/x": the root stays "/" */
		fd = open(buf, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0)
		return err_set(-errno, "cannot write %s: %s; choose a writable -w path", path,
			       strerror(errno));
	return fd;
}

/*
 * Opens @base in @dirfd for writing, not following a symbolic link and not
 * blocking on a FIFO without a reader (an attacker's FIFO must not hang the
 * capture before it is refused); a FIFO of our own then waits for its
 * reader as a plain open would. Nothing is truncated yet.
 */
static int open_entry(int dirfd, const char *base, const struct stat *before)
{
	int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(dirfd, base, flags | O_NONBLOCK, 0600);

	if (fd < 0 && errno == ENXIO && before && S_ISFIFO(before->st_mode))
		fd = openat(dirfd, base, flags, 0600);
	if (fd < 0)
		return -errno;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Empties a regular file only now that it is known to be ours, and wraps @fd. */
static int finish_output(int fd, const char *path, const struct stat *st, FILE **f, bool *regular)
{
	if (S_ISREG(st->st_mode) && ftruncate(fd, 0))
		return err_set(-errno, "cannot empty %s: %s; choose a writable -w path", path,
			       strerror(errno));
	*regular = S_ISREG(st->st_mode);
	*f = fdopen(fd, "wb");
	if (!*f)
		return err_set(-errno, "cannot write %s: %s", path, strerror(errno));
	return 0;
}

/*
 * Creates (mode 0600, as dumpcap) or empties @path for writing, as root
 * might: a symbolic link is never followed (it could lead into another
 * user's file), a file or FIFO another user owns in a directory others can
 * write to is refused before a byte is written, and only a regular file,
 * a pipe or a character device (/dev/null, /dev/full, a terminal) is
 * written to. What is checked is what was opened (fstat), not the name.
 */
static int open_output(const char *path, FILE **f, bool *regular)
{
	struct stat st, dir;
	char buf[PATH_MAX];
	const char *base = NULL;
	bool exists;
	int dirfd, fd = -1, err;

	dirfd = open_parent(path, buf, sizeof(buf), &base);
	if (dirfd < 0)
		return dirfd;
	if (!*base)
		base = "."; /* "dir/": a directory, refused below */
	if (fstat(dirfd, &dir)) {
		err = err_set(-errno, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	exists = !fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW);
	if (exists && S_ISLNK(st.st_mode)) {
		err = -ELOOP;
		goto link;
	}
	if (exists && foreign_entry(&st, &dir)) {
		err = refuse_foreign(path, &st);
		goto out;
	}
	fd = open_entry(dirfd, base, exists ? &st : NULL);
	if (fd == -ELOOP) {
		err = fd;
		goto link;
	}
	if (fd < 0) {
		err = err_set(fd, "cannot write %s: %s; choose a writable -w path", path,
			      strerror(-fd));
		goto out;
	}
	if (fstat(fd, &st)) {
		err = err_set(-errno, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) {
		err = err_set(
			-EINVAL,
			"-w %s is neither a regular file nor a pipe nor a character device; choose a file path",
			path);
		goto out;
	}
	/* what was opened may have replaced what fstatat() saw */
	if (foreign_entry(&st, &dir)) {
		err = refuse_foreign(path, &st);
		goto out;
	}
	err = finish_output(fd, path, &st, f, regular);
	if (!err)
		fd = -1; /* the FILE has it */
	goto out;
link:
	err = err_set(
		err,
		"-w %s is a symbolic link; refusing to follow it (it may lead into another user's file): give the path it points to",
		path);
out:
	if (fd >= 0)
		close(fd);
	close(dirfd);
	return err;
}

int pcapout__open(struct pcap_out **out, const char *path, bool pcapng, __u32 snaplen,
		  const char *ifname)
{
	/* libpcap writes the pcap file header; missing, nothing is opened */
	const struct pcaplib *pcap = pcapng ? NULL : pcaplib();
	struct pcap_out *o;
	int err = 0;

	if (!pcapng && !pcap)
		return -ENOENT; /* err_last() says why */
	o = calloc(1, sizeof(*o));
	if (!o)
		return err_set(-ENOMEM, "out of memory");
	o->pcapng = pcapng;
	o->to_stdout = !strcmp(path, "-");
	if (o->to_stdout) {
		struct stat st;

		o->f = stdout;
		o->regular = !fstat(STDOUT_FILENO, &st) && S_ISREG(st.st_mode);
	} else {
		err = open_output(path, &o->f, &o->regular);
		if (err)
			goto err;
	}
	/* before any output on the stream, as setvbuf() wants; one thread writes */
	o->iobuf = malloc(OUT_BUFFER);
	if (o->iobuf)
		setvbuf(o->f, o->iobuf, _IOFBF, OUT_BUFFER);
	__fsetlocking(o->f, FSETLOCKING_BYCALLER);
	if (o->regular)
		o->base = lseek(fileno(o->f), 0, SEEK_CUR);
	if (o->base < 0)
		o->regular = false;
	if (pcapng) {
		err = pcapng_header(o, snaplen, ifname ? ifname : "xdp");
		if (err)
			goto err_write;
	} else {
		o->dead = pcap->open_dead(DLT_EN10MB, snaplen);
		if (!o->dead) {
			err = err_set(-ENOMEM, "libpcap cannot open a dead handle");
			goto err;
		}
		o->dumper = pcap->dump_fopen(o->dead, o->f);
		if (!o->dumper) {
			/* for Ethernet only the header can fail: libpcap then closed f */
			if (o->f != stdout)
				o->f = NULL;
			err = err_set(-EIO, "cannot write %s: %s", path, pcap->geterr(o->dead));
			goto err;
		}
		o->offset = sizeof(struct pcap_file_header);
	}
	/* a file that cannot take the header says so now */
	err = pcapout__flush(o);
	if (err)
		goto err_write;
	*out = o;
	return 0;
err_write:
	err = err_set(err, "writing %s failed: %s; 0 packets reached it",
		      o->to_stdout ? "standard output" : path, strerror(-err));
err:
	pcapout__close(o, NULL);
	return err;
}

int pcapout__write(struct pcap_out *o, __u64 ts_ns, const void *data, __u32 caplen, __u32 len,
		   __u32 action, const char *stage)
{
	return pcapout__write_on(o, 0, 0, ts_ns, data, caplen, len, action, stage);
}

int pcapout__write_on(struct pcap_out *o, __u32 ifid, __u64 pkt_id, __u64 ts_ns, const void *data,
		      __u32 caplen, __u32 len, __u32 action, const char *stage)
{
	return pcapout__write_fate(o, ifid, pkt_id, ts_ns, data, caplen, len, action, NULL, stage);
}

/*
 * The packet's comment: per action, made again only when the stage changes;
 * with @what (where a redirect went) made for the packet alone.
 */
static const char *comment(struct pcap_out *o, __u32 a, __u32 action, const char *what,
			   const char *stage, int *len)
{
	bool verdict = action != PCAPOUT_NO_ACTION;
	int n;

	if (verdict && what) {
		n = snprintf(o->comment_what, sizeof(o->comment_what), "xdp action: %s; stage: %s",
			     what, stage ? stage : "after the chain");
		*len = n < (int)sizeof(o->comment_what) ? n : (int)sizeof(o->comment_what) - 1;
		return o->comment_what;
	}
	/* by content: callers may reuse one buffer for several stages */
	if (!o->comment_len[a] || strcmp(o->comment_stage[a], stage ? stage : "")) {
		if (verdict)
			n = snprintf(o->comment[a], sizeof(o->comment[a]),
				     "xdp action: %s; stage: %s", action_name(action),
				     stage ? stage : "after the chain");
		else
			n = snprintf(o->comment[a], sizeof(o->comment[a]), "stage: %s",
				     stage ? stage : "entry");
		o->comment_len[a] = n < (int)sizeof(o->comment[a]) ? n :
								     (int)sizeof(o->comment[a]) - 1;
		snprintf(o->comment_stage[a], sizeof(o->comment_stage[a]), "%s",
			 stage ? stage : "");
	}
	*len = o->comment_len[a];
	return o->comment[a];
}

int pcapout__write_fate(struct pcap_out *o, __u32 ifid, __u64 pkt_id, __u64 ts_ns, const void *data,
			__u32 caplen, __u32 len, __u32 action, const char *what, const char *stage)
{
	if (o->err)
		return o->err;
	if (!o->pcapng) {
		/*
		 * libpcap's record header (struct pcap_sf_pkthdr), written here
		 * as pcap_dump() would: two unlocked copies into stdio's large
		 * buffer instead of a library call and two locked fwrite()s.
		 */
		__u32 h[4] = { ts_ns / 1000000000ULL, (ts_ns % 1000000000ULL) / 1000, caplen, len };

		errno = 0;
		if (fwrite_unlocked(h, sizeof(h), 1, o->f) != 1 ||
		    (caplen && fwrite_unlocked(data, caplen, 1, o->f) != 1))
			return failed(o, -errno);
		o->offset += PCAP_RECORD_HDR + caplen;
		return packet_done(o);
	}

	__u32 hdr[5] = { ifid, (__u32)(ts_ns >> 32), (__u32)ts_ns, caplen, len };
	bool verdict = action != PCAPOUT_NO_ACTION;
	__u32 flags = EPB_FLAG_INBOUND;
	__u32 a = verdict ? (action < XDP_ACTION_COUNT ? action : 0) :
			    XDP_ACTION_COUNT + (ifid < STAGE_SLOTS ? ifid : 0);
	const char *text;
	size_t off;
	int n, err;

	text = comment(o, a, action, what, stage, &n);
	err = ensure(o, 8 + sizeof(hdr) + pad4(caplen) + 4 + pad4(n) + 4 + pad4(o->note_len) + 8 +
				16 + 12 + 4 + 4);
	if (err)
		return failed(o, err);
	off = 8;
	memcpy(o->buf + off, hdr, sizeof(hdr));
	off += sizeof(hdr);
	memcpy(o->buf + off, data, caplen);
	memset(o->buf + off + caplen, 0, pad4(caplen) - caplen);
	off += pad4(caplen);
	put_opt(o->buf, &off, OPT_COMMENT, text, n);
	if (o->note_len)
		put_opt(o->buf, &off, OPT_COMMENT, o->note, o->note_len);
	put_opt(o->buf, &off, OPT_EPB_FLAGS, &flags, 4);
	if (pkt_id)
		put_opt(o->buf, &off, OPT_EPB_PACKETID, &pkt_id, sizeof(pkt_id));
	if (verdict) {
		/* the standard field Wireshark filters as frame.verdict.ebpf_xdp */
		__u8 v[9] = { VERDICT_TYPE_EBPF_XDP };
		__u64 act = action;

		memcpy(v + 1, &act, sizeof(act));
		put_opt(o->buf, &off, OPT_EPB_VERDICT, v, sizeof(v));
	}
	put_opt(o->buf, &off, OPT_END, NULL, 0);
	err = write_block(o, PCAPNG_EPB, off);
	return err ? err : packet_done(o);
}

void pcapout__note(struct pcap_out *o, const char *note)
{
	int n = note ? snprintf(o->note, sizeof(o->note), "%s", note) : 0;

	o->note_len = n < (int)sizeof(o->note) ? n : (int)sizeof(o->note) - 1;
}

int pcapout__close(struct pcap_out *o, __u64 *in_file)
{
	int err = 0;

	if (!o)
		return 0;
	if (o->f) {
		err = pcapout__flush(o);
		/* after an error, what stdio still holds would land after a gap */
		if (err)
			__fpurge(o->f);
	}
	/*
	 * The dumper is the FILE we gave pcap_dump_fopen(): libpcap's
	 * pcap_dump_close() only fcloses it, without a word on failure, so we
	 * close it ourselves. stdout stays open, flushed.
	 */
	if (o->f && o->f != stdout && fclose(o->f) && !err)
		err = -errno;
	if (in_file)
		*in_file = o->in_file;
	if (o->dead)
		pcaplib()->close(o->dead); /* loaded: it opened o->dead */
	/* stdout must not keep the buffer freed here: it is flushed, so unbuffered from now */
	if (o->f == stdout && o->iobuf)
		setvbuf(stdout, NULL, _IONBF, 0);
	free(o->iobuf);
	free(o->ends);
	free(o->buf);
	free(o);
	return err;
}
