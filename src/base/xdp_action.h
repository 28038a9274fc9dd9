/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The XDP action set, defined once: how many there are, their names, the
 * mask of all of them. The hook has one slot per action (bpf/xdpchain.h).
 */
#ifndef __XDPCHAIN_XDP_ACTION_H
#define __XDPCHAIN_XDP_ACTION_H

#include <stddef.h>
#include <linux/bpf.h>
#include <linux/types.h>

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
/* "pass,drop" -> bit mask of (1 << XDP_x); 0 on success, -EINVAL if bad. */
int parse_actions(const char *s, __u32 *mask);
/* Writes "pass,drop" for a mask; returns buf. */
char *format_actions(__u32 mask, char *buf, size_t size);
/* Decimal, or hex with 0x, at most @max: 0, -EINVAL (not a number) or -ERANGE. */
int parse_u32(const char *s, unsigned long max, __u32 *out);

#endif
