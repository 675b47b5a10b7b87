package sched

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cipmini/cipmini/cipmini"
	"github.com/cipmini/cipmini/cipmini/directory"
)

const refused = "NO 000 Not stored: only the organizer may change this event"

// Only alice, logged in, changes alice's booking: an anonymous session, a
// peer and another user get PERMDENIED for the room and nothing changes,
// whatever SEQUENCE, STATUS or ORGANIZER they send.
func TestOnlyLocalOrganizerChanges(t *testing.T) {
	e := newSchedEnv(t)
	alice := e.client("alice", "alice-pw")
	book := event("a1@rooms.test", 0, stamp1, "20270301T100000Z", "20270301T110000Z", "alice@rooms.test", "room-1@rooms.test")
	expect(t, "alice books", e.send(alice, book), "* CONFIRMED room-1@rooms.test\nOK 000 Stored")
	anon := e.client("", "")
	peer := e.client("b.test", "b-pw")
	carol := e.client("carol", "carol-pw")
	const busy = "20270301T100000Z/20270301T110000Z BUSY"

	cancelOther := cancelEvent("a1@rooms.test", 7, stamp2, "mallory@evil.test", "room-1@rooms.test")
	expect(t, "anonymous cancel under another organizer", e.send(anon, cancelOther),
		"* PERMDENIED room-1@rooms.test\n* NOTFOUND mallory@evil.test\n"+refused)
	cancel := cancelEvent("a1@rooms.test", 7, stamp2, "alice@rooms.test", "room-1@rooms.test")
	expect(t, "anonymous cancel as alice", e.send(anon, cancel), "* PERMDENIED alice@rooms.test\n* PERMDENIED room-1@rooms.test\n"+refused)
	expect(t, "peer cancel", e.send(peer, cancel), "* PERMDENIED alice@rooms.test\n* PERMDENIED room-1@rooms.test\n"+refused)
	expect(t, "carol cancels alice's", e.send(carol, cancel), "* PERMDENIED alice@rooms.test\n* PERMDENIED room-1@rooms.test\n"+refused)
	move := event("a1@rooms.test", 7, stamp2, "20270301T140000Z", "20270301T150000Z", "alice@rooms.test", "room-1@rooms.test")
	expect(t, "anonymous move", e.send(anon, move), "* PERMDENIED alice@rooms.test\n* PERMDENIED room-1@rooms.test\n"+refused)
	swap := event("a1@rooms.test", 8, stamp2, "20270301T100000Z", "20270301T110000Z", "bob@b.test", "room-1@rooms.test")
	expect(t, "organizer swap by the new organizer's server", e.send(peer, swap),
		"* PERMDENIED room-1@rooms.test\n* NOTFOUND bob@b.test\n"+refused)
	swapLocal := event("a1@rooms.test", 8, stamp2, "20270301T100000Z", "20270301T110000Z", "carol@rooms.test", "room-1@rooms.test")
	expect(t, "organizer swap by carol", e.send(carol, swapLocal), "* PERMDENIED carol@rooms.test\n* PERMDENIED room-1@rooms.test\n"+refused)
	expect(t, "organizer swap by alice", e.send(alice, swapLocal), "* PERMDENIED carol@rooms.test\n* PERMDENIED room-1@rooms.test\n"+refused)
	expect(t, "still booked", e.busy(anon, "room-1@rooms.test", "20270301T000000Z", "20270302T000000Z"), busy)
	if h, err := History(e.db, "a1@rooms.test"); err != nil || h == nil || h.Owner != "alice@rooms.test" || h.Sequence != 0 || len(h.Entries) != 1 {
		t.Fatalf("history after refused changes: %v %+v", err, h)
	}
	// An exact retransmission is answered as before, by anyone.
	expect(t, "anonymous retransmission", e.send(anon, book), "* CONFIRMED room-1@rooms.test\nOK 000 Stored")
	// alice moves it herself.
	expect(t, "alice moves", e.send(alice, move), "* CONFIRMED room-1@rooms.test\nOK 000 Stored")
	expect(t, "moved", e.busy(anon, "room-1@rooms.test", "20270301T000000Z", "20270302T000000Z"), "20270301T140000Z/20270301T150000Z BUSY")
}

// An event organized at x.test is changed only through x.test (or a peer
// whose alias its domain is), never through b.test or an anonymous client.
func TestOnlyOrganizersServerChanges(t *testing.T) {
	e := newSchedEnv(t)
	e.dir.AddPeer(&directory.Peer{ServerID: "y.test", Password: directory.PlainSecret("y-pw"), Aliases: []string{"y-alias.test"}})
	anon := e.client("", "")
	book := event("x1@x.test", 0, stamp1, "20270301T100000Z", "20270301T110000Z", "tom@x.test", "room-1@rooms.test")
	expect(t, "first delivery, anonymous", e.send(anon, book), "* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	b := e.client("b.test", "b-pw")
	cancel := cancelEvent("x1@x.test", 1, stamp2, "tom@x.test", "room-1@rooms.test")
	expect(t, "b.test cancels x.test's booking", e.send(b, cancel), "* PERMDENIED room-1@rooms.test\n* NOTFOUND tom@x.test\n"+refused)
	expect(t, "anonymous update", e.send(anon, strings.Replace(book, "SEQUENCE:0", "SEQUENCE:1", 1)),
		"* PERMDENIED room-1@rooms.test\n* NOTFOUND tom@x.test\n"+refused)
	expect(t, "still booked", e.busy(anon, "room-1@rooms.test", "20270301T000000Z", "20270302T000000Z"), "20270301T100000Z/20270301T110000Z BUSY")
	x := e.client("x.test", "x-pw")
	expect(t, "x.test cancels", e.send(x, cancel), "* NOTFOUND tom@x.test\nOK 000 Cancelled")
	expect(t, "freed", e.busy(anon, "room-1@rooms.test", "20270301T000000Z", "20270302T000000Z"), "")

	// A peer speaks for its aliases.
	al := event("y1@y-alias.test", 0, stamp1, "20270302T100000Z", "20270302T110000Z", "ann@y-alias.test", "room-1@rooms.test")
	expect(t, "alias booking", e.send(anon, al), "* CONFIRMED room-1@rooms.test\n* NOTFOUND ann@y-alias.test\nOK 000 Stored")
	alCancel := cancelEvent("y1@y-alias.test", 1, stamp2, "ann@y-alias.test", "room-1@rooms.test")
	expect(t, "x.test cancels y's", e.send(x, alCancel), "* PERMDENIED room-1@rooms.test\n* NOTFOUND ann@y-alias.test\n"+refused)
	expect(t, "y.test cancels its alias's", e.send(e.client("y.test", "y-pw"), alCancel), "* NOTFOUND ann@y-alias.test\nOK 000 Cancelled")
}

// A same-SEQUENCE update with a later DTSTAMP that moves a booking onto
// another one is judged again: the room declines, and the organizer's
// server is told why.
func TestSameSequenceMoveIsJudged(t *testing.T) {
	e := newSchedEnv(t)
	x, b := e.client("x.test", "x-pw"), e.client("b.test", "b-pw")
	a := event("m1@x.test", 0, stamp1, "20270301T100000Z", "20270301T110000Z", "tom@x.test", "room-1@rooms.test")
	expect(t, "A", e.send(x, a), "* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	other := event("m2@b.test", 0, stamp1, "20270301T120000Z", "20270301T130000Z", "bob@b.test", "room-1@rooms.test")
	expect(t, "B", e.send(b, other), "* CONFIRMED room-1@rooms.test\n* NOTFOUND bob@b.test\nOK 000 Stored")
	moved := event("m1@x.test", 0, stamp2, "20270301T123000Z", "20270301T133000Z", "tom@x.test", "room-1@rooms.test")
	expect(t, "A moved onto B", e.send(x, moved), "* DECLINED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	expect(t, "B alone", e.busy(x, "room-1@rooms.test", "20270301T000000Z", "20270302T000000Z"), "20270301T120000Z/20270301T130000Z BUSY")
	last := lastQueued(t, e, "m1@x.test")
	if !strings.Contains(last, "PARTSTAT=DECLINED:mailto:room-1@rooms.test") || !strings.Contains(last, "already booked") {
		t.Fatalf("the organizer is not told: %q", last)
	}
	// A longer DTEND onto B: declined too; back to a free time: accepted.
	longer := event("m1@x.test", 1, stamp2, "20270301T100000Z", "20270301T110000Z", "tom@x.test", "room-1@rooms.test")
	expect(t, "back", e.send(x, longer), "* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	longer = event("m1@x.test", 1, "20261122T100000Z", "20270301T100000Z", "20270301T121500Z", "tom@x.test", "room-1@rooms.test")
	expect(t, "longer", e.send(x, longer), "* DECLINED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	expect(t, "B still alone", e.busy(x, "room-1@rooms.test", "20270301T000000Z", "20270302T000000Z"), "20270301T120000Z/20270301T130000Z BUSY")
	// A title change at the same time keeps the answer.
	e.send(x, event("m1@x.test", 2, stamp1, "20270301T090000Z", "20270301T100000Z", "tom@x.test", "room-1@rooms.test"))
	titled := strings.Replace(event("m1@x.test", 2, stamp2, "20270301T090000Z", "20270301T100000Z", "tom@x.test", "room-1@rooms.test"),
		"END:VEVENT", "SUMMARY:Renamed\r\nEND:VEVENT", 1)
	expect(t, "renamed", e.send(x, titled), "* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
}

// A RECURRENCE-ID override that moves one occurrence onto another booking
// declines that occurrence; the series stays.
func TestMovedOccurrenceIsJudged(t *testing.T) {
	e := newSchedEnv(t)
	x, b := e.client("x.test", "x-pw"), e.client("b.test", "b-pw")
	series := event("w@x.test", 0, stamp1, "20270104T090000Z", "20270104T100000Z", "tom@x.test", "room-1@rooms.test")
	series = strings.Replace(series, "END:VEVENT", "RRULE:FREQ=WEEKLY;COUNT=4\r\nEND:VEVENT", 1)
	expect(t, "series", e.send(x, series), "* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	other := event("o@b.test", 0, stamp1, "20270111T140000Z", "20270111T150000Z", "bob@b.test", "room-1@rooms.test")
	expect(t, "other", e.send(b, other), "* CONFIRMED room-1@rooms.test\n* NOTFOUND bob@b.test\nOK 000 Stored")
	move := event("w@x.test", 0, stamp2, "20270111T143000Z", "20270111T153000Z", "tom@x.test", "room-1@rooms.test")
	move = strings.Replace(move, "DTSTART:", "RECURRENCE-ID:20270111T090000Z\r\nDTSTART:", 1)
	expect(t, "anonymous override", e.send(e.client("", ""), move), "* PERMDENIED room-1@rooms.test\n* NOTFOUND tom@x.test\n"+refused)
	expect(t, "override onto the other booking", e.send(x, move), "* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	expect(t, "no overlap", e.busy(x, "room-1@rooms.test", "20270111T000000Z", "20270112T000000Z"), "20270111T140000Z/20270111T150000Z BUSY")
	expect(t, "the rest stays", e.busy(x, "room-1@rooms.test", "20270118T000000Z", "20270119T000000Z"), "20270118T090000Z/20270118T100000Z BUSY")
	last := lastQueued(t, e, "w@x.test")
	if !strings.Contains(last, "RECURRENCE-ID:20270111T090000Z") || !strings.Contains(last, "already booked") {
		t.Fatalf("the organizer is not told of the declined occurrence: %q", last)
	}
	// Moved again to a free time, the occurrence is taken again.
	free := strings.Replace(strings.Replace(move, "20270111T143000Z", "20270111T160000Z", 1), "20270111T153000Z", "20270111T170000Z", 1)
	free = strings.Replace(free, stamp2, "20261122T100000Z", 1)
	expect(t, "moved to a free time", e.send(x, free), "* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	expect(t, "both", e.busy(x, "room-1@rooms.test", "20270111T000000Z", "20270112T000000Z"),
		"20270111T140000Z/20270111T150000Z BUSY\n20270111T160000Z/20270111T170000Z BUSY")
}

// lastQueued returns the data of the newest queued message for uid.
func lastQueued(t *testing.T, e *schedEnv, uid string) string {
	t.Helper()
	q, err := Queue(e.db)
	if err != nil {
		t.Fatal(err)
	}
	last := ""
	for _, m := range q {
		if m.UID == uid {
			last = m.Data
		}
	}
	return last
}

// Answers come from the attendee or its server only; allow_anonymous_rsvp
// covers remote attendees, never a local room, and a room's ACCEPTED given
// by hand is refused when it clashes.
func TestRSVPAuthority(t *testing.T) {
	e := newSchedEnv(t)
	e.dir.AllowAnonymousRSVP = true
	alice := e.client("alice", "alice-pw")
	first := event("r0@rooms.test", 0, stamp1, "20270301T100000Z", "20270301T110000Z", "alice@rooms.test", "room-1@rooms.test")
	expect(t, "first", e.send(alice, first), "* CONFIRMED room-1@rooms.test\nOK 000 Stored")
	clash := event("r1@rooms.test", 0, stamp1, "20270301T103000Z", "20270301T113000Z", "alice@rooms.test", "room-1@rooms.test", "bob@b.test")
	expect(t, "clash", e.send(alice, clash), "* DECLINED room-1@rooms.test\n* NOTFOUND bob@b.test\nOK 000 Stored")
	anon := e.client("", "")
	expect(t, "anonymous ACCEPTED for the room", e.rsvp(anon, "UID: r1@rooms.test\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:room-1@rooms.test\r\n"),
		"NO 002 Not allowed")
	expect(t, "b.test answering for the room", e.rsvp(e.client("b.test", "b-pw"), "UID: r1@rooms.test\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:room-1@rooms.test\r\n"),
		"NO 002 Not allowed")
	expect(t, "anonymous for a remote attendee", e.rsvp(anon, "UID: r1@rooms.test\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@b.test\r\n"),
		"* CONFIRMED bob@b.test\n* CONFIRMED alice@rooms.test\nOK 000 RSVP stored")
	expect(t, "one booking", e.busy(anon, "room-1@rooms.test", "20270301T000000Z", "20270302T000000Z"), "20270301T100000Z/20270301T110000Z BUSY")
	// The room itself (its panel, or `cipmini answer`) accepting over a clash.
	rep := cip(e.sched).RSVP(context.Background(), &cipmini.Request{Identity: cipmini.Identity{Kind: cipmini.User, Name: "room-1@rooms.test"},
		Data: []byte("UID: r1@rooms.test\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:room-1@rooms.test\r\n")})
	if rep.Completion.OK || len(rep.Info) != 1 || rep.Info[0].Code != cipmini.InfoDeclined {
		t.Fatalf("the room accepting over a clash: %+v", rep)
	}
	expect(t, "still one booking", e.busy(anon, "room-1@rooms.test", "20270301T000000Z", "20270302T000000Z"), "20270301T100000Z/20270301T110000Z BUSY")
}

// A declined invitation keeps no text; an update to a free time is judged
// anew from its own text.
func TestDeclinedKeepsNoText(t *testing.T) {
	e := newSchedEnv(t)
	anon := e.client("", "")
	expect(t, "booking", e.send(anon, event("k0@x.test", 0, stamp1, "20270301T100000Z", "20270301T110000Z", "tom@x.test", "room-1@rooms.test")),
		"* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	big := event("k1@y.test", 0, stamp1, "20270301T100000Z", "20270301T110000Z", "mary@y.test", "room-1@rooms.test")
	big = strings.Replace(big, "END:VEVENT", "DESCRIPTION:"+strings.Repeat(strings.Repeat("x", 70)+"\r\n ", 800)+"\r\nEND:VEVENT", 1)
	expect(t, "big clash", e.send(anon, big), "* DECLINED room-1@rooms.test\n* NOTFOUND mary@y.test\nOK 000 Stored")
	expect(t, "retransmission", e.send(anon, big), "* DECLINED room-1@rooms.test\n* NOTFOUND mary@y.test\nOK 000 Stored")
	val := dbContents(t, e.db)[eventKey("k1@y.test")]
	if len(val) > 1000 || strings.Contains(val, "xxxx") {
		t.Fatalf("the declined invitation's record is %d bytes", len(val))
	}
	t.Logf("a declined %d-byte invitation is stored in %d bytes", len(big), len(val))
	if !strings.Contains(val, "already booked") {
		t.Fatalf("the reason is not kept: %s", val)
	}
	e.restart()
	anon = e.client("", "")
	e.dir.AddPeer(&directory.Peer{ServerID: "y.test", Password: directory.PlainSecret("y-pw")})
	y := e.client("y.test", "y-pw")
	stale := strings.Replace(big, stamp1, "20261101T000000Z", 1)
	expect(t, "older", e.send(y, stale), "NO 005 Stale version: a newer one is stored")
	moved := event("k1@y.test", 1, stamp1, "20270301T140000Z", "20270301T150000Z", "mary@y.test", "room-1@rooms.test")
	expect(t, "moved to a free time", e.send(y, moved), "* CONFIRMED room-1@rooms.test\n* NOTFOUND mary@y.test\nOK 000 Stored")
	expect(t, "both", e.busy(anon, "room-1@rooms.test", "20270301T000000Z", "20270302T000000Z"),
		"20270301T100000Z/20270301T110000Z BUSY\n20270301T140000Z/20270301T150000Z BUSY")
	h, err := History(e.db, "k1@y.test")
	if err != nil || h == nil || len(h.Entries) != 2 || h.Entries[0].Change != "new" || h.Entries[0].By != "anonymous 127.0.0.1" ||
		h.Entries[0].Answers["room-1@rooms.test"] != Declined || h.Entries[1].By != "peer y.test" ||
		h.Entries[1].Answers["room-1@rooms.test"] != Accepted || h.Textless {
		t.Fatalf("history: %v %+v", err, h)
	}
}

// A room's own booking (the panel) extended onto the next booking is
// refused under the lock, and the booking kept as it was.
func TestOwnBookingExtensionIsJudged(t *testing.T) {
	e := newSchedEnv(t)
	room := cipmini.Identity{Kind: cipmini.User, Name: "room-1@rooms.test"}
	send := func(data string) *cipmini.Reply {
		return cip(e.sched).SendEvent(context.Background(), &cipmini.Request{Identity: room, Data: []byte(data)})
	}
	own := event("p@rooms.test", 0, stamp1, "20270301T100000Z", "20270301T110000Z", "room-1@rooms.test", "room-1@rooms.test")
	if r := send(own); !r.Completion.OK {
		t.Fatalf("panel booking: %+v", r)
	}
	x := e.client("x.test", "x-pw")
	expect(t, "next", e.send(x, event("n@x.test", 0, stamp1, "20270301T110000Z", "20270301T120000Z", "tom@x.test", "room-1@rooms.test")),
		"* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	r := send(event("p@rooms.test", 1, stamp2, "20270301T100000Z", "20270301T113000Z", "room-1@rooms.test", "room-1@rooms.test"))
	if r.Completion.OK || len(r.Info) != 1 || r.Info[0].Code != cipmini.InfoDeclined {
		t.Fatalf("extension onto the next booking: %+v", r)
	}
	bs, err := e.sched.Bookings("room-1@rooms.test", time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 3, 2, 0, 0, 0, 0, time.UTC))
	if err != nil || len(bs) != 2 || bs[0].UID != "p@rooms.test" || !bs[0].End.Equal(time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)) {
		t.Fatalf("after the refused extension: %v %+v", err, bs)
	}
	if r := send(event("p@rooms.test", 1, stamp2, "20270301T100000Z", "20270301T104500Z", "room-1@rooms.test", "room-1@rooms.test")); !r.Completion.OK {
		t.Fatalf("ending early: %+v", r)
	}
}

// A series whose COUNT runs past year 9999 keeps the room busy at every
// occurrence the calendar holds: the busy index once took such a series to
// end with its first occurrence (its last one was never reached), and a
// second booking of the room a year later was accepted beside it.
func TestSeriesPastYear9999KeepsRoomBusy(t *testing.T) {
	e := newSchedEnv(t)
	anon := e.client("", "")
	ev := event("longrun@x.test", 0, stamp1, "20270301T100000Z", "20270301T110000Z", "tom@x.test", "room-1@rooms.test")
	series := strings.Replace(ev, "DTEND:", "RRULE:FREQ=MONTHLY;COUNT=100000\r\nDTEND:", 1)
	expect(t, "series", e.send(anon, series), "* CONFIRMED room-1@rooms.test\n* NOTFOUND tom@x.test\nOK 000 Stored")
	clash := event("clash@x.test", 0, stamp1, "20280301T103000Z", "20280301T113000Z", "ann@x.test", "room-1@rooms.test")
	if a := e.send(anon, clash); !strings.HasPrefix(a, "* DECLINED room-1@rooms.test") {
		t.Fatalf("a booking on the series' 13th occurrence: %s", a)
	}
}
