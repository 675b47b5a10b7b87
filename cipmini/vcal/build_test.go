package vcal

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// An event built from fields is the event its text parses to: same fields,
// same stored text.
func TestNewEventMatchesParse(t *testing.T) {
	start := time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC)
	ev, err := NewEvent(EventFields{UID: "b1@rooms.test", Sequence: 2, DTStamp: start.Add(-time.Hour),
		Start: start, End: start.Add(30 * time.Minute), Summary: "Stand-up, daily",
		Organizer: Participant{Address: "room-1@rooms.test"},
		Attendees: []Participant{{Address: "room-1@rooms.test", PartStat: "ACCEPTED"}, {Address: "bob@rooms.test", CN: "Bob"}}})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:" + ProdID, "METHOD:REQUEST",
		"BEGIN:VEVENT", "UID:b1@rooms.test", "SEQUENCE:2", "DTSTAMP:20270301T090000Z",
		"DTSTART:20270301T100000Z", "DTEND:20270301T103000Z", "SUMMARY:Stand-up\\, daily",
		"ORGANIZER:mailto:room-1@rooms.test", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:room-1@rooms.test",
		"ATTENDEE;CN=Bob:mailto:bob@rooms.test", "END:VEVENT", "END:VCALENDAR", ""}, "\r\n")
	evs, err := ParseEvents([]byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := evs[0]
	if ev.UID != want.UID || ev.Sequence != want.Sequence || !ev.Start.Equal(want.Start) || !ev.End.Equal(want.End) ||
		!ev.DTStamp.Equal(want.DTStamp) || ev.Summary != want.Summary || ev.Method != "REQUEST" ||
		ev.Organizer != want.Organizer || len(ev.Attendees) != 2 || ev.Attendees[0] != want.Attendees[0] || ev.Attendees[1] != want.Attendees[1] {
		t.Errorf("built %+v\nparsed %+v", ev, want)
	}
	var got, exp bytes.Buffer
	if err := ev.Encode(&got); err != nil {
		t.Fatal(err)
	}
	if err := want.Encode(&exp); err != nil {
		t.Fatal(err)
	}
	if got.String() != exp.String() {
		t.Errorf("built text\n%s\nparsed text\n%s", got.String(), exp.String())
	}
	if ins, err := ev.Instances(start.Add(-time.Hour), start.Add(time.Hour), 0); err != nil || len(ins) != 1 {
		t.Errorf("instances %v, %v", ins, err)
	}
}

// Fields that make no event, and a calendar edited out of shape, are
// refused with the parser's errors.
func TestNewEventRefuses(t *testing.T) {
	start := time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC)
	if _, err := NewEvent(EventFields{UID: "x", Start: start, Organizer: Participant{Address: "a@b.test"}}); !errors.Is(err, errNoFields) {
		t.Errorf("no attendee: %v", err)
	}
	if _, err := NewEvent(EventFields{UID: "x", Organizer: Participant{Address: "a@b.test"}, Attendees: []Participant{{Address: "a@b.test"}}}); !errors.Is(err, errNoFields) {
		t.Errorf("no start: %v", err)
	}
	_, err := NewEvent(EventFields{UID: "x", Start: start, End: start.Add(-time.Hour),
		Organizer: Participant{Address: "a@b.test"}, Attendees: []Participant{{Address: "a@b.test"}}})
	var pe *PropError
	if !errors.As(err, &pe) {
		t.Errorf("end before start: %v, want a *PropError", err)
	}
	if _, err := EventFromCalendar(NewCalendar("REQUEST"), nil); err == nil {
		t.Error("a calendar without an event was taken")
	}
}

// An empty feed is written as its header alone; one with components as
// Encode writes it.
func TestEncodeFeed(t *testing.T) {
	cal := NewCalendar("PUBLISH")
	cal.Props.SetText("X-WR-CALNAME", "room-1@rooms.test")
	var b bytes.Buffer
	if err := EncodeFeed(&b, cal); err != nil {
		t.Fatal(err)
	}
	if want := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:" + ProdID + "\r\nMETHOD:PUBLISH\r\nX-WR-CALNAME:room-1@rooms.test\r\nEND:VCALENDAR\r\n"; b.String() != want {
		t.Errorf("empty feed:\n%q\nwant\n%q", b.String(), want)
	}
	start := time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC)
	ev, err := NewEvent(EventFields{UID: "x@rooms.test", Start: start, End: start, Organizer: Participant{Address: "a@rooms.test"}, Attendees: []Participant{{Address: "a@rooms.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	var feed, enc bytes.Buffer
	if err := EncodeFeed(&feed, ev.Calendar); err != nil {
		t.Fatal(err)
	}
	if err := Encode(&enc, ev.Calendar); err != nil || feed.String() != enc.String() {
		t.Errorf("a feed with an event differs from Encode's text (%v)", err)
	}
}
