package courier

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/sched"
	"github.com/cipmini/cipmini/store"
)

// An organizer's server that answers the room's RSVP with hundreds of
// REDIRECT EVENT lines makes one message follow, for the first line about
// the answered event; one that answers with more lines than the client
// keeps fails the try, which is retried as any failure.
func TestCourierFollowsOneRedirectEvent(t *testing.T) {
	e := newCourierEnv(t)
	e.bookRoom("r1@x.test", 1)
	x := startPeer(t, "x.test", func(verb string, data []byte) *cipmini.Reply {
		if strings.Contains(string(data), "UID:r1@x.test") {
			r := &cipmini.Reply{Completion: cipmini.NO(0, "moved")}
			r.Info = append(r.Info, cipmini.RedirectEvent("other@x.test", "o2@x.test"))
			for i := 0; i < 500; i++ {
				r.Info = append(r.Info, cipmini.RedirectEvent("r1@x.test", "u"+strconv.Itoa(i)+"@x.test"))
			}
			return r
		}
		return okReply(verb, data)
	})
	e.dial.set("x.test", x.addr)
	e.courier.runDue(context.Background())
	q := e.queue()
	if len(q) != 1 || q[0].UID != "u0@x.test" || q[0].Hops != 1 || q[0].State != sched.OutQueued {
		t.Fatalf("queue after the redirect: %d messages, first %+v", len(q), q[0])
	}
	e.courier.runDue(context.Background())
	if got := x.received(); len(got) != 2 || !strings.Contains(got[1], "UID:u0@x.test") {
		t.Fatalf("x.test got %d messages", len(got))
	}
	if q := e.queue(); len(q) != 0 {
		t.Fatalf("queue after delivery: %+v", q)
	}

	// A flood past the client's bound: the try fails, nothing is queued.
	e.bookRoom("r2@x.test", 2)
	x.mu.Lock()
	x.answer = func(verb string, data []byte) *cipmini.Reply {
		r := &cipmini.Reply{Completion: cipmini.OK(0, "fine")}
		for i := 0; i < cipmini.DefaultMaxInfoLines+10; i++ {
			r.Info = append(r.Info, cipmini.RedirectEvent("r2@x.test", "v"+strconv.Itoa(i)+"@x.test"))
		}
		return r
	}
	x.mu.Unlock()
	e.courier.runDue(context.Background())
	q = e.queue()
	if len(q) != 1 || q[0].UID != "r2@x.test" || q[0].Tries != 1 || !strings.Contains(q[0].LastError, "informational") {
		t.Fatalf("queue after the flood: %d messages, first %+v", len(q), q[0])
	}
}

// A REDIRECT USER is followed once for each address the message is for:
// repeats and addresses the message was not for are ignored.
func TestCourierFollowsOneRedirectPerUser(t *testing.T) {
	e := newCourierEnv(t)
	y := startPeer(t, "y.test", func(verb string, data []byte) *cipmini.Reply {
		if strings.Contains(string(data), "mailto:old@y.test") {
			r := &cipmini.Reply{Completion: cipmini.NO(0, "moved")}
			for i := 0; i < 300; i++ {
				r.Info = append(r.Info, cipmini.RedirectUser("old@y.test", "new"+strconv.Itoa(i)+"@y.test"),
					cipmini.RedirectUser("stranger"+strconv.Itoa(i)+"@y.test", "s@z.test"))
			}
			return r
		}
		return okReply(verb, data)
	})
	e.dial.set("y.test", y.addr)
	alice := e.client("alice", "alice-pw")
	ev := event("fw@rooms.test", 0, stamp1, "20270302T090000Z", "20270302T100000Z", "alice@rooms.test",
		"old@y.test")
	expect(t, "alice sends", e.send(alice, ev), "* NOTFOUND old@y.test\nOK 000 Stored")
	e.courier.runDue(context.Background())
	q := e.queue()
	if len(q) != 1 || q[0].To != "y.test" || len(q[0].For) != 1 || q[0].For[0] != "new0@y.test" {
		t.Fatalf("queue after the redirect: %d messages, first %+v", len(q), q[0])
	}
}

// A SENDEVENT narrowed while it is being tried (a newer version queued for
// one of its attendees) stays narrowed when the try fails: the retry
// updates only the try's fields of the stored message.
func TestCourierRetryKeepsNarrowedMessage(t *testing.T) {
	e := newCourierEnv(t)
	var narrowed *sched.OutMessage
	y := startPeer(t, "y.test", func(verb string, data []byte) *cipmini.Reply {
		if narrowed == nil {
			q := e.queue()
			narrowed = &sched.OutMessage{ID: sched.NewOutID(e.now, 999), To: "y.test", Verb: q[0].Verb, UID: q[0].UID,
				Data: q[0].Data, For: []string{"old@y.test"}, State: sched.OutQueued, Created: e.now.Unix(), NextTry: e.now.Unix() + 3600}
			err := e.db.Update(func(tx *store.Tx) error {
				return sched.Enqueue(tx, []*sched.OutMessage{narrowed}, e.now, sched.QueueLimits{}, quietLog)
			})
			if err != nil {
				t.Error(err)
			}
		}
		return &cipmini.Reply{Completion: cipmini.NO(cipmini.CodeTempFailure, "busy")}
	})
	e.dial.set("y.test", y.addr)
	alice := e.client("alice", "alice-pw")
	ev := event("nw@rooms.test", 0, stamp1, "20270302T090000Z", "20270302T100000Z", "alice@rooms.test",
		"old@y.test", "other@y.test")
	expect(t, "alice sends", e.send(alice, ev), "* NOTFOUND old@y.test\n* NOTFOUND other@y.test\nOK 000 Stored")
	e.courier.runDue(context.Background())
	q := e.queue()
	if len(q) != 2 || q[0].Tries != 1 || q[0].State != sched.OutQueued || len(q[0].For) != 1 || q[0].For[0] != "other@y.test" {
		t.Fatalf("queue after the failed try: %d messages, first %+v", len(q), q[0])
	}
}
