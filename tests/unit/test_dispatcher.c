// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The private directories that hand xdpchain's dispatcher object to libxdp:
 * in /run/xdpchain, kept while their run lives, cleared once it was killed.
 * Needs root (run through 'tests/run.sh --host unit', which gives each test
 * its own /run).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dispatcher.h"
#include "lock.h"
#include "log.h"
#include "unit.h"

#define PRIVATE LOCK_DIR "/dispatcher."

static bool exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

/*
 * A child that installs xdpchain's object as a chain change would, says
 * where through @fd_out, and waits to be killed. Returns its pid.
 */
static pid_t installing_child(int fd_out)
{
	const char *dir;
	pid_t pid = fork();

	if (pid)
		return pid;
	setenv("XDPCHAIN_DISPATCHER", "own", 1); /* no probe: no BPF needed */
	dir = dispatcher__setup(NULL) ? NULL : getenv("LIBXDP_OBJECT_PATH");
	if (!dir || write(fd_out, dir, strlen(dir)) < 0)
		_exit(1);
	close(fd_out);
	pause();
	_exit(0);
}

TEST(dispatcher_stale_dir_removed)
{
	char dir[64], file[96];
	FILE *f;
	int fd;

	if (geteuid())
		SKIP("needs root: /run/xdpchain is root's");
	fd = lock__dir_open();
	CHECK(fd >= 0);
	close(fd);
	snprintf(dir, sizeof(dir), "%sXXXXXX", PRIVATE);
	CHECK(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/xdp-dispatcher.o", dir);
	CHECK((f = fopen(file, "w")) && !fclose(f));
	CHECK(dispatcher__clear_stale_dirs(NULL, NULL) >= 1);
	CHECK(!exists(dir));
}

TEST(dispatcher_dir_kept_while_its_run_lives)
{
	char dir[128] = "", file[160];
	int pipefd[2], status, n;
	pid_t pid;

	if (geteuid())
		SKIP("needs root: /run/xdpchain is root's");
	CHECK(!pipe(pipefd));
	pid = installing_child(pipefd[1]);
	close(pipefd[1]);
	CHECK(pid > 0);
	n = read(pipefd[0], dir, sizeof(dir) - 1);
	close(pipefd[0]);
	if (n <= 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	CHECK(n > 0);
	dir[n] = '\0';
	snprintf(file, sizeof(file), "%s/xdp-dispatcher.o", dir);

	n = dispatcher__clear_stale_dirs(NULL, NULL);
	kill(pid, SIGKILL); /* as kill -9 would: no cleanup */
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK_EQ_INT(strncmp(dir, PRIVATE, strlen(PRIVATE)), 0);
	CHECK(n >= 0);
	CHECK(exists(file)); /* kept while its run lived */

	CHECK(dispatcher__clear_stale_dirs(NULL, NULL) >= 1);
	CHECK(!exists(dir));
}
