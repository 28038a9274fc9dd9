// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hook.h"
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
