/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A library loaded where it is used (dlopen() with its soname) instead of
 * at every start: libpcap for capture and replay (capture/pcaplib.c),
 * libyaml for chain files (cli/yamllib.c), nettle's SHA-256 for object
 * files (kern/objfile.c). Each command pays, when it starts, only for the
 * libraries every command needs (libxdp, libbpf). The binary is not linked
 * with these; their headers still give the types, and the Debian package
 * still depends on them.
 */
#ifndef __XDPCHAIN_DYNLIB_H
#define __XDPCHAIN_DYNLIB_H

#include <stdbool.h>
#include <stddef.h>

/* One function: its name in the library, where its pointer goes in the caller's struct. */
struct dynlib_sym {
	const char *name;
	size_t off;
};

struct dynlib {
	const char *soname; /* "libyaml-0.so.2" */
	const char *lib; /* for messages: "libyaml" */
	const char *pkg; /* the Debian package that has it: "libyaml-0-2" */
	const struct dynlib_sym *syms;
	size_t n_syms;
	void *handle; /* once opened */
	/* what dynlib__load()'s first call found */
	bool tried;
	int err;
	char why[256];
};

/*
 * dlopen()s @d->soname and writes each function's address into @fns at
 * its offset: 0, or -ENOENT with err_set() saying in one line what to
 * install ("libpcap is not installed: apt install libpcap0.8"), @fns
 * zeroed (@size bytes) and nothing kept open.
 */
int dynlib__open(struct dynlib *d, void *fns, size_t size);
void dynlib__close(struct dynlib *d, void *fns, size_t size);
/*
 * dynlib__open() on the first call only; later calls return what the
 * first found, setting the same error again (err_set()) if it failed.
 */
int dynlib__load(struct dynlib *d, void *fns, size_t size);

#endif
