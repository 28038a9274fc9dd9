// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Object files read once, safely (objfile.h). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "dynlib.h"
#include "log.h"
#include "objfile.h"

_Static_assert(SHA256_LEN == SHA256_DIGEST_SIZE, "nettle's digest size");

/* Debian's libnettle8 (bookworm; libnettle8t64 in trixie, the same soname). */
#define NETTLE_SONAME "libnettle.so.8"

/* nettle's SHA-256, where objects are hashed (add, apply, replay) */
struct nettle_sha256 {
	void (*init)(struct sha256_ctx *ctx);
	void (*update)(struct sha256_ctx *ctx, size_t length, const uint8_t *data);
	void (*digest)(struct sha256_ctx *ctx, size_t length, uint8_t *digest);
};

int sha256_buf(const void *data, size_t size, __u8 out[SHA256_LEN])
{
	static const struct dynlib_sym syms[] = {
		{ "nettle_sha256_init", offsetof(struct nettle_sha256, init) },
		{ "nettle_sha256_update", offsetof(struct nettle_sha256, update) },
		{ "nettle_sha256_digest", offsetof(struct nettle_sha256, digest) },
	};
	static struct dynlib d = { .soname = NETTLE_SONAME,
				   .lib = "nettle",
				   .pkg = "libnettle8",
				   .syms = syms,
				   .n_syms = sizeof(syms) / sizeof(syms[0]) };
	static struct nettle_sha256 lib;
	struct sha256_ctx ctx;
	int err;

	err = dynlib__load(&d, &lib, sizeof(lib));
	if (err)
		return err;
	lib.init(&ctx);
	lib.update(&ctx, size, data);
	lib.digest(&ctx, SHA256_LEN, out);
	return 0;
}

static const char *kind_of(mode_t m)
{
	return S_ISFIFO(m) ? "a FIFO" :
	       S_ISCHR(m)  ? "a character device" :
	       S_ISBLK(m)  ? "a block device" :
	       S_ISDIR(m)  ? "a directory" :
	       S_ISSOCK(m) ? "a socket" :
			     "not a regular file";
}

/* Reads @size bytes of @fd (fewer if it shrank meanwhile) into f->data. */
static int read_all(int fd, struct objfile *f, size_t size)
{
	size_t got = 0;
	ssize_t n;

	f->data = malloc(size ? size : 1);
	if (!f->data)
		return -ENOMEM;
	while (got < size) {
		n = read(fd, (char *)f->data + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			break;
		got += n;
	}
	f->size = got;
	return 0;
}

int objfile__read(struct objfile *f, const char *file, const char *where)
{
	const char *w = where ? where : "", *sep = where ? ": " : "";
	struct stat st;
	int fd, err;

	memset(f, 0, sizeof(*f));
	if (!realpath(file, f->path))
		return err_set(-errno, "%s%scannot read %s: %s; fix the path", w, sep, file,
			       strerror(errno));
	/* never blocks (a FIFO), never takes a terminal, never follows a late link */
	fd = open(f->path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_set(-errno, "%s%scannot read %s: %s; fix the path", w, sep, file,
			       strerror(errno));
	if (fstat(fd, &st)) {
		err = err_set(-errno, "%s%scannot read %s: %s", w, sep, file, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = err_set(
			-EINVAL,
			"%s%s%s is %s, not a regular file; name the BPF object file (clang -target bpf -c prog.bpf.c -o prog.o)",
			w, sep, file, kind_of(st.st_mode));
		goto out;
	}
	if ((unsigned long long)st.st_size > OBJFILE_MAX) {
		err = err_set(
			-EFBIG,
			"%s%s%s is %lld bytes, more than the %lu MiB xdpchain reads from an object; is it the BPF object file?",
			w, sep, file, (long long)st.st_size, OBJFILE_MAX >> 20);
		goto out;
	}
	err = read_all(fd, f, st.st_size);
	if (err) {
		err_set(err, "%s%scannot read %s: %s", w, sep, file, strerror(-err));
		goto out;
	}
	err = sha256_buf(f->data, f->size, f->sha256);
out:
	close(fd);
	if (err)
		objfile__free(f);
	return err;
}

void objfile__free(struct objfile *f)
{
	free(f->data);
	f->data = NULL;
	f->size = 0;
}
