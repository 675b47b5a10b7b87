package sched

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/store"
)

// schedEnv is a Scheduler over a fresh DB, served by a cipmini.Server on a
// loopback port, as a peer or a user reaches it.
type schedEnv struct {
	t     *testing.T
	dir   *directory.Directory
	data  string
	db    *store.DB
	sched *Scheduler
	addr  string
	srv   *cipmini.Server
	opts  *store.Options // the DB's options on every start
}

// testDirectory is the server rooms.test with a room, a projector that
// needs a person's answer, alice (password "alice-pw"), carol, a moved
// user, a group and a looping pair of groups; peer b.test.
func testDirectory(t *testing.T) *directory.Directory {
	d := directory.NewDirectory("rooms.test", "alias.test")
	for _, u := range []*directory.User{
		{ID: "room-1@rooms.test", Kind: directory.Room, Invite: directory.InviteAnyone, FreeBusy: directory.FreeBusyPublic},
		{ID: "projector@rooms.test", Kind: directory.Equipment, Policy: directory.PolicyManual, FreeBusy: directory.FreeBusyPublic},
		{ID: "alice@rooms.test", Kind: directory.Person, Password: directory.PlainSecret("alice-pw"), FreeBusy: directory.FreeBusyAuthenticated},
		{ID: "carol@rooms.test", Kind: directory.Person, Password: directory.PlainSecret("carol-pw"), FreeBusy: directory.FreeBusyPublic, Invite: directory.InviteAnyone},
	} {
		if err := d.AddUser(u); err != nil {
			t.Fatal(err)
		}
	}
	d.AddPeer(&directory.Peer{ServerID: "b.test", Password: directory.PlainSecret("b-pw")})
	d.AddPeer(&directory.Peer{ServerID: "x.test", Password: directory.PlainSecret("x-pw")})
	d.AddRedirect("old-room@rooms.test", "room-1@rooms.test")
	d.AddEventRedirect("old-uid@b.test", "new-uid@b.test")
	d.AddGroup("team@rooms.test", []string{"carol", "room-1", "bob@b.test"})
	d.AddGroup("loop-a@rooms.test", []string{"loop-b", "carol"})
	d.AddGroup("loop-b@rooms.test", []string{"loop-a", "room-1"})
	return d
}

func newSchedEnv(t *testing.T) *schedEnv {
	return newSchedEnvWith(t, &store.Options{Logger: quietLog})
}

// newSchedEnvWith is newSchedEnv with the DB's options.
func newSchedEnvWith(t *testing.T, opts *store.Options) *schedEnv {
	e := &schedEnv{t: t, dir: testDirectory(t), data: t.TempDir(), opts: opts}
	e.start()
	return e
}

// start opens the DB and serves the Scheduler; restart closes and reopens.
func (e *schedEnv) start() {
	t := e.t
	db, err := store.Open(e.data, e.opts)
	if err != nil {
		t.Fatal(err)
	}
	sched, err := NewScheduler(db, e.dir, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	sched.Now = func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }
	srv := &cipmini.Server{ServerID: "rooms.test", Backend: cip(sched), Auth: CIPAuth(e.dir), Logger: quietLog, AuthFailureDelay: -1,
		MaxConns: 128, MaxConnsPerAddr: 128}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	e.db, e.sched, e.srv, e.addr = db, sched, srv, l.Addr().String()
	t.Cleanup(e.stop)
}

func (e *schedEnv) stop() {
	if e.srv == nil {
		return
	}
	e.srv.Close()
	e.db.Close()
	e.srv = nil
}

func (e *schedEnv) restart() {
	e.stop()
	e.start()
}

// client dials and, with a login, authenticates.
func (e *schedEnv) client(login, password string) *cipmini.Client {
	t := e.t
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := cipmini.Dial(ctx, e.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if login != "" {
		r, err := c.Authenticate(ctx, login, password)
		if err != nil || r.Err() != nil {
			t.Fatalf("login %s: %v %v", login, err, r.Err())
		}
	}
	return c
}

// answer renders a reply as its lines, for comparison.
func answer(r *cipmini.Reply, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	var lines []string
	for _, in := range r.Info {
		lines = append(lines, in.String())
	}
	lines = append(lines, r.Completion.String())
	return strings.Join(lines, "\n")
}

func (e *schedEnv) send(c *cipmini.Client, data string) string {
	return answer(c.SendEvent(context.Background(), []byte(data)))
}

func (e *schedEnv) rsvp(c *cipmini.Client, data string) string {
	return answer(c.RSVP(context.Background(), []byte(data)))
}

// busy returns a user's FREEBUSY periods in a window as "start/end TYPE"
// lines, or the answer when there is no data.
func (e *schedEnv) busy(c *cipmini.Client, user, from, to string) string {
	r, err := c.FreeBusy(context.Background(), []byte("ATTENDEE: "+user+"\r\nDTSTART: "+from+"\r\nDTEND: "+to+"\r\n"))
	if err != nil {
		e.t.Fatal(err)
	}
	if r.Data == nil {
		return answer(r, nil)
	}
	var out []string
	for _, l := range strings.Split(string(r.Data), "\r\n") {
		if v, ok := strings.CutPrefix(l, "FREEBUSY;FBTYPE="); ok {
			typ, period, _ := strings.Cut(v, ":")
			out = append(out, period+" "+typ)
		}
	}
	return strings.Join(out, "\n")
}

// event builds an iCalendar invitation.
func event(uid string, seq int, stamp, start, end, organizer string, attendees ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n")
	fmt.Fprintf(&b, "UID:%s\r\nSEQUENCE:%d\r\nDTSTAMP:%s\r\nDTSTART:%s\r\nDTEND:%s\r\n", uid, seq, stamp, start, end)
	fmt.Fprintf(&b, "ORGANIZER:mailto:%s\r\n", organizer)
	for _, a := range attendees {
		fmt.Fprintf(&b, "ATTENDEE:mailto:%s\r\n", a)
	}
	b.WriteString("END:VEVENT\r\nEND:VCALENDAR\r\n")
	return b.String()
}

func cancelEvent(uid string, seq int, stamp, organizer string, attendees ...string) string {
	ev := event(uid, seq, stamp, "20270301T100000Z", "20270301T110000Z", organizer, attendees...)
	ev = strings.Replace(ev, "METHOD:REQUEST", "METHOD:CANCEL", 1)
	return strings.Replace(ev, "END:VEVENT", "STATUS:CANCELLED\r\nEND:VEVENT", 1)
}

func expect(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s:\ngot:\n%s\nwant:\n%s", what, got, want)
	}
}

const stamp1, stamp2 = "20261120T100000Z", "20261121T100000Z"

func TestSendEventVersions(t *testing.T) {
	e := newSchedEnv(t)
	peer := e.client("b.test", "b-pw")
	ev2 := event("v@b.test", 2, stamp1, "20270301T100000Z", "20270301T110000Z", "bob@b.test", "carol@rooms.test")
	expect(t, "first", e.send(peer, ev2), "* TENTATIVE carol@rooms.test\n* NOTFOUND bob@b.test\nOK 000 Stored")

	// The same SEQUENCE and DTSTAMP again: answered as before, nothing written.
	before := e.db.Stats().BytesWritten
	expect(t, "retransmission", e.send(peer, ev2), "* TENTATIVE carol@rooms.test\n* NOTFOUND bob@b.test\nOK 000 Stored")
	if after := e.db.Stats().BytesWritten; after != before {
		t.Fatalf("a retransmission wrote %d bytes", after-before)
	}
	// A lower SEQUENCE, or the same with an older DTSTAMP, is stale.
	ev1 := event("v@b.test", 1, stamp2, "20270301T100000Z", "20270301T110000Z", "bob@b.test", "carol@rooms.test")
	expect(t, "lower sequence", e.send(peer, ev1), "NO 005 Stale version: a newer one is stored")
	older := strings.Replace(ev2, stamp1, "20261101T000000Z", 1)
	expect(t, "older stamp", e.send(peer, older), "NO 005 Stale version: a newer one is stored")

	// carol accepts on her own server: her copy says so (BUSY), and the
	// answer is queued for the owner's server.
	carol := e.client("carol", "carol-pw")
	expect(t, "carol's RSVP to a remote event", e.rsvp(carol, "UID: v@b.test\r\nSEQUENCE: 2\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:carol@rooms.test\r\n"),
		"* CONFIRMED carol@rooms.test\nOK 000 RSVP stored; sending it on to b.test")
	expect(t, "carol busy", e.busy(peer, "carol@rooms.test", "20270301T000000Z", "20270302T000000Z"),
		"20270301T100000Z/20270301T110000Z BUSY")
	q, err := Queue(e.db)
	if err != nil || len(q) != 1 || q[0].To != "b.test" || q[0].Verb != "RSVP" || q[0].State != OutQueued ||
		!strings.Contains(q[0].Data, "ATTENDEE;PARTSTAT=ACCEPTED:mailto:carol@rooms.test") || !strings.Contains(q[0].Data, "METHOD:REPLY") {
		t.Fatalf("queue after carol's answer: %v %+v", err, q)
	}
	// Only carol answers for carol.
	expect(t, "alice answering for carol", e.rsvp(e.client("alice", "alice-pw"), "UID: v@b.test\r\nSEQUENCE: 2\r\nATTENDEE;PARTSTAT=DECLINED:mailto:carol@rooms.test\r\n"),
		"NO 004 No such event owned here")

	// A higher SEQUENCE replaces the event (new time) and resets answers.
	ev3 := event("v@b.test", 3, stamp1, "20270301T140000Z", "20270301T150000Z", "bob@b.test", "carol@rooms.test")
	expect(t, "higher sequence", e.send(peer, ev3), "* TENTATIVE carol@rooms.test\n* NOTFOUND bob@b.test\nOK 000 Stored")
	expect(t, "carol's time moved", e.busy(peer, "carol@rooms.test", "20270301T000000Z", "20270302T000000Z"),
		"20270301T140000Z/20270301T150000Z BUSY-TENTATIVE")
}

// Answers on the owner's copy: a local owner's event, RSVPs from a peer and
// from a local attendee; a higher SEQUENCE resets them.
func TestRSVPAndReset(t *testing.T) {
	e := newSchedEnv(t)
	alice := e.client("alice", "alice-pw")
	ev := event("mtg@rooms.test", 0, stamp1, "20270302T090000Z", "20270302T100000Z", "alice@rooms.test",
		"carol@rooms.test", "bob@b.test")
	expect(t, "alice sends", e.send(alice, ev), "* TENTATIVE carol@rooms.test\n* NOTFOUND bob@b.test\nOK 000 Stored")

	peer := e.client("b.test", "b-pw")
	expect(t, "bob accepts through b.test", e.rsvp(peer, "UID: mtg@rooms.test\r\nSEQUENCE: 0\r\nATTENDEE: Bob <bob@b.test>\r\nSTATUS: CONFIRMED\r\n"),
		"* CONFIRMED bob@b.test\n* CONFIRMED alice@rooms.test\nOK 000 RSVP stored")
	expect(t, "b.test answering for carol", e.rsvp(peer, "UID: mtg@rooms.test\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:carol@rooms.test\r\n"),
		"NO 002 Not allowed")
	anon := e.client("", "")
	expect(t, "anonymous RSVP", e.rsvp(anon, "UID: mtg@rooms.test\r\nATTENDEE;PARTSTAT=DECLINED:mailto:bob@b.test\r\n"),
		"NO 002 Not allowed")
	expect(t, "not an attendee", e.rsvp(peer, "UID: mtg@rooms.test\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:eve@b.test\r\n"),
		"NO 001 eve@b.test is not an attendee of this event")
	expect(t, "unknown event", e.rsvp(peer, "UID: nope@rooms.test\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@b.test\r\n"),
		"NO 004 No such event owned here")
	expect(t, "moved event", e.rsvp(peer, "UID: old-uid@b.test\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@b.test\r\n"),
		"* REDIRECT EVENT old-uid@b.test IS NOW new-uid@b.test\nNO 004 No such event owned here")
	expect(t, "no UID", e.rsvp(peer, "ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@b.test\r\n"), "NO 001 UID required")

	carol := e.client("carol", "carol-pw")
	expect(t, "carol accepts", e.rsvp(carol, "UID: mtg@rooms.test\r\nSEQUENCE: 0\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:carol@rooms.test\r\n"),
		"* CONFIRMED carol@rooms.test\n* CONFIRMED alice@rooms.test\n* CONFIRMED bob@b.test\nOK 000 RSVP stored")
	expect(t, "carol busy", e.busy(anon, "carol@rooms.test", "20270302T000000Z", "20270303T000000Z"),
		"20270302T090000Z/20270302T100000Z BUSY")

	// A new version resets the answers: carol is tentative again, and an RSVP
	// to the old version is stale.
	ev1 := strings.Replace(ev, "SEQUENCE:0", "SEQUENCE:1", 1)
	expect(t, "new version", e.send(alice, ev1), "* TENTATIVE carol@rooms.test\n* NOTFOUND bob@b.test\nOK 000 Stored")
	expect(t, "carol reset", e.busy(anon, "carol@rooms.test", "20270302T000000Z", "20270303T000000Z"),
		"20270302T090000Z/20270302T100000Z BUSY-TENTATIVE")
	expect(t, "answer to the old version", e.rsvp(peer, "UID: mtg@rooms.test\r\nSEQUENCE: 0\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@b.test\r\n"),
		"NO 005 Stale version: the event has changed since")

	// Nobody but alice may send an event that alice owns.
	expect(t, "peer forging alice", e.send(peer, strings.Replace(ev, "SEQUENCE:0", "SEQUENCE:5", 1)),
		"* PERMDENIED alice@rooms.test\n* PERMDENIED carol@rooms.test\n* NOTFOUND bob@b.test\nNO 000 Not stored: only the organizer may change this event")
}

func TestRoomBookingAndCancellation(t *testing.T) {
	e := newSchedEnv(t)
	anon := e.client("", "")
	book := event("b1@x.test", 0, stamp1, "20270301T100000Z", "20270301T110000Z", "tom@x.test", "room-1@rooms.test")
	expect(t, "booking", e.send(anon, book), "* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	clash := event("b2@y.test", 0, stamp1, "20270301T103000Z", "20270301T113000Z", "mary@y.test", "room-1@rooms.test")
	expect(t, "clash", e.send(anon, clash), "* DECLINED room-1@rooms.test\n* NOTFOUND mary@y.test\nOK 000 Stored")
	expect(t, "free/busy", e.busy(anon, "room-1@rooms.test", "20270301T000000Z", "20270302T000000Z"),
		"20270301T100000Z/20270301T110000Z BUSY")
	// The cancellation, from the organizer's server, frees the time at
	// once; the declined invitation's update (a new version, from its
	// organizer's server too) is then accepted. A stranger can do neither.
	expect(t, "anonymous cancel", e.send(anon, cancelEvent("b1@x.test", 1, stamp2, "tom@x.test", "room-1@rooms.test")),
		"* PERMDENIED room-1@rooms.test\n* NOTFOUND tom@x.test\nNO 000 Not stored: only the organizer may change this event")
	e.dir.AddPeer(&directory.Peer{ServerID: "y.test", Password: directory.PlainSecret("y-pw")})
	xPeer := e.client("x.test", "x-pw")
	yPeer := e.client("y.test", "y-pw")
	expect(t, "cancel", e.send(xPeer, cancelEvent("b1@x.test", 1, stamp2, "tom@x.test", "room-1@rooms.test")),
		"* NOTFOUND tom@x.test\nOK 000 Cancelled")
	expect(t, "freed", e.busy(anon, "room-1@rooms.test", "20270301T000000Z", "20270302T000000Z"), "")
	expect(t, "cancel for an unknown event", e.send(anon, cancelEvent("never@x.test", 0, stamp1, "tom@x.test", "room-1@rooms.test")),
		"OK 000 Nothing to cancel")
	clash1 := strings.Replace(clash, "SEQUENCE:0", "SEQUENCE:1", 1)
	expect(t, "anonymous retry after the cancellation", e.send(anon, clash1),
		"* PERMDENIED room-1@rooms.test\n* NOTFOUND mary@y.test\nNO 000 Not stored: only the organizer may change this event")
	expect(t, "retry after the cancellation", e.send(yPeer, clash1), "* CONFIRMED room-1@rooms.test\n* NOTFOUND mary@y.test\nOK 000 Stored")
	// The old room id is redirected, in SENDEVENT and in FREEBUSY.
	moved := event("b3@y.test", 0, stamp1, "20270305T100000Z", "20270305T110000Z", "mary@y.test", "old-room@rooms.test", "nobody@rooms.test", "room-1@alias.test")
	expect(t, "redirect", e.send(anon, moved),
		"* CONFIRMED room-1@alias.test\n* NOTFOUND mary@y.test\n* REDIRECT USER old-room@rooms.test IS NOW room-1@rooms.test\n* NOTFOUND nobody@rooms.test\nOK 003 Not all participants here received it")
	r, err := anon.FreeBusy(context.Background(), []byte("USER: old-room@rooms.test\r\nDTSTART: 20270301T000000Z\r\nDTEND: 20270302T000000Z\r\n"))
	expect(t, "free/busy redirect", answer(r, err), "* REDIRECT USER old-room@rooms.test IS NOW room-1@rooms.test\nNO 000 No free/busy information for these users")
	// The booking survives a restart: the index is rebuilt from the records.
	e.restart()
	anon = e.client("", "")
	expect(t, "after restart", e.busy(anon, "room-1@rooms.test", "20270301T000000Z", "20270302T000000Z"),
		"20270301T103000Z/20270301T113000Z BUSY")
}

func TestFreeBusyRules(t *testing.T) {
	e := newSchedEnv(t)
	alice := e.client("alice", "alice-pw")
	// Two overlapping events and one touching them merge into one period.
	for i, times := range [][2]string{{"20270310T090000Z", "20270310T100000Z"}, {"20270310T093000Z", "20270310T103000Z"}, {"20270310T103000Z", "20270310T110000Z"}} {
		ev := event(fmt.Sprintf("m%d@rooms.test", i), 0, stamp1, times[0], times[1], "alice@rooms.test")
		expect(t, "alice's event", e.send(alice, strings.Replace(ev, "END:VEVENT", "ATTENDEE:mailto:bob@b.test\r\nEND:VEVENT", 1)), "* NOTFOUND bob@b.test\nOK 000 Stored")
	}
	expect(t, "merged", e.busy(alice, "alice@rooms.test", "20270310T000000Z", "20270311T000000Z"),
		"20270310T090000Z/20270310T110000Z BUSY")
	// Periods are cut to the window.
	expect(t, "clipped", e.busy(alice, "alice@rooms.test", "20270310T094500Z", "20270310T100000Z"),
		"20270310T094500Z/20270310T100000Z BUSY")
	anon := e.client("", "")
	expect(t, "authenticated only", e.busy(anon, "alice@rooms.test", "20270310T000000Z", "20270311T000000Z"),
		"* PERMDENIED alice@rooms.test\nNO 000 No free/busy information for these users")
	r, err := anon.FreeBusy(context.Background(), []byte("ATTENDEE: room-1@rooms.test\r\nDTSTART: 20270101T000000Z\r\nDTEND: 20280103T000000Z\r\n"))
	expect(t, "window over 366 days", answer(r, err), "NO 006 Free/busy window over 366 days")
	r, err = anon.FreeBusy(context.Background(), []byte("ATTENDEE: room-1@rooms.test\r\nATTENDEE: x@y.test\r\nDTSTART: 20270101T000000Z\r\nDTEND: 20270102T000000Z\r\n"))
	if err != nil || r.Completion.Code != cipmini.CodePartial || !strings.Contains(string(r.Data), "ATTENDEE:mailto:room-1@rooms.test") {
		t.Fatalf("partial answer: %v %+v", err, r)
	}
}

// Groups expand to their members; a loop ends.
func TestGroups(t *testing.T) {
	e := newSchedEnv(t)
	anon := e.client("", "")
	ev := event("g1@x.test", 0, stamp1, "20270401T100000Z", "20270401T110000Z", "tom@x.test", "team@rooms.test")
	expect(t, "group", e.send(anon, ev), "* TENTATIVE carol@rooms.test\n* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\n* NOTFOUND bob@b.test\nOK 000 Stored")
	loop := event("g2@x.test", 0, stamp1, "20270402T100000Z", "20270402T110000Z", "tom@x.test", "loop-a@rooms.test")
	done := make(chan string, 1)
	go func() { done <- e.send(anon, loop) }()
	select {
	case got := <-done:
		expect(t, "loop", got, "* CONFIRMED room-1@rooms.test\n* TENTATIVE carol@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	case <-time.After(30 * time.Second):
		t.Fatal("a group loop did not end")
	}
}

// Concurrent invitations for one slot: exactly one is accepted.
func TestConcurrentBookings(t *testing.T) {
	e := newSchedEnv(t)
	const n = 16
	var wg sync.WaitGroup
	results := make(chan string, n)
	for i := 0; i < n; i++ {
		c := e.client("", "")
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ev := event(fmt.Sprintf("c%d@x.test", i), 0, stamp1, "20270501T100000Z", "20270501T110000Z", "tom@x.test", "room-1@rooms.test")
			results <- e.send(c, ev)
		}(i)
	}
	wg.Wait()
	close(results)
	confirmed := 0
	for r := range results {
		if strings.HasPrefix(r, "* CONFIRMED room-1") {
			confirmed++
		} else if !strings.HasPrefix(r, "* DECLINED room-1") {
			t.Fatalf("unexpected answer %q", r)
		}
	}
	if confirmed != 1 {
		t.Fatalf("%d invitations accepted for one slot", confirmed)
	}
	expect(t, "one busy period", e.busy(e.client("", ""), "room-1@rooms.test", "20270501T000000Z", "20270502T000000Z"),
		"20270501T100000Z/20270501T110000Z BUSY")
}

// A weekly series in the room; one occurrence cancelled by a CANCEL with a
// RECURRENCE-ID; an invitation at a free occurrence slot is declined, one at
// the cancelled occurrence's time accepted.
func TestRecurringBooking(t *testing.T) {
	e := newSchedEnv(t)
	anon := e.client("", "")
	series := event("w@x.test", 0, stamp1, "20270104T090000Z", "20270104T100000Z", "tom@x.test", "room-1@rooms.test")
	series = strings.Replace(series, "END:VEVENT", "RRULE:FREQ=WEEKLY;COUNT=4\r\nEND:VEVENT", 1)
	expect(t, "series", e.send(anon, series), "* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	expect(t, "four weeks", e.busy(anon, "room-1@rooms.test", "20270101T000000Z", "20270201T000000Z"),
		"20270104T090000Z/20270104T100000Z BUSY\n20270111T090000Z/20270111T100000Z BUSY\n20270118T090000Z/20270118T100000Z BUSY\n20270125T090000Z/20270125T100000Z BUSY")
	one := cancelEvent("w@x.test", 0, stamp2, "tom@x.test", "room-1@rooms.test")
	one = strings.Replace(one, "DTSTART:20270301T100000Z\r\nDTEND:20270301T110000Z", "RECURRENCE-ID:20270111T090000Z\r\nDTSTART:20270111T090000Z\r\nDTEND:20270111T100000Z", 1)
	expect(t, "anonymous cancel one", e.send(anon, one),
		"* PERMDENIED room-1@rooms.test\n* NOTFOUND tom@x.test\nNO 000 Not stored: only the organizer may change this event")
	xPeer := e.client("x.test", "x-pw")
	expect(t, "cancel one", e.send(xPeer, one), "* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Cancelled")
	expect(t, "three weeks", e.busy(anon, "room-1@rooms.test", "20270101T000000Z", "20270201T000000Z"),
		"20270104T090000Z/20270104T100000Z BUSY\n20270118T090000Z/20270118T100000Z BUSY\n20270125T090000Z/20270125T100000Z BUSY")
	// Another occurrence, cancelled with the same SEQUENCE and DTSTAMP as
	// the last message: still news, for another occurrence.
	two := strings.Replace(one, "20270111T", "20270125T", 3)
	expect(t, "cancel another", e.send(xPeer, two), "* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Cancelled")
	expect(t, "two weeks", e.busy(anon, "room-1@rooms.test", "20270101T000000Z", "20270201T000000Z"),
		"20270104T090000Z/20270104T100000Z BUSY\n20270118T090000Z/20270118T100000Z BUSY")
	in := event("i1@y.test", 0, stamp1, "20270118T093000Z", "20270118T103000Z", "mary@y.test", "room-1@rooms.test")
	expect(t, "clash with an occurrence", e.send(anon, in), "* DECLINED room-1@rooms.test\n* NOTFOUND mary@y.test\nOK 000 Stored")
	free := event("i2@y.test", 0, stamp1, "20270111T090000Z", "20270111T100000Z", "mary@y.test", "room-1@rooms.test")
	expect(t, "the cancelled occurrence's slot", e.send(anon, free), "* CONFIRMED room-1@rooms.test\n* NOTFOUND mary@y.test\nOK 000 Stored")
}

// Bad data is answered NO 001 naming what is missing, or NO 006 for limits.
func TestSendEventBadData(t *testing.T) {
	e := newSchedEnv(t)
	anon := e.client("", "")
	expect(t, "no UID", e.send(anon, "DTSTART: 20270101T100000Z\r\nATTENDEE;ROLE=OWNER: x@y.test\r\nATTENDEE: room-1@rooms.test\r\n"), "NO 001 UID required")
	expect(t, "no colon", e.send(anon, "UID: 1\r\nATTENDEE;ROLE=OWNER\r\n")[:7], "NO 001 ")
	var many strings.Builder
	many.WriteString("UID: big\r\nDTSTART: 20270101T100000Z\r\nATTENDEE;ROLE=OWNER: x@y.test\r\n")
	for i := 0; i < 501; i++ {
		fmt.Fprintf(&many, "ATTENDEE: a%d@y.test\r\n", i)
	}
	expect(t, "too many attendees", e.send(anon, many.String())[:7], "NO 006 ")
}

// A message of the same SEQUENCE and DTSTAMP as the cancellation that
// followed it (a REQUEST sent again, or news of one occurrence) is answered
// as the cancellation was and keeps the room free, before the cancelled
// event becomes a tombstone as after; a later DTSTAMP re-invites.
func TestSameVersionAfterCancellationRevivesNothing(t *testing.T) {
	e := newSchedEnv(t)
	xPeer := e.client("x.test", "x-pw")
	anon := e.client("", "")
	const day, next = "20270301T000000Z", "20270302T000000Z"
	book := event("c1@x.test", 3, stamp1, "20270301T100000Z", "20270301T110000Z", "tom@x.test", "room-1@rooms.test")
	expect(t, "booking", e.send(xPeer, book), "* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	expect(t, "cancel, same version", e.send(xPeer, cancelEvent("c1@x.test", 3, stamp1, "tom@x.test", "room-1@rooms.test")),
		"* NOTFOUND tom@x.test\nOK 000 Cancelled")
	expect(t, "cancelled: free", e.busy(anon, "room-1@rooms.test", day, next), "")
	before := e.db.Stats().BytesWritten
	occurrence := strings.Replace(book, "DTSTART:", "RECURRENCE-ID:20270301T100000Z\r\nDTSTART:", 1)
	for _, again := range []struct {
		name string
		c    *cipmini.Client
		data string
	}{
		{"the organizer's server sends the request again", xPeer, book},
		{"a stranger replays it", anon, book},
		{"news of the occurrence, same version", xPeer, occurrence},
	} {
		expect(t, again.name, e.send(again.c, again.data), "* NOTFOUND tom@x.test\nOK 000 Cancelled")
		expect(t, again.name+": free", e.busy(anon, "room-1@rooms.test", day, next), "")
	}
	if after := e.db.Stats().BytesWritten; after != before {
		t.Fatalf("the messages the cancellation followed wrote %d bytes", after-before)
	}
	e.restart()
	xPeer, anon = e.client("x.test", "x-pw"), e.client("", "")
	expect(t, "after a restart", e.send(xPeer, book), "* NOTFOUND tom@x.test\nOK 000 Cancelled")
	expect(t, "after a restart: free", e.busy(anon, "room-1@rooms.test", day, next), "")
	// A newer version from the organizer's server books the room again.
	expect(t, "re-invited", e.send(xPeer, strings.Replace(book, stamp1, stamp2, 1)),
		"* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	expect(t, "re-invited: busy", e.busy(anon, "room-1@rooms.test", day, next), "20270301T100000Z/20270301T110000Z BUSY")
}

// News of one occurrence of a series cancelled as a whole, even in a newer
// version, leaves the series cancelled, before it becomes a tombstone as
// after; a newer version of the whole series books it again.
func TestOccurrenceOfCancelledSeriesRevivesNothing(t *testing.T) {
	e := newSchedEnv(t)
	xPeer := e.client("x.test", "x-pw")
	anon := e.client("", "")
	const from, to = "20270301T000000Z", "20270304T000000Z"
	series := strings.Replace(event("s1@x.test", 1, stamp1, "20270301T100000Z", "20270301T110000Z", "tom@x.test", "room-1@rooms.test"),
		"END:VEVENT", "RRULE:FREQ=DAILY;COUNT=3\r\nEND:VEVENT", 1)
	expect(t, "series", e.send(xPeer, series), "* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	expect(t, "cancel", e.send(xPeer, cancelEvent("s1@x.test", 2, stamp1, "tom@x.test", "room-1@rooms.test")),
		"* NOTFOUND tom@x.test\nOK 000 Cancelled")
	one := strings.Replace(event("s1@x.test", 3, stamp1, "20270302T120000Z", "20270302T130000Z", "tom@x.test", "room-1@rooms.test"),
		"DTSTART:", "RECURRENCE-ID:20270302T100000Z\r\nDTSTART:", 1)
	expect(t, "a newer occurrence", e.send(xPeer, one), "* NOTFOUND tom@x.test\nOK 000 Cancelled")
	expect(t, "still free", e.busy(anon, "room-1@rooms.test", from, to), "")
	expect(t, "the whole series, newer", e.send(xPeer, strings.Replace(series, "SEQUENCE:1", "SEQUENCE:4", 1)),
		"* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	expect(t, "booked again", e.busy(anon, "room-1@rooms.test", from, to),
		"20270301T100000Z/20270301T110000Z BUSY\n20270302T100000Z/20270302T110000Z BUSY\n20270303T100000Z/20270303T110000Z BUSY")
}
