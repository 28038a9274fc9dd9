// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>
#include <bpf/bpf.h>

#include "bpffs.h"
#include "lock.h"
#include "log.h"
#include "members.h"
#include "netns.h"

const char *bpffs_root(void)
{
	/* a set-uid or file-capability run must not be steered by its caller */
	const char *env = secure_getenv("LIBXDP_BPFFS");

	return env && *env ? env : "/sys/fs/bpf";
}

bool bpffs__is_mounted(void)
{
	struct statfs st;

	return !statfs(bpffs_root(), &st) && st.f_type == BPF_FS_MAGIC;
}

/*
 * ip netns exec (and unshare -m) runs us in a mount namespace of its own,
 * where /sys is mounted again without the machine's bpffs: one mounted
 * there goes with the command, and the chain keeps running with nothing
 * left to manage it by.
 */
int bpffs__check_mountable(void)
{
	const char *root = bpffs_root();

	if (bpffs__is_mounted() || netns__mount_is_init())
		return 0;
	return err_set(
		-EXDEV,
		"no bpffs at %s in this mount namespace (ip netns exec?), and one mounted here would vanish with this command; run 'xdpchain -n NETNS ...' from the host's mount namespace",
		root);
}

int bpffs__ensure(bool *mounted_now)
{
	const char *root = bpffs_root();
	int err;

	*mounted_now = false;
	if (bpffs__is_mounted())
		return 0;
	err = bpffs__check_mountable();
	if (err)
		return err;
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

int state__pin_path(const char *ifname, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/xdpchain/%s/state", bpffs_root(), ifname);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int state__read_fd(int fd, struct chain_state *st)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), key = 0;
	char buf[512] = {};

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_ARRAY || info.key_size != 4 || info.max_entries != 1 ||
	    info.value_size < offsetof(struct chain_state, ifindex) ||
	    info.value_size > sizeof(buf) || strcmp(info.name, STATE_MAP_NAME))
		return -EINVAL;
	if (bpf_map_lookup_elem(fd, &key, buf))
		return -errno;
	memcpy(st, buf, sizeof(*st)); /* version 1: ifindex reads as 0 */
	if (st->magic != STATE_MAGIC)
		return -EINVAL;
	if (st->version < 3)
		st->netns = 0; /* the tail of a 256-byte hook_pin */
	st->hook_pin[STATE_HOOK_PIN_MAX - 1] = '\0';
	return 0;
}

bool state__is_ours(const struct chain_state *st)
{
	return !st->netns || st->netns == netns__self();
}

static int xdpchain_dir(char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/xdpchain", bpffs_root());

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* -ENOENT (no error recorded) if @path is missing, else root_dir__check(). */
static int check_dir(const char *path, bool sticky_ok)
{
	struct stat st;

	if (lstat(path, &st))
		return errno == ENOENT ?
			       -ENOENT :
			       err_set(-errno, "cannot stat %s: %s", path, strerror(errno));
	return root_dir__check(path, &st, sticky_ok);
}

/*
 * <bpffs>/xdpchain and <bpffs>/xdpchain/IFACE, where they exist, are
 * root's: on a bpffs of mode 1777 anybody can make them first, and whoever
 * owns them can swap what root pins there.
 */
static int check_state_dirs(const char *ifname)
{
	char top[PATH_MAX], dir[PATH_MAX];
	int err;

	if (xdpchain_dir(top, sizeof(top)) || bpffs__iface_dir(ifname, dir, sizeof(dir)))
		return err_set(-ENAMETOOLONG, "bpffs path for %s is too long", ifname);
	err = check_dir(top, false);
	if (!err)
		err = check_dir(dir, false);
	return err == -ENOENT ? 0 : err;
}

/*
 * The directory @pin goes into, where it exists: root's. A sticky one
 * others may write (the bpffs root is 1777 by default): nobody else can
 * remove or rename root's pins there.
 */
static int check_pin_dir(const char *pin)
{
	char dir[PATH_MAX];
	char *slash;
	int err;

	if (snprintf(dir, sizeof(dir), "%s", pin) >= (int)sizeof(dir))
		return err_set(-ENAMETOOLONG, "pin path %s is too long", pin);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		slash[slash == dir] = '\0'; /* keep "/" */
	err = check_dir(dir, true);
	return err == -ENOENT ? 0 : err;
}

bool state__dirs_ours(const char *ifname)
{
	int err;

	err_quiet(true);
	err = check_state_dirs(ifname);
	err_quiet(false);
	return !err;
}

static int libxdp_dir(char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/xdp", bpffs_root());

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* @st is root's <bpffs>/xdp: others must not even open it (flock needs no more). */
static int libxdp_dir_private(const char *path, int fd, const struct stat *st)
{
	if (!(st->st_mode & 077))
		return 0;
	if (fd >= 0 ? fchmod(fd, 0700) : chmod(path, 0700))
		return err_set(
			-errno,
			"%s is open to other users (mode %04o) and cannot be made 0700: %s; run 'chmod 0700 %s' as root",
			path, (unsigned int)(st->st_mode & 07777), strerror(errno), path);
	return 0;
}

int bpffs__check_libxdp_dir(bool make)
{
	char path[PATH_MAX];
	struct stat st;
	int err;

	/* without a bpffs libxdp pins nothing and locks in /run */
	if (!bpffs__is_mounted())
		return 0;
	if (libxdp_dir(path, sizeof(path)))
		return err_set(-ENAMETOOLONG, "bpffs path %s is too long", bpffs_root());
	if (make && mkdir(path, 0700) && errno != EEXIST)
		return err_set(-errno, "cannot create libxdp's directory %s: %s", path,
			       strerror(errno));
	if (lstat(path, &st))
		return errno == ENOENT ?
			       0 :
			       err_set(-errno, "cannot stat %s: %s", path, strerror(errno));
	err = root_dir__check(path, &st, false);
	return err || !make ? err : libxdp_dir_private(path, -1, &st);
}

int bpffs__libxdp_lock(int wait_ms)
{
	char path[PATH_MAX];
	struct stat st;
	int fd, err, pid;

	err = bpffs__check_libxdp_dir(true);
	if (err)
		return err;
	libxdp_dir(path, sizeof(path));
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_set(-errno, "cannot open libxdp's directory %s: %s", path,
			       strerror(errno));
	/* the one checked above, still: nobody swapped it meanwhile */
	if (fstat(fd, &st))
		err = err_set(-errno, "cannot stat %s: %s", path, strerror(errno));
	else
		err = root_dir__check(path, &st, false);
	if (!err)
		err = libxdp_dir_private(path, fd, &st);
	if (!err)
		err = lock__wait(fd, wait_ms);
	if (err == -EBUSY) {
		pid = lock__holder(fd);
		err = pid ? err_set(err,
				    "libxdp's lock on %s is held by pid %d (for %d s so far); wait for it to finish (or stop it) and retry",
				    path, pid, wait_ms / 1000) :
			    err_set(err,
				    "libxdp's lock on %s is held by another process (for %d s so far); wait for it to finish and retry",
				    path, wait_ms / 1000);
	}
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int bpffs__check_dirs(const char *ifname, const char *hook_pin)
{
	int err = bpffs__check_mountable();

	if (!err)
		err = bpffs__check_libxdp_dir(false);
	if (!err)
		err = check_state_dirs(ifname);
	if (!err && hook_pin)
		err = check_pin_dir(hook_pin);
	return err;
}

bool bpffs__pin_removable(const char *pin)
{
	struct stat st;
	int err;

	err_quiet(true);
	err = check_pin_dir(pin);
	err_quiet(false);
	return !err && !lstat(pin, &st) && S_ISREG(st.st_mode) && st.st_uid == 0;
}

/* Creates @path mode 0700, whatever the umask, unless it exists: root's either way. */
static int make_dir(const char *path)
{
	int err;

	if (!mkdir(path, 0700)) {
		if (chmod(path, 0700))
			return err_set(-errno, "cannot make %s mode 0700: %s", path,
				       strerror(errno));
	} else if (errno != EEXIST) {
		return err_set(-errno, "cannot create %s: %s", path, strerror(errno));
	}
	err = check_dir(path, false);
	if (err == -ENOENT)
		err = err_set(err, "%s went away while xdpchain created it; retry", path);
	return err;
}

int state__read(const char *ifname, struct chain_state *st)
{
	char path[PATH_MAX];
	int fd, err;

	err = state__pin_path(ifname, path, sizeof(path));
	if (err)
		return err;
	/* state in a directory someone else owns is not ours to believe */
	err = check_state_dirs(ifname);
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	err = state__read_fd(fd, st);
	close(fd);
	if (err == -EINVAL)
		err = err_set(-EINVAL, "%s is not xdpchain state; remove it with 'rm %s'", path,
			      path);
	else if (!err && !state__is_ours(st))
		err = err_set(
			-EXDEV,
			"%s is the chain state of an interface '%s' in another network namespace; xdpchain keeps one per name on a bpffs: give this interface another name",
			path, ifname);
	return err;
}

_Static_assert(sizeof(struct chain_state) == 272, "dispatcher/own.h declares the state map");

int state__set_hook(int fd, const char *hook_pin, __u32 hook_id)
{
	struct chain_state st;
	__u32 key = 0;
	int err;

	err = state__read_fd(fd, &st);
	if (err)
		return err;
	if (strlen(hook_pin) >= sizeof(st.hook_pin))
		return -ENAMETOOLONG;
	memset(st.hook_pin, 0, sizeof(st.hook_pin));
	strcpy(st.hook_pin, hook_pin);
	st.hook_id = hook_id;
	if (!st.netns)
		st.netns = netns__self(); /* an older state: ours, as state__read() found */
	st.version = STATE_VERSION;
	return bpf_map_update_elem(fd, &key, &st, 0) ? -errno : 0;
}

void state__claim(const char *dir)
{
	char path[PATH_MAX];
	struct chain_state st;
	__u32 key = 0;
	int fd;

	if (snprintf(path, sizeof(path), "%s/state", dir) >= (int)sizeof(path))
		return;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	if (!state__read_fd(fd, &st) && !st.netns) {
		st.netns = netns__self();
		st.version = STATE_VERSION;
		bpf_map_update_elem(fd, &key, &st, 0);
	}
	close(fd);
}

int state__move(const char *from, const char *to)
{
	char old_dir[PATH_MAX], new_dir[PATH_MAX], path[PATH_MAX], pin[STATE_HOOK_PIN_MAX];
	struct chain_state st;
	size_t n;
	int fd, err;

	if (bpffs__iface_dir(from, old_dir, sizeof(old_dir)) ||
	    bpffs__iface_dir(to, new_dir, sizeof(new_dir)) ||
	    state__pin_path(to, path, sizeof(path)))
		return err_set(-ENAMETOOLONG, "bpffs path for %s is too long", to);
	if (rename(old_dir, new_dir))
		return err_set(-errno, "cannot move %s to %s: %s; 'xdpchain flush %s' and re-add",
			       old_dir, new_dir, strerror(errno), to);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return err_set(-errno, "cannot open the moved state at %s: %s", path,
			       strerror(errno));
	err = state__read_fd(fd, &st);
	n = strlen(old_dir);
	if (!err && !strncmp(st.hook_pin, old_dir, n) && st.hook_pin[n] == '/') {
		if (snprintf(pin, sizeof(pin), "%s%s", new_dir, st.hook_pin + n) >=
		    (int)sizeof(pin))
			err = -ENAMETOOLONG;
		else
			err = state__set_hook(fd, pin, st.hook_id);
	}
	close(fd);
	if (err)
		return err_set(err, "cannot record the moved hook pin in %s: %s", path,
			       strerror(-err));
	return 0;
}

int state__write(const char *ifname, int ifindex, const char *hook_pin, __u32 hook_id)
{
	struct chain_state st = { .magic = STATE_MAGIC,
				  .version = STATE_VERSION,
				  .netns = netns__self(),
				  .ifindex = ifindex,
				  .hook_id = hook_id };
	char top[PATH_MAX], dir[PATH_MAX], path[PATH_MAX];
	__u32 key = 0;
	int fd, err;

	if (strlen(hook_pin) >= sizeof(st.hook_pin))
		return err_set(
			-ENAMETOOLONG,
			"hook pin path '%s' is longer than %d bytes; choose a shorter --hook-pin",
			hook_pin, STATE_HOOK_PIN_MAX - 1);
	strcpy(st.hook_pin, hook_pin);
	err = xdpchain_dir(top, sizeof(top));
	if (!err)
		err = bpffs__iface_dir(ifname, dir, sizeof(dir));
	if (!err)
		err = state__pin_path(ifname, path, sizeof(path));
	if (err)
		return err_set(err, "bpffs path for %s is too long", ifname);
	err = make_dir(top);
	if (!err)
		err = make_dir(dir);
	if (!err)
		err = check_pin_dir(hook_pin);
	if (err)
		return err;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, STATE_MAP_NAME, sizeof(key), sizeof(st), 1, NULL);
	if (fd < 0)
		return err_set(-errno, "cannot create the state map: %s", strerror(errno));
	err = bpf_map_update_elem(fd, &key, &st, 0) ? -errno : 0;
	if (!err && bpf_obj_pin(fd, path))
		err = -errno;
	if (err) {
		close(fd);
		return err_set(err, "cannot pin xdpchain state at %s: %s", path, strerror(-err));
	}
	return fd;
}

void state__remove_dir(const char *dir)
{
	static const char *const ours[] = { "state",
					    STATS_PIN,
					    ROWS_PIN,
					    OBSERVER_PIN,
					    OBSERVER_PIN "_new",
					    MEMBERS_PIN,
					    REDIRECT_LINK_PIN,
					    REDIRECT_LINK_PIN "_new",
					    REDIRECT_ERR_LINK_PIN,
					    REDIRECT_ERR_LINK_PIN "_new",
					    REDIRECTS_PIN };
	char path[PATH_MAX], top[PATH_MAX];
	struct dirent *e;
	DIR *d;

	if (xdpchain_dir(top, sizeof(top)) || check_dir(top, false) || check_dir(dir, false))
		return; /* gone, or not ours to clear */
	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		if (snprintf(path, sizeof(path), "%s/%s", dir, ours[i]) < (int)sizeof(path))
			unlink(path);
	/* hooks of captures' taps go with the chain */
	if ((d = opendir(dir))) {
		while ((e = readdir(d))) {
			if (strncmp(e->d_name, TAP_HOOK_PREFIX, strlen(TAP_HOOK_PREFIX)))
				continue;
			if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) <
			    (int)sizeof(path))
				unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
	if (snprintf(path, sizeof(path), "%s/xdpchain", bpffs_root()) < (int)sizeof(path))
		rmdir(path); /* fails, as it should, while other interfaces have state */
}
