package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// serveOn serves s on a new loopback listener and returns its base URL and
// a function that shuts it down and returns what Serve returned.
func serveOn(t *testing.T, s *Server) (base string, shutdown func() error) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	var once bool
	var result error
	shutdown = func() error {
		if once {
			return result
		}
		once = true
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		result = <-served
		return result
	}
	t.Cleanup(func() { shutdown() })
	return "http://" + l.Addr().String(), shutdown
}

// Serve answers over TCP with the handler and runs the release loop when
// CheckInGrace is set; Shutdown stops both and Serve returns nil; a second
// Serve is refused.
func TestServeAndReleaseLoop(t *testing.T) {
	// The loop looks every quarter of the grace, at least every second.
	e := newEnv(t, func(o *Options) { o.CheckInGrace = 4 * time.Second })
	e.clock.Advance(time.Second)
	e.book("room-1", 15)
	e.clock.Advance(5 * time.Second)
	base, shutdown := serveOn(t, e.web)
	client := &http.Client{Timeout: 10 * time.Second}
	state := func() stateJSON {
		t.Helper()
		resp, err := client.Get(base + "/room/room-1/state")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v stateJSON
		if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("GET state over TCP: %s %v", resp.Status, resp.Header)
		}
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	deadline := time.Now().Add(5 * time.Second)
	for !state().Free {
		if time.Now().After(deadline) {
			t.Fatal("the booking nobody checked in to was not released by the loop")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := shutdown(); err != nil {
		t.Fatalf("Serve after Shutdown: %v", err)
	}
	if _, err := client.Get(base + "/healthz"); err == nil {
		t.Error("answers after Shutdown")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := e.web.Serve(l); err == nil {
		t.Error("a second Serve was not refused")
	}
	// Shutdown of a Server never served returns at once.
	if err := e.newServer().Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown before Serve: %v", err)
	}
}

// dialFrom opens a TCP connection to addr from the loopback address ip.
func dialFrom(t *testing.T, ip, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedWithin reports whether the server closed c within d.
func closedWithin(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.ReadAll(c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// MaxConns bounds the connections open at once, and half of it those of
// one address: more are closed at once, the others kept; a closed one
// frees its place. A negative MaxConns sets no bound.
func TestConnectionCaps(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxConns = 4 })
	base, shutdown := serveOn(t, e.web)
	addr := base[len("http://"):]
	a1, a2 := dialFrom(t, "127.0.0.13", addr), dialFrom(t, "127.0.0.13", addr)
	if !closedWithin(dialFrom(t, "127.0.0.13", addr), 2*time.Second) {
		t.Fatal("a third connection from one address (MaxConns 4) was kept")
	}
	b1, b2 := dialFrom(t, "127.0.0.14", addr), dialFrom(t, "127.0.0.14", addr)
	if !closedWithin(dialFrom(t, "127.0.0.15", addr), 2*time.Second) {
		t.Fatal("a fifth connection (MaxConns 4) was kept")
	}
	if closedWithin(a2, 200*time.Millisecond) {
		t.Fatal("a connection within the bounds was closed")
	}
	// A request on a held connection is answered.
	if _, err := a1.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	a1.SetReadDeadline(time.Now().Add(5 * time.Second))
	if b, _ := io.ReadAll(a1); len(b) < 12 || string(b[:12]) != "HTTP/1.1 200" {
		t.Fatalf("a held connection: %q", b)
	}
	// a1 is closed now (Connection: close): .13 may open another.
	deadline := time.Now().Add(5 * time.Second)
	for {
		a3 := dialFrom(t, "127.0.0.13", addr)
		if !closedWithin(a3, 200*time.Millisecond) {
			a3.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a closed connection did not free its place")
		}
	}
	for _, c := range []net.Conn{a2, b1, b2} {
		c.Close() // else Shutdown waits for them
	}
	if err := shutdown(); err != nil {
		t.Fatalf("Serve after Shutdown: %v", err)
	}

	free := newEnv(t, func(o *Options) { o.MaxConns = -1 })
	base, _ = serveOn(t, free.web)
	addr = base[len("http://"):]
	var held []net.Conn
	for range 6 {
		held = append(held, dialFrom(t, "127.0.0.16", addr))
	}
	for i, c := range held {
		if closedWithin(c, 100*time.Millisecond) {
			t.Fatalf("connection %d closed without a bound", i)
		}
	}
}
