package sched

import (
	"testing"
	"time"
)

// A tombstone outlives its last version's time: v0 was for a month ahead,
// v1 moved it to the day after tomorrow, v2 cancelled it. Three nights
// later v1's time is past, but a late replay of v0 (a later time, a lower
// SEQUENCE) must still be refused, not booked anew; the tombstone goes
// once keep_history_days have passed since its last change.
func TestTombstoneOutlivesAnOlderVersionsTime(t *testing.T) {
	e := newRoomsEnv(t)
	e.sched.KeepHistory = 400 * 24 * time.Hour
	room := "room-1@rooms.test"
	start := e.now
	far, near := start.Add(30*24*time.Hour), start.Add(2*24*time.Hour)
	expect(t, "v0", e.book("late@rooms.test", 0, room, far, false), "OK 000 Stored")
	e.now = e.now.Add(time.Minute)
	expect(t, "v1 moved", e.book("late@rooms.test", 1, room, near, false), "OK 000 Stored")
	e.now = e.now.Add(time.Minute)
	expect(t, "v2 cancelled", e.book("late@rooms.test", 2, room, near, true), "OK 000 Cancelled")
	for day := 1; day <= 3; day++ {
		e.now = start.AddDate(0, 0, day).Add(3*time.Hour + 30*time.Minute)
		if _, err := e.sched.Maintain(e.now); err != nil {
			t.Fatal(err)
		}
	}
	if rec, _ := e.sched.load("late@rooms.test"); rec == nil || !rec.tombstone() {
		t.Fatalf("the tombstone retired with its last version's time: %+v", rec)
	}
	expect(t, "replay of v0", e.book("late@rooms.test", 0, room, far, false), "NO 005 Stale version: a newer one is stored")
	if ps, _ := e.sched.Bookings(room, far.Add(-time.Hour), far.Add(2*time.Hour)); len(ps) != 0 {
		t.Fatalf("the replay booked the room: %+v", ps)
	}
	// keep_history_days after the tombstone was made, it goes.
	e.now = start.AddDate(0, 0, 1+401).Add(3*time.Hour + 30*time.Minute)
	if rep, err := e.sched.Maintain(e.now); err != nil || rep.Retired != 1 || rep.Live != 0 {
		t.Fatalf("after keep_history_days: %+v %v", rep, err)
	}
}
