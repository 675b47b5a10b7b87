package cipmini

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini/internal/wire"
)

// dialFrom connects to addr from the loopback address from (all of 127/8
// is loopback on Linux), or returns an error.
func dialFrom(from, addr string) (*wire.LineReader, net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	return wire.NewLineReader(conn, 4096), conn, nil
}

// rawFrom is dialRaw from a given loopback address.
func rawFrom(t *testing.T, from, addr string) *rawConn {
	t.Helper()
	lr, conn, err := dialFrom(from, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawConn{t: t, conn: conn, lr: lr}
}

// 200 failed logins from one address: the first ones are answered after a
// growing delay, then the address is refused (NO 007 at connect, and its
// logins are not checked), while a client from another address logs in at
// once. The per-address count drains at the configured rate.
func TestLoginFailuresPerAddress(t *testing.T) {
	srv := &Server{AuthFailureDelay: time.Millisecond}
	addr := startServer(t, srv)
	var denied, refused int
	for i := 0; i < 200; i++ {
		c := rawFrom(t, "127.0.0.1", addr)
		c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := c.lr.ReadLine()
		if err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
		switch string(line) {
		case "NO 007 Too many failed logins, try again later":
			refused++
			c.expectClosed(5 * time.Second)
		case "OK CIP 1.0 test.example":
			c.send(fmt.Sprintf("AUTHENTICATE LOGIN bill guess%d\r\n", i))
			c.expect("NO 000 Access denied.")
			denied++
		default:
			t.Fatalf("attempt %d: greeting %q", i, line)
		}
		c.conn.Close()
	}
	if denied != DefaultMaxLoginFailuresPerMinute || refused != 200-denied {
		t.Fatalf("%d logins denied and %d connections refused, want %d and %d",
			denied, refused, DefaultMaxLoginFailuresPerMinute, 200-DefaultMaxLoginFailuresPerMinute)
	}
	// The right password from the blocked address is refused too.
	rawFrom(t, "127.0.0.1", addr).expect("NO 007 Too many failed logins, try again later")
	other := rawFrom(t, "127.0.0.2", addr)
	other.expect("OK CIP 1.0 test.example")
	other.send("AUTHENTICATE LOGIN bill aardvark\r\n")
	other.expect("OK 000 Login complete")

	// A session opened before the block is closed at its next login.
	srv2 := &Server{AuthFailureDelay: -1, MaxAuthFailures: 100}
	addr2 := startServer(t, srv2)
	early := rawFrom(t, "127.0.0.1", addr2)
	early.expect("OK CIP 1.0 test.example")
	c := rawFrom(t, "127.0.0.1", addr2)
	c.expect("OK CIP 1.0 test.example")
	for i := 0; i < DefaultMaxLoginFailuresPerMinute; i++ {
		c.send("AUTHENTICATE LOGIN bill wrong\r\n")
		c.expect("NO 000 Access denied.")
	}
	c.expectClosed(5 * time.Second)
	early.send("AUTHENTICATE LOGIN bill aardvark\r\n")
	early.expect("NO 000 Access denied.")
	early.expectClosed(5 * time.Second)
}

// The delay before a failed login's answer doubles with each recent
// failure of the address, up to 16 times the base; the address is blocked
// at the limit and let in again as its count drains.
func TestLoginFailureDelayGrows(t *testing.T) {
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	srv := &Server{AuthFailureDelay: time.Second, MaxLoginFailuresPerMinute: 6}
	srv.failureTable().now = func() time.Time { return now }
	a := netip.MustParseAddr("192.0.2.7")
	want := []time.Duration{1, 2, 4, 8, 16, 16}
	for i, w := range want {
		d, blocked := srv.loginFailed(a)
		if d != w*time.Second || blocked != (i == len(want)-1) {
			t.Fatalf("failure %d: delay %v blocked %v, want %v %v", i+1, d, blocked, w*time.Second, i == len(want)-1)
		}
	}
	if !srv.loginBlocked(a) || srv.loginBlocked(netip.MustParseAddr("192.0.2.8")) {
		t.Fatal("blocking is not per address")
	}
	now = now.Add(10 * time.Second) // 6 a minute: one drains in 10 s
	if srv.loginBlocked(a) {
		t.Fatal("still blocked after a failure drained")
	}
	if _, blocked := srv.loginFailed(a); !blocked {
		t.Fatal("not blocked again at the limit")
	}
	if d, _ := (&Server{AuthFailureDelay: -1}).loginFailed(a); d != 0 {
		t.Fatalf("negative AuthFailureDelay: delay %v", d)
	}
	if d, b := (&Server{AuthFailureDelay: time.Second, MaxLoginFailuresPerMinute: -1}).loginFailed(a); d != time.Second || b {
		t.Fatalf("no limit: %v %v", d, b)
	}
}

// A client that trickles one byte a second is disconnected when the line
// deadline passes, though it never stops sending.
func TestTrickleOneByteASecond(t *testing.T) {
	srv := &Server{ReadTimeout: 2500 * time.Millisecond}
	c := dialRaw(t, startServer(t, srv))
	c.expect("OK CIP 1.0 test.example")
	line := "NOOP" + strings.Repeat(" ", 30) + "\r\n"
	stop := make(chan struct{})
	sent := make(chan int, 1)
	go func() {
		n := 0
		defer func() { sent <- n }()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for ; n < len(line); n++ {
			if _, err := c.conn.Write([]byte{line[n]}); err != nil {
				return
			}
			select {
			case <-tick.C:
			case <-stop:
				return
			}
		}
	}()
	c.expect("NO 007 Idle timeout, closing")
	c.expectClosed(5 * time.Second)
	close(stop)
	if n := <-sent; n >= len(line) {
		t.Fatalf("the whole line (%d octets) went out before the disconnection", n)
	}
}

// 500 idle connections from one address are capped at MaxConnsPerAddr;
// a second address is served as usual, and a closed session frees its
// place.
func TestConnsPerAddress(t *testing.T) {
	srv := &Server{MaxConns: 100}
	addr := startServer(t, srv)
	var held []net.Conn
	t.Cleanup(func() {
		for _, c := range held {
			c.Close()
		}
	})
	served, refused := 0, 0
	for i := 0; i < 500; i++ {
		lr, conn, err := dialFrom("127.0.0.1", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		line, err := lr.ReadLine()
		switch {
		case err != nil:
			t.Fatalf("connection %d: %v", i, err)
		case string(line) == "OK CIP 1.0 test.example":
			served++
			held = append(held, conn)
		case string(line) == "NO 007 Too many connections from your address, try again later":
			refused++
			conn.Close()
		default:
			t.Fatalf("connection %d: %q", i, line)
		}
	}
	if served != DefaultMaxConnsPerAddr || refused != 500-served {
		t.Fatalf("%d served, %d refused; want %d served", served, refused, DefaultMaxConnsPerAddr)
	}
	other := rawFrom(t, "127.0.0.2", addr)
	other.expect("OK CIP 1.0 test.example")
	other.send("NOOP\r\n")
	other.expect("OK 000")

	// One of the idle sessions leaves; its place is free again.
	held[0].Write([]byte("QUIT\r\n"))
	held[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		lr, conn, err := dialFrom("127.0.0.1", addr)
		if err != nil {
			t.Fatal(err)
		}
		line, _ := lr.ReadLine()
		if string(line) == "OK CIP 1.0 test.example" {
			held = append(held, conn)
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatalf("no place after a session ended: %q", line)
		}
		time.Sleep(10 * time.Millisecond)
	}
	srv.mu.Lock()
	n := srv.perAddr[netip.MustParseAddr("127.0.0.1")]
	srv.mu.Unlock()
	if n != DefaultMaxConnsPerAddr {
		t.Fatalf("%d sessions counted for 127.0.0.1, want %d", n, DefaultMaxConnsPerAddr)
	}
}

// IPv6 clients are grouped by /64; IPv4-mapped addresses count as IPv4.
func TestAddrKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1:5229":                 "192.0.2.1",
		"[::ffff:192.0.2.1]:1":           "192.0.2.1",
		"[2001:db8:1:2:3:4:5:6]:5229":    "2001:db8:1:2::",
		"[2001:db8:1:2:ffff::1%eth0]:80": "2001:db8:1:2::",
	} {
		ap := netip.MustParseAddrPort(in)
		if got := addrKey(net.TCPAddrFromAddrPort(ap)).String(); got != want {
			t.Errorf("addrKey(%s) = %s, want %s", in, got, want)
		}
	}
	if got := addrKey(&net.UnixAddr{Name: "/x", Net: "unix"}); got.IsValid() {
		t.Errorf("a Unix address got key %v", got)
	}
}

// The tables of the limits stay within their bound under many clients,
// and keep the clients held back most.
func TestLeakyTableBounded(t *testing.T) {
	tab := newLeakyTable[int](1.0/60, 8)
	for i := 0; i < 5; i++ {
		tab.add(-1, 1, 0) // the busiest client
	}
	for i := 0; i < 1000; i++ {
		tab.add(i, 1, 0)
		if tab.len() > 8 {
			t.Fatalf("table holds %d keys, bound 8", tab.len())
		}
	}
	if l := tab.level(-1); l < 4.9 {
		t.Fatalf("the busiest client was forgotten (level %v)", l)
	}
	if _, ok := tab.add(-1, 1, 5); ok {
		t.Fatal("add past the limit succeeded")
	}
}
