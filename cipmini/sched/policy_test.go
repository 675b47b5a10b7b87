package sched

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/directory"
)

func TestParseWorkingHours(t *testing.T) {
	w, err := directory.ParseWorkingHours("Mon-Fri 08:00-18:00")
	if err != nil || !w.Days[time.Monday] || !w.Days[time.Friday] || w.Days[time.Saturday] || w.Open != 480 || w.Close != 1080 {
		t.Fatalf("%+v %v", w, err)
	}
	w, err = directory.ParseWorkingHours("Sat-Mon 10:00-24:00")
	if err != nil || !w.Days[time.Sunday] || !w.Days[time.Monday] || w.Days[time.Tuesday] || w.Close != 1440 {
		t.Fatalf("wrapping range: %+v %v", w, err)
	}
	for _, bad := range []string{"", "Mon-Fri", "Mon-Fry 08:00-18:00", "Mon 18:00-08:00", "Mon 8-18", "Mon 25:00-26:00"} {
		if _, err := directory.ParseWorkingHours(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// policyEnv adds resources with every policy and limit to the test server.
func policyEnv(t *testing.T) *schedEnv {
	e := &schedEnv{t: t, dir: testDirectory(t), data: t.TempDir()}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	office, _ := directory.ParseWorkingHours("Mon-Fri 08:00-18:00")
	for _, u := range []*directory.User{
		{ID: "always@rooms.test", Policy: directory.PolicyAcceptAlways},
		{ID: "never@rooms.test", Policy: directory.PolicyDeclineAlways},
		{ID: "manual@rooms.test", Policy: directory.PolicyManual},
		{ID: "window@rooms.test", Limits: directory.Limits{BookingWindowDays: 30}},
		{ID: "short@rooms.test", Limits: directory.Limits{MaxDurationMinutes: 60}},
		{ID: "office@rooms.test", Limits: directory.Limits{WorkingHours: office, Location: berlin}},
		{ID: "single@rooms.test", Limits: directory.Limits{NoRecurring: true}},
		{ID: "flex@rooms.test", Limits: directory.Limits{MaxConflicts: 2}},
		{ID: "acme@rooms.test", Limits: directory.Limits{AllowedOrganizers: []string{"acme.test", "boss@other.test"}}},
	} {
		u.Kind, u.Invite, u.FreeBusy = directory.Room, directory.InviteAnyone, directory.FreeBusyPublic
		if err := e.dir.AddUser(u); err != nil {
			t.Fatal(err)
		}
	}
	e.start()
	return e
}

// invite sends an invitation from organizer to a resource, with extra
// properties (an RRULE), and returns the answer's first line and the
// COMMENT of the RSVP queued for the organizer, unfolded.
func (e *schedEnv) invite(uid, organizer, resource, start, end, extra string) (string, string) {
	ev := event(uid, 0, stamp1, start, end, organizer, resource)
	if extra != "" {
		ev = strings.Replace(ev, "END:VEVENT", extra+"\r\nEND:VEVENT", 1)
	}
	got := e.send(e.client("", ""), ev)
	first, _, _ := strings.Cut(got, "\n")
	q, err := Queue(e.db)
	if err != nil {
		e.t.Fatal(err)
	}
	comment := ""
	for _, m := range q {
		if m.UID == uid {
			data := strings.ReplaceAll(m.Data, "\r\n ", "")
			if _, c, ok := strings.Cut(data, "COMMENT:"); ok {
				comment, _, _ = strings.Cut(c, "\r\n")
			}
		}
	}
	return first, strings.NewReplacer("\\,", ",", "\\;", ";").Replace(comment)
}

// Each policy and limit, one invitation accepted and one declined with its
// reason as the organizer reads it in the RSVP's COMMENT. "Now" is
// 2026-12-01T00:00Z (a Tuesday).
func TestPolicyTable(t *testing.T) {
	e := policyEnv(t)
	weekly := "RRULE:FREQ=WEEKLY;COUNT=3"
	rows := []struct {
		name, resource, organizer, start, end, extra string
		want, reason                                 string
	}{
		{"accept-always", "always", "tom@x.test", "20261210T100000Z", "20261210T110000Z", "", "* CONFIRMED", ""},
		{"accept-always twice", "always", "tom@x.test", "20261210T100000Z", "20261210T110000Z", "", "* CONFIRMED", ""},
		{"decline-always", "never", "tom@x.test", "20261210T100000Z", "20261210T110000Z", "", "* DECLINED", "never@rooms.test does not accept bookings."},
		{"manual", "manual", "tom@x.test", "20261210T100000Z", "20261210T110000Z", "", "* TENTATIVE", ""},
		{"window inside", "window", "tom@x.test", "20261211T100000Z", "20261211T110000Z", "", "* CONFIRMED", ""},
		{"window beyond", "window", "tom@x.test", "20270111T100000Z", "20270111T110000Z", "", "* DECLINED", "window@rooms.test can be booked at most 30 days ahead."},
		{"window endless series", "window", "tom@x.test", "20261214T100000Z", "20261214T110000Z", "RRULE:FREQ=WEEKLY", "* DECLINED", "window@rooms.test can be booked at most 30 days ahead."},
		{"window series ending inside", "window", "tom@x.test", "20261215T100000Z", "20261215T110000Z", weekly, "* CONFIRMED", ""},
		{"duration fits", "short", "tom@x.test", "20261210T100000Z", "20261210T110000Z", "", "* CONFIRMED", ""},
		{"duration too long", "short", "tom@x.test", "20261211T100000Z", "20261211T113000Z", "", "* DECLINED", "Meetings in short@rooms.test may last at most 60 minutes."},
		{"working hours", "office", "tom@x.test", "20261202T080000Z", "20261202T090000Z", "", "* CONFIRMED", ""},
		{"saturday", "office", "tom@x.test", "20261205T100000Z", "20261205T110000Z", "", "* DECLINED",
			"office@rooms.test can be booked Mon-Fri 08:00-18:00 (Europe/Berlin) only; the meeting at 2026-12-05 11:00 CET is outside."},
		{"after hours", "office", "tom@x.test", "20261203T163000Z", "20261203T173000Z", "", "* DECLINED",
			"office@rooms.test can be booked Mon-Fri 08:00-18:00 (Europe/Berlin) only; the meeting at 2026-12-03 17:30 CET is outside."},
		{"one-off", "single", "tom@x.test", "20261210T100000Z", "20261210T110000Z", "", "* CONFIRMED", ""},
		{"recurring refused", "single", "tom@x.test", "20261211T100000Z", "20261211T110000Z", weekly, "* DECLINED", "single@rooms.test does not take recurring meetings."},
		{"allowed domain", "acme", "tom@acme.test", "20261210T100000Z", "20261210T110000Z", "", "* CONFIRMED", ""},
		{"allowed address", "acme", "boss@other.test", "20261211T100000Z", "20261211T110000Z", "", "* CONFIRMED", ""},
		{"other organizer", "acme", "eve@other.test", "20261212T100000Z", "20261212T110000Z", "", "* DECLINED", "Only organizers from acme.test, boss@other.test may book acme@rooms.test."},
		{"free", "room-1", "tom@x.test", "20261210T100000Z", "20261210T110000Z", "", "* CONFIRMED", ""},
		{"clash", "room-1", "tom@x.test", "20261210T103000Z", "20261210T113000Z", "", "* DECLINED", "room-1@rooms.test is already booked at 2026-12-10 10:30 UTC."},
	}
	for i, r := range rows {
		uid := fmt.Sprintf("p%d@x.test", i)
		got, reason := e.invite(uid, r.organizer, r.resource+"@rooms.test", r.start, r.end, r.extra)
		if got != r.want+" "+r.resource+"@rooms.test" || reason != r.reason {
			t.Errorf("%s: got %q with reason %q; want %q with %q", r.name, got, reason, r.want, r.reason)
		}
	}
}

// max_conflicts: a series may clash this many times; those occurrences are
// declined one by one, in the room's busy time and in the RSVP.
func TestMaxConflicts(t *testing.T) {
	e := policyEnv(t)
	for i, day := range []string{"20261208", "20261215"} {
		if got, _ := e.invite(fmt.Sprintf("s%d@x.test", i), "tom@x.test", "flex@rooms.test", day+"T100000Z", day+"T103000Z", ""); got != "* CONFIRMED flex@rooms.test" {
			t.Fatalf("single booking: %s", got)
		}
	}
	got, reason := e.invite("series@x.test", "tom@x.test", "flex@rooms.test", "20261208T100000Z", "20261208T110000Z", "RRULE:FREQ=WEEKLY;COUNT=4")
	if got != "* CONFIRMED flex@rooms.test" || reason != "flex@rooms.test is already booked for 2 of the occurrences, first at 2026-12-08 10:00 UTC; those are declined." {
		t.Fatalf("series with 2 clashes: %q %q", got, reason)
	}
	expect(t, "busy", e.busy(e.client("", ""), "flex@rooms.test", "20261201T000000Z", "20270101T000000Z"),
		"20261208T100000Z/20261208T103000Z BUSY\n20261215T100000Z/20261215T103000Z BUSY\n20261222T100000Z/20261222T110000Z BUSY\n20261229T100000Z/20261229T110000Z BUSY")
	q, _ := Queue(e.db)
	for _, m := range q {
		if m.UID == "series@x.test" && (strings.Count(m.Data, "PARTSTAT=DECLINED") != 2 || !strings.Contains(m.Data, "RECURRENCE-ID:20261215T100000Z")) {
			t.Fatalf("RSVP does not decline the two occurrences:\n%s", m.Data)
		}
	}
	got, reason = e.invite("series2@x.test", "tom@x.test", "flex@rooms.test", "20261208T100000Z", "20261208T110000Z", "RRULE:FREQ=WEEKLY;COUNT=3")
	if got != "* DECLINED flex@rooms.test" || reason != "flex@rooms.test is already booked at 2026-12-08 10:00 UTC." {
		t.Fatalf("series with 3 clashes: %q %q", got, reason)
	}
}

// A weekly series in Europe/Berlin across the change to summer time, with
// an EXDATE, an RDATE and one moved occurrence: FREEBUSY lists exactly its
// periods, and conflicts follow the moved occurrence.
func TestRecurrenceAcrossDST(t *testing.T) {
	e := newSchedEnv(t)
	anon := e.client("", "")
	series := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\n" +
		"BEGIN:VEVENT\r\nUID:standup@x.test\r\nSEQUENCE:0\r\nDTSTAMP:20261120T100000Z\r\n" +
		"DTSTART;TZID=Europe/Berlin:20270302T090000\r\nDTEND;TZID=Europe/Berlin:20270302T093000\r\n" +
		"RRULE:FREQ=WEEKLY;UNTIL=20270525T235959Z\r\nEXDATE;TZID=Europe/Berlin:20270316T090000\r\n" +
		"RDATE;TZID=Europe/Berlin:20270320T100000\r\nORGANIZER:mailto:tom@x.test\r\nATTENDEE:mailto:room-1@rooms.test\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:standup@x.test\r\nSEQUENCE:0\r\nDTSTAMP:20261120T100000Z\r\nRECURRENCE-ID;TZID=Europe/Berlin:20270406T090000\r\n" +
		"DTSTART;TZID=Europe/Berlin:20270406T140000\r\nDTEND;TZID=Europe/Berlin:20270406T143000\r\n" +
		"ORGANIZER:mailto:tom@x.test\r\nATTENDEE:mailto:room-1@rooms.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	expect(t, "series", e.send(anon, series), "* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	// 09:00 CET is 08:00Z until 28 March, 09:00 CEST 07:00Z after.
	want := []string{
		"20270302T080000Z/20270302T083000Z", "20270309T080000Z/20270309T083000Z",
		"20270320T090000Z/20270320T093000Z", // the RDATE, 10:00 CET
		"20270323T080000Z/20270323T083000Z", "20270330T070000Z/20270330T073000Z",
		"20270406T120000Z/20270406T123000Z", // moved to 14:00 CEST
		"20270413T070000Z/20270413T073000Z", "20270420T070000Z/20270420T073000Z", "20270427T070000Z/20270427T073000Z",
		"20270504T070000Z/20270504T073000Z", "20270511T070000Z/20270511T073000Z", "20270518T070000Z/20270518T073000Z",
		"20270525T070000Z/20270525T073000Z",
	}
	expect(t, "three months", e.busy(anon, "room-1@rooms.test", "20270301T000000Z", "20270601T000000Z"),
		strings.Join(want, " BUSY\n")+" BUSY")
	moved := event("m1@y.test", 0, stamp1, "20270406T121500Z", "20270406T124500Z", "mary@y.test", "room-1@rooms.test")
	expect(t, "at the moved occurrence's new time", e.send(anon, moved), "* DECLINED room-1@rooms.test\n* NOTFOUND mary@y.test\nOK 000 Stored")
	old := event("m2@y.test", 0, stamp1, "20270406T070000Z", "20270406T073000Z", "mary@y.test", "room-1@rooms.test")
	expect(t, "at its old time", e.send(anon, old), "* CONFIRMED room-1@rooms.test\n* NOTFOUND mary@y.test\nOK 000 Stored")
}

// 50 clients invite room-1 for the same hour at once, 20 times over:
// exactly one is accepted each time, and FREEBUSY shows one busy period.
func TestFiftyConcurrentInvitations(t *testing.T) {
	e := newSchedEnv(t)
	clients := make([]*cipmini.Client, 50)
	for i := range clients {
		clients[i] = e.client("", "")
	}
	for round := 0; round < 20; round++ {
		start := time.Date(2027, 6, 1, 9, 0, 0, 0, time.UTC).AddDate(0, 0, round)
		var wg sync.WaitGroup
		answers := make([]string, len(clients))
		for i, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ev := event(fmt.Sprintf("r%d-c%d@x.test", round, i), 0, stamp1, start.Format(utcLayout), start.Add(time.Hour).Format(utcLayout), "tom@x.test", "room-1@rooms.test")
				r, err := c.SendEvent(context.Background(), []byte(ev))
				answers[i] = answer(r, err)
			}()
		}
		wg.Wait()
		confirmed, declined := 0, 0
		for _, a := range answers {
			switch {
			case strings.HasPrefix(a, "* CONFIRMED room-1@rooms.test\n"):
				confirmed++
			case strings.HasPrefix(a, "* DECLINED room-1@rooms.test\n"):
				declined++
			default:
				t.Fatalf("round %d: answer %q", round, a)
			}
		}
		if confirmed != 1 || declined != 49 {
			t.Fatalf("round %d: %d confirmed, %d declined", round, confirmed, declined)
		}
		day := start.Format("20060102")
		expect(t, "one period", e.busy(clients[0], "room-1@rooms.test", day+"T000000Z", day+"T235959Z"),
			start.Format(utcLayout)+"/"+start.Add(time.Hour).Format(utcLayout)+" BUSY")
	}
}

// A FREQ=SECONDLY series from 2020: a window in 2026 is answered without
// walking from 2020; a week, with 604,800 occurrences, is answered too
// (no permanent NO 006): its contiguous occurrences merged as far as the
// walk's work budget reaches, the rest of the week busy.
func TestSecondlySeries(t *testing.T) {
	e := newSchedEnv(t)
	anon := e.client("", "")
	ev := event("sec@x.test", 0, stamp1, "20200101T000000Z", "20200101T000001Z", "tom@x.test", "carol@rooms.test")
	ev = strings.Replace(ev, "END:VEVENT", "RRULE:FREQ=SECONDLY\r\nEND:VEVENT", 1)
	expect(t, "series", e.send(anon, ev), "* TENTATIVE carol@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	expect(t, "an hour in 2026", e.busy(anon, "carol@rooms.test", "20260301T100000Z", "20260301T110000Z"),
		"20260301T100000Z/20260301T110000Z BUSY-TENTATIVE")
	week := e.busy(anon, "carol@rooms.test", "20260301T000000Z", "20260308T000000Z")
	var busyFrom, tentativeTo string
	if _, err := fmt.Sscanf(strings.ReplaceAll(week, "/", " "), "%s 20260308T000000Z BUSY\n20260301T000000Z %s BUSY-TENTATIVE", &busyFrom, &tentativeTo); err != nil ||
		busyFrom != tentativeTo || busyFrom <= "20260303T000000Z" {
		t.Fatalf("a week in 2026: %v\n%s", err, week)
	}
}

// A room booking itself (as its panel does) cannot take a slot already
// booked: the check runs under the same lock as invitations.
func TestSelfBookingChecksConflicts(t *testing.T) {
	e := newSchedEnv(t)
	expect(t, "invitation", e.send(e.client("", ""), event("inv@x.test", 0, stamp1, "20270301T100000Z", "20270301T110000Z", "tom@x.test", "room-1@rooms.test")),
		"* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	self := func(uid, start, end string) string {
		ev := event(uid, 0, stamp1, start, end, "room-1@rooms.test", "room-1@rooms.test")
		return answer(cip(e.sched).SendEvent(context.Background(), &cipmini.Request{
			Identity: cipmini.Identity{Kind: cipmini.User, Name: "room-1@rooms.test"}, Data: []byte(ev)}), nil)
	}
	expect(t, "self-booking over the invitation", self("panel-1@rooms.test", "20270301T103000Z", "20270301T111500Z"),
		"* DECLINED room-1@rooms.test\nOK 000 Stored")
	expect(t, "self-booking when free", self("panel-2@rooms.test", "20270301T110000Z", "20270301T113000Z"), "OK 000 Stored")
	expect(t, "busy", e.busy(e.client("", ""), "room-1@rooms.test", "20270301T000000Z", "20270302T000000Z"),
		"20270301T100000Z/20270301T113000Z BUSY")
}
