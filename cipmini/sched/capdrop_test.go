package sched

import (
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/store"
)

// A full queue never drops the cancellation of a whole event: it drops the
// messages about an event whose cancellation is queued first, then the
// oldest others, even when the cancellation is older than all of them.
func TestQueueCapKeepsCancellations(t *testing.T) {
	e := newSchedEnv(t)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	seq := uint64(0)
	msg := func(uid, data string, forID string) *OutMessage {
		seq++
		return &OutMessage{ID: NewOutID(now, seq), To: "y.test", Verb: "SENDEVENT", UID: uid, Data: data,
			For: []string{forID}, State: OutQueued, Created: now.Unix(), NextTry: now.Unix()}
	}
	lim := QueueLimits{MaxPerPeer: 3}
	put := func(m *OutMessage) {
		t.Helper()
		if err := e.db.Update(func(tx *store.Tx) error { return Enqueue(tx, []*OutMessage{m}, now, lim, quietLog) }); err != nil {
			t.Fatal(err)
		}
	}
	cancelA := msg("a@rooms.test", cancelEvent("a@rooms.test", 1, stamp2, "alice@rooms.test", "p@y.test"), "p@y.test")
	reqB := msg("b@rooms.test", event("b@rooms.test", 0, stamp1, "20270302T090000Z", "20270302T100000Z", "alice@rooms.test", "p@y.test"), "p@y.test")
	reqA := msg("a@rooms.test", event("a@rooms.test", 0, stamp1, "20270301T100000Z", "20270301T110000Z", "alice@rooms.test", "q@y.test"), "q@y.test")
	put(cancelA)
	put(reqB)
	put(reqA)
	ids := func() []string {
		var out []string
		for _, m := range queueOf(t, e.db) {
			out = append(out, m.ID)
		}
		return out
	}
	// Over the cap: the request for the cancelled event goes first, though
	// the request for b is older.
	put(msg("c@rooms.test", event("c@rooms.test", 0, stamp1, "20270303T090000Z", "20270303T100000Z", "alice@rooms.test", "p@y.test"), "p@y.test"))
	if got := ids(); len(got) != 3 || got[0] != cancelA.ID || got[1] != reqB.ID {
		t.Fatalf("after the first drop: %q", got)
	}
	// Then the oldest other message, never the cancellation.
	put(msg("d@rooms.test", event("d@rooms.test", 0, stamp1, "20270304T090000Z", "20270304T100000Z", "alice@rooms.test", "p@y.test"), "p@y.test"))
	if got := ids(); len(got) != 3 || got[0] != cancelA.ID {
		t.Fatalf("after the second drop: %q", got)
	}
	st, err := ReadQueueStats(e.db)
	if err != nil || st.Dropped != 2 {
		t.Fatalf("counters %+v %v", st, err)
	}
}

func queueOf(t *testing.T, db *store.DB) []*OutMessage {
	t.Helper()
	q, err := Queue(db)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// The room's answer to a recurring event carries the end of its last
// occurrence, so that past the cap it counts as over once the series is;
// a series without end gives none.
func TestAnswerEndsOfRecurringEvent(t *testing.T) {
	e := newSchedEnv(t)
	anon := e.client("", "")
	ev := event("series@x.test", 0, stamp1, "20270301T100000Z", "20270301T110000Z", "tom@x.test", "room-1@rooms.test")
	finite := strings.Replace(ev, "DTEND:", "RRULE:FREQ=DAILY;COUNT=3\r\nDTEND:", 1)
	expect(t, "series", e.send(anon, finite), "* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	want := time.Date(2027, 3, 3, 11, 0, 0, 0, time.UTC).Unix()
	if q := queueOf(t, e.db); len(q) != 1 || q[0].Ends != want {
		t.Fatalf("answer to a finite series: %+v", q)
	}
	ev = event("forever@x.test", 0, stamp1, "20270401T100000Z", "20270401T110000Z", "tom@x.test", "room-1@rooms.test")
	forever := strings.Replace(ev, "DTEND:", "RRULE:FREQ=WEEKLY\r\nDTEND:", 1)
	expect(t, "endless series", e.send(anon, forever), "* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	for _, m := range queueOf(t, e.db) {
		if m.UID == "forever@x.test" && m.Ends != 0 {
			t.Fatalf("answer to an endless series ends at %d", m.Ends)
		}
	}
}
