package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
)

// trustConfig is a server with two rooms (room-2 shows titles), alice, and
// the peers a.example and b.example; anonymous RSVPs are allowed.
const trustConfig = `server_id = "rooms.example"
allow_anonymous_rsvp = true
` + twoRoomsAndAlice + `
[[peer]]
server_id = "a.example"
password = "pw-a"

[[peer]]
server_id = "b.example"
password = "pw-b"
`

// trustEvent is an invitation of the rooms; extra lines go into the VEVENT.
func trustEvent(uid string, seq int, stamp, start, end, organizer string, extra ...string) []byte {
	lines := []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", "METHOD:REQUEST", "BEGIN:VEVENT",
		"UID:" + uid, fmt.Sprintf("SEQUENCE:%d", seq), "DTSTAMP:" + stamp, "DTSTART:" + start, "DTEND:" + end,
		"ORGANIZER:mailto:" + organizer, "ATTENDEE:mailto:room-1@rooms.example", "ATTENDEE:mailto:room-2@rooms.example"}
	lines = append(lines, extra...)
	lines = append(lines, "END:VEVENT", "END:VCALENDAR", "")
	return []byte(strings.Join(lines, "\r\n"))
}

// cipAnswer sends a SENDEVENT or RSVP on c and renders the answer.
func cipAnswer(t *testing.T, c *cipmini.Client, rsvp bool, data []byte) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var r *cipmini.Reply
	var err error
	if rsvp {
		r, err = c.RSVP(ctx, data)
	} else {
		r, err = c.SendEvent(ctx, data)
	}
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, in := range r.Info {
		lines = append(lines, in.String())
	}
	return strings.Join(append(lines, r.Completion.String()), "\n")
}

// loggedIn dials the daemon and logs in.
func loggedIn(t *testing.T, d *daemonProc, id, pw string) *cipmini.Client {
	t.Helper()
	c := d.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if r, err := c.Authenticate(ctx, id, pw); err != nil || !r.Completion.OK {
		t.Fatalf("login %s: %v %+v", id, err, r)
	}
	return c
}

// The attacks of a stranger on the office network and of a foreign peer,
// against the real daemon: nobody but an event's organizer (or its
// server) changes it, no path books the room twice, and the feeds name no
// UID a stranger could use.
func TestTrustOverCIP(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "trust.toml")
	if err := os.WriteFile(cfg, []byte(trustConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	d := startDaemon(t, cfg, data)
	fb := func(from, to string) []string {
		f, _ := time.Parse(icalUTC, from)
		e, _ := time.Parse(icalUTC, to)
		return cipFreeBusy(t, d, "room-1@rooms.example", f, e)
	}
	want := func(what string, got []string, want ...string) {
		t.Helper()
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("%s: room-1 busy %q, want %q", what, got, want)
		}
	}
	expectAnswer := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Fatalf("%s:\ngot:\n%s\nwant:\n%s", what, got, want)
		}
	}
	const denied = "* PERMDENIED room-1@rooms.example\n* PERMDENIED room-2@rooms.example\n"
	const refusedText = "NO 000 Not stored: only the organizer may change this event"
	alice := loggedIn(t, d, "alice", "wonderland")
	anon := d.client(t)
	aPeer, bPeer := loggedIn(t, d, "a.example", "pw-a"), loggedIn(t, d, "b.example", "pw-b")
	const s1, s2, s3 = "20261120T100000Z", "20261121T100000Z", "20261122T100000Z"

	// alice's booking: a stranger cancels, moves, or swaps its organizer.
	victim := "victim@rooms.example"
	expectAnswer("alice books", cipAnswer(t, alice, false, trustEvent(victim, 0, s1, "20270301T100000Z", "20270301T110000Z", "alice@rooms.example")),
		"* CONFIRMED room-1@rooms.example\n* CONFIRMED room-2@rooms.example\nOK 000 Stored")
	cancel := trustEvent(victim, 7, s2, "20270301T100000Z", "20270301T110000Z", "mallory@evil.example", "STATUS:CANCELLED")
	expectAnswer("anonymous cancel", cipAnswer(t, anon, false, cancel), denied+"* NOTFOUND mallory@evil.example\n"+refusedText)
	move := trustEvent(victim, 7, s2, "20270301T140000Z", "20270301T150000Z", "alice@rooms.example")
	expectAnswer("anonymous move", cipAnswer(t, anon, false, move), "* PERMDENIED alice@rooms.example\n"+denied+refusedText)
	swap := trustEvent(victim, 8, s2, "20270301T100000Z", "20270301T110000Z", "mallory@evil.example")
	expectAnswer("anonymous organizer swap", cipAnswer(t, anon, false, swap), denied+"* NOTFOUND mallory@evil.example\n"+refusedText)
	want("after the stranger", fb("20270301T000000Z", "20270302T000000Z"), "20270301T100000Z/20270301T110000Z BUSY")

	// A peer cancels another server's booking.
	a1 := trustEvent("a1@a.example", 0, s1, "20270301T120000Z", "20270301T130000Z", "tom@a.example")
	expectAnswer("a.example books", cipAnswer(t, aPeer, false, a1),
		"* CONFIRMED room-1@rooms.example\n* CONFIRMED room-2@rooms.example\n* NOTFOUND tom@a.example\nOK 000 Stored")
	a1Cancel := trustEvent("a1@a.example", 1, s2, "20270301T120000Z", "20270301T130000Z", "tom@a.example", "STATUS:CANCELLED")
	expectAnswer("b.example cancels a.example's booking", cipAnswer(t, bPeer, false, a1Cancel), denied+"* NOTFOUND tom@a.example\n"+refusedText)
	want("after b.example", fb("20270301T000000Z", "20270302T000000Z"),
		"20270301T100000Z/20270301T110000Z BUSY", "20270301T120000Z/20270301T130000Z BUSY")

	// The same SEQUENCE with a later DTSTAMP moves a1 onto alice's booking.
	a1Move := trustEvent("a1@a.example", 0, s2, "20270301T103000Z", "20270301T113000Z", "tom@a.example")
	expectAnswer("same-sequence move onto a booking", cipAnswer(t, aPeer, false, a1Move),
		"* DECLINED room-1@rooms.example\n* DECLINED room-2@rooms.example\n* NOTFOUND tom@a.example\nOK 000 Stored")
	want("after the move", fb("20270301T000000Z", "20270302T000000Z"), "20270301T100000Z/20270301T110000Z BUSY")

	// A RECURRENCE-ID override moves one occurrence of a series onto a
	// booking: that occurrence is declined.
	expectAnswer("a.example's series", cipAnswer(t, aPeer, false,
		trustEvent("s1@a.example", 0, s1, "20270302T090000Z", "20270302T100000Z", "tom@a.example", "RRULE:FREQ=DAILY;COUNT=3")),
		"* CONFIRMED room-1@rooms.example\n* CONFIRMED room-2@rooms.example\n* NOTFOUND tom@a.example\nOK 000 Stored")
	expectAnswer("alice's booking on day 2", cipAnswer(t, alice, false,
		trustEvent("a2@rooms.example", 0, s1, "20270303T140000Z", "20270303T150000Z", "alice@rooms.example")),
		"* CONFIRMED room-1@rooms.example\n* CONFIRMED room-2@rooms.example\nOK 000 Stored")
	override := trustEvent("s1@a.example", 0, s2, "20270303T143000Z", "20270303T153000Z", "tom@a.example", "RECURRENCE-ID:20270303T090000Z")
	cipAnswer(t, aPeer, false, override)
	want("after the override", fb("20270303T000000Z", "20270304T000000Z"), "20270303T140000Z/20270303T150000Z BUSY")
	want("the series stays", fb("20270304T000000Z", "20270305T000000Z"), "20270304T090000Z/20270304T100000Z BUSY")

	// With allow_anonymous_rsvp, a stranger answers ACCEPTED for the room
	// on an invitation it declined.
	expectAnswer("alice's clash", cipAnswer(t, alice, false,
		trustEvent("r1@rooms.example", 0, s1, "20270301T100000Z", "20270301T103000Z", "alice@rooms.example")),
		"* DECLINED room-1@rooms.example\n* DECLINED room-2@rooms.example\nOK 000 Stored")
	expectAnswer("anonymous ACCEPTED for the room", cipAnswer(t, anon, true,
		[]byte("UID:r1@rooms.example\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:room-1@rooms.example\r\n")), "NO 002 Not allowed")
	want("after the anonymous answer", fb("20270301T000000Z", "20270302T000000Z"), "20270301T100000Z/20270301T110000Z BUSY")

	// The feeds name no UID, except where titles are shown.
	now := time.Now().UTC().Truncate(time.Second)
	today := trustEvent("today@rooms.example", 0, s3, now.Add(-5*time.Minute).Format(icalUTC), now.Add(5*time.Minute).Format(icalUTC), "alice@rooms.example")
	expectAnswer("booking now", cipAnswer(t, alice, false, today), "* CONFIRMED room-1@rooms.example\n* CONFIRMED room-2@rooms.example\nOK 000 Stored")
	base := httpBase(t, d)
	for _, p := range []string{"/calendar/room-1.ics", "/room/room-1/state"} {
		resp, body := httpGet(t, base+p)
		if resp.StatusCode != 200 || !strings.Contains(body, `"uid"`) && !strings.Contains(body, "UID:") {
			t.Fatalf("%s: %s\n%s", p, resp.Status, body)
		}
		for _, uid := range []string{victim, "a1@a.example", "s1@a.example", "today@rooms.example", "@rooms.example"} {
			if strings.Contains(body, uid) && uid != "@rooms.example" || strings.Contains(body, "UID:"+uid) {
				t.Fatalf("%s names %s:\n%s", p, uid, body)
			}
		}
	}
	if _, body := httpGet(t, base+"/calendar/room-2.ics"); !strings.Contains(body, "UID:"+victim) {
		t.Fatalf("room-2 shows titles, and its UIDs:\n%s", body)
	}
	if _, body := httpGet(t, base+"/room/room-2/state"); !strings.Contains(body, `"uid":"today@rooms.example"`) {
		t.Fatalf("room-2's panel shows titles, and its UIDs:\n%s", body)
	}

	// The history, read from the store while the daemon runs.
	out, err := runCmd(t, "", "log", victim, "--data", data)
	if err != nil || !strings.Contains(out, "organizer alice@rooms.example, sequence 0, stored") ||
		strings.Count(out, "user alice@rooms.example") != 1 || strings.Contains(out, "anonymous") {
		t.Fatalf("cipmini log %s: %v\n%s", victim, err, out)
	}
	out, err = runCmd(t, "", "log", "--data", data, "a1@a.example")
	if err != nil || !strings.Contains(out, "peer a.example  move") || !strings.Contains(out, "room-1@rooms.example=DECLINED") ||
		!strings.Contains(out, "already booked") {
		t.Fatalf("cipmini log a1: %v\n%s", err, out)
	}
	t.Logf("cipmini log a1@a.example:\n%s", out)
	if out, err := runCmd(t, "", "log", "--data", data, "nothing@x"); err == nil {
		t.Fatalf("cipmini log of an unknown UID: %s", out)
	}
	if out, err := runCmd(t, "", "log", "--data", data); err == nil || !strings.Contains(out, "usage: cipmini log UID") {
		t.Fatalf("cipmini log without a UID: %v %s", err, out)
	}
	// Every decision and refusal is one line of the daemon's log; the
	// history reads the same from the store of a stopped server.
	d.stop(t)
	if out2, err := runCmd(t, "", "log", "--data", data, "a1@a.example"); err != nil || out2 != out {
		t.Fatalf("cipmini log a1 after the daemon stopped: %v\n%s", err, out2)
	}
	logText := d.log.String()
	for _, w := range []string{`msg="store: decision" uid=victim@rooms.example by="anonymous 127.0.0.1" change=update`,
		`msg="store: decision" uid=a1@a.example by="peer b.example" change=cancel organizer=tom@a.example answer=PERMDENIED`,
		`msg="store: decision" uid=a1@a.example by="peer a.example" change=move seq=0 user=room-1@rooms.example answer=DECLINED reason="room-1@rooms.example is already booked`} {
		if !strings.Contains(logText, w) {
			t.Errorf("no log line %s", w)
		}
	}
}
