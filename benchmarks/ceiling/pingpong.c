/*
 * pingpong: the machine's ceiling for strictly sequential request/response
 * traffic over UNIX sockets or TCP loopback, without Go and without a
 * broker.
 *
 * Two processes, each one thread with its own epoll, as busrtd and
 * upstream's single-threaded benchmark client: the client keeps W
 * connections, each writing a frame of send.qos.processed's size (a 9-byte
 * header, a 20-byte target and its 0 byte, 100 bytes of payload: 130
 * bytes, within a few bytes of busrt-bench's, whose target depends on the
 * client name) and waiting for the
 * 6-byte ACK before writing the next; the echo process answers every
 * complete frame with an ACK. Per operation: client write, echo read, echo
 * write, client read. Compare its rate with busrt-bench's
 * raw.send.qos.processed, lean.send.qos.processed and send.qos.processed.
 *
 *   cc -O2 -o /tmp/pingpong benchmarks/ceiling/pingpong.c
 *   /tmp/pingpong [workers=8] [iters=1000000] [payload=100] [unix|tcp]
 *
 * tcp uses connections over 127.0.0.1 with TCP_NODELAY instead of UNIX
 * socket pairs.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXW 1024

static void die(const char *what) { perror(what); exit(1); }

/* echo: answers each complete frame of size fsize with a 6-byte ACK */
static void echo(int *fds, int w, long fsize) {
	int ep = epoll_create1(0);
	if (ep < 0) die("epoll_create1");
	long *have = calloc(w, sizeof *have);
	for (int i = 0; i < w; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev)) die("epoll_ctl");
	}
	static char buf[1 << 16];
	static const char ack[6] = {(char)0xFE, 0, 0, 0, 0, 0x71};
	struct epoll_event evs[64];
	for (;;) {
		int n = epoll_wait(ep, evs, 64, -1);
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) die("epoll_wait");
		for (int k = 0; k < n; k++) {
			int i = evs[k].data.u32;
			ssize_t r = read(fds[i], buf, sizeof buf);
			if (r == 0) _exit(0); /* the client is done */
			if (r < 0) { if (errno == EAGAIN) continue; die("echo read"); }
			for (have[i] += r; have[i] >= fsize; have[i] -= fsize)
				if (write(fds[i], ack, 6) != 6) die("echo write");
		}
	}
}

/* tcppair: a connected pair of TCP sockets over 127.0.0.1 */
static void tcppair(int p[2]) {
	static int ln = -1;
	static struct sockaddr_in a;
	socklen_t al = sizeof a;
	if (ln < 0) {
		ln = socket(AF_INET, SOCK_STREAM, 0);
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (ln < 0 || bind(ln, (struct sockaddr *)&a, sizeof a) || listen(ln, MAXW) ||
		    getsockname(ln, (struct sockaddr *)&a, &al))
			die("listen");
	}
	p[0] = socket(AF_INET, SOCK_STREAM, 0);
	if (p[0] < 0 || connect(p[0], (struct sockaddr *)&a, sizeof a)) die("connect");
	p[1] = accept(ln, NULL, NULL);
	if (p[1] < 0) die("accept");
	int one = 1;
	setsockopt(p[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	setsockopt(p[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int main(int argc, char **argv) {
	int w = argc > 1 ? atoi(argv[1]) : 8;
	long iters = argc > 2 ? atol(argv[2]) : 1000000;
	long payload = argc > 3 ? atol(argv[3]) : 100;
	const char *net = argc > 4 ? argv[4] : "unix";
	int tcp = strcmp(net, "tcp") == 0;
	/* a frame is written with one non-blocking write: keep it well within
	 * a socket buffer */
	if (w < 1 || w > MAXW || iters < w || payload < 0 || payload > 32768 ||
	    (!tcp && strcmp(net, "unix") != 0)) {
		fprintf(stderr, "usage: pingpong [workers 1..%d] [iters >= workers] [payload 0..32768 bytes] [unix|tcp]\n", MAXW);
		return 2;
	}
	long fsize = 9 + 20 + 1 + payload;
	char *frame = malloc(fsize);
	memset(frame, 0xEE, fsize);
	int cl[MAXW], sv[MAXW];
	for (int i = 0; i < w; i++) {
		int p[2];
		if (tcp)
			tcppair(p);
		else if (socketpair(AF_UNIX, SOCK_STREAM, 0, p))
			die("socketpair");
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		fcntl(p[1], F_SETFL, O_NONBLOCK);
		cl[i] = p[0], sv[i] = p[1];
	}
	pid_t pid = fork();
	if (pid < 0) die("fork");
	if (pid == 0) {
		for (int i = 0; i < w; i++) close(cl[i]);
		echo(sv, w, fsize);
	}
	for (int i = 0; i < w; i++) close(sv[i]);

	int ep = epoll_create1(0);
	long per = iters / w, left[MAXW], got[MAXW];
	int active = w;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < w; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, cl[i], &ev)) die("epoll_ctl");
		left[i] = per, got[i] = 0;
		if (write(cl[i], frame, fsize) != fsize) die("write (short or failed)");
	}
	static char buf[4096];
	struct epoll_event evs[64];
	while (active) {
		int n = epoll_wait(ep, evs, 64, -1);
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) die("epoll_wait");
		for (int k = 0; k < n; k++) {
			int i = evs[k].data.u32;
			ssize_t r = read(cl[i], buf, sizeof buf);
			if (r == 0) { fprintf(stderr, "pingpong: the echo process hung up\n"); exit(1); }
			if (r < 0) { if (errno == EAGAIN) continue; die("client read"); }
			for (got[i] += r; got[i] >= 6; got[i] -= 6) {
				if (--left[i] > 0) {
					if (write(cl[i], frame, fsize) != fsize) die("write (short or failed)");
				} else {
					active--;
				}
			}
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("pingpong (%s): %d worker(s), %ld round trips, %.3f secs, %.0f round trips/s\n",
	       net, w, per * w, secs, per * w / secs);
	for (int i = 0; i < w; i++) close(cl[i]);
	waitpid(pid, NULL, 0);
	return 0;
}
