/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Text and JSON output helpers for the command layer. */
#ifndef __XDPCHAIN_OUTPUT_H
#define __XDPCHAIN_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *out;
	bool pretty;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
	bool after_key;
};

void json_init(struct json *j, FILE *out, bool pretty);
void json_object_start(struct json *j);
void json_object_end(struct json *j);
void json_array_start(struct json *j);
void json_array_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s);
void json_uint(struct json *j, uint64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* Closes the document with a newline. */
void json_finish(struct json *j);

/* key + value shortcuts */
void json_kv_string(struct json *j, const char *key, const char *s);
void json_kv_uint(struct json *j, const char *key, uint64_t v);
void json_kv_bool(struct json *j, const char *key, bool v);

/* Prints the command's one-line error: text on stderr, or JSON on stdout. */
void print_error(const char *cmd, const char *msg);

#endif
