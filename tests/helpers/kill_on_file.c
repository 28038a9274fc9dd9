// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * kill_on_file - test helper, not part of the product: runs CMD and
 * SIGKILLs it the moment a file whose name starts with PREFIX appears in
 * DIR (created, or renamed into place), so a test can kill a run at one
 * exact step of its work (e.g. right after an apply wrote its journal).
 *
 *   kill_on_file DIR PREFIX CMD [ARG...]
 *
 * The watcher runs SCHED_FIFO and CMD at nice 19: on a single CPU the
 * watcher wakes on the file's event before CMD goes on with its work.
 *
 * Exit: 0 when CMD was killed, 3 when CMD ended before the file appeared,
 * 1 error, 2 usage error.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* Whether an event in @buf (@len bytes) names a file starting with @prefix. */
static int seen(const char *buf, ssize_t len, const char *prefix)
{
	const struct inotify_event *ev;

	for (ssize_t off = 0; off < len; off += sizeof(*ev) + ev->len) {
		ev = (const struct inotify_event *)(buf + off);
		if (ev->len && !strncmp(ev->name, prefix, strlen(prefix)) &&
		    !strstr(ev->name, ".new"))
			return 1;
	}
	return 0;
}

static int watch(int in, pid_t pid, const char *prefix)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct pollfd p = { .fd = in, .events = POLLIN };
	int status;

	for (;;) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return 3;
		if (poll(&p, 1, 10) <= 0)
			continue;
		ssize_t len = read(in, buf, sizeof(buf));

		if (len > 0 && seen(buf, len, prefix)) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return 0;
		}
	}
}

int main(int argc, char **argv)
{
	pid_t pid;
	int in;

	if (argc < 4) {
		fprintf(stderr, "usage: kill_on_file DIR PREFIX CMD [ARG...]\n");
		return 2;
	}
	in = inotify_init1(IN_CLOEXEC);
	if (in < 0 || inotify_add_watch(in, argv[1], IN_CREATE | IN_MOVED_TO) < 0) {
		fprintf(stderr, "kill_on_file: cannot watch %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	struct sched_param sp = { .sched_priority = 1 };

	if (sched_setscheduler(0, SCHED_FIFO, &sp))
		fprintf(stderr, "kill_on_file: no SCHED_FIFO (%s): the kill may come late\n",
			strerror(errno));
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		sp.sched_priority = 0;
		sched_setscheduler(0, SCHED_OTHER, &sp);
		setpriority(PRIO_PROCESS, 0, 19);
		execvp(argv[3], argv + 3);
		_exit(127);
	}
	return watch(in, pid, argv[2]);
}
