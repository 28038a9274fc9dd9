// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Libraries loaded where they are used (src/base/dynlib.h). */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "dynlib.h"
#include "log.h"
#include "members.h"
#include "objfile.h"
#include "unit.h"
#include "yamllib.h"

struct two_fns {
	void *a, *b;
};

/* A library that is not there: one line naming the package, nothing kept. */
TEST(dynlib_missing_says_what_to_install)
{
	static const struct dynlib_sym syms[] = { { "f", offsetof(struct two_fns, a) } };
	struct dynlib d = { .soname = "libnot-there.so.9",
			    .lib = "libnot",
			    .pkg = "libnot9",
			    .syms = syms,
			    .n_syms = 1 };
	struct two_fns fns = { &d, &d };

	err_clear();
	CHECK_EQ_INT(dynlib__load(&d, &fns, sizeof(fns)), -ENOENT);
	CHECK_STR(err_last(), "libnot is not installed: apt install libnot9");
	CHECK(!d.handle && !fns.a && !fns.b);
	/* the second call says the same without trying again */
	err_clear();
	CHECK_EQ_INT(dynlib__load(&d, &fns, sizeof(fns)), -ENOENT);
	CHECK_STR(err_last(), "libnot is not installed: apt install libnot9");
}

/* A library without one of the functions: too old, nothing kept open. */
TEST(dynlib_missing_function_says_too_old)
{
	static const struct dynlib_sym syms[] = {
		{ "yaml_parser_initialize", offsetof(struct two_fns, a) },
		{ "yaml_no_such_function", offsetof(struct two_fns, b) },
	};
	struct dynlib d = { .soname = YAMLLIB_SONAME,
			    .lib = "libyaml",
			    .pkg = "libyaml-0-2",
			    .syms = syms,
			    .n_syms = 2 };
	struct two_fns fns;

	err_clear();
	CHECK_EQ_INT(dynlib__open(&d, &fns, sizeof(fns)), -ENOENT);
	CHECK_STR(err_last(), YAMLLIB_SONAME " has no yaml_no_such_function: libyaml is too old; "
					     "apt install libyaml-0-2");
	CHECK(!d.handle && !fns.a && !fns.b);
}

/* The real ones: libyaml resolves, nettle's SHA-256 of "abc" is FIPS 180-2's. */
TEST(dynlib_yaml_and_sha256_load)
{
	const struct yamllib *y = yamllib();
	__u8 sha[SHA256_LEN];
	char hex[SHA256_HEX];

	CHECK(y && y == yamllib() && y->parser_load && y->document_get_root_node);
	CHECK_EQ_INT(sha256_buf("abc", 3, sha), 0);
	sha256_hex(sha, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
