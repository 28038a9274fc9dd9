// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Chain files (chainfile.h), parsed with libyaml's document API. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chainfile.h"
#include "chainfile_keys.h"
#include "log.h"
#include "members.h"
#include "params.h"
#include "yamllib.h"

static const struct yamllib *yl; /* loaded by chainfile__load() */

struct chainfile_ctx {
	struct chainfile *cf;
	const char *file; /* for messages */
	const char *dir; /* relative objects are relative to its directory ("": the cwd) */
	yaml_document_t *doc;
};

/* Lines in messages count from 1, as editors do; libyaml's from 0. */
static int line_of(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

static int bad(const struct chainfile_ctx *x, const yaml_node_t *n, const char *what)
{
	return err_set(-EINVAL, "%s:%d: %s", x->file, line_of(n), what);
}

static char *keep(struct chainfile_ctx *x, const char *s)
{
	char **strs = realloc(x->cf->strs, (x->cf->n_strs + 1) * sizeof(*strs));

	if (!strs)
		return NULL;
	x->cf->strs = strs;
	strs[x->cf->n_strs] = strdup(s);
	return strs[x->cf->n_strs] ? strs[x->cf->n_strs++] : NULL;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int want_scalar(const struct chainfile_ctx *x, const yaml_node_t *n, const char *key,
		       const char **v)
{
	char msg[160];

	*v = scalar(n);
	if (*v && **v)
		return 0;
	snprintf(msg, sizeof(msg), "'%s' needs a value (a plain string)", key);
	return bad(x, n, msg);
}

/*
 * A mapping's keys at @level, each handed to its handler in chainfile_keys;
 * @where names the mapping in the message for an unknown key ("in a
 * program"; "": the file's).
 */
static int parse_keys(struct chainfile_ctx *x, yaml_node_t *n, enum chainfile_level level,
		      const char *where, void *state)
{
	int err = 0;

	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     !err && p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yl->document_get_node(x->doc, p->key);
		yaml_node_t *val = yl->document_get_node(x->doc, p->value);
		const char *key = scalar(k);
		const struct chainfile_key *h;
		char msg[400], known[128] = "";

		/* the file's level always named an odd key '?' */
		if (!key && level != CF_FILE) {
			err = bad(x, k, "keys are plain strings");
			continue;
		}
		for (h = chainfile_keys;
		     h->name && (h->level != level || !key || strcmp(key, h->name)); h++)
			if (h->level == level)
				snprintf(known + strlen(known), sizeof(known) - strlen(known),
					 "%s%s", known[0] ? ", " : "", h->name);
		if (h->name) {
			err = h->parse(x, val, key, state);
			continue;
		}
		snprintf(msg, sizeof(msg), "unknown key '%s'%s%s; known: %s", key ? key : "?",
			 where[0] ? " " : "", where, known);
		err = bad(x, k, msg);
	}
	return err;
}

/* ---- a program: '- object: FILE' with program, priority, proceed-on, sha256 */

struct prog_state {
	struct chain_want *w;
	const char *object;
};

int chainfile_key_object(struct chainfile_ctx *x, yaml_node_t *val, const char *key, void *state)
{
	return want_scalar(x, val, key, &((struct prog_state *)state)->object);
}

int chainfile_key_program(struct chainfile_ctx *x, yaml_node_t *val, const char *key, void *state)
{
	struct chain_want *w = ((struct prog_state *)state)->w;
	const char *v;
	int err;

	err = want_scalar(x, val, key, &v);
	if (!err && strlen(v) >= PROG_NAME_MAX)
		err = bad(x, val, "program name too long");
	if (!err && !(w->prog = keep(x, v)))
		err = -ENOMEM;
	return err;
}

int chainfile_key_priority(struct chainfile_ctx *x, yaml_node_t *val, const char *key, void *state)
{
	struct chain_want *w = ((struct prog_state *)state)->w;
	const char *v;
	char msg[400];
	int err;

	err = want_scalar(x, val, key, &v);
	if (!err && parse_u32(v, PRIO_USER_MAX, &w->prio)) {
		snprintf(
			msg, sizeof(msg),
			"priority '%s' is not a number from 0 to %u (the upper half is xdpchain's final stage's)",
			v, PRIO_USER_MAX);
		err = bad(x, val, msg);
	}
	w->prio_set = true;
	return err;
}

/* proceed-on's actions, a list or one comma-separated string, as one string. */
static int action_list(struct chainfile_ctx *x, yaml_node_t *val, char *list, size_t size)
{
	const char *v;

	if (val->type != YAML_SEQUENCE_NODE) {
		if (!(v = scalar(val)))
			return bad(x, val, "proceed-on lists action names");
		snprintf(list, size, "%s", v);
		return 0;
	}
	for (yaml_node_item_t *it = val->data.sequence.items.start;
	     it < val->data.sequence.items.top; it++) {
		const char *a = scalar(yl->document_get_node(x->doc, *it));

		if (!a || strlen(list) + strlen(a) + 2 > size)
			return bad(x, val, "proceed-on lists action names");
		snprintf(list + strlen(list), size - strlen(list), "%s%s", list[0] ? "," : "", a);
	}
	return 0;
}

int chainfile_key_proceed_on(struct chainfile_ctx *x, yaml_node_t *val, const char *key,
			     void *state)
{
	struct chain_want *w = ((struct prog_state *)state)->w;
	char list[128] = "", msg[400];
	int err;

	(void)key;
	err = action_list(x, val, list, sizeof(list));
	w->actions = 0;
	if (!err && list[0] && parse_actions(list, &w->actions)) {
		snprintf(msg, sizeof(msg),
			 "proceed-on '%s': actions are aborted, drop, pass, tx, redirect", list);
		err = bad(x, val, msg);
	}
	w->actions_set = true;
	return err;
}

int chainfile_key_sha256(struct chainfile_ctx *x, yaml_node_t *val, const char *key, void *state)
{
	struct chain_want *w = ((struct prog_state *)state)->w;
	const char *v;
	int err;

	err = want_scalar(x, val, key, &v);
	if (!err &&
	    (strlen(v) != 2 * SHA256_LEN || strspn(v, "0123456789abcdef") != 2 * SHA256_LEN))
		err = bad(x, val, "sha256 is 64 lowercase hex digits (or leave it out)");
	if (!err && !(w->sha256 = keep(x, v)))
		err = -ENOMEM;
	return err;
}

/* @object: absolute, or relative to the chain file, so a directory of them can move. */
static int object_path(struct chainfile_ctx *x, yaml_node_t *n, struct chain_want *w,
		       const char *object)
{
	char path[PATH_MAX];
	const char *slash = strrchr(x->dir, '/');

	if (object[0] == '/') {
		w->object = keep(x, object);
	} else {
		if (snprintf(path, sizeof(path), "%.*s%s", slash ? (int)(slash - x->dir + 1) : 0,
			     x->dir, object) >= (int)sizeof(path))
			return bad(x, n, "object path too long");
		w->object = keep(x, path);
	}
	return w->object ? 0 : -ENOMEM;
}

static int parse_program(struct chainfile_ctx *x, yaml_node_t *n, struct chainfile_iface *ifc,
			 size_t i)
{
	struct prog_state st = { .w = &ifc->want[i] };
	int err;

	if (n->type != YAML_MAPPING_NODE)
		return bad(
			x, n,
			"a program is a mapping: '- object: FILE' with program, priority, proceed-on, sha256");
	snprintf(ifc->want_where[i], sizeof(ifc->want_where[i]), "%s:%d", x->file, line_of(n));
	st.w->where = ifc->want_where[i];
	err = parse_keys(x, n, CF_PROGRAM, "in a program", &st);
	if (err)
		return err;
	if (!st.object)
		return bad(x, n, "a program needs 'object: FILE' (the BPF object file)");
	return object_path(x, n, st.w, st.object);
}

/* ---- an interface: 'programs:' (and mode, hook-pin) ---------------------- */

struct iface_state {
	struct chainfile_iface *ifc;
	yaml_node_t *progs;
};

int chainfile_key_mode(struct chainfile_ctx *x, yaml_node_t *val, const char *key, void *state)
{
	struct chainfile_iface *ifc = ((struct iface_state *)state)->ifc;
	const char *v;
	int err;

	err = want_scalar(x, val, key, &v);
	if (!err && !strcmp(v, "skb"))
		ifc->spec.mode = XDP_MODE_SKB;
	else if (!err && !strcmp(v, "native"))
		ifc->spec.mode = XDP_MODE_NATIVE;
	else if (!err)
		err = bad(x, val, "mode is skb or native (or leave it out)");
	return err;
}

int chainfile_key_hook_pin(struct chainfile_ctx *x, yaml_node_t *val, const char *key, void *state)
{
	struct chainfile_iface *ifc = ((struct iface_state *)state)->ifc;
	const char *v;
	int err;

	err = want_scalar(x, val, key, &v);
	if (!err && v[0] != '/')
		err = bad(x, val, "hook-pin is an absolute path on bpffs");
	if (!err && !(ifc->spec.hook_pin = keep(x, v)))
		err = -ENOMEM;
	return err;
}

int chainfile_key_programs(struct chainfile_ctx *x, yaml_node_t *val, const char *key, void *state)
{
	(void)x;
	(void)key;
	((struct iface_state *)state)->progs = val;
	return 0;
}

/* A new interface @name at @k: not described before, and room for it. */
static int new_iface(struct chainfile_ctx *x, yaml_node_t *k, const char *name)
{
	struct chainfile *cf = x->cf;
	char msg[400];

	if (!name || !*name || strlen(name) >= IF_NAMESIZE)
		return bad(x, k, "an interface name (at most 15 characters) is expected here");
	for (size_t i = 0; i < cf->n; i++)
		if (!strcmp(cf->ifs[i].ifname, name)) {
			snprintf(msg, sizeof(msg),
				 "interface %s is described twice (also at %.300s)", name,
				 cf->ifs[i].where);
			return bad(x, k, msg);
		}
	if (cf->n == CHAINFILE_MAX_IFACES)
		return bad(x, k, "too many interfaces");
	return 0;
}

/* The list under 'programs:', each into @ifc. */
static int parse_programs(struct chainfile_ctx *x, yaml_node_t *n, yaml_node_t *progs,
			  struct chainfile_iface *ifc)
{
	char msg[400];
	int err = 0;

	if (!progs)
		return bad(x, n, "an interface needs 'programs:' (a list; [] removes its chain)");
	if (progs->type != YAML_SEQUENCE_NODE)
		return bad(x, progs, "'programs' is a list: '- object: FILE' per program");
	for (yaml_node_item_t *it = progs->data.sequence.items.start;
	     !err && it < progs->data.sequence.items.top; it++) {
		if (ifc->spec.n == CHAIN_MAX_PROGS - 1) {
			snprintf(
				msg, sizeof(msg),
				"more than %d programs for %s: libxdp runs %d, one is xdpchain's final stage",
				CHAIN_MAX_PROGS - 1, ifc->ifname, CHAIN_MAX_PROGS);
			return bad(x, yl->document_get_node(x->doc, *it), msg);
		}
		err = parse_program(x, yl->document_get_node(x->doc, *it), ifc, ifc->spec.n);
		if (!err)
			ifc->spec.n++;
	}
	return err;
}

static int parse_iface(struct chainfile_ctx *x, yaml_node_t *k, yaml_node_t *n)
{
	struct chainfile *cf = x->cf;
	const char *name = scalar(k);
	struct iface_state st = {};
	char where[64];
	int err;

	err = new_iface(x, k, name);
	if (err)
		return err;
	if (n->type != YAML_MAPPING_NODE)
		return bad(x, n, "an interface is a mapping with 'programs:' (and mode, hook-pin)");
	st.ifc = &cf->ifs[cf->n];
	memset(st.ifc, 0, sizeof(*st.ifc));
	snprintf(st.ifc->ifname, sizeof(st.ifc->ifname), "%s", name);
	snprintf(st.ifc->where, sizeof(st.ifc->where), "%s:%d", x->file, line_of(k));
	st.ifc->spec.ifname = st.ifc->ifname;
	st.ifc->spec.where = st.ifc->where;
	st.ifc->spec.want = st.ifc->want;
	st.ifc->spec.mode = XDP_MODE_UNSPEC;
	snprintf(where, sizeof(where), "for interface %s", name);
	err = parse_keys(x, n, CF_IFACE, where, &st);
	if (!err)
		err = parse_programs(x, n, st.progs, st.ifc);
	if (!err)
		cf->n++;
	return err;
}

/* ---- the file: 'version: 1' and 'interfaces:' ---------------------------- */

struct file_state {
	yaml_node_t *ifaces;
};

int chainfile_key_version(struct chainfile_ctx *x, yaml_node_t *val, const char *key, void *state)
{
	(void)key;
	(void)state;
	if (!scalar(val) || strcmp(scalar(val), "1"))
		return bad(x, val, "this xdpchain reads version 1 chain files; write 'version: 1'");
	return 0;
}

int chainfile_key_interfaces(struct chainfile_ctx *x, yaml_node_t *val, const char *key,
			     void *state)
{
	(void)x;
	(void)key;
	((struct file_state *)state)->ifaces = val;
	return 0;
}

static int parse_doc(struct chainfile_ctx *x)
{
	yaml_node_t *root = yl->document_get_root_node(x->doc), *ifaces;
	struct file_state st = {};
	int err;

	if (!root)
		return 0; /* an empty file describes nothing */
	if (root->type != YAML_MAPPING_NODE)
		return bad(x, root,
			   "a chain file is a mapping with 'version: 1' and 'interfaces:'");
	err = parse_keys(x, root, CF_FILE, "", &st);
	ifaces = st.ifaces;
	if (err || !ifaces)
		return err;
	if (ifaces->type == YAML_SCALAR_NODE && !*scalar(ifaces))
		return 0; /* "interfaces:" with nothing under it */
	if (ifaces->type != YAML_MAPPING_NODE)
		return bad(x, ifaces, "'interfaces' maps interface names to their chains");
	for (yaml_node_pair_t *p = ifaces->data.mapping.pairs.start;
	     !err && p < ifaces->data.mapping.pairs.top; p++)
		err = parse_iface(x, yl->document_get_node(x->doc, p->key),
				  yl->document_get_node(x->doc, p->value));
	return err;
}

/*
 * Reads @fd (at most CHAINFILE_MAX bytes) into @buf. A chain file is
 * opened without blocking and must be a regular file; stdin may be a pipe.
 */
static int read_input(int fd, const char *name, bool is_stdin, char **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	struct stat st;
	ssize_t got;

	if (!is_stdin && (fstat(fd, &st) || !S_ISREG(st.st_mode)))
		return err_set(
			-EINVAL,
			"%s is not a regular file; name a chain file, a directory of *.conf files, or - for stdin",
			name);
	*buf = NULL;
	do {
		char *grown;

		if (n == cap || !*buf) {
			cap = *buf ? 2 * cap : cap;
			grown = realloc(*buf, cap + 1);
			if (!grown)
				return err_set(-ENOMEM, "out of memory reading %s", name);
			*buf = grown;
		}
		got = read(fd, *buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return err_set(-errno, "cannot read %s: %s", name, strerror(errno));
		n += got;
		if (n > CHAINFILE_MAX)
			return err_set(
				-EFBIG,
				"%s is larger than %d KiB, which no chain file needs; is it a chain file?",
				name, CHAINFILE_MAX >> 10);
	} while (got > 0);
	(*buf)[n] = '\0';
	*len = n;
	return 0;
}

/* Lines from 1; libyaml gives reader (encoding) errors as a byte offset only. */
static size_t error_line(const yaml_parser_t *p, const char *buf, size_t len)
{
	size_t line = 1;

	if (p->error != YAML_READER_ERROR)
		return p->problem_mark.line + 1;
	for (size_t i = 0; i < p->problem_offset && i < len; i++)
		line += buf[i] == '\n';
	return line;
}

static int yaml_error(const yaml_parser_t *p, const char *name, const char *buf, size_t len)
{
	char byte[32] = "";

	if (p->error == YAML_READER_ERROR && p->problem_value >= 0)
		snprintf(byte, sizeof(byte), " (byte 0x%02x)", p->problem_value & 0xff);
	return err_set(-EINVAL,
		       "%s:%zu: not valid YAML: %s%s%s%s; see 'xdpchain save' for the format", name,
		       error_line(p, buf, len), p->problem ? p->problem : "?", byte,
		       p->context ? " " : "", p->context ? p->context : "");
}

/*
 * A pass over the events: nesting deeper than a chain file's is refused
 * as soon as it is seen. libyaml's scanner costs quadratic time in the
 * depth of flow collections ([[[[...), so its document loader would spend
 * minutes on a few hundred KiB of brackets before any check could run.
 */
static int check_depth(const char *name, const char *buf, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int depth = 0, err = 0;
	bool done = false;

	if (!yl->parser_initialize(&parser))
		return err_set(-ENOMEM, "cannot set up the YAML parser");
	yl->parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!err && !done) {
		if (!yl->parser_parse(&parser, &ev)) {
			err = yaml_error(&parser, name, buf, len);
			break;
		}
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT)
			depth++;
		else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT)
			depth--;
		if (depth > CHAINFILE_MAX_DEPTH)
			err = err_set(
				-EINVAL,
				"%s:%zu: nested deeper than %d levels, where a chain file needs 5; see 'xdpchain save' for the format",
				name, ev.start_mark.line + 1, CHAINFILE_MAX_DEPTH);
		done = ev.type == YAML_STREAM_END_EVENT;
		yl->event_delete(&ev);
	}
	yl->parser_delete(&parser);
	return err;
}

static int parse_buf(struct chainfile *cf, const char *name, const char *dir, const char *buf,
		     size_t len)
{
	struct chainfile_ctx x = { .cf = cf, .file = name, .dir = dir };
	yaml_parser_t parser;
	yaml_document_t doc;
	int err;

	err = check_depth(name, buf, len);
	if (err)
		return err;
	if (!yl->parser_initialize(&parser))
		return err_set(-ENOMEM, "cannot set up the YAML parser");
	yl->parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yl->parser_load(&parser, &doc)) {
		err = yaml_error(&parser, name, buf, len);
		yl->parser_delete(&parser);
		return err;
	}
	x.doc = &doc;
	err = parse_doc(&x);
	yl->document_delete(&doc);
	yl->parser_delete(&parser);
	if (err == -ENOMEM)
		err_set(err, "out of memory reading %s", name);
	if (!err)
		cf->n_files++;
	return err;
}

/* @file, or stdin for "-" (its relative objects are relative to the cwd). */
static int load_file(struct chainfile *cf, const char *file)
{
	bool is_stdin = !strcmp(file, "-");
	const char *name = is_stdin ? "<stdin>" : file;
	char *buf = NULL;
	size_t len = 0;
	int fd, err;

	fd = is_stdin ? STDIN_FILENO : open(file, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return err_set(-errno, "cannot open %s: %s", file, strerror(errno));
	err = read_input(fd, name, is_stdin, &buf, &len);
	if (!is_stdin)
		close(fd);
	if (!err)
		err = parse_buf(cf, name, is_stdin ? "" : file, buf, len);
	free(buf);
	return err;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_conf(const char *name)
{
	size_t n = strlen(name), s = strlen(CHAINFILE_SUFFIX);

	return name[0] != '.' && n > s && !strcmp(name + n - s, CHAINFILE_SUFFIX);
}

int chainfile__load(struct chainfile *cf, const char *path)
{
	char *names[256], file[PATH_MAX];
	size_t n = 0;
	struct dirent *e;
	struct stat st;
	int err = 0;
	DIR *d;

	yl = yamllib();
	if (!yl)
		return -ENOENT;
	if (!cf->ifs) {
		cf->ifs = calloc(CHAINFILE_MAX_IFACES, sizeof(*cf->ifs));
		if (!cf->ifs)
			return err_set(-ENOMEM, "out of memory");
	}
	if (!strcmp(path, "-"))
		return load_file(cf, path);
	if (stat(path, &st))
		return err_set(
			-errno,
			"cannot read %s: %s; name a chain file or a directory of *.conf files",
			path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return load_file(cf, path);
	d = opendir(path);
	if (!d)
		return err_set(-errno, "cannot read directory %s: %s", path, strerror(errno));
	while ((e = readdir(d)) && n < sizeof(names) / sizeof(names[0]))
		if (is_conf(e->d_name) && !(names[n++] = strdup(e->d_name)))
			n--;
	closedir(d);
	qsort(names, n, sizeof(names[0]), by_name);
	for (size_t i = 0; i < n; i++) {
		if (!err &&
		    snprintf(file, sizeof(file), "%s/%s", path, names[i]) >= (int)sizeof(file))
			err = err_set(-ENAMETOOLONG, "path %s/%s is too long", path, names[i]);
		if (!err)
			err = load_file(cf, file);
		free(names[i]);
	}
	return err;
}

void chainfile__free(struct chainfile *cf)
{
	for (size_t i = 0; i < cf->n_strs; i++)
		free(cf->strs[i]);
	free(cf->strs);
	free(cf->ifs);
	memset(cf, 0, sizeof(*cf));
}

void chainfile__quote(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

/*
 * Whether @s reads back as the same string when written plain: a letter,
 * then letters, digits and "_.-" (interface names such as eth0, br-lan,
 * enp1s0.100), and none of the words YAML 1.1 tools take for booleans or null.
 */
static bool plain_safe(const char *s)
{
	static const char *const words[] = { "y",   "n",    "yes",   "no",  "on",
					     "off", "true", "false", "null" };

	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return false;
	if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
	    strlen(s))
		return false;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcasecmp(s, words[i]))
			return false;
	return true;
}

void chainfile__name(FILE *out, const char *s)
{
	if (plain_safe(s))
		fputs(s, out);
	else
		chainfile__quote(out, s);
}
