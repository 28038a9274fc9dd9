// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <stddef.h>

#include "dynlib.h"
#include "pcaplib.h"

static const struct dynlib_sym syms[] = {
#define SYM(f)                                          \
	{                                               \
		"pcap_" #f, offsetof(struct pcaplib, f) \
	}
	SYM(open_dead),	 SYM(compile),
	SYM(freecode),	 SYM(geterr),
	SYM(close),	 SYM(offline_filter),
	SYM(dump_fopen), SYM(open_offline_with_tstamp_precision),
	SYM(datalink),	 SYM(datalink_val_to_name),
	SYM(next_ex),
#undef SYM
};

#define PCAPLIB(name)                                                                  \
	{                                                                              \
		.soname = (name), .lib = "libpcap", .pkg = "libpcap0.8", .syms = syms, \
		.n_syms = sizeof(syms) / sizeof(syms[0])                               \
	}

int pcaplib__open(struct pcaplib *lib, const char *soname)
{
	struct dynlib d = PCAPLIB(soname);
	int err;

	err = dynlib__open(&d, lib, sizeof(*lib));
	lib->handle = d.handle;
	return err;
}

void pcaplib__close(struct pcaplib *lib)
{
	struct dynlib d = { .handle = lib->handle };

	dynlib__close(&d, lib, sizeof(*lib));
}

const struct pcaplib *pcaplib(void)
{
	static struct dynlib d = PCAPLIB(PCAPLIB_SONAME);
	static struct pcaplib lib;

	if (dynlib__load(&d, &lib, sizeof(lib)))
		return NULL;
	lib.handle = d.handle;
	return &lib;
}
