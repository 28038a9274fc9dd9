/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A minimal host unit-test framework: TEST(name) registers a function at
 * start-up, CHECK* macros record the first failure with file:line and end
 * the test, main.c runs the tests and prints PASS/FAIL lines.
 */
#ifndef __XDPCHAIN_UNIT_H
#define __XDPCHAIN_UNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
	struct unit_test *next;
};

void unit_register(struct unit_test *t);
/* Records a failure of the running test; only the first one is reported. */
void unit_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Records that the running test cannot run here, and why; SKIP() ends it. */
void unit_skip(const char *why);

/*
 * Frees @p when the running test ends, passed or failed, so a check that
 * stops a test early leaks nothing (LeakSanitizer is on). Returns @p.
 */
void *unit_autofree(void *p);

/*
 * Sends stdout and stderr to a temporary file until unit_capture_end(),
 * which restores them and returns what was written (NUL ended, freed when
 * the test ends).
 */
void unit_capture_begin(void);
char *unit_capture_end(void);

#define TEST(tname)                                                                 \
	static void unit_fn_##tname(void);                                          \
	static struct unit_test unit_t_##tname = { #tname, unit_fn_##tname, NULL }; \
	__attribute__((constructor)) static void unit_reg_##tname(void)             \
	{                                                                           \
		unit_register(&unit_t_##tname);                                     \
	}                                                                           \
	static void unit_fn_##tname(void)

/* A failed check ends the test, as an assertion would. */
#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			unit_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); \
			return;                                            \
		}                                                          \
	} while (0)

#define SKIP(why)               \
	do {                    \
		unit_skip(why); \
		return;         \
	} while (0)

#define CHECK_EQ_INT(actual, expected)                                                           \
	do {                                                                                     \
		long long unit_a_ = (long long)(actual);                                         \
		long long unit_e_ = (long long)(expected);                                       \
		if (unit_a_ != unit_e_) {                                                        \
			unit_fail(__FILE__, __LINE__, "%s is %lld, expected %s (%lld)", #actual, \
				  unit_a_, #expected, unit_e_);                                  \
			return;                                                                  \
		}                                                                                \
	} while (0)

#define CHECK_STR(actual, expected)                                                             \
	do {                                                                                    \
		const char *unit_a_ = (actual);                                                 \
		const char *unit_e_ = (expected);                                               \
		if (!unit_a_ || !unit_e_ ? unit_a_ != unit_e_ : strcmp(unit_a_, unit_e_)) {     \
			unit_fail(__FILE__, __LINE__, "%s is \"%s\", expected \"%s\"", #actual, \
				  unit_a_ ? unit_a_ : "(null)", unit_e_ ? unit_e_ : "(null)");  \
			return;                                                                 \
		}                                                                               \
	} while (0)

/* @needle occurs in @haystack. */
#define CHECK_CONTAINS(haystack, needle)                                                    \
	do {                                                                                \
		const char *unit_h_ = (haystack);                                           \
		const char *unit_n_ = (needle);                                             \
		if (!unit_h_ || !strstr(unit_h_, unit_n_)) {                                \
			unit_fail(__FILE__, __LINE__, "%s does not contain \"%s\": \"%s\"", \
				  #haystack, unit_n_, unit_h_ ? unit_h_ : "(null)");        \
			return;                                                             \
		}                                                                           \
	} while (0)

#endif
