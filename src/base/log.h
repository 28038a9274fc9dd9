/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef __XDPCHAIN_LOG_H
#define __XDPCHAIN_LOG_H

#include <stdarg.h>
#include <stdbool.h>

/*
 * Levels, lowest first. The default prints WARN and INFO; -v adds DEBUG,
 * -vv adds LIB: everything libbpf and libxdp say, verifier logs included.
 */
enum log_level {
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
	LOG_LIB,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Routes libbpf's and libxdp's messages through log_msg() at LOG_LIB. */
void log_hook_libraries(void);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/*
 * Library code never prints: where it fails it records one line naming the
 * problem and the fix, and returns a negative errno. The command layer
 * prints the line (err_last()) once, as text or JSON.
 */
int err_set(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *err_last(void);
void err_clear(void);
/*
 * The first error of a command is the one reported: err_set() keeps the
 * line it has. Around calls whose failure the caller handles (a read that
 * may fail, a probe, a fallback), err_quiet(true) ... err_quiet(false)
 * keeps their errors from being taken for the command's.
 */
void err_quiet(bool on);

#endif
