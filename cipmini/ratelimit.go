package cipmini

import (
	"context"
	"sync"
	"time"
)

// DefaultEventsPerHour is RateLimit's cap when EventsPerHour is not set.
const DefaultEventsPerHour = 600

// RateLimit is a Backend that caps how much one client can make the
// wrapped Backend store: at most EventsPerHour SENDEVENTs answered OK per
// client, as a leaky bucket (a client may use a whole hour's worth at once,
// then one more each 3600/EventsPerHour seconds). A client is its identity:
// the peer's server id, the user's id, or, for an anonymous session, its
// address (an IPv4 address or an IPv6 /64). A SENDEVENT past the cap is
// answered "NO 007 Too many events, try again later" without reaching the
// Backend; one answered NO does not count. RSVP and FREEBUSY pass through.
//
// The table of clients holds at most MaxClients entries, forgetting idle
// clients first. Set the fields before use; RateLimit is safe for
// concurrent use.
type RateLimit struct {
	// Backend does the work. Required.
	Backend Backend
	// EventsPerHour is the cap. Default DefaultEventsPerHour (600);
	// negative means no cap.
	EventsPerHour int
	// MaxClients bounds the table of clients. Default
	// DefaultMaxTrackedClients (4096).
	MaxClients int

	once  sync.Once
	table *leakyTable[Identity]
}

func (r *RateLimit) perHour() int { return orDefault(r.EventsPerHour, DefaultEventsPerHour) }

func (r *RateLimit) buckets() *leakyTable[Identity] {
	r.once.Do(func() {
		r.table = newLeakyTable[Identity](float64(max(r.perHour(), 1))/float64(time.Hour/time.Second), r.MaxClients)
	})
	return r.table
}

// rateKey is the client a request is counted for.
func rateKey(req *Request) Identity {
	if req.Identity.Kind != Anonymous {
		return req.Identity
	}
	return Identity{Kind: Anonymous, Name: addrKey(req.RemoteAddr).String()}
}

// SendEvent takes one event from the client's allowance, calls Backend and
// gives it back when the answer is NO (or the Backend panics).
func (r *RateLimit) SendEvent(ctx context.Context, req *Request) *Reply {
	n := r.perHour()
	if n < 0 {
		return r.Backend.SendEvent(ctx, req)
	}
	key := rateKey(req)
	if _, ok := r.buckets().add(key, 1, float64(n)); !ok {
		return &Reply{Completion: NO(CodeTempFailure, "Too many events, try again later")}
	}
	stored := false
	defer func() {
		if !stored {
			r.buckets().add(key, -1, 0)
		}
	}()
	reply := r.Backend.SendEvent(ctx, req)
	stored = reply != nil && reply.Completion.OK
	return reply
}

// RSVP calls Backend.
func (r *RateLimit) RSVP(ctx context.Context, req *Request) *Reply {
	return r.Backend.RSVP(ctx, req)
}

// FreeBusy calls Backend.
func (r *RateLimit) FreeBusy(ctx context.Context, req *Request) *Reply {
	return r.Backend.FreeBusy(ctx, req)
}
