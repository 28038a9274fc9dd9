// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * udp_sink - test helper, not part of the product: a UDP socket bound to
 * ADDR:PORT that reads every datagram (so the kernel consumes them, no
 * drop, also when it exits) until SIGTERM/SIGINT, then prints how many it
 * read. Writes READY to stdout once bound.
 *
 *   udp_sink ADDR PORT
 *
 * Exit: 0, 1 error, 2 usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: recv returns */
	unsigned long n = 0;
	char buf[65536];
	int fd;

	if (argc != 3 || inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) {
		fprintf(stderr, "usage: udp_sink ADDR PORT\n");
		return 2;
	}
	a.sin_port = htons(atoi(argv[2]));
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("udp_sink");
		return 1;
	}
	printf("READY\n");
	fflush(stdout);
	while (!stop) {
		if (recv(fd, buf, sizeof(buf), 0) >= 0)
			n++;
		else if (errno != EINTR)
			break;
	}
	close(fd);
	printf("%lu\n", n);
	return 0;
}
