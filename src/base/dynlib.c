// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Libraries loaded where they are used (dynlib.h). */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dynlib.h"
#include "log.h"

int dynlib__open(struct dynlib *d, void *fns, size_t size)
{
	void *sym;

	memset(fns, 0, size);
	d->handle = dlopen(d->soname, RTLD_NOW | RTLD_LOCAL);
	if (!d->handle) {
		pr_debug("dlopen %s: %s\n", d->soname, dlerror());
		return err_set(-ENOENT, "%s is not installed: apt install %s", d->lib, d->pkg);
	}
	for (size_t i = 0; i < d->n_syms; i++) {
		sym = dlsym(d->handle, d->syms[i].name);
		if (!sym) {
			dynlib__close(d, fns, size);
			return err_set(-ENOENT, "%s has no %s: %s is too old; apt install %s",
				       d->soname, d->syms[i].name, d->lib, d->pkg);
		}
		memcpy((char *)fns + d->syms[i].off, &sym, sizeof(sym));
	}
	return 0;
}

void dynlib__close(struct dynlib *d, void *fns, size_t size)
{
	if (d->handle)
		dlclose(d->handle);
	d->handle = NULL;
	memset(fns, 0, size);
}

int dynlib__load(struct dynlib *d, void *fns, size_t size)
{
	if (!d->tried) {
		d->tried = true;
		d->err = dynlib__open(d, fns, size);
		if (d->err)
			snprintf(d->why, sizeof(d->why), "%s", err_last());
	}
	return d->err ? err_set(d->err, "%s", d->why) : 0;
}
