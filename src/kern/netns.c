// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "netns.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71 /* asm-generic/socket.h, Linux 5.14 */
#endif

#define NETNS_RUN_DIR "/run/netns"

int netns__enter(const char *name)
{
	char path[PATH_MAX];
	int fd, err = 0;

	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return err_set(-EINVAL,
			       "'%s' is no network namespace name; list them with 'ip netns list'",
			       name);
	snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(-errno,
			       "no network namespace '%s' (%s: %s); list them with 'ip netns list'",
			       name, path, strerror(errno));
	if (setns(fd, CLONE_NEWNET))
		err = err_set(-errno, "cannot join network namespace '%s' (%s): %s; run it as root",
			      name, path, strerror(errno));
	close(fd);
	return err;
}

__u64 netns__self(void)
{
	socklen_t len = sizeof(__u64);
	struct stat st;
	__u64 cookie = 0;
	int fd;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len))
			cookie = 0;
		close(fd);
	}
	if (cookie)
		return cookie;
	return stat("/proc/self/ns/net", &st) ? 0 : (__u64)st.st_ino;
}

bool netns__mount_is_init(void)
{
	struct stat self, init;

	if (stat("/proc/self/ns/mnt", &self))
		return true; /* no /proc: cannot tell, mount where needed as before */
	if (stat("/proc/1/ns/mnt", &init))
		/* PID 1 out of reach (no ptrace rights over it): a container's */
		return errno != EACCES && errno != EPERM;
	return self.st_ino == init.st_ino && self.st_dev == init.st_dev;
}

struct walk {
	int (*fn)(void *ctx);
	void *ctx;
	int home;
	struct stat *seen;
	size_t n, cap;
	int ret;
};

static bool seen(struct walk *w, const struct stat *st)
{
	struct stat *more;

	for (size_t i = 0; i < w->n; i++)
		if (w->seen[i].st_ino == st->st_ino && w->seen[i].st_dev == st->st_dev)
			return true;
	if (w->n == w->cap) {
		more = realloc(w->seen, (w->cap * 2 + 16) * sizeof(*more));
		if (!more)
			return true; /* out of memory: look no further */
		w->seen = more;
		w->cap = w->cap * 2 + 16;
	}
	w->seen[w->n++] = *st;
	return false;
}

static void visit(struct walk *w, const char *path)
{
	struct stat st;
	int fd;

	if (w->ret)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (!fstat(fd, &st) && !seen(w, &st) && !setns(fd, CLONE_NEWNET)) {
		w->ret = w->fn(w->ctx);
		/* cannot fail: we hold the fd and the rights that just left it */
		if (setns(w->home, CLONE_NEWNET))
			abort();
	}
	close(fd);
}

static void visit_run_dir(struct walk *w)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(NETNS_RUN_DIR);

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR,
						    e->d_name) < (int)sizeof(path))
			visit(w, path);
	closedir(d);
}

/* nsfs bind mounts anywhere in our mount table (container runtimes' own dirs) */
static void visit_mounts(struct walk *w)
{
	char line[4096], mnt[PATH_MAX], type[64];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(sep, " - %63s", type) != 1 || strcmp(type, "nsfs") ||
		    sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 || strchr(mnt, '\\'))
			continue;
		visit(w, mnt);
	}
	fclose(f);
}

static void visit_procs(struct walk *w)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir("/proc");

	if (!d)
		return;
	while ((e = readdir(d)))
		if (isdigit((unsigned char)e->d_name[0]) &&
		    snprintf(path, sizeof(path), "/proc/%s/ns/net", e->d_name) < (int)sizeof(path))
			visit(w, path);
	closedir(d);
}

int netns__each_other(int (*fn)(void *ctx), void *ctx)
{
	struct walk w = { .fn = fn, .ctx = ctx };
	struct stat st;

	w.home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (w.home < 0)
		return 0;
	if (!fstat(w.home, &st))
		seen(&w, &st); /* ours is the caller's to look at */
	visit_run_dir(&w);
	visit_mounts(&w);
	visit_procs(&w);
	close(w.home);
	free(w.seen);
	return w.ret;
}

static int is_id(void *ctx)
{
	return netns__self() == *(const __u64 *)ctx;
}

__u32 netns__inum(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : (__u32)st.st_ino;
}

bool netns__exists(__u64 id)
{
	return id == netns__self() || netns__each_other(is_id, &id);
}
