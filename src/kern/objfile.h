/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A BPF object file as `add` and `apply` take it: its path resolved
 * (realpath: what is recorded is the file that was read), opened once
 * without blocking (a FIFO or a device is refused at once, before any
 * lock), a regular file of at most OBJFILE_MAX bytes, read once into
 * memory. Its SHA-256 is over those bytes, and libbpf opens those same
 * bytes (bpf_object__open_mem()): what is hashed is what is loaded.
 */
#ifndef __XDPCHAIN_OBJFILE_H
#define __XDPCHAIN_OBJFILE_H

#include <limits.h>
#include <stddef.h>
#include <linux/types.h>

#include "members.h"

/* Far above any real XDP object (a few KiB to a few MiB). */
#define OBJFILE_MAX (64UL << 20)

struct objfile {
	char path[PATH_MAX]; /* absolute, no links */
	void *data;
	size_t size;
	__u8 sha256[SHA256_LEN];
};

/*
 * Reads @file into @f. @where ("FILE:LINE" of a chain file, or NULL)
 * prefixes the error line. 0 or -errno with the reason in err_last().
 */
int objfile__read(struct objfile *f, const char *file, const char *where);
void objfile__free(struct objfile *f);
/*
 * SHA-256 of @size bytes at @data, with nettle (loaded on the first call,
 * base/dynlib.h): 0, or -ENOENT with err_set() when nettle is missing.
 */
int sha256_buf(const void *data, size_t size, __u8 out[SHA256_LEN]);

#endif
