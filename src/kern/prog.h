/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Kernel queries about BPF programs, shared by the chain and the capture. */
#ifndef __XDPCHAIN_PROG_H
#define __XDPCHAIN_PROG_H

#include <linux/types.h>

/* The XDP program attached to @ifindex in any mode; 0 if none or gone. */
__u32 prog__attached_id(int ifindex);
/* The id of the program behind @fd; 0 if it cannot be read. */
__u32 prog__id(int fd);

#endif
