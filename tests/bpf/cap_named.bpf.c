// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Test fixture: a user's capture program that carries the name of
 * xdpchain's capture programs: hook_probe's program, renamed. Put into a
 * hook's slot by its user (hook_probe -o), it is theirs: status, cleanup
 * and the next capture must leave it there.
 */
#define hook_probe xdpchain_cap
#include "hook_probe.bpf.c"
