package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An Outlook-style calendar over the real daemon: a VTIMEZONE whose TZID is
// escaped TEXT with blanks around it (matched by the quoted parameter), a
// weekly series whose THISANDFUTURE override moves Friday 10:00 to Monday
// 10:00 across the spring change (+01 to +02 on Sunday 2027-03-28). RFC
// 5545 3.8.4.4: the later instances shift by the same local-time
// difference, so 03-05, 03-12, 03-19 at 10:00+01 = 09:00Z, then the Mondays
// 03-29, 04-05, 04-12 at 10:00+02 = 08:00Z, the last two for 90 minutes as
// the override lasts.
func TestThisAndFutureDaemon(t *testing.T) {
	tmp := t.TempDir()
	config := filepath.Join(tmp, "c.toml")
	cfg := "server_id = \"rooms.test\"\nsync = \"never\"\n[[user]]\nname = \"room-1\"\nkind = \"room\"\npolicy = \"accept-always\"\ninvite = \"anyone\"\nfreebusy = \"public\"\n"
	if err := os.WriteFile(config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	data := strings.ReplaceAll(`BEGIN:VCALENDAR
PRODID:-//Microsoft Corporation//Outlook 12.0 MIMEDIR//EN
VERSION:2.0
METHOD:REQUEST
BEGIN:VTIMEZONE
TZID: Amsterdam\, Berlin\, Bern\, Rome 
BEGIN:STANDARD
DTSTART:16011028T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010325T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:taf-daemon@x.test
DTSTAMP:20261101T000000Z
DTSTART;TZID="Amsterdam, Berlin, Bern, Rome":20270305T100000
DTEND;TZID="Amsterdam, Berlin, Bern, Rome":20270305T110000
RRULE:FREQ=WEEKLY;COUNT=6
SUMMARY:Weekly
END:VEVENT
BEGIN:VEVENT
UID:taf-daemon@x.test
DTSTAMP:20261101T000000Z
RECURRENCE-ID;RANGE=THISANDFUTURE;TZID="Amsterdam, Berlin, Bern, Rome":20270326T100000
DTSTART;TZID="Amsterdam, Berlin, Bern, Rome":20270329T100000
DTEND;TZID="Amsterdam, Berlin, Bern, Rome":20270329T113000
SUMMARY:Weekly, now on Mondays
END:VEVENT
END:VCALENDAR
`, "\n", "\r\n")
	d := startDaemon(t, config, t.TempDir())
	c := d.client(t)
	parts, _ := invitations(data, "room-1@rooms.test")
	if len(parts) != 1 {
		t.Fatalf("%d invitations", len(parts))
	}
	r, err := c.SendEvent(context.Background(), []byte(parts[0]))
	if err != nil || !r.Completion.OK || !hasInfo(r.Info, "CONFIRMED room-1@rooms.test") {
		t.Fatalf("send: %v %v %v\n%s", r.Completion, r.Info, err, d.log)
	}
	fb, err := c.FreeBusy(context.Background(), []byte("ATTENDEE: room-1@rooms.test\r\nDTSTART: 20270301T000000Z\r\nDTEND: 20270501T000000Z\r\n"))
	if err != nil || fb.Data == nil {
		t.Fatalf("freebusy: %v %v", fb, err)
	}
	var busy []string
	for _, l := range strings.Split(string(fb.Data), "\r\n") {
		if v, ok := strings.CutPrefix(l, "FREEBUSY;FBTYPE="); ok {
			typ, p, _ := strings.Cut(v, ":")
			busy = append(busy, p+" "+typ)
		}
	}
	want := "20270305T090000Z/20270305T100000Z BUSY\n20270312T090000Z/20270312T100000Z BUSY\n20270319T090000Z/20270319T100000Z BUSY\n" +
		"20270329T080000Z/20270329T093000Z BUSY\n20270405T080000Z/20270405T093000Z BUSY\n20270412T080000Z/20270412T093000Z BUSY"
	if got := strings.Join(busy, "\n"); got != want {
		t.Fatalf("busy:\ngot:\n%s\nwant:\n%s", got, want)
	}
}
