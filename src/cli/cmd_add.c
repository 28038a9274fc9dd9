// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <stddef.h>
#include <stdio.h>

#include "chain.h"
#include "commands.h"
#include "log.h"
#include "notes.h"
#include "output.h"

struct add_cfg {
	const char *ifname;
	const char *file;
	const char *prog;
	__u32 prio;
	bool prio_set;
	__u32 actions;
	bool actions_set;
	enum xdp_attach_mode mode;
	const char *hook_pin;
};

static const struct param add_params[] = {
	{ "priority", 0, PT_U32, offsetof(struct add_cfg, prio), offsetof(struct add_cfg, prio_set),
	  "N", "run priority, lower runs first (default: the program's XDP_RUN_CONFIG, else 50)",
	  PRIO_USER_MAX },
	{ "prog", 0, PT_STR, offsetof(struct add_cfg, prog), PARAM_NO_SET, "NAME",
	  "program to chain when FILE holds several (default: the first XDP program)", 0 },
	{ "proceed-on", 0, PT_ACTIONS, offsetof(struct add_cfg, actions),
	  offsetof(struct add_cfg, actions_set), NULL,
	  "actions after which the next program runs (default: XDP_RUN_CONFIG, else pass)", 0 },
	{ "mode", 'm', PT_MODE, offsetof(struct add_cfg, mode), PARAM_NO_SET, NULL,
	  "attach mode when the chain is created (default: native if the driver has it, else skb)",
	  0 },
	{ "hook-pin", 0, PT_STR, offsetof(struct add_cfg, hook_pin), PARAM_NO_SET, "PATH",
	  "pin the shared xdpcap hook here when the chain is created (default: /sys/fs/bpf/xdpchain/IFACE/xdpcap_hook)",
	  0 },
	PARAMS_END,
};

static const struct positional add_args[] = {
	ARG_IFACE(struct add_cfg, false, IFACE_HELP),
	{ .name = "FILE",
	  .off = offsetof(struct add_cfg, file),
	  .optional = false,
	  .help = "BPF object file holding an XDP program" },
	{},
};

const struct cmd_desc add_desc = {
	.name = "add",
	.summary =
		"Add an XDP program to the chain on IFACE, ordered by priority, before xdpchain's final stage.",
	.details =
		"The chain is created on first use: libxdp's dispatcher, the final stage, and the shared\n"
		"xdpcap hook map. A program whose object defines an `xdpcap_hook` map gets the shared one.",
	.params = add_params,
	.args = add_args,
};

static void print_added(const struct add_cfg *cfg, const struct chain_prog *p)
{
	char acts[64];

	format_actions(p->actions, acts, sizeof(acts));
	if (g_opts.json) {
		struct json j;

		json_init(&j, stdout, g_opts.pretty);
		json_object_start(&j);
		json_kv_string(&j, "ifname", cfg->ifname);
		json_kv_string(&j, "name", p->name);
		json_kv_uint(&j, "id", p->id);
		json_kv_uint(&j, "priority", p->prio);
		json_kv_string(&j, "proceed_on", acts);
		json_kv_bool(&j, "uses_hook", p->uses_hook);
		json_object_end(&j);
		json_finish(&j);
		return;
	}
	pr_info("added %s (id %u, priority %u, proceed on %s%s) to %s\n", p->name, p->id, p->prio,
		acts, p->uses_hook ? ", shared hook" : "", cfg->ifname);
}

int do_add(int argc, char **argv)
{
	struct add_cfg cfg = { .mode = XDP_MODE_UNSPEC };
	struct chain_add_opts o;
	struct notes notes = NOTES_INIT;
	struct chain_prog added;
	int ret, err;

	ret = cmd_parse(&add_desc, argc, argv, &cfg);
	if (ret >= 0)
		return ret;
	o = (struct chain_add_opts){
		.file = cfg.file,
		.prog_name = cfg.prog,
		.prio = cfg.prio,
		.prio_set = cfg.prio_set,
		.actions = cfg.actions,
		.actions_set = cfg.actions_set,
		.mode = cfg.mode,
		.hook_pin = cfg.hook_pin,
	};
	err = chain__add(cfg.ifname, &o, &added, &notes);
	notes_print(&notes);
	if (err)
		return cmd_fail("add");
	print_added(&cfg, &added);
	return EXIT_OK;
}
