// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Kernel drops (capture --kernel-drops): packets the chain passed that the
 * kernel then freed as dropped. A raw tracepoint program on skb:kfree_skb
 * (dispatcher/kdrop.bpf.c) copies each into its CPU's ring as a record of
 * its own kind; the reader hands it on with the reason, whose name comes
 * from the running kernel's enum skb_drop_reason (its BTF), not a table.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "capture.h"
#include "netns.h"
#include "stats.h"
#include "../../dispatcher/kdrop.h"
#include "kdrop.skel.h"

_Static_assert(
	offsetof(struct kdrop_rec, data) == sizeof(struct capture_meta) &&
		offsetof(struct kdrop_rec, action) == offsetof(struct capture_meta, action) &&
		offsetof(struct kdrop_rec, len) == offsetof(struct capture_meta, len) &&
		offsetof(struct kdrop_rec, caplen) == offsetof(struct capture_meta, caplen) &&
		offsetof(struct kdrop_rec, reason) == offsetof(struct capture_meta, stage_slot) &&
		offsetof(struct kdrop_rec, pkt_id) == offsetof(struct capture_meta, pkt_id) &&
		offsetof(struct kdrop_rec, ts_ns) == offsetof(struct capture_meta, ts_ns),
	"a kernel drop reads as a record header and its packet");
_Static_assert(KDROP_ACTION != STAGE_ACTION, "a kernel drop is not a stage's packet");

#define REASON_PREFIX "SKB_DROP_REASON_"

/* One value of the kernel's enum skb_drop_reason into @c's names. */
static int add_reason(struct capture *c, const char *name, long long value)
{
	char **names = c->kd_names;
	size_t n = c->kd_n;

	if (value < 0 || value > 0xffff)
		return 0; /* a subsystem's reasons (high bits) are not in this enum */
	if ((size_t)value >= n) {
		names = realloc(names, (value + 1) * sizeof(*names));
		if (!names)
			return -ENOMEM;
		memset(names + n, 0, (value + 1 - n) * sizeof(*names));
		c->kd_names = names;
		c->kd_n = value + 1;
	}
	if (!strncmp(name, REASON_PREFIX, strlen(REASON_PREFIX)))
		name += strlen(REASON_PREFIX);
	else if (!strncmp(name, "SKB_", 4))
		name += 4; /* SKB_NOT_DROPPED_YET, SKB_CONSUMED */
	free(names[value]);
	names[value] = strdup(name);
	return names[value] ? 0 : -ENOMEM;
}

/* The reasons' names from the kernel's BTF; SKB_CONSUMED's value in *@consumed (0: none). */
static int load_reasons(struct capture *c, __u32 *consumed)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	int id, err = 0;

	*consumed = 0;
	if (!btf)
		return err_set(
			-errno,
			"--kernel-drops needs the kernel's BTF (/sys/kernel/btf/vmlinux): %s",
			strerror(errno));
	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	if (id < 0) {
		btf__free(btf);
		return err_set(
			-EOPNOTSUPP,
			"this kernel has no enum skb_drop_reason in its BTF: it names no drop reasons (Linux 5.17 and later do); run without --kernel-drops");
	}
	t = btf__type_by_id(btf, id);
	for (int i = 0; !err && i < btf_vlen(t); i++) {
		const struct btf_enum *e = btf_enum(t) + i;
		const char *name = btf__name_by_offset(btf, e->name_off);

		if (!name)
			continue;
		if (!strcmp(name, "SKB_CONSUMED"))
			*consumed = e->val;
		err = add_reason(c, name, e->val);
	}
	btf__free(btf);
	return err ? err_set(err, "out of memory") : 0;
}

static void free_reasons(struct capture *c)
{
	for (size_t i = 0; i < c->kd_n; i++)
		free(c->kd_names[i]);
	free(c->kd_names);
	c->kd_names = NULL;
	c->kd_n = 0;
}

int kdrop__start(struct capture *c, int ifindex, __u32 snaplen)
{
	struct kdrop_bpf *skel;
	__u32 consumed;
	int err, ncpu = libbpf_num_possible_cpus();

	err = load_reasons(c, &consumed);
	if (err)
		goto err;
	skel = kdrop_bpf__open();
	if (!skel) {
		err = err_set(-errno, "cannot open the embedded kernel drop program: %s",
			      strerror(errno));
		goto err;
	}
	c->kd_skel = skel;
	skel->rodata->chain_ifindex = ifindex;
	skel->rodata->chain_netns = netns__inum();
	skel->rodata->reason_consumed = consumed;
	skel->rodata->snaplen = snaplen < KDROP_MAX_CAPLEN ? snaplen : KDROP_MAX_CAPLEN;
	err = bpf_map__set_max_entries(skel->maps.xdpchain_kdscr, ncpu > 0 ? ncpu : 1);
	if (!err)
		err = bpf_map__reuse_fd(skel->maps.xdpchain_caprings, c->rings_fd);
	if (!err)
		err = kdrop_bpf__load(skel);
	if (err) {
		err = err_set(err, "cannot load the kernel drop program: %s; run with -vv",
			      strerror(-err));
		goto err;
	}
	c->kd_link = bpf_program__attach_raw_tracepoint(skel->progs.xdpchain_kdrop, "kfree_skb");
	err = libbpf_get_error(c->kd_link);
	if (err) {
		c->kd_link = NULL;
		err = err_set(err, "cannot attach to the skb:kfree_skb tracepoint: %s",
			      strerror(-err));
		goto err;
	}
	return 0;
err:
	kdrop__stop(c);
	return err;
}

void kdrop__stop(struct capture *c)
{
	bpf_link__destroy(c->kd_link);
	c->kd_link = NULL;
	kdrop_bpf__destroy(c->kd_skel);
	c->kd_skel = NULL;
	free_reasons(c);
}

bool capture__is_kdrop(const struct capture_meta *m)
{
	return m->action == KDROP_ACTION;
}

const char *capture__kdrop_reason(const struct capture *c, __u32 reason, char *buf, size_t size)
{
	if (reason < c->kd_n && c->kd_names[reason])
		return c->kd_names[reason];
	snprintf(buf, size, "reason %u", reason);
	return buf;
}
