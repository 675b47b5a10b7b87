package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cmd/cipmini/web"
)

// A series booked every three minutes, back to back, for a year: the ICS
// feed lists its first web.FeedMaxEvents instances instead of failing (it
// once answered 413), and the panel shows the booking going on now.
func TestHTTPDenseSeriesFeedAndPanel(t *testing.T) {
	d := startDaemon(t, writeWebConfig(t, ""), t.TempDir())
	base := httpBase(t, d)
	start := time.Now().UTC().Truncate(time.Hour).Add(-24 * time.Hour)
	ev := strings.Replace(string(invitation("dense@test", "Standup", start, start.Add(3*time.Minute))),
		"END:VEVENT", "RRULE:FREQ=MINUTELY;INTERVAL=3;COUNT=170000\r\nEND:VEVENT", 1)
	r := sendAs(t, d, []byte(ev))
	confirmed := 0
	for _, in := range r.Info {
		if in.Code == cipmini.InfoConfirmed {
			confirmed++
		}
	}
	if confirmed != 2 {
		t.Fatalf("the series was not booked in both rooms: %v", r.Info)
	}

	resp, body := httpGet(t, base+"/calendar/room-2.ics")
	if resp.StatusCode != 200 {
		t.Fatalf("feed of a dense series: %s %.200s", resp.Status, body)
	}
	if n := strings.Count(body, "BEGIN:VEVENT\r\n"); n != web.FeedMaxEvents {
		t.Fatalf("feed lists %d events, want %d", n, web.FeedMaxEvents)
	}
	for i, want := range []time.Time{start, start.Add(3 * time.Minute), start.Add(time.Duration(web.FeedMaxEvents-1) * 3 * time.Minute)} {
		stamp := want.Format("20060102T150405Z")
		if !strings.Contains(body, "DTSTART:"+stamp+"\r\n") || !strings.Contains(body, "UID:dense@test/"+stamp+"\r\n") {
			t.Fatalf("instance %d at %s missing from the feed", i, stamp)
		}
	}
	if strings.Contains(body, "DTSTART:"+start.Add(time.Duration(web.FeedMaxEvents)*3*time.Minute).Format("20060102T150405Z")) {
		t.Fatal("the feed goes past its limit")
	}
	if !strings.Contains(body, "SUMMARY:Standup\r\n") {
		t.Fatal("room-2 shows titles")
	}

	resp, body = httpGet(t, base+"/room/room-1/state")
	var v struct {
		Free     bool
		Current  *struct{ UID string }
		Next     []json.RawMessage
		Timeline []json.RawMessage
	}
	if err := json.Unmarshal([]byte(body), &v); resp.StatusCode != 200 || err != nil {
		t.Fatalf("panel state: %s %v %.200s", resp.Status, err, body)
	}
	// room-1 shows no titles: the booking is named by its opaque reference.
	if v.Free || v.Current == nil || v.Current.UID == "" || v.Current.UID == "dense@test" {
		t.Fatalf("panel during the series: free=%v current=%+v", v.Free, v.Current)
	}
	if len(v.Timeline) == 0 || len(v.Timeline) > web.PanelMaxBookings || len(v.Next) > web.PanelMaxBookings {
		t.Fatalf("panel lists %d bookings, %d next; want at most %d", len(v.Timeline), len(v.Next), web.PanelMaxBookings)
	}
}
