// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "globals.h"
#include "output.h"

void json_init(struct json *j, FILE *out, bool pretty)
{
	j->out = out;
	j->pretty = pretty;
	j->depth = 0;
	j->need_comma[0] = false;
	j->after_key = false;
}

static void indent(struct json *j)
{
	if (!j->pretty)
		return;
	fputc('\n', j->out);
	for (int i = 0; i < j->depth; i++)
		fputs("    ", j->out);
}

/* Separator and indentation before a value or key at the current depth. */
static void before_item(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->need_comma[j->depth])
		fputc(',', j->out);
	if (j->depth)
		indent(j);
	j->need_comma[j->depth] = true;
}

static void open_(struct json *j, char c)
{
	before_item(j);
	fputc(c, j->out);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_(struct json *j, char c)
{
	bool had_items = j->need_comma[j->depth];

	if (j->depth)
		j->depth--;
	if (had_items)
		indent(j);
	fputc(c, j->out);
}

void json_object_start(struct json *j)
{
	open_(j, '{');
}

void json_object_end(struct json *j)
{
	close_(j, '}');
}

void json_array_start(struct json *j)
{
	open_(j, '[');
}

void json_array_end(struct json *j)
{
	close_(j, ']');
}

static void put_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

void json_key(struct json *j, const char *key)
{
	before_item(j);
	put_string(j->out, key);
	fputs(j->pretty ? ": " : ":", j->out);
	j->after_key = true;
}

void json_string(struct json *j, const char *s)
{
	before_item(j);
	put_string(j->out, s ? s : "");
}

void json_uint(struct json *j, uint64_t v)
{
	before_item(j);
	fprintf(j->out, "%llu", (unsigned long long)v);
}

void json_bool(struct json *j, bool v)
{
	before_item(j);
	fputs(v ? "true" : "false", j->out);
}

void json_null(struct json *j)
{
	before_item(j);
	fputs("null", j->out);
}

void json_finish(struct json *j)
{
	fputc('\n', j->out);
	fflush(j->out);
}

void json_kv_string(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_string(j, s);
}

void json_kv_uint(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_uint(j, v);
}

void json_kv_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

void print_error(const char *cmd, const char *msg)
{
	if (g_opts.json) {
		struct json j;

		json_init(&j, g_opts.errors_to_stderr ? stderr : stdout, g_opts.pretty);
		json_object_start(&j);
		json_kv_string(&j, "error", msg);
		json_object_end(&j);
		json_finish(&j);
		return;
	}
	fprintf(stderr, "xdpchain %s: %s\n", cmd, msg);
}
