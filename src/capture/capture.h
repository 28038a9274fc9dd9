/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Capture from an xdpcap hook: one generated XDP program per chosen action
 * sits in that action's slot, runs the tcpdump filter in the kernel and
 * copies matching packets, with their metadata, into its CPU's ring buffer.
 */
#ifndef __XDPCHAIN_CAPTURE_H
#define __XDPCHAIN_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "hook.h"
#include "notes.h"

struct filter;
struct stage_bpf;

#define CAPTURE_PROG_NAME "xdpchain_cap"

/* What the kernel side puts before each packet. */
struct capture_meta {
	__u64 ts_ns; /* CLOCK_MONOTONIC */
	__u32 action;
	__u32 ifindex;
	__u32 len; /* the whole frame, all fragments */
	__u32 caplen; /* bytes that follow */
	/*
	 * Who decided the packet's fate, as the observer or the final stage
	 * noted it (dispatcher/stats.h): a slot and program id, FATE_EXIT
	 * when the whole chain passed it, STAGE_UNKNOWN without counters.
	 */
	__u32 stage_slot;
	__u32 stage_prog;
	/*
	 * With a capture of stages running: the packet's id, the same at
	 * entry, after each member and at its fate (0: none).
	 */
	__u64 pkt_id;
};

#define STAGE_UNKNOWN 0xfffffffeU

/*
 * The longest copy of one packet: frames beyond it (multi-buffer frames
 * of XDP with frags) are cut there, their capture_meta.len kept. The
 * capture's scratch space holds one copy per CPU.
 */
#define CAPTURE_MAX_CAPLEN 65535

enum capture_counter {
	/*
	 * Unused: counting every packet in the capture program cost the
	 * packets the filter refuses a map lookup each. What reached the
	 * hook's slots is summed from the chain's fate counters instead
	 * (capture__stats()); the word stays so pinned maps keep their layout.
	 */
	CAP_SEEN,
	CAP_MATCHED, /* ... that the filter matched and were copied out */
	CAP_OUTPUT_ERR, /* ... that the copy failed for (buffer full) */
	CAP_NR_COUNTERS,
};

struct capture_stats {
	/*
	 * Packets handed to the capture's hook slots, from the chain's
	 * counters: known (@seen_known) for captures of fates on a chain with
	 * counters on, not for a standalone hook nor for stages.
	 */
	bool seen_known;
	__u64 seen;
	__u64 matched;
	__u64 output_err; /* matched, but the copy failed: its CPU's ring was full */
	__u64 malformed; /* records the reader refused (see capture__parse_record()) */
};

typedef void (*capture_packet_fn)(void *ctx, const struct capture_meta *m, const void *pkt);

/*
 * Each CPU has a BPF ring buffer of its own (no lock shared between CPUs).
 * By default the CPUs share 64 MiB, at most 32 MiB each: on a machine with
 * few CPUs a flood's backlog fits while the reader competes with the
 * senders for a CPU (make bench, 1 M packets from both CPUs of a 2-core
 * machine: 8 MiB rings wrote 69-81 %, 32 MiB ones everything, from one
 * CPU both everything in quiet runs). The reader is woken when a ring
 * fills past 1/256 of its size (128 KiB of 32 MiB, ~1,100 small packets),
 * not per packet: a wakeup per packet cost the sender microseconds each;
 * with the perf buffer before, a quarter-full wakeup wrote ~75 % of a
 * flood from both CPUs (the reader slept through the burst, then waited
 * for a CPU), 1/256 ~95 %. A poll timeout picks up a trickle below it.
 */
#define CAPTURE_BUFFER_PER_CPU (32UL << 20)
#define CAPTURE_BUFFER_TOTAL (64UL << 20)
#define CAPTURE_BUFFER_MIN_PAGES 64
/* --buffer's bound: all CPUs' rings together (4x the default) */
#define CAPTURE_BUFFER_MAX_TOTAL (256UL << 20)
#define CAPTURE_WAKEUP_FRACTION 256

/* One CPU's ring, mapped (the kernel's BPF ring buffer layout, linux/bpf.h). */
struct capture_ring {
	int fd;
	void *cons_page; /* the consumer position, ours to write */
	void *prod_pages; /* the producer position, then the data mapped twice */
	const char *data; /* in prod_pages */
	size_t size; /* of the data, a power of two */
	__u64 pos; /* the next record to read */
	__u64 prod; /* the producer's position when last read */
	__u64 released; /* what the kernel was last told is read */
};
/* A ring's oldest record not yet written, while the reader merges. */
struct capture_head {
	const struct capture_meta *m;
	const void *pkt;
	__u32 size; /* the record's, header and padding included */
	int ring;
	unsigned int since_release;
};

/* Captures at stages inside the chain (dispatcher/stage.bpf.c). */
enum capture_stages {
	STAGES_NONE,
	STAGES_ENTRY, /* as packets enter the chain */
	STAGES_ALL, /* at entry and after each member that let them go on */
};

struct capture_opts {
	int hook_fd;
	/*
	 * Stages to capture too, at xdpchain's dispatcher @disp_fd, whose
	 * slots hold the programs @slot_prog[0..@n_slots): packets there come
	 * with action STAGE_ACTION and the stage in stage_slot/stage_prog
	 * (FATE_ENTRY at entry). Needs the chain's stats map (@stats_fd).
	 */
	enum capture_stages stages;
	int disp_fd;
	const __u32 *slot_prog;
	size_t n_slots;
	__u32 actions; /* (1 << XDP_x) */
	const struct filter *filter; /* NULL: everything */
	int stats_fd; /* the chain's stats map (the deciding stage), or -1 */
	__u32 snaplen;
	/* ring pages per CPU, a power of two; 0: capture__default_pages() */
	unsigned int buffer_pages;
	capture_packet_fn on_packet;
	void *ctx;
	/*
	 * The chain's interface: with it, a capture of the redirect slot notes
	 * each redirected packet's target and outcome (capture__note()); 0: not.
	 */
	int ifindex;
};

struct redirect_note_bpf;
struct redirect_note;

struct capture {
	int hook_fd;
	__u32 hook_id;
	int lock_fd;
	int counters_fd;
	int rings_fd; /* the rings by CPU (an array of maps) */
	int scratch_fd; /* per CPU: the record being made */
	__u32 max_caplen; /* the copy's limit: the snap length, at most CAPTURE_MAX_CAPLEN */
	__u32 wakeup_bytes; /* a ring filled past this wakes the reader */
	int stats_fd; /* borrowed from the options: not closed here */
	__u32 actions; /* the hook slots it serves, (1 << XDP_x) */
	int prog_fd[HOOK_SLOTS];
	__u32 prog_id[HOOK_SLOTS];
	/* stages: the programs at the dispatcher's stubs, the prog array they call */
	enum capture_stages stages;
	struct stage_bpf *stage_skel;
	struct bpf_link *stage_link[2];
	__u32 stage_disp_id; /* the dispatcher they are attached to */
	int stage_map_fd;
	int stage_prog_fd;
	struct capture_ring *ring; /* per possible CPU */
	struct capture_head *head; /* as many, for the merge */
	int nring;
	int epoll_fd;
	bool held; /* the last read left packets in a ring, to keep the time order */
	__u64 held_until; /* ... the oldest of which may go then (CLOCK_MONOTONIC ns) */
	capture_packet_fn on_packet;
	void *ctx;
	/* redirect notes (capnote.c): the programs, and the packet at hand's note */
	struct redirect_note_bpf *note_skel;
	struct bpf_link *note_link[2];
	const struct redirect_note *note;
	__u64 malformed;
	__u64 base[CAP_NR_COUNTERS]; /* the counters when the capture started */
	/* what capture__start() has to say; the caller prints or frees them, whatever it returned */
	struct notes notes;
};

/*
 * Locks the hook against other captures, clears slots a killed capture left,
 * loads and inserts the programs. On failure nothing is left in the hook.
 * Either way @c->notes may hold notes for the caller to print (notes_print).
 */
int capture__start(struct capture *c, const struct capture_opts *o);
/*
 * In on_packet, for a redirected packet: where it went and how (the
 * kernel's xdp_redirect tracepoints, dispatcher/redirect_note.bpf.c), or
 * NULL when not known.
 */
const struct redirect_note *capture__note(const struct capture *c);
/* capnote.c: the note programs of @c, attached for the chain's @ifindex; 0 or -errno */
int capnote__start(struct capture *c, int ifindex);
void capnote__stop(struct capture *c);
/* A ring record that is a note, not a packet. */
bool capnote__is_note(const struct capture_meta *m);
/*
 * Finds the metadata and the packet in one ring record of a capture
 * program, @len bytes at @rec (8-byte aligned), checking every length
 * against the bytes that are there. Returns the metadata, or NULL for a
 * record that is not a whole one of ours (it is then skipped and counted
 * as malformed).
 */
const struct capture_meta *capture__parse_record(const void *rec, __u32 len, const void **pkt);
/*
 * Attaches the stage programs anew to @disp_fd (after the chain changed:
 * libxdp built a new dispatcher), in place of the earlier ones.
 */
int capture__attach_stages(struct capture *c, int disp_fd, const __u32 *slot_prog, size_t n);
/* Pages per CPU when capture_opts.buffer_pages is 0. */
unsigned int capture__default_pages(void);
/*
 * The most pages per CPU (a power of two) whose rings, one per possible
 * CPU, stay within CAPTURE_BUFFER_MAX_TOTAL; 0 when the CPUs cannot be counted.
 */
unsigned int capture__max_pages(int *ncpu);
/*
 * Waits up to @timeout_ms for a ring to fill to its watermark, reads all
 * of them and hands on_packet the packets merged by time (the newest may
 * wait for the next call, which then waits only until they may go).
 */
int capture__poll(struct capture *c, int timeout_ms);
/* Hands everything the rings hold to on_packet, merged by time, without waiting. */
int capture__drain(struct capture *c);
void capture__stats(const struct capture *c, struct capture_stats *s);
/* Takes our programs out of the hook (only slots still holding them). */
void capture__stop(struct capture *c);

#endif
