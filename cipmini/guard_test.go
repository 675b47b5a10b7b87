package cipmini

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func tcpAddr(ip string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: 4000} }

// Of 100 parallel attempts from one address at most PerMinute take a
// slot; successes give theirs back; another address is not affected.
func TestLoginGuardReservesBeforeTheCheck(t *testing.T) {
	g := &LoginGuard{PerMinute: 10}
	var got atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if a, ok := g.Reserve(tcpAddr("192.0.2.1")); ok {
				got.Add(1)
				a.Failed()
			}
		}()
	}
	wg.Wait()
	if got.Load() != 10 {
		t.Fatalf("%d of 100 parallel attempts took a slot, want 10", got.Load())
	}
	if !g.Blocked(tcpAddr("192.0.2.1")) || g.Blocked(tcpAddr("192.0.2.2")) {
		t.Fatal("blocking is not per address")
	}
	// Successes do not count.
	for i := 0; i < 50; i++ {
		a, ok := g.Reserve(tcpAddr("192.0.2.2"))
		if !ok {
			t.Fatalf("success %d refused", i)
		}
		a.Succeeded()
	}
	if l := g.Level(tcpAddr("192.0.2.2")); l > 0.01 {
		t.Fatalf("level %v after successes only", l)
	}
	// A stricter limit for one kind of check (the panel PIN) holds under
	// parallel attempts too, and the failures count for logins as well.
	var pins atomic.Int32
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if a, ok := g.ReserveWithin(tcpAddr("192.0.2.4"), 5); ok {
				pins.Add(1)
				a.Failed()
			}
		}()
	}
	wg.Wait()
	if pins.Load() != 5 {
		t.Fatalf("%d of 50 parallel PINs took a slot, want 5", pins.Load())
	}
	if l := g.Level(tcpAddr("192.0.2.4")); l < 4.9 || g.Blocked(tcpAddr("192.0.2.4")) {
		t.Fatalf("after 5 PIN failures: level %v, blocked for logins %v", l, g.Blocked(tcpAddr("192.0.2.4")))
	}
	// No limit: every attempt passes.
	free := &LoginGuard{PerMinute: -1}
	for i := 0; i < 20; i++ {
		a, ok := free.Reserve(tcpAddr("192.0.2.3"))
		if !ok {
			t.Fatal("refused without a limit")
		}
		a.Failed()
	}
}

// The table of addresses never holds more than MaxAddrs, however many
// addresses fail.
func TestLoginGuardTableIsBounded(t *testing.T) {
	g := &LoginGuard{MaxAddrs: 64}
	for i := 0; i < 5000; i++ {
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		a, _ := g.Reserve(&net.TCPAddr{IP: ip.AsSlice()})
		a.Failed()
		if n := g.failures().len(); n > 64 {
			t.Fatalf("%d addresses tracked after %d, want at most 64", n, i+1)
		}
	}
}

// A session idle past BusyIdleTimeout is closed when a connection comes
// while the server is more than three quarters full, not before.
func TestBusyIdleSessionsReaped(t *testing.T) {
	srv := &Server{MaxConns: 4, MaxConnsPerAddr: -1, BusyIdleTimeout: 300 * time.Millisecond}
	addr := startServer(t, srv)
	var idle []*rawConn
	for i := 0; i < 3; i++ {
		c := dialRaw(t, addr)
		c.expect("OK CIP 1.0 test.example")
		idle = append(idle, c)
	}
	time.Sleep(400 * time.Millisecond)
	fourth := dialRaw(t, addr) // 3 of 4 in use: not more than three quarters
	fourth.expect("OK CIP 1.0 test.example")
	idle[0].send("NOOP\r\n")
	idle[0].expect("OK 000")
	fifth := dialRaw(t, addr) // 4 of 4: the idle ones go, the fifth is refused
	fifth.expect("NO 007 Too many connections, try again later")
	for _, c := range idle[1:] {
		c.expect("NO 007 Idle while the server is busy, closing")
		c.expectClosed(5 * time.Second)
	}
	idle[0].send("NOOP\r\n") // it sent a command lately: kept
	idle[0].expect("OK 000")
	deadline := time.Now().Add(5 * time.Second)
	for {
		c := dialRaw(t, addr)
		line, err := c.lr.ReadLine()
		if err == nil && string(line) == "OK CIP 1.0 test.example" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no room after the idle sessions were closed: %q %v", line, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// MaxConnsPerAddr defaults to half of MaxConns, at most 32.
func TestConnsPerAddrDefault(t *testing.T) {
	for _, tc := range []struct{ conns, want int }{{0, 32}, {16, 8}, {100, 32}, {1, 1}} {
		if got := (&Server{MaxConns: tc.conns}).maxConnsPerAddr(); got != tc.want {
			t.Errorf("MaxConns %d: %d per address, want %d", tc.conns, got, tc.want)
		}
	}
}

// The byte allowance: an hour's octets pass, the next event is refused with
// NO 007 without reaching the backend, a NO gives the octets back, and
// they come back gradually.
func TestRateLimitBytesPerHour(t *testing.T) {
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	b := &storeBackend{}
	rl := &RateLimit{Backend: b, EventsPerHour: -1, BytesPerHour: 3100}
	rl.buckets()
	rl.bytes.now = func() time.Time { return now }
	addr := startServer(t, &Server{Backend: rl})
	c := rawFrom(t, "127.0.0.1", addr)
	c.expect("OK CIP 1.0 test.example")
	send := func(data string) string {
		t.Helper()
		c.send("SENDEVENT +\r\n" + data + "\r\n.\r\n")
		line, err := c.lr.ReadLine()
		if err != nil {
			t.Fatal(err)
		}
		return string(line)
	}
	line := fmt.Sprintf("UID: %0998d", 0) // 1005 octets with CRLF: three fit in 3100
	for i := 0; i < 3; i++ {
		if got := send(line); got != "OK 000 Stored" {
			t.Fatalf("event %d: %q", i, got)
		}
	}
	calls := b.calls.Load()
	if got := send(line); got != "NO 007 Too much data, try again later" {
		t.Fatalf("past the octets: %q", got)
	}
	if b.calls.Load() != calls {
		t.Fatal("an event past the octets reached the backend")
	}
	if got := send("UID: REJECT"); got != "NO 000 Nothing stored" {
		t.Fatalf("a small rejected one: %q", got)
	}
	now = now.Add(10 * time.Minute) // 3100 an hour: 516 back, too few
	if got := send(line); got != "NO 007 Too much data, try again later" {
		t.Fatalf("after 10 minutes: %q", got)
	}
	now = now.Add(10 * time.Minute) // 1033 back: enough
	if got := send(line); got != "OK 000 Stored" {
		t.Fatalf("after 20 minutes: %q", got)
	}
}

// BenchmarkLoginGuardReserve is one failed check's bookkeeping for a known
// address; BenchmarkLoginGuardNewAddrFull the worst case, a new address
// while the table holds its 4096 (each admission scans it to evict).
func BenchmarkLoginGuardReserve(b *testing.B) {
	g := &LoginGuard{PerMinute: 1 << 30}
	a := tcpAddr("192.0.2.1")
	b.ReportAllocs()
	for b.Loop() {
		at, _ := g.Reserve(a)
		at.Succeeded()
	}
}

func BenchmarkLoginGuardNewAddrFull(b *testing.B) {
	g := &LoginGuard{PerMinute: 10} // nothing drains within the run
	addrs := make([]net.Addr, 1<<16)
	for i := range addrs {
		addrs[i] = &net.TCPAddr{IP: net.IPv4(10, 1, byte(i>>8), byte(i))}
	}
	for _, a := range addrs[:DefaultMaxTrackedClients] {
		at, _ := g.Reserve(a)
		at.Failed()
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		at, _ := g.Reserve(addrs[i%len(addrs)])
		at.Failed()
		i++
	}
}

// loginFailed records a failed login from the address, as a LOGIN whose
// password was wrong does, and returns Attempt.Failed's answer.
func (s *Server) loginFailed(key netip.Addr) (time.Duration, bool) {
	g := s.guard()
	if g.perMinute() >= 0 {
		g.failures().add(key, 1, 0)
	}
	return Attempt{g: g, key: key}.Failed()
}
