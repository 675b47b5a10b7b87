package sched

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/vcal"
	"github.com/cipmini/cipmini/store"
)

// newTypedScheduler is a Scheduler over a fresh DB and testDirectory, with
// no server in front: the typed API alone.
func newTypedScheduler(t *testing.T) *Scheduler {
	t.Helper()
	db, err := store.Open(t.TempDir(), &store.Options{Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := NewScheduler(db, testDirectory(t), quietLog)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }
	return s
}

var typedStart = time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC)

// typedEvent builds a one-hour event at typedStart plus offset.
func typedEvent(t *testing.T, uid string, seq int, offset time.Duration, organizer string, attendees ...string) *vcal.Event {
	t.Helper()
	f := vcal.EventFields{UID: uid, Sequence: seq, DTStamp: typedStart.Add(-24*time.Hour + time.Duration(seq)*time.Minute),
		Start: typedStart.Add(offset), End: typedStart.Add(offset + time.Hour),
		Organizer: vcal.Participant{Address: organizer}}
	for _, a := range attendees {
		f.Attendees = append(f.Attendees, vcal.Participant{Address: a})
	}
	ev, err := vcal.NewEvent(f)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// outcomes renders outcomes as "KIND user" lines, with the redirect target
// and whether a reason was given.
func outcomes(os []Outcome) string {
	var b strings.Builder
	for _, o := range os {
		fmt.Fprintf(&b, "%s %s", o.Kind, o.User)
		if o.To != "" {
			b.WriteString(" -> " + o.To)
		}
		if o.Reason != "" {
			b.WriteString(" (reason)")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestDeliverOutcomes(t *testing.T) {
	s := newTypedScheduler(t)
	ctx := context.Background()
	alice := As("alice@rooms.test")

	// A free room confirms, a manual resource and a person are tentative,
	// an unknown local user and a moved one did not get it, a remote
	// attendee is not found here.
	d, err := s.Deliver(ctx, alice, typedEvent(t, "t1@rooms.test", 0, 0, "alice@rooms.test",
		"room-1@rooms.test", "projector@rooms.test", "carol@rooms.test", "nobody@rooms.test",
		"old-room@rooms.test", "bob@b.test"), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := "CONFIRMED room-1@rooms.test\nTENTATIVE projector@rooms.test\nTENTATIVE carol@rooms.test\n" +
		"NOTFOUND nobody@rooms.test\nREDIRECTED old-room@rooms.test -> room-1@rooms.test\nNOTFOUND bob@b.test\n"
	if got := outcomes(d.Outcomes); got != want || d.Result != ResultPartial || !d.Stored() {
		t.Errorf("first delivery: result %v\n%s\nwant partial\n%s", d.Result, got, want)
	}

	// The room is busy then: it declines, with its reason.
	d, err = s.Deliver(ctx, As("carol@rooms.test"), typedEvent(t, "t2@rooms.test", 0, 30*time.Minute, "carol@rooms.test", "room-1@rooms.test"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(d.Outcomes); got != "DECLINED room-1@rooms.test (reason)\n" || d.Result != ResultStored {
		t.Errorf("busy room: result %v, %s", d.Result, got)
	}
	if !strings.Contains(d.Outcomes[0].Reason, "already booked") {
		t.Errorf("busy room's reason: %q", d.Outcomes[0].Reason)
	}

	// Only the organizer changes its event: nothing stored, PERMDENIED.
	d, err = s.Deliver(ctx, As("carol@rooms.test"), typedEvent(t, "t1@rooms.test", 1, 2*time.Hour, "alice@rooms.test", "room-1@rooms.test"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(d.Outcomes); got != "PERMDENIED alice@rooms.test\nPERMDENIED room-1@rooms.test\n" || d.Result != ResultNotStored ||
		d.Text() != "Not stored: only the organizer may change this event" {
		t.Errorf("change by another: result %v %q, %s", d.Result, d.Text(), got)
	}

	// An older version than the stored one is stale.
	_, err = s.Deliver(ctx, alice, withStamp(typedEvent(t, "t1@rooms.test", 0, 0, "alice@rooms.test", "room-1@rooms.test"), -time.Hour), 0)
	var se *Error
	if !errors.As(err, &se) || se.Kind != ErrStale {
		t.Errorf("stale version: %v, want ErrStale", err)
	}

	// A cancellation of an event never stored stores nothing.
	c := typedEvent(t, "t9@rooms.test", 0, 0, "alice@rooms.test", "room-1@rooms.test")
	c.Cancelled = true
	if d, err := s.Deliver(ctx, alice, c, 0); err != nil || d.Result != ResultNothingToCancel || d.Text() != "Nothing to cancel" {
		t.Errorf("nothing to cancel: %+v, %v", d, err)
	}

	// Only events and to-dos are delivered.
	j := typedEvent(t, "t8@rooms.test", 0, 0, "alice@rooms.test", "room-1@rooms.test")
	j.Kind = "VJOURNAL"
	if _, err := s.Deliver(ctx, alice, j, 0); !errors.As(err, &se) || se.Kind != ErrInvalid {
		t.Errorf("a journal: %v, want ErrInvalid", err)
	}
}

// withStamp moves an event's DTSTAMP, in its fields and its calendar.
func withStamp(ev *vcal.Event, by time.Duration) *vcal.Event {
	ev.DTStamp = ev.DTStamp.Add(by)
	for _, c := range ev.Calendar.Children {
		c.Props.SetDateTime("DTSTAMP", ev.DTStamp)
	}
	return ev
}

// At the store's cap a new invitation is refused as a whole.
func TestDeliverStoreFull(t *testing.T) {
	s := newTypedScheduler(t)
	s.MaxStoreBytes = 1
	_, err := s.Deliver(context.Background(), As("alice@rooms.test"), typedEvent(t, "f1@rooms.test", 0, 0, "alice@rooms.test", "room-1@rooms.test"), 0)
	var se *Error
	if !errors.As(err, &se) || se.Kind != ErrStoreFull {
		t.Fatalf("full store: %v, want ErrStoreFull", err)
	}
}

func TestAnswerOutcomes(t *testing.T) {
	s := newTypedScheduler(t)
	ctx := context.Background()
	if _, err := s.Deliver(ctx, As("alice@rooms.test"), typedEvent(t, "a1@rooms.test", 0, 0, "alice@rooms.test", "room-1@rooms.test", "carol@rooms.test"), 0); err != nil {
		t.Fatal(err)
	}
	yes := &vcal.Reply{UID: "a1@rooms.test", Attendees: []vcal.Participant{{Address: "carol@rooms.test", PartStat: Accepted}}}
	a, err := s.Answer(ctx, As("carol@rooms.test"), yes)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(a.Outcomes); got != "CONFIRMED carol@rooms.test\nCONFIRMED alice@rooms.test\nCONFIRMED room-1@rooms.test\n" ||
		!a.Stored || a.Text() != "RSVP stored" {
		t.Errorf("carol accepts: %+v\n%s", a, got)
	}
	var se *Error
	if _, err := s.Answer(ctx, As("alice@rooms.test"), yes); !errors.As(err, &se) || se.Kind != ErrNotAllowed {
		t.Errorf("alice answers for carol: %v, want ErrNotAllowed", err)
	}
	moved := &vcal.Reply{UID: "old-uid@b.test", Attendees: yes.Attendees}
	_, err = s.Answer(ctx, As("carol@rooms.test"), moved)
	if !errors.As(err, &se) || se.Kind != ErrUnknownEvent || se.Redirect != "new-uid@b.test" {
		t.Errorf("moved event: %v, want ErrUnknownEvent to new-uid@b.test", err)
	}
	stale := &vcal.Reply{UID: "a1@rooms.test", Sequence: -1, HasSequence: true, Attendees: yes.Attendees}
	if _, err := s.Answer(ctx, As("carol@rooms.test"), stale); !errors.As(err, &se) || se.Kind != ErrStale {
		t.Errorf("stale answer: %v, want ErrStale", err)
	}
}

// Every change that reaches the store is told, whichever door it came
// through; refusals and repeats are not.
func TestOnChange(t *testing.T) {
	s := newTypedScheduler(t)
	ctx := context.Background()
	n := 0
	s.OnChange(func() {
		n++
		if _, err := s.Bookings("room-1@rooms.test", typedStart, typedStart.Add(time.Hour)); err != nil {
			t.Error(err) // readers may read from the callback
		}
	})
	step := func(what string, want int) {
		t.Helper()
		if n != want {
			t.Errorf("%s: %d notifications, want %d", what, n, want)
		}
	}
	ev := typedEvent(t, "n1@rooms.test", 0, 0, "alice@rooms.test", "room-1@rooms.test", "carol@rooms.test")
	if _, err := s.Deliver(ctx, As("alice@rooms.test"), ev, 0); err != nil {
		t.Fatal(err)
	}
	step("a delivery", 1)
	s.Deliver(ctx, As("carol@rooms.test"), typedEvent(t, "n1@rooms.test", 1, 0, "alice@rooms.test", "room-1@rooms.test"), 0)
	step("a refused change", 1)
	s.Answer(ctx, As("carol@rooms.test"), &vcal.Reply{UID: "n1@rooms.test", Attendees: []vcal.Participant{{Address: "carol@rooms.test", PartStat: Accepted}}})
	step("an answer", 2)
	text := event("n2@rooms.test", 0, stamp1, "20270302T100000Z", "20270302T110000Z", "alice@rooms.test", "room-1@rooms.test")
	req := &cipmini.Request{Identity: cipmini.Identity{Kind: cipmini.User, Name: "alice@rooms.test"}, Data: []byte(text)}
	if r := cip(s).SendEvent(ctx, req); !r.Completion.OK {
		t.Fatal(r.Completion)
	}
	step("a SENDEVENT", 3)
	cip(s).SendEvent(ctx, req)
	step("a SENDEVENT repeated", 3)
	s.KeepHistory = time.Hour
	if rep, err := s.Maintain(time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil || rep.Archived == 0 {
		t.Fatalf("maintenance: %+v, %v", rep, err)
	}
	step("maintenance", 4)
}

// FreeBusy answers a VFREEBUSY for each user the client may read and a
// typed refusal for each of the others, in the order asked; a window too
// long or empty is refused as a whole.
func TestFreeBusyTyped(t *testing.T) {
	s := newTypedScheduler(t)
	if _, err := s.Deliver(context.Background(), As("alice@rooms.test"), typedEvent(t, "fb1@rooms.test", 0, 0, "alice@rooms.test", "room-1@rooms.test"), 0); err != nil {
		t.Fatal(err)
	}
	fr := &vcal.FreeBusyRequest{
		Users: []string{"room-1@rooms.test", "alice@rooms.test", "old-room@rooms.test", "nobody@rooms.test", "bob@b.test"},
		Start: typedStart.Add(-time.Hour), End: typedStart.Add(2 * time.Hour)}
	a, err := s.FreeBusy(Identity{}, fr)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(a.Refused); got != "PERMDENIED alice@rooms.test\nREDIRECTED old-room@rooms.test -> room-1@rooms.test\nNOTFOUND nobody@rooms.test\nNOTFOUND bob@b.test\n" {
		t.Errorf("refused:\n%s", got)
	}
	if len(a.Components) != 1 {
		t.Fatalf("%d components, want 1", len(a.Components))
	}
	c := a.Components[0]
	if p := c.Props.Get("ATTENDEE"); p == nil || p.Value != "mailto:room-1@rooms.test" {
		t.Errorf("attendee %+v", p)
	}
	if p := c.Props.Get("FREEBUSY"); p == nil || p.Value != "20270301T100000Z/20270301T110000Z" {
		t.Errorf("busy %+v", p)
	}
	// Logged in, alice reads her own.
	if a, err := s.FreeBusy(Identity{Kind: User, Name: "alice@rooms.test"}, fr); err != nil || len(a.Components) != 2 || len(a.Refused) != 3 {
		t.Errorf("alice: %+v, %v", a, err)
	}
	var se *Error
	long := &vcal.FreeBusyRequest{Users: fr.Users, Start: typedStart, End: typedStart.Add(vcal.MaxFreeBusyWindow + time.Second)}
	if _, err := s.FreeBusy(Identity{}, long); !errors.As(err, &se) || se.Kind != ErrTooLarge || se.Text != "Free/busy window over 366 days" {
		t.Errorf("a long window: %v, want ErrTooLarge", err)
	}
	empty := &vcal.FreeBusyRequest{Users: fr.Users, Start: typedStart, End: typedStart}
	if _, err := s.FreeBusy(Identity{}, empty); !errors.As(err, &se) || se.Kind != ErrInvalid {
		t.Errorf("an empty window: %v, want ErrInvalid", err)
	}
}
