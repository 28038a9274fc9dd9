/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The keys of a chain file, by where they stand: one table that
 * chainfile.c's parser reads (each key's handler; an unknown key's error
 * lists the level's names in this order) and xdpchain.conf(5) is written
 * from (manpage_conf.c), so a key is parsed exactly when it is documented.
 */
#ifndef __XDPCHAIN_CHAINFILE_KEYS_H
#define __XDPCHAIN_CHAINFILE_KEYS_H

#include <stdbool.h>

enum chainfile_level {
	CF_FILE, /* the document's top mapping */
	CF_IFACE, /* under interfaces: NAME: */
	CF_PROGRAM, /* an item of programs: */
	CF_NR_LEVELS,
};

struct chainfile_ctx; /* chainfile.c's parser */
struct yaml_node_s; /* libyaml's yaml_node_t */

/*
 * Reads key @key's value @val into @state (the level's: struct
 * chainfile_file_state, iface_state, prog_state in chainfile.c).
 * 0 or -errno with err_set().
 */
typedef int (*chainfile_key_fn)(struct chainfile_ctx *x, struct yaml_node_s *val, const char *key,
				void *state);

struct chainfile_key {
	enum chainfile_level level;
	const char *name;
	const char *value; /* what it takes, as the page shows it */
	bool required;
	const char *help; /* manpage_text(): `code` in backquotes */
	chainfile_key_fn parse;
};

/* Ends with an entry whose name is NULL. */
extern const struct chainfile_key chainfile_keys[];

/* The handlers (chainfile.c), one per key above. */
int chainfile_key_version(struct chainfile_ctx *x, struct yaml_node_s *val, const char *key,
			  void *state);
int chainfile_key_interfaces(struct chainfile_ctx *x, struct yaml_node_s *val, const char *key,
			     void *state);
int chainfile_key_mode(struct chainfile_ctx *x, struct yaml_node_s *val, const char *key,
		       void *state);
int chainfile_key_hook_pin(struct chainfile_ctx *x, struct yaml_node_s *val, const char *key,
			   void *state);
int chainfile_key_programs(struct chainfile_ctx *x, struct yaml_node_s *val, const char *key,
			   void *state);
int chainfile_key_object(struct chainfile_ctx *x, struct yaml_node_s *val, const char *key,
			 void *state);
int chainfile_key_program(struct chainfile_ctx *x, struct yaml_node_s *val, const char *key,
			  void *state);
int chainfile_key_priority(struct chainfile_ctx *x, struct yaml_node_s *val, const char *key,
			   void *state);
int chainfile_key_proceed_on(struct chainfile_ctx *x, struct yaml_node_s *val, const char *key,
			     void *state);
int chainfile_key_sha256(struct chainfile_ctx *x, struct yaml_node_s *val, const char *key,
			 void *state);

#endif
