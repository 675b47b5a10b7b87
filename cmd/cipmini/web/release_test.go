package web

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini/vcal"
)

// With CheckInGrace, a room's booking nobody checked in to is released
// once it has gone on that long: the room's own booking ends now, another
// organizer's is declined. Kept are bookings checked in to, bookings that
// began before the server started (a restart forgets check-ins), those
// not yet that old, series organized elsewhere, and people's bookings.
func TestCheckInRelease(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.CheckInGrace = 10 * time.Minute })
	day := "?start=20270302&end=20270303"
	e.invite(invitation("before@test", "Before", t0.Add(-5*time.Minute), t0.Add(time.Hour), []string{"room-1"}))
	e.clock.Advance(time.Minute)
	at := t0.Add(time.Minute)
	e.invite(invitation("walkaway@test", "Nobody came", at, at.Add(time.Hour), []string{"room-2"}))
	e.invite(invitation("series@test", "Weekly", at, at.Add(time.Hour), []string{"room-4"}, "RRULE:FREQ=WEEKLY;COUNT=3"))
	e.book("projector", 60)
	kept := e.book("room-3", 60)
	var s stateJSON
	if code := e.panelPost("room-3", "checkin", testPIN, form("uid", kept.Current.UID), &s); code != http.StatusOK {
		t.Fatalf("check in: %d %+v", code, s)
	}
	// alice organizes the invitations: she is busy from the first to the
	// last, whatever the rooms do.
	aliceBusy := []vcal.BusyPeriod{{Start: t0.Add(-5 * time.Minute), End: at.Add(time.Hour), Type: "BUSY"}}
	busyAll := func(when string) {
		t.Helper()
		for _, u := range []string{"room-1", "room-2", "room-3", "room-4", "projector"} {
			if got := e.busy(u, day); len(got) != 1 {
				t.Errorf("%s: %s busy %v", when, u, got)
			}
		}
		if got := e.busyAs("alice", day, "alice", alicePW); !reflect.DeepEqual(got, aliceBusy) {
			t.Errorf("%s: alice busy %v, want %v", when, got, aliceBusy)
		}
	}

	e.clock.Advance(9*time.Minute + 59*time.Second)
	e.web.releaseUnchecked()
	busyAll("before the grace period is over")

	e.clock.Advance(time.Second)
	released := at.Add(10 * time.Minute)
	e.web.releaseUnchecked()
	if got := e.busy("room-2", day); len(got) != 0 {
		t.Errorf("alice's booking nobody checked in to is kept: %v", got)
	}
	if _, evs := e.feed("room-2"); len(evs) != 0 {
		t.Errorf("room-2 feed after the release: %d events", len(evs))
	}
	want := []vcal.BusyPeriod{{Start: at, End: released, Type: "BUSY"}}
	if got := e.busy("projector", day); !reflect.DeepEqual(got, want) {
		t.Errorf("the projector's own booking after the release: %v, want %v", got, want)
	}
	for _, u := range []string{"room-1", "room-3", "room-4"} {
		if got := e.busy(u, day); len(got) != 1 {
			t.Errorf("%s: %v, want its booking kept", u, got)
		}
	}
	if v := e.state("room-1"); v.Current == nil || v.Current.CheckedIn || !v.CheckIn {
		t.Errorf("room-1's booking from before the start: %+v", v)
	}
	if got := e.busyAs("alice", day, "alice", alicePW); !reflect.DeepEqual(got, aliceBusy) {
		t.Errorf("alice's own calendar after the release: %v, want %v", got, aliceBusy)
	}
	// A second pass changes nothing more.
	e.clock.Advance(time.Minute)
	e.web.releaseUnchecked()
	for _, u := range []string{"room-1", "room-3", "room-4"} {
		if got := e.busy(u, day); len(got) != 1 {
			t.Errorf("%s after a second pass: %v", u, got)
		}
	}
	resp, _ := e.get("/calendar/room-2.ics")
	if lm := resp.Header.Get("Last-Modified"); lm != released.Format(http.TimeFormat) {
		t.Errorf("Last-Modified %q after a release at %v", lm, released)
	}
}
