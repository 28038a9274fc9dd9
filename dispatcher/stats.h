/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Per-member counters and the deciding stage of the packet at hand: one
 * per-CPU array entry, shared by the observer (dispatcher/observer.bpf.c),
 * the final stage, capture programs and xdpchain's status. Pinned as
 * <bpffs>/xdpchain/IFACE/stats; which member counts in which row is in
 * <bpffs>/xdpchain/IFACE/rows (program ids), so counts survive the
 * dispatcher being rebuilt and members changing slots.
 */
#ifndef __XDPCHAIN_STATS_H
#define __XDPCHAIN_STATS_H

#include <linux/types.h>

#define STATS_MAP_NAME "xdpchain_stats"
#define ROWS_MAP_NAME "xdpchain_rows"
#define STATS_ROWS 16 /* more than the dispatcher's 10 slots: rows free late */
#define STATS_ACTIONS 5 /* XDP_ABORTED .. XDP_REDIRECT */
#define STATS_SLOTS 10 /* the dispatcher's */
/* the final stage's row: it counts the packets the whole chain passed itself */
#define STATS_FINAL_ROW (STATS_ROWS - 1)
#define FATE_EXIT 0xffffffffU /* fate_slot: the packet passed the whole chain */
#define FATE_ENTRY 0xfffffffdU /* fate_slot: the packet as it entered the chain */
#define STAGE_ACTION 0xffU /* capture_meta.action of a stage capture: no fate yet */
/*
 * Cost sampling: xdpchain_exit()'s slot argument when the dispatcher asks
 * whether to time the packet at hand (COST_ASK), and when it hands over
 * the nanoseconds slot N took on a timed packet (COST_SLOT + N, the time
 * in the verdicts argument). Well above any real slot or FATE_ value's
 * low byte, below FATE_ENTRY.
 */
#define COST_SLOT 0x100U
#define COST_ASK 0x200U
/*
 * Off unless XDPCHAIN_COST_EVERY turns it on: sampling costs more than
 * the 1.05x of the chain without it that would make it a default (make
 * bench; docs/performance.md). 64 is the rate the docs suggest.
 */
#define COST_EVERY_DEFAULT 0
#define COST_EVERY_MAX 65536

struct xdpchain_stats {
	/* per member: packets it ended, by its verdict (the final stage: passed all) */
	__u64 pkts[STATS_ROWS][STATS_ACTIONS];
	/* members that go on after several actions: packets they let go on */
	__u64 cont[STATS_ROWS][STATS_ACTIONS];
	/* the running capture's: seen, matched, output errors (capture.h) */
	__u64 cap[3];
	/*
	 * Which slot and program decided the fate of the packet the hook is
	 * running for: written right before every call of the hook, by the
	 * observer (a member ended the packet) or the final stage (FATE_EXIT:
	 * the whole chain passed it), and by stage programs before theirs; a
	 * capture program reads both with one 64-bit load, only for packets
	 * its filter matched.
	 */
	__u32 fate_slot;
	__u32 fate_prog;
	/*
	 * While a capture of every stage runs: the packet at hand's id, the
	 * same at each stage (its entry program sets it, dispatcher/stage.bpf.c).
	 */
	__u64 pkt_id;
	/*
	 * Cost per member (issue 20): packets seen by the cost sampler on
	 * this CPU (it times one in the chain's cost_every), and per counter
	 * row the nanoseconds its member ran on timed packets and how many.
	 */
	__u64 cost_tick;
	__u64 cost_ns[STATS_ROWS];
	__u64 cost_n[STATS_ROWS];
};

#ifdef __BPF__
/* The map, as BPF programs declare it; replaced by the pinned one before load. */
#define XDPCHAIN_STATS_MAP()                             \
	struct {                                         \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); \
		__uint(max_entries, 1);                  \
		__type(key, __u32);                      \
		__type(value, struct xdpchain_stats);    \
	} xdpchain_stats SEC(".maps")
#endif

#endif
