package main

import (
	"fmt"
	"math/rand"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/ciptest"
)

// feedBooking is one VEVENT of an ICS feed.
type feedBooking struct {
	start, end time.Time
	confirmed  bool
	event      string // the UID (or its reference) without an instance's "/start"
}

// roomFeed reads the room's ICS feed: each booking on its own, unmerged.
func roomFeed(t *testing.T, base, room string) []feedBooking {
	t.Helper()
	resp, body := httpGet(t, base+"/calendar/"+room+".ics")
	if resp.StatusCode != 200 {
		t.Fatalf("feed: %s\n%s", resp.Status, body)
	}
	var out []feedBooking
	var cur *feedBooking
	for _, l := range strings.Split(body, "\r\n") {
		switch {
		case l == "BEGIN:VEVENT":
			cur = &feedBooking{}
		case l == "END:VEVENT" && cur != nil:
			out = append(out, *cur)
			cur = nil
		case cur == nil:
		case strings.HasPrefix(l, "UID:"):
			cur.event, _, _ = strings.Cut(strings.TrimPrefix(l, "UID:"), "/")
		case strings.HasPrefix(l, "DTSTART:"):
			cur.start, _ = time.Parse(icalUTC, strings.TrimPrefix(l, "DTSTART:"))
		case strings.HasPrefix(l, "DTEND:"):
			cur.end, _ = time.Parse(icalUTC, strings.TrimPrefix(l, "DTEND:"))
		case l == "STATUS:CONFIRMED":
			cur.confirmed = true
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].start.Before(out[j].start) })
	return out
}

// A smaller randomized run against the daemon over TCP and HTTP: random
// invitations, moves, overrides, cancellations and anonymous answers from
// alice, two peers and an anonymous client, and panel bookings and
// extensions, checked after each step against the room's feed: no two
// confirmed bookings still to come overlap, and a change from anyone but
// the organizer is refused and changes nothing.
func TestTrustRandomizedDaemon(t *testing.T) {
	steps := 500
	if testing.Short() || runtime.GOARCH == "arm" {
		steps = 100
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "trust.toml")
	if err := os.WriteFile(cfg, []byte(strings.Replace(trustConfig, "allow_anonymous_rsvp = true", "allow_anonymous_rsvp = true\npanel_pin = \"4321\"", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, cfg, t.TempDir())
	base := httpBase(t, d)
	type client struct {
		c    *cipmini.Client
		name string // who it speaks for: a user id, "@domain" for a peer, "" anonymous
	}
	clients := []client{
		{loggedIn(t, d, "alice", "wonderland"), "alice@rooms.example"},
		{loggedIn(t, d, "a.example", "pw-a"), "@a.example"},
		{loggedIn(t, d, "b.example", "pw-b"), "@b.example"},
		{d.client(t), ""},
	}
	orgs := []string{"alice@rooms.example", "tom@a.example", "bob@b.example"}
	authorized := func(cl client, org string) bool {
		return cl.name != "" && (cl.name == org || strings.HasPrefix(cl.name, "@") && strings.HasSuffix(org, cl.name))
	}
	seed := int64(13) // or $CIPMINI_MODEL_SEED, to explore others
	fmt.Sscan(os.Getenv("CIPMINI_MODEL_SEED"), &seed)
	rnd := rand.New(rand.NewSource(seed))
	t0 := time.Now().UTC().Truncate(30 * time.Minute).Add(time.Hour)
	slot := func() (time.Time, time.Time) {
		s := t0.Add(time.Duration(rnd.Intn(12)) * 30 * time.Minute)
		return s, s.Add(time.Duration(1+rnd.Intn(4)) * 30 * time.Minute)
	}
	type stored struct {
		org       string
		seq       int
		start     time.Time
		recurring bool
	}
	events := map[string]*stored{}
	var uids []string
	stamp := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	next := func() string { stamp = stamp.Add(time.Minute); return stamp.Format(icalUTC) }
	denied := 0
	for i := 0; i < steps; i++ {
		cl := clients[rnd.Intn(len(clients))]
		before := roomFeed(t, base, "room-1")
		op := rnd.Intn(8)
		if len(uids) == 0 {
			op = 0
		}
		var uid string
		var ev *stored
		if op != 0 && op != 6 {
			uid = uids[rnd.Intn(len(uids))]
			ev = events[uid]
		}
		var answer string
		switch op {
		case 0, 1: // a new invitation, a third of them daily series
			uid = fmt.Sprintf("r%d@x", i)
			org := orgs[rnd.Intn(len(orgs))]
			s, e := slot()
			var extra []string
			if rnd.Intn(3) == 0 {
				extra = append(extra, "RRULE:FREQ=DAILY;COUNT=2")
			}
			answer = cipAnswer(t, cl.c, false, trustEvent(uid, 0, next(), s.Format(icalUTC), e.Format(icalUTC), org, extra...))
			if strings.Contains(answer, "OK 000 Stored") {
				events[uid] = &stored{org: org, start: s, recurring: len(extra) > 0}
				uids = append(uids, uid)
			}
			ev = nil
		case 2, 3: // a move, same SEQUENCE later DTSTAMP or a new SEQUENCE
			s, e := slot()
			seq := ev.seq + rnd.Intn(2)
			var extra []string
			if ev.recurring {
				extra = append(extra, "RRULE:FREQ=DAILY;COUNT=2")
			}
			answer = cipAnswer(t, cl.c, false, trustEvent(uid, seq, next(), s.Format(icalUTC), e.Format(icalUTC), ev.org, extra...))
			if authorized(cl, ev.org) {
				ev.seq, ev.start = seq, s
			}
		case 4: // a moved occurrence
			s, e := slot()
			rid := ev.start.AddDate(0, 0, rnd.Intn(2)).Format(icalUTC)
			answer = cipAnswer(t, cl.c, false, trustEvent(uid, ev.seq, next(), s.Format(icalUTC), e.Format(icalUTC), ev.org, "RECURRENCE-ID:"+rid))
		case 5: // a cancellation
			s, e := slot()
			answer = cipAnswer(t, cl.c, false, trustEvent(uid, ev.seq+1, next(), s.Format(icalUTC), e.Format(icalUTC), ev.org, "STATUS:CANCELLED"))
			if authorized(cl, ev.org) {
				ev.seq++
			}
		case 6: // the panel books the room now, or extends its booking
			action := []string{"book", "extend"}[rnd.Intn(2)]
			form := url.Values{"minutes": {fmt.Sprint([]int{15, 30, 60}[rnd.Intn(3)])}}
			if action == "extend" {
				_, body := httpGet(t, base+"/room/room-1/state")
				_, after, ok := strings.Cut(body, `"current":{"uid":"`)
				if !ok {
					continue
				}
				ref, _, _ := strings.Cut(after, `"`)
				form.Set("uid", ref)
			}
			panelPost(t, base, "room-1", action, "4321", form)
		case 7: // an anonymous answer ACCEPTED for the room
			answer = cipAnswer(t, clients[3].c, true, []byte("UID:"+uid+"\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:room-1@rooms.example\r\n"))
			if strings.HasPrefix(answer, "OK") || strings.Contains(answer, "CONFIRMED room-1") {
				t.Fatalf("step %d: an anonymous answer for the room was taken: %s", i, answer)
			}
		}
		after := roomFeed(t, base, "room-1")
		if ev != nil && op >= 2 && op <= 5 && !authorized(cl, ev.org) {
			denied++
			if !strings.HasSuffix(answer, "NO 000 Not stored: only the organizer may change this event") {
				t.Fatalf("step %d: %q changed %s organized by %s: %s", i, cl.name, uid, ev.org, answer)
			}
			if fmt.Sprint(before) != fmt.Sprint(after) {
				t.Fatalf("step %d: a refused change changed the room's bookings:\n%v\n%v", i, before, after)
			}
		}
		// No two confirmed bookings still going on overlap, except an
		// event's own instances (an occurrence moved onto another).
		now := time.Now()
		var spans []ciptest.Span
		for _, b := range after {
			if b.confirmed && b.end.After(now) {
				spans = append(spans, ciptest.Span{Start: b.start, End: b.end, Event: b.event})
			}
		}
		if a, b, ok := ciptest.Overlap(spans); ok {
			t.Fatalf("step %d: two confirmed bookings overlap: %v-%v and %v-%v\n%s", i, a.Start, a.End, b.Start, b.End, d.log)
		}
	}
	if denied == 0 {
		t.Fatal("no change was refused: the run tested nothing")
	}
	t.Logf("%d steps, %d events, %d refused changes", steps, len(uids), denied)
}
