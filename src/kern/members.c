// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"
#include "members.h"

#define MEMBERS_MAX 32 /* ids of members that left linger until a prune */

void sha256_hex(const __u8 sha[SHA256_LEN], char out[SHA256_HEX])
{
	for (int i = 0; i < SHA256_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", sha[i]);
}

static int open_map(const char *state_dir, bool create)
{
	char path[4096];
	int fd;

	if (snprintf(path, sizeof(path), "%s/" MEMBERS_PIN, state_dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd >= 0 || !create || errno != ENOENT)
		return fd >= 0 ? fd : -errno;
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, MEMBERS_MAP_NAME, sizeof(__u32),
			    sizeof(struct member_rec), MEMBERS_MAX, NULL);
	if (fd < 0)
		return -errno;
	if (bpf_obj_pin(fd, path)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int members__record(const char *state_dir, __u32 id, const struct member_rec *rec)
{
	int fd, err = 0;

	fd = open_map(state_dir, true);
	if (fd < 0)
		return err_set(fd, "cannot open %s/" MEMBERS_PIN ": %s", state_dir, strerror(-fd));
	if (bpf_map_update_elem(fd, &id, rec, BPF_ANY))
		err = err_set(-errno, "cannot record program %u in %s/" MEMBERS_PIN ": %s", id,
			      state_dir, strerror(errno));
	close(fd);
	return err;
}

int members__lookup(const char *state_dir, __u32 id, struct member_rec *rec)
{
	int fd, err = 0;

	fd = open_map(state_dir, false);
	if (fd < 0)
		return -ENOENT;
	if (bpf_map_lookup_elem(fd, &id, rec))
		err = -ENOENT;
	close(fd);
	return err;
}

void members__forget(const char *state_dir, __u32 id)
{
	int fd = open_map(state_dir, false);

	if (fd < 0)
		return;
	bpf_map_delete_elem(fd, &id);
	close(fd);
}

void members__prune(const char *state_dir, const __u32 *ids, size_t n)
{
	__u32 key, next, gone[MEMBERS_MAX];
	size_t n_gone = 0;
	void *prev = NULL;
	int fd;

	fd = open_map(state_dir, false);
	if (fd < 0)
		return;
	while (n_gone < MEMBERS_MAX && !bpf_map_get_next_key(fd, prev, &next)) {
		bool keep = false;

		for (size_t i = 0; i < n; i++)
			keep |= ids[i] == next;
		if (!keep)
			gone[n_gone++] = next;
		key = next;
		prev = &key;
	}
	for (size_t i = 0; i < n_gone; i++)
		bpf_map_delete_elem(fd, &gone[i]);
	close(fd);
}
