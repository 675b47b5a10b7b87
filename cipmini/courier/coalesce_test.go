package courier

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini/sched"
)

// sendVersion has x.test's tom send version seq of an event booking
// room-1 on March day 2027 (logged in as x.test: only the organizer's
// server changes a stored event); the room answers, which queues an RSVP
// for x.test.
func (e *courierEnv) sendVersion(uid string, seq, day int) {
	e.t.Helper()
	x := e.client("x.test", "x-pw")
	start := time.Date(2027, 3, day, 10, 0, 0, 0, time.UTC)
	ev := event(uid, seq, stamp1, start.Format(utcLayout), start.Add(time.Hour).Format(utcLayout), "tom@x.test", "room-1@rooms.test")
	expect(e.t, "version", e.send(x, ev), "* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
}

// Fifty versions of one event while its organizer's server is down leave
// one answer in the queue, counted as 49 coalesced; the server then gets
// exactly the latest.
func TestQueueCoalescesAnswers(t *testing.T) {
	e := newCourierEnv(t)
	ctx := context.Background()
	for seq := 0; seq < 50; seq++ {
		e.sendVersion("c1@x.test", seq, 1)
		if seq%10 == 0 {
			e.courier.runDue(ctx) // x.test unknown: the try fails
		}
	}
	e.bookRoom("other@x.test", 2) // another event's answer is not touched
	q := e.queue()
	if len(q) != 2 {
		t.Fatalf("queue holds %d messages, want 2: %+v", len(q), q)
	}
	st, err := sched.ReadQueueStats(e.db)
	if err != nil || st.Coalesced != 49 || st.Dropped != 0 {
		t.Fatalf("counters %+v, %v; want 49 coalesced", st, err)
	}
	peer := startPeer(t, "x.test", okReply)
	e.dial.set("x.test", peer.addr)
	e.now = e.now.Add(time.Hour)
	e.courier.runDue(ctx)
	got := peer.received()
	if len(got) != 2 {
		t.Fatalf("peer got %d messages: %q", len(got), got)
	}
	var c1 []string
	for _, g := range got {
		if strings.Contains(g, "UID:c1@x.test") {
			c1 = append(c1, g)
		}
	}
	if len(c1) != 1 || !hasSequence(c1[0], 49) {
		t.Fatalf("answers for c1: %q", c1)
	}
	// The counters survive a restart.
	e.restart()
	if st, _ := sched.ReadQueueStats(e.db); st.Coalesced != 49 {
		t.Fatalf("after a restart: %+v", st)
	}
}

// A message superseded while the courier tries it is not put back.
func TestCourierDoesNotRestoreSuperseded(t *testing.T) {
	e := newCourierEnv(t)
	e.sendVersion("s1@x.test", 0, 1)
	old := e.queue()[0]
	e.sendVersion("s1@x.test", 1, 1)
	e.courier.retry(old, "connection refused", quietLog)
	q := e.queue()
	if len(q) != 1 || q[0].ID == old.ID || !hasSequence(q[0].Data, 1) {
		t.Fatalf("queue: %+v", q)
	}
}

// Past the per-peer cap, answers for events already over go first, oldest
// first; then the oldest of any kind. Each drop is counted.
func TestQueueCapPerPeer(t *testing.T) {
	e := newCourierEnv(t)
	e.sched.QueueLimits = sched.QueueLimits{MaxPerPeer: 3}
	e.bookRoom("past1@x.test", 1)
	e.bookRoom("past2@x.test", 2)
	e.now = time.Date(2027, 3, 15, 0, 0, 0, 0, time.UTC) // both are over
	for day := 20; day <= 23; day++ {
		e.bookRoom(fmt.Sprintf("future%d@x.test", day), day)
	}
	var uids []string
	for _, m := range e.queue() {
		uids = append(uids, m.UID)
	}
	if got := strings.Join(uids, " "); got != "future21@x.test future22@x.test future23@x.test" {
		t.Fatalf("queue after the cap: %s", got)
	}
	if st, _ := sched.ReadQueueStats(e.db); st.Dropped != 3 {
		t.Fatalf("dropped %d, want 3", st.Dropped)
	}

	// The byte cap: one message's worth keeps only the newest.
	e.sched.QueueLimits = sched.QueueLimits{MaxPerPeer: -1, MaxBytesPerPeer: 100}
	e.bookRoom("future24@x.test", 24)
	if q := e.queue(); len(q) != 1 || q[0].UID != "future24@x.test" {
		t.Fatalf("queue after the byte cap: %+v", q)
	}
}

// hasSequence reports whether iCalendar text carries SEQUENCE n.
func hasSequence(text string, n int) bool {
	for _, l := range strings.Split(text, "\r\n") {
		if name, v, ok := strings.Cut(l, ":"); ok && strings.HasPrefix(name, "SEQUENCE") && v == fmt.Sprint(n) {
			return true
		}
	}
	return false
}

// The local owner's versions of an event for another server's attendees
// coalesce per attendee: a later version replaces an earlier one for the
// attendees it is for; one for other attendees only narrows it; the
// cancellation of one occurrence replaces nothing.
func TestQueueCoalescesEventsPerAttendee(t *testing.T) {
	e := newCourierEnv(t)
	alice := e.client("alice", "alice-pw")
	send := func(seq int, method string, attendees ...string) {
		t.Helper()
		ev := event("ow@rooms.test", seq, stamp1, "20270302T090000Z", "20270302T100000Z", "alice@rooms.test", attendees...)
		ev = strings.Replace(ev, "METHOD:REQUEST", "METHOD:"+method, 1)
		if got := e.send(alice, ev); !strings.HasPrefix(got[strings.LastIndex(got, "\n")+1:], "OK 000") {
			t.Fatalf("version %d: %s", seq, got)
		}
	}
	fors := func() string {
		var out []string
		for _, m := range e.queue() {
			out = append(out, strings.Join(m.For, "+"))
		}
		return strings.Join(out, " ")
	}
	send(0, "REQUEST", "bob@b.test", "dan@b.test")
	send(1, "REQUEST", "bob@b.test", "dan@b.test")
	if got := fors(); got != "bob@b.test+dan@b.test" {
		t.Fatalf("after two versions: %s", got)
	}
	send(2, "REQUEST", "bob@b.test") // dan is off the event: his copy of version 1 stays
	if got := fors(); got != "dan@b.test bob@b.test" {
		t.Fatalf("after dan was dropped: %s", got)
	}
	send(3, "CANCEL", "bob@b.test", "dan@b.test")
	if got := fors(); got != "bob@b.test+dan@b.test" {
		t.Fatalf("after the cancellation: %s", got)
	}
	if st, _ := sched.ReadQueueStats(e.db); st.Coalesced != 3 {
		t.Fatalf("coalesced %d, want 3", st.Coalesced)
	}
}

// The cancellation of one occurrence leaves the series queued.
func TestQueueOccurrenceCancelSupersedesNothing(t *testing.T) {
	e := newCourierEnv(t)
	alice := e.client("alice", "alice-pw")
	series := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:wk@rooms.test\r\nSEQUENCE:0\r\n" +
		"DTSTAMP:20261201T000000Z\r\nDTSTART:20270301T090000Z\r\nDTEND:20270301T100000Z\r\nRRULE:FREQ=WEEKLY;COUNT=5\r\n" +
		"ORGANIZER:mailto:alice@rooms.test\r\nATTENDEE:mailto:bob@b.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	expect(t, "series", e.send(alice, series), "* NOTFOUND bob@b.test\nOK 000 Stored")
	one := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:CANCEL\r\nBEGIN:VEVENT\r\nUID:wk@rooms.test\r\nSEQUENCE:1\r\n" +
		"DTSTAMP:20261201T000000Z\r\nRECURRENCE-ID:20270308T090000Z\r\nDTSTART:20270308T090000Z\r\nDTEND:20270308T100000Z\r\n" +
		"ORGANIZER:mailto:alice@rooms.test\r\nATTENDEE:mailto:bob@b.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	if got := e.send(alice, one); !strings.HasSuffix(got, "OK 000 Cancelled") {
		t.Fatalf("occurrence cancel: %s", got)
	}
	q := e.queue()
	if len(q) != 2 || !strings.Contains(q[0].Data, "RRULE") || !q[1].Partial {
		t.Fatalf("queue: %d messages", len(q))
	}
}
