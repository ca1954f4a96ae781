package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/busrt-go/busrt/bus"
	"github.com/busrt-go/busrt/netloop"
	"github.com/busrt-go/busrt/proto"
)

func main() { os.Exit(run(os.Args[1:])) }

// run is busrtd; it returns the exit status.
func run(args []string) int {
	o, err := parseFlags(args, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "busrtd: %s\nTry 'busrtd --help' for more information.\n",
			strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
		return 2
	}
	switch {
	case o.showHelp:
		return 0
	case o.showVersion:
		fmt.Printf("busrtd %s (BUS/RT protocol %d)\n", version, proto.ProtocolVersion)
		return 0
	}
	status := daemonStatus()
	if o.daemonize && status == nil {
		return daemonize(args)
	}
	log := newLogger(o, status != nil)
	loops := eventLoops(o.workers, runtime.GOMAXPROCS(0))
	if loops < o.workers {
		log.Info(fmt.Sprintf("running %d event loop(s) for -w %d: at most one per CPU, one CPU left to the clients (GOMAXPROCS=%d); set GOMAXPROCS to change",
			loops, o.workers, runtime.GOMAXPROCS(0)))
	}
	setGOMAXPROCS(loops, log)
	if err := serve(o, loops, log, status); err != nil {
		if status != nil { // daemon: the parent prints it
			status.fail(err)
			log.Error(oneLine(err.Error()))
		} else {
			fmt.Fprintf(os.Stderr, "busrtd: %s\n", oneLine(err.Error()))
		}
		return 1
	}
	return 0
}

// serve runs the broker until SIGINT/SIGTERM (nil) or a start-up or engine
// failure (the error).
func serve(o *options, loops int, log *slog.Logger, status *statusPipe) error {
	log.Debug("starting BUS/RT server", "version", version, "workers", o.workers, "loops", loops,
		"buf_size", o.bufSize, "buf_ttl", o.bufTTL, "queue_size", o.queueSize, "timeout", o.timeout)
	if o.pidFile != "" {
		if err := writePIDFile(o.pidFile); err != nil {
			return err
		}
		log.Debug("created pid file " + o.pidFile)
		defer removePIDFile(o.pidFile)
	}
	// catch signals from now on: a signal during start-up shuts down cleanly
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)

	broker := bus.New(bus.Config{
		Timeout:       o.timeout,
		QueueSize:     o.queueSize,
		ForceRegister: o.forceRegister,
		Logger:        log,
	})
	binds := make([]netloop.Listener, len(o.binds))
	for i, b := range o.binds {
		binds[i] = netloop.Listener{Addr: b}
		log.Debug("binding at " + b)
	}
	srv, err := netloop.New(broker, netloop.Config{
		Binds:   binds,
		Loops:   loops,
		Timeout: o.timeout,
		BufSize: o.bufSize,
		BufTTL:  o.bufTTL,
		Logger:  log,
	})
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	var fifos []*fifoChannel
	stopFIFOs := func() {
		for _, f := range fifos {
			f.stop()
		}
		fifos = nil
	}
	defer stopFIFOs()
	for _, p := range o.fifos {
		log.Debug("binding at fifo:" + p)
		f, err := startFIFO(p, broker.Core(), log, o.bufSize)
		if err != nil {
			shutdown(srv, o.timeout)
			return err
		}
		fifos = append(fifos, f)
	}
	var where []string
	for i, a := range srv.Addrs() {
		if a.Network() == "tcp" {
			where = append(where, a.String()) // the real port when -B gave 0
		} else {
			where = append(where, o.binds[i])
		}
	}
	for _, f := range o.fifos {
		where = append(where, "fifo:"+f)
	}
	if o.defaultBinds {
		log.Info("BUS/RT broker started, listening on " + strings.Join(where, ", ") + " (default: no -B given)")
	} else {
		log.Info("BUS/RT broker started, listening on " + strings.Join(where, ", "))
	}
	status.ok()

	select {
	case sig := <-sigs:
		if sig == syscall.SIGTERM {
			log.Info("terminating")
		}
	case <-srv.Done():
		stopFIFOs()
		return fmt.Errorf("engine stopped: %w", errOr(srv.Err(), errors.New("unknown reason")))
	}
	removePIDFile(o.pidFile)
	stopFIFOs()
	shutdown(srv, o.timeout)
	return nil
}

// shutdown announces the shutdown and stops the server, within T plus a
// margin for the engine to close.
func shutdown(srv *netloop.Server, t time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), t+2*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

func errOr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}

// eventLoops is the number of event loops busrtd runs for -w workers when
// the Go scheduler may use procs CPUs (GOMAXPROCS: the CPUs available to
// the process, container limits included, or the environment's value):
// at most procs-1, at least 1. A loop owns its connections and cannot hand
// work to an idle sibling, so loops beyond the free CPUs only share cores
// and add wake-ups; and a bus's clients are local processes that need a
// CPU too. Measured on 2 CPUs with `busrt benchmark -w 8` (single-threaded
// client, medians of 4 alternating runs): -w 1 against -w 4, rpc.call
// 156 000 vs 90 000 iters/s, send.qos.processed 157 000 vs 95 000.
func eventLoops(workers, procs int) int {
	return max(1, min(workers, procs-1))
}

// setGOMAXPROCS gives the Go scheduler one P per event loop plus one: each
// gnet loop, and the accept reactor, waits in epoll_wait holding its P
// until the runtime takes it back, so with fewer Ps a wake-up of another
// loop waits for that (measured on 2 cores, 2 loops: a cross-loop round
// trip takes 180 µs with GOMAXPROCS=2 and 42 µs with 3). eventLoops keeps
// loops below GOMAXPROCS, so this acts only on a single CPU (GOMAXPROCS 1
// becomes 2). An explicit GOMAXPROCS environment variable wins.
func setGOMAXPROCS(loops int, log *slog.Logger) {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	if n := loops + 1; runtime.GOMAXPROCS(0) < n {
		runtime.GOMAXPROCS(n)
		log.Debug("GOMAXPROCS raised for the event loops", "gomaxprocs", n)
	}
}
