// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The keys of a chain file (chainfile_keys.h): their handlers, and their page in xdpchain.conf(5). */
#include <stddef.h>

#include "chainfile_keys.h"

const struct chainfile_key chainfile_keys[] = {
	{ CF_FILE, "version", "1", false,
	  "the format's version, which `save` writes; this xdpchain reads version 1 and refuses "
	  "any other",
	  chainfile_key_version },
	{ CF_FILE, "interfaces", "mapping", false,
	  "interface names to their chains; an interface the files do not name is left alone. "
	  "Empty (`interfaces:` with nothing under it) describes nothing",
	  chainfile_key_interfaces },
	{ CF_IFACE, "mode", "skb|native", false,
	  "the attach mode when the chain is created, as `add --mode` (default: native where "
	  "the driver has it, else skb)",
	  chainfile_key_mode },
	{ CF_IFACE, "hook-pin", "PATH", false,
	  "where to pin the hook when the chain is created, an absolute path on bpffs, as "
	  "`add --hook-pin`",
	  chainfile_key_hook_pin },
	{ CF_IFACE, "programs", "list", true,
	  "the members, each a mapping with the keys below; `[]` removes the interface's chain. "
	  "At most 9: libxdp runs 10 programs and one is xdpchain's final stage",
	  chainfile_key_programs },
	{ CF_PROGRAM, "object", "FILE", true,
	  "the BPF object file (a regular file of at most 64 MiB); a relative path is relative "
	  "to the chain file's directory (to the working directory for `apply -`)",
	  chainfile_key_object },
	{ CF_PROGRAM, "program", "NAME", false,
	  "which program of the object to chain (default: its first XDP program)",
	  chainfile_key_program },
	{ CF_PROGRAM, "priority", "N", false,
	  "run priority, lower runs first, 0 to 2147483647 (default: the object's "
	  "`XDP_RUN_CONFIG`, else 50)",
	  chainfile_key_priority },
	{ CF_PROGRAM, "proceed-on", "[ACTION, ...]", false,
	  "the actions after which the next program runs, a list or `pass,drop`: aborted, drop, "
	  "pass, tx, redirect (default: the object's `XDP_RUN_CONFIG`, else pass)",
	  chainfile_key_proceed_on },
	{ CF_PROGRAM, "sha256", "HEX", false,
	  "the object's content when it was saved, 64 lowercase hex digits: a different object "
	  "on disk is a warning, and an error under `apply --strict`",
	  chainfile_key_sha256 },
	{ 0, NULL, NULL, false, NULL, NULL },
};
