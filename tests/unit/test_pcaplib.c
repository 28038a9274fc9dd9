// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>

#include "unit.h"
#include "log.h"
#include "pcaplib.h"

#include <pcap/dlt.h>

/* Without libpcap a capture fails with one line naming the package. */
TEST(pcaplib_missing_says_what_to_install)
{
	struct pcaplib lib;

	CHECK_EQ_INT(pcaplib__open(&lib, "libpcap-not-there.so.0.8"), -ENOENT);
	CHECK_STR(err_last(), "libpcap is not installed: apt install libpcap0.8");
	CHECK(!lib.handle && !lib.compile);
}

/* The real one: every function resolved, and the same handle on each call. */
TEST(pcaplib_loads_every_function)
{
	const struct pcaplib *p = pcaplib();
	pcap_t *dead;

	CHECK(p && p == pcaplib());
	CHECK(p->open_dead && p->compile && p->freecode && p->geterr && p->close &&
	      p->offline_filter && p->dump_fopen);
	dead = p->open_dead(DLT_EN10MB, 128);
	CHECK(dead != NULL);
	p->close(dead);
}
