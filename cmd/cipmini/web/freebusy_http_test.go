package web

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/vcal"
)

// The .ifb answer is a VFREEBUSY vcal reads back, with the periods CIP
// FREEBUSY gives for the same window; it carries validators and answers
// 304 to a client whose copy is current, until the calendar changes.
func TestFreeBusyFile(t *testing.T) {
	e := newEnv(t)
	day := time.Date(2027, 3, 2, 0, 0, 0, 0, time.UTC)
	e.invite(invitation("a@test", "Planning", day.Add(9*time.Hour), day.Add(10*time.Hour), []string{"room-1"}))
	e.invite(invitation("b@test", "Review", day.Add(10*time.Hour), day.Add(11*time.Hour+30*time.Minute), []string{"room-1"}))
	e.invite(invitation("c@test", "Next day", day.Add(33*time.Hour), day.Add(34*time.Hour), []string{"room-1"}))
	e.invite(invitation("d@test", "Maybe", day.Add(12*time.Hour), day.Add(13*time.Hour), []string{"projector"}))
	from, to := day.Add(9*time.Hour+30*time.Minute), day.Add(48*time.Hour)

	target := "/freebusy/room-1.ifb?start=" + url.QueryEscape(from.Format(time.RFC3339)) + "&end=20270304T000000Z"
	resp, body := e.get(target)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/calendar; charset=utf-8" ||
		resp.Header.Get("Content-Disposition") != `inline; filename="room-1@rooms.test.ifb"` || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("GET .ifb: %s %v\n%s", resp.Status, resp.Header, body)
	}
	fbs, err := vcal.ParseFreeBusy([]byte(body), nil)
	if err != nil || len(fbs) != 1 {
		t.Fatalf("GET .ifb: %d components, %v\n%s", len(fbs), err, body)
	}
	fb := fbs[0]
	if !fb.Start.Equal(from) || !fb.End.Equal(to) || !reflect.DeepEqual(fb.Attendees, []string{"room-1@rooms.test"}) {
		t.Errorf("VFREEBUSY window %v..%v, attendees %v", fb.Start, fb.End, fb.Attendees)
	}
	want := []vcal.BusyPeriod{
		{Start: from, End: day.Add(11*time.Hour + 30*time.Minute), Type: "BUSY"},
		{Start: day.Add(33 * time.Hour), End: day.Add(34 * time.Hour), Type: "BUSY"},
	}
	if !reflect.DeepEqual(fb.Periods, want) {
		t.Errorf(".ifb periods %v, want %v", fb.Periods, want)
	}
	if cip := cipFreeBusy(t, e, "room-1@rooms.test", "20270302T093000Z", "20270304T000000Z"); !reflect.DeepEqual(cip, fb.Periods) {
		t.Errorf(".ifb periods %v, CIP FREEBUSY %v", fb.Periods, cip)
	}
	if !strings.Contains(body, "\r\nMETHOD:PUBLISH\r\n") || !strings.Contains(body, "\r\nPRODID:-//cipmini//cipmini 1.0//EN\r\n") {
		t.Errorf("GET .ifb: no METHOD:PUBLISH or PRODID\n%s", body)
	}
	// A booking the projector has yet to confirm is tentative.
	if got := e.busy("projector", "?start=20270302&end=20270303"); len(got) != 1 || got[0].Type != "BUSY-TENTATIVE" {
		t.Errorf("projector: %v", got)
	}

	etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if len(etag) != 26 || lm != t0.Format(http.TimeFormat) {
		t.Fatalf("ETag %q, Last-Modified %q", etag, lm)
	}
	for _, h := range [][2]string{{"If-None-Match", etag}, {"If-None-Match", `"other", W/` + etag}, {"If-None-Match", "*"}, {"If-Modified-Since", lm}} {
		if r, b := e.get(target, h[0], h[1]); r.StatusCode != http.StatusNotModified || b != "" || r.Header.Get("ETag") != etag {
			t.Errorf("%s: %s %q", h, r.Status, b)
		}
	}
	// If-None-Match decides alone when both are given.
	if r, _ := e.get(target, "If-None-Match", `"other"`, "If-Modified-Since", lm); r.StatusCode != http.StatusOK {
		t.Errorf("If-None-Match of another version: %s", r.Status)
	}
	// A change a second later moves Last-Modified and the body.
	e.clock.Advance(time.Second)
	e.invite(invitation("e@test", "Late", day.Add(20*time.Hour), day.Add(21*time.Hour), []string{"room-1"}))
	r, body2 := e.get(target, "If-None-Match", etag)
	if r.StatusCode != http.StatusOK || r.Header.Get("ETag") == etag || body2 == body ||
		r.Header.Get("Last-Modified") != t0.Add(time.Second).Format(http.TimeFormat) {
		t.Errorf("after a change: %s, ETag %s, Last-Modified %s", r.Status, r.Header.Get("ETag"), r.Header.Get("Last-Modified"))
	}
	if r, _ := e.get(target, "If-Modified-Since", lm); r.StatusCode != http.StatusOK {
		t.Errorf("If-Modified-Since after a change: %s", r.Status)
	}
}

// cipFreeBusy returns the busy periods the scheduler's CIP FREEBUSY gives.
func cipFreeBusy(t *testing.T, e *testEnv, user, from, to string) []vcal.BusyPeriod {
	t.Helper()
	rep := e.backend.FreeBusy(context.Background(), &cipmini.Request{
		Data: []byte("ATTENDEE:" + user + "\r\nDTSTART:" + from + "\r\nDTEND:" + to + "\r\n")})
	if !rep.Completion.OK {
		t.Fatalf("FREEBUSY %s: %v", user, rep.Completion)
	}
	fbs, err := vcal.ParseFreeBusy(rep.Data, nil)
	if err != nil || len(fbs) != 1 {
		t.Fatalf("FREEBUSY %s: %d components, %v", user, len(fbs), err)
	}
	return fbs[0].Periods
}

// Without start the window begins at the start of today (UTC) and lasts
// DefaultFreeBusyDays; with a start only, as long from there. Dates come
// in the forms ParseWindow reads.
func TestFreeBusyWindow(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		q        string
		from, to time.Time
	}{
		{"", time.Date(2027, 3, 2, 0, 0, 0, 0, time.UTC), time.Date(2027, 3, 2, 0, 0, 0, 0, time.UTC).AddDate(0, 0, DefaultFreeBusyDays)},
		{"?start=2027-04-01", time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, DefaultFreeBusyDays)},
		{"?start=20270401T083000Z&end=20270402", time.Date(2027, 4, 1, 8, 30, 0, 0, time.UTC), time.Date(2027, 4, 2, 0, 0, 0, 0, time.UTC)},
		{"?start=2027-04-01T10:30:00%2B02:00&end=2027-04-01T12:00:00Z", time.Date(2027, 4, 1, 8, 30, 0, 0, time.UTC), time.Date(2027, 4, 1, 12, 0, 0, 0, time.UTC)},
	} {
		resp, body := e.get("/freebusy/room-1@rooms.test.ifb" + c.q)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%q: %s\n%s", c.q, resp.Status, body)
			continue
		}
		fbs, err := vcal.ParseFreeBusy([]byte(body), nil)
		if err != nil || len(fbs) != 1 || !fbs[0].Start.Equal(c.from) || !fbs[0].End.Equal(c.to) {
			t.Errorf("%q: want %v..%v\n%s", c.q, c.from, c.to, body)
		}
	}
}

// Bad dates and windows are 400; a path that names no local user, or no
// .ifb, is 404.
func TestFreeBusyRefusals(t *testing.T) {
	e := newEnv(t)
	for _, q := range []string{
		"?start=yesterday", "?end=tomorrow", "?start=20270301&end=20270301", "?start=20270302&end=20270301",
		"?start=2027-01-01&end=2028-06-01", "?end=" + strings.Repeat("9", 100), "?start=0001-01-01", "?start=2027-02-30",
	} {
		if r, body := e.get("/freebusy/room-1.ifb" + q); r.StatusCode != http.StatusBadRequest || !strings.HasPrefix(body, "web: ") {
			t.Errorf("%s: %s %q, want 400", q, r.Status, body)
		}
	}
	// A window of 366 days is the longest.
	if r, _ := e.get("/freebusy/room-1.ifb?start=2027-01-01&end=2028-01-02"); r.StatusCode != http.StatusOK {
		t.Errorf("366 days: %s", r.Status)
	}
	for _, p := range []string{
		"/freebusy/nobody.ifb", "/freebusy/room-1", "/freebusy/room-1.ics", "/freebusy/room-1@elsewhere.test.ifb",
		"/freebusy/moved.ifb", "/freebusy/.ifb", "/freebusy/a%20b.ifb", "/freebusy/" + strings.Repeat("r", 300) + ".ifb",
	} {
		if r, _ := e.get(p); r.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s, want 404", p, r.Status)
		}
	}
}

// The free/busy rules of the directory apply over HTTP, with HTTP Basic
// credentials checked as AUTHENTICATE LOGIN checks them: alice's calendar
// is for logged-in users and peers, carol's for carol alone.
func TestFreeBusyAccess(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/freebusy/alice.ifb", "/calendar/alice.ics", "/freebusy/carol.ifb", "/calendar/carol.ics"} {
		r, _ := e.get(p)
		if r.StatusCode != http.StatusUnauthorized || r.Header.Get("WWW-Authenticate") != `Basic realm="cipmini", charset="UTF-8"` {
			t.Errorf("anonymous %s: %s %v", p, r.Status, r.Header)
		}
		if r := e.getAs(p, "alice", "wrong"); r.StatusCode != http.StatusUnauthorized || r.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("a wrong password %s: %s", p, r.Status)
		}
		if r := e.getAs(p, "carol", carolPW); r.StatusCode != http.StatusOK {
			t.Errorf("carol %s: %s", p, r.Status)
		}
	}
	for _, c := range []struct {
		path, login, pw string
		code            int
	}{
		{"/freebusy/alice.ifb", "alice", alicePW, 200},
		{"/freebusy/alice.ifb", "alice@rooms.test", alicePW, 200},
		{"/freebusy/alice.ifb", "b.test", peerPW, 200},
		{"/freebusy/carol.ifb", "alice", alicePW, 403},
		{"/calendar/carol.ics", "b.test", peerPW, 403},
		{"/freebusy/room-1.ifb", "alice", alicePW, 200},
		{"/freebusy/room-1.ifb", "alice", "wrong", 401}, // credentials given are checked even where none are needed
	} {
		if r := e.getAs(c.path, c.login, c.pw); r.StatusCode != c.code {
			t.Errorf("%s as %s: %s, want %d", c.path, c.login, r.Status, c.code)
		}
	}
}

// Failed HTTP logins count against the address as CIP logins do: past the
// limit they are refused unchecked, 429 with Retry-After, the right
// password too; other addresses are not affected.
func TestBasicLoginLimit(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Guard = &cipmini.LoginGuard{PerMinute: 3, BaseDelay: -1} })
	for i := range 3 {
		if r := e.getAs("/freebusy/alice.ifb", "alice", "wrong"); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %s", i, r.Status)
		}
	}
	r := e.getAs("/freebusy/alice.ifb", "alice", alicePW)
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "60" {
		t.Fatalf("after 3 failures: %s %v", r.Status, r.Header)
	}
	other := requestFrom("GET", "/freebusy/alice.ifb", "198.51.100.7:4000")
	other.SetBasicAuth("alice", alicePW)
	if r := serve(e.h, other); r.StatusCode != http.StatusOK {
		t.Fatalf("another address: %s", r.Status)
	}
	// The panel PIN shares the count: the blocked address cannot act.
	var v actionErrorJSON
	if code := e.panelPost("room-1", "book", testPIN, url.Values{"minutes": {"15"}}, &v); code != http.StatusForbidden || v.Error != "Too many wrong PINs, try again later" {
		t.Errorf("a PIN from a blocked address: %d %+v", code, v)
	}
}
