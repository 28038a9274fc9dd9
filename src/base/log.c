// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "log.h"

static enum log_level cur_level = LOG_INFO;
static char last_err[512];

void log_set_level(enum log_level level)
{
	cur_level = level;
}

enum log_level log_get_level(void)
{
	return cur_level;
}

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	if (level > cur_level)
		return;
	vfprintf(stderr, fmt, ap);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	log_vmsg(LOG_LIB, fmt, ap);
	return 0;
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	log_vmsg(LOG_LIB, fmt, ap);
	return 0;
}

void log_hook_libraries(void)
{
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}

static int quiet;

int err_set(int err, const char *fmt, ...)
{
	va_list ap;

	/* the first error is the cause; what cleanup runs into comes after */
	if (!quiet && !last_err[0]) {
		va_start(ap, fmt);
		vsnprintf(last_err, sizeof(last_err), fmt, ap);
		va_end(ap);
	}
	return err < 0 ? err : -err;
}

void err_quiet(bool on)
{
	quiet += on ? 1 : -1;
}

const char *err_last(void)
{
	return last_err;
}

void err_clear(void)
{
	last_err[0] = '\0';
}
