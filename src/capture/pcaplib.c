// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "pcaplib.h"

int pcaplib__open(struct pcaplib *lib, const char *soname)
{
	static const struct {
		const char *name;
		size_t off;
	} syms[] = {
#define SYM(f) { "pcap_" #f, offsetof(struct pcaplib, f) }
		SYM(open_dead),	 SYM(compile),
		SYM(freecode),	 SYM(geterr),
		SYM(close),	 SYM(offline_filter),
		SYM(dump_fopen), SYM(open_offline_with_tstamp_precision),
		SYM(datalink),	 SYM(datalink_val_to_name),
		SYM(next_ex),
#undef SYM
	};
	void *sym;

	memset(lib, 0, sizeof(*lib));
	lib->handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!lib->handle) {
		pr_debug("dlopen %s: %s\n", soname, dlerror());
		return err_set(-ENOENT, "libpcap is not installed: apt install libpcap0.8");
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		sym = dlsym(lib->handle, syms[i].name);
		if (!sym) {
			pcaplib__close(lib);
			return err_set(-ENOENT,
				       "%s has no %s: libpcap is too old; apt install libpcap0.8",
				       soname, syms[i].name);
		}
		memcpy((char *)lib + syms[i].off, &sym, sizeof(sym));
	}
	return 0;
}

void pcaplib__close(struct pcaplib *lib)
{
	if (lib->handle)
		dlclose(lib->handle);
	memset(lib, 0, sizeof(*lib));
}

const struct pcaplib *pcaplib(void)
{
	static struct pcaplib lib;
	static int err = 1; /* not tried yet */
	static char why[256];

	if (err > 0) {
		err = pcaplib__open(&lib, PCAPLIB_SONAME);
		if (err)
			snprintf(why, sizeof(why), "%s", err_last());
	}
	if (err) {
		err_set(err, "%s", why);
		return NULL;
	}
	return &lib;
}
