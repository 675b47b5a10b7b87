package sched

import (
	"strings"
	"testing"
)

// RANGE=THISANDFUTURE across a daylight-saving change, through SENDEVENT,
// the index, the conflict check and FREEBUSY. RFC 5545 3.8.4.4 shifts the
// later instances by the difference between the RECURRENCE-ID and the
// override's DTSTART; the series keeps its local time of day, so the
// difference counts in local time: Friday 10:00 moved to Monday 10:00 keeps
// every later instance at Monday 10:00. Berlin: +01 until Sunday
// 2027-03-28, +02 after. Fridays 03-05, 03-12, 03-19 at 10:00+01 = 09:00Z;
// from 03-26 on, the Mondays 03-29, 04-05, 04-12 at 10:00+02 = 08:00Z (an
// exact 71-hour shift would give 07:00Z for 04-05 and 04-12).
func TestThisAndFutureAcrossDSTStore(t *testing.T) {
	e := newSchedEnv(t)
	c := e.client("", "")
	expect(t, "series", e.send(c, cal(
		"UID:tafdst@x.test\nDTSTART;TZID=Europe/Berlin:20270305T100000\nDTEND;TZID=Europe/Berlin:20270305T110000\nRRULE:FREQ=WEEKLY;COUNT=6",
		"UID:tafdst@x.test\nRECURRENCE-ID;TZID=Europe/Berlin;RANGE=THISANDFUTURE:20270326T100000\nDTSTART;TZID=Europe/Berlin:20270329T100000\nDTEND;TZID=Europe/Berlin:20270329T110000")), confirmed)
	expect(t, "busy", e.busy(c, "room-1@rooms.test", "20270301T000000Z", "20270501T000000Z"),
		"20270305T090000Z/20270305T100000Z BUSY\n20270312T090000Z/20270312T100000Z BUSY\n20270319T090000Z/20270319T100000Z BUSY\n"+
			"20270329T080000Z/20270329T090000Z BUSY\n20270405T080000Z/20270405T090000Z BUSY\n20270412T080000Z/20270412T090000Z BUSY")
	expect(t, "the hour before a moved instance", e.send(c, cal("UID:b1@x.test\nDTSTART:20270405T070000Z\nDTEND:20270405T080000Z")), confirmed)
	if a := e.send(c, cal("UID:b2@x.test\nDTSTART:20270412T083000Z\nDTEND:20270412T084500Z")); !strings.HasPrefix(a, "* DECLINED room-1@rooms.test") {
		t.Fatalf("over a moved instance: %s", a)
	}
}

// A single-instance override after a THISANDFUTURE one keeps its own time
// (its RECURRENCE-ID names the original instance, RFC 5545 3.8.4.4); a
// second THISANDFUTURE override governs from its own instance on. Daily
// 10:00-11:00Z from 03-01, seven times: 03-01 as is; from 03-02 on at
// 14:00-14:30 (+4h, 30 minutes); 03-04 alone at 08:00-09:00; from 03-06 on
// at 16:00-17:00 (+6h, an hour).
func TestThisAndFutureLayers(t *testing.T) {
	e := newSchedEnv(t)
	c := e.client("", "")
	expect(t, "series", e.send(c, cal(
		"UID:layers@x.test\nDTSTART:20270301T100000Z\nDTEND:20270301T110000Z\nRRULE:FREQ=DAILY;COUNT=7",
		"UID:layers@x.test\nRECURRENCE-ID;RANGE=THISANDFUTURE:20270302T100000Z\nDTSTART:20270302T140000Z\nDTEND:20270302T143000Z",
		"UID:layers@x.test\nRECURRENCE-ID:20270304T100000Z\nDTSTART:20270304T080000Z\nDTEND:20270304T090000Z",
		"UID:layers@x.test\nRECURRENCE-ID;RANGE=THISANDFUTURE:20270306T100000Z\nDTSTART:20270306T160000Z\nDTEND:20270306T170000Z")), confirmed)
	expect(t, "busy", e.busy(c, "room-1@rooms.test", "20270301T000000Z", "20270401T000000Z"),
		"20270301T100000Z/20270301T110000Z BUSY\n20270302T140000Z/20270302T143000Z BUSY\n20270303T140000Z/20270303T143000Z BUSY\n"+
			"20270304T080000Z/20270304T090000Z BUSY\n20270305T140000Z/20270305T143000Z BUSY\n"+
			"20270306T160000Z/20270306T170000Z BUSY\n20270307T160000Z/20270307T170000Z BUSY")
	expect(t, "where 03-04 would be under the first", e.send(c, cal("UID:l1@x.test\nDTSTART:20270304T140000Z\nDTEND:20270304T143000Z")), confirmed)
	expect(t, "where 03-07 would be under the first", e.send(c, cal("UID:l2@x.test\nDTSTART:20270307T140000Z\nDTEND:20270307T143000Z")), confirmed)
}

// STATUS:CANCELLED on a RANGE=THISANDFUTURE override cancels that instance
// and every later one (RFC 5545 3.8.4.4 applies the override's properties
// to the range; RFC 5546 3.2.5 cancels instances with RANGE the same way):
// daily 12:00-13:00Z from 04-01, five times, cancelled from 04-03 on,
// leaves 04-01 and 04-02 busy and the rest free for other bookings.
func TestThisAndFutureCancelled(t *testing.T) {
	e := newSchedEnv(t)
	c := e.client("", "")
	expect(t, "series", e.send(c, cal(
		"UID:tafx@x.test\nDTSTART:20270401T120000Z\nDTEND:20270401T130000Z\nRRULE:FREQ=DAILY;COUNT=5",
		"UID:tafx@x.test\nRECURRENCE-ID;RANGE=THISANDFUTURE:20270403T120000Z\nDTSTART:20270403T120000Z\nDTEND:20270403T130000Z\nSTATUS:CANCELLED")), confirmed)
	expect(t, "busy", e.busy(c, "room-1@rooms.test", "20270401T000000Z", "20270501T000000Z"),
		"20270401T120000Z/20270401T130000Z BUSY\n20270402T120000Z/20270402T130000Z BUSY")
	expect(t, "a cancelled instance's time", e.send(c, cal("UID:x1@x.test\nDTSTART:20270405T120000Z\nDTEND:20270405T130000Z")), confirmed)
	if a := e.send(c, cal("UID:x2@x.test\nDTSTART:20270402T123000Z\nDTEND:20270402T124500Z")); !strings.HasPrefix(a, "* DECLINED room-1@rooms.test") {
		t.Fatalf("over an instance before the range: %s", a)
	}
}
