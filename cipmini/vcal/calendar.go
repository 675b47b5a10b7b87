package vcal

import "github.com/emersion/go-ical"

// ProdID is the PRODID of the calendars cipmini writes: free/busy answers,
// replies, feeds, events booked at a room panel.
const ProdID = "-//cipmini//cipmini 1.0//EN"

// NewCalendar returns an empty VCALENDAR 2.0 with PRODID ProdID and METHOD
// method (PUBLISH, REQUEST, REPLY, CANCEL; "" for none): the start of every
// calendar cipmini builds as a tree.
func NewCalendar(method string) *ical.Calendar {
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, ProdID)
	if method != "" {
		cal.Props.SetText(ical.PropMethod, method)
	}
	return cal
}

// AppendCalendarStart appends the opening of a calendar written as text,
// BEGIN:VCALENDAR and the properties of NewCalendar(method) in RFC 5545's
// usual order: VERSION, PRODID, METHOD, each line ending in CRLF. It is
// safe for concurrent use.
func AppendCalendarStart(dst []byte, method string) []byte {
	dst = AppendContentLine(dst, "BEGIN", "VCALENDAR")
	dst = AppendContentLine(dst, "VERSION", "2.0")
	dst = AppendContentLine(dst, "PRODID", EscapeText(ProdID))
	return AppendContentLine(dst, "METHOD", method)
}

// AppendEncodedCalendarStart is AppendCalendarStart with the properties in
// the order Encode writes those of NewCalendar(method), sorted by name:
// METHOD, PRODID, VERSION. Text streamed after it reads, octet for octet,
// as Encode would have written the same calendar.
func AppendEncodedCalendarStart(dst []byte, method string) []byte {
	dst = AppendContentLine(dst, "BEGIN", "VCALENDAR")
	dst = AppendContentLine(dst, "METHOD", method)
	dst = AppendContentLine(dst, "PRODID", EscapeText(ProdID))
	return AppendContentLine(dst, "VERSION", "2.0")
}
