package cipmini

import (
	"context"
	"sync"
	"time"
)

// DefaultEventsPerHour is RateLimit's cap when EventsPerHour is not set.
const DefaultEventsPerHour = 600

// DefaultBytesPerHour is RateLimit's cap of octets when BytesPerHour is not
// set: 4 MiB, a thousand ordinary invitations, or 17 of the largest data
// blocks (DefaultMaxDataBytes).
const DefaultBytesPerHour = 4 << 20

// RateLimit is a Backend that caps how much one client can make the
// wrapped Backend store: at most EventsPerHour SENDEVENTs answered OK per
// client, and at most BytesPerHour octets of their data, each as a leaky
// bucket refilled gradually, not a whole hour at once: a client may use an
// hour's worth at once, then one more event each 3600/EventsPerHour
// seconds and BytesPerHour/3600 octets a second. A client is its identity:
// the peer's server id, the user's id, or, for an anonymous session, its
// address (an IPv4 address or an IPv6 /64). A SENDEVENT past the cap is
// answered "NO 007 Too many events, try again later" without reaching the
// Backend, and one past the octets "NO 007 Too much data, try again
// later"; one answered NO does not count. An RSVP counts as a SENDEVENT
// (one event and its octets, from the same allowances); FREEBUSY passes
// through.
//
// A RateLimit is a Backend over its Backend field, or a Middleware over
// any Backend through its Middleware method; either way the allowances are
// the RateLimit's, shared by every Backend it wraps.
//
// The table of clients holds at most MaxClients entries, forgetting idle
// clients first. Set the fields before use; RateLimit is safe for
// concurrent use.
type RateLimit struct {
	// Backend does the work. Required when the RateLimit is used as a
	// Backend; not used by Middleware.
	Backend Backend
	// EventsPerHour is the cap. Default DefaultEventsPerHour (600);
	// negative means no cap.
	EventsPerHour int
	// BytesPerHour is the cap of data octets. Default
	// DefaultBytesPerHour (4 MiB); negative means no cap.
	BytesPerHour int64
	// MaxClients bounds each table of clients. Default
	// DefaultMaxTrackedClients (4096).
	MaxClients int

	once  sync.Once
	table *leakyTable[Identity]
	bytes *leakyTable[Identity]
}

func (r *RateLimit) bytesPerHour() int64 {
	if r.BytesPerHour == 0 {
		return DefaultBytesPerHour
	}
	return r.BytesPerHour
}

func (r *RateLimit) perHour() int { return orDefault(r.EventsPerHour, DefaultEventsPerHour) }

func (r *RateLimit) buckets() *leakyTable[Identity] {
	r.once.Do(func() {
		r.table = newLeakyTable[Identity](float64(max(r.perHour(), 1))/float64(time.Hour/time.Second), r.MaxClients)
		r.bytes = newLeakyTable[Identity](float64(max(r.bytesPerHour(), 1))/float64(time.Hour/time.Second), r.MaxClients)
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

// SendEvent takes one event and the data's octets from the client's
// allowances, calls Backend and gives them back when the answer is NO (or
// the Backend panics).
func (r *RateLimit) SendEvent(ctx context.Context, req *Request) *Reply {
	return r.metered(ctx, req, r.Backend.SendEvent)
}

// metered takes one event and the data's octets from the client's
// allowances, calls do and gives them back when the answer is NO (or do
// panics).
func (r *RateLimit) metered(ctx context.Context, req *Request, do func(context.Context, *Request) *Reply) *Reply {
	n, nb := r.perHour(), r.bytesPerHour()
	if n < 0 && nb < 0 {
		return do(ctx, req)
	}
	key := rateKey(req)
	r.buckets()
	count, size := 0.0, 0.0
	if n >= 0 {
		if _, ok := r.table.add(key, 1, float64(n)); !ok {
			return &Reply{Completion: NO(CodeTempFailure, "Too many events, try again later")}
		}
		count = 1
	}
	if nb >= 0 {
		size = float64(len(req.Data))
		if _, ok := r.bytes.add(key, size, float64(nb)); !ok {
			r.table.add(key, -count, 0)
			return &Reply{Completion: NO(CodeTempFailure, "Too much data, try again later")}
		}
	}
	stored := false
	defer func() {
		if !stored {
			r.table.add(key, -count, 0)
			r.bytes.add(key, -size, 0)
		}
	}()
	reply := do(ctx, req)
	stored = reply != nil && reply.Completion.OK
	return reply
}

// RSVP counts as SendEvent does, against the same allowances: an answer
// rewrites a stored record (its status, comment and history) as an
// invitation writes one.
func (r *RateLimit) RSVP(ctx context.Context, req *Request) *Reply {
	return r.metered(ctx, req, r.Backend.RSVP)
}

// FreeBusy calls Backend.
func (r *RateLimit) FreeBusy(ctx context.Context, req *Request) *Reply {
	return r.Backend.FreeBusy(ctx, req)
}

// Middleware limits next as r limits its Backend field: SENDEVENT and RSVP
// are counted against r's allowances (the same tables whichever Backend
// they reach), FREEBUSY passes through. It has the type of a Middleware:
// pass r.Middleware to Chain.
func (r *RateLimit) Middleware(next Backend) Backend {
	return BackendFunc(func(ctx context.Context, verb Verb, req *Request) *Reply {
		switch verb {
		case VerbSendEvent:
			return r.metered(ctx, req, next.SendEvent)
		case VerbRSVP:
			return r.metered(ctx, req, next.RSVP)
		}
		return Call(ctx, next, verb, req)
	})
}
