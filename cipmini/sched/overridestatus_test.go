package sched

import (
	"strings"
	"testing"
)

// An override's STATUS:TENTATIVE or CONFIRMED does not change what the room
// holds: the room accepted the event, so each instance is BUSY and blocks
// other bookings (docs/PROTOCOL.md section 7.2: BUSY for accepted events;
// BUSY-TENTATIVE is an attendee's own answer not yet given). Only CANCELLED
// frees an instance. Daily 09:00-10:00Z from 05-03, three times, confirmed,
// the second tentative; daily 11:00-12:00Z, tentative, the second confirmed:
// all six BUSY.
func TestOverrideStatusTentativeConfirmed(t *testing.T) {
	e := newSchedEnv(t)
	c := e.client("", "")
	expect(t, "confirmed series", e.send(c, cal(
		"UID:conf@x.test\nSTATUS:CONFIRMED\nDTSTART:20270503T090000Z\nDTEND:20270503T100000Z\nRRULE:FREQ=DAILY;COUNT=3",
		"UID:conf@x.test\nSTATUS:TENTATIVE\nRECURRENCE-ID:20270504T090000Z\nDTSTART:20270504T090000Z\nDTEND:20270504T100000Z")), confirmed)
	expect(t, "tentative series", e.send(c, cal(
		"UID:tent@x.test\nSTATUS:TENTATIVE\nDTSTART:20270503T110000Z\nDTEND:20270503T120000Z\nRRULE:FREQ=DAILY;COUNT=3",
		"UID:tent@x.test\nSTATUS:CONFIRMED\nRECURRENCE-ID:20270504T110000Z\nDTSTART:20270504T110000Z\nDTEND:20270504T120000Z")), confirmed)
	expect(t, "busy", e.busy(c, "room-1@rooms.test", "20270501T000000Z", "20270601T000000Z"),
		"20270503T090000Z/20270503T100000Z BUSY\n20270503T110000Z/20270503T120000Z BUSY\n"+
			"20270504T090000Z/20270504T100000Z BUSY\n20270504T110000Z/20270504T120000Z BUSY\n"+
			"20270505T090000Z/20270505T100000Z BUSY\n20270505T110000Z/20270505T120000Z BUSY")
	for _, at := range []string{"20270504T093000Z", "20270505T113000Z"} {
		if a := e.send(c, cal("UID:over"+at+"@x.test\nDTSTART:"+at+"\nDURATION:PT15M")); !strings.HasPrefix(a, "* DECLINED room-1@rooms.test") {
			t.Fatalf("over the instance at %s: %s", at, a)
		}
	}
}

// The TZID of a VTIMEZONE is TEXT: unescaped and trimmed it matches the
// quoted parameter (RFC 5545 3.2.19, 3.3.11). Fridays 09:30-09:40 at +08 =
// 01:30Z.
func TestEscapedTZIDWithBlanks(t *testing.T) {
	e := newSchedEnv(t)
	c := e.client("", "")
	ev := cal("BEGIN:VTIMEZONE\nTZID: Kuala Lumpur\\, Singapore \nBEGIN:STANDARD\nDTSTART:16010101T000000\nTZOFFSETFROM:+0800\nTZOFFSETTO:+0800\nEND:STANDARD\nEND:VTIMEZONE",
		"UID:klb@x.test\nDTSTART;TZID=\"Kuala Lumpur, Singapore\":20270305T093000\nDTEND;TZID=\"Kuala Lumpur, Singapore\":20270305T094000\nRRULE:FREQ=WEEKLY;BYDAY=FR;COUNT=2")
	expect(t, "send", e.send(c, ev), confirmed)
	expect(t, "busy", e.busy(c, "room-1@rooms.test", "20270301T000000Z", "20270401T000000Z"),
		"20270305T013000Z/20270305T014000Z BUSY\n20270312T013000Z/20270312T014000Z BUSY")
}

// Instance lengths across a daylight-saving change (RFC 5545 3.3.6,
// 3.8.5.3), Berlin +01 to +02 on 2027-03-28 and back on 2027-10-31:
//   - DURATION:P1D is a nominal day: 03-27 12:00+01 (11:00Z) to 03-28
//     12:00+02 (10:00Z), 23 hours; every other day, so 03-29 10:00Z to
//     03-30 10:00Z next;
//   - DURATION:PT24H is exact: 10-30 12:00+02 (10:00Z) to 10-31 10:00Z
//     (11:00+01), where P1D would end 11:00Z;
//   - DTEND gives an exact length to every instance: 2028-03-18 12:00+01
//     to 03-19 12:00+01 is 24 hours, so the next week's instance, 03-25
//     12:00+01 (11:00Z), ends 03-26 11:00Z (13:00+02 after the change of
//     2028-03-26), not at 12:00+02 (10:00Z).
func TestDurationAcrossDSTStore(t *testing.T) {
	e := newSchedEnv(t)
	c := e.client("", "")
	expect(t, "P1D", e.send(c, cal(
		"UID:p1d@x.test\nDTSTART;TZID=Europe/Berlin:20270327T120000\nDURATION:P1D\nRRULE:FREQ=DAILY;INTERVAL=2;COUNT=2")), confirmed)
	expect(t, "PT24H", e.send(c, cal(
		"UID:pt24h@x.test\nDTSTART;TZID=Europe/Berlin:20271030T120000\nDURATION:PT24H")), confirmed)
	expect(t, "DTEND", e.send(c, cal(
		"UID:dtend@x.test\nDTSTART;TZID=Europe/Berlin:20280318T120000\nDTEND;TZID=Europe/Berlin:20280319T120000\nRRULE:FREQ=WEEKLY;COUNT=2")), confirmed)
	expect(t, "busy", e.busy(c, "room-1@rooms.test", "20270301T000000Z", "20271201T000000Z"),
		"20270327T110000Z/20270328T100000Z BUSY\n20270329T100000Z/20270330T100000Z BUSY\n"+
			"20271030T100000Z/20271031T100000Z BUSY")
	expect(t, "busy 2028", e.busy(c, "room-1@rooms.test", "20280301T000000Z", "20280401T000000Z"),
		"20280318T110000Z/20280319T110000Z BUSY\n20280325T110000Z/20280326T110000Z BUSY")
	// The hour P1D would add at the autumn change is free under PT24H.
	expect(t, "after PT24H", e.send(c, cal("UID:after@x.test\nDTSTART:20271031T100000Z\nDTEND:20271031T110000Z")), confirmed)
}
