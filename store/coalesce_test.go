package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// sendVersion has x.test's tom send version seq of an event booking
// room-1 on March day 2027; the room answers, which queues an RSVP for
// x.test.
func (e *courierEnv) sendVersion(uid string, seq, day int) {
	e.t.Helper()
	anon := e.client("", "")
	start := time.Date(2027, 3, day, 10, 0, 0, 0, time.UTC)
	ev := event(uid, seq, stamp1, start.Format(utcLayout), start.Add(time.Hour).Format(utcLayout), "tom@x.test", "room-1@rooms.test")
	expect(e.t, "version", e.send(anon, ev), "* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
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
	st, err := e.db.QueueStats()
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
	if st, _ := e.db.QueueStats(); st.Coalesced != 49 {
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
	e.sched.QueueLimits = QueueLimits{MaxPerPeer: 3}
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
	if st, _ := e.db.QueueStats(); st.Dropped != 3 {
		t.Fatalf("dropped %d, want 3", st.Dropped)
	}

	// The byte cap: one message's worth keeps only the newest.
	e.sched.QueueLimits = QueueLimits{MaxPerPeer: -1, MaxBytesPerPeer: 100}
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
