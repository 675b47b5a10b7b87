package cipmini

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// storeBackend answers SENDEVENT OK ("stored"), or NO when the data holds
// REJECT, and counts what reached it.
type storeBackend struct {
	echoBackend
	calls atomic.Int32
}

func (b *storeBackend) SendEvent(ctx context.Context, req *Request) *Reply {
	b.calls.Add(1)
	if bytes.Contains(req.Data, []byte("REJECT")) {
		return &Reply{Completion: NO(CodeNone, "Nothing stored")}
	}
	return &Reply{Completion: OK(CodeNone, "Stored")}
}

// Each client, by identity or, anonymous, by address, may have at most
// EventsPerHour SENDEVENTs stored; the next is answered NO 007 without
// reaching the backend, a NO answer does not count, and the allowance comes
// back at the configured rate.
func TestRateLimitEventsPerHour(t *testing.T) {
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	b := &storeBackend{}
	rl := &RateLimit{Backend: b, EventsPerHour: 3}
	rl.buckets().now = func() time.Time { return now }
	addr := startServer(t, &Server{Backend: rl})

	send := func(c *rawConn, data string) string {
		t.Helper()
		c.send("SENDEVENT +\r\n" + data + "\r\n.\r\n")
		c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := c.lr.ReadLine()
		if err != nil {
			t.Fatal(err)
		}
		return string(line)
	}
	peer := rawFrom(t, "127.0.0.1", addr)
	peer.expect("OK CIP 1.0 test.example")
	peer.send("AUTHENTICATE LOGIN a.com PASSWORD_A\r\n")
	peer.expect("OK 000 Login complete")
	if got := send(peer, "UID: REJECT"); got != "NO 000 Nothing stored" {
		t.Fatalf("rejected event: %q", got)
	}
	for i := 0; i < 3; i++ {
		if got := send(peer, "UID: x"); got != "OK 000 Stored" {
			t.Fatalf("event %d: %q", i+1, got)
		}
	}
	calls := b.calls.Load()
	if got := send(peer, "UID: x"); got != "NO 007 Too many events, try again later" {
		t.Fatalf("event 4: %q", got)
	}
	if b.calls.Load() != calls {
		t.Fatal("an event over the cap reached the backend")
	}
	// Another identity on the same connection's address is not affected.
	peer.send("AUTHENTICATE LOGIN bill aardvark\r\n")
	peer.expect("OK 000 Login complete")
	if got := send(peer, "UID: y"); got != "OK 000 Stored" {
		t.Fatalf("another identity: %q", got)
	}
	// Anonymous clients count by address.
	anon := rawFrom(t, "127.0.0.1", addr)
	anon.expect("OK CIP 1.0 test.example")
	for i := 0; i < 3; i++ {
		send(anon, "UID: z")
	}
	if got := send(anon, "UID: z"); got != "NO 007 Too many events, try again later" {
		t.Fatalf("anonymous event 4: %q", got)
	}
	other := rawFrom(t, "127.0.0.2", addr)
	other.expect("OK CIP 1.0 test.example")
	if got := send(other, "UID: z"); got != "OK 000 Stored" {
		t.Fatalf("anonymous from another address: %q", got)
	}
	// 3 an hour: one comes back every 20 minutes.
	now = now.Add(20 * time.Minute)
	peer.send("AUTHENTICATE LOGIN a.com PASSWORD_A\r\n")
	peer.expect("OK 000 Login complete")
	if got := send(peer, "UID: x"); got != "OK 000 Stored" {
		t.Fatalf("after 20 minutes: %q", got)
	}
	if got := send(peer, "UID: x"); got != "NO 007 Too many events, try again later" {
		t.Fatalf("after 20 minutes, the second: %q", got)
	}
	if rl.buckets().len() != 4 {
		t.Fatalf("%d clients tracked, want 4", rl.buckets().len())
	}
	// A negative cap lets everything through.
	free := &RateLimit{Backend: b, EventsPerHour: -1}
	for i := 0; i < 1000; i++ {
		if r := free.SendEvent(context.Background(), &Request{Data: []byte("UID: x")}); !r.Completion.OK {
			t.Fatalf("no cap: event %d: %v", i, r.Completion)
		}
	}
}
