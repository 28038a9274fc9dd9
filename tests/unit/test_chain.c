// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The chain model's pure functions, on hand-built chains. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <xdp/prog_dispatcher.h>

#include "chain.h"
#include "log.h"
#include "unit.h"

/* @n_user programs prio 10, 20, ... then, if @final, the final stage. */
static void chain_build(struct chain *c, enum chain_kind kind, size_t n_user, bool final)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->ifname, sizeof(c->ifname), "veth0");
	c->ifindex = 7;
	c->kind = kind;
	c->mode = XDP_MODE_NATIVE;
	c->main_id = 900;
	snprintf(c->main_name, sizeof(c->main_name), "xdp_dispatcher");
	c->managed = final;
	for (size_t i = 0; i < n_user; i++) {
		struct chain_prog *p = &c->progs[c->n++];

		snprintf(p->name, sizeof(p->name), "prog%zu", i);
		p->id = 100 + i;
		p->prio = 10 * (i + 1);
	}
	if (final) {
		struct chain_prog *p = &c->progs[c->n++];

		snprintf(p->name, sizeof(p->name), "%s", FINAL_NAME);
		p->id = 999;
		p->prio = PRIO_FINAL;
		p->is_final = true;
	}
}

TEST(check_add_empty_chain)
{
	struct chain c;

	chain_build(&c, CHAIN_NONE, 0, false);
	err_clear();
	CHECK_EQ_INT(chain__check_add(&c, "xdp_a", 50), 0);
	CHECK_STR(err_last(), "");
	CHECK_EQ_INT(chain__check_add(&c, "xdp_a", 0), 0);
	CHECK_EQ_INT(chain__check_add(&c, "xdp_a", PRIO_USER_MAX), 0);
}

TEST(check_add_single_program_busy)
{
	struct chain c;

	chain_build(&c, CHAIN_SINGLE, 0, false);
	snprintf(c.main_name, sizeof(c.main_name), "xdp_legacy");
	c.main_id = 42;
	err_clear();
	CHECK_EQ_INT(chain__check_add(&c, "xdp_a", 50), -EBUSY);
	CHECK_CONTAINS(err_last(), "xdp_legacy");
	CHECK_CONTAINS(err_last(), "42");
	CHECK_CONTAINS(err_last(), "unload");
}

TEST(check_add_priority_bounds)
{
	struct chain c;

	chain_build(&c, CHAIN_DISPATCHER, 2, true);
	CHECK_EQ_INT(chain__check_add(&c, "xdp_a", PRIO_USER_MAX), 0);
	err_clear();
	CHECK_EQ_INT(chain__check_add(&c, "xdp_a", PRIO_USER_MAX + 1), -ERANGE);
	CHECK_CONTAINS(err_last(), "--priority");
	CHECK_CONTAINS(err_last(), "2147483647");
	err_clear();
	CHECK_EQ_INT(chain__check_add(&c, "xdp_a", PRIO_FINAL), -ERANGE);
	CHECK_CONTAINS(err_last(), "--priority");
}

TEST(check_add_duplicate_name)
{
	struct chain c;

	chain_build(&c, CHAIN_DISPATCHER, 3, true);
	err_clear();
	CHECK_EQ_INT(chain__check_add(&c, "prog1", 50), -EEXIST);
	/* Names the clash and how to clear it. */
	CHECK_CONTAINS(err_last(), "prog1");
	CHECK_CONTAINS(err_last(), "101");
	CHECK_CONTAINS(err_last(), "remove");
	/* Names compare exactly. */
	CHECK_EQ_INT(chain__check_add(&c, "PROG1", 50), 0);
	CHECK_EQ_INT(chain__check_add(&c, "prog", 50), 0);
	CHECK_EQ_INT(chain__check_add(&c, "prog10", 50), 0);
}

TEST(check_add_final_name_reserved)
{
	struct chain c;
	int err;

	chain_build(&c, CHAIN_NONE, 0, false);
	err_clear();
	err = chain__check_add(&c, FINAL_NAME, 50);
	CHECK(err < 0);
	CHECK_CONTAINS(err_last(), "rename");
	/* Also when the chain already holds the final stage. */
	chain_build(&c, CHAIN_DISPATCHER, 1, true);
	CHECK(chain__check_add(&c, FINAL_NAME, 50) < 0);
}

/* libxdp's dispatcher runs at most CHAIN_MAX_PROGS (10) programs. */
TEST(check_add_full_dispatcher)
{
	struct chain c;

	/* 8 user + final = 9: the 10th fits. */
	chain_build(&c, CHAIN_DISPATCHER, CHAIN_MAX_PROGS - 2, true);
	CHECK_EQ_INT(c.n, 9);
	CHECK_EQ_INT(chain__check_add(&c, "xdp_new", 50), 0);
	/* 9 user + final = 10: an 11th would exceed. */
	chain_build(&c, CHAIN_DISPATCHER, CHAIN_MAX_PROGS - 1, true);
	CHECK_EQ_INT(c.n, 10);
	err_clear();
	CHECK_EQ_INT(chain__check_add(&c, "xdp_new", 50), -E2BIG);
	CHECK_CONTAINS(err_last(), "remove");
	CHECK_CONTAINS(err_last(), "veth0");
}

TEST(check_add_full_without_final)
{
	struct chain c;

	/* The final stage still needs a slot: 9 user + new + final = 11. */
	chain_build(&c, CHAIN_DISPATCHER, CHAIN_MAX_PROGS - 1, false);
	err_clear();
	CHECK_EQ_INT(chain__check_add(&c, "xdp_new", 50), -E2BIG);
	CHECK_CONTAINS(err_last(), "remove");
	/* 8 user + new + final = 10 fits. */
	chain_build(&c, CHAIN_DISPATCHER, CHAIN_MAX_PROGS - 2, false);
	CHECK_EQ_INT(chain__check_add(&c, "xdp_new", 50), 0);
}

TEST(chain_find)
{
	struct chain c;
	const struct chain_prog *p;

	chain_build(&c, CHAIN_DISPATCHER, 3, true);
	p = chain__find(&c, "prog2");
	CHECK(p == &c.progs[2]);
	p = chain__find(&c, "101");
	CHECK(p == &c.progs[1]);
	CHECK(chain__find(&c, "999") == &c.progs[3]);
	CHECK(chain__find(&c, FINAL_NAME) == &c.progs[3]);
	CHECK(chain__find(&c, "prog9") == NULL);
	CHECK(chain__find(&c, "555") == NULL);
	CHECK(chain__find(&c, "") == NULL);
	CHECK(chain__find(&c, "prog") == NULL);
	/* Ids are decimal only. */
	CHECK(chain__find(&c, "0x65") == NULL);
}

TEST(chain_find_id_before_name)
{
	struct chain c;

	chain_build(&c, CHAIN_DISPATCHER, 2, true);
	/* A program whose name reads as another one's id. */
	snprintf(c.progs[0].name, sizeof(c.progs[0].name), "101");
	CHECK(chain__find(&c, "101") == &c.progs[1]);
	/* No such id: the name still matches. */
	snprintf(c.progs[0].name, sizeof(c.progs[0].name), "4242");
	CHECK(chain__find(&c, "4242") == &c.progs[0]);
}

TEST(chain_final_and_user_count)
{
	struct chain c;

	chain_build(&c, CHAIN_NONE, 0, false);
	CHECK(chain__final(&c) == NULL);
	CHECK_EQ_INT(chain__user_count(&c), 0);

	chain_build(&c, CHAIN_DISPATCHER, 4, true);
	CHECK(chain__final(&c) == &c.progs[4]);
	CHECK_EQ_INT(chain__user_count(&c), 4);

	chain_build(&c, CHAIN_DISPATCHER, 4, false);
	CHECK(chain__final(&c) == NULL);
	CHECK_EQ_INT(chain__user_count(&c), 4);

	/* Found wherever it sits. */
	chain_build(&c, CHAIN_DISPATCHER, 3, true);
	c.progs[1].is_final = true;
	c.progs[3].is_final = false;
	CHECK(chain__final(&c) == &c.progs[1]);
	CHECK_EQ_INT(chain__user_count(&c), 3);
}

TEST(chain_problem_clean)
{
	struct chain c;

	chain_build(&c, CHAIN_DISPATCHER, 3, true);
	CHECK(chain__problem(&c) == NULL);
	chain_build(&c, CHAIN_NONE, 0, false);
	CHECK(chain__problem(&c) == NULL);
	/* Someone else's libxdp chain, not managed by xdpchain. */
	chain_build(&c, CHAIN_DISPATCHER, 2, false);
	CHECK(chain__problem(&c) == NULL);
	chain_build(&c, CHAIN_SINGLE, 0, false);
	CHECK(chain__problem(&c) == NULL);
}

TEST(chain_problem_final_not_last)
{
	struct chain c;
	struct chain_prog tmp;

	chain_build(&c, CHAIN_DISPATCHER, 2, true);
	tmp = c.progs[2];
	c.progs[2] = c.progs[1];
	c.progs[1] = tmp;
	CHECK_CONTAINS(chain__problem(&c), "not last");
}

TEST(chain_problem_final_missing)
{
	struct chain c;

	chain_build(&c, CHAIN_DISPATCHER, 2, false);
	c.managed = true;
	CHECK_CONTAINS(chain__problem(&c), "final stage is missing");
}

TEST(chain_problem_single_and_stale)
{
	struct chain c;

	chain_build(&c, CHAIN_SINGLE, 0, false);
	c.managed = true;
	CHECK_CONTAINS(chain__problem(&c), "single program");
	chain_build(&c, CHAIN_NONE, 0, false);
	c.managed = true;
	CHECK_CONTAINS(chain__problem(&c), "flush");
}

TEST(chain_problem_foreign_dispatcher_version)
{
	int other = XDP_DISPATCHER_VERSION == 2 ? 3 : 2;
	char buf[400];
	struct chain c;

	/* unknown (0) or this libxdp's version: nothing to say */
	chain_build(&c, CHAIN_DISPATCHER, 2, true);
	CHECK(chain__foreign_dispatcher(&c, buf, sizeof(buf)) == NULL);
	c.dispatcher_version = XDP_DISPATCHER_VERSION;
	CHECK(chain__foreign_dispatcher(&c, buf, sizeof(buf)) == NULL);
	CHECK(chain__problem(&c) == NULL);
	/* another generation's: one line, the fix named, even ahead of others */
	c.dispatcher_version = other;
	CHECK_CONTAINS(chain__foreign_dispatcher(&c, buf, sizeof(buf)), "change it with tools of");
	CHECK(strchr(buf, '\n') == NULL);
	CHECK_CONTAINS(chain__problem(&c), other == 3 ? "libxdp 1.6+" : "libxdp 1.3-1.5");
	c.managed = true;
	c.progs[c.n - 1].is_final = false;
	CHECK_CONTAINS(chain__problem(&c), "has config version");
	/* a single program is no dispatcher of any version */
	chain_build(&c, CHAIN_SINGLE, 0, false);
	c.dispatcher_version = other;
	CHECK(chain__foreign_dispatcher(&c, buf, sizeof(buf)) == NULL);
}

TEST(parse_id_decimal_only)
{
	static const char *const bad[] = {
		"",   "0x10", "-1", "+1",	  " 1",
		"1 ", "12x",  "x",  "4294967296", "99999999999999999999",
	};
	__u32 id = 0;

	CHECK_EQ_INT(parse_id("1", &id), 0);
	CHECK_EQ_INT(id, 1);
	CHECK_EQ_INT(parse_id("12345", &id), 0);
	CHECK_EQ_INT(id, 12345);
	CHECK_EQ_INT(parse_id("010", &id), 0);
	CHECK_EQ_INT(id, 10);
	CHECK_EQ_INT(parse_id("4294967295", &id), 0);
	CHECK_EQ_INT(id, 4294967295U);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		id = 77;
		if (parse_id(bad[i], &id) != -EINVAL) {
			unit_fail(__FILE__, __LINE__, "parse_id(\"%s\") accepted: %u", bad[i], id);
			return;
		}
		CHECK_EQ_INT(id, 77);
	}
}

TEST(check_add_own_names_reserved)
{
	struct chain c;

	chain_build(&c, CHAIN_DISPATCHER, 1, true);
	err_clear();
	CHECK_EQ_INT(chain__check_add(&c, TAP_NAME, 50), -EINVAL);
	CHECK_CONTAINS(err_last(), "capture tap");
	err_clear();
	CHECK_EQ_INT(chain__check_add(&c, FINAL_NAME, 50), -EINVAL);
	CHECK_CONTAINS(err_last(), "final stage");
	err_clear();
}

/* The first error stays the one reported: a later one does not replace it. */
TEST(err_first_wins)
{
	err_clear();
	CHECK_EQ_INT(err_set(-ENOENT, "first: %d", 1), -ENOENT);
	CHECK_EQ_INT(err_set(EIO, "second"), -EIO);
	CHECK_CONTAINS(err_last(), "first: 1");
	err_clear();
	err_quiet(true);
	err_set(-EIO, "handled");
	err_quiet(false);
	CHECK(err_last()[0] == '\0');
	err_set(-EIO, "real");
	CHECK_CONTAINS(err_last(), "real");
	err_clear();
}

/* A dead capture's tap leaves with this change and frees its slot. */
TEST(check_add_counts_stale_taps_as_free)
{
	struct chain c;

	chain_build(&c, CHAIN_DISPATCHER, 8, true); /* 9 of 10 slots */
	CHECK_EQ_INT(chain__check_add(&c, "xdp_new", 50), 0);
	c.progs[c.n] = c.progs[c.n - 1]; /* final stays last */
	snprintf(c.progs[c.n - 1].name, PROG_NAME_MAX, "%s", TAP_NAME);
	c.progs[c.n - 1].is_final = false;
	c.progs[c.n - 1].is_tap = true;
	c.progs[c.n - 1].id = 555;
	c.n++;
	err_clear();
	CHECK_EQ_INT(chain__check_add(&c, "xdp_new", 50), -E2BIG);
	c.progs[c.n - 2].tap_stale = true;
	CHECK_EQ_INT(chain__check_add(&c, "xdp_new", 50), 0);
	err_clear();
}

TEST(remove_set_last_user_takes_ours)
{
	size_t idx[CHAIN_MAX_PROGS];
	struct chain c;

	chain_build(&c, CHAIN_DISPATCHER, 2, true);
	CHECK_EQ_INT(chain__remove_set(&c, 1, idx), 1);
	CHECK_EQ_INT(idx[0], 1);

	chain_build(&c, CHAIN_DISPATCHER, 1, true);
	CHECK_EQ_INT(chain__remove_set(&c, 0, idx), 2);
	CHECK_EQ_INT(idx[0], 0);
	CHECK_EQ_INT(idx[1], 1);

	/* a live tap goes with the last program, a dead one with any change */
	chain_build(&c, CHAIN_DISPATCHER, 2, true);
	c.progs[3] = c.progs[2];
	c.progs[2].is_final = false;
	c.progs[2].is_tap = true;
	c.progs[2].tap_stale = true;
	c.n = 4;
	CHECK_EQ_INT(chain__remove_set(&c, 0, idx), 2);
	CHECK_EQ_INT(idx[1], 2);
	c.progs[2].tap_stale = false;
	CHECK_EQ_INT(chain__remove_set(&c, 0, idx), 1);
	/* user count is 2: removing one leaves the other, final and tap */
}

TEST(tap_prio_gap_or_name_order)
{
	struct chain c;

	chain_build(&c, CHAIN_DISPATCHER, 2, true); /* prog0 10, prog1 20 */
	/* "prog0" < "xdpchain_tap": same priority runs right after it */
	CHECK_EQ_INT(chain__tap_prio(&c, 0), 10);
	snprintf(c.progs[0].name, PROG_NAME_MAX, "zeta");
	CHECK_EQ_INT(chain__tap_prio(&c, 0), 11);
	c.progs[1].prio = 11;
	snprintf(c.progs[1].name, PROG_NAME_MAX, "aaa");
	CHECK_EQ_INT(chain__tap_prio(&c, 0), -ERANGE);
}

TEST(problem_hook_pin_replaced_and_leftovers)
{
	struct chain c;

	chain_build(&c, CHAIN_DISPATCHER, 1, true);
	c.hook_id = 5;
	c.hook_pin_id = 6;
	CHECK_CONTAINS(chain__problem(&c), "not the hook");
	c.hook_pin_id = 0;
	CHECK_CONTAINS(chain__problem(&c), "pin is gone");
	c.hook_pin_id = 5;
	CHECK(chain__problem(&c) == NULL);
	c.n_leftovers = 1;
	CHECK_CONTAINS(chain__problem(&c), "cleanup");
}
