// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* save: the chains as a chain file (chainfile.h), apply's input. */
#include <errno.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpffs.h"
#include "chain.h"
#include "chainfile.h"
#include "commands.h"
#include "log.h"
#include "members.h"
#include "output.h"

struct save_cfg {
	const char *ifname;
};

static const struct param save_params[] = {
	PARAMS_END,
};

static const struct positional save_args[] = {
	ARG_IFACE(struct save_cfg, true,
		  "network interface (default: every interface with an xdpchain chain)"),
	{},
};

const struct cmd_desc save_desc = {
	.name = "save",
	.summary =
		"Print the chains as a chain file: each program's object, name, priority, proceed-on and content hash.",
	.details =
		"The output is what 'xdpchain apply' reads: 'xdpchain save > /etc/xdpchain/chains.conf'\n"
		"restores the chains at boot (xdpchain.service). Programs another tool added have no\n"
		"known object file: save refuses them, naming them.",
	.params = save_params,
	.args = save_args,
};

/* A chain as a file entry: every member's origin must be known. */
static int check_chain(const struct chain *c, struct member_rec *recs)
{
	if (c->kind == CHAIN_SINGLE)
		return err_set(
			-EINVAL,
			"%s runs XDP program '%s' (id %u) outside a dispatcher, which a chain file cannot describe; unload it or leave %s out",
			c->ifname, c->main_name, c->main_id, c->ifname);
	if (c->kind == CHAIN_DISPATCHER && !c->managed)
		return err_set(
			-EINVAL,
			"%s runs a dispatcher xdpchain did not build (xdp-loader's?): its programs' object files are not known; leave %s out or rebuild it with 'xdpchain add'",
			c->ifname, c->ifname);
	for (size_t i = 0; i < c->n; i++) {
		const struct chain_prog *p = &c->progs[i];

		if (p->is_final || p->is_tap)
			continue;
		if (members__lookup(c->state_dir, p->id, &recs[i]))
			return err_set(
				-ENOENT,
				"program '%s' (id %u) on %s was not added by xdpchain add or apply, so its object file is not known; 'xdpchain remove %s %u' and add it with 'xdpchain add %s FILE'",
				p->name, p->id, c->ifname, c->ifname, p->id, c->ifname);
	}
	return 0;
}

static void print_chain(const struct chain *c, const struct member_rec *recs)
{
	char defpin[PATH_MAX], hex[SHA256_HEX], acts[64];
	bool any = false;

	printf("  ");
	chainfile__name(stdout, c->ifname); /* "#x" would start a comment */
	printf(":\n");
	if (c->kind == CHAIN_DISPATCHER)
		printf("    mode: %s\n", c->mode == XDP_MODE_SKB ? "skb" : "native");
	if (c->managed && !bpffs__default_hook_pin(c->ifname, defpin, sizeof(defpin)) &&
	    strcmp(defpin, c->hook_pin)) {
		printf("    hook-pin: ");
		chainfile__quote(stdout, c->hook_pin);
		printf("\n");
	}
	printf("    programs:");
	for (size_t i = 0; i < c->n; i++) {
		const struct chain_prog *p = &c->progs[i];

		if (p->is_final || p->is_tap)
			continue;
		if (!any)
			printf("\n");
		any = true;
		printf("      - object: ");
		chainfile__quote(stdout, recs[i].object);
		printf("\n        program: ");
		chainfile__quote(stdout, p->name);
		format_actions(p->actions, acts, sizeof(acts));
		for (char *s = acts; (s = strchr(s, ',')); s++)
			*s = ' '; /* "pass,drop" -> a YAML list below */
		printf("\n        priority: %u\n        proceed-on: [", p->prio);
		for (char *tok = strtok(acts, " "), *sep = ""; tok;
		     tok = strtok(NULL, " "), sep = ", ")
			printf("%s%s", sep, tok);
		sha256_hex(recs[i].sha256, hex);
		printf("]\n        sha256: %s\n", hex);
	}
	if (!any)
		printf(" []\n");
}

struct saved {
	struct chain c;
	struct member_rec recs[CHAIN_MAX_PROGS];
};

struct slist {
	struct saved *list;
	size_t n;
};

/* The chain @c into the list @ctx, when every member's origin is known. */
static int add_one(const struct chain *c, void *ctx)
{
	struct slist *l = ctx;
	struct saved *s, *grown;
	int err;

	grown = realloc(l->list, (l->n + 1) * sizeof(*l->list));
	if (!grown)
		return err_set(-ENOMEM, "out of memory");
	l->list = grown;
	s = &grown[l->n];
	memset(s, 0, sizeof(*s));
	s->c = *c;
	err = check_chain(&s->c, s->recs);
	if (!err)
		l->n++;
	return err;
}

/* With every interface: the chains xdpchain built. */
static int add_managed(const struct chain *c, void *ctx)
{
	if (!c->managed || c->kind != CHAIN_DISPATCHER)
		return 0;
	return add_one(c, ctx);
}

int do_save(int argc, char **argv)
{
	struct save_cfg cfg = {};
	struct slist l = {};
	int ret;

	ret = cmd_parse(&save_desc, argc, argv, &cfg);
	if (ret >= 0)
		return ret;
	if (cmd_chains(cfg.ifname, chain__read, add_one, add_managed, &l)) {
		free(l.list);
		return cmd_fail("save");
	}
	/* all read and checked before the first line: a failed save prints no file */
	printf("# xdpchain chains, written by 'xdpchain save'; restore with 'xdpchain apply FILE'\n"
	       "version: 1\n"
	       "interfaces:%s\n",
	       l.n ? "" : " {}");
	for (size_t i = 0; i < l.n; i++)
		print_chain(&l.list[i].c, l.list[i].recs);
	free(l.list);
	if (fflush(stdout) || ferror(stdout)) {
		err_set(-EIO, "writing the chain file failed: %s", strerror(errno));
		return cmd_fail("save");
	}
	return EXIT_OK;
}
