// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * xdpchain's state on bpffs refuses directories that are not root's, on a
 * plain directory standing in for bpffs ($LIBXDP_BPFFS): the checks come
 * before anything is pinned, so no bpffs is needed to see them refuse.
 * Run as root the directories are given to nobody; as anybody else they
 * are that user's, which is as foreign.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpffs.h"
#include "log.h"
#include "unit.h"

#define NOBODY 65534

static char root[64];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void fake_bpffs_done(void)
{
	if (root[0])
		nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	root[0] = '\0';
	unsetenv("LIBXDP_BPFFS");
}

/* A fresh directory as $LIBXDP_BPFFS; false if it cannot be made. */
static bool fake_bpffs(void)
{
	fake_bpffs_done();
	snprintf(root, sizeof(root), "/tmp/xdpchain-unit.XXXXXX");
	if (!mkdtemp(root)) {
		root[0] = '\0';
		return false;
	}
	return !setenv("LIBXDP_BPFFS", root, 1);
}

static const char *at(const char *rel)
{
	static char buf[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", root, rel);
	return buf[k];
}

/* mkdir -p @rel under the fake bpffs, every level it makes someone else's. */
static bool foreign_dirs(const char *rel)
{
	char path[256], *p, c;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		c = *p;
		*p = '\0';
		if (!mkdir(path, 0755)) {
			if (!geteuid() && chown(path, NOBODY, NOBODY))
				return false;
		} else if (errno != EEXIST) {
			return false;
		}
		*p = c;
		if (!c)
			return true;
	}
}

static bool exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

TEST(state_write_refuses_foreign_dir)
{
	int err;

	CHECK(fake_bpffs());
	CHECK(foreign_dirs("xdpchain/veth0"));
	err_clear();
	err = state__write("veth0", 7, at("xdpchain/veth0/xdpcap_hook"), 0);
	fake_bpffs_done(); /* before the checks: a failed one ends the test */
	CHECK_EQ_INT(err, -EPERM);
	CHECK_CONTAINS(err_last(), "/xdpchain is owned by uid ");
	CHECK_CONTAINS(err_last(), ", not root: remove it ('rm -r ");
}

TEST(state_write_refuses_foreign_iface_dir)
{
	bool pinned;
	int err;

	CHECK(fake_bpffs());
	CHECK(!mkdir(at("xdpchain"), 0700));
	CHECK(foreign_dirs("xdpchain/veth0"));
	err_clear();
	err = state__write("veth0", 7, at("xdpchain/veth0/xdpcap_hook"), 0);
	pinned = exists(at("xdpchain/veth0/state"));
	fake_bpffs_done();
	CHECK_EQ_INT(err, -EPERM);
	/* not run as root, xdpchain/ is not root's either */
	CHECK_CONTAINS(err_last(), geteuid() ? "/xdpchain is owned by uid " :
					       "/xdpchain/veth0 is owned by uid 65534, not root");
	CHECK(!pinned);
}

TEST(state_write_refuses_symlink)
{
	bool followed;
	int err;

	CHECK(fake_bpffs());
	CHECK(!mkdir(at("elsewhere"), 0700));
	CHECK(!symlink(at("elsewhere"), at("xdpchain")));
	err_clear();
	err = state__write("veth0", 7, at("xdpchain/veth0/xdpcap_hook"), 0);
	followed = exists(at("elsewhere/veth0"));
	fake_bpffs_done();
	CHECK_EQ_INT(err, -ENOTDIR);
	CHECK_CONTAINS(err_last(), "/xdpchain is a symlink, not a directory: remove it ('rm ");
	CHECK(!followed);
}

TEST(state_write_refuses_foreign_hook_pin_dir)
{
	int err;

	CHECK(fake_bpffs());
	if (geteuid())
		SKIP("needs root: every directory is foreign otherwise");
	CHECK(foreign_dirs("mine"));
	err_clear();
	err = state__write("veth0", 7, at("mine/hook"), 0);
	fake_bpffs_done();
	CHECK_EQ_INT(err, -EPERM);
	CHECK_CONTAINS(err_last(), "/mine is owned by uid 65534, not root");
}

/* Made 0700 whatever the umask, so no mode bits come from the caller. */
TEST(state_write_dirs_0700)
{
	struct stat top, dir;
	mode_t old;

	CHECK(fake_bpffs());
	if (geteuid())
		SKIP("needs root: the directories must be root's");
	old = umask(0777);
	state__write("veth0", 7, at("xdpchain/veth0/xdpcap_hook"), 0); /* no bpffs: cannot pin */
	umask(old);
	CHECK(!lstat(at("xdpchain"), &top));
	CHECK(!lstat(at("xdpchain/veth0"), &dir));
	fake_bpffs_done();
	CHECK_EQ_INT(top.st_mode & 07777, 0700);
	CHECK_EQ_INT(dir.st_mode & 07777, 0700);
}

/* State under someone else's directory is not believed... */
TEST(state_read_refuses_foreign_dir)
{
	struct chain_state st;
	int err;

	CHECK(fake_bpffs());
	CHECK(foreign_dirs("xdpchain/veth0"));
	err = state__read("veth0", &st);
	fake_bpffs_done();
	CHECK_EQ_INT(err, -EPERM);
}

/* ...and nothing in it is removed. */
TEST(state_remove_leaves_foreign_dir)
{
	bool tap, state;
	FILE *f;

	CHECK(fake_bpffs());
	CHECK(foreign_dirs("xdpchain/veth0"));
	CHECK((f = fopen(at("xdpchain/veth0/tap_hook_7"), "w")) && !fclose(f));
	CHECK((f = fopen(at("xdpchain/veth0/state"), "w")) && !fclose(f));
	state__remove_dir(at("xdpchain/veth0"));
	tap = exists(at("xdpchain/veth0/tap_hook_7"));
	state = exists(at("xdpchain/veth0/state"));
	fake_bpffs_done();
	CHECK(tap);
	CHECK(state);
}
