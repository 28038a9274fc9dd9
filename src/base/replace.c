// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <stdint.h>
#include <sys/random.h>
#include <unistd.h>

#include "log.h"
#include "replace.h"

#define TMP_TRIES 16

/* Opens @path's directory for lookups and sets r->base. */
static int open_dir(struct replace *r)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(r->path, '/');
	size_t len;

	r->base = slash ? slash + 1 : r->path;
	if (!*r->base || !strcmp(r->base, ".") || !strcmp(r->base, ".."))
		return err_set(-EISDIR, "-o %s names a directory; give a file name in it", r->path);
	len = !slash ? 1 : slash == r->path ? 1 : (size_t)(slash - r->path);
	if (len >= sizeof(dir))
		return err_set(-ENAMETOOLONG, "-o %s: the path is too long", r->path);
	memcpy(dir, !slash ? "." : r->path, len);
	dir[len] = '\0';
	r->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r->dirfd < 0)
		return err_set(
			-errno,
			"cannot write %s: %s: %s; create the directory or choose another -o path",
			r->path, dir, strerror(errno));
	return 0;
}

/* What is at the path and its directory allow a replacement. */
static int check_target(const struct replace *r)
{
	struct stat st;

	if (fstat(r->dirfd, &st))
		return err_set(-errno, "cannot write %s: %s", r->path, strerror(errno));
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
		return err_set(
			-EPERM,
			"-o %s: its directory is writable by everyone without the sticky bit, so anyone could replace the file; 'chmod o-w' or 'chmod +t' the directory, or choose another",
			r->path);
	if (fstatat(r->dirfd, r->base, &st, AT_SYMLINK_NOFOLLOW)) {
		if (errno == ENOENT)
			return 0;
		return err_set(-errno, "cannot write %s: %s", r->path, strerror(errno));
	}
	if (S_ISLNK(st.st_mode))
		return err_set(
			-ELOOP,
			"-o %s is a symbolic link; refusing to replace it (it may lead into another user's file): remove it or give the path it points to",
			r->path);
	if (!S_ISREG(st.st_mode))
		return err_set(-EINVAL, "-o %s is not a regular file; choose a file path", r->path);
	return 0;
}

/* A temporary file of a random name, created by us alone: never a link's target. */
static int create_tmp(struct replace *r)
{
	struct stat st;
	uint32_t rnd;
	int fd = -1;

	if (strlen(r->base) + 10 > NAME_MAX)
		return err_set(-ENAMETOOLONG, "-o %s: the file name is too long", r->path);
	for (int i = 0; i < TMP_TRIES && fd < 0; i++) {
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			return err_set(-errno, "no random numbers: %s", strerror(errno));
		/* node_exporter reads *.prom only: this name is never read */
		snprintf(r->tmp, sizeof(r->tmp), ".%s.%08x", r->base, rnd);
		fd = openat(r->dirfd, r->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0644);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0)
		return err_set(-errno, "cannot create a temporary file beside %s: %s", r->path,
			       strerror(errno));
	if (fstat(fd, &st) || !(r->f = fdopen(fd, "w"))) {
		int err = -errno;

		close(fd);
		unlinkat(r->dirfd, r->tmp, 0); /* created O_EXCL a moment ago */
		return err_set(err, "cannot write a temporary file beside %s: %s", r->path,
			       strerror(-err));
	}
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	return 0;
}

int replace__open(struct replace *r, const char *path)
{
	int err;

	memset(r, 0, sizeof(*r));
	r->path = path;
	r->dirfd = -1;
	err = open_dir(r);
	if (!err)
		err = check_target(r);
	if (!err)
		err = create_tmp(r);
	if (err && r->dirfd >= 0) {
		close(r->dirfd);
		r->dirfd = -1;
	}
	return err;
}

void replace__abort(struct replace *r)
{
	struct stat st;

	if (r->f)
		fclose(r->f);
	r->f = NULL;
	/* only our own file: whoever controls the directory may have swapped the name */
	if (r->dirfd >= 0 && r->tmp[0] && !fstatat(r->dirfd, r->tmp, &st, AT_SYMLINK_NOFOLLOW) &&
	    st.st_dev == r->dev && st.st_ino == r->ino)
		unlinkat(r->dirfd, r->tmp, 0);
	if (r->dirfd >= 0)
		close(r->dirfd);
	r->dirfd = -1;
}

int replace__commit(struct replace *r)
{
	int err = 0;

	errno = 0;
	if (fflush(r->f) || ferror(r->f) || fsync(fileno(r->f)))
		err = -(errno ? errno : EIO);
	if (fclose(r->f) && !err)
		err = -(errno ? errno : EIO);
	r->f = NULL;
	if (err) {
		err_set(err, "writing %s failed: %s; it was left as it was", r->path,
			strerror(-err));
		replace__abort(r);
		return err;
	}
	if (renameat(r->dirfd, r->tmp, r->dirfd, r->base)) {
		err = err_set(-errno, "cannot replace %s: %s; it was left as it was", r->path,
			      strerror(errno));
		replace__abort(r);
		return err;
	}
	close(r->dirfd);
	r->dirfd = -1;
	return 0;
}
