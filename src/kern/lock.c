// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"

#define CHAIN_LOCK "chain.lock"

static const char *kind_of(mode_t mode)
{
	if (S_ISLNK(mode))
		return "a symlink";
	if (S_ISREG(mode))
		return "a file";
	if (S_ISDIR(mode))
		return "a directory";
	return "a special file";
}

int root_dir__check(const char *path, const struct stat *st, bool sticky_ok)
{
	if (!S_ISDIR(st->st_mode))
		return err_set(-ENOTDIR, "%s is %s, not a directory: remove it ('rm %s') and retry",
			       path, kind_of(st->st_mode), path);
	if (st->st_uid != 0)
		return err_set(-EPERM,
			       "%s is owned by uid %u, not root: remove it ('rm -r %s') and retry",
			       path, (unsigned int)st->st_uid, path);
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(sticky_ok && (st->st_mode & S_ISVTX)))
		return err_set(
			-EPERM,
			"%s is writable by group or others (mode %04o): remove it ('rm -r %s') and retry",
			path, (unsigned int)(st->st_mode & 07777), path);
	return 0;
}

int lock__dir_open(void)
{
	struct stat st;
	int fd, err;

	if (mkdir(LOCK_DIR, 0700) && errno != EEXIST)
		return err_set(-errno, "cannot create %s: %s; xdpchain keeps its locks there",
			       LOCK_DIR, strerror(errno));
	fd = open(LOCK_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		/* a symlink (ELOOP or ENOTDIR) or no directory at all */
		if (!lstat(LOCK_DIR, &st) && (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode)))
			return root_dir__check(LOCK_DIR, &st, false);
		return err_set(err, "cannot open %s: %s", LOCK_DIR, strerror(-err));
	}
	if (fstat(fd, &st)) {
		err = err_set(-errno, "cannot stat %s: %s", LOCK_DIR, strerror(errno));
		goto fail;
	}
	if (st.st_uid != 0) {
		err = root_dir__check(LOCK_DIR, &st, false);
		goto fail;
	}
	/* ours: older versions made it 0755, mkdir() obeys the umask */
	if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700)) {
		err = err_set(-errno, "cannot make %s mode 0700: %s", LOCK_DIR, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return err;
}

int lock__open(const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	int dir, fd, err;

	snprintf(path, sizeof(path), "%s/%s", LOCK_DIR, name);
	dir = lock__dir_open();
	if (dir < 0)
		return dir;
	fd = openat(dir, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
	err = fd < 0 ? -errno : 0;
	close(dir);
	if (err == -ELOOP)
		return err_set(err,
			       "%s is a symlink, not a lock file: remove it ('rm %s') and retry",
			       path, path);
	if (err == -EISDIR)
		return err_set(
			err, "%s is a directory, not a lock file: remove it ('rm -r %s') and retry",
			path, path);
	if (err)
		return err_set(err, "cannot open %s: %s", path, strerror(-err));
	if (fstat(fd, &st))
		err = err_set(-errno, "cannot stat %s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		err = err_set(-EINVAL, "%s is %s, not a lock file: remove it ('rm %s') and retry",
			      path, kind_of(st.st_mode), path);
	else if (st.st_uid != 0)
		err = err_set(-EPERM,
			      "%s is owned by uid %u, not root: remove it ('rm %s') and retry",
			      path, (unsigned int)st.st_uid, path);
	else if ((st.st_mode & 07777) != 0600 && fchmod(fd, 0600))
		err = err_set(-errno, "cannot make %s mode 0600: %s", path, strerror(errno));
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int lock__wait(int fd, int wait_ms)
{
	int waited = 0;

	while (flock(fd, LOCK_EX | LOCK_NB)) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return err_set(-errno, "cannot lock a file in %s: %s", LOCK_DIR,
				       strerror(errno));
		if (waited >= wait_ms)
			return -EBUSY;
		nanosleep(&ts, NULL);
		waited += 50;
	}
	return 0;
}

/*
 * One line of /proc/locks: "ID: KIND ADVISORY|MANDATORY READ|WRITE PID
 * MAJ:MIN:INODE START END", "ID: -> ..." for a waiter (fs/locks.c).
 */
static int holder_of(const char *line, unsigned int maj, unsigned int min, unsigned long ino)
{
	unsigned int ma, mi;
	unsigned long in;
	char arrow[4];
	int pid;

	if (sscanf(line, "%*d: %3s", arrow) == 1 && !strcmp(arrow, "->"))
		return 0;
	if (sscanf(line, "%*d: %*s %*s %*s %d %x:%x:%lu", &pid, &ma, &mi, &in) != 4)
		return 0;
	return ma == maj && mi == min && in == ino && pid > 0 ? pid : 0;
}

int lock__holder(int fd)
{
	char line[256];
	struct stat st;
	int pid = 0;
	FILE *f;

	if (fstat(fd, &st))
		return 0;
	f = fopen("/proc/locks", "re");
	if (!f)
		return 0;
	while (!pid && fgets(line, sizeof(line), f))
		pid = holder_of(line, major(st.st_dev), minor(st.st_dev), st.st_ino);
	fclose(f);
	return pid;
}

int lock__take(const char *name, int wait_ms)
{
	int fd = lock__open(name), err;

	if (fd < 0)
		return fd;
	err = lock__wait(fd, wait_ms);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

void lock__release(int fd)
{
	if (fd >= 0)
		close(fd); /* drops the flock */
}

/* lock__chain_hold()'s fd: a flock belongs to the open file, not the fd */
static int held_chain = -1;

int lock__chain(int wait_ms)
{
	int fd, err, pid;

	if (held_chain >= 0) {
		fd = fcntl(held_chain, F_DUPFD_CLOEXEC, 0);
		return fd < 0 ? err_set(-errno, "cannot copy the chain lock's fd: %s",
					strerror(errno)) :
				fd;
	}
	fd = lock__open(CHAIN_LOCK);

	if (fd < 0)
		return fd;
	err = lock__wait(fd, wait_ms);
	if (!err)
		return fd;
	pid = err == -EBUSY ? lock__holder(fd) : 0;
	close(fd);
	if (err == -EBUSY && pid)
		return err_set(
			-EBUSY,
			"another xdpchain is changing a chain: pid %d held %s for %d s; wait for it to finish (or stop it) and retry",
			pid, LOCK_DIR "/" CHAIN_LOCK, wait_ms / 1000);
	if (err == -EBUSY)
		return err_set(
			-EBUSY,
			"another xdpchain is changing a chain (it held %s for %d s); wait for it to finish and retry",
			LOCK_DIR "/" CHAIN_LOCK, wait_ms / 1000);
	return err;
}

int lock__chain_hold(int wait_ms)
{
	int fd;

	if (held_chain >= 0)
		return 0;
	fd = lock__chain(wait_ms);
	if (fd < 0)
		return fd;
	held_chain = fd;
	return 0;
}

void lock__chain_drop(void)
{
	lock__release(held_chain);
	held_chain = -1;
}

bool lock__held(const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	bool held;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", LOCK_DIR, name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return false; /* never made: nobody holds it */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != 0) {
		close(fd);
		return false; /* not a lock of ours */
	}
	held = flock(fd, LOCK_SH | LOCK_NB) && errno == EWOULDBLOCK;
	close(fd); /* drops a shared lock we got */
	return held;
}

bool lock__is_current(int fd, const char *name)
{
	char path[PATH_MAX];
	struct stat a, b;

	snprintf(path, sizeof(path), "%s/%s", LOCK_DIR, name);
	return !fstat(fd, &a) && !lstat(path, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int lock__remove(int fd, const char *name)
{
	struct stat a, b;
	int dir, err = 0;

	dir = lock__dir_open(); /* root's, 0700: nobody else can swap the entry */
	if (dir < 0)
		return dir;
	if (fstat(fd, &a) || fstatat(dir, name, &b, AT_SYMLINK_NOFOLLOW))
		err = errno == ENOENT ? 0 : -errno;
	else if (S_ISREG(b.st_mode) && b.st_uid == 0 && a.st_dev == b.st_dev &&
		 a.st_ino == b.st_ino && unlinkat(dir, name, 0))
		err = -errno;
	close(dir);
	return err;
}

void lock__hook_name(__u32 hook_id, char *buf, size_t size)
{
	snprintf(buf, size, LOCK_HOOK_FMT, hook_id);
}

int lock__hook(__u32 hook_id, int *holder, bool capture)
{
	char name[32], buf[32];
	int fd, n, err, tries = 0;

	*holder = 0;
	lock__hook_name(hook_id, name, sizeof(name));
again:
	fd = lock__open(name);
	if (fd < 0)
		return fd;
	/*
	 * A status clearing stale slots holds the lock for milliseconds: a
	 * capture waits that out; a running capture holds it for good.
	 */
	err = lock__wait(fd, capture ? 2000 : 0);
	if (!err && !lock__is_current(fd, name)) {
		/* its holder was done and removed it (lock__hook_release()): a new file */
		close(fd);
		if (++tries < 100)
			goto again;
		return err_set(-EAGAIN, "%s/%s keeps being replaced; retry", LOCK_DIR, name);
	}
	if (err) {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		if (n > 0) {
			buf[n] = '\0';
			*holder = atoi(buf);
		}
		if (!*holder)
			*holder = lock__holder(fd);
		close(fd);
		return err;
	}
	return fd;
}

/* Drops a hook's lock, and its file: no lock files pile up, one per hook ever seen. */
void lock__hook_release(int fd, __u32 hook_id)
{
	char name[32];

	if (fd < 0)
		return;
	lock__hook_name(hook_id, name, sizeof(name));
	if (lock__remove(fd, name))
		pr_debug("cannot remove %s/%s\n", LOCK_DIR, name);
	close(fd);
}

/* The capture now holding @fd: its pid, and no programs yet. */
void lock__hook_record_self(int fd, __u32 hook_id)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", getpid());

	if (ftruncate(fd, 0) || pwrite(fd, buf, n, 0) != n)
		pr_debug("cannot record our pid in %s/" LOCK_HOOK_FMT "\n", LOCK_DIR, hook_id);
}

bool lock__hook_held(__u32 hook_id)
{
	char name[32];

	lock__hook_name(hook_id, name, sizeof(name));
	return lock__held(name);
}
