// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Runs every registered test, or those named on the command line:
 *   unit-tests [--list] [NAME...]
 * One line per test, then "N passed, N failed[, N skipped]"; exits 0 only
 * if none failed.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "unit.h"

static struct unit_test *head, **tail = &head;
static bool failed, skipped;
static char fail_msg[1024];

void unit_register(struct unit_test *t)
{
	/* Append: tests run in the order they are written. */
	t->next = NULL;
	*tail = t;
	tail = &t->next;
}

void unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (failed)
		return;
	failed = true;
	n = snprintf(fail_msg, sizeof(fail_msg), "%s:%d: ", file, line);
	if (n < 0 || (size_t)n >= sizeof(fail_msg))
		return;
	va_start(ap, fmt);
	vsnprintf(fail_msg + n, sizeof(fail_msg) - n, fmt, ap);
	va_end(ap);
	/* Keep the result one line even when a checked string has newlines. */
	for (char *p = fail_msg; *p; p++)
		if (*p == '\n')
			*p = '|';
}

void unit_skip(const char *why)
{
	if (failed || skipped)
		return;
	skipped = true;
	snprintf(fail_msg, sizeof(fail_msg), "%s", why);
}

#define MAX_AUTOFREE 64
static void *autofree[MAX_AUTOFREE];
static size_t n_autofree;

void *unit_autofree(void *p)
{
	if (n_autofree == MAX_AUTOFREE) {
		fprintf(stderr, "unit-tests: more than %d unit_autofree() in one test\n",
			MAX_AUTOFREE);
		exit(2);
	}
	autofree[n_autofree++] = p;
	return p;
}

static int saved_out = -1, saved_err = -1;
static FILE *capture;

void unit_capture_begin(void)
{
	fflush(stdout);
	fflush(stderr);
	capture = tmpfile();
	if (!capture) {
		perror("unit-tests: tmpfile");
		exit(2);
	}
	saved_out = dup(STDOUT_FILENO);
	saved_err = dup(STDERR_FILENO);
	dup2(fileno(capture), STDOUT_FILENO);
	dup2(fileno(capture), STDERR_FILENO);
}

char *unit_capture_end(void)
{
	char *buf;
	long len;

	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved_out);
	close(saved_err);
	saved_out = saved_err = -1;

	len = lseek(fileno(capture), 0, SEEK_END);
	if (len < 0)
		len = 0;
	buf = calloc(1, len + 1);
	if (!buf) {
		perror("unit-tests: calloc");
		exit(2);
	}
	if (len && pread(fileno(capture), buf, len, 0) != len)
		buf[0] = '\0';
	fclose(capture);
	capture = NULL;
	return unit_autofree(buf);
}

static struct unit_test *find(const char *name)
{
	for (struct unit_test *t = head; t; t = t->next)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

enum result { PASSED, FAILED, SKIPPED };

static enum result run(struct unit_test *t)
{
	failed = skipped = false;
	fail_msg[0] = '\0';
	err_clear(); /* each test starts with no error recorded: the first one wins */
	t->fn();
	/* A test that forgot to end a capture must not swallow the report. */
	if (capture) {
		unit_capture_end();
		if (!failed)
			unit_fail(__FILE__, __LINE__, "test left output captured");
	}
	while (n_autofree)
		free(autofree[--n_autofree]);
	if (failed)
		printf("FAIL %s: %s\n", t->name, fail_msg);
	else if (skipped)
		printf("SKIP %s: %s\n", t->name, fail_msg);
	else
		printf("PASS %s\n", t->name);
	fflush(stdout);
	return failed ? FAILED : skipped ? SKIPPED : PASSED;
}

int main(int argc, char **argv)
{
	int count[3] = { 0 };

	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (struct unit_test *t = head; t; t = t->next)
			printf("%s\n", t->name);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (!find(argv[i])) {
			fprintf(stderr, "unit-tests: no test named '%s' (see --list)\n", argv[i]);
			return 2;
		}
	}

	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			count[run(find(argv[i]))]++;
	} else {
		for (struct unit_test *t = head; t; t = t->next)
			count[run(t)]++;
	}
	printf("%d passed, %d failed", count[PASSED], count[FAILED]);
	if (count[SKIPPED])
		printf(", %d skipped", count[SKIPPED]);
	printf("\n");
	return count[FAILED] ? 1 : 0;
}
