package web

import (
	"fmt"
	"github.com/cipmini/cipmini/cipmini/caltime"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The ICS feed lists a user's bookings as VEVENTs vcal reads back. Where
// titles are not shown (room-1) each is "Busy", with no organizer and an
// opaque reference for UID; where they are (room-2), the title, the
// organizer and the UID. Instances of a series each have their own UID.
func TestFeed(t *testing.T) {
	e := newEnv(t)
	start := t0.Add(24 * time.Hour)
	e.invite(invitation("secret@test", "Layoffs", start, start.Add(time.Hour), []string{"room-1", "room-2"}))
	e.invite(invitation("weekly@test", "Stand-up", start.Add(2*time.Hour), start.Add(2*time.Hour+15*time.Minute),
		[]string{"room-1", "room-2"}, "RRULE:FREQ=WEEKLY;COUNT=3"))

	resp, evs := e.feed("room-1")
	if resp.Header.Get("Content-Type") != "text/calendar; charset=utf-8" ||
		resp.Header.Get("Content-Disposition") != `inline; filename="room-1@rooms.test.ics"` || resp.Header.Get("ETag") == "" {
		t.Errorf("room-1 feed headers: %v", resp.Header)
	}
	if len(evs) != 4 {
		t.Fatalf("room-1 feed: %d events, want 4", len(evs))
	}
	one := evs[0].Component
	if got := prop(one, "UID"); got != bookingRef(testRefKey, "secret@test") || len(got) != 32 {
		t.Errorf("room-1 UID %q, want the reference of secret@test", got)
	}
	if prop(one, "SUMMARY") != "Busy" || prop(one, "ORGANIZER") != "" || prop(one, "STATUS") != "CONFIRMED" ||
		prop(one, "DTSTART") != start.Format(caltime.UTCLayout) || prop(one, "DTEND") != start.Add(time.Hour).Format(caltime.UTCLayout) ||
		prop(one, "TRANSP") != "OPAQUE" || prop(one, "DTSTAMP") != t0.Format(caltime.UTCLayout) {
		t.Errorf("room-1 event: %v", one.Props)
	}
	for i, ev := range evs[1:] {
		at := start.Add(2*time.Hour).AddDate(0, 0, 7*i)
		if want := bookingRef(testRefKey, "weekly@test") + "/" + at.Format(caltime.UTCLayout); prop(ev.Component, "UID") != want ||
			prop(ev.Component, "DTSTART") != at.Format(caltime.UTCLayout) || prop(ev.Component, "SUMMARY") != "Busy" {
			t.Errorf("room-1 instance %d: %v", i, ev.Props)
		}
	}
	_, body := e.get("/calendar/room-1.ics")
	for _, hidden := range []string{"Layoffs", "Stand-up", "alice", "secret@test", "weekly@test"} {
		if strings.Contains(body, hidden) {
			t.Errorf("room-1 feed shows %q:\n%s", hidden, body)
		}
	}
	if !strings.Contains(body, "\r\nX-WR-CALNAME;VALUE=TEXT:room-1@rooms.test\r\n") || !strings.Contains(body, "\r\nMETHOD:PUBLISH\r\n") {
		t.Errorf("room-1 feed lacks its name or method:\n%s", body)
	}

	_, evs = e.feed("room-2")
	if len(evs) != 4 {
		t.Fatalf("room-2 feed: %d events, want 4", len(evs))
	}
	two := evs[0].Component
	if prop(two, "UID") != "secret@test" || prop(two, "SUMMARY") != "Layoffs" || prop(two, "ORGANIZER") != "mailto:alice@rooms.test" {
		t.Errorf("room-2 event: %v", two.Props)
	}
	if got := prop(evs[3].Component, "UID"); got != "weekly@test/"+start.Add(2*time.Hour).AddDate(0, 0, 14).Format(caltime.UTCLayout) {
		t.Errorf("room-2 last instance UID %q", got)
	}
	if prop(evs[3].Component, "SUMMARY") != "Stand-up" {
		t.Errorf("room-2 last instance: %v", evs[3].Props)
	}
}

// The feed covers FeedPastDays before today to FeedFutureDays after; a
// booking the projector has yet to confirm is TENTATIVE; an empty feed is
// a calendar without events.
func TestFeedWindowAndStatus(t *testing.T) {
	e := newEnv(t)
	today := t0.Truncate(24 * time.Hour)
	if _, evs := e.feed("projector"); len(evs) != 0 {
		t.Fatalf("empty feed: %d events", len(evs))
	}
	resp, body := e.get("/calendar/projector.ics")
	if resp.StatusCode != http.StatusOK || body != "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//cipmini//cipmini 1.0//EN\r\nMETHOD:PUBLISH\r\nX-WR-CALNAME:projector@rooms.test\r\nEND:VCALENDAR\r\n" {
		t.Errorf("empty feed: %s %q", resp.Status, body)
	}
	for i, at := range []time.Time{
		today.AddDate(0, 0, -FeedPastDays).Add(-2 * time.Hour), // ends before the window
		today.AddDate(0, 0, -FeedPastDays).Add(-30 * time.Minute),
		today.Add(14 * time.Hour),
		today.AddDate(0, 0, FeedFutureDays).Add(-time.Hour),
		today.AddDate(0, 0, FeedFutureDays).Add(time.Hour), // after it
	} {
		e.invite(invitation(fmt.Sprintf("w%d@test", i), "W", at, at.Add(time.Hour), []string{"projector"}))
	}
	_, evs := e.feed("projector")
	if len(evs) != 3 {
		t.Fatalf("projector feed: %d events, want 3", len(evs))
	}
	for i, ev := range evs {
		if uid := prop(ev.Component, "UID"); uid != bookingRef(testRefKey, fmt.Sprintf("w%d@test", i+1)) || prop(ev.Component, "STATUS") != "TENTATIVE" {
			t.Errorf("event %d: UID %s, STATUS %s", i, uid, prop(ev.Component, "STATUS"))
		}
	}
}

// Feed refusals: a path without .ics or naming no local user is 404.
func TestFeedRefusals(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/calendar/room-1", "/calendar/room-1.ifb", "/calendar/nobody.ics", "/calendar/moved.ics", "/calendar/x%09y.ics"} {
		if r, _ := e.get(p); r.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s, want 404", p, r.Status)
		}
	}
}

// A booking's reference depends on the key only: a new Server with the
// same key (the daemon after a restart) names it alike, in the feed and at
// the panel, and takes the reference in panel actions; a Server with
// another key names it otherwise, and a random key is drawn when none is
// given.
func TestBookingReferences(t *testing.T) {
	e := newEnv(t)
	e.invite(invitation("kept@test", "Kept", t0.Add(-10*time.Minute), t0.Add(time.Hour), []string{"room-1"}))
	refOf := func(s *Server) (feed, panel string) {
		t.Helper()
		e.h = s.Handler()
		_, evs := e.feed("room-1")
		if len(evs) != 1 {
			t.Fatalf("room-1 feed: %d events", len(evs))
		}
		v := e.state("room-1")
		if v.Current == nil {
			t.Fatalf("room-1 panel: nothing going on: %+v", v)
		}
		return prop(evs[0].Component, "UID"), v.Current.UID
	}
	feed1, panel1 := refOf(e.web)
	if feed1 != panel1 || len(feed1) != 32 {
		t.Fatalf("the feed names the booking %q, the panel %q", feed1, panel1)
	}
	again := e.newServer()
	if f, p := refOf(again); f != feed1 || p != panel1 {
		t.Errorf("a new Server with the same key: %q %q, before %q", f, p, feed1)
	}
	other := e.newServer(func(o *Options) { o.RefKey = []byte("another key, as long as the first") })
	if f, p := refOf(other); f == feed1 || f != p || len(f) != 32 {
		t.Errorf("a Server with another key: feed %q, panel %q; the first key's %q", f, p, feed1)
	}
	random := e.newServer(func(o *Options) { o.RefKey = nil })
	if f, _ := refOf(random); f == feed1 || len(f) != 32 {
		t.Errorf("a Server with a random key: %q", f)
	}
	// The reference names the booking in an action; the other key's does not.
	e.h = again.Handler()
	var v stateJSON
	if code := e.panelPost("room-1", "checkin", testPIN, form("uid", feed1), &v); code != http.StatusOK || v.Current == nil || !v.Current.CheckedIn {
		t.Fatalf("check in by reference: %d %+v", code, v)
	}
	var refused actionErrorJSON
	if code := e.panelPost("room-1", "checkin", testPIN, form("uid", bookingRef([]byte("another key, as long as the first"), "kept@test")), &refused); code != http.StatusConflict {
		t.Fatalf("check in by another key's reference: %d %+v", code, refused)
	}
}
