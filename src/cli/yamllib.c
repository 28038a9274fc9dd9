// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* libyaml where chain files are read (yamllib.h). */
#include <stddef.h>

#include "dynlib.h"
#include "yamllib.h"

static const struct dynlib_sym syms[] = {
#define SYM(f)                                          \
	{                                               \
		"yaml_" #f, offsetof(struct yamllib, f) \
	}
	SYM(parser_initialize), SYM(parser_delete),	SYM(parser_set_input_string),
	SYM(parser_parse),	SYM(event_delete),	SYM(parser_load),
	SYM(document_delete),	SYM(document_get_node), SYM(document_get_root_node),
#undef SYM
};

const struct yamllib *yamllib(void)
{
	static struct dynlib d = { .soname = YAMLLIB_SONAME,
				   .lib = "libyaml",
				   .pkg = "libyaml-0-2",
				   .syms = syms,
				   .n_syms = sizeof(syms) / sizeof(syms[0]) };
	static struct yamllib lib;

	return dynlib__load(&d, &lib, sizeof(lib)) ? NULL : &lib;
}
