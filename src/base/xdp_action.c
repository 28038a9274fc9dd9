// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The names of the XDP actions, and numbers as the command line and chain files write them. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xdp_action.h"

static const char *const action_names[] = {
	[XDP_ABORTED] = "aborted", [XDP_DROP] = "drop",		[XDP_PASS] = "pass",
	[XDP_TX] = "tx",	   [XDP_REDIRECT] = "redirect",
};

#define N_ACTIONS XDP_ACTION_COUNT
_Static_assert(sizeof(action_names) / sizeof(action_names[0]) == XDP_ACTION_COUNT,
	       "a name per XDP action");

const char *action_name(unsigned int action)
{
	return action < N_ACTIONS ? action_names[action] : "unknown";
}

int parse_actions(const char *s, __u32 *mask)
{
	const char *p = s;
	__u32 m = 0;

	if (!*s)
		return -EINVAL;
	while (*p) {
		size_t len = strcspn(p, ",");
		unsigned int a;

		for (a = 0; a < N_ACTIONS; a++)
			if (strlen(action_names[a]) == len && !strncmp(p, action_names[a], len))
				break;
		if (a == N_ACTIONS)
			return -EINVAL;
		m |= 1U << a;
		p += len;
		if (*p == ',' && !*++p)
			return -EINVAL;
	}
	*mask = m;
	return 0;
}

char *format_actions(__u32 mask, char *buf, size_t size)
{
	size_t used = 0;
	unsigned int a;

	if (size)
		buf[0] = '\0';
	for (a = 0; a < N_ACTIONS; a++) {
		int n;

		if (!(mask & (1U << a)))
			continue;
		n = snprintf(buf + used, size > used ? size - used : 0, "%s%s", used ? "," : "",
			     action_names[a]);
		if (n < 0)
			break;
		used += n;
	}
	return buf;
}

/* Decimal, or hex with 0x; no sign, no spaces, no octal surprises. */
int parse_u32(const char *s, unsigned long max, __u32 *out)
{
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	const char *digits = hex ? s + 2 : s;
	unsigned long v;
	char *end;

	if (!*digits || !(hex ? isxdigit((unsigned char)*digits) : isdigit((unsigned char)*digits)))
		return -EINVAL;
	errno = 0;
	v = strtoul(digits, &end, hex ? 16 : 10);
	if (errno || *end || v > max || v > UINT32_MAX)
		return -ERANGE;
	*out = v;
	return 0;
}
