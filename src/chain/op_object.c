// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A user's BPF object for add and apply: read once, checked, opened, and
 * the XDP program to chain picked, before any lock or kernel probe.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "log.h"
#include "ops_internal.h"
#include "xdp_action.h"

/* "FILE:LINE: " of a chain file's entry, or nothing for add. */
#define WHERE_FMT "%s%s"
#define WHERE_ARGS(o) (o)->where ? (o)->where : "", (o)->where ? ": " : ""

/* ELF with e_machine EM_BPF: gives a clear error before libbpf's own. */
static int check_bpf_elf(const struct chain_add_opts *o, const struct objfile *f)
{
	const unsigned char *hdr = f->data;

	if (f->size < 20 || memcmp(hdr, "\177ELF", 4))
		return err_set(
			-ENOEXEC,
			WHERE_FMT
			"%s is not a BPF object (not an ELF file); build it with 'clang -O2 -g -target bpf -c prog.bpf.c'",
			WHERE_ARGS(o), o->file);
	if ((hdr[18] | hdr[19] << 8) != 247 /* EM_BPF, little endian */)
		return err_set(
			-ENOEXEC,
			WHERE_FMT
			"%s is an ELF file for another machine, not a BPF object; build it with 'clang -target bpf'",
			WHERE_ARGS(o), o->file);
	return 0;
}

/* "a (xdp), b (tc)": the programs of @obj, for messages. */
static const char *list_progs(struct bpf_object *obj, char *buf, size_t size)
{
	struct bpf_program *p;
	size_t len = 0;

	buf[0] = '\0';
	bpf_object__for_each_program(p, obj) {
		int n = snprintf(buf + len, size - len, "%s%s (%s)", len ? ", " : "",
				 bpf_program__name(p),
				 libbpf_bpf_prog_type_str(bpf_program__type(p)));

		if (n < 0 || (size_t)n >= size - len)
			break;
		len += n;
	}
	return len ? buf : "no programs at all";
}

/* The program of @obj to chain: --prog's, else the first XDP one. */
static int pick_prog(const struct chain_add_opts *o, struct bpf_object *obj,
		     struct bpf_program **progp)
{
	struct bpf_program *prog = NULL, *p;
	char names[512];

	if (o->prog_name) {
		prog = bpf_object__find_program_by_name(obj, o->prog_name);
		if (!prog)
			return err_set(-ENOENT, WHERE_FMT "%s has no program named '%s'; it has %s",
				       WHERE_ARGS(o), o->file, o->prog_name,
				       list_progs(obj, names, sizeof(names)));
	} else {
		bpf_object__for_each_program(p, obj) {
			if (bpf_program__type(p) == BPF_PROG_TYPE_XDP) {
				prog = p;
				break;
			}
		}
		if (!prog)
			return err_set(
				-EINVAL,
				WHERE_FMT
				"%s has no XDP program (it has %s); xdpchain chains SEC(\"xdp\") programs",
				WHERE_ARGS(o), o->file, list_progs(obj, names, sizeof(names)));
	}
	if (bpf_program__type(prog) != BPF_PROG_TYPE_XDP)
		return err_set(
			-EINVAL,
			WHERE_FMT
			"program '%s' in %s is a %s program, not XDP; xdpchain chains SEC(\"xdp\") programs",
			WHERE_ARGS(o), bpf_program__name(prog), o->file,
			libbpf_bpf_prog_type_str(bpf_program__type(prog)));
	if (!strcmp(bpf_program__name(prog), FINAL_NAME) ||
	    !strcmp(bpf_program__name(prog), TAP_NAME))
		return err_set(
			-EINVAL,
			WHERE_FMT
			"program '%s' in %s has the name of xdpchain's %s; rename the program",
			WHERE_ARGS(o), bpf_program__name(prog), o->file,
			strcmp(bpf_program__name(prog), FINAL_NAME) ? "capture tap" :
								      "final stage");
	*progp = prog;
	return 0;
}

/*
 * Opens the object read into @f (the bytes hashed are the bytes loaded) and
 * picks the XDP program to chain. @f must outlive the object.
 */
static int open_user_obj(const struct chain_add_opts *o, const struct objfile *f,
			 struct bpf_object **objp, struct bpf_program **progp)
{
	const char *base = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
	char name[64];
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = name);
	struct bpf_program *prog = NULL, *p;
	struct bpf_object *obj;
	int err;

	/* named as bpf_object__open_file() names it (internal maps: "count.rodata") */
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(base, "."), base);

	err = check_bpf_elf(o, f);
	if (err)
		return err;
	obj = bpf_object__open_mem(f->data, f->size, &oo);
	err = libbpf_get_error(obj);
	if (err)
		return err_set(err,
			       WHERE_FMT
			       "cannot open BPF object %s: %s; run with -vv for libbpf's reason",
			       WHERE_ARGS(o), o->file, strerror(-err));
	err = pick_prog(o, obj, &prog);
	if (err) {
		bpf_object__close(obj);
		return err;
	}
	/* Other programs in the object stay unloaded. */
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == prog);
	*objp = obj;
	*progp = prog;
	return 0;
}

/* An XDP program of @obj (opened by open_user_obj()) with @o's overrides. */
static int make_user_prog(struct bpf_object *obj, struct bpf_program *bprog,
			  const struct chain_add_opts *o, struct xdp_program **out)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xopts, .obj = obj,
			    .prog_name = bpf_program__name(bprog));
	struct xdp_program *prog;
	int err;

	prog = xdp_program__create(&xopts);
	err = libxdp_get_error(prog);
	if (err) {
		*out = NULL;
		return err_set(err,
			       WHERE_FMT
			       "cannot read %s as an XDP program: %s; run with -vv for details",
			       WHERE_ARGS(o), o->file, strerror(-err));
	}
	if (o->prio_set)
		xdp_program__set_run_prio(prog, o->prio);
	if (o->actions_set)
		for (unsigned int a = 0; a < XDP_ACTION_COUNT; a++)
			xdp_program__set_chain_call_enabled(prog, a, o->actions & (1U << a));
	*out = prog;
	return 0;
}

/*
 * Reads @o->file (objfile.h: never blocks, a regular file of bounded size,
 * read once), opens those bytes and picks the program: everything that
 * can be wrong with the object, found before any lock or kernel probe.
 * @rec gets the object's resolved path and the hash of the bytes loaded.
 */
int user_obj_load(const struct chain_add_opts *o, struct objfile *f, struct bpf_object **objp,
		  struct xdp_program **progp, struct member_rec *rec)
{
	struct bpf_program *bprog;
	int err;

	memset(rec, 0, sizeof(*rec));
	err = objfile__read(f, o->file, o->where);
	if (err)
		return err;
	if (strlen(f->path) >= sizeof(rec->object))
		return err_set(-ENAMETOOLONG,
			       WHERE_FMT "the path of %s is longer than %d bytes; move the object",
			       WHERE_ARGS(o), f->path, MEMBER_OBJECT_MAX - 1);
	strcpy(rec->object, f->path);
	memcpy(rec->sha256, f->sha256, SHA256_LEN);
	err = open_user_obj(o, f, objp, &bprog);
	if (!err)
		err = make_user_prog(*objp, bprog, o, progp);
	if (!err)
		snprintf(rec->prog, sizeof(rec->prog), "%s", xdp_program__name(*progp));
	return err;
}
