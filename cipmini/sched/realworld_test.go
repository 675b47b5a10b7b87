package sched

import (
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini/directory"
)

// Minimal cases of what real producers write, each a defect once: the busy
// time must be what RFC 5545 says, through SENDEVENT, the index, conflict
// checks and FREEBUSY.

// cal wraps VEVENT bodies (and VTIMEZONEs) into an invitation to room-1.
func cal(parts ...string) string {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\n")
	for _, p := range parts {
		if !strings.HasPrefix(p, "BEGIN:VTIMEZONE") {
			b.WriteString("BEGIN:VEVENT\r\nDTSTAMP:20261101T000000Z\r\nORGANIZER:mailto:tom@x.test\r\nATTENDEE:mailto:room-1@rooms.test\r\n")
		}
		b.WriteString(strings.ReplaceAll(strings.TrimSpace(p), "\n", "\r\n"))
		if !strings.HasPrefix(p, "BEGIN:VTIMEZONE") {
			b.WriteString("\r\nEND:VEVENT")
		}
		b.WriteString("\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.String()
}

const confirmed = "* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored"

// Outlook 12 escapes the comma of the VTIMEZONE's TZID (TEXT) but quotes it
// on the dates.
func TestEscapedTZID(t *testing.T) {
	e := newSchedEnv(t)
	c := e.client("", "")
	ev := cal("BEGIN:VTIMEZONE\nTZID:Kuala Lumpur\\, Singapore\nBEGIN:STANDARD\nDTSTART:16010101T000000\nTZOFFSETFROM:+0800\nTZOFFSETTO:+0800\nEND:STANDARD\nEND:VTIMEZONE",
		"UID:kl@x.test\nDTSTART;TZID=\"Kuala Lumpur, Singapore\":20270305T093000\nDTEND;TZID=\" Kuala Lumpur, Singapore\":20270305T094000\nRRULE:FREQ=WEEKLY;BYDAY=FR;COUNT=2")
	expect(t, "send", e.send(c, ev), confirmed)
	expect(t, "busy", e.busy(c, "room-1@rooms.test", "20270301T000000Z", "20270401T000000Z"),
		"20270305T013000Z/20270305T014000Z BUSY\n20270312T013000Z/20270312T014000Z BUSY")
}

// An override's own TRANSP and STATUS decide its instance.
func TestOverrideTranspAndStatus(t *testing.T) {
	e := newSchedEnv(t)
	c := e.client("", "")
	expect(t, "opaque series", e.send(c, cal(
		"UID:a@x.test\nDTSTART:20270301T100000Z\nDTEND:20270301T110000Z\nRRULE:FREQ=WEEKLY;COUNT=3",
		"UID:a@x.test\nRECURRENCE-ID:20270308T100000Z\nDTSTART:20270308T100000Z\nDTEND:20270308T110000Z\nTRANSP:TRANSPARENT",
		"UID:a@x.test\nRECURRENCE-ID:20270315T100000Z\nDTSTART:20270315T100000Z\nDTEND:20270315T110000Z\nSTATUS:CANCELLED")), confirmed)
	expect(t, "transparent series", e.send(c, cal(
		"UID:b@x.test\nDTSTART:20270301T120000Z\nDTEND:20270301T130000Z\nTRANSP:TRANSPARENT\nRRULE:FREQ=WEEKLY;COUNT=3",
		"UID:b@x.test\nRECURRENCE-ID:20270308T120000Z\nDTSTART:20270308T120000Z\nDTEND:20270308T130000Z\nTRANSP:OPAQUE")), confirmed)
	expect(t, "busy", e.busy(c, "room-1@rooms.test", "20270301T000000Z", "20270401T000000Z"),
		"20270301T100000Z/20270301T110000Z BUSY\n20270308T120000Z/20270308T130000Z BUSY")
	// The freed instances take other bookings; the opaque override does not.
	expect(t, "over the transparent override", e.send(c, cal("UID:c@x.test\nDTSTART:20270308T103000Z\nDTEND:20270308T104500Z")), confirmed)
	expect(t, "over the cancelled override", e.send(c, cal("UID:d@x.test\nDTSTART:20270315T103000Z\nDTEND:20270315T104500Z")), confirmed)
	if a := e.send(c, cal("UID:f@x.test\nDTSTART:20270308T123000Z\nDTEND:20270308T124500Z")); !strings.HasPrefix(a, "* DECLINED room-1@rooms.test") {
		t.Fatalf("over the opaque override: %s", a)
	}
}

// RANGE=THISANDFUTURE moves this and every later instance by the same time
// and gives them the override's length (RFC 5545 3.8.4.4).
func TestThisAndFuture(t *testing.T) {
	e := newSchedEnv(t)
	c := e.client("", "")
	expect(t, "series", e.send(c, cal(
		"UID:taf@x.test\nDTSTART:20270301T100000Z\nDTEND:20270301T110000Z\nRRULE:FREQ=DAILY;COUNT=5",
		"UID:taf@x.test\nRECURRENCE-ID;RANGE=THISANDFUTURE:20270303T100000Z\nDTSTART:20270303T140000Z\nDTEND:20270303T143000Z")), confirmed)
	expect(t, "busy", e.busy(c, "room-1@rooms.test", "20270301T000000Z", "20270401T000000Z"),
		"20270301T100000Z/20270301T110000Z BUSY\n20270302T100000Z/20270302T110000Z BUSY\n"+
			"20270303T140000Z/20270303T143000Z BUSY\n20270304T140000Z/20270304T143000Z BUSY\n20270305T140000Z/20270305T143000Z BUSY")
	expect(t, "where a later instance was", e.send(c, cal("UID:g@x.test\nDTSTART:20270304T100000Z\nDTEND:20270304T110000Z")), confirmed)
	if a := e.send(c, cal("UID:h@x.test\nDTSTART:20270305T141500Z\nDTEND:20270305T150000Z")); !strings.HasPrefix(a, "* DECLINED room-1@rooms.test") {
		t.Fatalf("where a later instance moved to: %s", a)
	}
}

// Exchange 2010 writes DATE-TIME RECURRENCE-IDs for an all-day series; the
// moved day must not stay busy too.
func TestMixedRecurrenceIDForms(t *testing.T) {
	e := newSchedEnv(t)
	c := e.client("", "")
	expect(t, "all-day series", e.send(c, cal(
		"UID:ad@x.test\nDTSTART;VALUE=DATE:20270301\nDTEND;VALUE=DATE:20270302\nRRULE:FREQ=DAILY;COUNT=3",
		"UID:ad@x.test\nRECURRENCE-ID;TZID=Europe/Berlin:20270302T000000\nDTSTART;VALUE=DATE:20270310\nDTEND;VALUE=DATE:20270311")), confirmed)
	expect(t, "timed series", e.send(c, cal(
		"UID:td@x.test\nDTSTART:20270401T120000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=3",
		"UID:td@x.test\nRECURRENCE-ID;VALUE=DATE:20270402\nDTSTART:20270402T140000Z\nDURATION:PT1H")), confirmed)
	expect(t, "busy", e.busy(c, "room-1@rooms.test", "20270301T000000Z", "20270501T000000Z"),
		"20270301T000000Z/20270302T000000Z BUSY\n20270303T000000Z/20270304T000000Z BUSY\n20270310T000000Z/20270311T000000Z BUSY\n"+
			"20270401T120000Z/20270401T130000Z BUSY\n20270402T140000Z/20270402T150000Z BUSY\n20270403T120000Z/20270403T130000Z BUSY")
}

// A dense series (every 30 minutes, 15-minute slots, no end) is judged on
// its instances in the horizon, not refused; FREEBUSY answers any window.
func TestDenseSeries(t *testing.T) {
	e := newSchedEnv(t)
	c := e.client("", "")
	if err := e.dir.AddUser(&directory.User{ID: "hall@rooms.test", Kind: directory.Room, Policy: directory.PolicyAcceptAlways, Invite: directory.InviteAnyone, FreeBusy: directory.FreeBusyPublic}); err != nil {
		t.Fatal(err)
	}
	expect(t, "accept-always, every second", e.send(c, strings.ReplaceAll(cal(
		"UID:sec@x.test\nDTSTART:20270101T000000Z\nDURATION:PT1S\nRRULE:FREQ=SECONDLY"), "room-1@", "hall@")),
		"* CONFIRMED hall@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	expect(t, "accept-if-free", e.send(c, cal(
		"UID:dense@x.test\nDTSTART:20270101T000000Z\nDTEND:20270101T001500Z\nRRULE:FREQ=MINUTELY;INTERVAL=30")), confirmed)
	if a := e.send(c, cal("UID:x1@x.test\nDTSTART:20271105T100500Z\nDTEND:20271105T101000Z")); !strings.HasPrefix(a, "* DECLINED room-1@rooms.test") {
		t.Fatalf("over an instance in November: %s", a)
	}
	expect(t, "between instances", e.send(c, cal("UID:x2@x.test\nDTSTART:20271105T102000Z\nDTEND:20271105T102500Z")), confirmed)
	// A second dense series between the first's instances fits; one
	// overlapping them does not.
	expect(t, "interleaved series", e.send(c, cal(
		"UID:dense2@x.test\nDTSTART:20270101T001500Z\nDTEND:20270101T002000Z\nRRULE:FREQ=MINUTELY;INTERVAL=30")), confirmed)
	if a := e.send(c, cal("UID:dense3@x.test\nDTSTART:20270101T002000Z\nDTEND:20270101T003100Z\nRRULE:FREQ=MINUTELY;INTERVAL=30")); !strings.HasPrefix(a, "* DECLINED room-1@rooms.test") {
		t.Fatalf("overlapping series: %s", a)
	}
	// A day: 48 merged periods (each slot and the interleaved one touch).
	day := e.busy(c, "room-1@rooms.test", "20270601T000000Z", "20270602T000000Z")
	if n := strings.Count(day, "\n") + 1; n != 48 || !strings.HasPrefix(day, "20270601T000000Z/20270601T002000Z BUSY\n") {
		t.Fatalf("a day: %d periods: %.200s", n, day)
	}
	// The year holds 17,520 periods, more than an answer carries: covering
	// spans come back, none of the instances shown free.
	year := e.busy(c, "room-1@rooms.test", "20270101T000000Z", "20280101T000000Z")
	lines := strings.Split(year, "\n")
	if len(lines) > FreeBusyBudget || len(lines) < FreeBusyBudget/4 {
		t.Fatalf("a year: %d periods: %.300s", len(lines), year)
	}
	var spans [][2]time.Time
	for _, l := range lines {
		p, _, _ := strings.Cut(l, " ")
		a, b, _ := strings.Cut(p, "/")
		s, err1 := time.Parse(utcLayout, a)
		f, err2 := time.Parse(utcLayout, b)
		if err1 != nil || err2 != nil {
			t.Fatalf("period %q", l)
		}
		spans = append(spans, [2]time.Time{s, f})
	}
	j := 0
	for in := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC); in.Year() == 2027; in = in.Add(30 * time.Minute) {
		for j < len(spans) && !spans[j][1].After(in) {
			j++
		}
		if j == len(spans) || spans[j][0].After(in) || spans[j][1].Before(in.Add(20*time.Minute)) {
			t.Fatalf("instance at %s shown free", in)
		}
	}
}

// An update for one occurrence replaces the stored override of the same
// instant, whatever form its RECURRENCE-ID takes (a zone, or UTC).
func TestOccurrenceUpdateMatchesByInstant(t *testing.T) {
	e := newSchedEnv(t)
	c := e.client("", "")
	expect(t, "series", e.send(c, cal(
		"UID:ov@x.test\nSEQUENCE:0\nDTSTART;TZID=Europe/Berlin:20270301T100000\nDTEND;TZID=Europe/Berlin:20270301T110000\nRRULE:FREQ=DAILY;COUNT=3",
		"UID:ov@x.test\nSEQUENCE:0\nRECURRENCE-ID;TZID=Europe/Berlin:20270302T100000\nDTSTART;TZID=Europe/Berlin:20270302T120000\nDTEND;TZID=Europe/Berlin:20270302T130000")), confirmed)
	organizer := e.client("x.test", "x-pw") // only the organizer's server changes the event
	expect(t, "occurrence moved again", e.send(organizer, cal(
		"UID:ov@x.test\nSEQUENCE:1\nRECURRENCE-ID:20270302T090000Z\nDTSTART:20270302T140000Z\nDTEND:20270302T150000Z")), confirmed)
	expect(t, "busy", e.busy(c, "room-1@rooms.test", "20270301T000000Z", "20270401T000000Z"),
		"20270301T090000Z/20270301T100000Z BUSY\n20270302T140000Z/20270302T150000Z BUSY\n20270303T090000Z/20270303T100000Z BUSY")
}
