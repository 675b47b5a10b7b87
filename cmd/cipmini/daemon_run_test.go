package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/cipmini/cipmini/store"
)

// brokenListener is a listener whose Accept fails for good once broken.
type brokenListener struct {
	net.Listener
	once   sync.Once
	broken chan struct{}
}

var errBrokenListener = errors.New("listener broke")

func (l *brokenListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	select {
	case <-l.broken:
		if c != nil {
			c.Close()
		}
		return nil, errBrokenListener
	default:
	}
	return c, err
}

func (l *brokenListener) breakNow() {
	l.once.Do(func() { close(l.broken) })
	l.Listener.Close()
}

// runDaemon starts a daemon of the demo configuration in process, with its
// CIP and HTTP listeners on loopback, the CIP one breakable.
func runDaemon(t *testing.T, ctx context.Context) (*daemon, *brokenListener, chan error) {
	t.Helper()
	cfg, err := loadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir, cfg.Listen, cfg.HTTPListen = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	var cip *brokenListener
	listen := func(network, addr string) (net.Listener, error) {
		l, err := net.Listen(network, addr)
		if err == nil && cip == nil {
			cip = &brokenListener{Listener: l, broken: make(chan struct{})}
			return cip, nil
		}
		return l, err
	}
	d, err := newDaemon(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), listen)
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, runHooks{ready: func(net.Addr) { close(ready) }}) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the daemon did not get ready")
	}
	return d, cip, done
}

// stoppedCompletely checks that neither listener takes connections any
// more and that the store is closed: its lock is free again.
func stoppedCompletely(t *testing.T, d *daemon, cipAddr, webAddr string) {
	t.Helper()
	for _, addr := range []string{cipAddr, webAddr} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections", addr)
		}
	}
	db, err := store.Open(d.cfg.DataDir, nil)
	if err != nil {
		t.Fatalf("the store is still held: %v", err)
	}
	db.Close()
}

func TestDaemonListenerFailureShutsDownAll(t *testing.T) {
	d, cip, done := runDaemon(t, context.Background())
	cipAddr, webAddr := cip.Addr().String(), d.web.Addr().String()
	if c, err := net.DialTimeout("tcp", webAddr, time.Second); err != nil {
		t.Fatalf("the web face does not serve: %v", err)
	} else {
		c.Close()
	}
	cip.breakNow()
	select {
	case err := <-done:
		if !errors.Is(err, errBrokenListener) {
			t.Fatalf("Run returned %v, want the listener's failure", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after its CIP listener failed")
	}
	stoppedCompletely(t, d, cipAddr, webAddr)
}

func TestDaemonCleanStop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	d, cip, done := runDaemon(t, ctx)
	cipAddr, webAddr := cip.Addr().String(), d.web.Addr().String()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after a clean stop: %v", err)
		}
	case <-time.After(30 * time.Second):
		buf := make([]byte, 1<<20)
		t.Fatalf("Run did not return after its context ended\n%s", buf[:runtime.Stack(buf, true)])
	}
	stoppedCompletely(t, d, cipAddr, webAddr)
}

// A listener that cannot be opened leaves nothing behind: the store is
// closed again and the listeners opened before it are too.
func TestDaemonStartFailureReleasesAll(t *testing.T) {
	cfg, err := loadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir, cfg.Listen, cfg.HTTPListen = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	var opened []net.Listener
	listen := func(network, addr string) (net.Listener, error) {
		if len(opened) == 1 {
			return nil, errBrokenListener
		}
		l, err := net.Listen(network, addr)
		if err == nil {
			opened = append(opened, l)
		}
		return l, err
	}
	if _, err := newDaemon(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), listen); !errors.Is(err, errBrokenListener) {
		t.Fatalf("newDaemon: %v, want the listener's failure", err)
	}
	if c, err := net.DialTimeout("tcp", opened[0].Addr().String(), time.Second); err == nil {
		c.Close()
		t.Error("the CIP listener is still open")
	}
	db, err := store.Open(cfg.DataDir, nil)
	if err != nil {
		t.Fatalf("the store is still held: %v", err)
	}
	db.Close()
}
