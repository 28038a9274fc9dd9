// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hook.h"
#include "lock.h"
#include "log.h"
#include "hook_owner.skel.h"

static const char *map_type_str(__u32 type)
{
	const char *s = libbpf_bpf_map_type_str(type);

	return s ? s : "unknown";
}

static int check_shape(__u32 type, __u32 key, __u32 value, const char *what)
{
	if (type != BPF_MAP_TYPE_PROG_ARRAY || key != 4 || value != 4)
		return err_set(
			-EINVAL,
			"%s is not an xdpcap hook: it is a %s map with %u-byte keys and %u-byte values, a hook is a prog_array with 4-byte keys and values; define it with XDPCAP_HOOK() from bpf/xdpchain.h",
			what, map_type_str(type), key, value);
	return 0;
}

static int hook__check_fd(int fd, const char *what)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return err_set(-errno, "%s: cannot read map info: %s", what, strerror(errno));
	return check_shape(info.type, info.key_size, info.value_size, what);
}

int hook__check_def(const struct bpf_map *map, const char *file)
{
	char what[512];

	snprintf(what, sizeof(what), "map %s in %s", bpf_map__name(map), file);
	return check_shape(bpf_map__type(map), bpf_map__key_size(map), bpf_map__value_size(map),
			   what);
}

__u32 hook__id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

static int hook__claim(int fd)
{
	struct hook_owner_bpf *skel;
	int err;

	skel = hook_owner_bpf__open();
	if (!skel)
		return err_set(-errno, "cannot open the embedded hook owner program: %s",
			       strerror(errno));
	err = bpf_map__reuse_fd(skel->maps.xdpcap_hook, fd);
	if (!err)
		err = bpf_program__set_expected_attach_type(skel->progs.xdpchain_owner, 0);
	if (!err)
		err = hook_owner_bpf__load(skel);
	if (err)
		err = err_set(
			err,
			"cannot claim the new hook map for plain XDP programs: %s; run with -vv for the verifier log",
			strerror(-err));
	hook_owner_bpf__destroy(skel);
	return err;
}

int hook__create(void)
{
	int fd, err;

	fd = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "xdpcap_hook", 4, 4, HOOK_SLOTS, NULL);
	if (fd < 0)
		return err_set(-errno, "cannot create the hook map: %s%s", strerror(errno),
			       errno == EPERM ? "; run as root (CAP_BPF and CAP_NET_ADMIN)" : "");
	err = hook__claim(fd);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int hook__open(const char *pin)
{
	int fd = bpf_obj_get(pin);
	int err;

	if (fd < 0)
		return err_set(-errno, "cannot open the hook pinned at %s: %s", pin,
			       strerror(errno));
	err = hook__check_fd(fd, pin);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int hook__slots(int fd, __u32 ids[HOOK_SLOTS])
{
	for (__u32 k = 0; k < HOOK_SLOTS; k++) {
		ids[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, &ids[k]) && errno != ENOENT)
			return -errno;
	}
	return 0;
}

int hook__record_prog(int fd, __u32 id)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "prog %u\n", id);
	off_t end = lseek(fd, 0, SEEK_END);

	if (end < 0 || pwrite(fd, buf, n, end) != n)
		return err_set(-EIO, "cannot record the capture program in %s: %s", LOCK_DIR,
			       strerror(errno));
	return 0;
}

bool hook__recorded(int fd, __u32 id)
{
	char buf[4096], *line, *save = NULL;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	unsigned int rec;

	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "prog %u", &rec) == 1 && rec == id)
			return true;
	return false;
}

int hook__clear_recorded(int hook_fd, int lock_fd)
{
	__u32 ids[HOOK_SLOTS];
	int n = 0;

	if (hook__slots(hook_fd, ids))
		return -errno;
	for (__u32 k = 0; k < HOOK_SLOTS; k++) {
		if (!ids[k] || !hook__recorded(lock_fd, ids[k]))
			continue;
		if (!bpf_map_delete_elem(hook_fd, &k))
			n++;
	}
	return n;
}

int hook__clear_stale(int hook_fd)
{
	int holder, lock, n;
	__u32 id = hook__id(hook_fd);

	lock = lock__hook(id, &holder, false);
	if (lock < 0)
		return lock == -EBUSY ? 0 : lock; /* a live capture owns them */
	n = hook__clear_recorded(hook_fd, lock);
	lock__hook_release(lock, id);
	return n;
}

bool hook__left_prog(__u32 hook_id, __u32 prog_id)
{
	char path[PATH_MAX];
	struct stat st;
	bool left;
	int fd;

	snprintf(path, sizeof(path), "%s/" LOCK_HOOK_FMT, LOCK_DIR, hook_id);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return false; /* no capture ever served it */
	/* root's lock, in root's 0700 LOCK_DIR, and no live capture holds it */
	left = !fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_uid == 0 &&
	       !flock(fd, LOCK_SH | LOCK_NB) && hook__recorded(fd, prog_id);
	close(fd);
	return left;
}

/* A hook lock whose map is gone and that nobody holds: removed under its lock. */
static bool remove_stale_lock(const char *name, __u32 id)
{
	bool removed = false;
	int map_fd, fd;

	map_fd = bpf_map_get_fd_by_id(id);
	if (map_fd >= 0 || errno != ENOENT) {
		if (map_fd >= 0)
			close(map_fd);
		return false;
	}
	err_quiet(true);
	fd = lock__take(name, 0);
	err_quiet(false);
	if (fd < 0)
		return false; /* held (a capture of a map just freed), or not ours */
	removed = lock__is_current(fd, name) && !lock__remove(fd, name);
	close(fd);
	return removed;
}

int hook__remove_stale_locks(void (*on_removed)(const char *path, void *ctx), void *ctx)
{
	char name[32], path[PATH_MAX];
	struct dirent *e;
	int dir, n = 0;
	DIR *d;
	__u32 id;

	dir = lock__dir_open();
	if (dir < 0)
		return dir;
	d = fdopendir(dir);
	if (!d) {
		close(dir);
		return err_set(-errno, "cannot read %s: %s", LOCK_DIR, strerror(errno));
	}
	while ((e = readdir(d))) {
		if (sscanf(e->d_name, LOCK_HOOK_FMT, &id) != 1)
			continue;
		lock__hook_name(id, name, sizeof(name));
		if (strcmp(name, e->d_name) || !remove_stale_lock(name, id))
			continue;
		snprintf(path, sizeof(path), "%s/%s", LOCK_DIR, name);
		on_removed(path, ctx);
		n++;
	}
	closedir(d);
	return n;
}
