// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* replay's pure rules: the dispatcher's order and step, the sha256 check. */
#include <stdio.h>
#include <string.h>

#include "replay.h"
#include "unit.h"

TEST(replay_sort_is_libxdps_order)
{
	struct replay_member m[4] = {};
	const char *names[] = { "zeta", "beta", "alpha", "first" };
	__u32 prios[] = { 20, 20, 30, 5 };

	for (int i = 0; i < 4; i++) {
		snprintf(m[i].name, sizeof(m[i].name), "%s", names[i]);
		m[i].prio = prios[i];
	}
	replay__sort(m, 4);
	/* priority first, then name */
	CHECK_STR(m[0].name, "first");
	CHECK_STR(m[1].name, "beta");
	CHECK_STR(m[2].name, "zeta");
	CHECK_STR(m[3].name, "alpha");
}

TEST(replay_proceeds_on_its_actions_only)
{
	__u32 pass = 1U << XDP_PASS, pass_drop = pass | (1U << XDP_DROP);

	CHECK(replay__proceeds(pass, XDP_PASS));
	CHECK(!replay__proceeds(pass, XDP_DROP));
	CHECK(!replay__proceeds(pass, XDP_ABORTED));
	CHECK(replay__proceeds(pass_drop, XDP_DROP));
	CHECK(replay__proceeds(1U << XDP_ABORTED, XDP_ABORTED));
	/* a return past the actions ends the chain, as libxdp's shift test does */
	CHECK(!replay__proceeds(0xffffffffU, 32));
	CHECK(!replay__proceeds(0xffffffffU, 1000));
	CHECK(!replay__proceeds(0, XDP_PASS));
}

TEST(replay_unknown_action_counts_as_aborted)
{
	CHECK_EQ_INT(replay__action_slot(XDP_REDIRECT), XDP_REDIRECT);
	CHECK_EQ_INT(replay__action_slot(XDP_TX), XDP_TX);
	CHECK_EQ_INT(replay__action_slot(XDP_REDIRECT + 1), XDP_ABORTED);
	CHECK_EQ_INT(replay__action_slot(0xffffffffU), XDP_ABORTED);
}

TEST(replay_sha_matches)
{
	__u8 sha[32];
	char hex[65];

	for (int i = 0; i < 32; i++)
		sha[i] = i * 7 + 1;
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", sha[i]);
	CHECK(replay__sha_matches(hex, sha));
	CHECK(replay__sha_matches(NULL, sha)); /* nothing recorded */
	CHECK(replay__sha_matches("", sha));
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02X", sha[i]);
	CHECK(replay__sha_matches(hex, sha)); /* upper case is the same */
	hex[5] = hex[5] == 'A' ? 'B' : 'A';
	CHECK(!replay__sha_matches(hex, sha));
	CHECK(!replay__sha_matches("abcd", sha)); /* short */
}
