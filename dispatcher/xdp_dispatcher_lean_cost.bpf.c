// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The lean dispatcher (xdp_dispatcher_lean.bpf.c) with cost sampling (xdp_dispatcher_cost.bpf.c). */
#define XDPCHAIN_LEAN
#define XDPCHAIN_COST
#include "xdp_dispatcher.bpf.c"
