/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Replacing a file whole or not at all, as root may do in a directory
 * another user controls (node_exporter's textfile directory belongs to
 * prometheus): the new content goes into a temporary file created
 * O_EXCL|O_NOFOLLOW under a random name in the file's directory, written
 * through its descriptor only, and renamed over the file. A rename never
 * follows a link, so whatever that user plants, root writes only into the
 * file it just created.
 */
#ifndef __XDPCHAIN_REPLACE_H
#define __XDPCHAIN_REPLACE_H

#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

struct replace {
	const char *path;
	const char *base; /* last component of path */
	int dirfd; /* path's directory, as checked */
	FILE *f; /* the temporary file: write the content here */
	char tmp[NAME_MAX + 1]; /* its name in dirfd */
	dev_t dev; /* and identity, so only it is ever removed */
	ino_t ino;
};

/*
 * Opens a temporary file (mode 0644 less the umask) for replacing @path.
 * Refused: @path a symbolic link or anything but a regular file, its
 * directory writable by everyone without the sticky bit. 0 or -errno with
 * err_set().
 */
int replace__open(struct replace *r, const char *path);
/*
 * Flushes and syncs the temporary file and renames it over the path; on
 * any failure removes it (as replace__abort()). 0 or -errno with err_set().
 */
int replace__commit(struct replace *r);
/* Closes and removes the temporary file: the path stays as it was. */
void replace__abort(struct replace *r);

#endif
