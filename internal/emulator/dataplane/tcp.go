package dataplane

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"

	"github.com/go-logr/logr"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/dial"
)

// TCPListener is a network load balancer listener: each connection is
// pinned to the target chosen when it was accepted.
type TCPListener struct {
	name    string
	ln      net.Listener
	picker  Picker
	dialer  *dial.Dialer
	counter *Counter
	log     logr.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// ServeTCP starts accepting on ln. name labels the counts.
func ServeTCP(ln net.Listener, name string, picker Picker, d *dial.Dialer, counter *Counter, log logr.Logger) *TCPListener {
	ctx, cancel := context.WithCancel(context.Background())
	l := &TCPListener{name: name, ln: ln, picker: picker, dialer: d, counter: counter, log: log, ctx: ctx, cancel: cancel}
	l.wg.Add(1)
	go l.accept()
	return l
}

func (l *TCPListener) accept() {
	defer l.wg.Done()
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				l.log.Error(err, "accepting connection", "listener", l.name)
			}
			return
		}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.serve(conn)
		}()
	}
}

func (l *TCPListener) serve(client net.Conn) {
	defer client.Close()
	b, ok := l.picker.Pick()
	if !ok {
		l.counter.Record(l.name, b.Group, "", NoTarget)
		return
	}
	ctx, cancel := untilGone(l.ctx, b.Gone)
	defer cancel()
	target, err := l.dialer.DialContext(ctx, b.Addr)
	if err != nil {
		l.counter.Record(l.name, b.Group, b.Key, classify(err))
		l.log.V(1).Info("connecting to target failed", "listener", l.name, "target", b.Key, "error", err.Error())
		return
	}
	defer target.Close()
	l.counter.Record(l.name, b.Group, b.Key, Success)

	// Close both ends when the listener closes or the target's drain window
	// ends, which unblocks the copies below.
	stop := context.AfterFunc(ctx, func() {
		_ = client.Close()
		_ = target.Close()
	})
	defer stop()
	done := make(chan struct{}, 2)
	go func() { splice(target, client); done <- struct{}{} }()
	go func() { splice(client, target); done <- struct{}{} }()
	<-done
	<-done
}

// splice copies src to dst and half-closes dst's write side so the peer sees
// EOF while the other direction may still be flowing.
func splice(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	if tc, ok := dst.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
		return
	}
	_ = dst.Close()
}

// Addr is the address the listener accepts on.
func (l *TCPListener) Addr() string { return l.ln.Addr().String() }

// Close stops accepting, closes open connections and waits for them.
func (l *TCPListener) Close() error {
	err := l.ln.Close()
	l.cancel()
	l.wg.Wait()
	return err
}
