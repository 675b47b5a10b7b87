package vcal_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/cipmini/cipmini/cipmini/vcal"
)

// A room's panel books the room for half an hour: the event is built from
// its fields, never written by hand, and encodes as any parsed event does.
func ExampleNewEvent() {
	start := time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC)
	ev, err := vcal.NewEvent(vcal.EventFields{
		UID:       "panel-1@rooms.test",
		DTStamp:   start,
		Start:     start,
		End:       start.Add(30 * time.Minute),
		Summary:   "Booked at the room panel",
		Organizer: vcal.Participant{Address: "room-1@rooms.test"},
		Attendees: []vcal.Participant{{Address: "room-1@rooms.test", PartStat: "ACCEPTED"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ev.UID, ev.Start.Format(time.Kitchen), ev.End.Format(time.Kitchen), ev.Summary)
	var text strings.Builder
	if err := ev.Encode(&text); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(strings.ReplaceAll(text.String(), "\r\n", "\n")) // lines end in CRLF
	// Output:
	// panel-1@rooms.test 10:00AM 10:30AM Booked at the room panel
	// BEGIN:VCALENDAR
	// METHOD:REQUEST
	// PRODID:-//cipmini//cipmini 1.0//EN
	// VERSION:2.0
	// BEGIN:VEVENT
	// ATTENDEE;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:mailto:room-1@rooms.test
	// DTEND:20270301T103000Z
	// DTSTAMP:20270301T100000Z
	// DTSTART:20270301T100000Z
	// ORGANIZER:mailto:room-1@rooms.test
	// SEQUENCE:0
	// SUMMARY:Booked at the room panel
	// UID:panel-1@rooms.test
	// END:VEVENT
	// END:VCALENDAR
}
