// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Interface names as `save` writes them read back as the same names:
 * written with chainfile__name() into a chain file, read by
 * chainfile__load(). Linux allows any byte but '/', ':' and white space in
 * a name, so "#x" (a YAML comment when plain) is a real interface name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chainfile.h"
#include "chainfile_keys.h"
#include "log.h"
#include "unit.h"

/* Writes a chain file naming @name (no programs) and reads it back into @cf. */
static int round_trip(const char *name, struct chainfile *cf, char *plain, size_t size)
{
	char path[] = "/tmp/xdpchain-unit-XXXXXX";
	int fd = mkstemp(path), err;
	FILE *f;

	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(path);
		return -1;
	}
	fputs("version: 1\ninterfaces:\n  ", f);
	chainfile__name(f, name);
	fputs(":\n    programs: []\n", f);
	fclose(f);
	f = fopen(path, "r");
	if (f) {
		/* the line as written, for the plain/quoted checks */
		for (int i = 0; i < 3 && fgets(plain, size, f); i++)
			;
		fclose(f);
	}
	err = chainfile__load(cf, path);
	unlink(path);
	return err;
}

TEST(chainfile_names_round_trip)
{
	static const char *const names[] = { "eth0", "br-lan", "enp1s0.100", "#x",  "yes",
					     "No",   "null",   "1",	     "-x",  "a\"b\\c",
					     "x#y",  "[x]",    "*x",	     "&x",  "!x",
					     "%x",   "@x",     "'x",	     "x,y", "{x}",
					     ">x" };
	char line[128];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct chainfile cf = {};
		int err;

		err_clear();
		err = round_trip(names[i], &cf, line, sizeof(line));
		if (err) {
			unit_fail(__FILE__, __LINE__, "'%s' did not read back: %s", names[i],
				  err_last());
			chainfile__free(&cf);
			return;
		}
		if (cf.n != 1 || strcmp(cf.ifs[0].ifname, names[i])) {
			unit_fail(__FILE__, __LINE__, "'%s' read back as '%s'", names[i],
				  cf.n ? cf.ifs[0].ifname : "(nothing)");
			chainfile__free(&cf);
			return;
		}
		chainfile__free(&cf);
	}
	/* the usual names stay plain, as save wrote them before */
	{
		struct chainfile cf = {};

		CHECK_EQ_INT(round_trip("eth0", &cf, line, sizeof(line)), 0);
		chainfile__free(&cf);
		CHECK_STR(line, "  eth0:\n");
		CHECK_EQ_INT(round_trip("#x", &cf, line, sizeof(line)), 0);
		chainfile__free(&cf);
		CHECK_STR(line, "  \"#x\":\n");
	}
}

/* Reads @text as a chain file into @cf; 0 or the error chainfile__load() returned. */
static int load_text(const char *text, struct chainfile *cf)
{
	char path[] = "/tmp/xdpchain-unit-XXXXXX";
	int fd = mkstemp(path), err;
	FILE *f;

	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(path);
		return -1;
	}
	fputs(text, f);
	fclose(f);
	err = chainfile__load(cf, path);
	unlink(path);
	return err;
}

/*
 * xdpchain.conf(5) documents the keys of chainfile_keys.h, and the parser
 * reads the same table: the keys it says it knows, at each level, are
 * exactly those, in that order.
 */
TEST(chainfile_keys_match_parser)
{
	static const char *const files[CF_NR_LEVELS] = {
		[CF_FILE] = "bogus_key: 1\n",
		[CF_IFACE] =
			"version: 1\ninterfaces:\n  eth0:\n    bogus_key: 1\n    programs: []\n",
		[CF_PROGRAM] = ("version: 1\ninterfaces:\n  eth0:\n    programs:\n"
				"      - object: /x.o\n        bogus_key: 1\n"),
	};

	for (int l = 0; l < CF_NR_LEVELS; l++) {
		struct chainfile cf = {};
		char want[256] = "";
		const char *known;
		int err;

		for (const struct chainfile_key *k = chainfile_keys; k->name; k++)
			if (k->level == (enum chainfile_level)l)
				snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s",
					 want[0] ? ", " : "", k->name);
		err_clear();
		err = load_text(files[l], &cf);
		chainfile__free(&cf);
		CHECK(err < 0);
		CHECK_CONTAINS(err_last(), "unknown key 'bogus_key'");
		known = strstr(err_last(), "known: ");
		CHECK(known != NULL);
		if (known)
			CHECK_STR(known + strlen("known: "), want);
	}
}

/*
 * Every key of the table the page documents has a handler the parser
 * calls: a file naming each key once, with a valid value, loads, and the
 * values land where each key's handler puts them.
 */
TEST(chainfile_keys_each_parsed)
{
	static const char text[] =
		"version: 1\n"
		"interfaces:\n"
		"  eth0:\n"
		"    mode: skb\n"
		"    hook-pin: /sys/fs/bpf/h\n"
		"    programs:\n"
		"      - object: /x.o\n"
		"        program: p\n"
		"        priority: 7\n"
		"        proceed-on: [pass, drop]\n"
		"        sha256: "
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n";
	struct chainfile cf = {};
	size_t n = 0;

	for (const struct chainfile_key *k = chainfile_keys; k->name; k++, n++) {
		CHECK(k->parse != NULL);
		CHECK(strstr(text, k->name) != NULL);
	}
	CHECK(n == 10);
	err_clear();
	CHECK(load_text(text, &cf) == 0);
	CHECK(cf.n == 1);
	if (cf.n == 1) {
		const struct chain_want *w = &cf.ifs[0].want[0];

		CHECK(cf.ifs[0].spec.mode == XDP_MODE_SKB);
		CHECK_STR(cf.ifs[0].spec.hook_pin, "/sys/fs/bpf/h");
		CHECK(cf.ifs[0].spec.n == 1);
		CHECK_STR(w->object, "/x.o");
		CHECK_STR(w->prog, "p");
		CHECK(w->prio_set && w->prio == 7);
		CHECK(w->actions_set && w->actions == ((1u << XDP_PASS) | (1u << XDP_DROP)));
		CHECK(w->sha256 != NULL);
	}
	chainfile__free(&cf);
}
