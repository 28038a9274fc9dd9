// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * xdpchain's dispatcher with cost sampling (XDPCHAIN_COST_EVERY): it asks
 * the observer per packet whether to time it, and times each member of the
 * packets it should. Chains without sampling run xdp_dispatcher.bpf.c's
 * objects, which have neither the question nor the timing.
 */
#define XDPCHAIN_COST
#include "xdp_dispatcher.bpf.c"
