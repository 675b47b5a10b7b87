package cipmini_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/cipmini/cipmini/cipmini"
)

// A Server with a Backend that confirms every attendee of a SENDEVENT,
// and a Client that sends it one over loopback.
func Example() {
	backend := cipmini.BackendFunc(func(ctx context.Context, verb cipmini.Verb, req *cipmini.Request) *cipmini.Reply {
		if verb != cipmini.VerbSendEvent {
			return &cipmini.Reply{Completion: cipmini.NO(cipmini.CodeInvalid, verb.String()+" is not served here")}
		}
		r := &cipmini.Reply{}
		for _, line := range strings.Split(string(req.Data), "\r\n") {
			if addr, ok := strings.CutPrefix(line, "ATTENDEE:"); ok {
				r.Info = append(r.Info, cipmini.UserInfo(cipmini.InfoConfirmed, strings.TrimSpace(addr)))
			}
		}
		r.Completion = cipmini.OK(cipmini.CodeNone, "Stored")
		return r
	})
	srv := &cipmini.Server{ServerID: "rooms.example", Backend: backend,
		Logger: slog.New(slog.DiscardHandler)}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	go srv.Serve(l)
	defer srv.Shutdown(context.Background())

	ctx := context.Background()
	c, err := cipmini.Dial(ctx, l.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("server:", c.ServerID())
	r, err := c.SendEvent(ctx, []byte("UID:1@a.example\r\nDTSTART:20270301T090000Z\r\n"+
		"DTEND:20270301T100000Z\r\nATTENDEE:ada@rooms.example\r\nATTENDEE:board@rooms.example\r\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, in := range r.Info {
		fmt.Println(in)
	}
	fmt.Println(r.Completion)
	r, _ = c.FreeBusy(ctx, []byte("ATTENDEE:ada@rooms.example\r\n"))
	fmt.Println(r.Completion, "final:", r.Completion.Code.Final())
	c.Quit(ctx)
	// Output:
	// server: rooms.example
	// * CONFIRMED ada@rooms.example
	// * CONFIRMED board@rooms.example
	// OK 000 Stored
	// NO 001 FREEBUSY is not served here final: true
}

// A Backend behind two Middlewares: a RateLimit outermost, so that a
// refused command reaches nothing else, then an Observer that counts what
// the Backend answered.
func ExampleChain() {
	store := cipmini.BackendFunc(func(ctx context.Context, verb cipmini.Verb, req *cipmini.Request) *cipmini.Reply {
		return &cipmini.Reply{Completion: cipmini.OK(cipmini.CodeNone, "Stored")}
	})
	answered := 0
	count := cipmini.Observe(func(ctx context.Context, verb cipmini.Verb, req *cipmini.Request, r *cipmini.Reply) {
		answered++ // an Observer on a Server must be safe for concurrent use
	})
	limit := &cipmini.RateLimit{EventsPerHour: 2}
	b := cipmini.Chain(store, limit.Middleware, count)

	req := &cipmini.Request{Identity: cipmini.Identity{Kind: cipmini.User, Name: "ada@rooms.example"},
		Data: []byte("UID:1@a.example\r\n")}
	for i := 0; i < 3; i++ {
		fmt.Println(b.SendEvent(context.Background(), req).Completion)
	}
	fmt.Println("answered by the store:", answered)
	// Output:
	// OK 000 Stored
	// OK 000 Stored
	// NO 007 Too many events, try again later
	// answered by the store: 2
}
