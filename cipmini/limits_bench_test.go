package cipmini

import (
	"crypto/tls"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini/internal/wire"
)

// BenchmarkIdleSessionMemory reports the memory (heap and goroutine
// stacks) held per idle session, in the clear and after AUTHENTICATE TLS,
// with 200 sessions open. The client ends live in the same process, so the
// figure is an upper bound for the server's share.
func BenchmarkIdleSessionMemory(b *testing.B) {
	const n = 200
	ca := newTestCA(b, "Bench CA")
	crt := ca.issue(b, []string{"test.example"}, certOpts{})
	trust := trustOf(b, ca)
	for _, useTLS := range []bool{false, true} {
		name := "plain"
		if useTLS {
			name = "tls"
		}
		b.Run(name, func(b *testing.B) {
			srv := &Server{MaxConns: n + 1, MaxConnsPerAddr: -1, PeerTrust: trust,
				TLSConfig: &tls.Config{Certificates: []tls.Certificate{crt}}}
			addr := startServer(b, srv)
			b.ReportAllocs()
			var perSession float64
			for b.Loop() {
				conns := make([]net.Conn, 0, n)
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				for i := 0; i < n; i++ {
					conns = append(conns, idleSession(b, addr, useTLS, trust))
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				perSession = float64(after.HeapInuse+after.StackInuse-before.HeapInuse-before.StackInuse) / n
				for _, c := range conns {
					c.Close()
				}
				// Let the server see them go before the next round.
				for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
					srv.mu.Lock()
					active := srv.active
					srv.mu.Unlock()
					if active == 0 {
						break
					}
					if time.Now().After(deadline) {
						b.Fatalf("%d sessions still open", active)
					}
				}
			}
			b.ReportMetric(perSession, "mem-B/session")
		})
	}
}

// idleSession opens a session, past the greeting (and TLS), and leaves it
// idle.
func idleSession(b *testing.B, addr string, useTLS bool, trust *PeerTrust) net.Conn {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	lr := wire.NewLineReader(conn, 256)
	if _, err := lr.ReadLine(); err != nil {
		b.Fatal(err)
	}
	if !useTLS {
		conn.SetDeadline(time.Time{})
		return conn
	}
	conn.Write([]byte("AUTHENTICATE TLS\r\n"))
	if l, err := lr.ReadLine(); err != nil || string(l) != "OK 000 Begin TLS" {
		b.Fatal(string(l), err)
	}
	tc := tls.Client(conn, trust.ClientConfig("test.example", nil))
	tc.Write([]byte("NOOP\r\n"))
	lr = wire.NewLineReader(tc, 256)
	if l, err := lr.ReadLine(); err != nil || string(l) != "OK 000" {
		b.Fatal(string(l), err)
	}
	conn.SetDeadline(time.Time{})
	return tc
}
