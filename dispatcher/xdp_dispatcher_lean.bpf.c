// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * xdpchain's dispatcher for chains in which every member goes on after a
 * single action (the usual case): no verdicts kept per member, and no call
 * of xdpchain_exit() for packets the whole chain passed. xdpchain hands
 * libxdp this object or xdp_dispatcher.bpf.c's, whichever the chain after
 * the change needs (src/dispatcher.c).
 */
#define XDPCHAIN_LEAN
#include "xdp_dispatcher.bpf.c"
