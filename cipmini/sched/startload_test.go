package sched

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/store"
)

// busyYear is user's free/busy over 2027 as the index answers it.
func busyYear(t *testing.T, s *Scheduler, user string) string {
	t.Helper()
	c, err := s.FreeBusyComponent(user, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, p := range c.Props["FREEBUSY"] {
		b.WriteString(p.Params.Get("FBTYPE") + " " + p.Value + "\n")
	}
	return b.String()
}

// A restart indexes every stored event as the running server had it, with
// the records decoded by several workers: one-off and recurring events,
// tentative and declined answers, cancellations, for two users.
func TestStartIndexesEveryRecord(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	e := newSchedEnv(t)
	x := cipmini.Identity{Kind: cipmini.Peer, Name: "x.test"}
	send := func(ev string) *cipmini.Reply {
		return cip(e.sched).SendEvent(context.Background(), &cipmini.Request{Identity: x, Data: []byte(ev)})
	}
	for i := 0; i < 600; i++ {
		start, end := slot(i)
		if i%10 == 5 {
			start, end = slot(i - 1) // room-1 declines it
		}
		ev := event(fmt.Sprintf("load-%d@x.test", i), 0, stamp1, start, end, "tom@x.test", "room-1@rooms.test", "carol@rooms.test")
		switch i % 10 {
		case 0:
			ev = strings.Replace(ev, "END:VEVENT", "RRULE:FREQ=WEEKLY;COUNT=5\r\nEND:VEVENT", 1)
		case 3:
			ev = strings.Replace(ev, "ATTENDEE:mailto:carol", "ATTENDEE;PARTSTAT=TENTATIVE:mailto:carol", 1)
		}
		if r := send(ev); !r.Completion.OK {
			t.Fatalf("booking %d: %+v", i, r)
		}
		if i%7 == 0 {
			c := cancelEvent(fmt.Sprintf("load-%d@x.test", i), 1, stamp1, "tom@x.test", "room-1@rooms.test", "carol@rooms.test")
			if r := send(c); !r.Completion.OK {
				t.Fatalf("cancelling %d: %+v", i, r)
			}
		}
	}
	before := map[string]string{}
	for _, u := range []string{"room-1@rooms.test", "carol@rooms.test"} {
		before[u] = busyYear(t, e.sched, u)
		if strings.Count(before[u], "\n") < 40 {
			t.Fatalf("%s: only %d busy periods before the restart", u, strings.Count(before[u], "\n"))
		}
	}
	live := e.sched.retire.Len()
	e.restart()
	for u, want := range before {
		if got := busyYear(t, e.sched, u); got != want {
			t.Errorf("%s after the restart:\n%.600s\nwant:\n%.600s", u, got, want)
		}
	}
	if got := e.sched.retire.Len(); got != live {
		t.Errorf("retention index holds %d events after the restart, %d before", got, live)
	}
}

// A stored record that cannot be decoded stops the start, naming it,
// rather than leave its event out of the calendar; with many records
// before and after it and several workers decoding them, the first bad
// record in key order is the one named, every time.
func TestStartStopsAtUnreadableRecord(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	e := newSchedEnv(t)
	for i := 0; i < 300; i++ {
		start, end := slot(i)
		ev := event(fmt.Sprintf("load-%d@x.test", i), 0, stamp1, start, end, "tom@x.test", "room-1@rooms.test")
		if r := cip(e.sched).SendEvent(context.Background(), &cipmini.Request{Data: []byte(ev)}); !r.Completion.OK {
			t.Fatalf("booking %d: %+v", i, r)
		}
	}
	e.stop()
	db, err := store.Open(e.data, e.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mustSet(t, db, eventKey("load-150@x.test"), `{"uid":"load-150@x.test","holders":`,
		eventKey("load-250@x.test"), `{"uid":"load-250@x.test","span":[1,`)
	for range 5 {
		if _, err := NewScheduler(db, e.dir, quietLog); err == nil ||
			!strings.Contains(err.Error(), "load-150@x.test") || !strings.Contains(err.Error(), "restore a backup") {
			t.Fatalf("start over two unreadable records: %v, want the first in key order named", err)
		}
	}
}
