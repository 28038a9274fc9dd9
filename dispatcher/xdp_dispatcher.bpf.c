// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * xdpchain's XDP dispatcher: a drop-in for the xdp-dispatcher.o that libxdp
 * (1.3-1.5: config version 2; 1.6: 3) builds its multi-program chains from.
 *
 * libxdp depends on this object for:
 *  - one map only, the .rodata holding 'conf' (struct xdp_dispatcher_config,
 *    124 bytes): libxdp writes it with bpf_map__set_initial_value() on the
 *    first map of the object, and later recognises a running dispatcher by
 *    its single read-only map whose first bytes are magic and version. So no
 *    other global data, no string constants, no maps.
 *  - the XDP program 'xdp_dispatcher' (name checked in the kernel's prog
 *    info), whose BTF carries the global functions prog0..prog9: members are
 *    attached to them as freplace programs (to xdp_dispatcher itself when the
 *    chain has a single member);
 *  - the XDP program 'xdp_pass', loaded alone and replaced by a copy of itself
 *    to test that the kernel supports freplace, and loaded with frags to test
 *    frags support;
 *  - 'dispatcher_version' in the xdp_metadata BTF section, read when a
 *    running dispatcher's config has no magic byte.
 *
 * What differs from libxdp 1.3.1's own object: since kernel 6.12 an freplace
 * program that may change packet data (bpf_tail_call, bpf_xdp_adjust_*) is
 * refused unless the function it replaces may as well. Every function a
 * member can replace therefore holds a bpf_xdp_adjust_tail() call behind a
 * test the verifier cannot decide and that is never true at run time.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <xdp/prog_dispatcher.h>

#include "stats.h" /* COST_ASK, COST_SLOT: constants only */

#define NUM_SLOTS 10

_Static_assert(MAX_DISPATCHER_ACTIONS == NUM_SLOTS, "libxdp's slot count changed");
/* The layout of the config libxdp writes is checked at the end of the file. */

/*
 * Filled in by libxdp before load. const: the kernel freezes it, so the
 * verifier prunes the slots past num_progs_enabled. volatile: the compiler
 * must not fold the all-zero initial value.
 */
const volatile struct xdp_dispatcher_config conf = {};

/*
 * Marks the calling function as one that may change packet data. An XDP
 * buffer never has data past data_end, so the call never runs; the verifier
 * cannot know that from two fresh packet pointers, so it keeps the call (and
 * a kernel computing the property from the instructions alone sees it too).
 * Even if it ran, growing the tail by 0 bytes changes nothing.
 */
static __always_inline void may_change_packet_data(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (data > data_end)
		bpf_xdp_adjust_tail(ctx, 0);
}

/*
 * A slot with no member attached returns XDP_DISPATCHER_RETVAL, whose bit
 * libxdp sets in every chain_call_actions entry: the chain goes on. The
 * value sits in a volatile so the compiler cannot fold it into the caller.
 */
#define DEFINE_SLOT(name)                                      \
	__attribute__((noinline)) int name(struct xdp_md *ctx) \
	{                                                      \
		volatile int verdict = XDP_DISPATCHER_RETVAL;  \
                                                               \
		may_change_packet_data(ctx);                   \
		return verdict;                                \
	}

DEFINE_SLOT(prog0)
DEFINE_SLOT(prog1)
DEFINE_SLOT(prog2)
DEFINE_SLOT(prog3)
DEFINE_SLOT(prog4)
DEFINE_SLOT(prog5)
DEFINE_SLOT(prog6)
DEFINE_SLOT(prog7)
DEFINE_SLOT(prog8)
DEFINE_SLOT(prog9)
/* Not used by libxdp 1.3; kept so the object's BTF matches libxdp's own. */
DEFINE_SLOT(compat_test)

/*
 * Where every packet leaves the chain: slot @slot returned @verdict, which
 * ends it, or (@slot == the number of members, @verdict XDP_PASS) every
 * member let it go on. @verdicts holds each member's verdict so far, four
 * bits per slot. Returns the verdict, so without more it changes nothing.
 *
 * xdpchain attaches its observer here as an freplace program: it counts
 * each member's verdicts and hands packets a member ended early to the
 * hook slot of their action, saying which member it was. A global
 * function, so it stays a function of its own the observer can replace;
 * its name in the BTF also tells status the dispatcher is xdpchain's.
 *
 * The same call serves cost sampling, so that no second function needs a
 * second freplace link: @slot COST_ASK asks whether to time the packet
 * (returns non-zero to time it), COST_SLOT + N hands over the nanoseconds
 * slot N ran, in @verdicts. Unobserved, both return 0: nothing is timed.
 */
__attribute__((noinline)) int xdpchain_exit(struct xdp_md *ctx, __u64 verdicts, __u32 slot,
					    __u32 verdict)
{
	volatile __u32 ret = verdict;

	/*
	 * Uses the arguments, or the compiler, which sees this body, would not
	 * pass them at all and the verifier would find them unset.
	 */
	asm volatile("" ::"r"(verdicts), "r"(slot));
	may_change_packet_data(ctx);
	return ret;
}

/*
 * Where every packet enters the chain. Returns 0, and the dispatcher runs
 * the members. While an xdpchain capture of packets at entry runs, its
 * program replaces this one (freplace, attached for the capture's lifetime
 * only); it returns non-zero when the capture wants every stage, and the
 * dispatcher then calls xdpchain_step() after each member that let the
 * packet go on. Idle, that is one call and a test of a register per member.
 */
__attribute__((noinline)) int xdpchain_entry(struct xdp_md *ctx)
{
	int trace = 0;

	/* an unknown value to the compiler, which sees this body: no folding */
	asm volatile("" : "+r"(trace));
	may_change_packet_data(ctx);
	return trace;
}

/* Slot @slot let the packet go on: replaced by an all-stages capture's program. */
__attribute__((noinline)) int xdpchain_step(struct xdp_md *ctx, __u32 slot)
{
	int ret = 0;

	asm volatile("" : "+r"(ret) : "r"(slot)); /* see xdpchain_entry(), xdpchain_exit() */
	may_change_packet_data(ctx);
	return ret;
}

#ifdef XDPCHAIN_LEAN
/*
 * The lean variant (xdp_dispatcher_lean.bpf.c), for chains whose members
 * each go on after one action only: what a member returned when the packet
 * went on is then known, so no verdicts are kept, and a packet the whole
 * chain passed (the final stage counted it) leaves without a call.
 */
#define PACK_VERDICT(n, verdict)
#define ALL_PASSED(n) return XDP_PASS
#else
/* Every member's verdict, for members that go on after several actions. */
#define PACK_VERDICT(n, verdict) verdicts |= (__u64)(0xf & (__u32)(verdict)) << (4 * (n))
#define ALL_PASSED(n) return xdpchain_exit(ctx, verdicts, n, XDP_PASS)
#endif

/*
 * Runs slot n if enabled. The program's verdict ends the chain unless its
 * bit is set in the slot's chain_call_actions; a verdict with no bit (not an
 * XDP action) ends it too and the kernel treats it as invalid. On a timed
 * packet (@timed, a constant: the compiler makes two copies of the chain)
 * the member's run is timed and the time handed to the observer.
 */
#define RUN_SLOT(n)                                                                          \
	do {                                                                                 \
		if (enabled <= (n))                                                          \
			ALL_PASSED(n);                                                       \
		if (timed)                                                                   \
			t = bpf_ktime_get_ns();                                              \
		verdict = prog##n(ctx);                                                      \
		if (timed)                                                                   \
			xdpchain_exit(ctx, bpf_ktime_get_ns() - t, COST_SLOT + (n), 0);      \
		PACK_VERDICT(n, verdict);                                                    \
		if ((__u32)verdict >= 32 || !(conf.chain_call_actions[n] & (1U << verdict))) \
			return xdpchain_exit(ctx, verdicts, n, verdict);                     \
		if (trace)                                                                   \
			xdpchain_step(ctx, n);                                               \
	} while (0)

static __always_inline int run_chain(struct xdp_md *ctx, int trace, const int timed)
{
	__u8 enabled = conf.num_progs_enabled;
	__u64 verdicts = 0, t = 0;
	int verdict;

	RUN_SLOT(0);
	RUN_SLOT(1);
	RUN_SLOT(2);
	RUN_SLOT(3);
	RUN_SLOT(4);
	RUN_SLOT(5);
	RUN_SLOT(6);
	RUN_SLOT(7);
	RUN_SLOT(8);
	RUN_SLOT(9);
	/* never reached (at most 10 slots): keeps compat_test in the BTF */
	if (enabled > NUM_SLOTS)
		return compat_test(ctx);
	ALL_PASSED(NUM_SLOTS);
}

SEC("xdp")
int xdp_dispatcher(struct xdp_md *ctx)
{
	int trace;

	/* a single member replaces this function itself */
	may_change_packet_data(ctx);
	trace = xdpchain_entry(ctx);
#ifdef XDPCHAIN_COST
	/*
	 * Cost sampling: the observer, in place of xdpchain_exit(), says
	 * whether to time this packet's members (one in the chain's
	 * cost_every, by a per-CPU count); without it the answer is 0. An
	 * untimed packet pays this call and nothing per member.
	 */
	if (xdpchain_exit(ctx, 0, COST_ASK, 0))
		return run_chain(ctx, trace, 1);
#endif
	return run_chain(ctx, trace, 0);
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";

/* libxdp's BTF fallback for the config version: 'int (*dispatcher_version)[2]' */
__uint(dispatcher_version, XDP_DISPATCHER_VERSION) SEC(XDP_METADATA_SECTION);

/*
 * Built against libxdp 1.6 (config version 3, is_xdp_devbound appended to
 * version 2's 124 bytes) this object is a version 3 dispatcher: libxdp
 * writes the config's size and version, device binding is a load flag, so
 * the code is the same. The layout checks sit at the end so that a version 2
 * object keeps its code, BTF and line info (only DWARF's source checksum
 * changes with the source).
 */
#if XDP_DISPATCHER_VERSION == 2
_Static_assert(sizeof(struct xdp_dispatcher_config) == 124, "libxdp's config layout changed");
#elif XDP_DISPATCHER_VERSION == 3
_Static_assert(sizeof(struct xdp_dispatcher_config) == 128, "libxdp's config layout changed");
_Static_assert(__builtin_offsetof(struct xdp_dispatcher_config, is_xdp_devbound) == 124,
	       "libxdp's version 3 config layout changed");
#else
#error "libxdp's dispatcher config is neither version 2 (libxdp 1.3-1.5) nor 3 (1.6): check its prog_dispatcher.h"
#endif
