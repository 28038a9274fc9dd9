// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>
#include <bpf/bpf.h>

#include "bpffs.h"
#include "log.h"

const char *bpffs_root(void)
{
	const char *env = getenv("LIBXDP_BPFFS");

	return env && *env ? env : "/sys/fs/bpf";
}

bool bpffs__is_mounted(void)
{
	struct statfs st;

	return !statfs(bpffs_root(), &st) && st.f_type == BPF_FS_MAGIC;
}

int bpffs__ensure(bool *mounted_now)
{
	const char *root = bpffs_root();

	*mounted_now = false;
	if (bpffs__is_mounted())
		return 0;
	if (mkdir(root, 0700) && errno != EEXIST)
		return err_set(
			-errno,
			"no bpffs at %s and it cannot be created: %s; mount one with 'mount -t bpf bpf %s'",
			root, strerror(errno), root);
	if (mount("bpf", root, "bpf", 0, "mode=0700"))
		return err_set(
			-errno,
			"no bpffs at %s and mounting one failed: %s; mount it with 'mount -t bpf bpf %s' as root",
			root, strerror(errno), root);
	*mounted_now = true;
	return 0;
}

int bpffs__iface_dir(const char *ifname, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/xdpchain/%s", bpffs_root(), ifname);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int bpffs__default_hook_pin(const char *ifname, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/xdpchain/%s/xdpcap_hook", bpffs_root(), ifname);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int state_pin(const char *ifname, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/xdpchain/%s/state", bpffs_root(), ifname);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int state__read(const char *ifname, struct chain_state *st)
{
	char path[PATH_MAX];
	__u32 key = 0;
	int fd, err;

	err = state_pin(ifname, path, sizeof(path));
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	err = bpf_map_lookup_elem(fd, &key, st) ? -errno : 0;
	close(fd);
	if (!err && st->magic != STATE_MAGIC)
		err = err_set(-EINVAL, "%s is not xdpchain state; remove it with 'rm %s'", path,
			      path);
	if (!err)
		st->hook_pin[STATE_HOOK_PIN_MAX - 1] = '\0';
	return err;
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	char *p;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int state__write(const char *ifname, const char *hook_pin)
{
	struct chain_state st = { .magic = STATE_MAGIC, .version = 1 };
	char dir[PATH_MAX], path[PATH_MAX];
	__u32 key = 0;
	int fd, err;

	if (strlen(hook_pin) >= sizeof(st.hook_pin))
		return err_set(
			-ENAMETOOLONG,
			"hook pin path '%s' is longer than %d bytes; choose a shorter --hook-pin",
			hook_pin, STATE_HOOK_PIN_MAX - 1);
	strcpy(st.hook_pin, hook_pin);
	err = bpffs__iface_dir(ifname, dir, sizeof(dir));
	if (!err)
		err = state_pin(ifname, path, sizeof(path));
	if (err)
		return err_set(err, "bpffs path for %s is too long", ifname);
	err = mkdir_p(dir);
	if (err)
		return err_set(err, "cannot create %s: %s", dir, strerror(-err));

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xdpchain_state", sizeof(key), sizeof(st), 1, NULL);
	if (fd < 0)
		return err_set(-errno, "cannot create the state map: %s", strerror(errno));
	err = bpf_map_update_elem(fd, &key, &st, 0) ? -errno : 0;
	if (!err && bpf_obj_pin(fd, path))
		err = -errno;
	close(fd);
	if (err)
		return err_set(err, "cannot pin xdpchain state at %s: %s", path, strerror(-err));
	return 0;
}

void state__remove(const char *ifname)
{
	char path[PATH_MAX], dir[PATH_MAX];
	struct dirent *e;
	DIR *d;

	if (!state_pin(ifname, path, sizeof(path)))
		unlink(path);
	/* hooks of captures' taps go with the chain */
	if (!bpffs__iface_dir(ifname, dir, sizeof(dir)) && (d = opendir(dir))) {
		while ((e = readdir(d))) {
			if (strncmp(e->d_name, "tap_hook_", 9))
				continue;
			if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) <
			    (int)sizeof(path))
				unlink(path);
		}
		closedir(d);
	}
	if (!bpffs__iface_dir(ifname, path, sizeof(path)))
		rmdir(path);
	if (snprintf(path, sizeof(path), "%s/xdpchain", bpffs_root()) < (int)sizeof(path))
		rmdir(path); /* fails, as it should, while other interfaces have state */
}
