package sched

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini/directory"
	"github.com/cipmini/cipmini/cipmini/vcal"
)

// allocated returns the bytes the process allocated while f ran (other
// goroutines included, so limits leave room).
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// denseMemLimit is what one dense walk may allocate: a chunk's buffers and
// the answer, never the instances walked (a year of FREQ=SECONDLY once
// took 181 MB).
const denseMemLimit = 8 << 20

// A FREEBUSY over a year of FREQ=SECONDLY, asked for over the wire, holds
// one chunk at a time: the answer (the whole year busy) costs a few
// hundred kilobytes, not the 31 million instances.
func TestDenseFreeBusyMemory(t *testing.T) {
	e := newSchedEnv(t)
	c := e.client("", "")
	if err := e.dir.AddUser(&directory.User{ID: "hall@rooms.test", Kind: directory.Room, Policy: directory.PolicyAcceptAlways, Invite: directory.InviteAnyone, FreeBusy: directory.FreeBusyPublic}); err != nil {
		t.Fatal(err)
	}
	expect(t, "every second", e.send(c, strings.ReplaceAll(cal(
		"UID:sec@x.test\nDTSTART:20270101T000000Z\nDURATION:PT1S\nRRULE:FREQ=SECONDLY"), "room-1@", "hall@")),
		"* CONFIRMED hall@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	var year string
	n := allocated(func() { year = e.busy(c, "hall@rooms.test", "20270101T000000Z", "20280101T000000Z") })
	if year != "20270101T000000Z/20280101T000000Z BUSY" {
		t.Fatalf("a year of SECONDLY: %.300s", year)
	}
	if n > denseMemLimit {
		t.Errorf("a year of SECONDLY allocated %d bytes; want under %d", n, denseMemLimit)
	}
}

// The accept-if-free decision streams the calendar's bookings past the new
// series' instances: a stored series every other minute and an hourly one
// between them cost a chunk's buffers, and a series over them is declined.
func TestDenseDecisionMemory(t *testing.T) {
	e := newSchedEnv(t)
	c := e.client("", "")
	expect(t, "every other minute", e.send(c, cal(
		"UID:even@x.test\nDTSTART:20270101T000000Z\nDURATION:PT1M\nRRULE:FREQ=MINUTELY;INTERVAL=2")), confirmed)
	parse := func(body string) *vcal.Event {
		evs, err := vcal.ParseEvents([]byte(cal(body)), nil)
		if err != nil {
			t.Fatal(err)
		}
		return evs[0]
	}
	u := e.dir.User("room-1@rooms.test")
	between := parse("UID:odd@x.test\nDTSTART:20270101T000100Z\nDURATION:PT1M\nRRULE:FREQ=HOURLY;COUNT=8000")
	var d decision
	n := allocated(func() { d = e.sched.decide(u, between) })
	if d.status != Accepted {
		t.Fatalf("hourly between the minutes: %+v", d)
	}
	if n > denseMemLimit {
		t.Errorf("the decision allocated %d bytes; want under %d", n, denseMemLimit)
	}
	over := parse("UID:over@x.test\nDTSTART:20270101T000130Z\nDURATION:PT1M\nRRULE:FREQ=HOURLY;COUNT=8000")
	if d := e.sched.decide(u, over); d.status != Declined || !strings.Contains(d.reason, "already booked at 2027-01-01 00:01") {
		t.Fatalf("hourly over the minutes: %+v", d)
	}
	expect(t, "over the wire", e.send(c, cal("UID:odd@x.test\nDTSTART:20270101T000100Z\nDURATION:PT1M\nRRULE:FREQ=HOURLY;COUNT=8000")), confirmed)
}

// Bookings lists the first bookings by start, at most the limit asked
// for, and says when more follow: a dense series ends the list early,
// never with an error, at a cost that grows with the limit.
func TestBookingsUpToDense(t *testing.T) {
	e := newSchedEnv(t)
	c := e.client("", "")
	if err := e.dir.AddUser(&directory.User{ID: "hall@rooms.test", Kind: directory.Room, Policy: directory.PolicyAcceptAlways, Invite: directory.InviteAnyone, FreeBusy: directory.FreeBusyPublic}); err != nil {
		t.Fatal(err)
	}
	expect(t, "a meeting", e.send(c, strings.ReplaceAll(cal(
		"UID:one@x.test\nSUMMARY:Kick-off\nDTSTART:20261231T235900Z\nDTEND:20270101T001000Z"), "room-1@", "hall@")),
		"* CONFIRMED hall@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	from, to := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)
	bs, more, err := e.sched.BookingsUpTo("hall@rooms.test", from, to, 10)
	if err != nil || more || len(bs) != 1 || bs[0].Summary != "Kick-off" || !bs[0].Start.Equal(from.Add(-time.Minute)) {
		t.Fatalf("one meeting: %+v more=%v err=%v", bs, more, err)
	}
	expect(t, "every second", e.send(c, strings.ReplaceAll(cal(
		"UID:sec@x.test\nSUMMARY:Tick\nDTSTART:20270101T000000Z\nDURATION:PT1S\nRRULE:FREQ=SECONDLY"), "room-1@", "hall@")),
		"* CONFIRMED hall@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	var all []Booking
	n := allocated(func() { all, err = e.sched.Bookings("hall@rooms.test", from, to) })
	if err != nil || len(all) != MaxBookings {
		t.Fatalf("a year of SECONDLY: %d bookings, %v", len(all), err)
	}
	if n > denseMemLimit {
		t.Errorf("%d bookings allocated %d bytes; want under %d", len(all), n, denseMemLimit)
	}
	bs, more, err = e.sched.BookingsUpTo("hall@rooms.test", from, to, 100)
	if err != nil || !more || len(bs) != 100 || bs[0].UID != "one@x.test" {
		t.Fatalf("the first 100: %d, more=%v, %v", len(bs), more, err)
	}
	for i, b := range bs[1:] {
		if want := from.Add(time.Duration(i) * time.Second); b.UID != "sec@x.test" || !b.Start.Equal(want) || !b.Recurring || b.Summary != "Tick" {
			t.Fatalf("booking %d: %+v, want the tick at %s", i+1, b, want)
		}
	}
}
