package cipmini

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
)

// A BackendFunc gets each data command with its verb; Call reaches the
// method the verb names, and nothing for a verb without data.
func TestBackendFuncAndCall(t *testing.T) {
	var got []Verb
	f := BackendFunc(func(ctx context.Context, verb Verb, req *Request) *Reply {
		got = append(got, verb)
		return &Reply{Completion: OK(CodeNone, verb.String())}
	})
	ctx := context.Background()
	for _, v := range []Verb{VerbSendEvent, VerbRSVP, VerbFreeBusy} {
		if r := Call(ctx, f, v, &Request{}); r == nil || r.Completion.Text != v.String() {
			t.Fatalf("Call %v: %+v", v, r)
		}
	}
	for _, v := range []Verb{VerbUnknown, VerbAuthenticate, VerbNoop, VerbQuit} {
		if r := Call(ctx, f, v, &Request{}); r != nil {
			t.Fatalf("Call %v: %+v, want nil", v, r)
		}
	}
	if len(got) != 3 || got[0] != VerbSendEvent || got[1] != VerbRSVP || got[2] != VerbFreeBusy {
		t.Fatalf("verbs seen: %v", got)
	}
}

// Chain puts the first Middleware outermost: a command goes through the
// Middlewares in order and its reply comes back the other way.
func TestChainOrder(t *testing.T) {
	var trace []string
	mark := func(name string) Middleware {
		return func(next Backend) Backend {
			return BackendFunc(func(ctx context.Context, verb Verb, req *Request) *Reply {
				trace = append(trace, name+" in")
				r := Call(ctx, next, verb, req)
				trace = append(trace, name+" out")
				return r
			})
		}
	}
	b := Chain(&echoBackend{}, mark("a"), mark("b"))
	b.RSVP(context.Background(), &Request{})
	if got := strings.Join(trace, ", "); got != "a in, b in, b out, a out" {
		t.Fatalf("trace: %s", got)
	}
	if e := (&echoBackend{}); Chain(e) != Backend(e) {
		t.Fatal("Chain without Middleware must return the Backend itself")
	}
}

// Observe sees every answered command and passes the reply on unchanged;
// a nil reply is passed on unobserved.
func TestObserve(t *testing.T) {
	var mu sync.Mutex
	seen := map[Verb]Completion{}
	obs := Observe(func(ctx context.Context, verb Verb, req *Request, r *Reply) {
		mu.Lock()
		seen[verb] = r.Completion
		mu.Unlock()
	})
	b := obs(&echoBackend{})
	req := &Request{Data: []byte("ATTENDEE: bob@b.com\r\n")}
	r := b.SendEvent(context.Background(), req)
	if !r.Completion.OK || len(r.Info) != 1 || seen[VerbSendEvent] != r.Completion {
		t.Fatalf("reply %+v, seen %+v", r, seen)
	}
	b.FreeBusy(context.Background(), req)
	if _, ok := seen[VerbFreeBusy]; !ok {
		t.Fatal("FREEBUSY not observed")
	}
	none := obs(BackendFunc(func(context.Context, Verb, *Request) *Reply { return nil }))
	if r := none.RSVP(context.Background(), req); r != nil {
		t.Fatalf("nil reply became %+v", r)
	}
	if _, ok := seen[VerbRSVP]; ok {
		t.Fatal("a nil reply was observed")
	}
}

// RateLimit as a Middleware counts against its own allowances, whichever
// Backend it wraps, and lets FREEBUSY through.
func TestRateLimitMiddleware(t *testing.T) {
	rl := &RateLimit{EventsPerHour: 2, BytesPerHour: -1}
	b1, b2 := &storeBackend{}, &storeBackend{}
	w1, w2 := Chain(b1, rl.Middleware), Chain(b2, rl.Middleware)
	ctx := context.Background()
	req := &Request{Identity: Identity{Kind: User, Name: "bill@abc.com"}, Data: []byte("UID: x")}
	if r := w1.SendEvent(ctx, req); !r.Completion.OK {
		t.Fatalf("first: %v", r.Completion)
	}
	if r := w2.RSVP(ctx, req); !r.Completion.OK {
		t.Fatalf("second, an RSVP through another Backend: %v", r.Completion)
	}
	if r := w2.SendEvent(ctx, req); r.Completion.String() != "NO 007 Too many events, try again later" {
		t.Fatalf("third: %v", r.Completion)
	}
	if b1.calls.Load() != 1 || b2.calls.Load() != 0 {
		t.Fatalf("calls %d %d: an event over the cap reached a backend", b1.calls.Load(), b2.calls.Load())
	}
	if r := w1.FreeBusy(ctx, &Request{Identity: req.Identity, RemoteAddr: &net.TCPAddr{}}); r == nil || !r.Completion.OK {
		t.Fatalf("FREEBUSY: %+v", r)
	}
}
