/*
 * latency: the machine's round-trip latency floor for one request at a
 * time, without Go, to set busrt-bench's latency.rtt against.
 *
 * A writes a 115-byte frame, B echoes it, A waits for it; blocking
 * sockets, A and B are two threads of this process. Modes:
 *
 *   direct         A and B on one UNIX socket pair: one hop each way.
 *   relay          through a relay process (one epoll thread forwarding
 *                  bytes): two hops each way, as through a broker.
 *   broker SOCKET  through a BUS/RT broker: A and B register as lat.a and
 *                  lat.b and send each other MESSAGE frames with QoS
 *                  Realtime and 100 bytes of payload, as latency.rtt.
 *
 *   cc -O2 -pthread -o /tmp/latency benchmarks/ceiling/latency.c
 *   /tmp/latency relay 20000; /tmp/latency broker /tmp/busrt.sock 20000
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define FRAME 115 /* 9-byte header + "lat.b\0" + 100 bytes of payload */

static void die(const char *what) { perror(what); exit(1); }

static void readn(int fd, char *b, size_t n) {
	for (size_t got = 0; got < n;) {
		ssize_t r = read(fd, b + got, n - got);
		if (r <= 0) { if (r == 0) fprintf(stderr, "latency: peer hung up\n"); else perror("read"); exit(1); }
		got += r;
	}
}

static void writen(int fd, const char *b, size_t n) {
	if (write(fd, b, n) != (ssize_t)n) die("write");
}

static int bus;   /* broker mode: frames are BUS/RT frames */
static long iters;
static int bfd;

/* frame builds a client MESSAGE frame to target, QoS Realtime (no ACK) */
static size_t frame(char *f, const char *target) {
	size_t tl = strlen(target);
	uint32_t len = tl + 1 + 100;
	memset(f, 0, 9);
	f[4] = 0x12 | (2 << 6);
	memcpy(f + 5, &len, 4);
	memcpy(f + 9, target, tl + 1);
	memset(f + 10 + tl, 0xEE, 100);
	return 9 + len;
}

/* receive reads one frame: a broker frame (6-byte header) or FRAME bytes */
static void receive(int fd, char *buf) {
	if (!bus) { readn(fd, buf, FRAME); return; }
	char h[6];
	uint32_t len;
	readn(fd, h, 6);
	memcpy(&len, h + 1, 4);
	if (len > 4096) { fprintf(stderr, "latency: frame of %u bytes\n", len); exit(1); }
	readn(fd, buf, len);
}

static void *echo(void *arg) {
	(void)arg;
	char f[256], buf[4096];
	size_t n = frame(f, "lat.a");
	for (long i = 0; i < iters; i++) {
		receive(bfd, buf);
		writen(bfd, f, n);
	}
	return NULL;
}

static int dial(const char *path, const char *name) {
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (fd < 0 || strlen(path) >= sizeof a.sun_path) die("socket");
	strcpy(a.sun_path, path);
	if (connect(fd, (struct sockaddr *)&a, sizeof a)) die("connect");
	char g[3], ok, h[64];
	readn(fd, g, 3);
	writen(fd, g, 3);
	readn(fd, &ok, 1);
	size_t nl = strlen(name);
	h[0] = nl, h[1] = 0;
	memcpy(h + 2, name, nl);
	writen(fd, h, nl + 2);
	readn(fd, &ok, 1);
	if (ok != 1) { fprintf(stderr, "latency: %s not registered: code %d\n", name, ok); exit(1); }
	return fd;
}

/* relay forwards bytes between a and b until one side hangs up */
static void relay(int a, int b) {
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN}, evs[2];
	ev.data.fd = a;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev)) die("epoll");
	ev.data.fd = b;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev)) die("epoll");
	static char buf[1 << 16];
	for (;;) {
		int n = epoll_wait(ep, evs, 2, -1);
		for (int k = 0; k < n; k++) {
			int from = evs[k].data.fd, to = from == a ? b : a;
			ssize_t r = read(from, buf, sizeof buf);
			if (r <= 0) _exit(0);
			writen(to, buf, r);
		}
	}
}

static int cmp(const void *x, const void *y) {
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

int main(int argc, char **argv) {
	const char *mode = argc > 1 ? argv[1] : "";
	int afd;
	if (strcmp(mode, "direct") == 0 || strcmp(mode, "relay") == 0) {
		iters = argc > 2 ? atol(argv[2]) : 20000;
		int p[2], q[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, p)) die("socketpair");
		afd = p[0], bfd = p[1];
		if (strcmp(mode, "relay") == 0) {
			if (socketpair(AF_UNIX, SOCK_STREAM, 0, q)) die("socketpair");
			if (fork() == 0) { close(p[0]), close(q[0]); relay(p[1], q[1]); }
			close(p[1]), close(q[1]);
			bfd = q[0];
		}
	} else if (strcmp(mode, "broker") == 0 && argc > 2) {
		bus = 1;
		iters = argc > 3 ? atol(argv[3]) : 20000;
		afd = dial(argv[2], "lat.a");
		bfd = dial(argv[2], "lat.b");
	} else {
		fprintf(stderr, "usage: latency direct|relay [iters] | latency broker SOCKET [iters]\n");
		return 2;
	}
	if (iters < 1) iters = 1;
	pthread_t t;
	if (pthread_create(&t, NULL, echo, NULL)) die("pthread_create");
	char f[256], buf[4096];
	size_t n = bus ? frame(f, "lat.b") : FRAME;
	if (!bus) memset(f, 0xEE, FRAME);
	double *d = malloc(iters * sizeof *d);
	for (long i = 0; i < iters; i++) {
		struct timespec s, e;
		clock_gettime(CLOCK_MONOTONIC, &s);
		writen(afd, f, n);
		receive(afd, buf);
		clock_gettime(CLOCK_MONOTONIC, &e);
		d[i] = (e.tv_sec - s.tv_sec) * 1e6 + (e.tv_nsec - s.tv_nsec) / 1e3;
	}
	pthread_join(t, NULL);
	qsort(d, iters, sizeof *d, cmp);
	printf("latency (%s): %ld round trips, p50 %.1f µs, p99 %.1f µs, p99.9 %.1f µs\n",
	       mode, iters, d[iters / 2], d[iters * 99 / 100], d[iters * 999 / 1000]);
	return 0;
}
