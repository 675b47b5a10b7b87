package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/store"
)

// The .ifb answer is iCalendar a third-party parser reads, with the same
// periods as CIP FREEBUSY for the same window, and it is cacheable.
func TestHTTPFreeBusyMatchesCIP(t *testing.T) {
	d := startDaemon(t, writeWebConfig(t, ""), t.TempDir())
	base := httpBase(t, d)
	day := time.Date(2027, 3, 2, 0, 0, 0, 0, time.UTC)
	sendAs(t, d, invitation("a@test", "Planning", day.Add(9*time.Hour), day.Add(10*time.Hour)))
	sendAs(t, d, invitation("b@test", "Review", day.Add(10*time.Hour), day.Add(11*time.Hour+30*time.Minute)))
	sendAs(t, d, invitation("c@test", "Next day", day.Add(33*time.Hour), day.Add(34*time.Hour)))
	from, to := day.Add(9*time.Hour+30*time.Minute), day.Add(48*time.Hour)

	u := base + "/freebusy/room-1.ifb?start=" + url.QueryEscape(from.Format(time.RFC3339)) + "&end=20270304T000000Z"
	resp, body := httpGet(t, u)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("GET .ifb: %s %s\n%s", resp.Status, resp.Header.Get("Content-Type"), body)
	}
	py := parseWithPython(t, body)
	want := cipFreeBusy(t, d, "room-1@web.test", from, to)
	if len(want) != 2 || !reflect.DeepEqual(py.FB, want) {
		t.Fatalf(".ifb periods %q, CIP FREEBUSY %q", py.FB, want)
	}
	if py.Method != "PUBLISH" {
		t.Errorf("METHOD %q", py.Method)
	}

	etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if etag == "" || lm == "" {
		t.Fatalf("no ETag or Last-Modified: %v", resp.Header)
	}
	if r, _ := httpGet(t, u, "If-None-Match", etag); r.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %s", r.Status)
	}
	if r, _ := httpGet(t, u, "If-Modified-Since", lm); r.StatusCode != http.StatusNotModified {
		t.Errorf("If-Modified-Since: %s", r.Status)
	}
	// A change makes the cached copy stale.
	time.Sleep(1100 * time.Millisecond)
	sendAs(t, d, invitation("d@test", "Late", day.Add(20*time.Hour), day.Add(21*time.Hour)))
	r, body2 := httpGet(t, u, "If-None-Match", etag)
	if r.StatusCode != 200 || r.Header.Get("ETag") == etag || body2 == body {
		t.Errorf("after a change: %s, ETag %s", r.Status, r.Header.Get("ETag"))
	}
	if r, _ := httpGet(t, u, "If-Modified-Since", lm); r.StatusCode != 200 {
		t.Errorf("If-Modified-Since after a change: %s", r.Status)
	}

	// The default window starts today.
	resp, body = httpGet(t, base+"/freebusy/room-1@web.test.ifb")
	today := time.Now().UTC().Format("20060102")
	if resp.StatusCode != 200 || !strings.Contains(body, "DTSTART:"+today+"T000000Z") {
		t.Errorf("default window: %s\n%s", resp.Status, body)
	}
	for _, bad := range []string{"?start=yesterday", "?start=20270301&end=20270301", "?start=2027-01-01&end=2028-06-01", "?end=" + strings.Repeat("9", 100)} {
		if r, _ := httpGet(t, base+"/freebusy/room-1.ifb"+bad); r.StatusCode != 400 {
			t.Errorf("%s: %s, want 400", bad, r.Status)
		}
	}
	if r, _ := httpGet(t, base+"/freebusy/nobody.ifb"); r.StatusCode != 404 {
		t.Errorf("unknown user: %s", r.Status)
	}
}

// The free/busy rules of docs/PROTOCOL.md section 7.4 apply: alice's
// (authenticated by default) needs HTTP Basic credentials checked like
// AUTHENTICATE LOGIN.
func TestHTTPAccessRules(t *testing.T) {
	d := startDaemon(t, writeWebConfig(t, ""), t.TempDir())
	base := httpBase(t, d)
	for _, p := range []string{"/freebusy/alice.ifb", "/calendar/alice.ics"} {
		r, _ := httpGet(t, base+p)
		if r.StatusCode != 401 || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("anonymous %s: %s", p, r.Status)
		}
		req, _ := http.NewRequest("GET", base+p, nil)
		req.SetBasicAuth("alice", "wrong")
		if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != 401 {
			t.Errorf("wrong password %s: %v %v", p, err, r)
		} else {
			r.Body.Close()
		}
		req.SetBasicAuth("alice", "wonderland")
		if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != 200 {
			t.Errorf("alice %s: %v %v", p, err, r)
		} else {
			r.Body.Close()
		}
	}
	// People have no panel.
	if r, _ := httpGet(t, base+"/room/room-1"); r.StatusCode != 200 {
		t.Errorf("room panel: %s", r.Status)
	}
}

// The ICS feed lists the bookings a third-party parser reads; titles and
// organizers only where show_titles is set.
func TestICSFeed(t *testing.T) {
	d := startDaemon(t, writeWebConfig(t, ""), t.TempDir())
	base := httpBase(t, d)
	start := time.Now().UTC().Truncate(time.Hour).Add(24 * time.Hour)
	sendAs(t, d, invitation("secret@test", "Layoffs", start, start.Add(time.Hour)))

	_, body := httpGet(t, base+"/calendar/room-1.ics")
	py := parseWithPython(t, body)
	// The UID is an opaque reference: the UID lets its holder ask for
	// changes, and a room's feed is public.
	if len(py.Ev) != 1 || len(py.Ev[0].UID) != 32 || py.Ev[0].Summary != "Busy" || py.Ev[0].Organizer != "" ||
		py.Ev[0].Start != start.Format("20060102T150405Z") || py.Ev[0].Status != "CONFIRMED" {
		t.Fatalf("room-1 feed: %+v\n%s", py.Ev, body)
	}
	if strings.Contains(body, "Layoffs") || strings.Contains(body, "alice") || strings.Contains(body, "secret@test") {
		t.Fatalf("room-1 feed shows what it should hide:\n%s", body)
	}
	resp, body := httpGet(t, base+"/calendar/room-2.ics")
	py = parseWithPython(t, body)
	if len(py.Ev) != 1 || py.Ev[0].Summary != "Layoffs" || py.Ev[0].Organizer != "mailto:alice@web.test" || py.Ev[0].UID != "secret@test" {
		t.Fatalf("room-2 feed: %+v\n%s", py.Ev, body)
	}
	if r, _ := httpGet(t, base+"/calendar/room-2.ics", "If-None-Match", resp.Header.Get("ETag")); r.StatusCode != 304 {
		t.Errorf("If-None-Match: %s", r.Status)
	}
}

// A feed's opaque references survive a restart (a subscribed calendar sees
// the same events), are kept in the data directory, and differ between
// devices.
func TestFeedReferencesSurviveRestart(t *testing.T) {
	cfg, data := writeWebConfig(t, ""), t.TempDir()
	d := startDaemon(t, cfg, data)
	start := time.Now().UTC().Truncate(time.Hour).Add(24 * time.Hour)
	sendAs(t, d, invitation("kept@test", "Kept", start, start.Add(time.Hour)))
	uidOf := func(d *daemonProc) string {
		t.Helper()
		_, body := httpGet(t, httpBase(t, d)+"/calendar/room-1.ics")
		py := parseWithPython(t, body)
		if len(py.Ev) != 1 || len(py.Ev[0].UID) != 32 {
			t.Fatalf("room-1 feed: %+v\n%s", py.Ev, body)
		}
		return py.Ev[0].UID
	}
	before := uidOf(d)
	d.stop(t)
	if fi, err := os.Stat(filepath.Join(data, refKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the reference key: %v %v", fi, err)
	}
	d = startDaemon(t, cfg, data)
	if after := uidOf(d); after != before {
		t.Fatalf("the reference changed across a restart: %s, then %s", before, after)
	}
	// A backup restored onto another device (a data directory with a key
	// of its own) names the booking as before: the key travels in the
	// store, and the new device's file is brought in line.
	backup := filepath.Join(t.TempDir(), "room.bak")
	if out, err := runCmd(t, "", "backup", "--data", data, backup); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	d.stop(t)
	other := t.TempDir()
	d = startDaemon(t, cfg, other)
	sendAs(t, d, invitation("kept@test", "Kept", start, start.Add(time.Hour)))
	if elsewhere := uidOf(d); elsewhere == before {
		t.Fatal("two data directories name a booking alike")
	}
	d.stop(t)
	if out, err := runCmd(t, "", "restore", "--data", other, backup); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	d = startDaemon(t, cfg, other)
	if restored := uidOf(d); restored != before {
		t.Fatalf("the reference changed with a restore onto another device: %s, then %s", before, restored)
	}
	d.stop(t)
	if a, b := readFile(t, filepath.Join(data, refKeyFile)), readFile(t, filepath.Join(other, refKeyFile)); a != b {
		t.Fatal("the restored device's web.key differs from the key it uses")
	}

	// A data directory of an earlier version kept the key only in web.key:
	// the store takes it from there.
	db, err := store.Open(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *store.Tx) error { return tx.Delete(refKeyStoreKey) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	d = startDaemon(t, cfg, data)
	if after := uidOf(d); after != before {
		t.Fatalf("the reference changed when the store took web.key's key: %s, then %s", before, after)
	}
	d.stop(t)

	// Something else under the store's name for the key is replaced by
	// the file's key, not a reason to stay down.
	if db, err = store.Open(data, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *store.Tx) error { return tx.Set(refKeyStoreKey, "not a key") }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	d = startDaemon(t, cfg, data)
	if after := uidOf(d); after != before {
		t.Fatalf("the reference changed when the store's key was replaced: %s, then %s", before, after)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// /healthz answers, and /metrics counts sessions and commands by result.
func TestHealthAndMetrics(t *testing.T) {
	d := startDaemon(t, writeWebConfig(t, ""), t.TempDir())
	base := httpBase(t, d)
	if r, body := httpGet(t, base+"/healthz"); r.StatusCode != 200 || body != "ok\n" {
		t.Fatalf("healthz: %s %q", r.Status, body)
	}
	sendAs(t, d, invitation("m@test", "M", time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 10, 0, 0, 0, time.UTC)))
	cipFreeBusy(t, d, "room-1@web.test", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC))
	r, body := httpGet(t, base+"/metrics")
	if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("metrics: %s %s", r.Status, r.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`cipmini_commands_total{verb="SENDEVENT",result="ok_000"} 1`,
		`cipmini_commands_total{verb="FREEBUSY",result="ok_000"} 1`,
		"cipmini_sessions_total 2", "cipmini_queue_length 0", "# TYPE cipmini_store_written_bytes_total counter",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
		if !strings.HasPrefix(line, "# ") && len(strings.Fields(line)) != 2 {
			t.Errorf("not a sample line: %q", line)
		}
	}
}

// panelPost posts a panel action.
func panelPost(t *testing.T, base, room, action, pin string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/room/"+room+"/"+action, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if pin != "" {
		req.Header.Set("X-Panel-Pin", pin)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v
}

// Panel actions need the PIN, book through SENDEVENT (CIP FREEBUSY sees
// them), extend and end the room's own booking, and check in.
func TestPanelActionsOverHTTP(t *testing.T) {
	d := startDaemon(t, writeWebConfig(t, ""), t.TempDir())
	base := httpBase(t, d)
	if code, _ := panelPost(t, base, "room-1", "book", "", url.Values{"minutes": {"30"}}); code != 403 {
		t.Fatalf("book without PIN: %d", code)
	}
	if code, _ := panelPost(t, base, "room-1", "book", "0000", url.Values{"minutes": {"30"}}); code != 403 {
		t.Fatalf("book with a wrong PIN: %d", code)
	}
	if code, v := panelPost(t, base, "room-1", "book", "4321", url.Values{"minutes": {"45"}}); code != 409 {
		t.Fatalf("book 45 min: %d %v", code, v)
	}
	code, v := panelPost(t, base, "room-1", "book", "4321", url.Values{"minutes": {"30"}})
	if code != 200 || v["free"] != false {
		t.Fatalf("book: %d %v", code, v)
	}
	cur := v["current"].(map[string]any)
	uid := cur["uid"].(string)
	now := time.Now().UTC()
	fb := cipFreeBusy(t, d, "room-1@web.test", now.Add(-time.Hour), now.Add(2*time.Hour))
	if len(fb) != 1 || !strings.HasSuffix(fb[0], " BUSY") {
		t.Fatalf("CIP FREEBUSY after booking at the panel: %q", fb)
	}
	if code, v := panelPost(t, base, "room-1", "book", "4321", url.Values{"minutes": {"15"}}); code != 409 {
		t.Fatalf("book a busy room: %d %v", code, v)
	}
	end0, _ := time.Parse(time.RFC3339, cur["end"].(string))
	code, v = panelPost(t, base, "room-1", "extend", "4321", url.Values{"uid": {uid}, "minutes": {"15"}})
	if code != 200 {
		t.Fatalf("extend: %d %v", code, v)
	}
	end1, _ := time.Parse(time.RFC3339, v["current"].(map[string]any)["end"].(string))
	if end1.Sub(end0) != 15*time.Minute {
		t.Fatalf("extend: end %v -> %v", end0, end1)
	}
	code, v = panelPost(t, base, "room-1", "checkin", "4321", url.Values{"uid": {uid}})
	if code != 200 || v["current"].(map[string]any)["checkedIn"] != true {
		t.Fatalf("check in: %d %v", code, v)
	}
	code, v = panelPost(t, base, "room-1", "end", "4321", url.Values{"uid": {uid}})
	if code != 200 || v["free"] != true {
		t.Fatalf("end: %d %v", code, v)
	}
	fb = cipFreeBusy(t, d, "room-1@web.test", time.Now().UTC().Add(time.Second), time.Now().Add(2*time.Hour))
	if len(fb) != 0 {
		t.Fatalf("CIP FREEBUSY after ending: %q", fb)
	}
	// Five wrong PINs lock the actions for a minute, even with the right one.
	for range 5 {
		panelPost(t, base, "room-1", "book", "1111", url.Values{"minutes": {"15"}})
	}
	if code, _ := panelPost(t, base, "room-1", "book", "4321", url.Values{"minutes": {"15"}}); code != 403 {
		t.Fatalf("after five wrong PINs: %d", code)
	}
}

// With checkin_grace, a booking nobody checked in to is released.
func TestCheckInRelease(t *testing.T) {
	d := startDaemon(t, writeWebConfig(t, `checkin_grace = "2s"`), t.TempDir())
	base := httpBase(t, d)
	// An invitation already going on, booked after the start, by alice: both
	// rooms decline it once the grace period is over.
	now := time.Now().UTC().Truncate(time.Second)
	sendAs(t, d, invitation("walkaway@test", "Nobody came", now, now.Add(time.Hour)))
	waitFree(t, d, "room-1@web.test", "room-2@web.test")
	// A booking made at the panel is ended.
	code, v := panelPost(t, base, "room-2", "book", "4321", url.Values{"minutes": {"30"}})
	if code != 200 {
		t.Fatalf("book room-2: %d %v", code, v)
	}
	waitFree(t, d, "room-2@web.test")
	// The web's own lines: the store's audit trail quotes the reason too.
	if n := strings.Count(d.log.String(), "web: booking released, nobody checked in"); n != 3 {
		t.Errorf("%d log lines for releases, want 3:\n%s", n, d.log)
	}
	// A booking checked in to is kept.
	code, v = panelPost(t, base, "room-1", "book", "4321", url.Values{"minutes": {"30"}})
	if code != 200 {
		t.Fatalf("book room-1: %d %v", code, v)
	}
	uid := v["current"].(map[string]any)["uid"].(string)
	if code, v := panelPost(t, base, "room-1", "checkin", "4321", url.Values{"uid": {uid}}); code != 200 {
		t.Fatalf("check in: %d %v", code, v)
	}
	time.Sleep(4 * time.Second)
	if fb := cipFreeBusy(t, d, "room-1@web.test", time.Now().Add(time.Second), time.Now().Add(time.Hour)); len(fb) != 1 {
		t.Fatalf("a checked-in booking was released: %q", fb)
	}
}

// waitFree waits up to 30 s until the users are free from now for an hour.
func waitFree(t *testing.T, d *daemonProc, users ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		busy := false
		for _, u := range users {
			if len(cipFreeBusy(t, d, u, time.Now().Add(time.Second), time.Now().Add(time.Hour))) > 0 {
				busy = true
			}
		}
		if !busy {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("%v not released:\n%s", users, d.log)
}
