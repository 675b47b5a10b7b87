package cipmini

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// An RSVP draws on the same allowances as a SENDEVENT: one event and its
// octets; past them it is answered NO 007 without reaching the backend.
func TestRateLimitCountsRSVPs(t *testing.T) {
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	b := &storeBackend{}
	rl := &RateLimit{Backend: b, EventsPerHour: 3, BytesPerHour: 1000}
	rl.buckets().now = func() time.Time { return now }
	rl.bytes.now = rl.table.now
	ctx := context.Background()
	anon := func(ip, data string) *Request {
		return &Request{RemoteAddr: &net.TCPAddr{IP: net.ParseIP(ip), Port: 4000}, Data: []byte(data)}
	}
	for i := 0; i < 2; i++ {
		if got := rl.RSVP(ctx, anon("192.0.2.1", "UID: a")).Completion; !got.OK {
			t.Fatalf("answer %d: %v", i, got)
		}
	}
	if got := rl.SendEvent(ctx, anon("192.0.2.1", "UID: b")).Completion; !got.OK {
		t.Fatalf("event after two answers: %v", got)
	}
	if got := rl.RSVP(ctx, anon("192.0.2.1", "UID: a")).Completion.String(); got != "NO 007 Too many events, try again later" {
		t.Fatalf("fourth answer: %q", got)
	}
	// Octets count too: another address sends one answer of 1,001 octets.
	if got := rl.RSVP(ctx, anon("192.0.2.2", strings.Repeat("x", 1001))).Completion.String(); got != "NO 007 Too much data, try again later" {
		t.Fatalf("answer over the octets: %q", got)
	}
	// The allowance comes back with time.
	now = now.Add(20 * time.Minute)
	if got := rl.RSVP(ctx, anon("192.0.2.1", "UID: a")).Completion; !got.OK {
		t.Fatalf("answer after 20 minutes: %v", got)
	}
}
