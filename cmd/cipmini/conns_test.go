package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// On --board pi-zero (16 sessions) one address gets at most half of them;
// another address is still served.
func TestOneAddressCannotTakeAllSessions(t *testing.T) {
	d := startDaemon(t, boundsConfig(t, ""), t.TempDir(), "--board", "pi-zero")
	served := 0
	for i := 0; i < 16; i++ {
		_, greeting := cipFrom(t, d, "127.0.0.8")
		switch greeting {
		case "OK CIP 1.0 bounds.test":
			served++
		case "NO 007 Too many connections from your address, try again later":
		default:
			t.Fatalf("connection %d: %q", i, greeting)
		}
	}
	if served != 8 {
		t.Fatalf("one address holds %d of 16 sessions, want 8", served)
	}
	if _, greeting := cipFrom(t, d, "127.0.0.9"); greeting != "OK CIP 1.0 bounds.test" {
		t.Fatalf("another address: %q", greeting)
	}
}

// When the server is more than three quarters full, a new connection has
// the sessions idle for busy_idle_timeout or longer closed with NO 007; a
// session that keeps sending commands stays, and so do idle ones while
// the server is three quarters full or less.
func TestIdleSessionsClosedWhenBusy(t *testing.T) {
	d := startDaemon(t, boundsConfig(t, `busy_idle_timeout = "1s"`), t.TempDir(), "--board", "pi-zero")
	var idle []*cipConn
	open := func(ip string) *cipConn {
		c, greeting := cipFrom(t, d, ip)
		if greeting != "OK CIP 1.0 bounds.test" {
			t.Fatalf("from %s: %q", ip, greeting)
		}
		return c
	}
	for i := 0; i < 8; i++ {
		idle = append(idle, open("127.0.0.10"))
	}
	for i := 0; i < 3; i++ {
		idle = append(idle, open("127.0.0.11"))
	}
	busy := open("127.0.0.11") // 12 of 16: three quarters
	stop := make(chan struct{})
	done := make(chan string, 1)
	go func() {
		for {
			select {
			case <-stop:
				done <- ""
				return
			case <-time.After(200 * time.Millisecond):
			}
			if got := busy.cmd("NOOP"); got != "OK 000" {
				done <- got
				return
			}
		}
	}()
	time.Sleep(1500 * time.Millisecond)
	open("127.0.0.12") // 12 in use before it: not more than three quarters
	if got := readWithin(idle[0], 300*time.Millisecond); got != "" {
		t.Fatalf("an idle session was closed at three quarters full: %q", got)
	}
	open("127.0.0.12") // 13 in use before it: more than three quarters
	for i, c := range idle {
		if got := c.line(); got != "NO 007 Idle while the server is busy, closing" {
			t.Fatalf("idle session %d: %q", i, got)
		}
		if got := c.line(); got != "" {
			t.Fatalf("idle session %d not closed: %q", i, got)
		}
	}
	close(stop)
	if got := <-done; got != "" {
		t.Fatalf("the busy session: %q", got)
	}
}

// readWithin reads a line, returning "" when none comes within d.
func readWithin(c *cipConn, d time.Duration) string {
	c.conn.SetReadDeadline(time.Now().Add(d))
	s, err := c.r.ReadString('\n')
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return ""
	}
	if err != nil {
		return "error: " + err.Error()
	}
	return strings.TrimRight(s, "\r\n")
}

// The HTTP listener holds at most max_http_conns connections, half of them
// from one address; more are closed at once, and half-sent requests are
// closed after the header timeout (10 s), after which the server answers
// again.
func TestHTTPHalfSentRequestsBounded(t *testing.T) {
	d := startDaemon(t, boundsConfig(t, "max_http_conns = 4"), t.TempDir())
	addr := strings.TrimPrefix(httpBase(t, d), "http://")
	halfSend := func(ip string) net.Conn {
		c, err := dialerFrom(ip).DialContext(context.Background(), "tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n"))
		return c
	}
	// readEnd reads c until it ends or within passes: the bytes read,
	// whether it is still open, and how the read ended.
	readEnd := func(c net.Conn, within time.Duration) (int64, bool, error) {
		c.SetReadDeadline(time.Now().Add(within))
		n, err := io.Copy(io.Discard, c)
		var ne net.Error
		return n, errors.As(err, &ne) && ne.Timeout(), err
	}
	closedSoon := func(c net.Conn, within time.Duration) bool {
		_, open, _ := readEnd(c, within)
		return !open
	}
	start := time.Now()
	held := []net.Conn{halfSend("127.0.0.13"), halfSend("127.0.0.13")}
	if extra := halfSend("127.0.0.13"); !closedSoon(extra, 2*time.Second) {
		t.Fatal("a third connection from one address (max_http_conns 4) was kept")
	}
	held = append(held, halfSend("127.0.0.14"), halfSend("127.0.0.14"))
	if extra := halfSend("127.0.0.15"); !closedSoon(extra, 2*time.Second) {
		t.Fatal("a fifth connection (max_http_conns 4) was kept")
	}
	for i, c := range held[:2] {
		if closedSoon(c, 300*time.Millisecond) {
			t.Fatalf("held connection %d closed early", i)
		}
	}
	// How and when each held connection ends, for the failure message: an
	// early end has been seen in CI (6.2 and 8.2 s) and not reproduced.
	var ends []string
	for i, c := range held {
		n, open, err := readEnd(c, 15*time.Second)
		ends = append(ends, fmt.Sprintf("%d: %v after %d bytes, %v", i, time.Since(start).Round(time.Millisecond), n, err))
		if open {
			t.Fatalf("half-sent request %d still open after %v", i, time.Since(start))
		}
	}
	if el := time.Since(start); el < 9*time.Second {
		t.Fatalf("half-sent requests closed after %v, before the header timeout:\n%s\ndaemon log:\n%s",
			el, strings.Join(ends, "\n"), d.log)
	}
	if code := getAs(t, httpFrom("127.0.0.13"), "http://"+addr+"/healthz", "", ""); code != 200 {
		t.Fatalf("healthz after the timeouts: %d", code)
	}
}
