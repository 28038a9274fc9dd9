// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Object files read once, safely (objfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "log.h"
#include "objfile.h"

_Static_assert(SHA256_LEN == SHA256_DIGEST_SIZE, "nettle's digest size");

void sha256_buf(const void *data, size_t size, __u8 out[SHA256_LEN])
{
	struct sha256_ctx ctx;

	sha256_init(&ctx);
	sha256_update(&ctx, size, data);
	sha256_digest(&ctx, SHA256_LEN, out);
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
	sha256_buf(f->data, f->size, f->sha256);
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
