package web

import (
	"github.com/cipmini/cipmini/cipmini/caltime"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini/vcal"
)

// A booking made at the panel is the room's own event, stored through the
// scheduler: the answer is the new state, and the free/busy file, the ICS
// feed and CIP FREEBUSY all show it at once, with a new Last-Modified.
func TestPanelBookSeenEverywhere(t *testing.T) {
	e := newEnv(t)
	_, before := e.get("/calendar/room-2.ics")
	e.clock.Advance(90 * time.Second)
	now := t0.Add(90 * time.Second)
	v := e.book("room-2", 30)
	if v.Free || v.Current == nil || !v.Current.Own || v.Current.Title != "Booked at the room panel" || !v.CheckIn ||
		!v.Current.Start.Equal(now) || !v.Current.End.Equal(now.Add(30*time.Minute)) ||
		!strings.HasPrefix(v.Current.UID, "panel-") || !strings.HasSuffix(v.Current.UID, "@rooms.test") {
		t.Fatalf("after booking: %+v", v)
	}
	want := []vcal.BusyPeriod{{Start: now, End: now.Add(30 * time.Minute), Type: "BUSY"}}
	if got := e.busy("room-2", "?start=20270302&end=20270303"); !reflect.DeepEqual(got, want) {
		t.Errorf(".ifb after booking: %v, want %v", got, want)
	}
	if got := cipFreeBusy(t, e, "room-2@rooms.test", "20270302T000000Z", "20270303T000000Z"); !reflect.DeepEqual(got, want) {
		t.Errorf("CIP FREEBUSY after booking: %v, want %v", got, want)
	}
	resp, evs := e.feed("room-2")
	if len(evs) != 1 {
		t.Fatalf("feed after booking: %d events", len(evs))
	}
	ev := evs[0].Component
	if prop(ev, "UID") != v.Current.UID || prop(ev, "SUMMARY") != "Booked at the room panel" || prop(ev, "ORGANIZER") != "mailto:room-2@rooms.test" ||
		prop(ev, "DTSTART") != now.Format(caltime.UTCLayout) || prop(ev, "DTEND") != now.Add(30*time.Minute).Format(caltime.UTCLayout) || prop(ev, "SEQUENCE") != "0" {
		t.Errorf("feed event: %v", ev.Props)
	}
	if lm := resp.Header.Get("Last-Modified"); lm != now.Format(http.TimeFormat) {
		t.Errorf("Last-Modified %q after a booking at %v", lm, now)
	}
	if r, body := e.get("/calendar/room-2.ics", "If-Modified-Since", t0.Format(http.TimeFormat)); r.StatusCode != http.StatusOK || body == before {
		t.Errorf("a copy from before the booking is current: %s", r.Status)
	}
	// Where titles are not shown, the panel and the feed say "Busy" and
	// name the booking by its reference.
	v = e.book("room-1", 15)
	if v.Current == nil || v.Current.Title != "Busy" || len(v.Current.UID) != 32 || !v.Current.Own {
		t.Fatalf("room-1 after booking: %+v", v)
	}
	if _, evs := e.feed("room-1"); len(evs) != 1 || prop(evs[0].Component, "UID") != v.Current.UID || prop(evs[0].Component, "SUMMARY") != "Busy" {
		t.Errorf("room-1 feed after booking: %v", evs)
	}
}

// A panel booking never overlaps another: a busy room and one booked in
// less than a minute are refused, one booked soon is booked until then.
func TestPanelBookClash(t *testing.T) {
	e := newEnv(t)
	e.invite(invitation("now@test", "Now", t0.Add(-5*time.Minute), t0.Add(5*time.Minute), []string{"room-1"}))
	e.invite(invitation("soon@test", "Soon", t0.Add(30*time.Second), t0.Add(time.Hour), []string{"room-2"}))
	e.invite(invitation("later@test", "Later", t0.Add(20*time.Minute), t0.Add(time.Hour), []string{"projector"}))
	var refused actionErrorJSON
	for _, c := range []struct{ room, want string }{
		{"room-1", "The room is busy"},
		{"room-2", "The room is booked in a moment"},
	} {
		if code := e.panelPost(c.room, "book", testPIN, form("minutes", "15"), &refused); code != http.StatusConflict || refused.Error != c.want {
			t.Errorf("book %s: %d %+v, want 409 %q", c.room, code, refused, c.want)
		}
	}
	// The projector's next booking is only tentative, and still cuts it.
	v := e.book("projector", 60)
	if v.Current == nil || !v.Current.End.Equal(t0.Add(20*time.Minute)) || len(v.Next) != 1 || v.Next[0].Start != v.Current.End {
		t.Fatalf("book before a later booking: %+v", v)
	}
	if code := e.panelPost("projector", "book", testPIN, form("minutes", "15"), &refused); code != http.StatusConflict || refused.Error != "The room is busy" {
		t.Errorf("book the projector twice: %d %+v", code, refused)
	}
	// Ten minutes on, room-1 is free again and can be booked.
	e.clock.Advance(10 * time.Minute)
	if v := e.book("room-1", 15); v.Current == nil || !v.Current.Start.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("book once free: %+v", v)
	}
}

// The room's own booking can be extended, cut short at the next booking,
// and ended early: the end moves to now, or the booking is cancelled
// when it has not yet begun. Check-in marks it.
func TestPanelExtendEndCheckIn(t *testing.T) {
	e := newEnv(t)
	e.invite(invitation("next@test", "Next", t0.Add(40*time.Minute), t0.Add(2*time.Hour), []string{"room-1"}))
	v := e.book("room-1", 15)
	uid := v.Current.UID

	e.clock.Advance(5 * time.Minute)
	var s stateJSON
	if code := e.panelPost("room-1", "extend", testPIN, form("uid", uid, "minutes", "15"), &s); code != http.StatusOK ||
		s.Current == nil || !s.Current.End.Equal(t0.Add(30*time.Minute)) {
		t.Fatalf("extend by 15: %d %+v", code, s)
	}
	if code := e.panelPost("room-1", "extend", testPIN, form("uid", uid, "minutes", "60"), &s); code != http.StatusOK ||
		s.Current == nil || !s.Current.End.Equal(t0.Add(40*time.Minute)) {
		t.Fatalf("extend by 60 up to the next booking: %d %+v", code, s)
	}
	var refused actionErrorJSON
	if code := e.panelPost("room-1", "extend", testPIN, form("uid", uid, "minutes", "15"), &refused); code != http.StatusConflict ||
		refused.Error != "The room is booked right after" {
		t.Fatalf("extend into the next booking: %d %+v", code, refused)
	}
	_, evs := e.feed("room-1")
	if len(evs) != 2 || prop(evs[0].Component, "SEQUENCE") != "2" || prop(evs[0].Component, "DTEND") != t0.Add(40*time.Minute).Format(caltime.UTCLayout) {
		t.Fatalf("feed after two extensions: %v", evs)
	}

	if code := e.panelPost("room-1", "checkin", testPIN, form("uid", uid), &s); code != http.StatusOK ||
		s.Current == nil || !s.Current.CheckedIn || s.CheckIn || !s.Timeline[0].CheckedIn {
		t.Fatalf("check in: %d %+v", code, s)
	}
	if s := e.state("room-1"); s.Current == nil || !s.Current.CheckedIn {
		t.Fatalf("the check-in is not kept: %+v", s)
	}

	e.clock.Advance(5 * time.Minute)
	if code := e.panelPost("room-1", "end", testPIN, form("uid", uid), &s); code != http.StatusOK || !s.Free || s.Current != nil {
		t.Fatalf("end: %d %+v", code, s)
	}
	want := []vcal.BusyPeriod{{Start: t0, End: t0.Add(10 * time.Minute), Type: "BUSY"}, {Start: t0.Add(40 * time.Minute), End: t0.Add(2 * time.Hour), Type: "BUSY"}}
	if got := e.busy("room-1", "?start=20270302&end=20270303"); !reflect.DeepEqual(got, want) {
		t.Errorf(".ifb after ending early: %v, want %v", got, want)
	}
	if code := e.panelPost("room-1", "end", testPIN, form("uid", uid), &refused); code != http.StatusConflict || refused.Error != "No such booking going on now" {
		t.Errorf("end twice: %d %+v", code, refused)
	}

	// A booking ended the moment it was made is cancelled.
	v = e.book("room-2", 30)
	if code := e.panelPost("room-2", "end", testPIN, form("uid", v.Current.UID), &s); code != http.StatusOK || !s.Free || len(s.Timeline) != 0 {
		t.Fatalf("end at once: %d %+v", code, s)
	}
	if _, evs := e.feed("room-2"); len(evs) != 0 {
		t.Errorf("a cancelled booking is in the feed: %v", evs)
	}
}

// A booking someone else organized is ended by the room declining it;
// it cannot be extended at the panel, and a series organized elsewhere
// cannot be ended there either.
func TestPanelEndOthersBooking(t *testing.T) {
	e := newEnv(t)
	e.invite(invitation("alices@test", "Alice's", t0.Add(-10*time.Minute), t0.Add(time.Hour), []string{"room-1"}))
	e.invite(invitation("series@test", "Weekly", t0.Add(-10*time.Minute), t0.Add(time.Hour), []string{"room-2"}, "RRULE:FREQ=WEEKLY;COUNT=4"))
	ref := bookingRef(testRefKey, "alices@test")
	var refused actionErrorJSON
	if code := e.panelPost("room-1", "extend", testPIN, form("uid", ref, "minutes", "15"), &refused); code != http.StatusConflict ||
		refused.Error != "Only a booking made at the panel can be extended here" {
		t.Errorf("extend alice's booking: %d %+v", code, refused)
	}
	if code := e.panelPost("room-2", "end", testPIN, form("uid", "series@test"), &refused); code != http.StatusConflict ||
		refused.Error != "A recurring meeting booked by alice@rooms.test: ask them to change it" {
		t.Errorf("end alice's series: %d %+v", code, refused)
	}
	if code := e.panelPost("room-2", "extend", testPIN, form("uid", "series@test", "minutes", "15"), &refused); code != http.StatusConflict {
		t.Errorf("extend alice's series: %d %+v", code, refused)
	}
	var s stateJSON
	if code := e.panelPost("room-1", "end", testPIN, form("uid", ref), &s); code != http.StatusOK || !s.Free || len(s.Timeline) != 0 {
		t.Fatalf("end alice's booking: %d %+v", code, s)
	}
	if got := e.busy("room-1", "?start=20270302&end=20270303"); len(got) != 0 {
		t.Errorf("room-1 still busy after declining: %v", got)
	}
	if _, evs := e.feed("room-1"); len(evs) != 0 {
		t.Errorf("room-1 feed after declining: %d events", len(evs))
	}
	// The series goes on.
	if v := e.state("room-2"); v.Current == nil || v.Current.UID != "series@test" {
		t.Errorf("room-2: %+v", v)
	}
}
