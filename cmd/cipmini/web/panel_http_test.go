package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// GET /room/<room> is the panel page of a room or equipment, not cached,
// under a strict Content-Security-Policy; people, unknown and moved users
// have none, and a room whose free/busy is private needs its login.
func TestPanelPage(t *testing.T) {
	e := newEnv(t)
	resp, body := e.get("/room/room-1")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("panel page: %s %v", resp.Status, resp.Header)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'none'", "connect-src 'self'", "frame-ancestors 'none'", "form-action 'none'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, d)
		}
	}
	if !strings.Contains(body, `data-room="room-1@rooms.test"`) || !strings.Contains(body, "<title>room-1@rooms.test</title>") {
		t.Errorf("panel page does not name its room:\n%.400s", body)
	}
	if r, _ := e.get("/room/projector@rooms.test"); r.StatusCode != http.StatusOK {
		t.Errorf("equipment panel: %s", r.Status)
	}
	for _, p := range []string{"/room/alice", "/room/nobody", "/room/moved", "/room/alice/state", "/room/nobody/state"} {
		r := e.getAs(p, "alice", alicePW)
		if r.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s, want 404", p, r.Status)
		}
	}
	for _, p := range []string{"/room/vault", "/room/vault/state"} {
		if r, _ := e.get(p); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("anonymous %s: %s, want 401", p, r.Status)
		}
		if r := e.getAs(p, "alice", alicePW); r.StatusCode != http.StatusForbidden {
			t.Errorf("alice %s: %s, want 403", p, r.Status)
		}
		if r := e.getAs(p, "vault", "vault-pw"); r.StatusCode != http.StatusOK {
			t.Errorf("vault %s: %s", p, r.Status)
		}
	}
}

// GET /room/<room>/state is the day as the panel shows it: the booking
// going on, the rest of today, the whole day's timeline, free until when;
// titles only where shown, and the time, zone and settings of the server.
func TestPanelState(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.CheckInGrace = 10 * time.Minute })
	v := e.state("room-1")
	day := t0.Truncate(24 * time.Hour)
	if !v.Free || v.Current != nil || v.FreeUntil != nil || len(v.Next) != 0 || len(v.Timeline) != 0 || v.CheckIn ||
		v.Room != "room-1@rooms.test" || !v.Now.Equal(t0) || !v.DayStart.Equal(day) || !v.DayEnd.Equal(day.Add(24*time.Hour)) ||
		!v.Actions || v.GraceSec != 600 {
		t.Fatalf("an empty day: %+v", v)
	}
	_, body := e.get("/room/room-1/state")
	if !strings.Contains(body, `"next":[]`) || !strings.Contains(body, `"timeline":[]`) {
		t.Errorf("empty lists are not [] (the page iterates them): %s", body)
	}

	e.invite(invitation("yesterday@test", "Y", t0.Add(-24*time.Hour), t0.Add(-23*time.Hour), []string{"room-1", "room-2"}))
	e.invite(invitation("now@test", "Planning", t0.Add(-30*time.Minute), t0.Add(30*time.Minute), []string{"room-1", "room-2"}))
	e.invite(invitation("later@test", "Review", t0.Add(4*time.Hour), t0.Add(5*time.Hour), []string{"room-1", "room-2"}))
	e.invite(invitation("tomorrow@test", "T", t0.Add(24*time.Hour), t0.Add(25*time.Hour), []string{"room-1", "room-2"}))
	v = e.state("room-1")
	if v.Free || v.FreeUntil != nil || v.Current == nil || len(v.Next) != 1 || len(v.Timeline) != 2 || !v.CheckIn {
		t.Fatalf("room-1 with a booking going on: %+v", v)
	}
	cur := *v.Current
	if cur.UID != bookingRef(testRefKey, "now@test") || cur.Title != "Busy" || !cur.Start.Equal(t0.Add(-30*time.Minute)) ||
		!cur.End.Equal(t0.Add(30*time.Minute)) || cur.Own || cur.CheckedIn || cur.Tentative {
		t.Errorf("room-1 current: %+v", cur)
	}
	if v.Next[0].UID != bookingRef(testRefKey, "later@test") || v.Next[0].Title != "Busy" || v.Timeline[0] != cur || v.Timeline[1] != v.Next[0] {
		t.Errorf("room-1 next %+v, timeline %+v", v.Next, v.Timeline)
	}
	v = e.state("room-2")
	if v.Current == nil || v.Current.UID != "now@test" || v.Current.Title != "Planning" || len(v.Next) != 1 || v.Next[0].Title != "Review" {
		t.Errorf("room-2, showing titles: %+v", v)
	}
	// After the booking, the room is free until the next one.
	e.clock.Advance(time.Hour)
	v = e.state("room-1")
	if !v.Free || v.Current != nil || v.FreeUntil == nil || !v.FreeUntil.Equal(t0.Add(4*time.Hour)) || v.CheckIn || len(v.Timeline) != 2 {
		t.Errorf("room-1 between bookings: %+v", v)
	}
	// A booking the projector has yet to confirm is tentative.
	e.invite(invitation("maybe@test", "M", t0.Add(time.Hour), t0.Add(2*time.Hour), []string{"projector"}))
	if v := e.state("projector"); v.Current == nil || !v.Current.Tentative {
		t.Errorf("projector: %+v", v)
	}
	// Without a PIN the panel is read-only.
	ro := newEnv(t, func(o *Options) { o.PanelPIN = "" })
	if v := ro.state("room-1"); v.Actions || v.GraceSec != 0 {
		t.Errorf("without a PIN: %+v", v)
	}
	var refused actionErrorJSON
	if code := ro.panelPost("room-1", "book", "anything", form("minutes", "15"), &refused); code != http.StatusForbidden ||
		refused.Error != "Panel actions are off (no panel_pin configured)" {
		t.Errorf("an action without a PIN configured: %d %+v", code, refused)
	}
}

// Panel actions need the PIN in X-Panel-Pin. A missing one is refused and
// not counted; wrong ones are, and at five the address's actions are
// refused even with the right PIN, while other addresses still act.
func TestPanelPIN(t *testing.T) {
	e := newEnv(t)
	var v actionErrorJSON
	for range 10 {
		if code := e.panelPost("room-1", "book", "", form("minutes", "15"), &v); code != http.StatusForbidden || v.Error != "PIN required" {
			t.Fatalf("no PIN: %d %+v", code, v)
		}
	}
	for i := range 4 {
		if code := e.panelPost("room-1", "book", "0000", form("minutes", "15"), &v); code != http.StatusForbidden || v.Error != "Wrong PIN" {
			t.Fatalf("wrong PIN %d: %d %+v", i, code, v)
		}
	}
	if code := e.panelPost("room-1", "checkin", testPIN, form("uid", "none"), &v); code != http.StatusConflict {
		t.Fatalf("the right PIN after 4 wrong ones: %d %+v", code, v)
	}
	e.panelPost("room-1", "book", "0000", form("minutes", "15"), &v)
	if code := e.panelPost("room-1", "book", testPIN, form("minutes", "15"), &v); code != http.StatusForbidden || v.Error != "Too many wrong PINs, try again later" {
		t.Fatalf("the right PIN after 5 wrong ones: %d %+v", code, v)
	}
	r := requestFrom(http.MethodPost, "/room/room-1/book", "198.51.100.7:4000")
	r.Body = http.NoBody
	r.URL.RawQuery = "minutes=15"
	r.Header.Set("X-Panel-Pin", testPIN)
	if resp := serve(e.h, r); resp.StatusCode != http.StatusOK {
		t.Fatalf("the right PIN from another address: %s", resp.Status)
	}
}

// Refused actions: an unknown action, a user with no panel, a body over
// 4 KiB or not a form, lengths other than 15, 30 and 60 minutes, a
// booking that is not going on.
func TestPanelActionRefusals(t *testing.T) {
	e := newEnv(t)
	var v actionErrorJSON
	if code := e.panelPost("room-1", "explode", testPIN, nil, &v); code != http.StatusNotFound || v.Error != "No such action" {
		t.Errorf("an unknown action: %d %+v", code, v)
	}
	if code := e.panelPost("room-1", "state", testPIN, nil, &v); code != http.StatusNotFound {
		t.Errorf("POST state: %d %+v", code, v)
	}
	for _, room := range []string{"nobody", "moved", "a%20b"} {
		if code := e.panelPost(room, "book", testPIN, form("minutes", "15"), nil); code != http.StatusNotFound {
			t.Errorf("book %s: %d, want 404", room, code)
		}
	}
	if code := e.panelPost("vault", "book", testPIN, form("minutes", "15"), nil); code != http.StatusUnauthorized {
		t.Errorf("book the private vault anonymously: %d, want 401", code)
	}
	for _, body := range []string{"minutes=15&pad=" + strings.Repeat("x", 4096), "minutes=%zz"} {
		r := httptest.NewRequest(http.MethodPost, "/room/room-1/book", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("X-Panel-Pin", testPIN)
		resp := serve(e.h, r)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("a body of %d bytes: %s, want 400", len(body), resp.Status)
		}
	}
	for _, c := range []struct {
		action string
		form   url.Values
		want   string
	}{
		{"book", nil, "Book for 15, 30 or 60 minutes"},
		{"book", form("minutes", "45"), "Book for 15, 30 or 60 minutes"},
		{"book", form("minutes", "-15"), "Book for 15, 30 or 60 minutes"},
		{"book", form("minutes", "15m"), "Book for 15, 30 or 60 minutes"},
		{"extend", form("minutes", "20", "uid", "x"), "Extend by 15, 30 or 60 minutes"},
		{"extend", form("minutes", "15", "uid", "x"), "No such booking going on now"},
		{"end", form("uid", "x"), "No such booking going on now"},
		{"end", nil, "No such booking going on now"},
		{"checkin", form("uid", ""), "No such booking going on now"},
	} {
		if code := e.panelPost("room-1", c.action, testPIN, c.form, &v); code != http.StatusConflict || v.Error != c.want {
			t.Errorf("%s %v: %d %+v, want 409 %q", c.action, c.form, code, v, c.want)
		}
	}
	if s := e.state("room-1"); !s.Free || len(s.Timeline) != 0 {
		t.Errorf("refused actions changed the room: %+v", s)
	}
}
