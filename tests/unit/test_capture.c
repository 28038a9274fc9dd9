// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The capture reader's check of each ring record: only a whole record of
 * ours reaches the writer; one whose lengths disagree (a caplen past the
 * record, more captured than the frame had, too short for the metadata)
 * is refused. Each record sits in a buffer of exactly its size, 8-byte
 * aligned as in the ring, so ASan catches a read past it.
 */
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "unit.h"

/* A record of @size bytes: meta (if it fits), then bytes 0, 1, 2, ... */
static const void *record(__u32 size, __u32 len, __u32 caplen)
{
	struct capture_meta m = { .ts_ns = 1, .action = 2, .len = len, .caplen = caplen };
	unsigned char *rec = unit_autofree(malloc(size ? size : 1));

	if (size >= sizeof(m))
		memcpy(rec, &m, sizeof(m));
	for (size_t k = sizeof(m); k < size; k++)
		rec[k] = k - sizeof(m);
	return rec;
}

TEST(capture_record_whole)
{
	__u32 size = sizeof(struct capture_meta) + 10;
	const void *r = record(size, 60, 10), *pkt = NULL;
	const struct capture_meta *m = capture__parse_record(r, size, &pkt);

	CHECK(m == r);
	CHECK_EQ_INT(m->len, 60);
	CHECK_EQ_INT(m->caplen, 10);
	CHECK_EQ_INT(m->action, 2);
	CHECK(pkt == (const char *)r + sizeof(*m));
	CHECK_EQ_INT(((const unsigned char *)pkt)[9], 9);
}

TEST(capture_record_longest)
{
	__u32 size = sizeof(struct capture_meta) + CAPTURE_MAX_CAPLEN;
	const void *pkt;
	const struct capture_meta *m =
		capture__parse_record(record(size, 70000, CAPTURE_MAX_CAPLEN), size, &pkt);

	CHECK(m != NULL);
	CHECK_EQ_INT(m->caplen, CAPTURE_MAX_CAPLEN);
	CHECK_EQ_INT(m->len, 70000);
}

TEST(capture_record_malformed_refused)
{
	__u32 m = sizeof(struct capture_meta);
	const void *pkt;

	/* caplen past the record's bytes */
	CHECK(!capture__parse_record(record(m + 10, 60, 11), m + 10, &pkt));
	CHECK(!capture__parse_record(record(m + 10, 70000, 70000), m + 10, &pkt));
	/* too short for the metadata */
	CHECK(!capture__parse_record(record(m - 1, 0, 0), m - 1, &pkt));
	CHECK(!capture__parse_record(record(0, 0, 0), 0, &pkt));
	CHECK(capture__parse_record(record(m, 0, 0), m, &pkt) != NULL);
	/* more captured than the frame had */
	CHECK(!capture__parse_record(record(m + 10, 9, 10), m + 10, &pkt));
	/* padding after the packet is allowed */
	CHECK(capture__parse_record(record(m + 16, 60, 10), m + 16, &pkt) != NULL);
}
