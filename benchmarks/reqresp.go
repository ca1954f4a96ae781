package benchmarks

// Request/response ceiling stages (not in upstream): send.qos.processed's
// traffic with the Go client taken out, then with the broker taken out
// too. Both drive W connections from one locked OS thread with its own
// epoll, as upstream's single-threaded CLI does: each connection writes a
// MESSAGE frame with QoS RealtimeProcessed (flags 0xD2) to the absent
// NAME-k-null with the benchmark payload, waits for its ACK, then writes
// the next, iters/W times; iters/s = floor(iters / secs), as
// send.qos.processed. No goroutine, channel or Go netpoller is involved
// per operation.
//
//   - lean.send.qos.processed: the connections go to the broker under
//     test, registered as NAME-1 … NAME-W (phase 2's names, BUSY retried
//     the same way) with a blocking handshake, then switched to
//     non-blocking mode.
//   - raw.send.qos.processed: no broker. The connections are socketpair(2)s
//     (TCP loopback pairs when the broker address is TCP) whose other ends
//     belong to an "echo" thread with its own epoll, which reads the frames
//     and answers each that asks for one with the 6-byte ACK the broker
//     sends (NOT_REGISTERED).
//
// A strictly sequential request/response costs at least four system calls
// (client write, server read, server write, client read) and, when a side
// has nothing else ready, an epoll_wait and a wake-up; raw.send.qos.processed
// is that ceiling as Go reaches it (benchmarks/ceiling/pingpong.c, in C,
// measures the machine's own). send.qos.processed / lean.send.qos.processed
// is then what the Go client costs, and lean.send.qos.processed /
// raw.send.qos.processed what the broker costs over that ceiling.
//
// Both need Linux's epoll (reqresp_linux.go); elsewhere they are skipped
// with a message (reqresp_other.go).
