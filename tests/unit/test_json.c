// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The JSON writer: exact compact output, escaping, and pretty output. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "params.h"
#include "unit.h"

struct mem {
	char *buf;
	size_t len;
	FILE *f;
};

static void mem_open(struct mem *m, struct json *j, bool pretty)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	json_init(j, m->f, pretty);
}

/* Ends the stream; m->buf holds the text. */
static const char *mem_close(struct mem *m)
{
	fclose(m->f);
	m->f = NULL;
	return unit_autofree(m->buf);
}

/*
 * A small strict JSON checker (RFC 8259 grammar, no extensions), so the
 * tests can say "valid" without running jq.
 */
static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *parse_value(const char *p, int depth);

static const char *parse_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		unsigned char c = *p;

		if (!c || c < 0x20)
			return NULL;
		if (c == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!isxdigit((unsigned char)p[i]))
						return NULL;
				p += 5;
				continue;
			}
			if (!*p || !strchr("\"\\/bfnrt", *p))
				return NULL;
		}
		p++;
	}
	return p + 1;
}

static const char *parse_number(const char *p)
{
	const char *s = p;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (isdigit((unsigned char)*p))
		while (isdigit((unsigned char)*p))
			p++;
	else
		return NULL;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return NULL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return NULL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return p > s ? p : NULL;
}

static const char *parse_container(const char *p, int depth, char close, bool keys)
{
	p = skip_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (keys) {
			p = parse_string(skip_ws(p));
			if (!p)
				return NULL;
			p = skip_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		p = parse_value(p, depth + 1);
		if (!p)
			return NULL;
		p = skip_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *parse_value(const char *p, int depth)
{
	if (depth > 64)
		return NULL;
	p = skip_ws(p);
	switch (*p) {
	case '{':
		return parse_container(p, depth, '}', true);
	case '[':
		return parse_container(p, depth, ']', false);
	case '"':
		return parse_string(p);
	case 't':
		return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f':
		return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n':
		return strncmp(p, "null", 4) ? NULL : p + 4;
	default:
		return parse_number(p);
	}
}

static bool json_valid(const char *s)
{
	const char *end = parse_value(s, 0);

	return end && !*skip_ws(end);
}

/* @s without whitespace outside strings: pretty output minus layout. */
static char *squeeze(const char *s)
{
	char *out = unit_autofree(malloc(strlen(s) + 1)), *o = out;
	bool in_str = false;

	for (; *s; s++) {
		if (in_str) {
			*o++ = *s;
			if (*s == '\\' && s[1])
				*o++ = *++s;
			else if (*s == '"')
				in_str = false;
		} else if (*s == '"') {
			*o++ = *s;
			in_str = true;
		} else if (!isspace((unsigned char)*s)) {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

TEST(json_checker_self_test)
{
	/* The checker must itself tell good from bad, or the tests prove nothing. */
	CHECK(json_valid("{\"a\":[1,true,null,\"x\\n\\u0001\"],\"b\":{}}"));
	CHECK(json_valid(" [ ] \n"));
	CHECK(!json_valid("{\"a\":1,}"));
	CHECK(!json_valid("[1,]"));
	CHECK(!json_valid("{\"a\" 1}"));
	CHECK(!json_valid("[1 2]"));
	CHECK(!json_valid("{\"a\":1"));
	CHECK(!json_valid("\"a\nb\""));
	CHECK(!json_valid("\"\\x\""));
	CHECK(!json_valid("{}{}"));
	CHECK(!json_valid("[01]"));
}

/* The document every layout test writes. */
static void write_doc(struct json *j)
{
	json_object_start(j);
	json_kv_string(j, "name", "veth0");
	json_kv_uint(j, "ifindex", 7);
	json_kv_bool(j, "managed", true);
	json_key(j, "programs");
	json_array_start(j);
	json_object_start(j);
	json_kv_string(j, "name", "xdp_a");
	json_kv_uint(j, "id", 101);
	json_key(j, "actions");
	json_array_start(j);
	json_string(j, "pass");
	json_string(j, "drop");
	json_array_end(j);
	json_object_end(j);
	json_object_start(j);
	json_kv_bool(j, "final", false);
	json_object_end(j);
	json_array_end(j);
	json_key(j, "hook");
	json_null(j);
	json_key(j, "empty_obj");
	json_object_start(j);
	json_object_end(j);
	json_key(j, "empty_arr");
	json_array_start(j);
	json_array_end(j);
	json_object_end(j);
	json_finish(j);
}

static const char doc_compact[] =
	"{\"name\":\"veth0\",\"ifindex\":7,\"managed\":true,"
	"\"programs\":[{\"name\":\"xdp_a\",\"id\":101,\"actions\":[\"pass\",\"drop\"]},"
	"{\"final\":false}],\"hook\":null,\"empty_obj\":{},\"empty_arr\":[]}\n";

TEST(json_compact_nested)
{
	struct mem m;
	struct json j;

	mem_open(&m, &j, false);
	CHECK(m.f != NULL);
	write_doc(&j);
	CHECK_STR(mem_close(&m), doc_compact);
	CHECK(json_valid(m.buf));
}

TEST(json_top_level_array)
{
	struct mem m;
	struct json j;

	mem_open(&m, &j, false);
	json_array_start(&j);
	json_object_start(&j);
	json_object_end(&j);
	json_uint(&j, 0);
	json_uint(&j, UINT64_MAX);
	json_bool(&j, false);
	json_array_start(&j);
	json_array_end(&j);
	json_array_end(&j);
	json_finish(&j);
	CHECK_STR(mem_close(&m), "[{},0,18446744073709551615,false,[]]\n");
}

TEST(json_escaping)
{
	struct mem m;
	struct json j;

	mem_open(&m, &j, false);
	json_object_start(&j);
	json_kv_string(&j, "q\"k", "say \"hi\"");
	json_kv_string(&j, "bs", "C:\\dir\\");
	json_kv_string(&j, "nl", "a\nb\tc\rd");
	json_kv_string(&j, "ctl", "\x01\x1f\x7f");
	json_kv_string(&j, "utf8", "caf\xc3\xa9 /");
	json_kv_string(&j, "null", NULL);
	json_object_end(&j);
	json_finish(&j);
	CHECK_STR(mem_close(&m), "{\"q\\\"k\":\"say \\\"hi\\\"\","
				 "\"bs\":\"C:\\\\dir\\\\\","
				 "\"nl\":\"a\\nb\\tc\\u000dd\","
				 "\"ctl\":\"\\u0001\\u001f\x7f\","
				 "\"utf8\":\"caf\xc3\xa9 /\","
				 "\"null\":\"\"}\n");
	CHECK(json_valid(m.buf));
}

TEST(json_escaping_every_control_char)
{
	char s[32];
	struct mem m;
	struct json j;

	for (int i = 1; i < 32; i++)
		s[i - 1] = (char)i;
	s[31] = '\0';
	mem_open(&m, &j, false);
	json_string(&j, s);
	json_finish(&j);
	mem_close(&m);
	CHECK(json_valid(m.buf));
	/* Nothing raw below 0x20 but the final newline. */
	for (size_t i = 0; i + 1 < m.len; i++)
		if ((unsigned char)m.buf[i] < 0x20) {
			unit_fail(__FILE__, __LINE__, "raw byte 0x%02x at %zu", m.buf[i], i);
			return;
		}
	CHECK_CONTAINS(m.buf, "\\u0002");
}

TEST(json_pretty)
{
	struct mem m;
	struct json j;
	char *flat;
	int braces = 0, brackets = 0;
	bool in_str = false;

	mem_open(&m, &j, true);
	write_doc(&j);
	mem_close(&m);
	CHECK(json_valid(m.buf));
	/* Same document as compact, only laid out. */
	flat = squeeze(m.buf);
	CHECK_STR(flat,
		  "{\"name\":\"veth0\",\"ifindex\":7,\"managed\":true,"
		  "\"programs\":[{\"name\":\"xdp_a\",\"id\":101,\"actions\":[\"pass\",\"drop\"]},"
		  "{\"final\":false}],\"hook\":null,\"empty_obj\":{},\"empty_arr\":[]}");
	/* One member a line, indented by depth; keys followed by ": ". */
	CHECK(!strncmp(m.buf, "{\n    \"name\": \"veth0\",\n    \"ifindex\": 7,\n", 40));
	CHECK_CONTAINS(m.buf, "\n    \"programs\": [\n        {\n            \"name\": \"xdp_a\",");
	CHECK_CONTAINS(m.buf,
		       "\n                \"pass\",\n                \"drop\"\n            ]");
	CHECK_CONTAINS(m.buf, "\"empty_obj\": {},");
	CHECK_CONTAINS(m.buf, "\"empty_arr\": []\n}\n");
	for (const char *p = m.buf; *p; p++) {
		if (in_str) {
			if (*p == '\\')
				p++;
			else if (*p == '"')
				in_str = false;
			continue;
		}
		in_str = *p == '"';
		braces += (*p == '{') - (*p == '}');
		brackets += (*p == '[') - (*p == ']');
		CHECK(braces >= 0 && brackets >= 0);
	}
	CHECK_EQ_INT(braces, 0);
	CHECK_EQ_INT(brackets, 0);
}

/* Nested containers to JSON_MAX_DEPTH - 1, with siblings at every level. */
TEST(json_deep_nesting)
{
	const int levels = JSON_MAX_DEPTH - 1;
	struct mem m;
	struct json j;

	mem_open(&m, &j, false);
	for (int i = 0; i < levels; i++) {
		json_array_start(&j);
		json_uint(&j, i);
	}
	for (int i = 0; i < levels; i++) {
		json_array_end(&j);
		json_null(&j);
	}
	json_finish(&j);
	mem_close(&m);
	/* A trailing sibling at the top makes two documents: drop it. */
	CHECK(m.len > 6);
	CHECK_STR(m.buf + m.len - 6, ",null\n");
	m.buf[m.len - 6] = '\0';
	CHECK(json_valid(m.buf));
}

TEST(json_print_error)
{
	char *out;

	memset(&g_opts, 0, sizeof(g_opts));
	g_opts.json = true;
	unit_capture_begin();
	print_error("add", "bad \"thing\"\n");
	out = unit_capture_end();
	memset(&g_opts, 0, sizeof(g_opts));
	CHECK_STR(out, "{\"error\":\"bad \\\"thing\\\"\\n\"}\n");

	unit_capture_begin();
	print_error("add", "plain");
	out = unit_capture_end();
	CHECK_STR(out, "xdpchain add: plain\n");
}
