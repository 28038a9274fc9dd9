/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Capture files: pcap through libpcap's writer, or pcapng (written here:
 * libpcap 1.10 cannot) with each packet's fate in its comment and flags.
 */
#ifndef __XDPCHAIN_PCAPOUT_H
#define __XDPCHAIN_PCAPOUT_H

#include <stdbool.h>
#include <linux/types.h>

struct pcap_out;

/*
 * Creates (mode 0600) or empties @path ("-" is stdout) and writes the file
 * header through to it. A symbolic link is refused (never followed), and so
 * are a file or FIFO another user owns in a directory others can write to,
 * and anything but a regular file, a pipe or a character device, all before
 * anything is written. Returns 0 or -errno with err_set().
 */
int pcapout__open(struct pcap_out **out, const char *path, bool pcapng, __u32 snaplen,
		  const char *ifname);
/*
 * Buffers one packet. @ts_ns: wall clock; @stage: where in the chain (NULL:
 * after the chain). Returns 0 or the -errno of the first failed write, after
 * which nothing more is written.
 */
int pcapout__write(struct pcap_out *o, __u64 ts_ns, const void *data, __u32 caplen, __u32 len,
		   __u32 action, const char *stage);
/* action of a packet seen inside the chain, before its fate: no verdict */
#define PCAPOUT_NO_ACTION 0xffU
/*
 * pcapng: writes another interface block, named @name; returns its id
 * (pcapout__open() wrote id 0, named after its @ifname) or -errno. pcap
 * has one interface: returns 0.
 */
int pcapout__add_interface(struct pcap_out *o, const char *name);
/* pcapng: a second comment on every packet written until the next call (NULL: none). */
void pcapout__note(struct pcap_out *o, const char *note);
/*
 * As pcapout__write(), on the interface @ifid, with @pkt_id in the pcapng
 * packet's epb_packetid (0: none). @action PCAPOUT_NO_ACTION: a packet on
 * its way, without a verdict; @stage NULL then means "entry".
 */
int pcapout__write_on(struct pcap_out *o, __u32 ifid, __u64 pkt_id, __u64 ts_ns, const void *data,
		      __u32 caplen, __u32 len, __u32 action, const char *stage);
/*
 * As pcapout__write_on(), a fate whose comment says @what instead of the
 * action's name ("redirect to vc (ifindex 5)"; NULL: the name).
 */
int pcapout__write_fate(struct pcap_out *o, __u32 ifid, __u64 pkt_id, __u64 ts_ns, const void *data,
			__u32 caplen, __u32 len, __u32 action, const char *what, const char *stage);
/* Pushes the buffered packets to the file; 0 or the first write's -errno. */
int pcapout__flush(struct pcap_out *o);
/*
 * Flushes, closes (not stdout) and frees @o. @in_file (may be NULL) gets
 * the packets surely in the file: all flushed ones, and after a failed
 * write to a regular file those before the point the writes reached.
 * Returns 0 or the first error of any write, flush or close.
 */
int pcapout__close(struct pcap_out *o, __u64 *in_file);

#endif
