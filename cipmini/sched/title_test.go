package sched

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/directory"
)

// withSummary adds a SUMMARY to every VEVENT of an event's text.
func withSummary(ev, summary string) string {
	return strings.ReplaceAll(ev, "END:VEVENT", "SUMMARY:"+summary+"\r\nEND:VEVENT")
}

// sendCounted has id send ev and returns the completion and how many times
// stored text was parsed again meanwhile.
func (e *roomsEnv) sendCounted(id cipmini.Identity, ev string) (string, int64) {
	before := storedParses.Load()
	r := cip(e.sched).SendEvent(context.Background(), &cipmini.Request{Identity: id, Data: []byte(ev)})
	return r.Completion.String(), storedParses.Load() - before
}

// recordTitle returns the title stored in uid's record, and whether it
// has one.
func (e *roomsEnv) recordTitle(uid string) (string, bool) {
	e.t.Helper()
	rec, err := e.sched.load(uid)
	if err != nil || rec == nil {
		e.t.Fatalf("load %s: %+v %v", uid, rec, err)
	}
	if rec.Title == nil {
		return "", false
	}
	return *rec.Title, true
}

// bookingTitles returns the titles Bookings gives for room-1 on 2027-03-10,
// and how many times stored text was parsed meanwhile.
func (e *roomsEnv) bookingTitles() ([]string, int64) {
	e.t.Helper()
	day := time.Date(2027, 3, 10, 0, 0, 0, 0, time.UTC)
	before := storedParses.Load()
	bs, err := e.sched.Bookings("room-1@rooms.test", day, day.AddDate(0, 0, 1))
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, b := range bs {
		out = append(out, b.Summary)
	}
	return out, storedParses.Load() - before
}

// A SENDEVENT parses its event once: a new booking and a cancellation
// parse no stored text, a new version parses the stored version once to
// compare their times. Each record keeps its title, which Bookings reads
// without parsing.
func TestOneParsePerSendEvent(t *testing.T) {
	e := newRoomsEnv(t)
	f := func(t time.Time) string { return t.Format(utcLayout) }
	at := time.Date(2027, 3, 10, 9, 0, 0, 0, time.UTC)
	book := func(uid string, seq int, start time.Time, summary string) string {
		return withSummary(event(uid, seq, stamp1, f(start), f(start.Add(time.Hour)), "alice@rooms.test", "room-1@rooms.test"), summary)
	}
	if c, n := e.sendCounted(e.alice, book("a@rooms.test", 0, at, "Planning")); c != "OK 000 Stored" || n != 0 {
		t.Fatalf("a new booking: %s, %d parses of stored text", c, n)
	}
	if title, ok := e.recordTitle("a@rooms.test"); !ok || title != "Planning" {
		t.Fatalf("title kept: %q %v", title, ok)
	}
	if c, n := e.sendCounted(e.alice, book("a@rooms.test", 1, at.Add(2*time.Hour), "Planning, moved")); c != "OK 000 Stored" || n != 1 {
		t.Fatalf("a new version: %s, %d parses of stored text", c, n)
	}
	if titles, n := e.bookingTitles(); len(titles) != 1 || titles[0] != "Planning, moved" || n != 0 {
		t.Fatalf("bookings: %q, %d parses", titles, n)
	}
	cancel := strings.Replace(book("a@rooms.test", 2, at, "Planning"), "METHOD:REQUEST", "METHOD:CANCEL", 1)
	if c, n := e.sendCounted(e.alice, cancel); c != "OK 000 Cancelled" || n != 0 {
		t.Fatalf("a cancellation: %s, %d parses of stored text", c, n)
	}
	if title, ok := e.recordTitle("a@rooms.test"); !ok || title != "Planning, moved" {
		t.Fatalf("a cancelled event keeps its text and title: %q %v", title, ok)
	}

	// Occurrences merged into a series: the stored series is parsed once
	// (for the merge and the time comparison), the merged text once.
	series := strings.Replace(book("s@rooms.test", 0, at.Add(-48*time.Hour), "Stand-up"), "END:VEVENT", "RRULE:FREQ=DAILY;COUNT=5\r\nEND:VEVENT", 1)
	if c, n := e.sendCounted(e.alice, series); c != "OK 000 Stored" || n != 0 {
		t.Fatalf("a series: %s, %d parses of stored text", c, n)
	}
	moved := strings.Replace(book("s@rooms.test", 0, at.Add(5*time.Hour), "Stand-up, later"), "END:VEVENT",
		"RECURRENCE-ID:"+f(at)+"\r\nEND:VEVENT", 1)
	moved = strings.Replace(moved, "DTSTAMP:"+stamp1, "DTSTAMP:"+stamp2, 1)
	if c, n := e.sendCounted(e.alice, moved); c != "OK 000 Stored" || n != 2 {
		t.Fatalf("a moved occurrence: %s, %d parses of stored text", c, n)
	}
	if title, ok := e.recordTitle("s@rooms.test"); !ok || title != "Stand-up" {
		t.Fatalf("the series keeps its master's title: %q %v", title, ok)
	}
	if titles, n := e.bookingTitles(); len(titles) != 1 || titles[0] != "Stand-up" || n != 0 {
		t.Fatalf("bookings with the moved occurrence: %q, %d parses", titles, n)
	}
}

// A long title is kept cut at MaxTitleBytes, at a character boundary; the
// stored text keeps it whole.
func TestRecordTitleCapped(t *testing.T) {
	e := newRoomsEnv(t)
	long := strings.Repeat("é", 300) // 600 bytes
	at := time.Date(2027, 3, 10, 9, 0, 0, 0, time.UTC)
	ev := withSummary(event("long@rooms.test", 0, stamp1, at.Format(utcLayout), at.Add(time.Hour).Format(utcLayout),
		"alice@rooms.test", "room-1@rooms.test"), long)
	if c, _ := e.sendCounted(e.alice, ev); c != "OK 000 Stored" {
		t.Fatal(c)
	}
	title, ok := e.recordTitle("long@rooms.test")
	if !ok || len(title) != MaxTitleBytes || !utf8.ValidString(title) || title != strings.Repeat("é", MaxTitleBytes/2) {
		t.Fatalf("title %d bytes, valid %v", len(title), utf8.ValidString(title))
	}
	odd := capTitle("a" + long)
	if len(odd) != MaxTitleBytes-1 || !utf8.ValidString(odd) {
		t.Fatalf("cut inside a character: %d bytes, valid %v", len(odd), utf8.ValidString(odd))
	}
	if titles, _ := e.bookingTitles(); len(titles) != 1 || titles[0] != title {
		t.Fatalf("bookings: %q", titles)
	}
	stored, err := e.sched.StoredEvent("long@rooms.test")
	if err != nil || stored.Summary != long {
		t.Fatalf("the stored text lost the long title: %v", err)
	}
}

// A record written before records kept titles is still read: Bookings
// parses its text for the title, and its next change stores one.
func TestRecordWithoutTitle(t *testing.T) {
	e := newRoomsEnv(t)
	at := time.Date(2027, 3, 10, 9, 0, 0, 0, time.UTC)
	book := withSummary(event("old@rooms.test", 0, stamp1, at.Format(utcLayout), at.Add(time.Hour).Format(utcLayout),
		"alice@rooms.test", "room-1@rooms.test"), "Board")
	if c, _ := e.sendCounted(e.alice, book); c != "OK 000 Stored" {
		t.Fatal(c)
	}
	// The record as it was written before: no "title".
	val := dbContents(t, e.db)[eventKey("old@rooms.test")]
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(val), &m); err != nil || m["title"] == nil {
		t.Fatalf("no title in %s: %v", val, err)
	}
	delete(m, "title")
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	mustSet(t, e.db, eventKey("old@rooms.test"), string(b))
	e.reopen()
	if _, ok := e.recordTitle("old@rooms.test"); ok {
		t.Fatal("the old record has a title")
	}
	if titles, n := e.bookingTitles(); len(titles) != 1 || titles[0] != "Board" || n != 1 {
		t.Fatalf("bookings of an old record: %q, %d parses", titles, n)
	}
	cancel := strings.Replace(strings.Replace(book, "SEQUENCE:0", "SEQUENCE:1", 1), "METHOD:REQUEST", "METHOD:CANCEL", 1)
	if c, n := e.sendCounted(e.alice, cancel); c != "OK 000 Cancelled" || n != 1 {
		t.Fatalf("cancelling an old record: %s, %d parses", c, n)
	}
	if title, ok := e.recordTitle("old@rooms.test"); !ok || title != "Board" {
		t.Fatalf("the changed old record: %q %v", title, ok)
	}
}

// A declined invitation keeps no text, and so no title.
func TestDeclinedKeepsNoTitle(t *testing.T) {
	e := newRoomsEnv(t)
	e.sched.dir.AddPeer(&directory.Peer{ServerID: "x.test", Password: directory.PlainSecret("x-pw")})
	x := cipmini.Identity{Kind: cipmini.Peer, Name: "x.test"}
	at := time.Date(2027, 3, 10, 9, 0, 0, 0, time.UTC)
	f := func(t time.Time) string { return t.Format(utcLayout) }
	expect(t, "alice's booking", e.book("mine@rooms.test", 0, "room-1@rooms.test", at, false), "OK 000 Stored")
	clash := withSummary(event("d@x.test", 0, stamp1, f(at), f(at.Add(time.Hour)), "tom@x.test", "room-1@rooms.test"), "Secret")
	expect(t, "invitation at a booked time", e.sendAs(x, clash), "* DECLINED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	rec, err := e.sched.load("d@x.test")
	if err != nil || rec == nil || !rec.textless() || rec.Title != nil {
		t.Fatalf("declined invitation: %+v %v", rec, err)
	}
}

// recordFacts reads the fields Bookings shows by eventRecord's own names.
func TestRecordFactsMatchRecord(t *testing.T) {
	title := "Planning"
	rec := &eventRecord{UID: "f@rooms.test", Sequence: 7, Owner: "alice@rooms.test", ICal: "text",
		Holders: map[string]string{"room-1@rooms.test": Accepted}, Span: &[2]int64{1, 2}, Title: &title}
	val, err := rec.marshal()
	if err != nil {
		t.Fatal(err)
	}
	var f recordFacts
	if err := json.Unmarshal([]byte(val), &f); err != nil {
		t.Fatal(err)
	}
	if f.Owner != rec.Owner || f.Sequence != rec.Sequence || f.Span == nil || *f.Span != *rec.Span || f.Title == nil || *f.Title != title {
		t.Fatalf("facts %+v of %s", f, val)
	}
}
