// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "unit.h"
#include "notes.h"

TEST(notes_keep_order_and_level)
{
	struct notes a = NOTES_INIT, b = NOTES_INIT;
	char *out;

	notes_add(&a, LOG_INFO, "first %d", 1);
	notes_add(&b, LOG_WARN, "second");
	notes_move(&a, &b);
	CHECK_EQ_INT(b.n, 0);
	CHECK_EQ_INT(a.n, 2);
	CHECK_EQ_INT(a.v[1].level, LOG_WARN);
	unit_capture_begin();
	notes_print(&a);
	out = unit_capture_end();
	CHECK(strcmp(out, "first 1\nsecond\n") == 0);
	CHECK_EQ_INT(a.n, 0);
	notes_add(NULL, LOG_INFO, "dropped");
}
