/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Where each member of a chain came from: the object file (its absolute
 * path), the program's name in it and the SHA-256 of the file's content when
 * it was loaded. The kernel keeps none of that; `save` needs it to write a
 * chain as a file and `apply` to see that an object changed on disk.
 *
 *   <bpffs>/xdpchain/IFACE/members   hash map: program id -> struct member_rec
 *
 * Programs another tool added (xdp-loader) have no record.
 */
#ifndef __XDPCHAIN_MEMBERS_H
#define __XDPCHAIN_MEMBERS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define MEMBERS_PIN "members"
#define MEMBERS_MAP_NAME "xdpchain_membs"
#define MEMBER_OBJECT_MAX 256
#define MEMBER_PROG_MAX 64
#define SHA256_LEN 32
#define SHA256_HEX (2 * SHA256_LEN + 1)

struct member_rec {
	char object[MEMBER_OBJECT_MAX];
	char prog[MEMBER_PROG_MAX];
	__u8 sha256[SHA256_LEN];
};

void sha256_hex(const __u8 sha[SHA256_LEN], char out[SHA256_HEX]);

/* Records (or replaces) program @id's origin in @state_dir's members map. */
int members__record(const char *state_dir, __u32 id, const struct member_rec *rec);
/* 0 and @rec filled, -ENOENT if @id has no record. */
int members__lookup(const char *state_dir, __u32 id, struct member_rec *rec);
/* Forgets program @id (one that never ran). */
void members__forget(const char *state_dir, __u32 id);
/* Forgets programs not among @ids (those that left the chain). */
void members__prune(const char *state_dir, const __u32 *ids, size_t n);

#endif
