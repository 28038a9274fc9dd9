// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The capture reader's check of each perf record: only a whole sample of
 * ours reaches the writer; a record whose lengths disagree (a caplen past
 * the sample, a sample past the record, as a wrapped 16-bit record size
 * gives) is refused. Each record sits in a buffer of exactly its size, at
 * a 4-byte aligned address as in the perf ring, so ASan and UBSan catch a
 * read past it or an unaligned one.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "unit.h"

/* The raw size of a record holding @caplen packet bytes, padding included. */
#define RAW(caplen) (CAPTURE_RECORD_SIZE(caplen) - sizeof(struct perf_event_header) - 4)

/* A record: header, raw size, meta, @caplen bytes 0, 1, 2, ... padded. */
static struct perf_event_header *record(__u16 rec_size, __u32 raw_size, __u32 len, __u32 caplen)
{
	struct perf_event_header h = { .type = PERF_RECORD_SAMPLE, .size = rec_size };
	struct capture_meta m = { .ts_ns = 1, .action = 2, .len = len, .caplen = caplen };
	char *buf = unit_autofree(calloc(1, rec_size + 4)), *rec = buf + 4;

	memcpy(rec, &h, sizeof(h));
	if (rec_size >= sizeof(h) + 4)
		memcpy(rec + sizeof(h), &raw_size, 4);
	if (rec_size >= sizeof(h) + 4 + sizeof(m))
		memcpy(rec + sizeof(h) + 4, &m, sizeof(m));
	for (size_t k = sizeof(h) + 4 + sizeof(m); k < rec_size; k++)
		rec[k] = k - sizeof(h) - 4 - sizeof(m);
	return (struct perf_event_header *)rec;
}

TEST(capture_sample_whole)
{
	struct capture_meta m;
	const void *pkt;
	/* 4 + sizeof(meta) + 10 bytes, padded to 8 */
	struct perf_event_header *r = record(CAPTURE_RECORD_SIZE(10), RAW(10), 60, 10);

	CHECK_EQ_INT(r->size, 8 + ((4 + sizeof(m) + 10 + 7) & ~7));
	CHECK_EQ_INT(capture__parse_sample(r, &m, &pkt), 0);
	CHECK_EQ_INT(m.len, 60);
	CHECK_EQ_INT(m.caplen, 10);
	CHECK_EQ_INT(m.action, 2);
	CHECK(pkt == (const char *)r + 8 + 4 + sizeof(m));
	CHECK_EQ_INT(((const unsigned char *)pkt)[9], 9);
}

TEST(capture_sample_longest_fits_a_record)
{
	struct capture_meta m;
	const void *pkt;
	size_t size = CAPTURE_RECORD_SIZE(CAPTURE_MAX_CAPLEN);
	struct perf_event_header *r = record(size, size - 12, 70000, CAPTURE_MAX_CAPLEN);

	CHECK(size <= 0xffff);
	CHECK_EQ_INT(capture__parse_sample(r, &m, &pkt), 0);
	CHECK_EQ_INT(m.caplen, CAPTURE_MAX_CAPLEN);
	CHECK_EQ_INT(m.len, 70000);
}

TEST(capture_sample_malformed_refused)
{
	struct capture_meta m;
	const void *pkt;

	const __u16 r10 = CAPTURE_RECORD_SIZE(10);

	/* caplen past the sample's bytes */
	CHECK_EQ_INT(capture__parse_sample(record(r10, RAW(10), 60, RAW(10) - sizeof(m) + 1), &m,
					   &pkt),
		     -EINVAL);
	/* the sample says it is longer than the record: a wrapped record size */
	CHECK_EQ_INT(capture__parse_sample(record(r10, 70000 + sizeof(m) + 4, 70000, 70000), &m,
					   &pkt),
		     -EINVAL);
	CHECK_EQ_INT(capture__parse_sample(record(r10, RAW(10) + 1, 60, 10), &m, &pkt), -EINVAL);
	/* too short for the raw size, or for the metadata */
	CHECK_EQ_INT(capture__parse_sample(record(8, 0, 0, 0), &m, &pkt), -EINVAL);
	CHECK_EQ_INT(capture__parse_sample(record(16, 4, 0, 0), &m, &pkt), -EINVAL);
	CHECK_EQ_INT(capture__parse_sample(record(12 + sizeof(m), sizeof(m), 0, 0), &m, &pkt), 0);
	/* more captured than the frame had */
	CHECK_EQ_INT(capture__parse_sample(record(r10, RAW(10), 9, 10), &m, &pkt), -EINVAL);
}
