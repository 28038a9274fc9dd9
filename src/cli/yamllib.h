/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libyaml, loaded when a chain file is read (apply, replay --file; see
 * base/dynlib.h) instead of at every start. The binary is not linked with
 * it; yaml.h still gives the types.
 */
#ifndef __XDPCHAIN_YAMLLIB_H
#define __XDPCHAIN_YAMLLIB_H

#include <yaml.h>

/* Debian's libyaml-0-2 package (bookworm, trixie). */
#define YAMLLIB_SONAME "libyaml-0.so.2"

/* The libyaml functions chainfile.c calls, as libyaml names them without "yaml_". */
struct yamllib {
	int (*parser_initialize)(yaml_parser_t *parser);
	void (*parser_delete)(yaml_parser_t *parser);
	void (*parser_set_input_string)(yaml_parser_t *parser, const unsigned char *input,
					size_t size);
	int (*parser_parse)(yaml_parser_t *parser, yaml_event_t *event);
	void (*event_delete)(yaml_event_t *event);
	int (*parser_load)(yaml_parser_t *parser, yaml_document_t *document);
	void (*document_delete)(yaml_document_t *document);
	yaml_node_t *(*document_get_node)(yaml_document_t *document, int index);
	yaml_node_t *(*document_get_root_node)(yaml_document_t *document);
};

/*
 * libyaml, loaded on the first call; NULL when it cannot be, err_set()
 * saying so in one line with the fix ("libyaml is not installed: apt
 * install libyaml-0-2"). Later calls return what the first found.
 */
const struct yamllib *yamllib(void);

#endif
