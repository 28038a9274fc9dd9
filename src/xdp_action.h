/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The XDP action set, defined once: how many there are, their names, the
 * mask of all of them. The hook has one slot per action (bpf/xdpchain.h).
 */
#ifndef __XDPCHAIN_XDP_ACTION_H
#define __XDPCHAIN_XDP_ACTION_H

#include <linux/bpf.h>

#define XDP_ACTION_COUNT 5 /* XDP_ABORTED .. XDP_REDIRECT */
#define XDP_ACTION_ALL ((1U << XDP_ACTION_COUNT) - 1)

_Static_assert(XDP_REDIRECT + 1 == XDP_ACTION_COUNT, "XDP actions are 0..XDP_REDIRECT");

/*
 * Whether a proceed-on mask (1 << XDP_x) holds more than one action: a
 * member going on after it needs its verdicts kept to be counted exactly.
 */
static inline int xdp_actions_several(unsigned int mask)
{
	mask &= XDP_ACTION_ALL;
	return (mask & (mask - 1)) != 0;
}

/* "aborted", "drop", "pass", "tx", "redirect"; "unknown" for others. */
const char *action_name(unsigned int action);

#endif
