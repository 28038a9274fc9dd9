// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/prog_dispatcher.h>

#include "dispatcher.h"
#include "lock.h"
#include "log.h"

/* A function only xdpchain's dispatcher object has (see its source). */
#define OWN_MARK "xdpchain_exit"
#include "xdp_dispatcher.skel.h"
#include "xdp_dispatcher_lean.skel.h"

#define OBJ_NAME "xdp-dispatcher.o"
#define OBJ_PATH_ENV "LIBXDP_OBJECT_PATH"
#define CHOICE_ENV "XDPCHAIN_DISPATCHER"
#define PRIVATE_DIR "dispatcher." /* in LOCK_DIR, then XXXXXX */
#define PKT_DATA_MSG "changes packet data"
#ifndef ENOTSUPP
#define ENOTSUPP 524 /* the kernel's, as libbpf passes it on */
#endif

static struct {
	bool probed;
	int probe_ret;
	struct dispatcher_info info;
	/* installed state */
	char dir[64]; /* set while it exists, and dir_fd holds its flock */
	int dir_fd;
	char file[96];
	char *saved_env; /* LIBXDP_OBJECT_PATH before we set it */
	bool had_env;
	bool installed;
	bool lean; /* the installed object is the lean variant */
	bool atexit_done;
} st;

/*
 * The config libxdp would write for a two-member chain that goes on after
 * XDP_PASS: enough for the verifier to see prog0 and prog1 called.
 */
static int set_probe_config(struct bpf_object *obj)
{
	struct xdp_dispatcher_config cfg = {
		.magic = XDP_DISPATCHER_MAGIC,
		.dispatcher_version = XDP_DISPATCHER_VERSION,
		.num_progs_enabled = 2,
	};
	struct bpf_map *rodata = bpf_object__next_map(obj, NULL);

	for (int i = 0; i < cfg.num_progs_enabled; i++)
		cfg.chain_call_actions[i] = 1U << XDP_PASS | 1U << XDP_DISPATCHER_RETVAL;
	if (!rodata)
		return -ENOENT;
	return bpf_map__set_initial_value(rodata, &cfg, sizeof(cfg));
}

/* dispatcher_version in xdp_metadata BTF: int (*)[VERSION]. */
static int btf_version(const struct btf *btf)
{
	const struct btf_type *t;
	int id;

	if (!btf)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, "dispatcher_version", BTF_KIND_VAR);
	if (id <= 0)
		return -ENOENT;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	if (!t || !btf_is_ptr(t))
		return -EINVAL;
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_array(t))
		return -EINVAL;
	return btf_array(t)->nelems;
}

static int object_version(const struct bpf_object *obj)
{
	return btf_version(bpf_object__btf(obj));
}

/*
 * Loads our xdp_dispatcher as an freplace program for @func of the loaded
 * dispatcher @tgt_fd. It may change packet data, as a member that tail-calls
 * does. The verifier log goes to @log.
 */
static int probe_ext(int tgt_fd, const char *func, char *log, size_t log_size)
{
	struct xdp_dispatcher_bpf *ext;
	struct bpf_program *prog;
	int err;

	log[0] = '\0';
	ext = xdp_dispatcher_bpf__open();
	if (!ext)
		return -errno;
	prog = ext->progs.xdp_dispatcher;
	bpf_program__set_autoload(ext->progs.xdp_pass, false);
	bpf_program__set_type(prog, BPF_PROG_TYPE_EXT);
	bpf_program__set_expected_attach_type(prog, 0);
	bpf_program__set_log_buf(prog, log, log_size);
	err = bpf_program__set_attach_target(prog, tgt_fd, func);
	if (!err)
		err = xdp_dispatcher_bpf__load(ext);
	xdp_dispatcher_bpf__destroy(ext);
	return err;
}

/* Our dispatcher, loaded as libxdp would load it, to compare against. */
static int probe_own(const char *func, char *log, size_t log_size)
{
	struct xdp_dispatcher_bpf *own;
	int err;

	own = xdp_dispatcher_bpf__open();
	if (!own)
		return -errno;
	err = set_probe_config(own->obj);
	if (!err)
		err = xdp_dispatcher_bpf__load(own);
	if (!err)
		err = probe_ext(bpf_program__fd(own->progs.xdp_dispatcher), func, log, log_size);
	xdp_dispatcher_bpf__destroy(own);
	return err;
}

static bool is_undecidable(int err)
{
	/* no BPF at all, or no freplace (this is how 6.18 "fc" kernels say it) */
	return err == -EPERM || err == -EACCES || err == -EOPNOTSUPP || err == -ENOTSUPP;
}

static void decide(struct dispatcher_info *info, enum dispatcher_choice choice, int probe_err,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void decide(struct dispatcher_info *info, enum dispatcher_choice choice, int probe_err,
		   const char *fmt, ...)
{
	va_list ap;

	info->choice = choice;
	info->probe_err = probe_err;
	va_start(ap, fmt);
	vsnprintf(info->reason, sizeof(info->reason), fmt, ap);
	va_end(ap);
}

static const char *const probe_funcs[] = { "prog0", "xdp_dispatcher" };

/* Whether libxdp's own object takes members that change packet data here. */
static void probe_stock(struct dispatcher_info *info)
{
	static char log[64 * 1024];
	struct xdp_program *sys;
	struct bpf_program *main_prog;
	struct bpf_object *obj;
	int err, version;

	/* the object libxdp would open now: $LIBXDP_OBJECT_PATH or its own dir */
	sys = xdp_program__find_file(OBJ_NAME, NULL, NULL);
	err = libxdp_get_error(sys);
	if (err) {
		decide(info, DISPATCHER_OWN, 0, "libxdp finds no usable %s (%s)", OBJ_NAME,
		       strerror(-err));
		return;
	}
	obj = xdp_program__bpf_obj(sys);
	version = object_version(obj);
	info->version = version > 0 ? version : XDP_DISPATCHER_VERSION;
	if (version > 0 && version != XDP_DISPATCHER_VERSION) {
		/* a libxdp of another generation: ours would not fit it */
		decide(info, DISPATCHER_SYSTEM, 0,
		       "libxdp's dispatcher has config version %d, xdpchain's has %d", version,
		       XDP_DISPATCHER_VERSION);
		goto out;
	}
	main_prog = bpf_object__find_program_by_name(obj, "xdp_dispatcher");
	err = main_prog ? set_probe_config(obj) : -ENOENT;
	if (!err)
		err = bpf_object__load(obj);
	if (err) {
		decide(info, DISPATCHER_SYSTEM, err,
		       "could not load libxdp's dispatcher to probe it (%s)", strerror(-err));
		goto out;
	}

	decide(info, DISPATCHER_SYSTEM, 0,
	       "libxdp's dispatcher takes members that change packet data on this kernel");
	for (size_t i = 0; i < sizeof(probe_funcs) / sizeof(probe_funcs[0]); i++) {
		const char *func = probe_funcs[i];
		bool refused;

		err = probe_ext(bpf_program__fd(main_prog), func, log, sizeof(log));
		if (!err)
			continue;
		if (is_undecidable(err)) {
			decide(info, DISPATCHER_SYSTEM, err,
			       "cannot tell: the kernel refuses freplace programs (%s)",
			       strerror(-err));
			break;
		}
		refused = err == -EINVAL && strstr(log, PKT_DATA_MSG);
		pr_debug("dispatcher probe: freplace of libxdp's %s: %s%s\n", func, strerror(-err),
			 refused ? " (" PKT_DATA_MSG ")" : "");
		/* whatever the kernel said: ours is the fix only if it takes ours */
		err = probe_own(func, log, sizeof(log));
		if (!err) {
			decide(info, DISPATCHER_OWN, 0,
			       refused ?
				       "libxdp's dispatcher refuses members that change packet data on this kernel" :
				       "libxdp's dispatcher refuses a member that changes packet data; xdpchain's takes it");
		} else {
			decide(info, DISPATCHER_SYSTEM, err,
			       "cannot tell: freplace fails on both dispatchers (%s)",
			       strerror(-err));
		}
		break;
	}
out:
	xdp_program__close(sys);
}

/*
 * xdpchain's object wherever it fits the libxdp in use (the same config
 * version): only it lets the observer see every member's verdict.
 */
static void run_probe(struct dispatcher_info *info)
{
	struct xdp_program *sys;
	int err, version;

	sys = xdp_program__find_file(OBJ_NAME, NULL, NULL);
	err = libxdp_get_error(sys);
	version = err ? 0 : object_version(xdp_program__bpf_obj(sys));
	if (!err)
		xdp_program__close(sys);
	info->version = version > 0 ? version : XDP_DISPATCHER_VERSION;
	if (version > 0 && version != XDP_DISPATCHER_VERSION)
		decide(info, DISPATCHER_SYSTEM, 0,
		       "libxdp's dispatcher has config version %d, xdpchain's has %d: no per-member counters or stage attribution",
		       version, XDP_DISPATCHER_VERSION);
	else
		decide(info, DISPATCHER_OWN, 0,
		       "xdpchain's dispatcher object: per-member counters, every fate captured with its stage");
}

int dispatcher__probe(struct dispatcher_info *info)
{
	const char *force;

	if (st.probed)
		goto done;
	memset(&st.info, 0, sizeof(st.info));
	st.info.version = XDP_DISPATCHER_VERSION;
	/* a set-uid or file-capability run must not be steered by its caller */
	force = secure_getenv(CHOICE_ENV);
	if (force && !strcmp(force, "system")) {
		decide(&st.info, DISPATCHER_SYSTEM, 0, "chosen by " CHOICE_ENV "=system");
		st.probe_ret = 0;
	} else if (force && !strcmp(force, "own")) {
		decide(&st.info, DISPATCHER_OWN, 0, "chosen by " CHOICE_ENV "=own");
		st.probe_ret = 0;
	} else if (force && *force && strcmp(force, "auto")) {
		st.probe_ret =
			err_set(-EINVAL, CHOICE_ENV "='%s' is not one of system, own, auto", force);
	} else {
		run_probe(&st.info);
		st.probe_ret = 0;
	}
	st.probed = true;
done:
	if (info)
		*info = st.info;
	return st.probe_ret;
}

static int write_object(const char *path, bool lean)
{
	const void *data;
	size_t size = 0;
	ssize_t n;
	int fd, err = 0;

	data = lean ? xdp_dispatcher_lean_bpf__elf_bytes(&size) :
		      xdp_dispatcher_bpf__elf_bytes(&size);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (size) {
		n = write(fd, data, size);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		data = (const char *)data + n;
		size -= n;
	}
	if (close(fd) && !err)
		err = -errno;
	return err;
}

/*
 * LOCK_DIR/dispatcher.XXXXXX, flocked for as long as it exists: one nobody
 * holds a lock on is what a killed run left (dispatcher__clear_stale_dirs()).
 */
static int make_private_dir(void)
{
	char dir[sizeof(st.dir)];
	struct stat s;
	int fd, err, pid;

	fd = lock__dir_open();
	if (fd < 0)
		return fd;
	close(fd);
	for (int tries = 0; tries < 3; tries++) {
		snprintf(dir, sizeof(dir), "%s/%sXXXXXX", LOCK_DIR, PRIVATE_DIR);
		if (!mkdtemp(dir)) /* mode 0700 */
			return err_set(
				-errno,
				"cannot create a private directory for xdpchain's dispatcher in %s: %s",
				LOCK_DIR, strerror(errno));
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue; /* cleared as stale before we could lock it */
		err = lock__wait(fd, 2000);
		if (err) {
			pid = err == -EBUSY ? lock__holder(fd) : 0;
			close(fd);
			rmdir(dir);
			if (pid)
				return err_set(err, "%s stays locked by pid %d; retry", dir, pid);
			return err == -EBUSY ?
				       err_set(err, "%s stays locked by another run; retry", dir) :
				       err;
		}
		/* a clear that found it unlocked removed it: the lock holds nothing */
		if (!fstat(fd, &s) && s.st_nlink) {
			snprintf(st.dir, sizeof(st.dir), "%s", dir);
			st.dir_fd = fd;
			return 0;
		}
		close(fd);
	}
	return err_set(
		-EAGAIN,
		"the private directory for xdpchain's dispatcher kept being removed from %s; retry",
		LOCK_DIR);
}

/*
 * 1 if the private directory @name in LOCK_DIR (@parent) was nobody's and
 * is gone, 0 if a live run holds it (or it is not root's), else -errno.
 */
static int remove_if_stale(int parent, const char *name)
{
	struct dirent *e;
	struct stat s;
	int fd, err = 0;
	DIR *d;

	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? 0 : -errno;
	if (fstat(fd, &s) || s.st_uid != 0 || flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		return 0;
	}
	/* the lock stays ours, on fd, until closedir() */
	d = fdopendir(fd);
	if (!d) {
		err = -errno;
		close(fd);
		return err;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(fd, e->d_name, 0) && errno != ENOENT && !err)
			err = -errno;
	}
	if (!err) {
		if (!unlinkat(parent, name, AT_REMOVEDIR))
			err = 1;
		else if (errno != ENOENT) /* else its run removed it meanwhile */
			err = -errno;
	}
	closedir(d);
	return err;
}

int dispatcher__list_stale_dirs(void (*found)(const char *path, void *ctx), void *ctx)
{
	char path[PATH_MAX];
	struct dirent *e;
	struct stat s;
	int fd, n = 0;
	DIR *d;

	/* reading only: nothing is created (LOCK_DIR may not exist) */
	d = opendir(LOCK_DIR);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		bool held;

		if (strncmp(e->d_name, PRIVATE_DIR, strlen(PRIVATE_DIR)))
			continue;
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		held = fstat(fd, &s) || s.st_uid != 0 ||
		       (flock(fd, LOCK_SH | LOCK_NB) && errno == EWOULDBLOCK);
		close(fd); /* drops the shared lock, if we got it */
		if (held)
			continue;
		n++;
		snprintf(path, sizeof(path), "%s/%s", LOCK_DIR, e->d_name);
		found(path, ctx);
	}
	closedir(d);
	return n;
}

int dispatcher__clear_stale_dirs(void (*removed)(const char *path, void *ctx), void *ctx)
{
	int dir, fd, n = 0, err = 0, r;
	struct dirent *e;
	DIR *d;

	dir = lock__dir_open();
	if (dir < 0)
		return dir;
	d = fdopendir(dir);
	if (!d) {
		err = -errno;
		close(dir);
		return err_set(err, "cannot read %s: %s", LOCK_DIR, strerror(-err));
	}
	fd = dirfd(d);
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, PRIVATE_DIR, strlen(PRIVATE_DIR)))
			continue;
		r = remove_if_stale(fd, e->d_name);
		if (r > 0) {
			char path[PATH_MAX];

			n++;
			snprintf(path, sizeof(path), "%s/%s", LOCK_DIR, e->d_name);
			if (removed)
				removed(path, ctx);
		} else if (r < 0 && !err)
			err = err_set(r, "cannot remove %s/%s: %s", LOCK_DIR, e->d_name,
				      strerror(-r));
	}
	closedir(d);
	return err ? err : n;
}

static int install_own(bool lean)
{
	const char *old;
	int err;

	/*
	 * libxdp reads LIBXDP_OBJECT_PATH with secure_getenv(): set-uid or
	 * file-capability runs would silently get libxdp's own object.
	 */
	if (getauxval(AT_SECURE))
		return err_set(
			-EPERM,
			"xdpchain runs set-uid or with file capabilities, so libxdp ignores " OBJ_PATH_ENV
			" and cannot be handed xdpchain's dispatcher; run xdpchain as root without them");
	err = make_private_dir();
	if (err)
		return err;
	snprintf(st.file, sizeof(st.file), "%s/%s", st.dir, OBJ_NAME);
	err = write_object(st.file, lean);
	st.lean = lean;
	if (err) {
		err_set(err, "cannot write xdpchain's dispatcher to %s: %s", st.file,
			strerror(-err));
		goto fail;
	}
	/* only saved, to be put back as it was: not what we act on */
	old = getenv(OBJ_PATH_ENV);
	st.had_env = old != NULL;
	if (old && !(st.saved_env = strdup(old))) {
		err = err_set(-ENOMEM, "out of memory");
		goto fail;
	}
	if (setenv(OBJ_PATH_ENV, st.dir, 1)) {
		err = err_set(-errno, "cannot set " OBJ_PATH_ENV ": %s", strerror(errno));
		goto fail;
	}
	st.installed = true;
	pr_debug("dispatcher: libxdp loads xdpchain's %s from %s\n", OBJ_NAME, st.dir);
	return 0;
fail:
	dispatcher__cleanup();
	return err;
}

int dispatcher__setup_for(struct dispatcher_info *info, bool lean)
{
	int err;

	err = dispatcher__probe(info);
	if (err || st.info.choice != DISPATCHER_OWN)
		return err;
	if (st.installed && st.lean != lean) {
		/* the other variant for this change: libxdp opens the file anew */
		unlink(st.file);
		err = write_object(st.file, lean);
		if (err)
			return err_set(err, "cannot write xdpchain's dispatcher to %s: %s", st.file,
				       strerror(-err));
		st.lean = lean;
	}
	if (st.installed)
		return 0;
	if (!st.atexit_done) {
		/* nothing left in /run when a command leaves early */
		atexit(dispatcher__cleanup);
		st.atexit_done = true;
	}
	return install_own(lean);
}

int dispatcher__setup(struct dispatcher_info *info)
{
	return dispatcher__setup_for(info, false);
}

void dispatcher__cleanup(void)
{
	if (st.installed) {
		if (st.had_env)
			setenv(OBJ_PATH_ENV, st.saved_env, 1);
		else
			unsetenv(OBJ_PATH_ENV);
		st.installed = false;
	}
	free(st.saved_env);
	st.saved_env = NULL;
	st.had_env = false;
	if (st.file[0])
		unlink(st.file);
	if (st.dir[0]) {
		rmdir(st.dir);
		close(st.dir_fd); /* drops its lock, now there is nothing to clear */
	}
	st.file[0] = '\0';
	st.dir[0] = '\0';
}

/* @q on the BTF the kernel keeps under @btf_id: its result, or -errno. */
static int btf_query(__u32 btf_id, int (*q)(const struct btf *btf))
{
	struct btf *btf = btf__load_from_kernel_by_id(btf_id);
	int err = libbpf_get_error(btf);

	if (err)
		return err;
	err = q(btf);
	btf__free(btf);
	return err;
}

static int has_own_mark(const struct btf *btf)
{
	return btf__find_by_name_kind(btf, OWN_MARK, BTF_KIND_FUNC) > 0;
}

int dispatcher__runs_own(__u32 prog_id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd, err;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return -errno;
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	close(fd);
	if (err)
		return err;
	return info.btf_id ? btf_query(info.btf_id, has_own_mark) : 0;
}

int dispatcher__running_version(__u32 prog_id)
{
	struct bpf_prog_info info = {};
	struct bpf_map_info map = {};
	__u32 len = sizeof(info), map_len = sizeof(map), map_id = 0, key = 0;
	__u8 value[256];
	int fd, err;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return -errno;
	info.nr_map_ids = 1;
	info.map_ids = (__u64)(unsigned long)&map_id;
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	close(fd);
	if (err)
		return err;
	/* what libxdp takes for a dispatcher: this name, one (config) map */
	if (strcmp(info.name, "xdp_dispatcher") || info.nr_map_ids != 1)
		return 0;
	fd = bpf_map_get_fd_by_id(map_id);
	if (fd < 0)
		return -errno;
	err = bpf_obj_get_info_by_fd(fd, &map, &map_len) ? -errno : 0;
	if (!err && (map.value_size < 2 || map.value_size > sizeof(value) || map.key_size != 4))
		err = -EINVAL;
	if (!err && bpf_map_lookup_elem(fd, &key, value))
		err = -errno;
	close(fd);
	if (err)
		return err == -EINVAL ? 0 : err;
	if (value[0] == XDP_DISPATCHER_MAGIC)
		return value[1];
	/* version 1 has no magic: libxdp reads the version from the BTF */
	err = info.btf_id ? btf_query(info.btf_id, btf_version) : 0;
	return err > 0 ? err : 0;
}

bool dispatcher__stock_refuses_pkt_changes(void)
{
	struct dispatcher_info probe = {};

	probe_stock(&probe);
	return probe.choice == DISPATCHER_OWN;
}
