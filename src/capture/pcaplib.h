/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libpcap, loaded when a capture needs it (the filter compiler, the pcap
 * file header) instead of at every start: its dependencies (dbus,
 * systemd, gcrypt, ...) would cost each command that never captures. The
 * binary is not linked with it; its headers still give the types.
 */
#ifndef __XDPCHAIN_PCAPLIB_H
#define __XDPCHAIN_PCAPLIB_H

#include <stdio.h>

/* pcap's struct bpf_insn would clash with linux/bpf.h's; struct bpf_program is opaque here */
#ifndef PCAP_DONT_INCLUDE_PCAP_BPF_H
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#endif
struct bpf_program;
#include <pcap/pcap.h>

/* Debian's libpcap0.8 package: the soname every libpcap 1.x carries. */
#define PCAPLIB_SONAME "libpcap.so.0.8"

/* The libpcap functions xdpchain calls, as libpcap names them without "pcap_". */
struct pcaplib {
	void *handle;
	pcap_t *(*open_dead)(int linktype, int snaplen);
	int (*compile)(pcap_t *p, struct bpf_program *fp, const char *str, int optimize,
		       bpf_u_int32 netmask);
	void (*freecode)(struct bpf_program *fp);
	char *(*geterr)(pcap_t *p);
	void (*close)(pcap_t *p);
	int (*offline_filter)(const struct bpf_program *fp, const struct pcap_pkthdr *h,
			      const u_char *pkt);
	pcap_dumper_t *(*dump_fopen)(pcap_t *p, FILE *f);
	/* replay's input */
	pcap_t *(*open_offline_with_tstamp_precision)(const char *fname, u_int precision,
						      char *errbuf);
	int (*datalink)(pcap_t *p);
	const char *(*datalink_val_to_name)(int dlt);
	int (*next_ex)(pcap_t *p, struct pcap_pkthdr **h, const u_char **data);
};

/*
 * libpcap, loaded on the first call; NULL when it cannot be, err_set()
 * saying so in one line with the fix ("libpcap is not installed: apt
 * install libpcap0.8"). Later calls return what the first found.
 */
const struct pcaplib *pcaplib(void);
/* Loads @soname into @lib: 0, or -errno with err_set(). For pcaplib() and the tests. */
int pcaplib__open(struct pcaplib *lib, const char *soname);
void pcaplib__close(struct pcaplib *lib);

#endif
