/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What replay_tap.bpf.c hands a replay through a real dispatcher: one
 * record per stage of a packet, in the order the dispatcher reached them.
 * Shared with src/replay/replay_disp.c.
 */
#ifndef __XDPCHAIN_REPLAY_TAP_H
#define __XDPCHAIN_REPLAY_TAP_H

#include <linux/types.h>

/*
 * Bytes copied per stage, at most: a power of two less one (the copy's
 * bound is a mask the verifier sees), above what BPF_PROG_TEST_RUN of a
 * program without frags takes, a page less its head and tail room.
 */
#define REPLAY_TAP_MAX 4095
#define REPLAY_TAP_MAX_STR "4095"
/* entry, a step after each of 10 slots, the exit: 12 records per packet at most */
#define REPLAY_TAP_RING (256 * 1024)

enum replay_tap_kind {
	REPLAY_TAP_ENTRY = 1,
	REPLAY_TAP_STEP = 2, /* slot let it go on */
	REPLAY_TAP_EXIT = 3, /* slot decided verdict; slot == members: all went on */
};

struct replay_tap_rec {
	__u32 kind;
	__u32 slot;
	__u32 verdict;
	__u32 len; /* the packet's length there (over REPLAY_TAP_MAX: cut) */
	__u32 copied; /* bytes in data; 0 with len: the copy failed */
	__u32 pad;
	__u64 verdicts; /* at the exit: each slot's verdict, four bits per slot */
	unsigned char data[REPLAY_TAP_MAX + 1];
};

#endif
