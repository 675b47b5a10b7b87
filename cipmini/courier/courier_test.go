package courier

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/sched"
)

// dialMap is a Dialer over a mutable map of server ids to addresses.
type dialMap struct {
	mu    sync.Mutex
	addrs map[string]string
}

func (d *dialMap) set(id, addr string) {
	d.mu.Lock()
	d.addrs[id] = addr
	d.mu.Unlock()
}

func (d *dialMap) Dial(ctx context.Context, id string) (*cipmini.Client, error) {
	d.mu.Lock()
	addr, ok := d.addrs[id]
	d.mu.Unlock()
	if !ok {
		return nil, errors.New("no address for " + id)
	}
	return cipmini.Dial(ctx, addr)
}

// scriptedPeer is a CIP server whose answers a test chooses; it counts and
// keeps what it receives.
type scriptedPeer struct {
	mu      sync.Mutex
	answer  func(verb string, data []byte) *cipmini.Reply
	got     []string
	logins  []string
	addr    string
	srv     *cipmini.Server
	stopped bool
}

func (p *scriptedPeer) record(verb string, req *cipmini.Request) *cipmini.Reply {
	p.mu.Lock()
	p.got = append(p.got, verb+" "+req.Identity.Name+"\n"+string(req.Data))
	a := p.answer
	p.mu.Unlock()
	return a(verb, req.Data)
}

func (p *scriptedPeer) SendEvent(ctx context.Context, req *cipmini.Request) *cipmini.Reply {
	return p.record("SENDEVENT", req)
}
func (p *scriptedPeer) RSVP(ctx context.Context, req *cipmini.Request) *cipmini.Reply {
	return p.record("RSVP", req)
}
func (p *scriptedPeer) FreeBusy(ctx context.Context, req *cipmini.Request) *cipmini.Reply {
	return p.record("FREEBUSY", req)
}
func (p *scriptedPeer) Login(ctx context.Context, remote net.Addr, identity, password string) (cipmini.Identity, error) {
	p.mu.Lock()
	p.logins = append(p.logins, identity+" "+password)
	p.mu.Unlock()
	return cipmini.Identity{Kind: cipmini.Peer, Name: identity}, nil
}

func (p *scriptedPeer) received() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.got...)
}

func startPeer(t *testing.T, id string, answer func(string, []byte) *cipmini.Reply) *scriptedPeer {
	p := &scriptedPeer{answer: answer}
	p.srv = &cipmini.Server{ServerID: id, Backend: p, Auth: p, Logger: quietLog}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go p.srv.Serve(l)
	t.Cleanup(func() { p.srv.Close() })
	p.addr = l.Addr().String()
	return p
}

func okReply(string, []byte) *cipmini.Reply { return &cipmini.Reply{Completion: cipmini.OK(0, "fine")} }

// courierEnv is a schedEnv whose queue a Courier with a manual clock runs.
type courierEnv struct {
	*schedEnv
	dial    *dialMap
	courier *Courier
	now     time.Time
}

func newCourierEnv(t *testing.T) *courierEnv {
	e := &courierEnv{schedEnv: newSchedEnv(t), dial: &dialMap{addrs: map[string]string{}},
		now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	e.sched.Now = func() time.Time { return e.now }
	e.courier = New(e.db, e.dir, e.dial, quietLog)
	e.courier.Now = func() time.Time { return e.now }
	return e
}

// bookRoom has x.test's tom book room-1 on day 1 to 28 of March 2027: the
// room's answer is queued for x.test.
func (e *courierEnv) bookRoom(uid string, day int) {
	anon := e.client("", "")
	start := time.Date(2027, 3, day, 10, 0, 0, 0, time.UTC)
	ev := event(uid, 0, stamp1, start.Format(utcLayout), start.Add(time.Hour).Format(utcLayout), "tom@x.test", "room-1@rooms.test")
	expect(e.t, "booking", e.send(anon, ev), "* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
}

func (e *courierEnv) queue() []*sched.OutMessage {
	q, err := sched.Queue(e.db)
	if err != nil {
		e.t.Fatal(err)
	}
	return q
}

// The room's answer reaches the organizer's server, which is down at first:
// it waits with backoff, is delivered exactly once, and leaves the queue.
func TestCourierRetriesThenDelivers(t *testing.T) {
	e := newCourierEnv(t)
	e.bookRoom("r1@x.test", 1)
	ctx := context.Background()
	e.courier.runDue(ctx) // x.test unknown: fails
	q := e.queue()
	if len(q) != 1 || q[0].Tries != 1 || q[0].State != sched.OutQueued || q[0].NextTry != e.now.Add(30*time.Second).Unix() {
		t.Fatalf("after a failed try: %+v", q[0])
	}
	e.now = e.now.Add(10 * time.Second)
	e.courier.runDue(ctx) // not due yet
	if q := e.queue(); q[0].Tries != 1 {
		t.Fatalf("tried before it was due: %+v", q[0])
	}
	e.now = e.now.Add(25 * time.Second)
	e.courier.runDue(ctx) // second failure: next in 60 s
	if q := e.queue(); q[0].Tries != 2 || q[0].NextTry != e.now.Add(time.Minute).Unix() {
		t.Fatalf("backoff not doubled: %+v", q[0])
	}
	peer := startPeer(t, "x.test", okReply)
	e.dial.set("x.test", peer.addr)
	e.now = e.now.Add(time.Minute)
	e.courier.runDue(ctx)
	e.courier.runDue(ctx)
	got := peer.received()
	if len(got) != 1 || !strings.HasPrefix(got[0], "RSVP \n") || !strings.Contains(got[0], "PARTSTAT=ACCEPTED:mailto:room-1@rooms.test") {
		t.Fatalf("delivered %d times: %q", len(got), got)
	}
	if q := e.queue(); len(q) != 0 {
		t.Fatalf("delivered message still queued: %+v", q)
	}
}

// A final NO is not retried; a NO 007 is; 72 hours later it is given up.
func TestCourierFinalAndGiveUp(t *testing.T) {
	e := newCourierEnv(t)
	peer := startPeer(t, "x.test", func(string, []byte) *cipmini.Reply {
		return &cipmini.Reply{Completion: cipmini.NO(cipmini.CodeStale, "stale")}
	})
	e.dial.set("x.test", peer.addr)
	e.bookRoom("r1@x.test", 1)
	e.courier.runDue(context.Background())
	if q := e.queue(); len(q) != 1 || q[0].State != sched.OutFailed || q[0].LastError != "NO 005 stale" {
		t.Fatalf("final NO: %+v", q)
	}
	peer.mu.Lock()
	peer.answer = func(string, []byte) *cipmini.Reply {
		return &cipmini.Reply{Completion: cipmini.NO(cipmini.CodeTempFailure, "busy")}
	}
	peer.mu.Unlock()
	e.bookRoom("r2@x.test", 2)
	tries := 0
	for e.now.Before(time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)) {
		e.courier.runDue(context.Background())
		e.now = e.now.Add(10 * time.Minute)
	}
	for _, m := range e.queue() {
		if m.UID == "r2@x.test" {
			tries = m.Tries
			if m.State != sched.OutFailed || m.LastError != "NO 007 busy" {
				t.Fatalf("after 72 h: %+v", m)
			}
		}
	}
	// 30 s, 1, 2, 4, 8, 16, 32 min, then hourly: about 77 tries in 72 h.
	if tries < 70 || tries > 80 {
		t.Fatalf("%d tries in 72 h", tries)
	}
	if n := len(peer.received()); n != tries+1 {
		t.Fatalf("peer saw %d deliveries for %d tries (+1 final NO)", n, tries)
	}
}

// The local owner's event goes to the attendees' servers, logging in with
// the peer's login_password; a REDIRECT USER is followed once; a loop ends.
func TestCourierForwardsAndFollowsRedirects(t *testing.T) {
	e := newCourierEnv(t)
	e.dir.AddPeer(&directory.Peer{ServerID: "y.test", LoginPassword: "to-y"})
	b := startPeer(t, "b.test", okReply)
	y := startPeer(t, "y.test", func(verb string, data []byte) *cipmini.Reply {
		switch {
		case strings.Contains(string(data), "mailto:old@y.test"):
			return &cipmini.Reply{Info: []cipmini.Info{cipmini.RedirectUser("old@y.test", "new@y.test")},
				Completion: cipmini.NO(0, "moved")}
		case strings.Contains(string(data), "mailto:new@y.test"):
			return &cipmini.Reply{Info: []cipmini.Info{cipmini.RedirectUser("new@y.test", "old@y.test")},
				Completion: cipmini.NO(0, "moved back")}
		}
		return okReply(verb, data)
	})
	e.dial.set("b.test", b.addr)
	e.dial.set("y.test", y.addr)
	alice := e.client("alice", "alice-pw")
	ev := event("fw@rooms.test", 0, stamp1, "20270302T090000Z", "20270302T100000Z", "alice@rooms.test",
		"carol@rooms.test", "bob@b.test", "old@y.test")
	expect(t, "alice sends", e.send(alice, ev), "* TENTATIVE carol@rooms.test\n* NOTFOUND bob@b.test\n* NOTFOUND old@y.test\nOK 000 Stored")
	for i := 0; i < 4; i++ {
		e.courier.runDue(context.Background())
	}
	if got := b.received(); len(got) != 1 || !strings.HasPrefix(got[0], "SENDEVENT \n") || !strings.Contains(got[0], "UID:fw@rooms.test") {
		t.Fatalf("b.test got %q", got)
	}
	got := y.received()
	if len(got) != 2 || !strings.HasPrefix(got[0], "SENDEVENT y.test") && !strings.HasPrefix(got[0], "SENDEVENT rooms.test") ||
		!strings.Contains(got[1], "mailto:new@y.test") {
		t.Fatalf("y.test got %q", got)
	}
	y.mu.Lock()
	logins := append([]string(nil), y.logins...)
	y.mu.Unlock()
	if len(logins) != 2 || logins[0] != "rooms.test to-y" {
		t.Fatalf("logins at y.test: %q", logins)
	}
	// The loop (new -> old) was not followed: the redirected message ends
	// as failed, with the answer that pointed back.
	if q := e.queue(); len(q) != 1 || q[0].State != sched.OutFailed || q[0].LastError != "NO 000 moved back" || q[0].Hops != 1 {
		t.Fatalf("queue: %+v", q[0])
	}
}

// A queued message's verb names the command the courier sends it with:
// sched spells them as the wire does.
func TestVerbsAreTheWireCommands(t *testing.T) {
	if sched.VerbSendEvent != cipmini.VerbSendEvent.String() || sched.VerbRSVP != cipmini.VerbRSVP.String() {
		t.Fatalf("sched verbs %q, %q; wire %q, %q", sched.VerbSendEvent, sched.VerbRSVP, cipmini.VerbSendEvent, cipmini.VerbRSVP)
	}
}

// countingDialer counts the connection attempts to each server id.
type countingDialer struct {
	Dialer
	mu    sync.Mutex
	dials map[string]int
}

func (d *countingDialer) Dial(ctx context.Context, id string) (*cipmini.Client, error) {
	d.mu.Lock()
	d.dials[id]++
	d.mu.Unlock()
	return d.Dialer.Dial(ctx, id)
}

func (d *countingDialer) count(id string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dials[id]
}

// A peer that is down costs one connection attempt a pass, not one per
// queued message, and the message for another peer behind its messages
// still goes out in the same pass; once the peer is back, all its
// messages are delivered; while it stays down, they are all given up at
// 72 h, tried or not.
func TestCourierTriesADownPeerOnceAPass(t *testing.T) {
	for _, back := range []bool{true, false} {
		e := newCourierEnv(t)
		dials := &countingDialer{Dialer: e.dial, dials: map[string]int{}}
		e.courier.dialer = dials
		for day := 1; day <= 5; day++ {
			e.bookRoom(fmt.Sprintf("r%d@x.test", day), day)
		}
		anon := e.client("", "")
		start := time.Date(2027, 3, 20, 10, 0, 0, 0, time.UTC)
		ev := event("b1@b.test", 0, stamp1, start.Format(utcLayout), start.Add(time.Hour).Format(utcLayout), "bob@b.test", "room-1@rooms.test")
		expect(t, "booking for b.test", e.send(anon, ev), "* CONFIRMED room-1@rooms.test\n* NOTFOUND bob@b.test\nOK 000 Stored")
		b := startPeer(t, "b.test", okReply)
		e.dial.set("b.test", b.addr)
		ctx := context.Background()

		next := e.courier.runDue(ctx) // x.test has no address: down
		if n := dials.count("x.test"); n != 1 {
			t.Fatalf("a pass dialled the down peer %d times for its 5 messages", n)
		}
		if got := b.received(); len(got) != 1 {
			t.Fatalf("b.test's message behind x.test's: delivered %d times in the pass", len(got))
		}
		tries := map[int]int{}
		for _, m := range e.queue() {
			if m.To != "x.test" || m.State != sched.OutQueued {
				t.Fatalf("after the pass: %+v", m)
			}
			tries[m.Tries]++
		}
		if tries[1] != 1 || tries[0] != 4 {
			t.Fatalf("tries of x.test's messages after one pass: %v, want one tried once and four untried", tries)
		}
		if want := e.now.Add(30 * time.Second); next.After(want) {
			t.Fatalf("next pass at %v, after the failed message's next try %v", next, want)
		}
		e.courier.runDue(ctx) // nothing of x.test is due before its next try
		if n := dials.count("x.test"); n != 1 {
			t.Fatalf("a pass before the next try dialled the down peer: %d dials", n)
		}
		e.now = e.now.Add(30 * time.Second)
		e.courier.runDue(ctx)
		if n := dials.count("x.test"); n != 2 {
			t.Fatalf("two passes dialled the down peer %d times", n)
		}

		if back {
			x := startPeer(t, "x.test", okReply)
			e.dial.set("x.test", x.addr)
			e.now = e.now.Add(time.Hour)
			e.courier.runDue(ctx)
			if got := x.received(); len(got) != 5 {
				t.Fatalf("x.test back: %d of its 5 messages delivered", len(got))
			}
			if q := e.queue(); len(q) != 0 {
				t.Fatalf("delivered messages still queued: %+v", q)
			}
			continue
		}
		for e.now.Before(time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC)) {
			e.now = e.now.Add(10 * time.Minute)
			e.courier.runDue(ctx)
		}
		q := e.queue()
		if len(q) != 5 {
			t.Fatalf("queue after 73 h: %d messages, want x.test's 5 kept as failed", len(q))
		}
		for _, m := range q {
			if m.State != sched.OutFailed || m.LastError == "" {
				t.Fatalf("after 73 h: %+v", m)
			}
		}
		if n := dials.count("x.test"); n > 100 {
			t.Fatalf("%d connection attempts in 73 h for 5 messages", n)
		}
	}
}

// woken reports whether the Courier was woken since the last call.
func (c *Courier) woken() bool {
	select {
	case <-c.wake:
		return true
	default:
		return false
	}
}

// A message queued for a peer that did not answer, before its next try,
// does not wake the Courier (a pass would send nothing: the message waits
// with the peer's others); one for another peer does, and so does one for
// that peer once its next try is due. The pass says when that is.
func TestCourierWakeForDownPeer(t *testing.T) {
	e := newCourierEnv(t)
	e.sched.Queued = e.courier.WakeFor
	e.bookRoom("r1@x.test", 1)
	if !e.courier.woken() {
		t.Fatal("a message for a peer not known to be down did not wake the courier")
	}
	next := e.courier.runDue(context.Background()) // x.test has no address: down
	if want := e.now.Add(30 * time.Second); !next.Equal(want) {
		t.Fatalf("next pass at %v, want the down peer's next try %v", next, want)
	}
	e.bookRoom("r2@x.test", 2)
	if e.courier.woken() {
		t.Fatal("a message for the down peer woke the courier before the peer's next try")
	}
	anon := e.client("", "")
	start := time.Date(2027, 3, 20, 10, 0, 0, 0, time.UTC)
	ev := event("b1@b.test", 0, stamp1, start.Format(utcLayout), start.Add(time.Hour).Format(utcLayout), "bob@b.test", "room-1@rooms.test")
	expect(t, "booking for b.test", e.send(anon, ev), "* CONFIRMED room-1@rooms.test\n* NOTFOUND bob@b.test\nOK 000 Stored")
	if !e.courier.woken() {
		t.Fatal("a message for another peer did not wake the courier")
	}
	e.now = e.now.Add(30 * time.Second)
	e.bookRoom("r3@x.test", 3)
	if !e.courier.woken() {
		t.Fatal("a message for the peer once its next try was due did not wake the courier")
	}
}
